package convert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
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

	dictLimit int // tests: sink.FileOptions.DictionaryLimit
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
}

// Result is what a conversion did.
type Result struct {
	Stats   *pipeline.Stats // pipeline counters; Lines and Rejected included
	RunID   string
	Files   int   // output files written
	Rows    int64 // rows written
	Bytes   int64 // bytes written (compressed files)
	Objects int   // log objects completed
	Orphans int   // files of killed runs removed before starting
}

// ErrNotOutput is returned when the destination holds files that s3logs did
// not write and Options.Force is not set.
var ErrNotOutput = errors.New("destination holds files that are not s3logs output (use --force to convert into it anyway)")

// Convert reads the log objects of sources through the pipeline and writes
// their records to dest (see the package doc for the layout and the
// manifest). Objects that the manifest at dest lists as complete are not
// read again. pcfg's reject policy (Strict, Rejects) applies; a strict
// run that fails commits nothing more. pcfg.SkipFailed is not supported
// (a failed object would leave its records half converted) and is turned
// off; pcfg.Skip is taken over.
func Convert(ctx context.Context, dest sink.Destination, opts Options, pcfg pipeline.Config, sources []string) (*Result, error) {
	opts.defaults()
	if err := opts.Compression.Validate(opts.Format); err != nil {
		return nil, err
	}
	shardTag := ""
	if pcfg.Shards > 0 {
		shardTag = fmt.Sprintf("s%dof%d-", pcfg.Shard, pcfg.Shards)
	}
	if opts.RunID == "" {
		var rb [4]byte
		rand.Read(rb[:])
		opts.RunID = shardTag + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rb[:])
	}
	res := &Result{RunID: opts.RunID}
	m, err := ReadManifest(ctx, dest)
	if err != nil {
		return res, err
	}
	// Files of earlier runs that no manifest entry names are orphans of a
	// killed run: remove them so readers never see their rows twice.
	names, err := dest.List(ctx, "")
	if err != nil {
		return res, fmt.Errorf("listing %s: %w", dest, err)
	}
	var orphans []string
	for _, n := range names {
		if strings.HasPrefix(n, ManifestDir+"/") || m.Has(n) {
			continue
		}
		base := path.Base(n)
		if !isOutputName(base) {
			if !opts.Force {
				return res, fmt.Errorf("%s: %s: %w", dest, n, ErrNotOutput)
			}
			continue
		}
		if strings.HasPrefix(base, "part-"+shardTag) { // not another shard's, maybe still running
			orphans = append(orphans, n)
		}
	}
	for _, n := range orphans {
		if err := dest.Remove(ctx, n); err != nil {
			return res, fmt.Errorf("removing orphan %s: %w", n, err)
		}
		res.Orphans++
	}
	if err := dest.RemoveTemp(shardTag, opts.RunID); err != nil {
		return res, fmt.Errorf("removing stale temporary files: %w", err)
	}
	tmp, err := dest.TempDir(opts.RunID)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)

	c := &converter{opts: opts, dest: dest, tmp: tmp, manifest: m, objs: map[string]*objState{}}
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
	pcfg.SkipFailed = false
	if pcfg.Strict {
		// A strict run publishes nothing unless every line is valid: it
		// commits only at its end.
		opts.CommitBytes = 1<<63 - 1
	}
	pcfg.Skip = func(o *pipeline.Object) bool { return m.Complete(o.Name) }
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
	stats, err := pipeline.Run(ctx, pcfg, sources, c)
	res.Stats = stats
	if err != nil {
		return res, err
	}
	// The final commits encode each worker's last row groups: run them in
	// parallel, as the workers ran (commits are safe concurrently).
	var g errgroup.Group
	for _, w := range c.workers {
		g.Go(func() error { return w.commit(ctx) })
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := c.writeEntry(ctx, "final", nil, nil); err != nil {
		return res, err
	}
	res.Files = int(c.files.Load())
	res.Rows = c.rows.Load()
	res.Bytes = c.bytes.Load()
	res.Objects = int(c.completed.Load())
	return res, nil
}

// isOutputName reports whether a file name is one Convert writes.
func isOutputName(base string) bool {
	return strings.HasPrefix(base, "part-") && (strings.HasSuffix(base, ".parquet") || strings.HasSuffix(base, ".arrow"))
}

// objState tracks one log object's chunks: processed by workers, and
// committed (in a manifest entry already written).
type objState struct {
	size      int64
	processed int
	committed int
	done      bool // ObjectDone fired: processed is final
	marked    bool // listed as complete in an entry
}

// converter is the shared state of one Convert call.
type converter struct {
	opts     Options
	dest     sink.Destination
	tmp      string
	manifest *Manifest
	from, to int64
	workers  []*worker

	mu   sync.Mutex
	objs map[string]*objState
	seq  int

	ctx context.Context // of the run, for commits from the workers

	rows, bytes, files, completed atomic.Int64
}

func (c *converter) obj(name string, size int64) *objState {
	o := c.objs[name]
	if o == nil {
		o = &objState{size: size}
		c.objs[name] = o
	}
	return o
}

var _ pipeline.Consumer = (*converter)(nil)

// objPart is a worker's handle on one log object's records. They go into
// the worker's partitions as they come: a commit of the worker records
// which line ranges its files hold (so a run that stops part way through
// an object converts exactly the rest later), and the object is marked
// complete once it has been read to its end.
type objPart struct {
	w    *worker
	obj  *pipeline.Object
	name []byte
	done []LineRange // lines converted by earlier runs
}

// NewPart returns worker w's handle on o.
func (c *converter) NewPart(w int, o *pipeline.Object, _ bool) pipeline.Part {
	return &objPart{w: c.workers[w], obj: o, name: []byte(o.Name), done: c.manifest.Ranges(o.Name)}
}

// Commit marks the object read to its end: processed is final.
func (c *converter) Commit(_ int, p pipeline.Part) error {
	o := p.(*objPart).obj
	c.mu.Lock()
	c.obj(o.Name, o.Size).done = true
	c.mu.Unlock()
	return nil
}

// Drop is never called: Convert turns SkipFailed off.
func (c *converter) Drop(pipeline.Part) {}

// takeComplete returns the objects that are done and whose chunks are all
// committed, not yet listed in an entry, and marks them listed.
func (c *converter) takeComplete() []string {
	var out []string
	for name, o := range c.objs {
		if o.done && !o.marked && o.committed == o.processed {
			o.marked = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// writeEntry writes a manifest entry for files and ranges, adding the
// objects that became complete, then counts ranges' chunks as committed.
func (c *converter) writeEntry(ctx context.Context, tag string, files []ManifestFile, ranges []LineRange) error {
	c.mu.Lock()
	complete := c.takeComplete()
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	if len(files) == 0 && len(ranges) == 0 && len(complete) == 0 {
		return nil
	}
	merged := append([]LineRange(nil), ranges...)
	sort.SliceStable(merged, func(i, j int) bool { return merged[i].Object < merged[j].Object })
	var rs []LineRange
	for i := 0; i < len(merged); {
		j := i
		for j < len(merged) && merged[j].Object == merged[i].Object {
			j++
		}
		rs = append(rs, mergeRanges(merged[i:j])...)
		i = j
	}
	e := ManifestEntry{Version: 1, Run: c.opts.RunID, Written: time.Now().UTC(), Format: c.opts.Format.String(),
		Filter: c.opts.FilterText, Files: files, Ranges: rs, Complete: complete}
	data, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s/%s-%s-%04d.json", ManifestDir, c.opts.RunID, tag, seq)
	if err := c.dest.WriteFile(ctx, name, data); err != nil {
		c.mu.Lock()
		for _, o := range complete {
			c.objs[o].marked = false
		}
		c.mu.Unlock()
		return fmt.Errorf("writing manifest %s: %w", name, err)
	}
	c.mu.Lock()
	for _, r := range ranges { // one range per chunk
		c.obj(r.Object, r.Size).committed++
	}
	c.mu.Unlock()
	c.completed.Add(int64(len(complete)))
	return nil
}

// worker is one pipeline worker's writers: a Batch and an open file per
// partition it has rows for, and the files and chunk ranges not yet
// committed. Only its goroutine touches it during the run.
type worker struct {
	c        *converter
	id       int
	parts    map[int64]*part
	pending  []pendingFile
	ranges   []LineRange
	inBytes  int64
	buffered int64
	fileSeq  int
	origin   schema.Origin
}

type part struct {
	dir     string
	batch   sink.RowBuffer
	f       *os.File
	cw      countingWriter
	fw      *sink.FileWriter
	local   string
	name    string
	rows    int64
	raw     int64 // uncompressed bytes written
	objects map[string]bool
	last    string
}

type pendingFile struct {
	local string
	ManifestFile
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
	return &worker{c: c, id: id, parts: map[int64]*part{}}
}

func (w *worker) release() {
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

// Records converts one chunk's records.
func (op *objPart) Records(sc *parse.Scanner) error {
	w := op.w
	c := w.c
	width := c.opts.PartitionBy.seconds()
	name := op.obj.Name
	w.origin.Object = op.name
	for sc.Scan() {
		r := sc.Record()
		line := sc.LineNumber()
		if op.done != nil && inRanges(op.done, line) {
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
			p = &part{dir: c.opts.PartitionBy.dir(key * width), batch: c.newBuffer(), objects: map[string]bool{}}
			w.parts[key] = p
		}
		before := p.batch.Bytes()
		w.origin.Line = line
		p.batch.Append(r, &w.origin)
		w.buffered += p.batch.Bytes() - before
		if p.last != name {
			p.objects[name] = true
			p.last = name
		}
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

// EndChunk records the chunk's line range for the worker's next commit,
// and commits when the worker has read CommitBytes since its last one:
// between chunks, so every chunk is wholly in one commit.
func (op *objPart) EndChunk(first, last int64, size int) error {
	w := op.w
	c := w.c
	name := op.obj.Name
	w.ranges = append(w.ranges, LineRange{Object: name, Size: op.obj.Size, First: first, Last: last})
	c.mu.Lock()
	c.obj(name, op.obj.Size).processed++
	c.mu.Unlock()
	w.inBytes += int64(size)
	if w.inBytes >= c.opts.CommitBytes {
		return w.commit(c.ctx)
	}
	return nil
}

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
	err := p.fw.Write(p.batch)
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
	err := p.fw.Close()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", p.name, err)
	}
	objs := make([]string, 0, len(p.objects))
	for o := range p.objects {
		objs = append(objs, o)
	}
	sort.Strings(objs)
	w.pending = append(w.pending, pendingFile{local: p.local, ManifestFile: ManifestFile{Name: p.name, Rows: p.rows, Bytes: p.cw.n, Objects: objs}})
	p.fw, p.f = nil, nil
	p.rows, p.raw = 0, 0
	p.objects = map[string]bool{}
	p.last = ""
	return nil
}

// commit closes all of w's files, publishes them and writes a manifest
// entry naming them and the chunk ranges they hold. It is called between
// chunks, so every chunk w processed is wholly in the entry.
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
	if len(w.ranges) == 0 && len(w.pending) == 0 {
		return nil
	}
	files := make([]ManifestFile, len(w.pending))
	for i, pf := range w.pending {
		if err := w.c.dest.Publish(ctx, pf.local, pf.Name); err != nil {
			return fmt.Errorf("publishing %s: %w", pf.Name, err)
		}
		files[i] = pf.ManifestFile
		w.c.files.Add(1)
		w.c.rows.Add(pf.Rows)
		w.c.bytes.Add(pf.Bytes)
	}
	if err := w.c.writeEntry(ctx, fmt.Sprint(w.id), files, w.ranges); err != nil {
		return err
	}
	w.pending = w.pending[:0]
	w.ranges = w.ranges[:0]
	w.inBytes = 0
	return nil
}
