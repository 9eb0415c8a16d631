package convert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/s3logs/s3logs/sink"
)

// manifestLog is one process's handle on a destination's manifest: the
// state as far as this process knows it, and the commits it makes. It is
// safe for concurrent use; commits of one process are serialised.
type manifestLog struct {
	dest      sink.Destination
	st        *state
	mu        sync.Mutex // held while committing; st changes only under it
	synced    time.Time  // when st was last known to be the newest state
	retention time.Duration
	ckptEvery int // entries after which a checkpoint is due
}

// staleAfter is how old a process's knowledge of the log head may be when
// it commits. Older, it reads the log first: entries are deleted only
// after logRetention, so a commit never lands in the gap they leave.
const staleAfter = time.Hour

func openLog(ctx context.Context, d sink.Destination, retention time.Duration, ckptEvery int) (*manifestLog, error) {
	st, err := loadState(ctx, d)
	if err != nil {
		return nil, err
	}
	return &manifestLog{dest: d, st: st, synced: time.Now(), retention: retention, ckptEvery: ckptEvery}, nil
}

// replace makes l's state a freshly loaded one; the caller holds l.mu.
func (l *manifestLog) replace(n *state) {
	s := l.st
	s.mu.Lock()
	s.through, s.complete, s.ranges, s.floors = n.through, n.complete, n.ranges, n.floors
	s.unpublished, s.fenced, s.base, s.segments = n.unpublished, n.fenced, n.base, n.segments
	s.added, s.removed, s.tail, s.tailBytes, s.ckptBytes = n.added, n.removed, n.tail, n.tailBytes, n.ckptBytes
	s.mu.Unlock()
}

func (l *manifestLog) apply(e *Entry, n, size int64) {
	l.st.mu.Lock()
	l.st.apply(e, n, size)
	l.st.mu.Unlock()
}

// catchUp applies the entries committed after st.through; the caller
// holds l.mu.
func (l *manifestLog) catchUp(ctx context.Context) error {
	tail, err := l.dest.ListAfter(ctx, logDir, logName(l.st.through))
	if err != nil {
		return fmt.Errorf("reading the manifest: %w", err)
	}
	for _, fi := range tail {
		n, ok := seqOf(fi.Name)
		if !ok {
			continue
		}
		e, size, err := readEntry(ctx, l.dest, n)
		if n != l.st.through+1 || errors.Is(err, fs.ErrNotExist) {
			return l.reload(ctx)
		}
		if err != nil {
			return err
		}
		l.apply(e, n, size)
	}
	l.synced = time.Now()
	return nil
}

func (l *manifestLog) reload(ctx context.Context) error {
	st, err := loadState(ctx, l.dest)
	if err != nil {
		return err
	}
	l.replace(st)
	l.synced = time.Now()
	return nil
}

// sync brings the state up to date with the log.
func (l *manifestLog) sync(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.catchUp(ctx)
}

// commit appends to the log the entry that build returns, as entry
// through+1, created only if no other process created that number first.
// If one did, its entry is applied and build is asked again, so build
// always sees every earlier commit: it checks there that its commit still
// holds (no line converted twice) and returns nil to commit nothing. build
// runs with l.mu held and must not change anything outside the entry.
// commit returns the entry committed, or nil.
func (l *manifestLog) commit(ctx context.Context, build func(*state) (*Entry, error)) (*Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.synced) > staleAfter {
		if err := l.catchUp(ctx); err != nil {
			return nil, err
		}
	}
	for {
		e, err := build(l.st)
		if err != nil || e == nil {
			return nil, err
		}
		var nb [8]byte
		rand.Read(nb[:])
		e.Version, e.Nonce, e.Written = manifestVersion, hex.EncodeToString(nb[:]), time.Now().UTC()
		data, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		n := l.st.through + 1
		err = l.dest.Create(ctx, path.Join(logDir, logName(n)), data)
		if err == nil {
			l.apply(e, n, int64(len(data)))
			l.synced = time.Now()
			return e, nil
		}
		if !errors.Is(err, sink.ErrExist) {
			return nil, fmt.Errorf("committing to the manifest: %w", err)
		}
		other, size, err := readEntry(ctx, l.dest, n)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed already: this process was far behind.
			if err := l.reload(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		l.apply(other, n, size)
		l.synced = time.Now()
		if other.Nonce == e.Nonce {
			return e, nil // our own write, whose answer was lost and retried
		}
	}
}

// checkpointDue reports whether the log after the checkpoint is long
// enough to fold into a new one: many entries, or more bytes than the
// checkpoint itself (so the bytes written for checkpoints grow no faster
// than the log), or at the end of a run (final) a few entries.
func (l *manifestLog) checkpointDue(final bool) bool {
	l.st.mu.RLock()
	defer l.st.mu.RUnlock()
	s := l.st
	return s.tail >= l.ckptEvery || s.tailBytes >= max(256<<10, s.ckptBytes) || final && (s.tail >= 4 || s.tailBytes >= 64<<10)
}

// checkpoint writes the state as checkpoint through. Its files segments
// are those of the newest checkpoint, plus one with the files committed
// after it, so checkpoints form one chain even when several processes
// write them. Then it removes what the checkpoint makes unneeded (prune).
func (l *manifestLog) checkpoint(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ckpts, err := l.dest.ListAfter(ctx, checkpointDir, "")
	if err != nil {
		return err
	}
	var newest int64
	var newestName string
	for _, fi := range ckpts {
		if k, ok := seqOf(fi.Name); ok && k > newest {
			newest, newestName = k, fi.Name
		}
	}
	s := l.st
	s.mu.RLock()
	n, base, segs := s.through, s.base, s.segments
	s.mu.RUnlock()
	if newest >= n {
		return l.reload(ctx) // another process checkpointed as far
	}
	if newest != base {
		data, err := l.dest.ReadFile(ctx, newestName)
		if errors.Is(err, fs.ErrNotExist) {
			return l.reload(ctx)
		}
		if err != nil {
			return err
		}
		var c checkpoint
		if err := gunzipJSON(data, &c); err != nil {
			return fmt.Errorf("manifest %s: %w", newestName, err)
		}
		segs = c.Segments
	}
	var nb [4]byte
	rand.Read(nb[:])
	s.mu.Lock()
	var segData []byte
	if seg := s.segmentAfter(newest); len(seg.Added) > 0 || len(seg.Removed) > 0 {
		if segData, err = gzipJSON(seg); err != nil {
			s.mu.Unlock()
			return err
		}
		segs = append(segs[:len(segs):len(segs)], fmt.Sprintf("%020d-%x.json.gz", n, nb))
	}
	data, err := s.encode(time.Now().UTC(), segs)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if segData != nil {
		if err := l.dest.Create(ctx, path.Join(filesDir, segs[len(segs)-1]), segData); err != nil {
			return fmt.Errorf("writing a manifest checkpoint: %w", err)
		}
	}
	err = l.dest.Create(ctx, path.Join(checkpointDir, fmt.Sprintf("%020d.json.gz", n)), data)
	if errors.Is(err, sink.ErrExist) {
		return l.reload(ctx)
	}
	if err != nil {
		return fmt.Errorf("writing a manifest checkpoint: %w", err)
	}
	s.mu.Lock()
	s.base, s.segments, s.added, s.removed = n, segs, nil, nil
	s.tail, s.tailBytes, s.ckptBytes = 0, 0, int64(len(data))
	s.mu.Unlock()
	return l.prune(ctx, n, segs)
}

// segmentKeep is how old a files segment no checkpoint of this chain
// names must be before it is removed: one being written for a checkpoint
// is young.
const segmentKeep = 24 * time.Hour

// prune removes checkpoints older than the newest two, log entries that
// checkpoint n covers and that are older than the retention, and files
// segments of checkpoints never written (their writer died) as old.
func (l *manifestLog) prune(ctx context.Context, n int64, segs []string) error {
	ckpts, err := l.dest.ListAfter(ctx, checkpointDir, "")
	if err != nil {
		return err
	}
	for i := 0; i < len(ckpts)-2; i++ {
		if err := l.dest.Remove(ctx, ckpts[i].Name); err != nil {
			return err
		}
	}
	logs, err := l.dest.ListAfter(ctx, logDir, "")
	if err != nil {
		return err
	}
	for _, fi := range logs {
		if k, ok := seqOf(fi.Name); ok && k <= n && time.Since(fi.ModTime) > l.retention {
			if err := l.dest.Remove(ctx, fi.Name); err != nil {
				return err
			}
		}
	}
	used := map[string]bool{}
	for _, s := range segs {
		used[s] = true
	}
	files, err := l.dest.ListAfter(ctx, filesDir, "")
	if err != nil {
		return err
	}
	for _, fi := range files {
		if k, ok := seqOf(fi.Name); ok && k <= n && !used[path.Base(fi.Name)] && time.Since(fi.ModTime) > max(l.retention, segmentKeep) {
			if err := l.dest.Remove(ctx, fi.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
