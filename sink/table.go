package sink

import (
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
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
	props, err := parquetProps(o)
	if err != nil {
		return nil, err
	}
	return pqarrow.NewFileWriter(sc, w, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
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
