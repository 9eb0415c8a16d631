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
	"time"

	"github.com/s3logs/s3logs/internal/atomicfile"
	"github.com/s3logs/s3logs/internal/awsconf"
)

// Errors of destinations.
var (
	// ErrExist is returned by Destination.Create when the name exists.
	ErrExist = errors.New("already exists")
	// ErrStagedLost is returned by Destination.Publish when the staged file
	// is gone (its temporary file was removed, its multipart upload
	// aborted) and nothing is at its name.
	ErrStagedLost = errors.New("staged file is gone")
)

// Destination is where converted files and the manifest go: a local
// directory or an S3 prefix. Names are slash-separated paths relative to
// the destination's root. Implementations must be safe for concurrent use,
// also by several processes at once (package convert's commit protocol
// rests on Create, Stage and Publish).
type Destination interface {
	// String returns the location, e.g. "./out" or "s3://bucket/prefix/".
	String() string

	// Join registers run at the destination until release is called, and
	// returns a private local directory for its files in progress. While
	// it is registered, Alive reports the run alive, to any process. A
	// local run holds a lock that the kernel drops when the process dies;
	// on S3 the run keeps a heartbeat object fresh, and a run killed
	// without release seems alive for up to lease after its last beat.
	// release does not remove the directory: Clean does.
	Join(ctx context.Context, run string, lease time.Duration) (tmp string, release func(), err error)
	// Alive reports which of runs are registered and alive.
	Alive(ctx context.Context, runs []string) (map[string]bool, error)
	// Runs lists the runs that left a registration or temporary files
	// behind, alive or not.
	Runs(ctx context.Context) ([]string, error)
	// Clean removes what run left behind (its temporary directory and
	// registration) unless it is alive; it reports whether run was gone.
	Clean(ctx context.Context, run string) (bool, error)

	// Stage makes the finished file local (inside a directory that Join
	// returned) ready to appear at name, still invisible to readers: kept
	// in the temporary directory, or uploaded as an unfinished multipart
	// upload. The Staged value says how to finish it, from any process.
	Stage(ctx context.Context, local, name string) (Staged, error)
	// Publish makes a staged file appear at its name in one step (a
	// rename, a completed upload). Publishing a file that already appeared
	// succeeds; if the staged data is gone and nothing is at the name, it
	// returns an error wrapping ErrStagedLost.
	Publish(ctx context.Context, s Staged) error
	// Discard drops a staged file that will not be published; a file
	// already gone is not an error.
	Discard(ctx context.Context, s Staged) error
	// Unfinished lists staged files that other processes can see and that
	// were neither published nor discarded: unfinished multipart uploads
	// under the prefix (S3). Local staged files live in run directories,
	// which Clean removes, so a local destination returns none.
	Unfinished(ctx context.Context) ([]Staged, error)

	// Create writes data at name in one step unless name exists, in which
	// case it returns an error wrapping ErrExist (O_EXCL semantics: a link
	// locally, If-None-Match: * on S3). Of concurrent Creates of one name,
	// exactly one succeeds.
	Create(ctx context.Context, name string, data []byte) error
	// WriteFile writes data at name in one step, replacing it.
	WriteFile(ctx context.Context, name string, data []byte) error
	// ReadFile returns the content of name; a missing name is an error
	// wrapping fs.ErrNotExist.
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// List returns the names under dir ("" for all), recursively, sorted,
	// leaving out names with a component starting with ".".
	List(ctx context.Context, dir string) ([]string, error)
	// ListAfter returns the files directly in dir whose base names sort
	// after after, sorted: one LIST request on S3, however long dir is.
	ListAfter(ctx context.Context, dir, after string) ([]FileInfo, error)
	// Remove deletes name; a missing name is not an error.
	Remove(ctx context.Context, name string) error
}

// Staged is a file made ready to publish by Destination.Stage. It is plain
// data (JSON), so that another process can publish or discard it.
type Staged struct {
	Name   string   `json:"name"`             // final name
	Local  string   `json:"local,omitempty"`  // local: path under the temporary root
	Upload string   `json:"upload,omitempty"` // S3: multipart upload ID
	Parts  []string `json:"parts,omitempty"`  // S3: the parts' ETags, in order
}

// FileInfo describes a file that ListAfter found.
type FileInfo struct {
	Name    string // relative to the destination's root
	Size    int64
	ModTime time.Time
}

// OpenDestination returns the Destination for loc: an s3://bucket/prefix/
// URL (using aws for the client) or a local directory, created if missing.
func OpenDestination(ctx context.Context, loc string, aws awsconf.Options) (Destination, error) {
	if strings.HasPrefix(loc, "s3://") {
		return NewS3Destination(ctx, loc, aws)
	}
	return NewLocalDestination(loc)
}

// LocalDestination is a directory. Runs keep their files in progress under
// <dir>/.s3logs/tmp/<run>/, so that publishing is a rename within one file
// system, next to <run>.lock, which the run holds locked while it is alive.
type LocalDestination struct {
	dir string
	tmp runDirs
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
	return &LocalDestination{dir: dir, tmp: runDirs{root: filepath.Join(dir, ".s3logs", "tmp")}}, nil
}

// String returns the directory.
func (d *LocalDestination) String() string { return d.dir }

// Join creates <dir>/.s3logs/tmp/<run>/, private to the user (0700): files
// in progress hold IP addresses, requester ARNs and keys. It first removes
// lock files that killed processes left half made in .s3logs/tmp.
func (d *LocalDestination) Join(_ context.Context, run string, _ time.Duration) (string, func(), error) {
	d.tmp.sweep()
	return d.tmp.join(run)
}

// Alive reports which runs hold their locks.
func (d *LocalDestination) Alive(_ context.Context, runs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(runs))
	for _, r := range runs {
		out[r] = d.tmp.alive(r)
	}
	return out, nil
}

// Runs lists the run directories and locks under .s3logs/tmp.
func (d *LocalDestination) Runs(context.Context) ([]string, error) { return d.tmp.runs() }

// Clean removes a dead run's directory and lock.
func (d *LocalDestination) Clean(_ context.Context, run string) (bool, error) {
	return d.tmp.clean(run)
}

func (d *LocalDestination) path(name string) (string, error) {
	if name == "" || path.IsAbs(name) || strings.Contains("/"+name+"/", "/../") {
		return "", fmt.Errorf("bad output name %q", name)
	}
	return filepath.Join(d.dir, filepath.FromSlash(name)), nil
}

// Stage leaves the file where it is (it must be in a run directory).
func (d *LocalDestination) Stage(_ context.Context, local, name string) (Staged, error) {
	if _, err := d.path(name); err != nil {
		return Staged{}, err
	}
	rel, err := filepath.Rel(d.tmp.root, local)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return Staged{}, fmt.Errorf("staging %s: not in %s", local, d.tmp.root)
	}
	return Staged{Name: name, Local: filepath.ToSlash(rel)}, nil
}

// Publish renames the staged file to its name (atomicfile.Publish), which
// makes it readable like any other output file.
func (d *LocalDestination) Publish(_ context.Context, s Staged) error {
	p, err := d.path(s.Name)
	if err != nil {
		return err
	}
	err = atomicfile.Publish(filepath.Join(d.tmp.root, filepath.FromSlash(s.Local)), p, false)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(p); serr == nil {
			return nil // published already
		}
		return fmt.Errorf("publishing %s: %w", s.Name, ErrStagedLost)
	}
	return err
}

// Discard removes the staged file.
func (d *LocalDestination) Discard(_ context.Context, s Staged) error {
	err := os.Remove(filepath.Join(d.tmp.root, filepath.FromSlash(s.Local)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Unfinished returns nothing: staged files are in run directories.
func (d *LocalDestination) Unfinished(context.Context) ([]Staged, error) { return nil, nil }

// Create writes data to name unless it exists (atomicfile with
// noClobber: a hard link, which fails if name exists), so name never holds
// part of data and of concurrent Creates exactly one succeeds.
func (d *LocalDestination) Create(_ context.Context, name string, data []byte) error {
	err := d.write(name, data, true)
	if errors.Is(err, atomicfile.ErrExist) {
		return fmt.Errorf("%s: %w", name, ErrExist)
	}
	return err
}

// WriteFile writes data to name atomically.
func (d *LocalDestination) WriteFile(_ context.Context, name string, data []byte) error {
	return d.write(name, data, false)
}

// write writes data to name with atomicfile.WriteFile, creating its
// directories; with noClobber it fails if name exists.
func (d *LocalDestination) write(name string, data []byte, noClobber bool) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, noClobber, func(w io.Writer) error {
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

// ListAfter reads dir.
func (d *LocalDestination) ListAfter(_ context.Context, dir, after string) ([]FileInfo, error) {
	p, err := d.path(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	for _, e := range ents { // sorted by name
		if e.Name() <= after || strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, FileInfo{Name: path.Join(dir, e.Name()), Size: info.Size(), ModTime: info.ModTime()})
	}
	return out, nil
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
