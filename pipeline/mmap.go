package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// Local files are mapped, not read: a regular, uncompressed local file is
// mapped read-only once (mapFile, on unix) and cut into chunks that are
// slices of the mapping, so the kernel does not copy every byte into a
// block buffer (that copy was ~28 % of a GROUP BY's CPU and ~43 % of a
// selective query's). Everything else — gzip and zstd files, stdin, FIFOs,
// S3, platforms without mmap, a failed mmap — is read into pooled buffers
// by readObject.
//
// Memory: a mapped chunk still takes a slot of the buffer pool, so as many
// chunks are in flight as with reads, and the pages of a chunk are dropped
// from the process (madvise MADV_DONTNEED) when it goes back to the pool:
// the resident set stays bounded by the pool, whatever the file's size.
// The mapping is unmapped when its last chunk and its reader are done.
//
// A file that shrinks while mapped would raise SIGBUS on the pages past its
// new end. The reader and the workers touch mapped chunks with
// debug.SetPanicOnFault set, so such a fault becomes ErrFileChanged for the
// object (a failed object under Config.SkipFailed), not a crash. Bytes
// appended after the file was opened are not read: the mapping covers the
// size the file had then.

// ErrFileChanged marks a local file that shrank while it was read: the
// pages past its new end could not be read.
var ErrFileChanged = errors.New("the file shrank while it was read")

// mapping is a read-only mapping of a whole local file, shared by its
// chunks.
type mapping struct {
	data []byte
	// refs counts the reader and the chunks not yet put back in the
	// pool; the last to let go unmaps.
	refs atomic.Int64
}

// release lets go of b, a chunk's slice of the mapping (nil for the
// reader): its pages leave the resident set, and the mapping is unmapped
// once nothing holds it.
func (m *mapping) release(b []byte) {
	if len(b) > 0 {
		m.drop(b)
	}
	if m.refs.Add(-1) == 0 {
		m.unmap()
	}
}

// isFault reports whether r, recovered from a panic, is a memory fault
// (debug.SetPanicOnFault).
func isFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// readMapped cuts the mapped file m into chunks of whole lines and sends
// them to out, as readObject does for a file it reads. Its reference to m
// is released when it returns.
func readMapped(ctx context.Context, cfg *Config, m *mapping, st *objectState, pool *bufPool, out chan<- *chunk, stats *Stats, h chunkHandler) (err error) {
	defer m.release(nil)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			err = fmt.Errorf("%s: %w", st.obj.Name, ErrFileChanged)
		}
	}()
	data := m.data
	line := int64(1)
	index := 0
	send := func(b []byte, last bool) error {
		cb, err := pool.get(ctx, 0)
		if err != nil {
			return err
		}
		m.refs.Add(1)
		cb.m = m
		cb.state, cb.first, cb.data, cb.index, cb.last = st, line, b, index, last
		if index == 0 {
			st.sniff = sniff(b)
			if !last {
				st.parts = make([]Part, cfg.Workers)
			}
		}
		line += int64(bytes.Count(b, []byte{'\n'}))
		index++
		if !last {
			st.pending.Add(1)
		}
		select {
		case out <- cb:
			return nil
		case <-ctx.Done():
			if !last {
				st.pending.Add(-1)
			}
			pool.put(cb)
			return ctx.Err()
		}
	}
	for pos := 0; ; {
		end := min(pos+pool.size, len(data))
		if end < len(data) {
			if i := bytes.LastIndexByte(data[pos:end], '\n'); i >= 0 {
				end = pos + i + 1
			} else if i := bytes.IndexByte(data[end:min(pos+cfg.MaxLineSize+1, len(data))], '\n'); i >= 0 {
				// A line longer than a block, not longer than MaxLineSize:
				// a chunk of its own.
				end += i + 1
			} else if pos+cfg.MaxLineSize+1 <= len(data) {
				// Longer than MaxLineSize: rejected and skipped. Its head
				// is copied so that the reject policy never faults.
				var head [512]byte
				n := copy(head[:], data[pos:])
				if err := h.tooLong(st, line, head[:n]); err != nil {
					return err
				}
				line++
				i := bytes.IndexByte(data[pos+cfg.MaxLineSize+1:], '\n')
				if i < 0 {
					stats.Bytes.Add(int64(len(data) - pos))
					return send(nil, true)
				}
				next := pos + cfg.MaxLineSize + 1 + i + 1
				stats.Bytes.Add(int64(next - pos))
				pos = next
				continue
			} else {
				end = len(data) // the last line, without a line end
			}
		}
		stats.Bytes.Add(int64(end - pos))
		if err := send(data[pos:end], end == len(data)); err != nil || end == len(data) {
			return err
		}
		pos = end
	}
}
