package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// Local files are mapped, not read: a regular, uncompressed local file (of
// 64 KiB or more) is mapped read-only one chunk at a time (openMapped, on unix), so the kernel
// does not copy every byte into a block buffer (that copy was ~28 % of a
// GROUP BY's CPU and ~43 % of a selective query's). Everything else — gzip
// and zstd files, stdin, FIFOs, S3, platforms without mmap — is read into
// pooled buffers by readObject.
//
// Memory: each chunk is a mapping of its own, of about a block, which takes
// a slot of the buffer pool and is unmapped when the chunk goes back to it:
// as many bytes are mapped as the pool would hold, whatever the file's
// size. (One mapping of the whole file, with MADV_DONTNEED behind the
// chunks, does not stay bounded: the page cache holds files in large
// folios, and a fault maps a whole folio back, pages of chunks already
// done included.)
//
// A file that shrinks while it is read raises SIGBUS on the mapped pages
// past its new end. The reader and the workers touch mapped chunks with
// debug.SetPanicOnFault set, so such a fault becomes ErrFileChanged for the
// object (a failed object under Config.SkipFailed), not a crash. Bytes
// appended after the file was opened are not read: the file is read to the
// size it had then.

// ErrFileChanged marks a local file that shrank while it was read: the
// pages past its new end could not be read.
var ErrFileChanged = errors.New("the file shrank while it was read")

// minMapped is the smallest file that is mapped: copying a smaller one
// costs about what mapping and unmapping it would.
const minMapped = 64 << 10

// isFault reports whether r, recovered from a panic, is a memory fault
// (debug.SetPanicOnFault).
func isFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// readMapped cuts the file f into chunks of whole lines, each a mapping of
// its own, and sends them to out, as readObject does for a file it reads.
// It closes f.
func readMapped(ctx context.Context, cfg *Config, f *mappedFile, st *objectState, pool *bufPool, out chan<- *chunk, stats *Stats) (err error) {
	defer f.close()
	var held *mapping // mapped here, not yet sent: unmapped on a return
	var taken *chunk  // taken from the pool, not yet sent
	defer func() {
		if held != nil {
			held.unmap()
		}
		if taken != nil {
			pool.put(taken)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			err = fmt.Errorf("%s: %w", st.obj.Name, ErrFileChanged)
		}
	}()
	window := func(off, n int64) ([]byte, error) {
		if held != nil {
			held.unmap()
			held = nil
		}
		m, b, err := f.window(off, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.obj.Name, err)
		}
		held = m
		return b, nil
	}
	size := f.size
	block := int64(pool.size)
	maxLine := int64(cfg.MaxLineSize)
	snd := newSender(ctx, cfg.Workers, st, pool, out)
	send := func(b []byte, last bool) error {
		cb, err := pool.get(ctx, 0)
		if err != nil {
			return err
		}
		cb.m, held = held, nil
		// Sending touches b (it sniffs the first chunk): a fault there
		// must still put cb back in the pool.
		taken = cb
		err = snd.send(cb, b, last)
		taken = nil
		return err
	}
	for pos := int64(0); ; {
		n := min(block, size-pos)
		b, err := window(pos, n)
		if err != nil {
			return err
		}
		end := n
		if pos+n < size {
			if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
				end = int64(i) + 1
			} else {
				// A line longer than a block: it may take up to maxLine
				// bytes and its line end.
				if lim := min(maxLine+1, size-pos); lim > n {
					if b, err = window(pos, lim); err != nil {
						return err
					}
					n = lim
				}
				if i := bytes.IndexByte(b[:min(n, maxLine+1)], '\n'); i >= 0 {
					end = int64(i) + 1
				} else if pos+maxLine+1 <= size {
					// Longer than MaxLineSize: rejected, and skipped to
					// its line end. The head is copied so that the
					// reject policy never touches the mapping.
					cb, err := pool.get(ctx, 512)
					if err != nil {
						return err
					}
					taken = cb
					cb.buf = cb.buf[:copy(cb.buf[:512], b)]
					taken = nil
					if err := snd.sendLong(cb); err != nil {
						return err
					}
					next := size
					for q := pos + maxLine + 1; q < size; {
						if b, err = window(q, min(block, size-q)); err != nil {
							return err
						}
						if i := bytes.IndexByte(b, '\n'); i >= 0 {
							next = q + int64(i) + 1
							break
						}
						q += int64(len(b))
					}
					stats.Bytes.Add(next - pos)
					if next == size {
						// The object ended inside the dropped line.
						if held != nil {
							held.unmap()
							held = nil
						}
						return send(nil, true)
					}
					pos = next
					continue
				}
				// Else the last line, without a line end.
			}
		}
		stats.Bytes.Add(end)
		if err := send(b[:end], pos+end == size); err != nil || pos+end == size {
			return err
		}
		pos += end
	}
}
