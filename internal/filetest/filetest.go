// Package filetest reads Parquet and Arrow IPC files for tests, with
// readers independent of the code that writes them (parquet-go for
// Parquet), into one shape: columns and rows of plain Go values.
package filetest

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
)

// Column is a leaf column of a Parquet file as an independent reader
// (parquet-go) sees it.
type Column struct {
	Name     string
	Physical string // INT32, INT64, BYTE_ARRAY, ...
	Logical  string // e.g. STRING, TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)
	Optional bool
}

// Value is one cell: nil for NULL, else string, int32, int64, float64 or
// bool, by physical type.
type Value = any

// ReadParquet reads every row of a Parquet file with parquet-go, not with
// the arrow-go code that wrote it.
func ReadParquet(t testing.TB, data []byte) ([]Column, [][]Value) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go cannot open the file: %v", err)
	}
	var cols []Column
	for _, el := range f.Metadata().Schema[1:] {
		typ, _ := el.Type.Get()
		rep, _ := el.RepetitionType.Get()
		cols = append(cols, Column{Name: el.Name, Physical: typ.String(), Logical: el.LogicalType.String(),
			Optional: rep.String() == "OPTIONAL"})
	}
	// Leaf index in file order → parquet-go's column index.
	idx := map[string]int{}
	for i, path := range f.Schema().Columns() {
		idx[path[0]] = i
	}
	r := parquet.NewReader(f)
	defer r.Close()
	var out [][]Value
	buf := make([]parquet.Row, 128)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			byCol := make([]parquet.Value, len(cols))
			for _, v := range row {
				byCol[v.Column()] = v
			}
			vals := make([]Value, len(cols))
			for i, c := range cols {
				v := byCol[idx[c.Name]]
				if v.IsNull() {
					continue
				}
				switch c.Physical {
				case "INT32":
					vals[i] = v.Int32()
				case "INT64":
					vals[i] = v.Int64()
				case "DOUBLE":
					vals[i] = v.Double()
				case "BOOLEAN":
					vals[i] = v.Boolean()
				default:
					vals[i] = string(v.ByteArray())
				}
			}
			out = append(out, vals)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parquet-go read: %v", err)
		}
	}
	if int64(len(out)) != f.NumRows() {
		t.Fatalf("read %d rows, file says %d", len(out), f.NumRows())
	}
	return cols, out
}

// ReadParquetFile is ReadParquet of the file at path.
func ReadParquetFile(t testing.TB, path string) ([]Column, [][]Value) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ReadParquet(t, data)
}

// ReadArrow reads an Arrow IPC file into the same shape as ReadParquet,
// with the Arrow type names as Physical.
func ReadArrow(t testing.TB, data []byte) ([]Column, [][]Value) {
	t.Helper()
	r, err := ipc.NewFileReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("arrow ipc: %v", err)
	}
	defer r.Close()
	var cols []Column
	for _, f := range r.Schema().Fields() {
		cols = append(cols, Column{Name: f.Name, Physical: f.Type.String(), Optional: f.Nullable})
	}
	var out [][]Value
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		for row := 0; row < int(rec.NumRows()); row++ {
			vals := make([]Value, len(cols))
			for c := range cols {
				col := rec.Column(c)
				if col.IsNull(row) {
					continue
				}
				switch a := col.(type) {
				case *array.String:
					vals[c] = a.Value(row)
				case *array.Int32:
					vals[c] = a.Value(row)
				case *array.Int64:
					vals[c] = a.Value(row)
				case *array.Timestamp:
					vals[c] = int64(a.Value(row))
				case *array.Float64:
					vals[c] = a.Value(row)
				case *array.Boolean:
					vals[c] = a.Value(row)
				default:
					t.Fatalf("unexpected arrow type %s", a.DataType())
				}
			}
			out = append(out, vals)
		}
	}
	return cols, out
}

// ExactlyOnce checks that got (rows counted by "object:line") holds every
// key of want exactly once and no other key, reporting at most limit
// offending keys.
func ExactlyOnce[V any](t testing.TB, want map[string]V, got map[string]int, limit int) {
	t.Helper()
	bad := 0
	for k := range want {
		if got[k] != 1 && bad < limit {
			bad++
			t.Errorf("%s: %d rows, want 1", k, got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && bad < limit {
			bad++
			t.Errorf("%s: a row for no source record", k)
		}
	}
}
