package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// runDirs keeps one private directory per run under root, <root>/<run>/,
// beside <root>/<run>.lock, which the run holds locked (flock) for as long
// as it lives: the kernel drops the lock when the process dies, however it
// dies, so another process can tell a live run's directory from a dead
// one's without guessing from ages. The lock file is created and locked
// under a temporary name and renamed into place before the directory
// exists, so a run directory never appears without its lock held.
type runDirs struct {
	root string
}

// errNoLocks is returned by tryLock where file locks do not exist
// (flock_other.go).
var errNoLocks = errors.New("file locks are not supported on this system")

func (r runDirs) lockPath(run string) string { return filepath.Join(r.root, run+".lock") }

// join creates run's lock and directory and returns the directory and a
// function that removes the lock and releases it (the directory stays for
// clean).
func (r runDirs) join(run string) (string, func(), error) {
	if run == "" || strings.ContainsAny(run, `/\`) || strings.HasPrefix(run, ".") {
		return "", nil, fmt.Errorf("bad run ID %q", run)
	}
	if err := os.MkdirAll(r.root, 0o700); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(r.root, ".lock-*")
	if err != nil {
		return "", nil, err
	}
	fail := func(err error) (string, func(), error) {
		f.Close()
		os.Remove(f.Name())
		return "", nil, err
	}
	if ok, err := tryLock(f); !ok && !errors.Is(err, errNoLocks) {
		return fail(fmt.Errorf("locking %s: %v", f.Name(), err))
	}
	if err := os.Rename(f.Name(), r.lockPath(run)); err != nil {
		return fail(err)
	}
	dir := filepath.Join(r.root, run)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		os.Remove(r.lockPath(run))
		f.Close()
		return "", nil, err
	}
	release := func() {
		os.Remove(r.lockPath(run))
		f.Close()
	}
	return dir, release, nil
}

// alive reports whether run's lock is held.
func (r runDirs) alive(run string) bool {
	f, err := os.Open(r.lockPath(run))
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLock(f)
	return err != nil || !ok // an error locking: assume alive
}

// runs lists the runs with a directory or a lock under root.
func (r runDirs) runs() ([]string, error) {
	ents, err := os.ReadDir(r.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if run, ok := strings.CutSuffix(name, ".lock"); ok && !e.IsDir() {
			seen[run] = true
		} else if e.IsDir() {
			seen[name] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// clean removes run's directory and lock unless run holds the lock; it
// holds the lock itself meanwhile, so the run cannot come back.
func (r runDirs) clean(run string) (bool, error) {
	if run == "" || strings.ContainsAny(run, `/\`) || strings.HasPrefix(run, ".") {
		return false, fmt.Errorf("bad run ID %q", run)
	}
	f, err := os.Open(r.lockPath(run))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No lock: the run never got past join, or released it.
	case err != nil:
		return false, err
	default:
		defer f.Close()
		ok, err := tryLock(f)
		if errors.Is(err, errNoLocks) {
			return false, nil
		}
		if err != nil || !ok {
			return false, err
		}
	}
	if err := os.RemoveAll(filepath.Join(r.root, run)); err != nil {
		return false, err
	}
	if err := os.Remove(r.lockPath(run)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// sweepAge is how old an unlocked temporary file must be to be swept: a
// new one is locked right after it is created, but not in the same step.
const sweepAge = 10 * time.Second

// sweep removes the lock files being made (.lock-*) under root that no
// process holds locked: leftovers of processes killed in join.
func (r runDirs) sweep() {
	ents, err := os.ReadDir(r.root)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, ".lock-") {
			continue
		}
		if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < sweepAge {
			continue
		}
		p := filepath.Join(r.root, name)
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if ok, _ := tryLock(f); ok {
			os.Remove(p)
		}
		f.Close()
	}
}
