package query

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/s3logs/s3logs/lake"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// RowWriter receives a query's result. Begin is called once, then WriteRow
// for each row (calls are serialised; the values are valid only during the
// call), then End once if the query succeeded.
type RowWriter interface {
	Begin(cols []ResultColumn) error
	WriteRow(row []Value) error
	End() error
}

// RunOptions control one run of a Plan. The zero value is usable. The
// reject policy (--strict, --rejects) is the record stage's: set it in
// the pipeline.Config given to Run.
type RunOptions struct {
	// MaxGroups bounds what a query holds in memory that grows with the
	// data rather than with the result: GROUP BY groups, values of
	// count(DISTINCT x) and the like, and rows ORDER BY without LIMIT must
	// sort. Past it the run fails with ErrTooManyGroups instead of
	// exhausting memory. Each costs about 500 bytes of peak heap
	// (BenchmarkGroupMemory) plus its values' bytes. Default
	// DefaultMaxGroups; negative means no limit.
	MaxGroups int64
	// Live lets the rows of a query that streams (no aggregation, no ORDER
	// BY) be written as they are found, before their log object is known
	// to have been read to its end: right for a terminal or a pipe, where
	// rows should flow at once. If such an object then fails (SkipFailed),
	// its rows already written cannot be taken back, and the run's Stats
	// note how many were. Without Live and with SkipFailed, every
	// object's rows are written only once the object was read whole (rows
	// of an object still being read wait, in memory or a temporary file),
	// so a failed object contributes no row. Without SkipFailed they need
	// not wait: a failed object fails the run.
	Live bool
}

// DefaultMaxGroups is RunOptions.MaxGroups's default: 2 million groups,
// about 1 GB of peak heap.
const DefaultMaxGroups = 2_000_000

// ErrTooManyGroups is the cause of a run that exceeded
// RunOptions.MaxGroups.
var ErrTooManyGroups = errors.New("too many groups")

// errLimit ends a streaming scan once LIMIT rows have been written.
var errLimit = errors.New("limit reached")

// group is one GROUP BY group's key values and aggregate states. A
// count(*) has no state: its count is the group's rows.
type group struct {
	keys   []Value
	states []aggState // nil for count(*)
	rows   int64      // records fed to the group
}

// newGroup returns an empty group for p's aggregates; b (nil for none) is
// charged for each value a DISTINCT aggregate holds.
func (p *Plan) newGroup(keys []Value, b *budget) *group {
	g := &group{keys: keys, states: make([]aggState, len(p.aggs))}
	for i, a := range p.aggs {
		if !a.star {
			g.states[i] = a.newState(b)
		}
	}
	return g
}

// result returns the result of g's aggregate i.
func (g *group) result(a *aggSpec, i int) Value {
	if a.star {
		return IntValue(g.rows)
	}
	return g.states[i].result()
}

// merge adds o's rows and aggregate states to g's.
func (g *group) merge(o *group) {
	g.rows += o.rows
	for i, s := range g.states {
		if s != nil {
			s.merge(o.states[i])
		}
	}
}

// scanState is what a scan accumulates: groups (aggregation), rows (ORDER
// BY), or rows to write (a streaming query whose object is not yet known
// to be whole).
type scanState struct {
	groups groupTable
	rows   [][]Value
	held   heldRows
}

// worker is the per-goroutine state of a run: no locks on the hot path.
// Its state holds what the worker's committed parts merged.
type worker struct {
	rc     rowCtx
	key    []byte
	kv     []Value
	vals   []Value
	state  scanState
	enc    []byte // rows encoded for a rowEncoder, not yet written
	spill  []byte // held rows read back from the spill file
	day    dayText
	direct part // the part of whole objects, reused
	// lakeGroups maps the group ids of a unit of converted output to
	// their groups (part.LakeRecords).
	lakeGroups []*group
	// lakeConj holds the conjuncts to test on a unit's records.
	lakeConj []conjunct
}

func (r *run) newWorker() *worker {
	p := r.p
	w := &worker{kv: make([]Value, len(p.groups)), vals: make([]Value, len(p.proj))}
	w.direct = part{r: r, w: w, direct: true, st: &w.state}
	return w
}

// part is one worker's records of one log object (pipeline.Part). A
// direct part (a whole object, or any object with RunOptions.Live)
// accumulates into its worker's state and writes rows out at once;
// otherwise it keeps its own state until Commit.
type part struct {
	r       *run
	w       *worker
	name    []byte // log object
	direct  bool
	st      *scanState
	own     scanState
	written int64 // rows written out before the object was whole (Live)
}

// run holds the shared state of one Run; it is the pipeline.Consumer.
type run struct {
	p       *Plan
	opts    RunOptions
	out     RowWriter
	mu      sync.Mutex   // serialises out
	enc     rowEncoder   // set when out encodes rows on the workers
	slots   atomic.Int64 // rows reserved under LIMIT (emit)
	budget  *budget
	stars   bool // every aggregate is count(*) (Plan.starsOnly)
	workers []*worker
	spill   spillFile
	// hold: rows of an object read in several chunks wait until it is
	// whole (holdRows).
	hold bool
	// origin: the plan reads a record's log object, line or partition
	// (readsOrigin), which converted output's records then set.
	origin bool
	// failedRows counts, per failed object, rows written before it failed.
	failedMu   sync.Mutex
	failedRows map[string]int64
	// lakeArgs, when not nil, reads the aggregates' arguments from
	// converted output's values (Plan.lakeArgs).
	lakeArgs []lakeArg
}

var _ pipeline.Consumer = (*run)(nil)

// RelativeLines reports that the query reads no line numbers (log_line),
// so that the pipeline may scan a chunk before it knows them
// (pipeline.RelativeLines).
func (r *run) RelativeLines() bool {
	i, _ := schema.Lookup("log_line")
	return !r.p.used[i]
}

// newRun returns a run of p writing to w with workers workers;
// skipFailed is the pipeline's Config.SkipFailed (holdRows).
func (p *Plan) newRun(w RowWriter, o RunOptions, workers int, skipFailed bool) *run {
	r := &run{p: p, opts: o, out: w, budget: newBudget(o.MaxGroups), stars: p.agg && p.starsOnly()}
	r.hold = holdRows(o, skipFailed)
	r.origin = p.readsOrigin()
	r.lakeArgs = p.lakeArgs()
	r.enc, _ = w.(rowEncoder)
	r.workers = make([]*worker, workers)
	for i := range r.workers {
		r.workers[i] = r.newWorker()
	}
	return r
}

// Run executes the plan over sources with the pipeline configured by cfg
// and writes the result to w. If cfg.Window is not bounded, the plan's
// window (from WHERE) is used to prune objects, and the plan's line
// prefilter is cfg.Prefilter. The returned Stats (the same as cfg.Stats
// when set, so a progress display can watch it) include the lines and
// rejected lines the query saw.
//
// Rows of a query without aggregation or ORDER BY are streamed as they are
// found (memory stays flat). ORDER BY without LIMIT collects all rows
// before sorting; with LIMIT each worker keeps only a bounded top list.
// An object's records count only once it has been read to its end (see
// RunOptions.Live for the one exception).
func (p *Plan) Run(ctx context.Context, cfg pipeline.Config, sources []string, w RowWriter, o RunOptions) (*pipeline.Stats, error) {
	if p.root != nil {
		return p.runTree(ctx, cfg, sources, w, o)
	}
	if !cfg.Window.Bounded() {
		cfg.Window = p.window
	}
	if cfg.Workers <= 0 {
		cfg.Workers = pipeline.DefaultWorkers()
	}
	if cfg.Stats == nil {
		cfg.Stats = &pipeline.Stats{}
	}
	cfg.Prefilter = p.prefilter()
	if err := w.Begin(p.cols); err != nil {
		return cfg.Stats, err
	}
	if p.limit == 0 {
		return cfg.Stats, w.End()
	}
	r := p.newRun(w, o, cfg.Workers, cfg.SkipFailed)
	defer r.spill.close()
	stats, err := lake.Run(ctx, cfg, sources, r, p.lakeScan())
	r.noteFailed(stats)
	if errors.Is(err, errLimit) {
		err = nil
	}
	if err != nil {
		return stats, err
	}
	if err := r.finish(); err != nil {
		return stats, err
	}
	return stats, w.End()
}

// starsOnly reports whether every aggregate of the plan is count(*),
// which reads no value of the record.
func (p *Plan) starsOnly() bool {
	for _, a := range p.aggs {
		if !a.star {
			return false
		}
	}
	return true
}

// lakeScan is what the scan reads of converted output: the columns it
// uses and the filters of its pushed-down WHERE terms.
func (p *Plan) lakeScan() lake.Scan {
	s := lake.Scan{Columns: p.used, Group: p.groupCols, TimeText: p.rawTime}
	for _, c := range p.conjuncts {
		if c.filter != nil {
			s.Filters = append(s.Filters, *c.filter)
		}
	}
	return s
}

// LakeScan returns what a run of the plan reads of converted output: for
// one scan its columns and filters; for several, the columns any of them
// uses (each checks its own WHERE).
func (p *Plan) LakeScan() lake.Scan {
	if p.root == nil {
		return p.lakeScan()
	}
	return unionScan(scansOf(p.root))
}

// unionScan is the scan of one pass that feeds several scans: every
// column any of them reads, and no filter (a row one scan rules out
// another may want).
func unionScan(ps []*Plan) lake.Scan {
	if len(ps) == 1 {
		return ps[0].lakeScan()
	}
	used := make([]bool, len(schema.Columns))
	raw := false
	for _, p := range ps {
		for i, u := range p.used {
			used[i] = used[i] || u
		}
		raw = raw || p.rawTime
	}
	return lake.Scan{Columns: used, TimeText: raw}
}

// prefilter returns the plan's line prefilter, nil for none.
func (p *Plan) prefilter() *parse.Prefilter {
	if len(p.contains) == 0 && !p.timePre {
		return nil
	}
	return &parse.Prefilter{Contains: p.contains, Time: p.timePre, From: p.timeLo, To: p.timeHi}
}

// NewPart returns worker w's part for object o.
func (r *run) NewPart(w int, o *pipeline.Object, whole bool) pipeline.Part {
	wk := r.workers[w]
	if whole {
		p := &wk.direct
		p.name = append(p.name[:0], o.Name...)
		p.written = 0
		return p
	}
	p := &part{r: r, w: wk, name: []byte(o.Name), direct: r.streams() && !r.hold}
	p.st = &p.own
	if p.direct {
		p.st = &wk.state
	}
	return p
}

// readsOrigin reports whether the plan reads a column of a record's
// origin (schema.Origin: log_object, log_line, dt); its other columns
// are the record's, and the per-record Origin of converted output's
// records is then skipped.
func (p *Plan) readsOrigin() bool {
	for i, c := range schema.Columns {
		switch c.Source {
		case schema.FromObject, schema.FromLine, schema.FromPartition:
			if p.used[i] {
				return true
			}
		}
	}
	return false
}

// streams reports whether the query writes rows as it finds them.
func (r *run) streams() bool { return !r.p.agg && len(r.p.order) == 0 }

// holdRows reports whether the rows a streaming query finds in an object
// read in several chunks must wait until the object is whole: only when
// a failed object is passed over (SkipFailed), so that it adds no row to
// an answer that succeeds, and only without RunOptions.Live. Without
// SkipFailed an object that fails fails the run, and no answer is given
// that its rows could be in (cmd's --out is then not committed), so the
// rows are written as they are found, as the lake's are (lake.Run makes
// a file's parts whole without SkipFailed).
func holdRows(o RunOptions, skipFailed bool) bool { return skipFailed && !o.Live }

// Records evaluates WHERE on a chunk's records and hands those that
// pass to the query.
func (p *part) Records(sc *parse.Scanner) error {
	w := p.w
	w.rc.rec = sc.Record()
	w.rc.origin.Object = p.name
	r := p.r
	conj := r.p.conjuncts
	agg := r.p.agg
records:
	for sc.Scan() {
		w.rc.origin.Line = sc.LineNumber()
		for i := range conj {
			if !conj[i].test(&w.rc) {
				continue records
			}
		}
		if !agg {
			if err := r.row(p); err != nil {
				return err
			}
			continue
		}
		// run.row's first case and feed, here: two calls less per record
		// (feed has two calls of its own, so it does not inline).
		g := r.groupOf(p)
		g.rows++
		if !r.stars {
			r.feedStates(p, g)
		}
		if r.budget.over() {
			return r.tooMany()
		}
	}
	return nil
}

// LakeRecords evaluates WHERE on the records of a unit of converted
// output and hands those that pass to the query, as Records does for a
// chunk of log text.
//
// When the GROUP BY keys are string columns the unit holds dictionary
// encoded, the lake gives each record a small group id (the tuple of its
// keys' dictionary indices, Records.GroupID): the group of each id is
// looked up once per unit, and each record is added to it without
// computing its key. When no WHERE term is left to test and the
// aggregates read only integer and time columns (Plan.lakeArgs), such a
// record is not assembled either: its values are read from the unit's
// columns as they are held (feedLake).
func (p *part) LakeRecords(rs *lake.Records) error {
	w := p.w
	w.rc.rec = rs.Record()
	conj := p.lakeConjuncts(rs)
	fast := p.r.p.agg && p.r.p.groupCols != nil
	args := p.r.lakeArgs
	typed := fast && len(conj) == 0 && args != nil && lakeHolds(rs, args)
	// keysOnly: a record that starts a group need only have its keys,
	// read as is from their fields, assembled (groupOf).
	keysOnly := typed && p.r.p.fieldKeys != nil
	origin := p.r.origin
	cache := w.lakeGroups[:0]
	defer func() { w.lakeGroups = cache[:0] }()
records:
	for rs.Next() {
		if typed {
			if id, n, ok := rs.GroupID(); ok {
				if len(cache) != n {
					cache = append(cache[:0], make([]*group, n)...)
				}
				g := cache[id]
				if g == nil && keysOnly {
					rs.AssembleGroup()
					g = p.r.groupOf(p)
					cache[id] = g
				}
				if g != nil {
					if err := p.feedLake(rs, g, args); err != nil {
						return err
					}
					continue
				}
			}
		}
		rs.Assemble()
		if origin {
			rs.Origin(&w.rc.origin)
		}
		for i := range conj {
			if !conj[i].test(&w.rc) {
				continue records
			}
		}
		if fast {
			if id, n, ok := rs.GroupID(); ok {
				if len(cache) != n {
					cache = append(cache[:0], make([]*group, n)...)
				}
				g := cache[id]
				if g == nil {
					g = p.r.groupOf(p)
					cache[id] = g
				}
				if err := p.r.feed(p, g); err != nil {
					return err
				}
				continue
			}
		}
		if err := p.r.row(p); err != nil {
			return err
		}
	}
	return nil
}

// lakeConjuncts returns the conjuncts of WHERE to test on the records of
// the unit rs reads: all but those whose lake filter says all they do
// and that the lake checked on every record (lake.Records.Checked).
// (The scan's lake filters are the conjuncts' filters in order,
// Plan.lakeScan.)
func (p *part) lakeConjuncts(rs *lake.Records) []conjunct {
	out := p.w.lakeConj[:0]
	k := 0 // the scan's filter of the next conjunct that has one
	for _, c := range p.r.p.conjuncts {
		if c.filter != nil {
			checked := c.exact && rs.Checked(k)
			k++
			if checked {
				continue
			}
		}
		out = append(out, c)
	}
	p.w.lakeConj = out
	return out
}

// EndChunk writes out what a direct part encoded.
func (p *part) EndChunk(int64, int64, int) error {
	if p.direct && p.r.enc != nil && len(p.w.enc) >= 64<<10 {
		return p.r.flush(p.w)
	}
	return nil
}

// Commit merges a part of an object read whole into worker w's state.
func (r *run) Commit(w int, pp pipeline.Part) error {
	p := pp.(*part)
	if p.direct {
		return nil
	}
	dst := &r.workers[w].state
	if r.p.agg {
		r.budget.take(-int64(p.own.groups.mergeInto(&dst.groups)))
		p.own.groups = groupTable{}
		return nil
	}
	if len(r.p.order) > 0 {
		dst.rows = append(dst.rows, p.own.rows...)
		p.own.rows = nil
		if r.p.limit >= 0 && int64(len(dst.rows)) >= 2*r.p.limit+1024 {
			n := len(dst.rows)
			dst.rows = r.p.topN(dst.rows)
			r.budget.take(int64(len(dst.rows) - n))
		}
		return nil
	}
	return r.writeHeld(r.workers[w], &p.own.held)
}

// Drop forgets a part of an object that failed.
func (r *run) Drop(pp pipeline.Part) {
	p := pp.(*part)
	if p.written > 0 {
		r.failedMu.Lock()
		if r.failedRows == nil {
			r.failedRows = map[string]int64{}
		}
		r.failedRows[string(p.name)] += p.written
		r.failedMu.Unlock()
	}
	if p.direct {
		return
	}
	r.budget.take(-int64(p.own.groups.len() + len(p.own.rows)))
	p.own.held.drop(&r.spill)
	p.own = scanState{}
}

// noteFailed tells stats how many rows of each failed object were written
// before it failed.
func (r *run) noteFailed(stats *pipeline.Stats) {
	for name, n := range r.failedRows {
		stats.NoteFailed(name, fmt.Sprintf("%d rows of it were written before it failed and are in the output", n))
	}
}

// row handles one record that passed WHERE.
func (r *run) row(pt *part) error {
	p := r.p
	if p.agg {
		return r.feed(pt, r.groupOf(pt))
	}
	w := pt.w
	st := pt.st
	if len(p.order) > 0 {
		row := make([]Value, len(p.proj))
		for i, e := range p.proj {
			row[i] = e.fn(&w.rc).Clone()
		}
		st.rows = append(st.rows, row)
		r.budget.take(1)
		if p.limit >= 0 && int64(len(st.rows)) >= 2*p.limit+1024 {
			n := len(st.rows)
			st.rows = p.topN(st.rows)
			r.budget.take(int64(len(st.rows) - n))
		}
		if r.budget.over() {
			return r.tooMany()
		}
		return nil
	}
	// The result through a local: assigned straight to vals[i], the
	// compiler copies the 48-byte Value through one stack temporary more
	// (~0.4 M instructions over the lake's selective query).
	vals := w.vals[:len(p.proj)]
	for i, e := range p.proj {
		v := e.fn(&w.rc)
		vals[i] = v
	}
	if !pt.direct {
		// Held until the object is whole; no object needs more than
		// LIMIT of them.
		if p.limit >= 0 && st.held.rows >= p.limit {
			return nil
		}
		return st.held.add(vals, &r.spill)
	}
	if pt != &w.direct {
		pt.written++
	}
	return r.emit(w, vals)
}

// emit writes a row of a streaming query found by worker w. Under LIMIT
// the row first takes one of the LIMIT slots (one counter, no lock): a
// row past them is not written, and the row that takes the last one ends
// the scan (errLimit) once it is written. A rowEncoder's rows are encoded
// here, in parallel, and written in batches under the lock; another
// writer's rows are written one at a time under it.
func (r *run) emit(w *worker, row []Value) error {
	last := false
	if limit := r.p.limit; limit >= 0 {
		n := r.slots.Add(1)
		if n > limit {
			return errLimit
		}
		last = n == limit
	}
	if r.enc != nil {
		w.enc = r.enc.appendRow(w.enc, row, &w.day)
		if len(w.enc) >= 64<<10 || last {
			if err := r.flush(w); err != nil {
				return err
			}
		}
	} else {
		r.mu.Lock()
		err := r.out.WriteRow(row)
		r.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if last {
		return errLimit
	}
	return nil
}

// groupOf returns the group of the current record in pt's state, making
// it if it is new.
func (r *run) groupOf(pt *part) *group {
	p, w, st := r.p, pt.w, pt.st
	var key []byte
	if p.fieldKeys != nil {
		key = appendFieldKeys(w.key[:0], w.rc.rec, p.fieldKeys)
	} else {
		key = w.appendKeys(p)
	}
	w.key = key
	g := st.groups.get(key)
	if g == nil {
		keys := make([]Value, len(w.kv))
		for i, v := range w.kv {
			if p.keyFields[i].direct {
				v = p.groups[i].fn(&w.rc)
			}
			keys[i] = v.Clone()
		}
		g = p.newGroup(keys, r.budget)
		st.groups.put(key, g)
		r.budget.take(1)
	}
	return g
}

// appendFieldKeys appends the keys of string columns read as is from
// the fields fs of rec, as appendKey encodes their values: the whole
// group key when every GROUP BY key is such a column, in a loop with no
// call but append's.
func appendFieldKeys(dst []byte, rec *parse.Record, fs []parse.Field) []byte {
	for _, f := range fs {
		// appendStringKey and Record.Value inline: a call per key costs
		// more than the bytes it appends.
		if b, ok := rec.Value(f); ok {
			dst = appendStringKey(dst, b)
		} else {
			dst = append(dst, 0) // NULL
		}
	}
	return dst
}

// appendKeys returns the group key of the current record in w.key, each
// key read from its field where it can be (keyField.direct) and through
// its value, kept in w.kv, where not.
func (w *worker) appendKeys(p *Plan) []byte {
	key := w.key[:0]
	for i, k := range p.keyFields {
		if k.direct {
			key = appendFieldKeys(key, w.rc.rec, []parse.Field{k.field})
			continue
		}
		v := p.groups[i].fn(&w.rc)
		w.kv[i] = v
		key = appendKey(key, v)
	}
	return key
}

// feed adds the current record to group g's aggregates: for count(*)
// alone the row count is all.
func (r *run) feed(pt *part, g *group) error {
	g.rows++
	if !r.stars {
		r.feedStates(pt, g)
	}
	if r.budget.over() {
		return r.tooMany()
	}
	return nil
}

// feedStates adds the current record to the aggregate states of g.
func (r *run) feedStates(pt *part, g *group) {
	w := pt.w
	for i, a := range r.p.aggs {
		if a.star {
			continue
		}
		if a.counted {
			if !w.rc.rec.IsNull(a.field) {
				g.states[i].(*countAgg).n++
			}
			continue
		}
		if a.arg2 != nil {
			a.feed2(g.states[i], &w.rc)
			continue
		}
		g.states[i].add(a.arg.fn(&w.rc))
	}
}

// writeHeld writes the rows a part held until its object was whole, on
// worker w (the committing worker): read back, encoded and written as
// emit does, outside the lock but for the writes.
func (r *run) writeHeld(w *worker, h *heldRows) error {
	if h.rows == 0 {
		return nil
	}
	return h.replay(&r.spill, &w.spill, func(row []Value) error { return r.emit(w, row) })
}

// tooMany is the error of a run that exceeded its budget.
func (r *run) tooMany() error {
	if r.p.agg {
		return fmt.Errorf("%w: the query holds more than %d groups and DISTINCT values in memory; narrow it with WHERE, group by fewer or coarser keys, use approx_distinct, or raise the limit (--max-groups)", ErrTooManyGroups, r.budget.max)
	}
	return fmt.Errorf("%w: ORDER BY holds more than %d rows in memory to sort them; add a LIMIT, narrow the query with WHERE, or raise the limit (--max-groups)", ErrTooManyGroups, r.budget.max)
}

// flush writes w's encoded rows.
func (r *run) flush(w *worker) error {
	if len(w.enc) == 0 {
		return nil
	}
	r.mu.Lock()
	err := r.enc.writeEncoded(w.enc)
	r.mu.Unlock()
	w.enc = w.enc[:0]
	return err
}

// less orders two projected rows by ORDER BY.
func (p *Plan) less(a, b []Value) bool { return orderLess(p.order, a, b) }

// topN sorts rows and keeps the first LIMIT of them.
func (p *Plan) topN(rows [][]Value) [][]Value {
	sort.SliceStable(rows, func(i, j int) bool { return p.less(rows[i], rows[j]) })
	if p.limit >= 0 && int64(len(rows)) > p.limit {
		for i := p.limit; i < int64(len(rows)); i++ {
			rows[i] = nil
		}
		rows = rows[:p.limit]
	}
	return rows
}

// finish merges the workers' state and writes what was not streamed.
func (r *run) finish() error {
	p := r.p
	workers := r.workers
	var rows [][]Value
	switch {
	case p.agg:
		merged := &workers[0].state.groups
		for _, w := range workers[1:] {
			w.state.groups.mergeInto(merged)
			w.state.groups = groupTable{}
		}
		if len(p.groups) == 0 && merged.len() == 0 {
			// A global aggregate over no rows still has one row.
			merged.put(nil, p.newGroup(nil, nil))
		}
		rc := &rowCtx{aggs: make([]Value, len(p.aggs))}
		seen := map[string]bool{}
		var key []byte
		merged.each(func(_ []byte, g *group) {
			rc.keys = g.keys
			for i, a := range p.aggs {
				rc.aggs[i] = g.result(a, i)
			}
			if p.having != nil && !p.having.fn(rc).truth() {
				return
			}
			row := make([]Value, len(p.proj))
			for i, e := range p.proj {
				row[i] = e.fn(rc).Clone()
			}
			if p.distinctOut {
				key = key[:0]
				for _, v := range row[:len(p.cols)] {
					key = appendKey(key, v)
				}
				if seen[string(key)] {
					return
				}
				seen[string(key)] = true
			}
			rows = append(rows, row)
		})
		if len(p.order) == 0 {
			// Deterministic output: order groups by their values.
			sort.Slice(rows, func(i, j int) bool {
				for k := range p.cols {
					if c := orderValues(rows[i][k], rows[j][k]); c != 0 {
						return c < 0
					}
				}
				return false
			})
		}
	case len(p.order) > 0:
		for _, w := range workers {
			rows = append(rows, w.state.rows...)
			w.state.rows = nil
		}
	default:
		// Streamed; write what the workers still hold.
		for _, w := range workers {
			if r.enc != nil {
				if err := r.flush(w); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if len(p.order) > 0 {
		sort.SliceStable(rows, func(i, j int) bool { return p.less(rows[i], rows[j]) })
	}
	if p.limit >= 0 && int64(len(rows)) > p.limit {
		rows = rows[:p.limit]
	}
	for _, row := range rows {
		if err := r.out.WriteRow(row[:len(p.cols)]); err != nil {
			return err
		}
	}
	return nil
}
