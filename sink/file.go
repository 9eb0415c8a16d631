package sink

import (
	"fmt"
	"io"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// RowBuffer holds parsed records column by column until a FileWriter
// writes them as one row group (Parquet) or record batch (Arrow). Appending
// copies the field bytes and, once the buffers have grown, allocates
// nothing. A RowBuffer is not safe for concurrent use.
type RowBuffer interface {
	// Append adds one record, read from where o says (its log object and
	// line, for the derived columns).
	Append(r *parse.Record, o *schema.Origin)
	// Rows returns the number of rows buffered.
	Rows() int
	// Bytes estimates the uncompressed size of the rows buffered.
	Bytes() int64
	// Release frees the buffers; the RowBuffer must not be used after.
	Release()
}

// NewRowBuffer returns an empty RowBuffer for files of format f.
func NewRowBuffer(f Format) RowBuffer {
	if f == Parquet {
		return newPQBatch()
	}
	return NewBatch()
}

// MaxRowGroupBytes bounds the bytes of one row group a writer of
// converted output buffers (string offsets are int32).
const MaxRowGroupBytes = maxPQColumnBytes

// FileOptions configure a FileWriter. The zero value writes zstd Parquet.
type FileOptions struct {
	Format      Format
	Compression Compression // default zstd
	// RowGroupRows caps a Parquet row group. Default 1<<20.
	RowGroupRows int
	// DictionaryLimit is the dictionary size in bytes above which a
	// dictionary column's chunk is written plain. Default 8 MiB.
	DictionaryLimit int
}

// FileWriter writes RowBuffers to one file of converted output with the
// schema of OutputColumns: the direct Parquet writer (see the package doc)
// or Arrow IPC. A FileWriter is not safe for concurrent use; Close must be
// called to produce a valid file.
type FileWriter struct {
	pw *pqWriter   // Parquet
	tw tableWriter // Arrow
}

// NewFileWriter starts a file on w.
func NewFileWriter(w io.Writer, o FileOptions) (*FileWriter, error) {
	to := tableOptions{format: o.Format, compression: o.Compression,
		dict: dictionaryColumns(), delta: deltaColumns(), noStats: noStatsColumns(), literals: literalColumns(),
		rowGroupRows: int64(o.RowGroupRows), dictLimit: o.DictionaryLimit}
	if o.Format == Parquet {
		pw, err := newPQWriter(w, to)
		if err != nil {
			return nil, err
		}
		return &FileWriter{pw: pw}, nil
	}
	tw, err := newTableWriter(w, ArrowSchema(), to)
	if err != nil {
		return nil, err
	}
	return &FileWriter{tw: tw}, nil
}

// Write writes b's rows as one row group (record batch) and empties b,
// which keeps its buffers for reuse. b must come from NewRowBuffer with
// the writer's format.
func (fw *FileWriter) Write(b RowBuffer) error {
	switch b := b.(type) {
	case *pqBatch:
		if fw.pw == nil {
			return fmt.Errorf("sink: a Parquet row buffer written to an Arrow file")
		}
		return fw.pw.Write(b)
	case *Batch:
		if fw.tw == nil {
			return fmt.Errorf("sink: an Arrow row buffer written to a Parquet file")
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		return fw.tw.Write(rec)
	}
	return fmt.Errorf("sink: unknown row buffer %T", b)
}

// WriteConcurrent is Write with a Parquet row group's columns encoded on n
// goroutines at once (an Arrow record batch is written as by Write): for
// row groups written while cores would otherwise idle, such as the last
// ones of a conversion. The file holds the same values either way.
func (fw *FileWriter) WriteConcurrent(b RowBuffer, n int) error {
	if pb, ok := b.(*pqBatch); ok && fw.pw != nil {
		return fw.pw.WriteConcurrent(pb, n)
	}
	return fw.Write(b)
}

// Close writes the file's footer.
func (fw *FileWriter) Close() error {
	if fw.pw != nil {
		return fw.pw.Close()
	}
	return fw.tw.Close()
}
