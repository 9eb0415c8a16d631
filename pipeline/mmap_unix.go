//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pipeline

import (
	"bytes"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// pageSize is the unit of madvise.
var pageSize = os.Getpagesize()

// mapFile maps the local file name whole, read-only, if it is a regular,
// uncompressed file that is not empty and fits the address space; it
// returns nil otherwise, and when mmap fails: the file is then read.
func mapFile(name string) *mapping {
	if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".zst") {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil // the read path reports it
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() != int64(int(fi.Size())) {
		return nil
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); bytes.HasPrefix(magic[:n], gzipMagic) || bytes.HasPrefix(magic[:n], zstdMagic) {
		return nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	// Read ahead; a failure only loses the hint.
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	m := &mapping{data: data}
	m.refs.Store(1)
	return m
}

// drop takes the pages of b, a slice of the mapping, out of the resident
// set. Pages that b shares with a neighbouring chunk still in use are
// dropped too: a read-only file mapping reads them back from the page cache
// on the next touch.
func (m *mapping) drop(b []byte) {
	off := cap(m.data) - cap(b) // b's offset in the mapping
	start := off &^ (pageSize - 1)
	end := min((off+len(b)+pageSize-1)&^(pageSize-1), len(m.data))
	_ = unix.Madvise(m.data[start:end], unix.MADV_DONTNEED)
}

func (m *mapping) unmap() { _ = unix.Munmap(m.data) }
