package sink

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"
)

// resultBatch builds a batch of n rows over every Arrow type a query
// result can hold, NULLs every nullEvery rows (0: none).
func resultBatch(sc *arrow.Schema, n, nullEvery, seed int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	null := func(i int) bool { return nullEvery > 0 && (i+seed)%nullEvery == 0 }
	for i := 0; i < n; i++ {
		v := i*7919 + seed
		for c, f := range sc.Fields() {
			fb := b.Field(c)
			if f.Nullable && null(i+c) {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(fmt.Sprintf("s%d-%d", c, v%97))
			case *array.Int32Builder:
				fb.Append(int32(v%100000) - 50000)
			case *array.Int64Builder:
				fb.Append(int64(v)*1_000_003 - 1<<40)
			case *array.Float64Builder:
				fb.Append(float64(v) / 7)
			case *array.BooleanBuilder:
				fb.Append(v%3 == 0)
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(1_709_251_200_000_000 + int64(v)*1_000_000))
			default:
				panic(fmt.Sprintf("no values for %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// TestTableWriterMatchesPQArrow: the table writer, which writes through
// arrow-go's parquet/file directly, produces the bytes pqarrow's
// FileWriter produces for the same batches and properties, for every
// result type, with and without NULLs, over several row groups, and with
// batches split into row groups.
func TestTableWriterMatchesPQArrow(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	for _, nullable := range []bool{false, true} {
		fields := []arrow.Field{
			{Name: "s", Type: arrow.BinaryTypes.String, Nullable: nullable},
			{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: nullable},
			{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: nullable},
			{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: nullable},
			{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: nullable},
			{Name: "t", Type: ts, Nullable: nullable},
		}
		sc := arrow.NewSchema(fields, nil)
		for _, o := range []tableOptions{
			{format: Parquet, compression: "zstd"},
			{format: Parquet, compression: "none", dict: []string{"s"}},
			{format: Parquet, compression: "snappy", delta: []string{"i64"}, noStats: []string{"f"}},
			// Batches longer than a row group, split at offsets that
			// are not a multiple of 8 (the validity and bool bitmaps).
			{format: Parquet, compression: "zstd", dict: []string{"s"}, rowGroupRows: 999},
		} {
			name := fmt.Sprintf("nullable=%v/%s/dict=%v/delta=%v/rg=%d", nullable, o.compression, o.dict, o.delta, o.rowGroupRows)
			t.Run(name, func(t *testing.T) {
				nullEvery := 0
				if nullable {
					nullEvery = 5
				}
				var batches []arrow.RecordBatch
				for g, n := range []int{1, 1000, 0, 4097, 300} {
					batches = append(batches, resultBatch(sc, n, nullEvery, g))
				}
				defer func() {
					for _, r := range batches {
						r.Release()
					}
				}()
				var got, want bytes.Buffer
				tw, err := newTableWriter(&got, sc, o)
				if err != nil {
					t.Fatal(err)
				}
				props, err := parquetProps(o)
				if err != nil {
					t.Fatal(err)
				}
				pw, err := pqarrow.NewFileWriter(sc, &want, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range batches {
					if err := tw.Write(r); err != nil {
						t.Fatal(err)
					}
					if err := pw.Write(r); err != nil {
						t.Fatal(err)
					}
				}
				if err := tw.Close(); err != nil {
					t.Fatal(err)
				}
				if err := pw.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("table writer wrote %d bytes, pqarrow %d; they differ", got.Len(), want.Len())
				}
			})
		}
	}
}

// TestParquetSchemaMatchesPQArrow: the Parquet schema built for convert's
// Arrow schema is the one pqarrow.ToParquet built (types, logical types,
// repetition, field ids).
func TestParquetSchemaMatchesPQArrow(t *testing.T) {
	props, err := parquetProps(tableOptions{format: Parquet})
	if err != nil {
		t.Fatal(err)
	}
	want, err := pqarrow.ToParquet(ArrowSchema(), props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parquetSchema(ArrowSchema(), props)
	if err != nil {
		t.Fatal(err)
	}
	if g := pqschema.NewSchema(got); !g.Equals(want) {
		t.Fatalf("schema differs:\n%s\npqarrow:\n%s", schemaText(g), schemaText(want))
	}
}

func schemaText(s *pqschema.Schema) string {
	var b bytes.Buffer
	pqschema.PrintSchema(s.Root(), &b, 2)
	return b.String()
}
