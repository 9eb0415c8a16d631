// Package rangeio adapts a function that reads a byte range of an object
// of known size (a ranged GET, a local file's ReadAt) into the
// io.ReaderAt, io.Reader and io.Seeker that arrow-go's Parquet and Arrow
// IPC readers want. It is the one such adapter of s3logs: the lake's
// files and S3 Inventory's Parquet data files are read through it.
package rangeio

import (
	"errors"
	"io"
)

// Reader reads an object of Size bytes through Fill. ReadAt is safe for
// concurrent use when Fill is; Read and Seek share one offset and are
// not. The zero value reads an empty object.
type Reader struct {
	Size int64
	// Fill reads exactly len(p) bytes at off, where off+len(p) <= Size.
	Fill func(p []byte, off int64) error
	off  int64
}

var _ interface {
	io.ReaderAt
	io.ReadSeeker
} = (*Reader)(nil)

// errNegative is the cause of a read or seek before the start.
var errNegative = errors.New("offset before the start")

// ReadAt reads len(p) bytes at off, fewer (with io.EOF) past Size.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegative
	}
	if off >= r.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := min(int64(len(p)), r.Size-off)
	if err := r.Fill(p[:n], off); err != nil {
		return 0, err
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// Read is for readers that read a footer sequentially after a Seek.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	return n, err
}

// Seek sets the offset of the next Read.
func (r *Reader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.off
	case io.SeekEnd:
		off += r.Size
	default:
		return 0, errors.New("bad whence")
	}
	if off < 0 {
		return 0, errNegative
	}
	r.off = off
	return off, nil
}
