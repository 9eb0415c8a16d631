package lake

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// Scan is what a consumer reads of converted output. The zero value
// reads every column and every row.
type Scan struct {
	// Columns marks the schema.Columns the consumer reads (derived ones
	// included: timestamp needs requestdatetime read); nil is every
	// column of the files.
	Columns []bool
	// Filters are AND-ed; a row that fails one is not handed on. Each
	// is conservative (see Filter).
	Filters []Filter
	// Group lists the schema columns of the consumer's GROUP BY keys
	// (string log fields read as is), for Records.GroupID; nil for none.
	Group []int
	// TimeText asks for the Time field's text in S3's form (the string
	// view of requestdatetime, SPEC §4). Without it records have the
	// request time (Record.Unix) but not its text, which costs a
	// formatting per record.
	TimeText bool
}

// Part is the pipeline.Part of a consumer that also reads converted
// output: LakeRecords reads the records of one unit from rs, calling Scan
// until it returns false or the part fails. The lake calls EndChunk after
// each unit. Every consumer handed to Run must return such parts.
type Part interface {
	pipeline.Part
	LakeRecords(rs *Records) error
}

// ErrMixed is the cause of a run over sources some of which hold
// converted output and some log objects.
var ErrMixed = errors.New("converted output and log objects cannot be read in one run")

// Run reads every record of sources and hands them to cons: log objects
// through pipeline.Run (scan is then unused), converted output through
// the lake (see the package doc), with cfg's workers, concurrency, AWS
// options, time window (cfg.Window: partitions, row groups and rows
// outside it are pruned, both ends inclusive) and SkipFailed. The returned
// Stats (cfg.Stats when set) count data files as objects and rows as
// lines.
func Run(ctx context.Context, cfg pipeline.Config, sources []string, cons pipeline.Consumer, scan Scan) (*pipeline.Stats, error) {
	lake, err := DetectAll(ctx, cfg, sources)
	if err != nil {
		st := cfg.Stats
		if st == nil {
			st = &pipeline.Stats{}
		}
		return st, err
	}
	if !lake {
		return pipeline.Run(ctx, cfg, sources, cons)
	}
	r, err := newRun(ctx, cfg, scan)
	if err != nil {
		return r.stats, err
	}
	return r.stats, r.run(ctx, sources, cons)
}

// DetectAll reports whether sources hold converted output (Detect); some
// of each is ErrMixed.
func DetectAll(ctx context.Context, cfg pipeline.Config, sources []string) (bool, error) {
	var lakes, logs []string
	for _, src := range sources {
		ok, err := Detect(ctx, cfg, src)
		if err != nil {
			return false, err
		}
		if ok {
			lakes = append(lakes, src)
		} else {
			logs = append(logs, src)
		}
	}
	if len(lakes) > 0 && len(logs) > 0 {
		return false, fmt.Errorf("%w: %s holds converted output and %s log objects; query them separately", ErrMixed, lakes[0], logs[0])
	}
	return len(lakes) > 0, nil
}

// run is one Run over converted output.
type run struct {
	cfg     pipeline.Config
	stats   *pipeline.Stats
	scan    Scan
	filters []Filter // the scan's, and the window's time range
	// implies lists, for each of filters, the indices of the scan's
	// Filters it implies (a range the intersection of some).
	implies [][]int
	lo, hi  int64 // the window, Unix seconds, inclusive
	mem     *semaphore.Weighted
	memCap  int64
	alloc   memory.Allocator
	props   *parquet.ReaderProperties
	cons    pipeline.Consumer
	// onPrune, when set, is told of each row group statistics prune.
	onPrune func(fs *fileState, rg int, by *prepared)
}

func newRun(ctx context.Context, cfg pipeline.Config, scan Scan) (*run, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = pipeline.DefaultWorkers()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = 256 << 20
	}
	if cfg.Stats == nil {
		cfg.Stats = &pipeline.Stats{}
	}
	r := &run{cfg: cfg, stats: cfg.Stats, scan: scan, lo: -1 << 62, hi: 1 << 62,
		mem: semaphore.NewWeighted(cfg.MaxBuffered), memCap: cfg.MaxBuffered, alloc: memory.DefaultAllocator}
	// Page buffers are recycled (pageAllocator); Arrow IPC record
	// batches, whose lifetimes arrow-go's reader manages, are not.
	r.props = parquet.NewReaderProperties(pagePool)
	// A column chunk is read through a small buffer, its pages straight
	// into their (recycled) buffers, not first copied whole into a new
	// slice of its size (arrow-go's unbuffered stream).
	r.props.BufferedStreamEnabled = true
	r.props.BufferSize = 4 << 10
	r.stats.Begin(cfg.Window)
	filters := scan.Filters
	if w := cfg.Window; w.Bounded() {
		if !w.From.IsZero() {
			r.lo = w.From.Unix()
		}
		if !w.To.IsZero() {
			r.hi = w.To.Unix()
		}
		i, _ := schema.Lookup("requestdatetime")
		filters = append(filters, Filter{Column: i, Op: OpRange, Lo: r.lo, Hi: r.hi, Text: "the time window"})
	}
	r.filters, r.implies = mergeRanges(filters, len(scan.Filters))
	return r, ctx.Err()
}

// mergeRanges returns filters with the ranges on one column made one,
// their intersection, where the first of them was, and for each filter
// returned the indices of those of fs it implies that are below scan
// (the scan's own).
func mergeRanges(fs []Filter, scan int) ([]Filter, [][]int) {
	var out []Filter
	var implies [][]int
	at := map[int]int{} // column -> index in out of its range
	for k, f := range fs {
		i, ok := at[f.Column]
		switch {
		case f.Op != OpRange || !ok:
			if f.Op == OpRange {
				at[f.Column] = len(out)
			}
			i = len(out)
			out = append(out, f)
			implies = append(implies, nil)
		default:
			m := &out[i]
			if f.Lo > m.Lo || f.Hi < m.Hi {
				m.Lo, m.Hi = max(m.Lo, f.Lo), min(m.Hi, f.Hi)
				m.Text += " AND " + f.Text
			}
		}
		if k < scan {
			implies[i] = append(implies[i], k)
		}
	}
	return out, implies
}

// markChecked notes in l which of the scan's filters every record of a
// unit read with l is known to pass (Records.Checked): those implied by
// a range on a column read as integers or times, and equality and LIKE
// on a column read as text, which Records checks on every row it hands
// on, on the value it assembles (prepared.apply: a dictionary's values
// once each, other rows one by one; never skipped as whole).
func (r *run) markChecked(l *layout) {
	l.checked = make([]bool, len(r.scan.Filters))
	for _, p := range l.filters {
		switch {
		case p.f.Op == OpRange && p.kind != kStr:
		case (p.f.Op == OpEqual || p.f.Op == OpLike) && p.kind == kStr:
		default:
			continue
		}
		for _, k := range r.implies[p.at] {
			l.checked[k] = true
		}
	}
}

// fileState follows one data file through a run: its row groups (units)
// are read by any worker, each worker's records into its own part, and
// the parts are committed when the last unit is done, or dropped when one
// failed.
type fileState struct {
	f       *dataFile
	obj     pipeline.Object
	blob    blob
	format  fileFormat
	md      *metadata.FileMetaData
	pr      *file.Reader // local Parquet: shared by the units
	ipc     *ipc.FileReader
	layout  *layout
	units   int
	pending atomic.Int64
	failed  atomic.Bool
	errMu   sync.Mutex
	err     error
	parts   []pipeline.Part // by worker
}

func (fs *fileState) fail(err error) {
	fs.errMu.Lock()
	if fs.err == nil {
		fs.err = err
	}
	fs.errMu.Unlock()
	fs.failed.Store(true)
}

// unit is one row group (Parquet) or record batch (Arrow) to read.
type unit struct {
	fs    *fileState
	index int
	src   blob  // the file, or the ranges prefetched for this unit
	held  int64 // bytes of prefetched ranges, released when done
}

func (r *run) run(ctx context.Context, sources []string, cons pipeline.Consumer) error {
	r.cons = cons
	var files []*dataFile
	for _, src := range sources {
		fs, _, err := listFiles(ctx, r.cfg, src, r.stats)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	r.stats.Listed.Add(int64(len(files)))
	r.stats.ListDone.Store(true)

	g, ctx := errgroup.WithContext(ctx)
	open := make(chan *dataFile)
	units := make(chan *unit, 2*r.cfg.Workers)
	g.Go(func() error {
		defer close(open)
		for _, f := range files {
			if r.outsideWindow(f) {
				r.stats.SkipTime(time.Unix(f.partLo, 0).UTC())
				continue
			}
			select {
			case open <- f:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	openers := r.cfg.Workers
	if files := len(files); files > 0 && files < openers {
		openers = files
	}
	for _, f := range files {
		if f.s3 != nil {
			openers = r.cfg.Concurrency
			break
		}
	}
	var openWG sync.WaitGroup
	for range openers {
		openWG.Add(1)
		g.Go(func() error {
			defer openWG.Done()
			for f := range open {
				if err := r.openFile(ctx, f, units); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		openWG.Wait()
		close(units)
		return nil
	})
	for w := range r.cfg.Workers {
		g.Go(func() error { return r.work(ctx, w, cons, units) })
	}
	return g.Wait()
}

// outsideWindow reports whether f's partition holds only request times
// outside the run's time window: f is pruned with it, not opened.
func (r *run) outsideWindow(f *dataFile) bool {
	return f.partOK && (f.partHi < r.lo || f.partLo > r.hi)
}

// openFile reads a file's footer, works out how to read it, prunes its
// row groups and sends the others on units. An error reading the file
// fails the file (a run error without SkipFailed); a column the scan
// needs that the file lacks fails the run.
func (r *run) openFile(ctx context.Context, f *dataFile, units chan<- *unit) error {
	fs := &fileState{f: f, obj: pipeline.Object{Source: f.src, Name: f.name, Size: f.size}, parts: make([]pipeline.Part, r.cfg.Workers)}
	us, err := r.prepare(ctx, fs)
	var planErr *planError
	switch {
	case errors.As(err, &planErr):
		return planErr.err
	case err != nil:
		if fs.blob != nil {
			fs.blob.close()
		}
		return r.fileFailed(fs, err)
	}
	if len(us) == 0 {
		if fs.blob != nil {
			fs.blob.close()
		}
		r.stats.Read.Add(1)
		return nil
	}
	fs.units = len(us)
	fs.pending.Store(int64(len(us)))
	for k, u := range us {
		if f.s3 != nil && fs.format == formatParquet {
			if err := r.prefetch(ctx, u); err != nil {
				// This unit and those after it are not read.
				fs.fail(err)
				for range us[k:] {
					if err := r.unitDone(-1, fs); err != nil {
						return err
					}
				}
				return nil
			}
		}
		select {
		case units <- u:
		case <-ctx.Done():
			r.mem.Release(u.held)
			return ctx.Err()
		}
	}
	return nil
}

// planError marks an error in what a file holds for the scan (a missing
// column): it fails the run whatever SkipFailed says.
type planError struct{ err error }

func (e *planError) Error() string { return e.err.Error() }

// prepare opens a file and returns its units to read.
func (r *run) prepare(ctx context.Context, fs *fileState) ([]*unit, error) {
	f := fs.f
	if f.missing {
		return nil, fmt.Errorf("%s: the manifest names it but it is not there (a convert run may still be publishing it, or was killed: the next convert run publishes it): %w", f.name, iofs.ErrNotExist)
	}
	b, err := f.open()
	if err != nil {
		return nil, err
	}
	fs.blob = b
	format, md, err := readFooter(ctx, b, f)
	if err != nil {
		return nil, err
	}
	fs.format, fs.md = format, md
	if format == formatArrow {
		rd, err := ipc.NewFileReader(readerAt(ctx, b, f.size), ipc.WithAllocator(r.alloc))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		fs.ipc = rd
		if fs.layout, err = plan(arrowColumns(rd.Schema()), f.name, r.scan, r.filters, f.part != nil); err != nil {
			return nil, &planError{err}
		}
		r.markChecked(fs.layout)
		var us []*unit
		for i := range rd.NumRecords() {
			us = append(us, &unit{fs: fs, index: i, src: b})
		}
		return us, nil
	}
	md.SetSourceFileSize(f.size)
	if fs.layout, err = plan(parquetColumns(md), f.name, r.scan, r.filters, f.part != nil); err != nil {
		return nil, &planError{err}
	}
	r.markChecked(fs.layout)
	if f.s3 == nil {
		if fs.pr, err = file.NewParquetReader(readerAt(context.Background(), b, f.size), file.WithMetadata(md), file.WithReadProps(r.props)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	var us []*unit
	n := md.NumRowGroups()
	for i := range n {
		if by := r.pruneRowGroup(fs, i); by != nil {
			if r.onPrune != nil {
				r.onPrune(fs, i, by)
			}
			continue
		}
		us = append(us, &unit{fs: fs, index: i, src: b})
	}
	return us, nil
}

// emptyRowGroup is the "filter" that prunes a row group of no rows.
var emptyRowGroup = &prepared{f: &Filter{Text: "no rows"}}

// pruneRowGroup returns the filter whose statistics rule out every row of
// row group i, nil for none.
func (r *run) pruneRowGroup(fs *fileState, i int) *prepared {
	rg := fs.md.RowGroup(i)
	if rg.NumRows() == 0 {
		return emptyRowGroup
	}
	l := fs.layout
	for _, p := range l.filters {
		if st, unit, ok := chunkStats(rg, l.cols[p.slot]); ok && p.pruneStats(st, unit) {
			return p
		}
	}
	return nil
}

// chunkStats returns the statistics of column c's chunk in row group rg
// and the column's integers per second (1 for other integers); false
// when there are none, or none to compare with (times held as INT96 or
// text, or DATEs).
func chunkStats(rg *metadata.RowGroupMetaData, c fileCol) (metadata.TypedStatistics, int64, bool) {
	if c.kind == kTime && (c.int96 || c.text || c.days) {
		return nil, 0, false
	}
	cc, err := rg.ColumnChunk(c.index)
	if err != nil {
		return nil, 0, false
	}
	if ok, _ := cc.StatsSet(); !ok {
		return nil, 0, false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		return nil, 0, false
	}
	unit := int64(1)
	if c.kind == kTime {
		unit = c.unit
	}
	return st, unit, true
}

// markWhole sets whole[k] for each range filter k on an integer or time
// column whose statistics in row group i say every row passes (no NULL,
// min and max in the range), so that Records need not check it.
func (r *run) markWhole(fs *fileState, i int, whole []bool) {
	rg := fs.md.RowGroup(i)
	l := fs.layout
	for k, p := range l.filters {
		if p.f.Op != OpRange || p.kind == kStr {
			continue
		}
		st, unit, ok := chunkStats(rg, l.cols[p.slot])
		if !ok || !st.HasMinMax() || !st.HasNullCount() || st.NullCount() != 0 ||
			st.Descr() == nil || st.Descr().SortOrder() != pqschema.SortSIGNED {
			continue
		}
		var lo, hi int64
		switch s := st.(type) {
		case *metadata.Int32Statistics:
			lo, hi = int64(s.Min()), int64(s.Max())
		case *metadata.Int64Statistics:
			lo, hi = s.Min(), s.Max()
		default:
			continue
		}
		a, b := scaleRange(p.f.Lo, p.f.Hi, unit)
		whole[k] = lo >= a && hi <= b
	}
}

// prefetch reads the column chunks a unit needs, adjacent ones in one
// ranged GET and the GETs at once, into memory, within the run's budget.
func (r *run) prefetch(ctx context.Context, u *unit) error {
	rg := u.fs.md.RowGroup(u.index)
	var rs []byteRange
	for _, c := range u.fs.layout.cols {
		cc, err := rg.ColumnChunk(c.index)
		if err != nil {
			return err
		}
		off := cc.DataPageOffset()
		if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < off {
			off = cc.DictionaryPageOffset()
		}
		rs = append(rs, byteRange{off, cc.TotalCompressedSize()})
	}
	rs = coalesce(rs, 1<<20)
	var total int64
	for _, br := range rs {
		total += br.n
	}
	total = min(total, r.memCap)
	if err := r.mem.Acquire(ctx, total); err != nil {
		return err
	}
	u.held = total
	p := &prefetched{base: u.fs.blob, spans: make([]span, len(rs))}
	g, gctx := errgroup.WithContext(ctx)
	for i, br := range rs {
		g.Go(func() error {
			data := make([]byte, br.n)
			if err := u.fs.blob.readAt(gctx, data, br.off); err != nil {
				return err
			}
			p.spans[i] = span{off: br.off, data: data}
			r.stats.Bytes.Add(br.n)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("%s: %w", u.fs.f.name, err)
	}
	u.src = p
	return nil
}

// work reads units on worker w.
func (r *run) work(ctx context.Context, w int, cons pipeline.Consumer, units <-chan *unit) error {
	rs := newRecords()
	defer rs.free()
	for {
		var u *unit
		select {
		case u = <-units:
		case <-ctx.Done():
			return ctx.Err()
		}
		if u == nil {
			return nil
		}
		if err := r.readUnit(ctx, w, cons, u, rs); err != nil {
			return err
		}
	}
}

// readUnit hands one unit's records to worker w's part of its file, and
// commits or drops the file's parts after its last unit.
func (r *run) readUnit(ctx context.Context, w int, cons pipeline.Consumer, u *unit, rs *Records) error {
	fs := u.fs
	defer r.mem.Release(u.held)
	if !fs.failed.Load() {
		if err := r.readRecords(ctx, w, cons, u, rs); err != nil {
			var re *readError
			if !errors.As(err, &re) {
				return err
			}
			fs.fail(re.err)
		}
	}
	return r.unitDone(w, fs)
}

// unitDone counts a unit of fs done, on worker w (-1 for none: then the
// file has failed). After its last unit the file's parts are committed,
// or dropped if it failed.
func (r *run) unitDone(w int, fs *fileState) error {
	if fs.pending.Add(-1) > 0 {
		return nil
	}
	fs.blob.close()
	if fs.failed.Load() {
		for _, p := range fs.parts {
			if p != nil {
				r.cons.Drop(p)
			}
		}
		return r.fileFailed(fs, fs.err)
	}
	for _, p := range fs.parts {
		if p != nil {
			if err := r.cons.Commit(w, p); err != nil {
				return err
			}
		}
	}
	r.stats.Read.Add(1)
	return nil
}

// readError marks an error reading a file (not of the consumer).
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

func (r *run) readRecords(ctx context.Context, w int, cons pipeline.Consumer, u *unit, rs *Records) error {
	fs := u.fs
	readErr := func(err error) error {
		return &readError{fmt.Errorf("%s: %w", fs.f.name, err)}
	}
	var src columnSource
	switch fs.format {
	case formatArrow:
		rb, err := fs.ipc.RecordBatchAt(u.index)
		if err != nil {
			return readErr(err)
		}
		src = &arrowSource{rb: rb, cols: fs.layout.cols}
	default:
		pr := fs.pr
		if pr == nil {
			var err error
			if pr, err = file.NewParquetReader(readerAt(ctx, u.src, fs.f.size), file.WithMetadata(fs.md), file.WithReadProps(r.props)); err != nil {
				return readErr(err)
			}
		}
		if pruned, err := r.pruneByDictionary(ctx, fs, u, &rs.dictPages); err != nil {
			return readErr(err)
		} else if pruned {
			return nil
		}
		ps := newParquetSource(ctx, u.src, pr, u.index, fs.layout, &rs.bufs)
		if fs.pr != nil {
			defer func() { r.stats.Bytes.Add(ps.bytes) }() // (prefetching counted S3's)
		}
		src = ps
	}
	defer src.release()
	r.stats.Lines.Add(src.rows())
	p := fs.parts[w]
	if p == nil {
		// A file whose failure fails the run (no SkipFailed) is, as far
		// as the consumer can tell, read whole: none of its records is
		// dropped, so its parts need not be held apart until the file is
		// done, and write into the worker's state (or out) as they go.
		// With SkipFailed they are held even for a file of one unit: its
		// pages are decoded as its records are handed on, so it can fail
		// after some of them, and then none may stay in the answer.
		p = cons.NewPart(w, &fs.obj, !r.cfg.SkipFailed)
		fs.parts[w] = p
	}
	lp, ok := p.(Part)
	if !ok {
		return fmt.Errorf("%w: the consumer's part %T cannot read converted output", pipeline.ErrInternal, p)
	}
	rs.reset(src, fs.layout, fs.f.part)
	if fs.format == formatParquet {
		r.markWhole(fs, u.index, rs.whole)
	}
	if err := lp.LakeRecords(rs); err != nil {
		return err
	}
	if err := rs.Err(); err != nil {
		return readErr(err)
	}
	return p.EndChunk(0, 0, 0)
}

// pruneByDictionary reports whether the dictionary page of a filter
// column rules out every row of unit u: for equality, IN and LIKE on a
// column chunk wholly dictionary encoded, no dictionary value passes.
// The pages are read with cp.
func (r *run) pruneByDictionary(ctx context.Context, fs *fileState, u *unit, cp *chunkPages) (bool, error) {
	l := fs.layout
	rg := fs.md.RowGroup(u.index)
	for _, p := range l.filters {
		if p.kind != kStr || p.f.Op != OpEqual && p.f.Op != OpLike {
			continue
		}
		c := l.cols[p.slot]
		cc, err := rg.ColumnChunk(c.index)
		if err != nil || !dictionaryOnly(cc) || cc.Type() != parquet.Types.ByteArray {
			continue
		}
		dictOff := cc.DictionaryPageOffset()
		n := cc.DataPageOffset() - dictOff
		if dictOff <= 0 || n <= 0 || dictOff > fs.f.size-n {
			continue // (a range outside the file fails when the chunk is read)
		}
		pass, err := dictionaryPasses(ctx, cp, u.src, dictOff, n, cc, p)
		if err != nil {
			return false, fmt.Errorf("column %s: %w", c.name, err)
		}
		if !pass {
			return true, nil
		}
	}
	return false, nil
}

// dictionaryPasses reads and decodes the dictionary page at [off, off+n)
// of b with cp (the page alone, not its column chunk) and reports
// whether some value of it can pass p.
func dictionaryPasses(ctx context.Context, cp *chunkPages, b blob, off, n int64, cc *metadata.ColumnChunkMetaData, p *prepared) (bool, error) {
	if err := cp.resetRange(ctx, b, off, n, 1, cc.Compression()); err != nil {
		return false, err
	}
	dp, err := cp.next()
	if err != nil {
		return false, err
	}
	if dp == nil || dp.typ != pageDictionary {
		return false, errors.New("no dictionary page")
	}
	vals, err := dictValues(dp, nil)
	if err != nil {
		return false, err
	}
	for _, v := range vals {
		if !isDash(v) && p.passText(v) {
			return true, nil
		}
	}
	return false, nil
}

// fileFailed reports a file that could not be read: a run error, or with
// SkipFailed a failed object in the stats.
func (r *run) fileFailed(fs *fileState, err error) error {
	if !r.cfg.SkipFailed {
		return err
	}
	r.stats.Fail(fs.f.name, err)
	return nil
}
