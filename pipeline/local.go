package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// localStore is a local file, a directory walked recursively, or stdin ("-").
type localStore struct {
	path  string
	stdin io.Reader
}

func newLocalStore(cfg *Config, src string) (store, error) {
	if src == "-" {
		if cfg.Stdin == nil {
			return nil, errors.New("stdin (-) is not available")
		}
		return &localStore{path: src, stdin: cfg.Stdin}, nil
	}
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("source %s: %w", src, errors.Unwrap(err))
	}
	return &localStore{path: src}, nil
}

func (s *localStore) list(ctx context.Context, _ Window, _ time.Duration, out func(Object) error) error {
	if s.stdin != nil {
		return out(Object{Name: "-", Size: -1})
	}
	// A source named explicitly is read whatever it is (a symlink, a FIFO
	// such as bash's <(zcat ...)): only a directory is walked.
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.path, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		o := Object{Name: s.path, Size: fi.Size()}
		if !fi.Mode().IsRegular() {
			o.Size = -1
		}
		o.Key, _ = ObjectKey(filepath.ToSlash(s.path))
		return out(o)
	}
	root := s.path
	if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		// A symbolic link to a directory is walked through: WalkDir does
		// not follow its root, a trailing separator makes it.
		root += string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("source %s: %w", p, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := d.Name()
		if d.IsDir() {
			// Hidden directories (.git, a converter's .s3logs state) hold no logs.
			if p != root && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if p != root && strings.HasPrefix(name, ".") || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("source %s: %w", p, err)
		}
		o := Object{Name: p, Size: info.Size()}
		o.Key, _ = ObjectKey(filepath.ToSlash(p))
		return out(o)
	})
}

func (s *localStore) open(ctx context.Context, o *Object) (io.ReadCloser, error) {
	if s.stdin != nil {
		return &ctxReader{ctx: ctx, r: s.stdin}, nil
	}
	f, err := os.Open(o.Name)
	if err != nil || o.Size >= 0 {
		return f, err
	}
	// A pipe may block for ever: reads must still end with the run.
	return &ctxReader{ctx: ctx, r: f, c: f}, nil
}

// ctxReader makes reads of a source that may block indefinitely (stdin, a
// FIFO) end when ctx is done. Each Read runs the underlying Read in a
// helper goroutine into a private buffer; when ctx ends first, Read returns
// ctx.Err() and the helper is abandoned, still blocked: nothing can
// interrupt a blocking read of stdin, and an interrupted run ends the
// process soon after. The copy costs little next to a pipe's speed.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	c   io.Closer // closed by Close, if not nil
	buf []byte
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if cap(r.buf) < len(p) {
		r.buf = make([]byte, len(p))
	}
	buf := r.buf[:len(p)]
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := r.r.Read(buf)
		done <- result{n, err}
	}()
	select {
	case res := <-done:
		return copy(p, buf[:res.n]), res.err
	case <-r.ctx.Done():
		r.buf = nil // the abandoned helper still owns it
		return 0, r.ctx.Err()
	}
}

func (r *ctxReader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// Magic numbers that open a gzip member and a zstd frame.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress wraps r by the object's content or name: data that starts
// with the gzip or zstd magic number is decompressed whatever the object is
// called (log shippers rename, S3 keys carry no suffix), and so is an
// object named .gz or .zst. Log lines are text and never start with those
// bytes. Truncated or corrupt compressed data surfaces as a read error. The
// caller closes the result (which does not close r).
func decompress(name string, r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// A short or failed peek is left to the reads that follow: they see
	// the same end or error.
	magic, _ := br.Peek(len(zstdMagic))
	switch {
	case bytes.HasPrefix(magic, gzipMagic) || strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, zstdMagic) || strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}
