package sink

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/filetest"
)

func TestResultWriter(t *testing.T) {
	cols := []ResultColumn{
		{Name: "s", Type: ResultString, Dictionary: true},
		{Name: "i", Type: ResultInt32},
		{Name: "n", Type: ResultInt64},
		{Name: "t", Type: ResultTimestamp},
		{Name: "f", Type: ResultFloat64},
		{Name: "b", Type: ResultBool},
	}
	ts := time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC)
	rows := [][]any{
		{"a", 200, int64(9898557440), ts, 1.5, true},
		{nil, nil, nil, nil, nil, nil},
		{[]byte("bad\xffutf8\xfe\xfd"), int32(-1), 7, int64(ts.Unix()), 3, false},
	}
	want := [][]any{
		{"a", int32(200), int64(9898557440), ts.UnixMicro(), 1.5, true},
		{nil, nil, nil, nil, nil, nil},
		{"bad\uFFFDutf8\uFFFD", int32(-1), int64(7), ts.UnixMicro(), 3.0, false},
	}
	for _, format := range []string{"parquet", "arrow"} {
		var buf bytes.Buffer
		w, err := NewResultWriter(&buf, format, cols)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := w.WriteRow(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteRow("x", "not an int", 1, ts, 1.0, true); err == nil {
			t.Errorf("%s: a string for an int32 column was accepted", format)
		}
		if err := w.WriteRow("x", 1<<40, 1, ts, 1.0, true); err == nil {
			t.Errorf("%s: an int32 overflow was accepted", format)
		}
		if err := w.WriteRow("x"); err == nil {
			t.Errorf("%s: a short row was accepted", format)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got [][]filetest.Value
		var gotCols []filetest.Column
		if format == "parquet" {
			gotCols, got = filetest.ReadParquet(t, buf.Bytes())
			wantTypes := []string{"BYTE_ARRAY STRING", "INT32 INT(32,true)", "INT64 INT(64,true)",
				"INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", "DOUBLE ", "BOOLEAN "}
			for i, c := range gotCols {
				if c.Name != cols[i].Name || !c.Optional || !strings.EqualFold(c.Physical+" "+c.Logical, wantTypes[i]) {
					t.Errorf("parquet column %d = %+v, want %s %s optional", i, c, cols[i].Name, wantTypes[i])
				}
			}
		} else {
			gotCols, got = filetest.ReadArrow(t, buf.Bytes())
			wantTypes := []string{"utf8", "int32", "int64", "timestamp[us, tz=UTC]", "float64", "bool"}
			for i, c := range gotCols {
				if c.Name != cols[i].Name || c.Physical != wantTypes[i] {
					t.Errorf("arrow column %d = %+v, want %s %s", i, c, cols[i].Name, wantTypes[i])
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s rows:\n got %#v\nwant %#v", format, got, want)
		}
	}
}
