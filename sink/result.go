package sink

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/s3logs/s3logs/schema"
)

// ResultType is the type of a ResultWriter column.
type ResultType uint8

// The result column types and their Arrow / Parquet types.
const (
	ResultString    ResultType = iota // utf8 / BYTE_ARRAY STRING
	ResultInt32                       // int32 / INT32
	ResultInt64                       // int64 / INT64
	ResultTimestamp                   // timestamp[us, UTC] / INT64 TIMESTAMP(MICROS, UTC)
	ResultFloat64                     // float64 / DOUBLE
	ResultBool                        // bool / BOOLEAN
)

// ResultTypeOf returns the result type for a schema column type.
func ResultTypeOf(t schema.Type) ResultType {
	switch t {
	case schema.Int32:
		return ResultInt32
	case schema.Int64:
		return ResultInt64
	case schema.Timestamp:
		return ResultTimestamp
	}
	return ResultString
}

func (t ResultType) arrow() arrow.DataType {
	switch t {
	case ResultInt32:
		return arrow.PrimitiveTypes.Int32
	case ResultInt64:
		return arrow.PrimitiveTypes.Int64
	case ResultTimestamp:
		return timestampType
	case ResultFloat64:
		return arrow.PrimitiveTypes.Float64
	case ResultBool:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

// ResultColumn is one column of a ResultWriter.
type ResultColumn struct {
	Name string
	Type ResultType
	// Dictionary asks for dictionary encoding in Parquet (low-cardinality
	// strings).
	Dictionary bool
}

// resultBatchRows is how many rows a ResultWriter buffers before writing
// a record batch (a Parquet row group).
const resultBatchRows = 1 << 17

// ResultWriter writes typed rows (query results) as one Parquet or Arrow IPC
// file. It buffers up to 131072 rows, then writes them as a record batch
// (a Parquet row group). A ResultWriter is not safe for concurrent use; it
// must be closed to produce a valid file.
type ResultWriter struct {
	cols  []ResultColumn
	sc    *arrow.Schema
	rb    *array.RecordBuilder
	tw    tableWriter
	rows  int
	buf   []byte
	err   error
	close bool
}

// NewResultWriter returns a writer of a file with the given columns to w, in
// format "parquet" or "arrow", compressed with zstd.
func NewResultWriter(w io.Writer, format string, cols []ResultColumn) (*ResultWriter, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	return NewResultWriterWith(w, f, "", cols)
}

// NewResultWriterWith is NewResultWriter with a chosen format and
// compression ("" means zstd).
func NewResultWriterWith(w io.Writer, f Format, c Compression, cols []ResultColumn) (*ResultWriter, error) {
	if len(cols) == 0 {
		return nil, errors.New("result writer: no columns")
	}
	fields := make([]arrow.Field, len(cols))
	var dict []string
	seen := map[string]bool{}
	for i, c := range cols {
		name := c.Name
		if seen[name] { // Parquet and Arrow readers want unique names
			name = fmt.Sprintf("%s_%d", name, i+1)
		}
		seen[name] = true
		fields[i] = arrow.Field{Name: name, Type: c.Type.arrow(), Nullable: true}
		if c.Dictionary {
			dict = append(dict, name)
		}
	}
	sc := arrow.NewSchema(fields, nil)
	tw, err := newTableWriter(w, sc, tableOptions{format: f, compression: c, dict: dict})
	if err != nil {
		return nil, err
	}
	return &ResultWriter{cols: cols, sc: sc, rb: array.NewRecordBuilder(memory.DefaultAllocator, sc), tw: tw}, nil
}

// WriteRow appends one row. Values map to columns by position; nil is NULL.
// Accepted Go types: string and []byte for strings; int, int32, int64 for
// integers; float64 (and integers) for Float64; time.Time for timestamps
// (and int64 seconds since the epoch); bool. Strings that are not valid
// UTF-8 have invalid bytes replaced by U+FFFD. A value of the wrong type is
// an error that leaves the row unwritten.
func (rw *ResultWriter) WriteRow(values ...any) error {
	if rw.err != nil {
		return rw.err
	}
	if len(values) != len(rw.cols) {
		return fmt.Errorf("result writer: %d values for %d columns", len(values), len(rw.cols))
	}
	for i, v := range values {
		if err := checkValue(rw.cols[i].Type, v); err != nil {
			return fmt.Errorf("result writer: column %s: %w", rw.cols[i].Name, err)
		}
	}
	for i, v := range values {
		rw.appendValue(i, v)
	}
	rw.rows++
	if rw.rows >= resultBatchRows {
		return rw.flush()
	}
	return nil
}

func checkValue(t ResultType, v any) error {
	if v == nil {
		return nil
	}
	ok := false
	switch v.(type) {
	case string, []byte:
		ok = t == ResultString
	case int, int32, int64:
		ok = t == ResultInt32 || t == ResultInt64 || t == ResultFloat64 || t == ResultTimestamp
	case float64:
		ok = t == ResultFloat64
	case time.Time:
		ok = t == ResultTimestamp
	case bool:
		ok = t == ResultBool
	}
	if !ok {
		return fmt.Errorf("cannot store %T as %v", v, t.arrow())
	}
	if t == ResultInt32 {
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		}
		if n > math.MaxInt32 || n < math.MinInt32 {
			return fmt.Errorf("%d overflows int32", n)
		}
	}
	return nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

func (rw *ResultWriter) appendValue(i int, v any) {
	b := rw.rb.Field(i)
	if v == nil {
		b.AppendNull()
		return
	}
	switch rw.cols[i].Type {
	case ResultString:
		sb := b.(*array.StringBuilder)
		switch x := v.(type) {
		case string:
			if utf8.ValidString(x) {
				sb.Append(x)
			} else {
				rw.buf = appendValidUTF8(rw.buf[:0], []byte(x))
				sb.BinaryBuilder.Append(rw.buf)
			}
		case []byte:
			appendUTF8(sb, x, &rw.buf)
		}
	case ResultInt32:
		b.(*array.Int32Builder).Append(int32(toInt64(v)))
	case ResultInt64:
		b.(*array.Int64Builder).Append(toInt64(v))
	case ResultFloat64:
		if f, ok := v.(float64); ok {
			b.(*array.Float64Builder).Append(f)
		} else {
			b.(*array.Float64Builder).Append(float64(toInt64(v)))
		}
	case ResultTimestamp:
		if t, ok := v.(time.Time); ok {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		} else {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(toInt64(v) * 1e6))
		}
	case ResultBool:
		b.(*array.BooleanBuilder).Append(v.(bool))
	}
}

func (rw *ResultWriter) flush() error {
	if rw.rows == 0 {
		return nil
	}
	rec := rw.rb.NewRecordBatch()
	defer rec.Release()
	rw.rows = 0
	if err := rw.tw.Write(rec); err != nil {
		rw.err = fmt.Errorf("result writer: %w", err)
		return rw.err
	}
	return nil
}

// Close writes buffered rows and the file footer. It does not close the
// underlying io.Writer.
func (rw *ResultWriter) Close() error {
	if rw.close {
		return rw.err
	}
	rw.close = true
	err := rw.flush()
	if cerr := rw.tw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("result writer: %w", cerr)
	}
	rw.rb.Release()
	if rw.err == nil {
		rw.err = err
	}
	return err
}

// appendUTF8 appends b to sb, replacing invalid UTF-8 sequences by U+FFFD
// (using *scratch for the rare invalid value).
func appendUTF8(sb *array.StringBuilder, b []byte, scratch *[]byte) {
	if utf8.Valid(b) {
		sb.BinaryBuilder.Append(b)
		return
	}
	*scratch = appendValidUTF8((*scratch)[:0], b)
	sb.BinaryBuilder.Append(*scratch)
}

// appendValidUTF8 appends b to dst with each invalid byte sequence replaced
// by U+FFFD, as strings.ToValidUTF8 does with "\uFFFD" (runs of invalid
// bytes become one replacement character).
func appendValidUTF8(dst, b []byte) []byte {
	invalid := false
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			if !invalid {
				dst = append(dst, "\uFFFD"...)
				invalid = true
			}
			b = b[1:]
			continue
		}
		invalid = false
		dst = append(dst, b[:n]...)
		b = b[n:]
	}
	return dst
}
