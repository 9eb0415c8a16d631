// Package pipeline reads log objects from their sources (local files and
// directories, stdin, S3 prefixes or S3 Inventory reports), cuts them into blocks of whole lines and
// hands the blocks to parse workers:
//
//	list → fetch → parse/filter (caller's workers)
//
// Stages are connected by bounded channels and run under one errgroup: the
// first error cancels the run, every send selects on ctx.Done(), and memory
// is bounded by a fixed number of block buffers.
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
	"hash/fnv"
	"io"
	"runtime"
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

// Chunk is a block of whole lines from one object. Data is valid only
// during the call that receives it.
type Chunk struct {
	Object    *Object
	FirstLine int64 // line number of Data's first line, 1-based
	Data      []byte
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
	// Workers is the number of goroutines calling the chunk function.
	// Default runtime.GOMAXPROCS(0).
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
	// object's body) is tried before the object fails. Default 8.
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
	// ObjectDone, when set, is called once every chunk of an object has
	// been processed, from the goroutine that processed its last chunk.
	ObjectDone func(*Object)
	// Stats, when set, is the Stats the run counts into and returns, so a
	// progress display can read its counters while the run goes on.
	// Default a new Stats.
	Stats *Stats
	// OnReject, when set, receives lines the pipeline itself rejects (longer
	// than MaxLineSize). It may be called from several goroutines at once.
	OnReject func(*parse.ParseError, []byte)

	blocks   int       // block buffers, set by limit
	s3       *s3Shared // the S3 client and buffers of the run's S3 stores
	pageKeys int       // tests: keys a ListObjectsV2 page (default S3's 1000)
}

func (c *Config) defaults(s3 bool) {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
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
	Read         atomic.Int64 // objects read completely
	Bytes        atomic.Int64 // bytes read (after decompression)
	Lines        atomic.Int64 // non-empty lines, counted by the caller
	Rejected     atomic.Int64 // malformed lines, counted by the caller
	Requests     atomic.Int64 // list and get requests sent (S3)
	Retries      atomic.Int64 // retried requests (S3)
	ListDone     atomic.Bool  // listing has finished: Listed is final
	Start        time.Time

	mu     sync.Mutex
	failed []string // objects that failed after retries (SkipFailed)
}

// Failed returns the objects that failed and were skipped, sorted.
func (s *Stats) Failed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.failed...)
	sort.Strings(out)
	return out
}

func (s *Stats) addFailed(name string) {
	s.mu.Lock()
	s.failed = append(s.failed, name)
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
	fmt.Fprintf(&b, ", %.1f MB, %d lines, %d rejected, %s, %.1f MB/s",
		mb, s.Lines.Load(), s.Rejected.Load(), el.Round(time.Millisecond), rate)
	if f := s.Failed(); len(f) > 0 {
		fmt.Fprintf(&b, ", %d FAILED objects skipped", len(f))
	}
	return b.String()
}

// ShardOf returns the shard in [0, n) that an object name hashes to
// (FNV-1a): the owner of a key that fits no layout (see ObjectShard).
func ShardOf(name string, n int) int {
	h := fnv.New64a()
	io.WriteString(h, name)
	return int(h.Sum64() % uint64(n))
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

// Run reads every object of sources and calls fn with each block of lines,
// from cfg.Workers goroutines; worker is the calling goroutine's index in
// [0, cfg.Workers), so callers can keep per-worker state without locks.
// It returns when all objects are read and processed, or at the first error
// (of fn, of a store, or of ctx), which cancels everything else.
func Run(ctx context.Context, cfg Config, sources []string, fn func(worker int, c *Chunk) error) (*Stats, error) {
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
	if len(sources) == 0 {
		return stats, errors.New("no source given")
	}
	stores := make([]store, len(sources))
	for i, src := range sources {
		st, err := newStore(ctx, &cfg, src, stats)
		if err != nil {
			return stats, err
		}
		stores[i] = st
	}

	g, ctx := errgroup.WithContext(ctx)
	type job struct {
		obj *Object
		st  store
	}
	jobs := make(chan job, 4*cfg.Concurrency)
	chunks := make(chan *chunkBuf, cfg.Workers)
	pool := newBufPool(cfg.blocks, cfg.BlockSize)

	// List.
	g.Go(func() error {
		defer close(jobs)
		return listAll(ctx, &cfg, stores, sources, stats, func(o *Object, st store) error {
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
				if err := readObject(ctx, &cfg, j.st, j.obj, pool, chunks, stats); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					if cfg.SkipFailed {
						stats.addFailed(j.obj.Name)
						continue
					}
					return err
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
			for cb := range chunks {
				err := callChunk(fn, w, &cb.Chunk)
				cb.done(&cfg)
				pool.put(cb)
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := g.Wait()
	return stats, err
}

// callChunk calls fn, turning a panic into an error that names where it
// happened: one line that trips a bug ends the run with a message a user
// can report, not a stack trace.
func callChunk(fn func(int, *Chunk) error, w int, c *Chunk) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v, in %s at lines %d and after (please report this)", ErrInternal, r, c.Object.Name, c.FirstLine)
		}
	}()
	return fn(w, c)
}

// ErrInternal marks an error that is a bug of s3logs, not of its input: a
// panic while processing a block of lines.
var ErrInternal = errors.New("internal error")

// objectState counts the chunks of one object still being processed.
type objectState struct {
	pending atomic.Int64
}

// chunkBuf is a pooled block buffer travelling from fetcher to worker.
type chunkBuf struct {
	Chunk
	buf   []byte
	state *objectState
}

func (cb *chunkBuf) done(cfg *Config) {
	if cb.state.pending.Add(-1) == 0 && cfg.ObjectDone != nil {
		cfg.ObjectDone(cb.Object)
	}
}

// bufPool is a fixed set of block buffers: taking one blocks when all are in
// use, which bounds memory to about n × size.
type bufPool struct {
	free chan *chunkBuf
	size int
}

func newBufPool(n, size int) *bufPool {
	p := &bufPool{free: make(chan *chunkBuf, n), size: size}
	for range n {
		p.free <- &chunkBuf{}
	}
	return p
}

// get takes a buffer with room for at least need bytes.
func (p *bufPool) get(ctx context.Context, need int) (*chunkBuf, error) {
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

func (p *bufPool) put(cb *chunkBuf) {
	if cap(cb.buf) > 4*p.size { // a long line grew it: do not keep it
		cb.buf = nil
	}
	cb.Chunk = Chunk{}
	p.free <- cb
}

// readObject reads one object and sends its blocks to out. Each block ends
// at a line boundary; the partial last line is carried to the next block.
func readObject(ctx context.Context, cfg *Config, st store, o *Object, pool *bufPool, out chan<- *chunkBuf, stats *Stats) error {
	rc, err := st.open(ctx, o)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	defer rc.Close()
	r, err := decompress(o.Name, rc)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	defer r.Close()
	state := &objectState{}
	state.pending.Add(1) // the reader's own reference
	release := func() {
		if state.pending.Add(-1) == 0 && cfg.ObjectDone != nil {
			cfg.ObjectDone(o)
		}
	}
	line := int64(1)
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
			line++
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
				if cfg.OnReject != nil {
					cfg.OnReject(&parse.ParseError{Object: o.Name, Line: line, Column: cfg.MaxLineSize + 1,
						Reason: fmt.Sprintf("line longer than %d bytes", cfg.MaxLineSize)}, data[:min(len(data), 512)])
				}
				stats.Lines.Add(1)
				stats.Rejected.Add(1)
				skipping = true
				carry = carry[:0]
				pool.put(cb)
				continue
			}
		}
		carry = append(carry[:0], data[cut:]...)
		need = pool.size
		if cut == 0 {
			pool.put(cb)
			continue
		}
		cb.Chunk = Chunk{Object: o, FirstLine: line, Data: data[:cut]}
		cb.state = state
		line += int64(bytes.Count(data[:cut], []byte{'\n'}))
		state.pending.Add(1)
		select {
		case out <- cb:
		case <-ctx.Done():
			pool.put(cb)
			return ctx.Err()
		}
	}
	stats.Read.Add(1)
	release()
	return nil
}
