package lake

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/s3logs/s3logs/internal/rangeio"
)

// blob is the bytes of one data file, read at offsets: a local file or an
// S3 object read with ranged GETs. It is safe for concurrent use.
type blob interface {
	readAt(ctx context.Context, p []byte, off int64) error
	close()
}

type localBlob struct{ f *os.File }

func (b localBlob) readAt(_ context.Context, p []byte, off int64) error {
	_, err := b.f.ReadAt(p, off)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (b localBlob) close() { b.f.Close() }

type s3Blob struct{ f *dataFile }

func (b s3Blob) readAt(ctx context.Context, p []byte, off int64) error {
	return b.f.s3.ReadAt(ctx, b.f.key, p, off)
}

func (b s3Blob) close() {}

// open returns the file's bytes.
func (f *dataFile) open() (blob, error) {
	if f.s3 != nil {
		return s3Blob{f}, nil
	}
	fh, err := os.Open(f.key)
	if err != nil {
		return nil, err
	}
	return localBlob{fh}, nil
}

// fileFormat is what a data file holds.
type fileFormat uint8

const (
	formatParquet fileFormat = iota + 1
	formatArrow
)

// footerRead is how much of a file's end the first read of its footer
// takes: the whole footer of a typical converted file, so one GET.
const footerRead = 64 << 10

// readFooter reads the end of a file — one read of its last footerRead
// bytes, a second one only for a larger Parquet footer — and returns what
// the file is and, for Parquet, its metadata.
func readFooter(ctx context.Context, b blob, f *dataFile) (fileFormat, *metadata.FileMetaData, error) {
	if f.size < int64(len(parquetMagic))*2 {
		return 0, nil, fmt.Errorf("%s: not a Parquet or Arrow file (%d bytes)", f.name, f.size)
	}
	n := min(f.size, footerRead)
	// The tail goes back to the page pool: arrow-go's metadata decoder
	// copies what it keeps of it (strings, binary statistics).
	tail := pagePool.take(int(n))
	defer pagePool.Free(tail)
	if err := b.readAt(ctx, tail, f.size-n); err != nil {
		return 0, nil, fmt.Errorf("%s: reading the footer: %w", f.name, err)
	}
	if bytes.HasSuffix(tail, arrowMagic) {
		return formatArrow, nil, nil
	}
	if !bytes.HasSuffix(tail, parquetMagic) {
		return 0, nil, fmt.Errorf("%s: not a Parquet or Arrow file (converted output holds only those; names starting with . or _ are skipped)", f.name)
	}
	mlen := int64(binary.LittleEndian.Uint32(tail[n-8:]))
	if mlen+8 > f.size {
		return 0, nil, fmt.Errorf("%s: corrupt Parquet footer (metadata of %d bytes in a file of %d)", f.name, mlen, f.size)
	}
	var meta []byte
	if mlen+8 <= n {
		meta = tail[n-8-mlen : n-8]
	} else {
		meta = make([]byte, mlen)
		if err := b.readAt(ctx, meta, f.size-8-mlen); err != nil {
			return 0, nil, fmt.Errorf("%s: reading the footer: %w", f.name, err)
		}
	}
	md, err := metadata.NewFileMetaData(meta, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: corrupt Parquet footer: %w", f.name, err)
	}
	return formatParquet, md, nil
}

// readerAt adapts b, of size bytes, to the io.ReaderAt and io.Seeker the
// Parquet and Arrow readers want, within ctx.
func readerAt(ctx context.Context, b blob, size int64) *rangeio.Reader {
	return &rangeio.Reader{Size: size, Fill: func(p []byte, off int64) error { return b.readAt(ctx, p, off) }}
}

// span is a byte range of a file held in memory.
type span struct {
	off  int64
	data []byte
}

// prefetched is a blob whose ranges a row group needs were read ahead
// (for S3: concurrently, adjacent ranges in one GET); reads outside them
// go to the underlying blob.
type prefetched struct {
	base  blob
	spans []span // sorted by off, disjoint
}

func (p *prefetched) readAt(ctx context.Context, dst []byte, off int64) error {
	i := sort.Search(len(p.spans), func(i int) bool { return p.spans[i].off+int64(len(p.spans[i].data)) > off })
	if i < len(p.spans) {
		s := p.spans[i]
		if off >= s.off && off+int64(len(dst)) <= s.off+int64(len(s.data)) {
			copy(dst, s.data[off-s.off:])
			return nil
		}
	}
	return p.base.readAt(ctx, dst, off)
}

func (p *prefetched) close() {}

// byteRange is a range of a file to read: [off, off+n).
type byteRange struct{ off, n int64 }

// coalesce sorts ranges and merges those less than gap apart.
func coalesce(rs []byteRange, gap int64) []byteRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].off < rs[j].off })
	var out []byteRange
	for _, r := range rs {
		if k := len(out); k > 0 && r.off <= out[k-1].off+out[k-1].n+gap {
			end := max(out[k-1].off+out[k-1].n, r.off+r.n)
			out[k-1].n = end - out[k-1].off
			continue
		}
		out = append(out, r)
	}
	return out
}
