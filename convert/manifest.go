package convert

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// ManifestDir is the directory, under the destination root, of the
// manifest. Its leading underscore makes Hive-style readers (Athena,
// Trino, Spark) skip it. It holds:
//
//	log/<N>.json            commit N (N has 20 digits, from 1), written once
//	checkpoint/<N>.json.gz  the state after commit N, compacted
//	files/<N>-<x>.json.gz   output files committed since the previous checkpoint
const ManifestDir = "_manifest"

// LogDir is the directory of the manifest's log entries.
const LogDir = ManifestDir + "/log"

const (
	logDir        = LogDir
	checkpointDir = ManifestDir + "/checkpoint"
	filesDir      = ManifestDir + "/files"
	// manifestVersion is the version of entries and checkpoints.
	manifestVersion = 2
)

func logName(n int64) string { return fmt.Sprintf("%020d.json", n) }

// seqOf reads the number of a log, checkpoint or files name: 20 digits,
// then "." or "-".
func seqOf(name string) (int64, bool) {
	base := path.Base(name)
	if len(base) < 21 || base[20] != '.' && base[20] != '-' {
		return 0, false
	}
	n, err := strconv.ParseInt(base[:20], 10, 64)
	return n, err == nil && n > 0
}

// Entry is one commit of the manifest's log. Entries are numbered from 1
// without gaps; each is created with a conditional write (sink's Create),
// so of two processes committing at once one gets N and the other learns
// of it and tries N+1 after checking that its commit still holds. The
// manifest is the result of applying the entries in order.
type Entry struct {
	Version int       `json:"version"`
	Run     string    `json:"run"`
	Nonce   string    `json:"nonce"` // tells a retried write of this entry from another's
	Written time.Time `json:"written"`
	Format  string    `json:"format,omitempty"`
	Filter  string    `json:"filter,omitempty"`
	// ID names a batch: output files (Files) holding every record that
	// passed the filter of the line ranges Ranges, and no other record.
	// The files appear after the entry is committed; until an entry lists
	// ID in Published, any process may publish them from their staging.
	ID     string      `json:"id,omitempty"`
	Files  []File      `json:"files,omitempty"`
	Ranges []LineRange `json:"ranges,omitempty"`
	// Complete lists log objects now converted completely: every line is
	// in a range of this or an earlier entry.
	Complete []Done `json:"complete,omitempty"`
	// Floors are high-water marks: every object of a source (and shard)
	// whose key time is before Floor is complete.
	Floors []Floor `json:"floors,omitempty"`
	// Published lists batches whose files have all appeared.
	Published []string `json:"published,omitempty"`
	// Revoked lists batches whose files can no longer appear (their
	// staging is gone): their files and ranges no longer count.
	Revoked []string `json:"revoked,omitempty"`
	// Fence lists runs taken for dead: commits of theirs after this entry
	// are refused, so their staged files can be dropped.
	Fence []string `json:"fence,omitempty"`
}

// File is one output file.
type File struct {
	Name  string       `json:"name"`
	Rows  int64        `json:"rows"`
	Bytes int64        `json:"bytes"`
	Stage *sink.Staged `json:"stage,omitempty"` // how to publish it, until published
}

// LineRange is the lines First..Last (1-based, inclusive) of a log object,
// named by its identity (see the package doc).
type LineRange struct {
	Object string `json:"object"`
	First  int64  `json:"first"`
	Last   int64  `json:"last"`
}

// Done is a completely converted log object.
type Done struct {
	Object string `json:"object"`
	Lines  int64  `json:"lines"`           // its last line number
	Shard  string `json:"shard,omitempty"` // "I/N" when a run of shard I of N converted it
}

// Floor is a high-water mark of a source: every object of Source (whose
// identity it prefixes) in Shard ("I/N", or "" for all) with a key time
// before Floor is complete. Newest is the newest key time converted.
type Floor struct {
	Source string    `json:"source"`
	Shard  string    `json:"shard,omitempty"`
	Floor  time.Time `json:"floor"`
	Newest time.Time `json:"newest"`
}

type floorKey struct{ source, shard string }

// seqFile is an output file and the entry that added or revoked it.
type seqFile struct {
	seq int64
	File
}

// span is a range of line numbers, inclusive.
type span struct{ first, last int64 }

// state is the manifest after entry through: what the log says so far,
// in memory. Its fields are guarded by mu; the log applies entries with mu
// held for writing, readers (the workers) take it for reading.
type state struct {
	mu          sync.RWMutex
	through     int64
	complete    map[string]Done
	ranges      map[string][]span // objects not complete: committed lines
	floors      map[floorKey]Floor
	unpublished map[string]*Entry // batches whose files may not all have appeared
	fenced      map[string]time.Time

	// Since the checkpoint the state was read from.
	base      int64     // its number, 0 if none
	segments  []string  // its file segments
	added     []seqFile // files committed since
	removed   []seqFile // files revoked since
	tail      int       // entries since
	tailBytes int64
	ckptBytes int64 // size of that checkpoint
}

func newState() *state {
	return &state{complete: map[string]Done{}, ranges: map[string][]span{}, floors: map[floorKey]Floor{},
		unpublished: map[string]*Entry{}, fenced: map[string]time.Time{}}
}

// apply adds entry n; the caller holds mu for writing.
func (s *state) apply(e *Entry, n int64, size int64) {
	s.through = n
	s.tail++
	s.tailBytes += size
	for _, r := range e.Fence {
		s.fenced[r] = e.Written
	}
	if e.ID != "" {
		s.unpublished[e.ID] = e
		addRanges(s.ranges, e.Ranges)
		for _, f := range e.Files {
			s.added = append(s.added, seqFile{n, File{Name: f.Name, Rows: f.Rows, Bytes: f.Bytes}})
		}
	}
	for _, d := range e.Complete {
		s.complete[d.Object] = d
		delete(s.ranges, d.Object)
	}
	for _, f := range e.Floors {
		k := floorKey{f.Source, f.Shard}
		if old, ok := s.floors[k]; ok {
			if old.Floor.After(f.Floor) {
				f.Floor = old.Floor
			}
			if old.Newest.After(f.Newest) {
				f.Newest = old.Newest
			}
		}
		s.floors[k] = f
	}
	for _, id := range e.Published {
		delete(s.unpublished, id)
	}
	for _, id := range e.Revoked {
		s.revoke(id, n)
	}
}

// revoke takes back batch id: its files and line ranges no longer count.
// An object it helped complete is partial again: every line except the
// batch's was converted by other batches, which conflict checks keep
// disjoint.
func (s *state) revoke(id string, n int64) {
	b := s.unpublished[id]
	if b == nil {
		return // published or revoked already
	}
	delete(s.unpublished, id)
	for _, f := range b.Files {
		s.removed = append(s.removed, seqFile{n, File{Name: f.Name}})
	}
	for _, r := range b.Ranges {
		rs := s.ranges[r.Object]
		if d, ok := s.complete[r.Object]; ok {
			delete(s.complete, r.Object)
			rs = []span{{1, max(d.Lines, r.Last)}}
		}
		if rs = subSpans(rs, []span{{r.First, r.Last}}); len(rs) > 0 {
			s.ranges[r.Object] = rs
		} else {
			delete(s.ranges, r.Object)
		}
	}
}

// covered reports whether a floor says object id (with key k) is complete.
// inShard reports whether the object belongs to a shard ("I/N"); nil means
// unknown, and then only unsharded floors count.
func (s *state) covered(id string, k pipeline.KeyInfo, inShard func(spec string) bool) bool {
	if k.Layout == pipeline.LayoutUnknown || id == "" {
		return false
	}
	for fk, f := range s.floors {
		if !contains(fk.source, id) || fk.shard != "" && (inShard == nil || !inShard(fk.shard)) {
			continue
		}
		if (pipeline.Window{From: f.Floor}).Skip(k, 0) {
			return true
		}
	}
	return false
}

// done returns the lines of id that are converted, sorted and merged: all
// of them when id is complete. The caller holds mu.
func (s *state) done(id string, k pipeline.KeyInfo, inShard func(string) bool) []span {
	if _, ok := s.complete[id]; ok || s.covered(id, k, inShard) {
		return allLines
	}
	return s.ranges[id]
}

// allLines is every line of an object.
var allLines = []span{{1, 1<<63 - 1}}

// addSpan inserts r into sorted, merged spans, merging overlapping and
// adjacent ones.
func addSpan(rs []span, r span) []span { return addSpans(rs, []span{r}) }

// addSpans merges add (sorted by first) into rs (sorted and merged), in
// one pass into a new slice: rs is never written, for readers may hold it
// (state.done hands the state's spans out). Adding a log entry's spans
// one at a time copied rs for each: quadratic in an object's spans.
func addSpans(rs, add []span) []span {
	out := make([]span, 0, len(rs)+len(add))
	for len(rs) > 0 || len(add) > 0 {
		var r span
		if len(add) == 0 || len(rs) > 0 && rs[0].first <= add[0].first {
			r, rs = rs[0], rs[1:]
		} else {
			r, add = add[0], add[1:]
		}
		// first ≥ 1, so first-1 cannot overflow (last+1 can: allLines).
		if n := len(out); n > 0 && r.first-1 <= out[n-1].last {
			out[n-1].last = max(out[n-1].last, r.last)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// addRanges adds line ranges to ranges by object, each object's at once.
func addRanges(ranges map[string][]span, lrs []LineRange) {
	var add []span
	for i := 0; i < len(lrs); {
		j := i
		for add = add[:0]; j < len(lrs) && lrs[j].Object == lrs[i].Object; j++ {
			add = append(add, span{lrs[j].First, lrs[j].Last})
		}
		// Written sorted by object and first; an entry that is not is still read right.
		slices.SortFunc(add, func(a, b span) int { return cmp.Compare(a.first, b.first) })
		ranges[lrs[i].Object] = addSpans(ranges[lrs[i].Object], add)
		i = j
	}
}

// subSpans returns rs without the lines of sub (both sorted and merged).
func subSpans(rs, sub []span) []span {
	var out []span
	for _, r := range rs {
		for _, s := range sub {
			if s.last < r.first || s.first > r.last {
				continue
			}
			if s.first > r.first {
				out = append(out, span{r.first, s.first - 1})
			}
			r.first = s.last + 1
			if r.first > r.last {
				break
			}
		}
		if r.first <= r.last {
			out = append(out, r)
		}
	}
	return out
}

// overlaps reports whether two sorted, merged span lists share a line.
func overlaps(a, b []span) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].last < b[j].first:
			i++
		case b[j].last < a[i].first:
			j++
		default:
			return true
		}
	}
	return false
}

// inSpans reports whether line is in sorted, merged spans.
func inSpans(rs []span, line int64) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].last >= line })
	return i < len(rs) && rs[i].first <= line
}

// checkpoint is the stored form of a state: _manifest/checkpoint/<N>.json.gz.
// It leaves out complete objects that a floor covers: that is what keeps
// it, and so the start of a run, small however many objects were
// converted.
type checkpoint struct {
	Version     int                  `json:"version"`
	Through     int64                `json:"through"`
	Written     time.Time            `json:"written"`
	Segments    []string             `json:"segments,omitempty"` // names in files/, in order
	Floors      []Floor              `json:"floors,omitempty"`
	Complete    []Done               `json:"complete,omitempty"`
	Ranges      []LineRange          `json:"ranges,omitempty"`
	Unpublished []*Entry             `json:"unpublished,omitempty"`
	Fenced      map[string]time.Time `json:"fenced,omitempty"`
}

// segment is _manifest/files/<N>-<random>.json.gz: the output files
// committed after the previous checkpoint up to entry N, and the ones
// revoked. A checkpoint's segments are those of the newest checkpoint when
// it was written, and its own: one chain, which readers follow.
type segment struct {
	Added   []File   `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// segmentAfter returns the files added and revoked after entry m.
func (s *state) segmentAfter(m int64) segment {
	var seg segment
	for _, f := range s.added {
		if f.seq > m {
			seg.Added = append(seg.Added, f.File)
		}
	}
	for _, f := range s.removed {
		if f.seq > m {
			seg.Removed = append(seg.Removed, f.Name)
		}
	}
	return seg
}

// fenceKeep is how long a fence is kept: longer than any run stalls.
const fenceKeep = 7 * 24 * time.Hour

// compact drops what floors cover, stdin objects (which no later run can
// list again) and old fences; the caller holds mu.
func (s *state) compact(now time.Time) {
	for id := range s.ranges {
		if strings.HasPrefix(id, stdinPrefix) {
			delete(s.ranges, id)
		}
	}
	for id, d := range s.complete {
		if strings.HasPrefix(id, stdinPrefix) {
			delete(s.complete, id)
			continue
		}
		k := keyOf(id)
		shard := d.Shard
		if s.covered(id, k, func(spec string) bool { return spec == shard }) || s.coveredByAllShards(id, k) {
			delete(s.complete, id)
		}
	}
	for r, t := range s.fenced {
		if now.Sub(t) > fenceKeep {
			delete(s.fenced, r)
		}
	}
}

// coveredByAllShards reports whether, for some n, the floors of all n
// shards of a source cover id, whatever shard it belongs to.
func (s *state) coveredByAllShards(id string, k pipeline.KeyInfo) bool {
	type fam struct{ source, n string }
	have := map[fam]int{}
	for fk, f := range s.floors {
		i, n, ok := strings.Cut(fk.shard, "/")
		if !ok || !contains(fk.source, id) || i == "" || !(pipeline.Window{From: f.Floor}).Skip(k, 0) {
			continue
		}
		have[fam{fk.source, n}]++
	}
	for f, c := range have {
		if n, _ := strconv.Atoi(f.n); n > 0 && c == n {
			return true
		}
	}
	return false
}

// encode returns the checkpoint of s, compacted; the caller holds mu.
func (s *state) encode(now time.Time, segments []string) ([]byte, error) {
	s.compact(now)
	c := checkpoint{Version: manifestVersion, Through: s.through, Written: now, Segments: segments, Fenced: s.fenced}
	for _, f := range s.floors {
		c.Floors = append(c.Floors, f)
	}
	sort.Slice(c.Floors, func(i, j int) bool {
		return c.Floors[i].Source < c.Floors[j].Source || c.Floors[i].Source == c.Floors[j].Source && c.Floors[i].Shard < c.Floors[j].Shard
	})
	for _, d := range s.complete {
		c.Complete = append(c.Complete, d)
	}
	sort.Slice(c.Complete, func(i, j int) bool { return c.Complete[i].Object < c.Complete[j].Object })
	for o, rs := range s.ranges {
		for _, r := range rs {
			c.Ranges = append(c.Ranges, LineRange{Object: o, First: r.first, Last: r.last})
		}
	}
	sort.Slice(c.Ranges, func(i, j int) bool {
		return c.Ranges[i].Object < c.Ranges[j].Object || c.Ranges[i].Object == c.Ranges[j].Object && c.Ranges[i].First < c.Ranges[j].First
	})
	for _, e := range s.unpublished {
		c.Unpublished = append(c.Unpublished, e)
	}
	sort.Slice(c.Unpublished, func(i, j int) bool { return c.Unpublished[i].ID < c.Unpublished[j].ID })
	return gzipJSON(c)
}

// decodeState reads a checkpoint.
func decodeState(data []byte) (*state, error) {
	var c checkpoint
	if err := gunzipJSON(data, &c); err != nil {
		return nil, err
	}
	if c.Version != manifestVersion {
		return nil, fmt.Errorf("checkpoint version %d, want %d", c.Version, manifestVersion)
	}
	s := newState()
	s.through, s.base, s.segments, s.ckptBytes = c.Through, c.Through, c.Segments, int64(len(data))
	for _, f := range c.Floors {
		s.floors[floorKey{f.Source, f.Shard}] = f
	}
	for _, d := range c.Complete {
		s.complete[d.Object] = d
	}
	addRanges(s.ranges, c.Ranges)
	for _, e := range c.Unpublished {
		s.unpublished[e.ID] = e
	}
	for r, t := range c.Fenced {
		s.fenced[r] = t
	}
	return s, nil
}

func gzipJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func gunzipJSON(data []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, zr)
	return err
}

// Manifest is what a destination's manifest says about its output files,
// for readers: the files committed (which appear at once, or after a
// killed run, at the next run) and the objects converted.
type Manifest struct {
	files map[string]File
	st    *state
}

// ReadManifest reads the manifest at d: the newest checkpoint, the log
// entries after it, and the file lists of the checkpoints.
func ReadManifest(ctx context.Context, d sink.Destination) (*Manifest, error) {
	st, err := loadState(ctx, d)
	if err != nil {
		return nil, err
	}
	m := &Manifest{files: map[string]File{}, st: st}
	for _, n := range st.segments {
		data, err := d.ReadFile(ctx, path.Join(filesDir, n))
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		var seg segment
		if err := gunzipJSON(data, &seg); err != nil {
			return nil, fmt.Errorf("manifest: files %s: %w", n, err)
		}
		m.apply(seg)
	}
	m.apply(st.segmentAfter(0))
	return m, nil
}

func (m *Manifest) apply(seg segment) {
	for _, f := range seg.Added {
		m.files[f.Name] = File{Name: f.Name, Rows: f.Rows, Bytes: f.Bytes}
	}
	for _, n := range seg.Removed {
		delete(m.files, n)
	}
}

// Has reports whether output file name is part of the output.
func (m *Manifest) Has(name string) bool { _, ok := m.files[name]; return ok }

// Files returns the output files, sorted.
func (m *Manifest) Files() []File {
	out := make([]File, 0, len(m.files))
	for _, f := range m.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Rows returns the number of rows in the output.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, f := range m.files {
		n += f.Rows
	}
	return n
}

// Entries returns the number of the last log entry.
func (m *Manifest) Entries() int64 { return m.st.through }

// Unpublished returns the IDs of committed batches whose files may not all
// have appeared yet (their run is still publishing them, or was killed
// and the next run will).
func (m *Manifest) Unpublished() []string {
	var out []string
	for id := range m.st.unpublished {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// errLegacy marks a destination written by an s3logs whose manifest was a
// directory of JSON entries.
var errLegacy = errors.New("holds a manifest of an earlier s3logs version (_manifest/*.json); convert into a new location")

// loadState reads the newest checkpoint and the log after it. A log entry
// removed while it is read (the retention of an older checkpoint) means a
// newer checkpoint exists: it starts again from that.
func loadState(ctx context.Context, d sink.Destination) (*state, error) {
	for attempt := 0; ; attempt++ {
		st, err := tryLoadState(ctx, d)
		if errors.Is(err, errLogGap) && attempt < 5 {
			continue
		}
		return st, err
	}
}

var errLogGap = errors.New("gap in the manifest log")

func tryLoadState(ctx context.Context, d sink.Destination) (*state, error) {
	ckpts, err := d.ListAfter(ctx, checkpointDir, "")
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	st := newState()
	after := ""
	if len(ckpts) == 0 {
		top, err := d.ListAfter(ctx, ManifestDir, "")
		if err != nil {
			return nil, fmt.Errorf("reading the manifest: %w", err)
		}
		for _, fi := range top {
			if strings.HasSuffix(fi.Name, ".json") {
				return nil, fmt.Errorf("%s %w", d, errLegacy)
			}
		}
	}
	for i := len(ckpts) - 1; i >= 0; i-- {
		n, ok := seqOf(ckpts[i].Name)
		if !ok {
			continue
		}
		data, err := d.ReadFile(ctx, ckpts[i].Name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errLogGap // pruned meanwhile: a newer one exists
		}
		if err != nil {
			return nil, fmt.Errorf("reading the manifest: %w", err)
		}
		if st, err = decodeState(data); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", ckpts[i].Name, err)
		}
		st.through, st.tail, st.tailBytes = n, 0, 0
		after = logName(n)
		break
	}
	tail, err := d.ListAfter(ctx, logDir, after)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	for _, fi := range tail {
		n, ok := seqOf(fi.Name)
		if !ok {
			continue
		}
		if n != st.through+1 {
			return nil, errLogGap
		}
		e, size, err := readEntry(ctx, d, n)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errLogGap
		}
		if err != nil {
			return nil, err
		}
		st.apply(e, n, size)
	}
	return st, nil
}

// readEntry reads log entry n.
func readEntry(ctx context.Context, d sink.Destination, n int64) (*Entry, int64, error) {
	name := path.Join(logDir, logName(n))
	data, err := d.ReadFile(ctx, name)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the manifest: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, 0, fmt.Errorf("manifest %s: %w", name, err)
	}
	if e.Version != manifestVersion {
		return nil, 0, fmt.Errorf("manifest %s: version %d, want %d", name, e.Version, manifestVersion)
	}
	return &e, int64(len(data)), nil
}
