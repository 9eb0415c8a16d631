package sink

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"
)

// Format is an output file format.
type Format uint8

// The output formats.
const (
	Parquet Format = iota // Apache Parquet (default)
	Arrow                 // Arrow IPC file format (Feather v2)
)

// String returns "parquet" or "arrow".
func (f Format) String() string {
	if f == Arrow {
		return "arrow"
	}
	return "parquet"
}

// Ext returns the file name extension, with its dot.
func (f Format) Ext() string {
	if f == Arrow {
		return ".arrow"
	}
	return ".parquet"
}

// ParseFormat parses "parquet" or "arrow".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "parquet", "":
		return Parquet, nil
	case "arrow", "ipc", "feather":
		return Arrow, nil
	}
	return 0, fmt.Errorf("unknown format %q (want parquet or arrow)", s)
}

// Compression names a codec: "zstd" (default), "snappy", "gzip", "lz4"
// (Arrow only) or "none". Parquet accepts zstd, snappy, gzip and none; Arrow
// IPC accepts zstd, lz4 and none.
type Compression string

func (c Compression) parquet() (compress.Compression, error) {
	switch strings.ToLower(string(c)) {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return 0, fmt.Errorf("compression %q is not available for parquet (want zstd, snappy, gzip or none)", string(c))
}

func (c Compression) ipc() ([]ipc.Option, error) {
	switch strings.ToLower(string(c)) {
	case "", "zstd":
		return []ipc.Option{ipc.WithZstd()}, nil
	case "lz4":
		return []ipc.Option{ipc.WithLZ4()}, nil
	case "none", "uncompressed":
		return nil, nil
	}
	return nil, fmt.Errorf("compression %q is not available for arrow (want zstd, lz4 or none)", string(c))
}

// Validate reports whether c can be used with format f.
func (c Compression) Validate(f Format) error {
	var err error
	if f == Arrow {
		_, err = c.ipc()
	} else {
		_, err = c.parquet()
	}
	return err
}

// tableWriter writes record batches to one file. Each Write of a Parquet
// writer becomes one row group (the caller sizes batches).
type tableWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// tableOptions configure newTableWriter.
type tableOptions struct {
	format      Format
	compression Compression
	// dict lists the columns to dictionary encode in Parquet (falling
	// back to plain in a column chunk whose dictionary outgrows dictPageLimit).
	dict []string
	// delta lists integer columns to write DELTA_BINARY_PACKED in
	// Parquet: columns of nearly sorted values (request times, line
	// numbers), which it stores in a few bits per value.
	delta []string
	// noStats lists columns without min/max statistics in Parquet:
	// random IDs, whose ranges prune nothing.
	noStats []string
	// literals lists columns whose zstd pages are Huffman-coded literals
	// only (see zstdLiterals).
	literals []string
	// dictLimit is the dictionary size above which a column chunk of a
	// dictionary column is written plain; 0 means dictPageLimit.
	dictLimit int
	// rowGroupRows caps a Parquet row group; 0 means 1<<20.
	rowGroupRows int64
}

// zstdLevel is the zstd level of Parquet pages: 1, klauspost/compress's
// fastest encoder. After dictionary and delta encoding what is left to
// compress is mostly random IDs and distinct keys, where level 3 (the
// default, and DuckDB's) saves under 1% of the size for about 15% more CPU
// time for the whole conversion.
const zstdLevel = 1

// dictPageLimit is the dictionary size at which a column chunk falls back
// to plain encoding. arrow-go's default, 1 MiB, made request_uri and
// requesturi_key fall back part way through a row group; at 8 MiB they
// stay dictionary encoded and the file is about 5% smaller, for the same
// CPU time. It bounds the dictionaries' memory: at most that much per
// column being written.
const dictPageLimit = 8 << 20

func newTableWriter(w io.Writer, sc *arrow.Schema, o tableOptions) (tableWriter, error) {
	if o.format == Arrow {
		opts, err := o.compression.ipc()
		if err != nil {
			return nil, err
		}
		opts = append(opts, ipc.WithSchema(sc), ipc.WithAllocator(memory.DefaultAllocator))
		return ipc.NewFileWriter(w, opts...)
	}
	bw, fw, err := newParquetFile(w, sc, o)
	if err != nil {
		return nil, err
	}
	return &pqTableWriter{bw: bw, fw: fw}, nil
}

// newParquetFile starts a Parquet file on w, buffered, with the schema
// of sc and sc stored as pqarrow stores it (ARROW:schema, a serialised
// IPC schema message), so Arrow readers see the same types as in a file
// pqarrow wrote. pqarrow itself is not used: it imports arrow/flight,
// which links gRPC and protobuf into the binary and made their package
// initialisation part of every command's start.
func newParquetFile(w io.Writer, sc *arrow.Schema, o tableOptions) (*bufio.Writer, *file.Writer, error) {
	props, err := parquetProps(o)
	if err != nil {
		return nil, nil, err
	}
	root, err := parquetSchema(sc, props)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(sc), ipc.WithAllocator(memory.DefaultAllocator))
	if err := iw.Close(); err != nil {
		return nil, nil, err
	}
	meta := metadata.KeyValueMetadata{}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(buf.Bytes()))
	bw := bufio.NewWriterSize(w, 1<<20)
	fw, err := file.NewParquetWriterWithError(bw, root, file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, nil, err
	}
	return bw, fw, nil
}

// parquetSchema returns the Parquet schema of sc as pqarrow.ToParquet
// makes it, for the Arrow types of ResultType: the same physical and
// logical types (INT32 and INT64 as signed INT logical types, a UTC
// timestamp in microseconds with its converted type TIMESTAMP_MICROS set),
// repetition from nullability, no field ids.
func parquetSchema(sc *arrow.Schema, props *parquet.WriterProperties) (*pqschema.GroupNode, error) {
	nodes := make(pqschema.FieldList, sc.NumFields())
	for i, f := range sc.Fields() {
		var typ parquet.Type
		var lt pqschema.LogicalType = pqschema.NoLogicalType{}
		switch t := f.Type.(type) {
		case *arrow.StringType:
			typ, lt = parquet.Types.ByteArray, pqschema.StringLogicalType{}
		case *arrow.Int32Type:
			typ, lt = parquet.Types.Int32, pqschema.NewIntLogicalType(32, true)
		case *arrow.Int64Type:
			typ, lt = parquet.Types.Int64, pqschema.NewIntLogicalType(64, true)
		case *arrow.TimestampType:
			if t.Unit != arrow.Microsecond {
				return nil, fmt.Errorf("column %s: timestamps in %s are not written", f.Name, t.Unit)
			}
			typ, lt = parquet.Types.Int64, pqschema.NewTimestampLogicalTypeForce(t.TimeZone != "", pqschema.TimeUnitMicros)
		case *arrow.Float64Type:
			typ = parquet.Types.Double
		case *arrow.BooleanType:
			typ = parquet.Types.Boolean
		default:
			return nil, fmt.Errorf("column %s: type %s is not written", f.Name, f.Type)
		}
		rep := parquet.Repetitions.Required
		if f.Nullable {
			rep = parquet.Repetitions.Optional
		}
		n, err := pqschema.NewPrimitiveNodeLogical(f.Name, rep, lt, typ, -1, -1)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	return pqschema.NewGroupNode(props.RootName(), props.RootRepetition(), nodes, -1)
}

// pqTableWriter writes Arrow record batches to a Parquet file, one row
// group per batch, each column handed to its column writer as pqarrow
// hands a flat column of these types: the values buffer as is, and
// definition levels from the validity bitmap.
type pqTableWriter struct {
	bw    *bufio.Writer
	fw    *file.Writer
	defs  []int16
	bools []bool
	vals  []parquet.ByteArray
}

// Write writes rec as one row group, or as several of the writer's
// maximum row group length if it is longer (as pqarrow does).
func (tw *pqTableWriter) Write(rec arrow.RecordBatch) error {
	n, most := rec.NumRows(), tw.fw.Properties().MaxRowGroupLength()
	if n <= most {
		return tw.writeRowGroup(rec)
	}
	for off := int64(0); off < n; off += most {
		part := rec.NewSlice(off, min(off+most, n))
		err := tw.writeRowGroup(part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (tw *pqTableWriter) writeRowGroup(rec arrow.RecordBatch) error {
	rg, err := tw.fw.AppendRowGroupChecked()
	if err != nil {
		return err
	}
	for i, arr := range rec.Columns() {
		cw, err := rg.NextColumn()
		if err != nil {
			return err
		}
		if err := tw.writeColumn(cw, arr); err != nil {
			return fmt.Errorf("column %s: %w", rec.ColumnName(i), err)
		}
	}
	return rg.Close()
}

// writeColumn writes arr, of a type parquetSchema maps, to cw.
func (tw *pqTableWriter) writeColumn(cw file.ColumnChunkWriter, arr arrow.Array) (err error) {
	var defs []int16
	spaced := false // some value is NULL: the writer skips the values' slots
	if cw.Descr().SchemaNode().RepetitionType() == parquet.Repetitions.Optional {
		tw.defs = tw.defs[:0]
		for i := range arr.Len() {
			tw.defs = append(tw.defs, int16(boolToInt(arr.IsValid(i))))
		}
		defs, spaced = tw.defs, arr.NullN() > 0
	}
	data := arr.Data()
	valid, off := arr.NullBitmapBytes(), int64(data.Offset())
	switch w := cw.(type) {
	case *file.BooleanColumnChunkWriter:
		a := arr.(*array.Boolean)
		if a.Len() == 0 { // an empty batch has no value buffer
			break
		}
		if !spaced {
			_, err = w.WriteBitmapBatch(data.Buffers()[1].Bytes(), off, a.Len(), defs, nil)
			break
		}
		tw.bools = tw.bools[:0]
		for i := range a.Len() {
			tw.bools = append(tw.bools, a.Value(i))
		}
		_, err = w.WriteBatchSpacedWithError(tw.bools, defs, nil, valid, off)
	case *file.Int32ColumnChunkWriter:
		v := arr.(*array.Int32).Int32Values()
		if !spaced {
			_, err = w.WriteBatch(v, defs, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(v, defs, nil, valid, off)
		}
	case *file.Int64ColumnChunkWriter:
		var v []int64
		switch a := arr.(type) {
		case *array.Int64:
			v = a.Int64Values()
		case *array.Timestamp:
			ts := a.TimestampValues()
			v = unsafe.Slice((*int64)(unsafe.SliceData(ts)), len(ts))
		}
		if !spaced {
			_, err = w.WriteBatch(v, defs, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(v, defs, nil, valid, off)
		}
	case *file.Float64ColumnChunkWriter:
		v := arr.(*array.Float64).Float64Values()
		if !spaced {
			_, err = w.WriteBatch(v, defs, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(v, defs, nil, valid, off)
		}
	case *file.ByteArrayColumnChunkWriter:
		err = tw.writeStrings(w, arr.(*array.String), defs, spaced)
	default:
		err = fmt.Errorf("unexpected column writer %T", cw)
	}
	return err
}

// writeStrings writes a string column: its offsets and bytes as they are
// to an encoder that takes them (plain), else as parquet.ByteArrays (the
// dictionary encoder).
func (tw *pqTableWriter) writeStrings(w *file.ByteArrayColumnChunkWriter, a *array.String, defs []int16, spaced bool) (err error) {
	valid, off := a.NullBitmapBytes(), int64(a.Data().Offset())
	var buf []byte
	if b := a.Data().Buffers()[2]; b != nil {
		buf = b.Bytes()
	}
	offsets := a.ValueOffsets()
	if w.SupportsArrowOffsets() {
		if !spaced {
			_, err = w.WriteBatchArrow(buf, offsets, defs, nil)
		} else {
			_, err = w.WriteBatchSpacedArrow(buf, offsets, defs, nil, valid, off)
		}
		return err
	}
	tw.vals = tw.vals[:0]
	for i := range a.Len() {
		tw.vals = append(tw.vals, buf[offsets[i]:offsets[i+1]])
	}
	if !spaced {
		_, err = w.WriteBatch(tw.vals, defs, nil)
	} else {
		_, err = w.WriteBatchSpacedWithError(tw.vals, defs, nil, valid, off)
	}
	return err
}

// Close writes the footer and flushes the file.
func (tw *pqTableWriter) Close() error {
	err := tw.fw.Close()
	if ferr := tw.bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parquetProps returns the Parquet writer properties for o.
func parquetProps(o tableOptions) (*parquet.WriterProperties, error) {
	codec, err := o.compression.parquet()
	if err != nil {
		return nil, err
	}
	rg := o.rowGroupRows
	if rg <= 0 {
		rg = 1 << 20
	}
	props := []parquet.WriterProperty{
		parquet.WithCompression(codec),
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rg),
		parquet.WithCreatedBy("s3logs"),
	}
	for _, name := range o.dict {
		props = append(props, parquet.WithDictionaryFor(name, true))
	}
	for _, name := range o.delta {
		props = append(props, parquet.WithDictionaryFor(name, false), parquet.WithEncodingFor(name, parquet.Encodings.DeltaBinaryPacked))
	}
	for _, name := range o.noStats {
		props = append(props, parquet.WithStatsFor(name, false))
	}
	props = append(props, parquet.WithDictionaryPageSizeLimit(dictPageLimit))
	if codec == compress.Codecs.Zstd {
		props = append(props, parquet.WithCompressionLevel(zstdLevel))
		for _, name := range o.literals {
			props = append(props, parquet.WithCompressionLevelFor(name, zstdLiterals))
		}
	}
	return parquet.NewWriterProperties(props...), nil
}
