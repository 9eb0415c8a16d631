// Package pipeline reads log objects from their sources (local files and
// directories, stdin, S3 prefixes or S3 Inventory reports), cuts them into
// blocks of whole lines,
// and turns the blocks into records for a consumer (query, convert,
// report):
//
//	list → fetch → record stage (workers) → consumer
//
// Stages are connected by bounded channels and run under one errgroup: the
// first error cancels the run, every send selects on ctx.Done(), and memory
// is bounded by a fixed number of block buffers.
//
// The record stage (Run, Consumer) is the one path from bytes to records:
// it cuts blocks into lines, applies the consumer's prefilter, parses, and
// applies one reject policy — counting, the rejects file, --strict, the
// line cap — so every command reports the same numbers. A consumer sees a
// log object whole or not at all: its records go to parts that are
// committed only once the object has been read to its end, and dropped if
// it fails.
//
// # Listing S3 in parallel
//
// An s3:// source is listed by several ListObjectsV2 streams at once
// (Config.ListConcurrency, default 16) over disjoint ranges of the key
// space, all feeding the one bounded download pool; downloads start with
// the first page of any stream (SPEC §5, §7). A directory's first page
// tells its layout. The keys of a layout prefix sort by key time (the
// simple layout's <prefix>YYYY-mm-DD-HH-MM-SS-…, the partitioned layout's
// <account>/<region>/<bucket>/YYYY/MM/DD/…), so fixed calendar boundaries
// cut them into ranges listed with StartAfter: from the first key's day, or
// the window's start, to the window's end plus lateness, or tomorrow; the
// keys after that, the directory levels and the names that fit no layout
// are listed too. A range that turns out long is cut again while a lister
// is idle; ranges after the last key are dropped once a listing shows
// where the next key is, so they cost about no request.
//
// # Shards
//
// Config.Shard of Config.Shards owns a part of the key space fixed by the
// keys and N alone, never by what a shard sees when it starts: shards of
// one job start at different moments, see different "now"s, different
// first keys (lifecycle rules expire old logs) and different last keys
// (logs keep arriving), and must still agree without talking to each
// other.
//
//   - A key of either layout belongs to the owner of its unit: its prefix
//     (KeyInfo.Prefix: the TargetPrefix of the simple layout, or
//     <prefix><account>/<region>/<bucket>/) and the UTC day of its key
//     time. Units are whole days because a unit is listed by a stream of
//     its own: it must hold a few pages of keys for N shards to send about
//     the LIST requests one run sends (one partial page per day more).
//   - Days, numbered from 1970-01-01, are dealt in blocks of N consecutive
//     days, each shard one day of every block: day d of prefix p goes to
//     shard (d mod N + fnv64a(p) + splitmix64(d div N)) mod N. The prefix
//     term spreads one day of many buckets over the shards; the block term
//     keeps a shard from getting the same weekday every week. A window of
//     D days gives each shard D/N days, give or take two; a window shorter
//     than N days leaves some shards idle.
//   - A key that fits no layout belongs to shard fnv64a(key) mod N
//     (ShardOf), unless it lies inside a day's key range (where S3 writes
//     only log keys): it then goes with the day.
//
// A shard lists only the day ranges it owns; directory levels, names that
// fit no layout and the keys after its last planned day may hold keys of
// any shard and are listed by every shard, each keeping its own. So N
// shards together read every object exactly once, and list about what one
// run lists. An inventory report (Config.Inventory) is read whole by every
// shard, each keeping its own rows by the same rule.
//
// # Resources
//
// Requests in flight (Concurrency object reads plus ListConcurrency
// listings, each holding a connection) are capped so that open files stay
// under the process's RLIMIT_NOFILE. With Config.MaxMemory set, small
// objects held whole take at most a quarter of it and block buffers an
// eighth; a small object gets a block of its own size.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/parse"
)

// Object is one log object (an S3 object or a local file).
type Object struct {
	Source string // the SOURCE argument it was listed from
	Name   string // S3 key or file path; used for log_object
	Size   int64  // bytes, -1 if unknown (stdin)
	// Key is what the object's name says about its contents (SPEC §5);
	// Key.Layout is LayoutUnknown when it matches neither layout.
	Key KeyInfo
}

// Window is a time range of records, from a query's WHERE; zero ends are
// unbounded.
type Window struct {
	From, To time.Time
}

// Bounded reports whether the window limits anything.
func (w Window) Bounded() bool { return !w.From.IsZero() || !w.To.IsZero() }

// Skip reports whether an object with key k cannot hold records in the
// window (SPEC §5). A delivery-time object holds records from before its key
// time, so it is skipped when delivered before the window starts or more
// than lateness after it ends. An event-day object holds the records of
// that UTC day only. An object whose key matches no layout is never skipped.
func (w Window) Skip(k KeyInfo, lateness time.Duration) bool {
	switch {
	case k.Layout == LayoutUnknown:
		return false
	case k.EventDay:
		end := k.Time.Add(24 * time.Hour)
		return !w.From.IsZero() && !end.After(w.From) || !w.To.IsZero() && k.Time.After(w.To)
	}
	return !w.From.IsZero() && k.Time.Before(w.From) || !w.To.IsZero() && k.Time.After(w.To.Add(lateness))
}

// Config controls a run. The zero value is usable.
type Config struct {
	// Workers is the number of goroutines turning chunks into records.
	// Default DefaultWorkers().
	Workers int
	// Concurrency is the number of objects read at once (in-flight S3
	// requests). Default 256 for S3 sources, 4 for local ones. With S3
	// sources, Concurrency and ListConcurrency are lowered when needed to
	// keep open files under the process's RLIMIT_NOFILE.
	Concurrency int
	// ListConcurrency is the number of ListObjectsV2 streams (or
	// inventory files read) at once. Default 16.
	ListConcurrency int
	// Inventory, when set, is an S3 Inventory manifest,
	// s3://bucket/.../manifest.json: S3 sources are listed from its CSV
	// or Parquet files instead of with ListObjectsV2 (SPEC §7).
	Inventory string
	// MaxMemory, when set, is the memory the run may use: MaxBuffered
	// defaults to a quarter of it (at most 256 MiB) and the block buffers
	// take at most an eighth. The caller sets the Go runtime's limit to
	// match (RuntimeMemoryLimit). Default unset: 256 MiB of whole objects
	// and Concurrency + 2 × Workers blocks.
	MaxMemory int64
	// BlockSize is the size of a block of lines. Default 1 MiB.
	BlockSize int
	// MaxLineSize is the longest accepted line. Default
	// parse.DefaultMaxLineSize.
	MaxLineSize int
	// Window prunes objects by key time; Lateness (default 24h) is how long
	// after a record's time its object may be delivered.
	Window   Window
	Lateness time.Duration
	// Shard and Shards select the objects that shard Shard of Shards owns
	// (SPEC §7; see the package doc): Shards 0 means no sharding.
	Shard, Shards int
	// SkipFailed turns an object that fails after retries into a warning
	// (Stats.Failed) instead of a failure of the run.
	SkipFailed bool
	// AWS selects the AWS configuration for s3:// sources.
	AWS awsconf.Options
	// MaxAttempts is how many times an S3 request (or the read of an
	// object's body) is tried before the object fails. Default
	// AWS_MAX_ATTEMPTS or the profile's max_attempts, else 8.
	MaxAttempts int
	// RetryBase is the first backoff between S3 attempts; it doubles up to
	// 5 s, with jitter. Default 100 ms.
	RetryBase time.Duration
	// MaxBuffered bounds the bytes of small S3 objects held whole in
	// memory at once. Default 256 MiB.
	MaxBuffered int64
	// Stdin is read for the source "-". Default none (an error).
	Stdin io.Reader
	// Skip, when set, is asked for each listed object; true skips it
	// (convert uses it for objects already converted).
	Skip func(*Object) bool
	// Stats, when set, is the Stats the run counts into and returns, so a
	// progress display can read its counters while the run goes on.
	// Default a new Stats.
	Stats *Stats

	// The reject policy of the record stage.

	// Prefilter, when set, rules lines out before they are parsed (counted
	// in Stats.Unparsed, not checked for validity). It must keep every line
	// that could hold a record the consumer wants. It is not used when
	// Strict or Rejects is set: then every line is parsed.
	Prefilter *parse.Prefilter
	// Strict fails the run at the first malformed line, with its
	// *parse.ParseError.
	Strict bool
	// Rejects, when set, receives each malformed line as
	// "object:line:column: field: reason\n" followed by the line (cut at
	// 512 bytes if longer than MaxLineSize) and "\n". Writes are
	// serialised; a write error fails the run.
	Rejects io.Writer

	blocks   int       // block buffers, set by limit
	s3       *s3Shared // the S3 client and buffers of the run's S3 stores
	pageKeys int       // tests: keys a ListObjectsV2 page (default S3's 1000)
}

// DefaultWorkers is the default number of workers of a run: one per
// processor Go may use (GOMAXPROCS).
func DefaultWorkers() int { return runtime.GOMAXPROCS(0) }

func (c *Config) defaults(s3 bool) {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers()
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
		if s3 {
			c.Concurrency = s3ConcurrencyDefault
		}
	}
	if c.BlockSize <= 0 {
		c.BlockSize = 1 << 20
	}
	if c.MaxLineSize <= 0 {
		c.MaxLineSize = parse.DefaultMaxLineSize
	}
	if c.Lateness == 0 {
		c.Lateness = 24 * time.Hour
	}
	c.limit(s3)
}

// Stats counts what a run did. Its counters are safe for concurrent use.
type Stats struct {
	Listed       atomic.Int64 // objects listed
	SkippedTime  atomic.Int64 // skipped by key time (SPEC §5)
	SkippedShard atomic.Int64 // belonging to other shards
	SkippedDone  atomic.Int64 // skipped by Config.Skip
	Read         atomic.Int64 // objects read to their end and committed
	Bytes        atomic.Int64 // bytes read (after decompression)
	Lines        atomic.Int64 // lines that are not blank (parse.IsBlank)
	Rejected     atomic.Int64 // malformed lines
	Unparsed     atomic.Int64 // lines the prefilter skipped without parsing
	Warnings     atomic.Int64 // records kept with a warning (parse.Warning)
	Requests     atomic.Int64 // list and get requests sent (S3)
	Retries      atomic.Int64 // retried requests (S3)
	ListDone     atomic.Bool  // listing has finished: Listed is final
	Start        time.Time

	mu          sync.Mutex
	failed      []FailedObject   // failed after retries (SkipFailed)
	allRejected []RejectedObject // every line rejected
	window      Window           // the run's Config.Window
	// first and last key times of the objects skipped by key time
	skippedFirst, skippedLast time.Time
}

// Window returns the time window the run pruned objects by.
func (s *Stats) Window() Window {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.window
}

// SkippedKeyTimes returns the earliest and latest key times of the objects
// skipped by key time (zero if none were).
func (s *Stats) SkippedKeyTimes() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skippedFirst, s.skippedLast
}

// skipTime counts an object skipped by key time.
func (s *Stats) skipTime(k KeyInfo) {
	s.SkippedTime.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skippedFirst.IsZero() || k.Time.Before(s.skippedFirst) {
		s.skippedFirst = k.Time
	}
	if k.Time.After(s.skippedLast) {
		s.skippedLast = k.Time
	}
}

// FailedObject is an object that failed after retries and was skipped
// (Config.SkipFailed): it contributes nothing to the answer.
type FailedObject struct {
	Name string
	Err  error
	// Note, when set, says what of it went out before it failed, e.g.
	// rows already printed.
	Note string
}

// RejectedObject is an object whose every line was rejected: most likely
// not an S3 server access log.
type RejectedObject struct {
	Name  string
	Lines int64
	// Cause is the likely cause: what the content looks like, or the
	// first line's reason.
	Cause string
}

// Failed returns the names of the objects that failed and were skipped,
// sorted.
func (s *Stats) Failed() []string {
	var out []string
	for _, f := range s.FailedObjects() {
		out = append(out, f.Name)
	}
	return out
}

// FailedObjects returns the objects that failed and were skipped, sorted
// by name.
func (s *Stats) FailedObjects() []FailedObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]FailedObject(nil), s.failed...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AllRejected returns the objects whose every line was rejected, sorted by
// name.
func (s *Stats) AllRejected() []RejectedObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]RejectedObject(nil), s.allRejected...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NoteFailed attaches a note to a failed object (see FailedObject.Note).
func (s *Stats) NoteFailed(name, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failed {
		if s.failed[i].Name == name {
			s.failed[i].Note = note
		}
	}
}

func (s *Stats) addFailed(name string, err error) {
	s.mu.Lock()
	s.failed = append(s.failed, FailedObject{Name: name, Err: err})
	s.mu.Unlock()
}

func (s *Stats) addAllRejected(r RejectedObject) {
	s.mu.Lock()
	s.allRejected = append(s.allRejected, r)
	s.mu.Unlock()
}

// Summary is the one-line run summary for stderr.
func (s *Stats) Summary() string {
	el := time.Since(s.Start)
	mb := float64(s.Bytes.Load()) / 1e6
	rate := 0.0
	if el > 0 {
		rate = mb / el.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d objects read", s.Read.Load())
	if sk := s.SkippedTime.Load(); sk > 0 || s.Listed.Load() != s.Read.Load() {
		fmt.Fprintf(&b, " (%d listed, %d skipped by key time", s.Listed.Load(), sk)
		if n := s.SkippedShard.Load(); n > 0 {
			fmt.Fprintf(&b, ", %d other shards", n)
		}
		if n := s.SkippedDone.Load(); n > 0 {
			fmt.Fprintf(&b, ", %d already done", n)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ", %.1f MB, %d lines", mb, s.Lines.Load())
	if n := s.Unparsed.Load(); n > 0 {
		fmt.Fprintf(&b, " (%d ruled out unparsed by the prefilter)", n)
	}
	fmt.Fprintf(&b, ", %d rejected", s.Rejected.Load())
	if n := s.Warnings.Load(); n > 0 {
		fmt.Fprintf(&b, ", %d kept with warnings", n)
	}
	fmt.Fprintf(&b, ", %s, %.1f MB/s", el.Round(time.Millisecond), rate)
	if f := s.Failed(); len(f) > 0 {
		fmt.Fprintf(&b, ", %d FAILED objects skipped", len(f))
	}
	return b.String()
}

// ShardOf returns the shard in [0, n) that an object name hashes to
// (FNV-1a): the owner of a key that fits no layout (see ObjectShard).
func ShardOf(name string, n int) int {
	return int(fnv64a(name) % uint64(n))
}

// store lists and opens the objects of one source.
type store interface {
	// list sends the source's objects to out. It may use w and lateness to
	// avoid listing objects outside the window; the caller filters again.
	list(ctx context.Context, w Window, lateness time.Duration, out func(Object) error) error
	// open returns the object's content. Read errors from it are final:
	// the store has retried what could be retried.
	open(ctx context.Context, o *Object) (io.ReadCloser, error)
}

// IsS3 reports whether a source names an S3 location.
func IsS3(src string) bool { return strings.HasPrefix(src, "s3://") }

func newStore(ctx context.Context, cfg *Config, src string, stats *Stats) (store, error) {
	if IsS3(src) {
		s, err := newS3Store(ctx, cfg, src, stats)
		if err != nil || cfg.Inventory == "" {
			return s, err
		}
		return newInventoryStore(ctx, s, cfg.Inventory)
	}
	return newLocalStore(cfg, src)
}

// Run reads every object of sources through the record stage and hands
// their records to cons (see Consumer), from cfg.Workers goroutines. It
// returns when all objects are read and committed, or at the first error
// (of cons, of a store, of the reject policy, or of ctx), which cancels
// everything else. The returned Stats (cfg.Stats when set) are never nil.
func Run(ctx context.Context, cfg Config, sources []string, cons Consumer) (*Stats, error) {
	s3 := false
	for _, src := range sources {
		s3 = s3 || IsS3(src)
	}
	cfg.defaults(s3)
	stats := cfg.Stats
	if stats == nil {
		stats = &Stats{}
	}
	stats.Start = time.Now()
	stats.mu.Lock()
	stats.window = cfg.Window
	stats.mu.Unlock()
	if len(sources) == 0 {
		return stats, errors.New("no source given")
	}
	st := newStage(&cfg, cons, stats)
	err := runChunks(ctx, &cfg, sources, stats, st)
	if err == nil {
		err = st.err()
	}
	return stats, err
}

// chunk is a block of whole lines of one object, in a pooled buffer,
// travelling from a fetcher to a worker.
type chunk struct {
	state *objectState
	// first is the line number of data's first line, 1-based, known once
	// the worker has resolved the chunk (see lineMark): at is where it
	// starts, next where the object's next chunk starts. first stays 0
	// when an earlier chunk of the object failed.
	first    int64
	at, next *lineMark
	data     []byte // valid until the chunk is put back in the pool
	index    int    // 0 for the object's first chunk of lines
	// last: the object was read to its end with this chunk (which may then
	// hold no data). Exactly one chunk of an object read to its end is last.
	last bool
	// long: data is the head of one line longer than MaxLineSize, which
	// the reader dropped (chunkHandler.tooLong); index is not used.
	long bool
	buf  []byte
	m    *mapping // when data is a mapping of a local file's chunk (see readMapped)
}

// A lineMark is the line number where a chunk of an object starts. The
// reader does not count lines (that would be one more pass over every
// byte, in the one goroutine that reads the object): the worker that takes
// a chunk learns its number of lines and has the mark where the next
// chunk starts set from the mark where the chunk starts (set by the
// worker of the object's previous chunk, or left to it: after). It counts
// the lines before it scans when the line numbers are needed during the
// scan, and waits for the chunk's mark; or it scans first, with line
// numbers relative to the chunk, takes the count from the scan, and waits
// only when it has a reject to number (see RelativeLines). Chunks are
// taken from the channel in the order they were sent, and a worker waits
// for nothing but the mark of the chunk it holds (a scan does not wait on
// other workers), so the previous chunk has been taken already by a
// worker that gets to set its mark: no chunk waits for one that no worker
// holds.
type lineMark struct {
	ready chan struct{} // closed once line is set
	line  int64         // 0: an earlier chunk failed (unblock)
	mu    sync.Mutex
	done  bool      // line is set
	n     int64     // after: the lines of the chunk that starts here
	then  *lineMark // after: the mark after that chunk, set once m is
}

func newLineMark() *lineMark { return &lineMark{ready: make(chan struct{})} }

// set sets m to line, and the marks left to it (after) in turn; only the
// worker that holds the chunk before m sets it.
func (m *lineMark) set(line int64) {
	for m != nil {
		m.mu.Lock()
		m.line, m.done = line, true
		next, n := m.then, m.n
		m.then = nil
		m.mu.Unlock()
		close(m.ready)
		if line != 0 {
			line += n // 0 stays 0: the object failed
		}
		m = next
	}
}

// after sets next to m's line plus n, now if m is set, else when it is:
// the chunk that starts at m has n line ends and next starts after it.
func (m *lineMark) after(n int64, next *lineMark) {
	m.mu.Lock()
	if !m.done {
		m.n, m.then = n, next
		m.mu.Unlock()
		return
	}
	line := m.line
	m.mu.Unlock()
	if line != 0 {
		line += n
	}
	next.set(line)
}

// wait waits for the mark where c starts and sets c.first (left 0 when an
// earlier chunk of the object failed). The mark of c's next chunk is left
// to finish.
func (c *chunk) wait(ctx context.Context) error {
	if c.at == nil {
		return nil // first set by the caller (RunBlock), or waited for
	}
	select {
	case <-c.at.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.first = c.at.line
	c.at = nil
	return nil
}

// resolve sets c.first (wait) and, given n, the number of line ends ('\n')
// of c's data, the mark where the object's next chunk starts; n < 0 sets
// it to 0, as if the object had failed (the run ends with c's error).
func (c *chunk) resolve(ctx context.Context, n int64) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	if c.next != nil {
		next := c.first + n
		if c.first == 0 || n < 0 {
			next = 0 // still failed, or its lines not counted
		}
		c.next.set(next)
		c.next = nil
	}
	return nil
}

// later is resolve without the wait: given n, the number of line ends of
// c's data, the mark where the next chunk starts is set once the mark
// where c starts is. c.first stays unknown (0).
func (c *chunk) later(n int64) {
	c.at.after(n, c.next)
	c.at, c.next = nil, nil
}

// unblock sets the next chunk's mark if resolve did not (a fault while
// counting or scanning, a cancelled run, an object that failed): the
// object failed, so the line numbers past c are not used for anything a
// user sees, but the next chunk's worker must not wait forever. The mark
// is set to 0, which tells the chunks after it that the object failed.
func (c *chunk) unblock() {
	if c.next != nil {
		c.next.set(0)
		c.at, c.next = nil, nil
	}
}

// chunkHandler is what runChunks drives: the record stage, or a test.
type chunkHandler interface {
	// chunk processes c on worker w. It resolves c's line numbers
	// (c.resolve or c.later), before or after it scans c.
	chunk(ctx context.Context, w int, c *chunk) error
	// objectEnd is called once per object, after its last chunk was
	// processed (worker w), or after it failed (w -1, on a fetcher's
	// goroutine).
	objectEnd(w int, st *objectState) error
	// tooLong handles a line longer than cfg.MaxLineSize, cut to its
	// first 512 bytes; a non-nil error ends the run.
	tooLong(st *objectState, line int64, data []byte) error
}

// objectState follows one object through the run.
type objectState struct {
	obj *Object
	// pending counts the object's chunks sent and not yet processed, plus
	// one for the reader until it sends the last chunk, which takes over
	// the reader's count: it reaches 0 exactly once, when the object is
	// done.
	pending atomic.Int64
	failed  atomic.Bool
	// parts[w] is worker w's part of a multi-chunk object; whole holds the
	// part of an object read in one chunk. Each worker writes only its
	// own slot; objectEnd reads them after pending reached 0.
	parts    []Part
	whole    Part
	lines    atomic.Int64
	rejected atomic.Int64
	cause    atomic.Pointer[string] // the first reject's reason
	sniff    string                 // what the first bytes look like, if not log text
}

func newObjectState(o *Object) *objectState {
	st := &objectState{obj: o}
	st.pending.Store(1)
	return st
}

// runChunks lists and reads the objects of sources and has h process their
// chunks on cfg.Workers goroutines.
func runChunks(ctx context.Context, cfg *Config, sources []string, stats *Stats, h chunkHandler) error {
	stores := make([]store, len(sources))
	for i, src := range sources {
		st, err := newStore(ctx, cfg, src, stats)
		if err != nil {
			return err
		}
		stores[i] = st
	}

	// end ends an object: h commits or drops it.
	end := func(w int, st *objectState) error {
		if err := h.objectEnd(w, st); err != nil {
			return err
		}
		if !st.failed.Load() {
			stats.Read.Add(1)
		}
		return nil
	}

	g, ctx := errgroup.WithContext(ctx)
	type job struct {
		obj *Object
		st  store
	}
	jobs := make(chan job, 4*cfg.Concurrency)
	chunks := make(chan *chunk, cfg.Workers)
	pool := newBufPool(cfg.blocks, cfg.BlockSize)

	// List.
	g.Go(func() error {
		defer close(jobs)
		return listAll(ctx, cfg, stores, sources, stats, func(o *Object, st store) error {
			select {
			case jobs <- job{o, st}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})

	// Fetch: read objects into blocks of whole lines.
	var fetchers sync.WaitGroup
	for range cfg.Concurrency {
		fetchers.Add(1)
		g.Go(func() error {
			defer fetchers.Done()
			for j := range jobs {
				os := newObjectState(j.obj)
				err := readObject(ctx, cfg, j.st, os, pool, chunks, stats)
				if err == nil {
					continue
				}
				var pe *parse.ParseError
				if ctx.Err() != nil || !cfg.SkipFailed || errors.As(err, &pe) {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return err
				}
				// Skipped: whatever of it was processed is dropped, here or
				// by the worker that finishes its last chunk in flight.
				if os.failed.CompareAndSwap(false, true) {
					stats.addFailed(j.obj.Name, err)
				}
				if os.pending.Add(-1) == 0 {
					if err := end(-1, os); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		fetchers.Wait()
		close(chunks)
		return nil
	})

	// Process.
	for w := range cfg.Workers {
		g.Go(func() error {
			for c := range chunks {
				st := c.state
				err := callChunk(ctx, h, w, c)
				if errors.Is(err, ErrFileChanged) && cfg.SkipFailed {
					// Skipped like an object that failed to be read:
					// marked failed before the next chunk is unblocked.
					if st.failed.CompareAndSwap(false, true) {
						stats.addFailed(st.obj.Name, err)
					}
					err = nil
				}
				c.unblock()
				pool.put(c)
				if err != nil {
					return err
				}
				if st.pending.Add(-1) == 0 {
					if err := end(w, st); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	err := g.Wait()
	// Chunks left in flight by a failed run go back to the pool, which
	// unmaps the files they map.
	for c := range chunks {
		pool.put(c)
	}
	return err
}

// callChunk calls h.chunk, turning a panic into an error that names where
// it happened: one line that trips a bug ends the run with a message a user
// can report, not a stack trace.
func callChunk(ctx context.Context, h chunkHandler, w int, c *chunk) (err error) {
	if c.m != nil {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	defer func() {
		if r := recover(); r != nil {
			if c.m != nil && isFault(r) {
				err = fmt.Errorf("%s: %w", c.state.obj.Name, ErrFileChanged)
				return
			}
			where := fmt.Sprintf("at lines %d and after", c.first)
			if c.first == 0 {
				where = fmt.Sprintf("in its chunk %d", c.index) // lines not counted yet
			}
			err = fmt.Errorf("%w: %v, in %s %s (please report this)", ErrInternal, r, c.state.obj.Name, where)
		}
	}()
	if c.long {
		if err := c.resolve(ctx, 1); err != nil {
			return err
		}
		if c.first == 0 {
			return nil // an earlier chunk failed: its lines are not known
		}
		return h.tooLong(c.state, c.first, c.data)
	}
	return h.chunk(ctx, w, c)
}

// ErrInternal marks an error that is a bug of s3logs, not of its input: a
// panic while processing a block of lines.
var ErrInternal = errors.New("internal error")

// bufPool is a fixed set of block buffers: taking one blocks when all are in
// use, which bounds memory to about n × size.
type bufPool struct {
	free chan *chunk
	size int
}

func newBufPool(n, size int) *bufPool {
	p := &bufPool{free: make(chan *chunk, n), size: size}
	for range n {
		p.free <- &chunk{}
	}
	return p
}

// get takes a buffer with room for at least need bytes.
func (p *bufPool) get(ctx context.Context, need int) (*chunk, error) {
	select {
	case cb := <-p.free:
		if cap(cb.buf) < need {
			cb.buf = make([]byte, 0, need)
		}
		cb.buf = cb.buf[:0]
		return cb, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *bufPool) put(cb *chunk) {
	if cb.m != nil {
		cb.m.unmap()
	}
	if cap(cb.buf) > 4*p.size { // a long line grew it: do not keep it
		cb.buf = nil
	}
	buf := cb.buf
	*cb = chunk{buf: buf}
	p.free <- cb
}

// readObject reads one object and sends its blocks to out. Each block ends
// at a line boundary; the partial last line is carried to the next block.
// The chunk that ends the object is marked last (an empty object is one
// empty last chunk) and takes over the reader's count in st.pending; on an
// error the reader's count is still held.
func readObject(ctx context.Context, cfg *Config, s store, st *objectState, pool *bufPool, out chan<- *chunk, stats *Stats) error {
	o := st.obj
	// A file listed smaller than minMapped is not opened twice to learn
	// that it is read.
	if _, local := s.(*localStore); local && o.Size >= minMapped {
		if f := openMapped(o.Name); f != nil {
			return readMapped(ctx, cfg, f, st, pool, out, stats)
		}
	}
	rc, err := s.open(ctx, o)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	defer rc.Close()
	r, err := decompress(o.Name, rc)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	defer r.Close()
	snd := newSender(ctx, cfg.Workers, st, pool, out)
	var carry []byte
	skipping := false // dropping the rest of an over-long line
	// Block size, grown for a line longer than a block.
	need := blockFor(pool.size, o.Size)
	eof := false
	for !eof {
		cb, err := pool.get(ctx, need)
		if err != nil {
			return err
		}
		cb.buf = append(cb.buf, carry...)
		// Fill the block.
		for len(cb.buf) < cap(cb.buf) {
			n, err := r.Read(cb.buf[len(cb.buf):cap(cb.buf)])
			cb.buf = cb.buf[:len(cb.buf)+n]
			stats.Bytes.Add(int64(n))
			if err != nil {
				if errors.Is(err, io.EOF) {
					eof = true
					break
				}
				pool.put(cb)
				return fmt.Errorf("%s: %w", o.Name, err)
			}
		}
		data := cb.buf
		if skipping {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				carry = carry[:0]
				pool.put(cb)
				continue
			}
			skipping = false
			data = data[i+1:]
		}
		cut := len(data)
		if !eof {
			cut = bytes.LastIndexByte(data, '\n') + 1
			if cut == 0 {
				// No line end in a whole block: the line is longer than a
				// block. Grow until MaxLineSize, then reject the line.
				if len(data) < cfg.MaxLineSize {
					carry = append(carry[:0], data...)
					pool.put(cb)
					need = min(2*len(carry), cfg.MaxLineSize+1)
					continue
				}
				// The chunk goes on with the head of the line.
				cb.buf = cb.buf[:copy(cb.buf, data[:min(len(data), 512)])]
				skipping = true
				carry = carry[:0]
				if err := snd.sendLong(cb); err != nil {
					return err
				}
				continue
			}
		}
		carry = append(carry[:0], data[cut:]...)
		need = pool.size
		if cut == 0 && !eof {
			pool.put(cb)
			continue
		}
		// At the end of input an empty last chunk still ends the object.
		if err := snd.send(cb, data[:cut], eof); err != nil {
			return err
		}
	}
	if skipping {
		// The object ended inside a dropped over-long line: end it with
		// an empty last chunk.
		cb, err := pool.get(ctx, 0)
		if err != nil {
			return err
		}
		return snd.send(cb, nil, true)
	}
	return nil
}

// sender sends the chunks of one object, read or mapped, to the workers.
type sender struct {
	ctx     context.Context
	workers int
	st      *objectState
	pool    *bufPool
	out     chan<- *chunk
	at      *lineMark // where the next chunk starts
	index   int       // the next chunk's index
}

func newSender(ctx context.Context, workers int, st *objectState, pool *bufPool, out chan<- *chunk) *sender {
	at := newLineMark()
	at.set(1)
	return &sender{ctx: ctx, workers: workers, st: st, pool: pool, out: out, at: at}
}

// send sends cb, holding data, the object's next chunk. The chunk that
// ends the object is marked last (an empty object is one empty last chunk)
// and takes over the reader's count in st.pending. On an error cb is back
// in the pool. send does not touch data beyond its first 4 KiB (sniff).
func (s *sender) send(cb *chunk, data []byte, last bool) error {
	st := s.st
	if s.index == 0 {
		st.sniff = sniff(data)
		if !last {
			st.parts = make([]Part, s.workers)
		}
	}
	cb.data, cb.index, cb.last = data, s.index, last
	s.index++
	return s.put(cb)
}

// sendLong sends cb, whose buf holds the head of a line longer than
// MaxLineSize, the object's next line, to be rejected in its turn.
func (s *sender) sendLong(cb *chunk) error {
	cb.data, cb.long = cb.buf, true
	return s.put(cb)
}

func (s *sender) put(cb *chunk) error {
	st := s.st
	cb.state, cb.at, cb.next = st, s.at, newLineMark()
	s.at = cb.next
	if !cb.last {
		st.pending.Add(1)
	}
	select {
	case s.out <- cb:
		return nil
	case <-s.ctx.Done():
		if !cb.last {
			st.pending.Add(-1)
		}
		s.pool.put(cb)
		return s.ctx.Err()
	}
}
