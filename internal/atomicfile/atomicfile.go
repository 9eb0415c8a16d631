// Package atomicfile publishes local files so that a reader never sees a
// partial one: content is written to a private temporary file beside the
// destination, synced, and renamed (or hard-linked) into place only once
// complete. An interrupted or failed write leaves nothing at the
// destination. It is the one atomic-publish mechanism of s3logs: query and
// report outputs, and convert's local files and manifest.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExist is returned, wrapped, when the destination exists and the
// write must not replace it.
var ErrExist = fs.ErrExist

// File is a file being written for an atomic publish. Write to it, then
// call Commit; Abort (or a failed Commit) removes it. A File is not safe
// for concurrent use.
type File struct {
	f         *os.File
	bw        *bufio.Writer
	path      string
	noClobber bool
	done      bool
}

// Create starts a write of path. The temporary file is created in path's
// directory, readable only by the user (the data may be sensitive). With
// noClobber, Commit fails with ErrExist if path exists then — also when
// it was created during the write.
func Create(path string, noClobber bool) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{f: f, bw: bufio.NewWriterSize(f, 64<<10), path: path, noClobber: noClobber}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.bw.Write(p) }

// Commit flushes, syncs and closes the temporary file, then publishes it
// at the destination with mode 0644.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: Commit after Commit or Abort")
	}
	f.done = true
	err := f.bw.Flush()
	if err == nil {
		err = f.f.Sync()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = Publish(f.f.Name(), f.path, f.noClobber)
	}
	if err != nil {
		os.Remove(f.f.Name())
	}
	return err
}

// Abort discards the write. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// Publish moves the finished file tmp to path in one step, with mode 0644,
// creating path's directory. tmp must be on the same file system. With
// noClobber an existing path is never replaced: the file is hard-linked
// into place, which fails if path exists (where link is not supported,
// path is checked first, which leaves a small window). tmp is gone after
// a successful Publish.
func Publish(tmp, path string, noClobber bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if noClobber {
		err := os.Link(tmp, path)
		if err == nil {
			return os.Remove(tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExist)
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, ErrExist)
		}
	}
	return os.Rename(tmp, path)
}

// WriteFile writes what fn writes to path atomically (see Create).
func WriteFile(path string, noClobber bool, fn func(io.Writer) error) error {
	f, err := Create(path, noClobber)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
