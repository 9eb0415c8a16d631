package lake

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// pageAllocator is the memory.Allocator of the lake's Parquet page
// readers: it keeps the buffers they free (a page reader frees its
// decompression and page buffers when closed, once per column chunk) and
// hands them out again, so that reading a row group allocates no page
// buffer once the first few are made. Without it every column chunk's
// pages were new garbage (22.6 MB a query over 1M rows), and each
// collection also marked what the consumer holds.
//
// Buffers are kept by size class, powers of two from 4 KiB to 64 MiB, in
// sync.Pools (which drop them at a collection when nothing takes them);
// other sizes are allocated and freed as by Go. A buffer handed out again
// is cleared first, as a new one would be.
//
// It is safe because no value the lake hands on refers into a page once
// its unit is released: the Assembler copies every field of a record,
// strings of chunks not wholly dictionary encoded are copied into the
// worker's arena, and the dictionary and data pages a unit's batches
// refer to are freed only by parquetSource.release, after the consumer
// has read the unit's last record.
type pageAllocator struct {
	pools [poolClasses]sync.Pool
}

const (
	minPoolShift = 12 // 4 KiB
	poolClasses  = 15 // up to 64 MiB
)

// pagePool is the lake's one page allocator, shared by runs.
var pagePool = &pageAllocator{}

var _ memory.Allocator = (*pageAllocator)(nil)

// class returns the size class of a buffer of n bytes: the smallest power
// of two at least n, as a shift; false when n is outside the classes.
func class(n int) (int, bool) {
	if n <= 0 {
		return 0, false
	}
	s := max(bits.Len(uint(n-1)), minPoolShift)
	return s - minPoolShift, s-minPoolShift < poolClasses
}

func (a *pageAllocator) Allocate(size int) []byte {
	b, pooled := a.get(size)
	if pooled {
		clear(b)
	}
	return b
}

// take is Allocate without the clearing, for a caller that overwrites
// the buffer's bytes before it reads any.
func (a *pageAllocator) take(size int) []byte {
	b, _ := a.get(size)
	return b
}

// get returns a buffer of size bytes: from the pool of its class
// (pooled, its bytes as the last user left them), else newly made.
func (a *pageAllocator) get(size int) (b []byte, pooled bool) {
	c, ok := class(size)
	if !ok {
		return make([]byte, size), false
	}
	if p, _ := a.pools[c].Get().(*[]byte); p != nil {
		return (*p)[:size], true
	}
	return make([]byte, size, 1<<(c+minPoolShift)), false
}

// regrow returns b with length n: b itself if it has room, else a buffer
// of the pool (its bytes not cleared), b handed back.
func (a *pageAllocator) regrow(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	if b != nil {
		a.Free(b)
	}
	return a.take(n)
}

func (a *pageAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		n := len(b)
		b = b[:size]
		if size > n {
			clear(b[n:])
		}
		return b
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *pageAllocator) Free(b []byte) {
	c, ok := class(cap(b))
	if !ok || cap(b) != 1<<(c+minPoolShift) {
		return // not one of ours, or of no class: the collector's
	}
	b = b[:0]
	a.pools[c].Put(&b)
}
