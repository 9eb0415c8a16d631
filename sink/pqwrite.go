package sink

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// rowBuffer holds a partition's rows until they are written as one row
// group (Parquet) or record batch (Arrow).
type rowBuffer interface {
	Append(r *parse.Record, object string, line int64)
	Rows() int
	Bytes() int64
	Release()
}

// pqCol is one output column of a pqBatch: the non-NULL values and,
// for a nullable column, one definition level per row (1 value, 0 NULL).
type pqCol struct {
	src      schema.Source
	field    parse.Field
	typ      schema.Type
	required bool
	data     []byte  // string values, concatenated
	ends     []int32 // end of each string value in data
	i32      []int32
	i64      []int64
	defs     []int16
	// objects holds log_object as runs of equal names.
	objects []objectRun
}

type objectRun struct {
	name string
	n    int
}

// pqBatch buffers records column by column in plain Go slices for the
// direct Parquet writer: no Arrow arrays, no per-value allocation, and its
// buffers are kept (truncated) across row groups, so after the first row
// group appending allocates nothing. A pqBatch is not safe for concurrent
// use.
type pqBatch struct {
	cols    []pqCol
	rows    int
	bytes   int64
	scratch []byte
}

func newPQBatch() *pqBatch {
	b := &pqBatch{}
	for _, c := range OutputColumns() {
		col := pqCol{src: c.Source, field: c.Field, typ: c.Type}
		col.required = c.Source == schema.FromObject || c.Source == schema.FromLine || c.Type == schema.Timestamp
		b.cols = append(b.cols, col)
	}
	return b
}

func (b *pqBatch) Rows() int    { return b.rows }
func (b *pqBatch) Bytes() int64 { return b.bytes }
func (b *pqBatch) Release()     { b.cols = nil }

// reset empties b, keeping its buffers.
func (b *pqBatch) reset() {
	for i := range b.cols {
		c := &b.cols[i]
		c.data, c.ends, c.i32, c.i64, c.defs = c.data[:0], c.ends[:0], c.i32[:0], c.i64[:0], c.defs[:0]
		clear(c.objects)
		c.objects = c.objects[:0]
	}
	b.rows, b.bytes = 0, 0
}

// Append adds one record, read from line line of log object object.
func (b *pqBatch) Append(r *parse.Record, object string, line int64) {
	method, target, proto, _ := r.RequestLine()
	for i := range b.cols {
		c := &b.cols[i]
		var v []byte
		ok := false
		switch c.src {
		case schema.FromField:
			switch c.typ {
			case schema.Int32:
				if x, ok := r.Int(c.field); ok {
					c.i32 = append(c.i32, int32(x))
					c.defs = append(c.defs, 1)
				} else {
					c.defs = append(c.defs, 0)
				}
				continue
			case schema.Int64:
				if x, ok := r.Int(c.field); ok {
					c.i64 = append(c.i64, x)
					c.defs = append(c.defs, 1)
				} else {
					c.defs = append(c.defs, 0)
				}
				continue
			case schema.Timestamp:
				c.i64 = append(c.i64, r.Unix()*1e6)
				continue
			}
			v, ok = r.Value(c.field)
		case schema.FromMethod:
			v, ok = method, method != nil
		case schema.FromTarget:
			v, ok = target, target != nil
		case schema.FromProto:
			v, ok = proto, proto != nil
		case schema.FromObject:
			if n := len(c.objects); n > 0 && c.objects[n-1].name == object {
				c.objects[n-1].n++
			} else {
				c.objects = append(c.objects, objectRun{name: object, n: 1})
			}
			continue
		case schema.FromLine:
			c.i64 = append(c.i64, line)
			continue
		}
		if !ok {
			c.defs = append(c.defs, 0)
			continue
		}
		if utf8.Valid(v) {
			c.data = append(c.data, v...)
		} else {
			b.scratch = appendValidUTF8(b.scratch[:0], v)
			c.data = append(c.data, b.scratch...)
		}
		c.ends = append(c.ends, int32(len(c.data)))
		c.defs = append(c.defs, 1)
	}
	b.rows++
	b.bytes += int64(len(r.Line()) + len(object) + 8*len(b.cols))
}

// maxPQColumnBytes bounds the string bytes of one column in a pqBatch
// (offsets are int32); the converter flushes a batch before any column
// can reach it.
const maxPQColumnBytes = 1 << 30

// pqWriter writes pqBatches to one Parquet file with arrow-go's low-level
// column writers, one row group per batch.
type pqWriter struct {
	bw   *bufio.Writer
	fw   *file.Writer
	vals []parquet.ByteArray // scratch for one slice of a string column
}

// pqWriteBatch is how many values of a string column are handed to the
// column writer at once.
const pqWriteBatch = 4096

// newPQWriter starts a Parquet file on w with the output schema and the
// Arrow schema stored as pqarrow stores it (ARROW:schema), so Arrow
// readers see the same types as with pqarrow-written files.
func newPQWriter(w io.Writer, o tableOptions) (*pqWriter, error) {
	props, err := parquetProps(o)
	if err != nil {
		return nil, err
	}
	sc := ArrowSchema()
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
	ps, err := pqarrow.ToParquet(sc, props, arrProps)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(sc), ipc.WithAllocator(memory.DefaultAllocator))
	if err := iw.Close(); err != nil {
		return nil, err
	}
	meta := metadata.KeyValueMetadata{}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(buf.Bytes()))
	bw := bufio.NewWriterSize(w, 1<<20)
	fw, err := file.NewParquetWriterWithError(bw, ps.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	return &pqWriter{bw: bw, fw: fw, vals: make([]parquet.ByteArray, 0, pqWriteBatch)}, nil
}

// Write writes b's rows as one row group and empties b.
func (pw *pqWriter) Write(b *pqBatch) (err error) {
	defer b.reset()
	if b.rows == 0 {
		return nil
	}
	rg, err := pw.fw.AppendRowGroupChecked()
	if err != nil {
		return err
	}
	for i := range b.cols {
		c := &b.cols[i]
		cw, err := rg.NextColumn()
		if err != nil {
			return err
		}
		var defs []int16
		if !c.required {
			defs = c.defs
		}
		switch w := cw.(type) {
		case *file.Int32ColumnChunkWriter:
			_, err = w.WriteBatch(c.i32, defs, nil)
		case *file.Int64ColumnChunkWriter:
			_, err = w.WriteBatch(c.i64, defs, nil)
		case *file.ByteArrayColumnChunkWriter:
			err = pw.writeStrings(w, c, defs)
		default:
			err = fmt.Errorf("unexpected column writer %T", cw)
		}
		if err != nil {
			return err
		}
	}
	return rg.Close()
}

// writeStrings writes a string column in slices of pqWriteBatch values.
func (pw *pqWriter) writeStrings(w *file.ByteArrayColumnChunkWriter, c *pqCol, defs []int16) error {
	if c.src == schema.FromObject {
		for _, run := range c.objects {
			v := parquet.ByteArray(run.name)
			for left := run.n; left > 0; {
				n := min(left, pqWriteBatch)
				vals := pw.vals[:0]
				for range n {
					vals = append(vals, v)
				}
				if _, err := w.WriteBatch(vals, nil, nil); err != nil {
					return err
				}
				left -= n
			}
		}
		return nil
	}
	start, vi := int32(0), 0
	for row := 0; row < len(defs); {
		end := min(row+pqWriteBatch, len(defs))
		vals := pw.vals[:0]
		for _, d := range defs[row:end] {
			if d == 1 {
				e := c.ends[vi]
				vals = append(vals, c.data[start:e:e])
				start = e
				vi++
			}
		}
		if _, err := w.WriteBatch(vals, defs[row:end], nil); err != nil {
			return err
		}
		row = end
	}
	return nil
}

// Close writes the footer and flushes the file.
func (pw *pqWriter) Close() error {
	err := pw.fw.Close()
	if ferr := pw.bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
