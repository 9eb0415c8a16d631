package convert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// Partitioning is how converted files are split into Hive-style
// directories by request time (UTC).
type Partitioning uint8

// The partitionings.
const (
	ByDay  Partitioning = iota // dt=2019-02-06/ (default)
	ByHour                     // dt=2019-02-06-13/
	None                       // no directories
)

// ParsePartitioning parses "day", "hour" or "none".
func ParsePartitioning(s string) (Partitioning, error) {
	switch strings.ToLower(s) {
	case "day", "":
		return ByDay, nil
	case "hour":
		return ByHour, nil
	case "none":
		return None, nil
	}
	return 0, fmt.Errorf("unknown partitioning %q (want day, hour or none)", s)
}

// String returns "day", "hour" or "none".
func (p Partitioning) String() string {
	switch p {
	case ByHour:
		return "hour"
	case None:
		return "none"
	}
	return "day"
}

// seconds returns the partition width in seconds, 0 for None.
func (p Partitioning) seconds() int64 {
	switch p {
	case ByHour:
		return 3600
	case None:
		return 0
	}
	return 86400
}

// dir returns the directory of the partition starting at unix.
func (p Partitioning) dir(unix int64) string {
	t := time.Unix(unix, 0).UTC()
	switch p {
	case ByHour:
		return "dt=" + t.Format("2006-01-02-15")
	case None:
		return ""
	}
	return "dt=" + t.Format("2006-01-02")
}

// Options control a conversion. The zero value converts to zstd Parquet
// partitioned by day.
type Options struct {
	Format      sink.Format
	Compression sink.Compression // default zstd
	PartitionBy Partitioning
	// TargetFileSize rolls a file once this many bytes of uncompressed
	// data were written to it. Default 256 MiB.
	TargetFileSize int64
	// RowGroupRows and RowGroupBytes bound a Parquet row group (an Arrow
	// record batch): at most this many rows, about this many uncompressed
	// bytes. Defaults 1048576 rows, 64 MiB (at most 1 GiB). A worker
	// buffers at most about RowGroupBytes over all its partitions (see
	// the package doc for the memory bound). With the pipeline's
	// MaxMemory set, RowGroupBytes is at most MaxMemory / (8 × workers).
	RowGroupRows  int
	RowGroupBytes int64
	// CommitBytes is the input a worker reads between commits (see the
	// package doc). Default 1 GiB. Smaller commits lose less work to a
	// crash and make smaller files.
	CommitBytes int64
	// Filter, when set, keeps only the records for which it returns true.
	// It is called from several goroutines at once. FilterText is its
	// source text, recorded in the manifest.
	Filter     func(*parse.Record) bool
	FilterText string
	// From and To keep records with From <= requestdatetime < To; zero
	// ends are unbounded. Objects are also pruned by key time through
	// pipeline.Config.Window.
	From, To time.Time
	// RunID names this run's files. Default a UTC time stamp and random
	// hex; with pipeline sharding, prefixed by "s<I>of<N>-".
	RunID string
	// Force allows converting into a directory that holds files other
	// than s3logs output.
	Force bool
	// Lease is how long a run killed without warning still seems alive to
	// other runs at an S3 destination (runs there keep a heartbeat, see
	// the package doc); its leftovers are cleaned up only after that.
	// Default 1 minute. Local runs hold a lock instead, which the kernel
	// drops at once.
	Lease time.Duration

	dictLimit    int           // tests: sink.FileOptions.DictionaryLimit
	logRetention time.Duration // tests: how long log entries outlive their checkpoint; default 7 days
	ckptEvery    int           // tests: entries after which a checkpoint is due; default 32
	maxRounds    int           // tests: rounds against concurrent runs; default 4
}

func (o *Options) defaults() {
	if o.TargetFileSize <= 0 {
		o.TargetFileSize = 256 << 20
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 1 << 20
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = 64 << 20
	}
	if o.RowGroupBytes > sink.MaxRowGroupBytes {
		o.RowGroupBytes = sink.MaxRowGroupBytes
	}
	if o.CommitBytes <= 0 {
		o.CommitBytes = 1 << 30
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.logRetention <= 0 {
		o.logRetention = 7 * 24 * time.Hour
	}
	if o.ckptEvery <= 0 {
		o.ckptEvery = 32
	}
	if o.maxRounds <= 0 {
		o.maxRounds = 4
	}
}

// Result is what a conversion did.
type Result struct {
	Stats   *pipeline.Stats // pipeline counters; Lines and Rejected included
	RunID   string
	Files   int   // output files written
	Rows    int64 // rows written
	Bytes   int64 // bytes written (compressed files)
	Objects int   // log objects completed
	// Conflicts counts batches dropped because another run committed some
	// of their lines first; their objects were converted again (Rounds).
	Conflicts int
	Rounds    int
	// Of earlier runs that died: batches whose files this run published,
	// batches revoked (their staging was gone), unfinished uploads aborted
	// and run directories removed.
	Recovered, Revoked, Aborted, Cleaned int
	// Waiting lists earlier runs that left batches or uploads behind and
	// still seem alive (within their lease): a later run finishes them.
	Waiting []string
}

// Errors of Convert.
var (
	// ErrNotOutput is returned when the destination holds files that
	// s3logs did not write and Options.Force is not set.
	ErrNotOutput = errors.New("destination holds files that are not s3logs output (use --force to convert into it anyway)")
	// ErrBusy is returned when other runs kept committing the same log
	// objects first in every round: the rest is left for a later run.
	ErrBusy = errors.New("another convert kept converting the same log objects into this destination at the same time")
	// ErrFenced is returned when another run took this one for dead (no
	// heartbeat within the lease) and finished its commits for it.
	ErrFenced = errors.New("another convert took this run for dead and finished its work; this run stopped")
)

// Convert reads the log objects of sources through the pipeline's record
// stage and writes their records to dest (see the package doc for the
// layout, the manifest and the commit protocol). Objects that the manifest
// at dest has as complete are not read again. pcfg's reject policy
// (Strict, Rejects) applies; a strict run commits only at its end. With
// pcfg.SkipFailed an object that fails contributes no record (the batches
// holding some of its records are dropped and their other objects
// converted again) and is listed in Stats.Failed. pcfg.Skip is taken over,
// and pcfg.Window.From is raised to the sources' high-water mark.
func Convert(ctx context.Context, dest sink.Destination, opts Options, pcfg pipeline.Config, sources []string) (*Result, error) {
	opts.defaults()
	if err := opts.Compression.Validate(opts.Format); err != nil {
		return nil, err
	}
	shardTag, shard := "", ""
	if pcfg.Shards > 0 {
		shardTag = fmt.Sprintf("s%dof%d-", pcfg.Shard, pcfg.Shards)
		shard = fmt.Sprintf("%d/%d", pcfg.Shard, pcfg.Shards)
	}
	if opts.RunID == "" {
		var rb [4]byte
		rand.Read(rb[:])
		opts.RunID = shardTag + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rb[:])
	}
	res := &Result{RunID: opts.RunID}
	if len(sources) == 0 {
		return res, errors.New("no source given")
	}
	mlog, err := openLog(ctx, dest, opts.logRetention, opts.ckptEvery)
	if err != nil {
		return res, err
	}
	if err := checkForeign(ctx, dest, mlog, opts.Force); err != nil {
		return res, err
	}
	tmp, release, err := dest.Join(ctx, opts.RunID, opts.Lease)
	if err != nil {
		return res, err
	}
	lateness := pcfg.Lateness
	if lateness == 0 {
		lateness = 24 * time.Hour
	}
	c := &converter{opts: opts, dest: dest, tmp: tmp, log: mlog, res: res, shard: shard, lateness: lateness,
		ids:  newIdentities(pcfg.AWS, opts.RunID),
		objs: map[string]*objState{}, byPtr: map[*pipeline.Object]*objState{}, waiting: map[*objState]bool{},
		staged: map[string][]sink.Staged{}, cov: map[floorKey]*coverage{}, failed: map[string]bool{}}
	defer func() {
		// Whatever happened: publish what was committed, drop what was
		// not, and leave nothing of this run behind.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		c.settle(cctx)
		release()
		dest.Clean(cctx, opts.RunID)
	}()
	if err := c.recover(ctx); err != nil {
		return res, err
	}

	c.from, c.to = -1<<62, 1<<62
	if !opts.From.IsZero() {
		c.from = opts.From.Unix()
	}
	if !opts.To.IsZero() {
		c.to = opts.To.Unix()
	}
	if (!opts.From.IsZero() || !opts.To.IsZero()) && !pcfg.Window.Bounded() {
		pcfg.Window = pipeline.Window{From: opts.From, To: opts.To}
	}
	stats := pcfg.Stats
	if stats == nil {
		stats = &pipeline.Stats{Start: time.Now()}
	}
	res.Stats = stats
	if err := c.narrow(&pcfg, sources); err != nil {
		return res, err
	}
	// A strict run publishes nothing unless every line is valid: it
	// commits only at its end.
	c.strict, c.skipFailed = pcfg.Strict, pcfg.SkipFailed
	pcfg.Skip = c.skip
	nw := pcfg.Workers
	if nw <= 0 {
		nw = pipeline.DefaultWorkers()
	}
	pcfg.Workers = nw
	if pcfg.MaxMemory > 0 {
		// A worker holds about two row groups at once (see the package
		// doc): all of them together get a quarter of the bound.
		opts.RowGroupBytes = max(4<<20, min(opts.RowGroupBytes, pcfg.MaxMemory/int64(8*nw)))
	}
	c.ctx = ctx
	c.workers = make([]*worker, nw)
	for i := range c.workers {
		c.workers[i] = newWorker(c, i)
	}
	defer func() {
		for _, w := range c.workers {
			w.release()
		}
	}()
	for c.round = 1; ; c.round++ {
		res.Rounds = c.round
		rcfg := pcfg
		rcfg.Stats = stats
		// A later round reads again what the earlier ones dropped: it
		// counts what it reads, but lists no object twice in the summary.
		start := stats.Start
		listed := []int64{stats.Listed.Load(), stats.SkippedTime.Load(), stats.SkippedShard.Load(), stats.SkippedDone.Load()}
		c.dropped.Store(0)
		for _, w := range c.workers {
			w.final = false
		}
		_, err := pipeline.Run(ctx, rcfg, sources, c)
		if c.round > 1 {
			stats.Start = start
			for i, n := range []*atomic.Int64{&stats.Listed, &stats.SkippedTime, &stats.SkippedShard, &stats.SkippedDone} {
				n.Store(listed[i])
			}
		}
		if err == nil {
			err = c.idErr()
		}
		if err != nil {
			return res, err
		}
		// The final commits encode each worker's last row groups: run them
		// in parallel, as the workers ran (commits are safe concurrently).
		var g errgroup.Group
		for _, w := range c.workers {
			w.final = true
			g.Go(func() error { return w.commit(ctx) })
		}
		if err := g.Wait(); err != nil {
			return res, err
		}
		if err := c.finish(ctx); err != nil {
			return res, err
		}
		if c.dropped.Load() == 0 || c.incomplete() == 0 {
			break
		}
		if c.round >= opts.maxRounds {
			return res, fmt.Errorf("%s: %w: %d objects are left for the next run", dest, ErrBusy, c.incomplete())
		}
	}
	res.Files = int(c.files.Load())
	res.Rows = c.rows.Load()
	res.Bytes = c.bytes.Load()
	res.Objects = int(c.completed.Load())
	res.Conflicts = int(c.conflicts.Load())
	return res, nil
}

// checkForeign refuses a destination holding files that s3logs did not
// write (unless force), while it is young: once a checkpoint exists the
// destination is known to be convert's, and is not listed again.
func checkForeign(ctx context.Context, d sink.Destination, l *manifestLog, force bool) error {
	if force || l.st.base > 0 {
		return nil
	}
	names, err := d.List(ctx, "")
	if err != nil {
		return fmt.Errorf("listing %s: %w", d, err)
	}
	// Files committed after the log was read appear in the listing:
	// read the log again, after the listing.
	if err := l.sync(ctx); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, f := range l.st.added {
		known[f.Name] = true
	}
	for _, f := range l.st.removed {
		delete(known, f.Name)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, ManifestDir+"/") && !known[n] {
			return fmt.Errorf("%s: %s: %w", d, n, ErrNotOutput)
		}
	}
	return nil
}

// isOutputName reports whether a file name is one Convert writes.
func isOutputName(base string) bool {
	return strings.HasPrefix(base, "part-") && (strings.HasSuffix(base, ".parquet") || strings.HasSuffix(base, ".arrow"))
}

// runOf returns the run that wrote output file name
// (part-<run>-<worker>-<seq>.<ext>), "" if it is not an output name.
func runOf(name string) string {
	base := path.Base(name)
	if !isOutputName(base) {
		return ""
	}
	base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(base, "part-"), ".parquet"), ".arrow")
	for range 2 {
		i := strings.LastIndexByte(base, '-')
		if i <= 0 {
			return ""
		}
		base = base[:i]
	}
	return base
}

// objState is what this run knows of one log object it listed and has not
// yet seen complete.
type objState struct {
	id     string // identity (see identities)
	src    string // the source's identity
	name   string // as listed: pipeline sharding hashes it
	key    pipeline.KeyInfo
	round  int
	seen   []span // lines of the chunks processed this round
	lines  int64  // the last line number seen
	ptr    *pipeline.Object
	done   bool // read to its end, every chunk processed (Consumer.Commit)
	failed bool // failed to read (Consumer.Drop): no batch with its records commits
}

// inShard reports whether o belongs to shard spec "I/N".
func (o *objState) inShard(spec string) bool {
	i, n, _ := strings.Cut(spec, "/")
	ii, err1 := strconv.Atoi(i)
	nn, err2 := strconv.Atoi(n)
	return err1 == nil && err2 == nil && nn > 0 && pipeline.ShardOf(o.name, nn) == ii
}

// coverage is what this run listed of one source and shard.
type coverage struct {
	newest time.Time // newest key time listed
}

// converter is the shared state of one Convert call.
type converter struct {
	opts     Options
	dest     sink.Destination
	tmp      string
	log      *manifestLog
	ids      *identities
	res      *Result
	shard    string // "I/N" or ""
	lateness time.Duration
	listFrom time.Time // the key time listing started at (pcfg.Window.From)
	from, to int64
	workers  []*worker
	round    int
	ctx      context.Context // of the run, for commits from the workers
	strict   bool            // pcfg.Strict: commit only at the end
	// skipFailed is pcfg.SkipFailed: a batch holding records of an
	// object not yet read to its end waits for it.
	skipFailed bool

	mu        sync.Mutex
	objs      map[string]*objState // listed, not complete, by identity
	byPtr     map[*pipeline.Object]*objState
	waiting   map[*objState]bool       // done, not yet complete
	staged    map[string][]sink.Staged // batches staged, not yet settled
	confirmed []string                 // batches published, not yet said so in the log
	cov       map[floorKey]*coverage
	failed    map[string]bool // objects that failed (SkipFailed), not read again in later rounds
	err       error           // of identities, found while listing

	// dropped counts the round's batches dropped (a conflict, a failed
	// object): their objects are converted again in another round.
	dropped, conflicts            atomic.Int64
	rows, bytes, files, completed atomic.Int64
}

func (c *converter) idErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// incomplete returns how many listed objects are not complete.
func (c *converter) incomplete() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.objs)
}

// narrow raises the listing window to the sources' floor (SPEC §6: a
// re-run lists only keys after the newest key time converted, less
// lateness), when every source has one.
func (c *converter) narrow(pcfg *pipeline.Config, sources []string) error {
	var from time.Time
	st := c.log.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	for i, src := range sources {
		r, err := c.ids.source(src)
		if err != nil {
			return err
		}
		f, ok := st.floors[floorKey{r.id, c.shard}]
		if !ok || r.id == "-" {
			c.listFrom = pcfg.Window.From
			return nil
		}
		t := f.Floor
		if n := f.Newest.Add(-c.lateness); n.Before(t) {
			t = n
		}
		if i == 0 || t.Before(from) {
			from = t
		}
	}
	if from.After(pcfg.Window.From) {
		pcfg.Window.From = from
	}
	c.listFrom = pcfg.Window.From
	return nil
}

// skip is pipeline.Config.Skip: it registers a listed object and skips it
// if the manifest has it complete.
func (c *converter) skip(o *pipeline.Object) bool {
	id, src, err := c.ids.object(o)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return true
	}
	if o.Key.Layout != pipeline.LayoutUnknown && src.id != "-" {
		k := floorKey{src.id, c.shard}
		cv := c.cov[k]
		if cv == nil {
			cv = &coverage{}
			c.cov[k] = cv
		}
		if o.Key.Time.After(cv.newest) {
			cv.newest = o.Key.Time
		}
	}
	if s, ok := c.objs[id]; ok && s.round == c.round {
		return true // listed already, from another source
	}
	if c.failed[id] {
		return true // failed in an earlier round: listed as failed already
	}
	s := &objState{id: id, src: src.id, name: o.Name, key: o.Key, round: c.round, ptr: o}
	st := c.log.st
	st.mu.RLock()
	done := st.done(id, o.Key, s.inShard)
	st.mu.RUnlock()
	if len(done) == 1 && done[0] == allLines[0] {
		if old := c.objs[id]; old != nil {
			delete(c.objs, id) // completed by another run since the last round
			delete(c.waiting, old)
		}
		return true
	}
	if old := c.objs[id]; old != nil {
		delete(c.waiting, old)
	}
	c.objs[id] = s
	c.byPtr[o] = s
	return false
}

var _ pipeline.Consumer = (*converter)(nil)

// objPart is a worker's handle on one log object's records (a
// pipeline.Part). They go into the worker's partitions as they come; the
// worker's commits record which lines its files hold, so a run that stops
// part way through an object converts exactly the rest later.
type objPart struct {
	w    *worker
	obj  *objState
	name []byte
	done []span // lines converted already, as of the chunk being read
}

// NewPart returns worker w's handle on o.
func (c *converter) NewPart(w int, o *pipeline.Object, _ bool) pipeline.Part {
	c.mu.Lock()
	s := c.byPtr[o]
	c.mu.Unlock()
	return &objPart{w: c.workers[w], obj: s, name: []byte(o.Name)}
}

// Commit marks the object read to its end: its lines are all seen, and it
// is complete once the batches holding them are committed.
func (c *converter) Commit(w int, p pipeline.Part) error {
	s := p.(*objPart).obj
	c.mu.Lock()
	if !s.done {
		s.done = true
		c.waiting[s] = true
		delete(c.byPtr, s.ptr)
	}
	c.mu.Unlock()
	// Commit runs on worker w's goroutine: its batch may have waited for
	// this object.
	if wk := c.workers[w]; wk.due {
		return wk.commitIfWhole(c.ctx)
	}
	return nil
}

// doneLines returns the lines of s that the manifest has converted.
func (c *converter) doneLines(s *objState) []span {
	st := c.log.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.done(s.id, s.key, s.inShard)
}

// Drop marks an object that failed (SkipFailed): the batches that hold
// some of its records are dropped at their commit, so it contributes
// nothing, and it is not read again in later rounds.
func (c *converter) Drop(p pipeline.Part) {
	s := p.(*objPart).obj
	c.mu.Lock()
	defer c.mu.Unlock()
	s.failed = true
	c.failed[s.id] = true
}

// saw records that a chunk with lines first..last of s was processed.
func (c *converter) saw(s *objState, first, last int64) {
	c.mu.Lock()
	s.seen = addSpan(s.seen, span{first, last})
	s.lines = max(s.lines, last)
	c.mu.Unlock()
}

// worker is one pipeline worker's writers: a Batch and an open file per
// partition it has rows for, and the files and chunk ranges not yet
// committed. Only its goroutine touches it during the run.
type worker struct {
	c         *converter
	id        int
	parts     map[int64]*part
	pending   []pendingFile
	ranges    map[*objState][]span // lines whose records are in pending and parts
	inBytes   int64
	buffered  int64
	fileSeq   int
	commitSeq int
	due       bool // a commit is due, waiting for objects read whole (SkipFailed)
	// final is set for the commits after the last chunk: their row
	// groups are encoded on every core, as the workers that finished
	// first would otherwise leave theirs idle.
	final  bool
	origin schema.Origin
}

type part struct {
	dir   string
	batch sink.RowBuffer
	f     *os.File
	cw    countingWriter
	fw    *sink.FileWriter
	local string
	name  string
	rows  int64
	raw   int64 // uncompressed bytes written
}

// pendingFile is a closed output file waiting for its batch's commit.
// Its fsync runs in the background while the worker goes on; synced
// says how it went, and is nil once waited for.
type pendingFile struct {
	local  string
	synced chan error
	File
}

// waitSynced waits for the fsync of each of files and returns the first
// error.
func waitSynced(files []pendingFile) error {
	var first error
	for i := range files {
		if f := &files[i]; f.synced != nil {
			if err := <-f.synced; err != nil && first == nil {
				first = fmt.Errorf("writing %s: %w", f.Name, err)
			}
			f.synced = nil
		}
	}
	return first
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

func newWorker(c *converter, id int) *worker {
	return &worker{c: c, id: id, parts: map[int64]*part{}, ranges: map[*objState][]span{}}
}

func (w *worker) release() {
	waitSynced(w.pending)
	for k, p := range w.parts {
		if p.fw != nil {
			p.fw.Close()
		}
		if p.f != nil {
			p.f.Close()
		}
		p.batch.Release()
		delete(w.parts, k)
	}
}

// Records converts one chunk's records, leaving out lines converted
// already (by an earlier run, or by another run meanwhile).
func (op *objPart) Records(sc *parse.Scanner) error {
	w := op.w
	c := w.c
	op.done = c.doneLines(op.obj)
	width := c.opts.PartitionBy.seconds()
	w.origin.Object = op.name
	for sc.Scan() {
		r := sc.Record()
		line := sc.LineNumber()
		if op.done != nil && inSpans(op.done, line) {
			continue
		}
		u := r.Unix()
		if u < c.from || u >= c.to {
			continue
		}
		if c.opts.Filter != nil && !c.opts.Filter(r) {
			continue
		}
		var key int64
		if width > 0 {
			key = u / width
			if u%width < 0 {
				key--
			}
		}
		p := w.parts[key]
		if p == nil {
			p = &part{dir: c.opts.PartitionBy.dir(key * width), batch: c.newBuffer()}
			w.parts[key] = p
		}
		before := p.batch.Bytes()
		w.origin.Line = line
		p.batch.Append(r, &w.origin)
		w.buffered += p.batch.Bytes() - before
		if p.batch.Rows() >= c.opts.RowGroupRows || p.batch.Bytes() >= c.opts.RowGroupBytes {
			if err := w.flush(p); err != nil {
				return err
			}
		}
		if w.buffered > c.opts.RowGroupBytes {
			if err := w.flushLargest(); err != nil {
				return err
			}
		}
	}
	return nil
}

// EndChunk records the chunk's lines for the worker's next commit, and
// commits once the worker has read CommitBytes (or lines of commitObjects
// objects) since its last one: between chunks, so every chunk is wholly in
// one commit.
func (op *objPart) EndChunk(first, last int64, size int) error {
	w := op.w
	if last >= first {
		w.took(op.obj, first, last, op.done)
	}
	w.inBytes += int64(size)
	if w.c.strict || w.inBytes < w.c.opts.CommitBytes && len(w.ranges) < commitObjects {
		return nil // a strict run commits only at its end
	}
	if !w.c.skipFailed {
		return w.commit(w.c.ctx)
	}
	w.due = true
	return w.commitIfWhole(w.c.ctx)
}

// commitObjects is the most log objects a batch holds lines of: it bounds
// the size of a log entry, and the objects a run holds in memory waiting
// for the commit that completes them, when objects are small.
const commitObjects = 20_000

// newBuffer returns an empty row buffer for c's format.
func (c *converter) newBuffer() sink.RowBuffer { return sink.NewRowBuffer(c.opts.Format) }

func (w *worker) flushLargest() error {
	var big *part
	for _, p := range w.parts {
		if big == nil || p.batch.Bytes() > big.batch.Bytes() {
			big = p
		}
	}
	return w.flush(big)
}

// flush writes p's buffered rows to its file as one row group, opening the
// file if needed and closing it once it reached the target size.
func (w *worker) flush(p *part) error {
	if p.batch.Rows() == 0 {
		return nil
	}
	c := w.c
	if p.f == nil {
		w.fileSeq++
		base := fmt.Sprintf("part-%s-%d-%d%s", c.opts.RunID, w.id, w.fileSeq, c.opts.Format.Ext())
		p.local = filepath.Join(c.tmp, base)
		p.name = path.Join(p.dir, base)
		f, err := os.OpenFile(p.local, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		p.f = f
		p.cw = countingWriter{w: f}
		p.fw, err = sink.NewFileWriter(&p.cw, sink.FileOptions{Format: c.opts.Format, Compression: c.opts.Compression,
			RowGroupRows: c.opts.RowGroupRows, DictionaryLimit: c.opts.dictLimit})
		if err != nil {
			f.Close()
			p.f = nil
			return err
		}
	}
	n, raw := int64(p.batch.Rows()), p.batch.Bytes()
	var err error
	if w.final {
		err = p.fw.WriteConcurrent(p.batch, runtime.GOMAXPROCS(0))
	} else {
		err = p.fw.Write(p.batch)
	}
	w.buffered -= raw
	if err != nil {
		return fmt.Errorf("writing %s: %w", p.name, err)
	}
	if c.opts.Format == sink.Parquet && len(w.parts) > 1 {
		// Only a worker's sole partition keeps its grown buffers for
		// the next row group: with several, each could hold a row
		// group's worth.
		p.batch = c.newBuffer()
	}
	p.rows += n
	p.raw += raw
	if p.raw >= c.opts.TargetFileSize {
		return w.closeFile(p)
	}
	return nil
}

// closeFile finishes p's file and queues it for the next commit.
func (w *worker) closeFile(p *part) error {
	if err := w.flush(p); err != nil {
		return err
	}
	if p.f == nil {
		return nil
	}
	if err := p.fw.Close(); err != nil {
		p.f.Close()
		return fmt.Errorf("writing %s: %w", p.name, err)
	}
	// The fsync (for the manifest's durability: the commit waits for it)
	// need not hold up the next records.
	synced := make(chan error, 1)
	go func(f *os.File) {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		synced <- err
	}(p.f)
	w.pending = append(w.pending, pendingFile{local: p.local, synced: synced, File: File{Name: p.name, Rows: p.rows, Bytes: p.cw.n}})
	p.fw, p.f = nil, nil
	p.rows, p.raw = 0, 0
	return nil
}

// commitIfWhole commits w's batch unless it holds records of an object
// still being read. Under SkipFailed an object's records count only once
// it was read to its end (it may still fail, and then contributes
// nothing), so a batch that is due waits for that: for a later chunk, or
// for the end of the object (Commit).
func (w *worker) commitIfWhole(ctx context.Context) error {
	w.c.mu.Lock()
	for o := range w.ranges {
		if !o.done && !o.failed {
			w.c.mu.Unlock()
			return nil
		}
	}
	w.c.mu.Unlock()
	w.due = false
	return w.commit(ctx)
}

// commit closes all of w's files and commits them with the line ranges
// they hold (commitBatch). It is called between chunks, so every chunk w
// processed is wholly in the batch. A batch holding records of an object
// that failed is dropped instead, its other objects left for another round.
func (w *worker) commit(ctx context.Context) error {
	keys := make([]int64, 0, len(w.parts))
	for k := range w.parts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		p := w.parts[k]
		if err := w.closeFile(p); err != nil {
			return err
		}
		p.batch.Release()
		delete(w.parts, k)
	}
	w.buffered = 0
	if err := waitSynced(w.pending); err != nil {
		return err
	}
	if len(w.ranges) == 0 && len(w.pending) == 0 {
		return nil
	}
	w.commitSeq++
	b := &batch{id: fmt.Sprintf("%s-%d-%d", w.c.opts.RunID, w.id, w.commitSeq), files: w.pending, ranges: w.ranges}
	w.pending, w.ranges, w.inBytes = nil, map[*objState][]span{}, 0
	w.c.mu.Lock()
	failed := false
	for o := range b.ranges {
		failed = failed || o.failed
	}
	w.c.mu.Unlock()
	if failed {
		for _, f := range b.files {
			os.Remove(f.local)
		}
		w.c.dropped.Add(1)
		return nil
	}
	return w.c.commitBatch(ctx, b)
}
