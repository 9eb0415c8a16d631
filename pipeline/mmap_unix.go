//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pipeline

import (
	"bytes"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// pageSize is the alignment of a mapping's offset.
var pageSize = int64(os.Getpagesize())

// mappedFile is a local file read through mappings of its chunks.
type mappedFile struct {
	f    *os.File
	size int64 // the size at open: what is read
}

// mapping is one chunk's mapping.
type mapping struct{ data []byte }

// openMapped opens the local file name to be mapped if it is a regular,
// uncompressed file of at least minMapped bytes; it returns nil otherwise
// (and when it cannot open it): the file is then read.
func openMapped(name string) *mappedFile {
	if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".zst") {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil // the read path reports it
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < minMapped {
		f.Close()
		return nil
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); bytes.HasPrefix(magic[:n], gzipMagic) || bytes.HasPrefix(magic[:n], zstdMagic) {
		f.Close()
		return nil
	}
	return &mappedFile{f: f, size: fi.Size()}
}

// window maps the n bytes of the file at off and returns them with their
// mapping. Pages are faulted in as they are touched: MAP_POPULATE, which
// maps them at once, cost more system time (measured on Linux 6.18).
func (f *mappedFile) window(off, n int64) (*mapping, []byte, error) {
	start := off &^ (pageSize - 1)
	data, err := unix.Mmap(int(f.f.Fd()), start, int(off+n-start), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, &os.PathError{Op: "mmap", Path: f.f.Name(), Err: err}
	}
	return &mapping{data}, data[off-start:], nil
}

func (f *mappedFile) close() { f.f.Close() }

func (m *mapping) unmap() { _ = unix.Munmap(m.data) }
