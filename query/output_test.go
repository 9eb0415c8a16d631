package query

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func writeAll(t *testing.T, format string, cols []ResultColumn, rows [][]Value) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(format, &b)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(cols); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var outCols = []ResultColumn{{Name: "s", Kind: KindString}, {Name: "n", Kind: KindInt}, {Name: "t", Kind: KindTime}, {Name: "f", Kind: KindFloat}, {Name: "b", Kind: KindBool}}

var outRows = [][]Value{
	{StringValue(`a,"b"` + "\nc"), IntValue(-5), TimeValue(1549411238), FloatValue(2.5), BoolValue(true)},
	{{}, {}, {}, {}, {}},
	{StringValue(" lead"), IntValue(9898557440), TimeValue(0), FloatValue(1e6), BoolValue(false)},
	{StringValue("bad \xff utf8 \x01 \"q\" \\"), IntValue(0), TimeValue(1), FloatValue(0.125), BoolValue(false)},
}

func TestCSVWriter(t *testing.T) {
	out := writeAll(t, "csv", outCols, outRows)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := [][]string{
		{"s", "n", "t", "f", "b"},
		{"a,\"b\"\nc", "-5", "2019-02-06T00:00:38Z", "2.5", "true"},
		{"", "", "", "", ""},
		{" lead", "9898557440", "1970-01-01T00:00:00Z", "1000000", "false"},
		{"bad \xff utf8 \x01 \"q\" \\", "0", "1970-01-01T00:00:01Z", "0.125", "false"},
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestJSONWriter(t *testing.T) {
	out := writeAll(t, "json", outCols, outRows)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(outRows) {
		t.Fatalf("%d lines: %s", len(lines), out)
	}
	want := []map[string]any{
		{"s": "a,\"b\"\nc", "n": -5.0, "t": "2019-02-06T00:00:38Z", "f": 2.5, "b": true},
		{"s": nil, "n": nil, "t": nil, "f": nil, "b": nil},
		{"s": " lead", "n": 9898557440.0, "t": "1970-01-01T00:00:00Z", "f": 1e6, "b": false},
		{"s": "bad \ufffd utf8 \x01 \"q\" \\", "n": 0.0, "t": "1970-01-01T00:00:01Z", "f": 0.125, "b": false},
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("line %d %s = %#v, want %#v", i, k, m[k], v)
			}
		}
	}
}

func TestTableWriter(t *testing.T) {
	out := writeAll(t, "table", []ResultColumn{{Name: "name", Kind: KindString}, {Name: "count", Kind: KindInt}},
		[][]Value{{StringValue("a"), IntValue(5)}, {{}, IntValue(12345)}})
	want := "name  count\n----  -----\na         5\nNULL  12345\n(2 rows)\n"
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	// Past the rows held for sizing (1000), rows stream with the widths
	// those gave: "0" pads to 3, "1499" overflows.
	var many [][]Value
	for i := range 1500 {
		many = append(many, []Value{IntValue(int64(i))})
	}
	out = writeAll(t, "table", []ResultColumn{{Name: "i", Kind: KindInt}}, many)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2+1500+1 || lines[2+1499] != "1499" || lines[2] != "  0" || lines[len(lines)-1] != "(1500 rows)" {
		t.Errorf("1500-row table: %d lines, row 0 %q, last row %q, footer %q", len(lines), lines[2], lines[2+1499], lines[len(lines)-1])
	}
	if _, err := NewWriter("xml", &bytes.Buffer{}); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestEncodedStreaming: CSV and JSON rows are encoded on the workers;
// every row arrives once, and LIMIT gives exactly LIMIT rows.
func TestEncodedStreaming(t *testing.T) {
	recs, data := fixture(t, 6, 6, 400)
	for _, format := range []string{"csv", "json"} {
		for _, tc := range []struct {
			sql  string
			want int
		}{
			{"SELECT requestid, log_line FROM logs", len(recs)},
			{"SELECT requestid, log_line FROM logs LIMIT 77", 77},
			{"SELECT requestid, log_line FROM logs LIMIT 1", 1},
		} {
			p, err := Compile(tc.sql, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			w, _ := NewWriter(format, &b)
			cfg := pipelineConfig(data, 3)
			if _, err := p.Run(context.Background(), cfg, []string{"-"}, w, RunOptions{}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if format == "csv" {
				lines = lines[1:]
			}
			seen := map[string]bool{}
			for _, l := range lines {
				seen[l] = true
			}
			if len(lines) != tc.want || len(seen) != tc.want {
				t.Errorf("%s %s: %d rows (%d distinct), want %d", format, tc.sql, len(lines), len(seen), tc.want)
			}
		}
	}
}

// TestAppendRFC3339 checks the arithmetic timestamp text against package
// time's RFC 3339 at the edges of its range, around leap days and
// centuries, and at random instants inside and outside the range.
func TestAppendRFC3339(t *testing.T) {
	f := func(unix int64) {
		t.Helper()
		want := time.Unix(unix, 0).UTC().Format(time.RFC3339)
		if got := string(appendRFC3339([]byte("x"), unix)); got != "x"+want {
			t.Fatalf("%d: %q, want %q", unix, got, "x"+want)
		}
	}
	for _, u := range []int64{0, 1, 59, 60, 3599, 3600, 86399, 86400, -1, -86400, 253402300799, 253402300800, 1 << 40, -1 << 40} {
		f(u)
	}
	for _, day := range []string{"1972-02-28", "1972-02-29", "1972-03-01", "2000-02-29", "2000-03-01", "2100-02-28", "2100-03-01", "2400-02-29", "1999-12-31", "2024-03-02", "9999-12-31"} {
		d, err := time.Parse("2006-01-02", day)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []int64{-1, 0, 1, 43200, 86399, 86400} {
			f(d.Unix() + s)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		f(rng.Int64N(253402300800 + 1e9))
		f(rng.Int64N(2e12) - 1e12)
	}
}
