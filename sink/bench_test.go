package sink

import (
	"io"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// BenchmarkBatchAppend measures building Arrow batches from parsed records.
func BenchmarkBatchAppend(b *testing.B) {
	block := gen.Block(1, 4<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(block)))
	bt := NewBatch()
	defer bt.Release()
	sc := parse.NewBlockScanner(nil)
	o := &schema.Origin{Object: []byte("obj")}
	for b.Loop() {
		sc.ResetBytes(block, "bench", 1)
		for sc.Scan() {
			o.Line = sc.LineNumber()
			bt.Append(sc.Record(), o)
			if bt.Rows() >= 1<<16 {
				bt.NewRecordBatch().Release()
			}
		}
	}
}

// TestBatchAppendAllocs checks that appending records allocates nothing
// once the column buffers have grown.
func TestBatchAppendAllocs(t *testing.T) {
	block := gen.Block(2, 256<<10)
	bt := NewBatch()
	defer bt.Release()
	sc := parse.NewBlockScanner(nil)
	o := &schema.Origin{Object: []byte("obj")}
	fill := func() {
		sc.ResetBytes(block, "obj", 1)
		for sc.Scan() {
			o.Line = sc.LineNumber()
			bt.Append(sc.Record(), o)
		}
	}
	fill()
	fill()
	rows := bt.Rows()
	bt.NewRecordBatch().Release()
	// Buffers are handed over by NewRecordBatch; measure appends into
	// buffers reserved ahead, as after the first batch.
	for i := range bt.cols {
		c := &bt.cols[i]
		switch {
		case c.str != nil:
			c.str.Reserve(rows * 4)
			c.str.ReserveData(len(block) * 4)
		case c.i32 != nil:
			c.i32.Reserve(rows * 4)
		case c.i64 != nil:
			c.i64.Reserve(rows * 4)
		case c.ts != nil:
			c.ts.Reserve(rows * 4)
		}
	}
	if strings.Count(string(block), "\n") == 0 {
		t.Fatal("empty block")
	}
	allocs := testing.AllocsPerRun(2, fill)
	if allocs > 0 {
		t.Errorf("%.0f allocations per %d appended records, want 0", allocs, rows/2)
	}
}

// BenchmarkParquetWrite measures what a convert worker does for each row
// group, on one goroutine: appending parsed records to the Parquet row
// buffer and writing the row groups (encoding, dictionaries, zstd) to a
// file writer, in row groups of about 64 MiB as convert cuts them. It is
// deterministic, for bench/instructions.sh.
func BenchmarkParquetWrite(b *testing.B) {
	block := gen.Block(1, 32<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(block)))
	bt := NewRowBuffer(Parquet)
	defer bt.Release()
	sc := parse.NewBlockScanner(nil)
	o := &schema.Origin{Object: []byte("logs/2024-03-01-00-00-00-0123456789ABCDEF")}
	for b.Loop() {
		fw, err := NewFileWriter(io.Discard, FileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		sc.ResetBytes(block, "bench", 1)
		for sc.Scan() {
			o.Line = sc.LineNumber()
			bt.Append(sc.Record(), o)
			if bt.Bytes() >= 64<<20 {
				if err := fw.Write(bt); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := fw.Write(bt); err != nil {
			b.Fatal(err)
		}
		if err := fw.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
