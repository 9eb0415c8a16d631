package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/s3logs/s3logs/internal/atomicfile"
	"github.com/s3logs/s3logs/internal/awsconf"
)

// Destination is where converted files and the manifest go: a local
// directory or an S3 prefix. Names are slash-separated paths relative to
// the destination's root. Implementations must be safe for concurrent use.
type Destination interface {
	// String returns the location, e.g. "./out" or "s3://bucket/prefix/".
	String() string
	// TempDir returns a local directory, created if needed, for the
	// unpublished files of run runID.
	TempDir(runID string) (string, error)
	// RemoveTemp removes the temporary directories of runs whose ID starts
	// with prefix, except keep.
	RemoveTemp(prefix, keep string) error
	// Publish makes the local file at local appear at name in one step (a
	// rename, or a completed upload) and removes the local file. A failed
	// or interrupted Publish leaves nothing at name.
	Publish(ctx context.Context, local, name string) error
	// WriteFile writes data at name in one step.
	WriteFile(ctx context.Context, name string, data []byte) error
	// ReadFile returns the content of name.
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// List returns the names under dir ("" for all), recursively, sorted,
	// leaving out names with a component starting with ".".
	List(ctx context.Context, dir string) ([]string, error)
	// Remove deletes name; a missing name is not an error.
	Remove(ctx context.Context, name string) error
}

// OpenDestination returns the Destination for loc: an s3://bucket/prefix/
// URL (using aws for the client) or a local directory, created if missing.
func OpenDestination(ctx context.Context, loc string, aws awsconf.Options) (Destination, error) {
	if strings.HasPrefix(loc, "s3://") {
		return NewS3Destination(ctx, loc, aws)
	}
	return NewLocalDestination(loc)
}

// LocalDestination is a directory. Temporary files live under
// <dir>/.s3logs/tmp/<run>/ so that publishing is a rename within one file
// system.
type LocalDestination struct {
	dir string
}

var _ Destination = (*LocalDestination)(nil)

// NewLocalDestination returns a destination rooted at dir, creating it.
func NewLocalDestination(dir string) (*LocalDestination, error) {
	if dir == "" {
		return nil, errors.New("empty output directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &LocalDestination{dir: dir}, nil
}

// String returns the directory.
func (d *LocalDestination) String() string { return d.dir }

func (d *LocalDestination) tmpRoot() string { return filepath.Join(d.dir, ".s3logs", "tmp") }

// TempDir returns <dir>/.s3logs/tmp/<runID>, private to the user (0700):
// files in progress hold IP addresses, requester ARNs and keys.
func (d *LocalDestination) TempDir(runID string) (string, error) {
	p := filepath.Join(d.tmpRoot(), runID)
	if err := os.MkdirAll(d.tmpRoot(), 0o700); err != nil {
		return "", err
	}
	return p, os.MkdirAll(p, 0o700)
}

// RemoveTemp removes stale run directories under <dir>/.s3logs/tmp.
func (d *LocalDestination) RemoveTemp(prefix, keep string) error {
	ents, err := os.ReadDir(d.tmpRoot())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range ents {
		if e.Name() != keep && strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(d.tmpRoot(), e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *LocalDestination) path(name string) (string, error) {
	if name == "" || path.IsAbs(name) || strings.Contains("/"+name+"/", "/../") {
		return "", fmt.Errorf("bad output name %q", name)
	}
	return filepath.Join(d.dir, filepath.FromSlash(name)), nil
}

// Publish renames local to name, creating directories. In-progress files
// are private; published output is readable like any other file the user
// writes.
func (d *LocalDestination) Publish(_ context.Context, local, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	return atomicfile.Publish(local, p, false)
}

// WriteFile writes data to name atomically.
func (d *LocalDestination) WriteFile(_ context.Context, name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// ReadFile reads name.
func (d *LocalDestination) ReadFile(_ context.Context, name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// List walks dir.
func (d *LocalDestination) List(ctx context.Context, dir string) ([]string, error) {
	root := d.dir
	if dir != "" {
		p, err := d.path(dir)
		if err != nil {
			return nil, err
		}
		root = p
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p != root && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(d.dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Remove deletes name.
func (d *LocalDestination) Remove(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
