package pipeline

import (
	"bufio"
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
	return filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("source %s: %w", p, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := d.Name()
		if d.IsDir() {
			// Hidden directories (.git, a converter's .s3logs state) hold no logs.
			if p != s.path && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if p != s.path && strings.HasPrefix(name, ".") || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("source %s: %w", p, err)
		}
		o := Object{Name: p, Size: info.Size()}
		o.Key, _ = ParseKey(strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(p), ".gz"), ".zst"))
		return out(o)
	})
}

func (s *localStore) open(_ context.Context, o *Object) (io.ReadCloser, error) {
	if s.stdin != nil {
		return io.NopCloser(s.stdin), nil
	}
	return os.Open(o.Name)
}

// decompress wraps r by the object's name: .gz and .zst are decompressed.
// Truncated or corrupt compressed data surfaces as a read error. The caller
// closes the result (which does not close r).
func decompress(name string, r io.Reader) (io.ReadCloser, error) {
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(r), nil
}
