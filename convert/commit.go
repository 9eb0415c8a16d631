package convert

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/s3logs/s3logs/sink"
)

// errConflict is returned by a batch's build when another run committed
// some of its lines first.
var errConflict = errors.New("lines converted by another run")

// batch is one worker's commit: closed output files and the lines whose
// records (those passing the filter) they hold, and no other record.
type batch struct {
	id     string
	files  []pendingFile
	ranges map[*objState][]span
}

// took records that w processed lines first..last of obj, of which those
// not in done (converted already) have their records in w's files.
func (w *worker) took(obj *objState, first, last int64, done []span) {
	w.c.saw(obj, first, last)
	for _, s := range subSpans([]span{{first, last}}, done) {
		w.ranges[obj] = addSpan(w.ranges[obj], s)
	}
}

// commitBatch stages b's files (invisible), commits them to the log with
// their line ranges, then publishes them. A kill before the commit leaves
// only staged files, which the next run drops; a kill after it leaves a
// committed batch whose files the next run publishes. So a file is visible
// only once the manifest counts it. If another run committed some of b's
// lines first, b is dropped and its objects are left incomplete for the
// next round.
func (c *converter) commitBatch(ctx context.Context, b *batch) error {
	staged := make([]sink.Staged, 0, len(b.files))
	files := make([]File, len(b.files))
	for i, f := range b.files {
		s, err := c.dest.Stage(ctx, f.local, f.Name)
		if err != nil {
			c.discard(ctx, staged)
			// Another run may have taken this one for dead and aborted its
			// uploads: say so rather than how the upload failed.
			if c.log.sync(ctx) == nil {
				c.log.st.mu.RLock()
				ferr := c.fencedErr(c.log.st)
				c.log.st.mu.RUnlock()
				if ferr != nil {
					return ferr
				}
			}
			return fmt.Errorf("staging %s: %w", f.Name, err)
		}
		staged = append(staged, s)
		files[i] = f.File
		files[i].Stage = &staged[i]
	}
	c.mu.Lock()
	c.staged[b.id] = staged
	c.mu.Unlock()
	var ranges []LineRange
	for o, rs := range b.ranges {
		for _, r := range rs {
			ranges = append(ranges, LineRange{Object: o.id, First: r.first, Last: r.last})
		}
	}
	sort.Slice(ranges, func(i, j int) bool {
		return ranges[i].Object < ranges[j].Object || ranges[i].Object == ranges[j].Object && ranges[i].First < ranges[j].First
	})
	e, err := c.log.commit(ctx, func(st *state) (*Entry, error) {
		if err := c.fencedErr(st); err != nil {
			return nil, err
		}
		for o, rs := range b.ranges {
			if overlaps(st.done(o.id, o.key, o.inShard), rs) {
				return nil, errConflict
			}
		}
		e := &Entry{Run: c.opts.RunID, Format: c.opts.Format.String(), Filter: c.opts.FilterText,
			ID: b.id, Files: files, Ranges: ranges}
		e.Complete = c.completions(st, b.ranges)
		e.Published = c.confirmedIDs()
		return e, nil
	})
	if errors.Is(err, errConflict) {
		c.mu.Lock()
		delete(c.staged, b.id)
		c.mu.Unlock()
		c.discard(ctx, staged)
		c.dropped.Add(1)
		c.conflicts.Add(1)
		return nil
	}
	if err != nil {
		return err // settle publishes or drops the staged files
	}
	c.committed(e)
	for _, s := range staged {
		if err := c.dest.Publish(ctx, s); err != nil {
			return err
		}
	}
	c.mu.Lock()
	delete(c.staged, b.id)
	c.confirmed = append(c.confirmed, b.id)
	c.mu.Unlock()
	for _, f := range files {
		c.files.Add(1)
		c.rows.Add(f.Rows)
		c.bytes.Add(f.Bytes)
	}
	return c.maybeCheckpoint(ctx, false)
}

// fencedErr returns ErrFenced, saying why, if the log fenced this run.
func (c *converter) fencedErr(st *state) error {
	if _, ok := st.fenced[c.opts.RunID]; ok {
		return fmt.Errorf("%s: run %s: %w (no heartbeat seen for its lease, %v); run convert again to convert the rest",
			c.dest, c.opts.RunID, ErrFenced, c.opts.Lease)
	}
	return nil
}

func (c *converter) discard(ctx context.Context, staged []sink.Staged) {
	for _, s := range staged {
		c.dest.Discard(ctx, s)
	}
}

func (c *converter) maybeCheckpoint(ctx context.Context, final bool) error {
	if !c.log.checkpointDue(final) {
		return nil
	}
	return c.log.checkpoint(ctx)
}

// completions returns the objects that are done (every chunk processed)
// and whose every processed line is converted, by the log st or by extra
// (a batch about to be committed). It runs inside a commit's build.
func (c *converter) completions(st *state, extra map[*objState][]span) []Done {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Done
	for o := range c.waiting {
		have := st.done(o.id, o.key, o.inShard)
		if len(have) == 1 && have[0] == allLines[0] {
			continue // completed by another run: committed drops it
		}
		for _, r := range extra[o] {
			have = addSpan(have, r)
		}
		if len(subSpans(o.seen, have)) == 0 {
			out = append(out, Done{Object: o.id, Lines: o.lines, Shard: c.shard})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out
}

// confirmedIDs returns the batches published and not yet confirmed; they
// are confirmed by the entry being built, if it is committed.
func (c *converter) confirmedIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.confirmed...)
}

// committed updates the run's books after e was committed: its complete
// objects and confirmed batches, and waiting objects that another run
// completed meanwhile.
func (c *converter) committed(e *Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range e.Complete {
		if o := c.objs[d.Object]; o != nil {
			delete(c.objs, d.Object)
			delete(c.waiting, o)
			c.completed.Add(1)
		}
	}
	if len(e.Published) > 0 {
		done := map[string]bool{}
		for _, id := range e.Published {
			done[id] = true
		}
		keep := c.confirmed[:0]
		for _, id := range c.confirmed {
			if !done[id] {
				keep = append(keep, id)
			}
		}
		c.confirmed = keep
	}
	st := c.log.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	for o := range c.waiting {
		if _, ok := st.complete[o.id]; ok || st.covered(o.id, o.key, o.inShard) {
			delete(c.objs, o.id)
			delete(c.waiting, o)
		}
	}
}

// finish commits what the round's batches left to say: objects now
// complete, batches published, and the sources' new floors.
func (c *converter) finish(ctx context.Context) error {
	e, err := c.log.commit(ctx, func(st *state) (*Entry, error) {
		if err := c.fencedErr(st); err != nil {
			return nil, err
		}
		e := &Entry{Run: c.opts.RunID}
		e.Complete = c.completions(st, nil)
		e.Published = c.confirmedIDs()
		e.Floors = c.floors(st, e)
		if len(e.Complete) == 0 && len(e.Published) == 0 && len(e.Floors) == 0 {
			return nil, nil
		}
		return e, nil
	})
	if err != nil {
		return err
	}
	if e != nil {
		c.committed(e)
		if len(e.Floors) > 0 {
			// A floor rose: a checkpoint now drops the objects below it,
			// which the next run then does not read.
			return c.log.checkpoint(ctx)
		}
	}
	return c.maybeCheckpoint(ctx, true)
}

// floors returns the high-water marks this run may raise, given the log st
// and the entry e that will say so. A run that listed a source from at
// most its floor, with every object it listed complete, knows that every
// object with a key time before (newest listed - lateness) is complete: an
// object is listable by lateness after its key time, so any such object
// existed when this run listed and this run had it. Objects this run left
// incomplete, and objects in batches of other runs not yet published (a
// killed run's batch may still be revoked), hold the floor below them.
func (c *converter) floors(st *state, e *Entry) []Floor {
	c.mu.Lock()
	defer c.mu.Unlock()
	completing := map[string]bool{}
	for _, d := range e.Complete {
		completing[d.Object] = true
	}
	confirming := map[string]bool{}
	for _, id := range e.Published {
		confirming[id] = true
	}
	var out []Floor
	for k, cv := range c.cov {
		old, had := st.floors[k]
		if !c.listFrom.IsZero() && (!had || c.listFrom.After(old.Floor)) {
			continue // did not list the whole range above the floor
		}
		f := cv.newest.Add(-c.lateness)
		for _, o := range c.objs {
			if o.src == k.source && !completing[o.id] && o.key.Layout != 0 && o.key.Time.Before(f) {
				f = o.key.Time
			}
		}
		for id, b := range st.unpublished {
			if confirming[id] {
				continue
			}
			for _, r := range b.Ranges {
				if ok := contains(k.source, r.Object); ok {
					if kt := keyOf(r.Object); kt.Layout != 0 && kt.Time.Before(f) {
						f = kt.Time
					}
				}
			}
		}
		if had && !f.After(old.Floor) {
			continue
		}
		newest := cv.newest
		if had && old.Newest.After(newest) {
			newest = old.Newest
		}
		out = append(out, Floor{Source: k.source, Shard: k.shard, Floor: f.UTC(), Newest: newest.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// settle runs when Convert returns, however: batches of this run that were
// committed are published (and said so), staged files of batches that were
// not are dropped, and so are this run's unfinished uploads nobody counts.
func (c *converter) settle(ctx context.Context) {
	c.mu.Lock()
	pending := c.staged
	c.staged = map[string][]sink.Staged{}
	c.mu.Unlock()
	if len(pending) > 0 {
		// A commit whose answer was lost may have landed: read the log.
		c.log.sync(ctx)
	}
	st := c.log.st
	for id, staged := range pending {
		st.mu.RLock()
		_, committed := st.unpublished[id]
		st.mu.RUnlock()
		if !committed {
			c.discard(ctx, staged)
			continue
		}
		ok := true
		for _, s := range staged {
			if c.dest.Publish(ctx, s) != nil {
				ok = false
			}
		}
		if ok {
			c.mu.Lock()
			c.confirmed = append(c.confirmed, id)
			c.mu.Unlock()
		}
	}
	if ids := c.confirmedIDs(); len(ids) > 0 {
		e, err := c.log.commit(ctx, func(*state) (*Entry, error) {
			return &Entry{Run: c.opts.RunID, Published: ids}, nil
		})
		if err == nil {
			c.committed(e)
		}
	}
	// Uploads this run started and lost track of (an answer lost).
	if un, err := c.dest.Unfinished(ctx); err == nil {
		refs := c.references()
		for _, s := range un {
			if runOf(s.Name) == c.opts.RunID && !refs[s.Upload] {
				c.dest.Discard(ctx, s)
			}
		}
	}
}

// references returns the uploads that committed batches not yet published
// name: they must be published, never aborted.
func (c *converter) references() map[string]bool {
	st := c.log.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	refs := map[string]bool{}
	for _, b := range st.unpublished {
		for _, f := range b.Files {
			if f.Stage != nil && f.Stage.Upload != "" {
				refs[f.Stage.Upload] = true
			}
		}
	}
	return refs
}

// recover finishes what earlier runs that died left behind, before this
// run starts: it publishes their committed batches (revoking those whose
// staging is gone), fences them in the log so that a run wrongly taken for
// dead can commit nothing more, aborts their unfinished uploads that no
// batch names, and removes their run directories. Runs that seem alive
// are left alone (Result.Waiting).
func (c *converter) recover(ctx context.Context) error {
	self := c.opts.RunID
	st := c.log.st
	batches := map[string][]*Entry{} // by run
	st.mu.RLock()
	for _, b := range st.unpublished {
		if b.Run != self {
			batches[b.Run] = append(batches[b.Run], b)
		}
	}
	st.mu.RUnlock()
	uploads := map[string][]sink.Staged{}
	// Without the right to list uploads (s3:ListBucketMultipartUploads)
	// they cannot be aborted either: the run goes on without.
	un, _ := c.dest.Unfinished(ctx)
	for _, s := range un {
		if r := runOf(s.Name); r != "" && r != self {
			uploads[r] = append(uploads[r], s)
		}
	}
	runs, err := c.dest.Runs(ctx)
	if err != nil {
		return err
	}
	cand := map[string]bool{}
	for r := range batches {
		cand[r] = true
	}
	for r := range uploads {
		cand[r] = true
	}
	for _, r := range runs {
		if r != self {
			cand[r] = true
		}
	}
	if len(cand) == 0 {
		return nil
	}
	list := make([]string, 0, len(cand))
	for r := range cand {
		list = append(list, r)
	}
	sort.Strings(list)
	alive, err := c.dest.Alive(ctx, list)
	if err != nil {
		return err
	}
	var dead, fence []string
	for _, r := range list {
		switch {
		case alive[r] && (len(batches[r]) > 0 || len(uploads[r]) > 0):
			c.res.Waiting = append(c.res.Waiting, r)
		case !alive[r]:
			dead = append(dead, r)
			if len(batches[r]) > 0 || len(uploads[r]) > 0 {
				fence = append(fence, r)
			}
		}
	}
	if len(fence) > 0 {
		isFenced := map[string]bool{}
		for _, r := range fence {
			isFenced[r] = true
		}
		// Publish their batches, fence them, and publish any batch of theirs
		// that landed before the fence did.
		first := true
		for {
			var todo []*Entry
			st.mu.RLock()
			for _, b := range st.unpublished {
				if isFenced[b.Run] {
					todo = append(todo, b)
				}
			}
			st.mu.RUnlock()
			if len(todo) == 0 && !first {
				break
			}
			published, revoked, err := c.finishBatches(ctx, todo)
			if err != nil {
				return err
			}
			var fenceNow []string
			if first {
				fenceNow = fence
			}
			first = false
			e, err := c.log.commit(ctx, func(st *state) (*Entry, error) {
				return &Entry{Run: self, Fence: fenceNow, Published: published, Revoked: revoked}, nil
			})
			if err != nil {
				return err
			}
			_ = e
			c.res.Recovered += len(published)
			c.res.Revoked += len(revoked)
		}
		refs := c.references()
		for _, r := range fence {
			for _, s := range uploads[r] {
				if !refs[s.Upload] {
					if err := c.dest.Discard(ctx, s); err != nil {
						return err
					}
					c.res.Aborted++
				}
			}
		}
	}
	for _, r := range dead {
		ok, err := c.dest.Clean(ctx, r)
		if err != nil {
			return err
		}
		if ok {
			c.res.Cleaned++
		}
	}
	return nil
}

// finishBatches publishes the files of committed batches of dead runs. A
// batch whose staging is gone is revoked: its visible files are removed
// first, so that no row the manifest will not count stays visible.
func (c *converter) finishBatches(ctx context.Context, bs []*Entry) (published, revoked []string, err error) {
	for _, b := range bs {
		lost := false
		for _, f := range b.Files {
			if f.Stage == nil {
				continue
			}
			err := c.dest.Publish(ctx, *f.Stage)
			if errors.Is(err, sink.ErrStagedLost) {
				lost = true
				continue
			}
			if err != nil {
				return nil, nil, err
			}
		}
		if !lost {
			published = append(published, b.ID)
			continue
		}
		for _, f := range b.Files {
			if err := c.dest.Remove(ctx, f.Name); err != nil {
				return nil, nil, err
			}
		}
		revoked = append(revoked, b.ID)
	}
	return published, revoked, nil
}
