package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// RowWriter receives a query's result. Begin is called once, then WriteRow
// for each row (calls are serialised; the values are valid only during the
// call), then End once if the query succeeded.
type RowWriter interface {
	Begin(cols []ResultColumn) error
	WriteRow(row []Value) error
	End() error
}

// RunOptions control one run of a Plan. The zero value is usable.
type RunOptions struct {
	// OnReject, when set, receives each malformed line with its
	// object:line:column error. Calls are serialised by Run.
	OnReject func(err *parse.ParseError, line []byte)
	// Strict makes the first malformed line fail the run.
	Strict bool
	// MaxGroups bounds what a query holds in memory that grows with the
	// data rather than with the result: GROUP BY groups, values of
	// count(DISTINCT x) and the like, and rows ORDER BY without LIMIT must
	// sort. Past it the run fails with ErrTooManyGroups instead of
	// exhausting memory. Each costs about 500 bytes of peak heap
	// (BenchmarkGroupMemory) plus its values' bytes. Default
	// DefaultMaxGroups; negative means no limit.
	MaxGroups int64
}

// DefaultMaxGroups is RunOptions.MaxGroups's default: 2 million groups,
// about 1 GB of peak heap.
const DefaultMaxGroups = 2_000_000

// ErrTooManyGroups is the cause of a run that exceeded
// RunOptions.MaxGroups.
var ErrTooManyGroups = errors.New("too many groups")

// Validating reports whether every line must be parsed (to report or
// fail on rejects), which turns off the line prefilter: a line the
// prefilter skips is never parsed, so it is not checked for validity.
func (o RunOptions) validating() bool { return o.OnReject != nil || o.Strict }

// errLimit ends a streaming scan once LIMIT rows have been written.
var errLimit = errors.New("limit reached")

// group is one GROUP BY group's key values and aggregate states.
type group struct {
	keys   []Value
	states []aggState
}

// worker is the per-goroutine state of a run: no locks on the hot path.
type worker struct {
	rec    parse.Record
	rc     rowCtx
	key    []byte
	kv     []Value
	groups map[string]*group
	rows   [][]Value
	vals   []Value
	obj    *pipeline.Object
	enc    []byte // rows encoded for a rowEncoder, not yet written
}

// run holds the shared state of one Run.
type run struct {
	p       *Plan
	opts    RunOptions
	out     RowWriter
	mu      sync.Mutex // serialises out and OnReject
	written int64
	enc     rowEncoder   // set when out encodes rows on the workers
	slots   atomic.Int64 // rows reserved under LIMIT by encoding workers
	stats   *pipeline.Stats
	budget  *budget
	pre     [][]byte
	timePre bool
}

// Run executes the plan over sources with the pipeline configured by cfg
// and writes the result to w. If cfg.Window is not bounded, the plan's
// window (from WHERE) is used to prune objects. The returned Stats (the
// same as cfg.Stats when set, so a progress display can watch it) include
// the lines and rejected lines the query saw.
//
// Rows of a query without aggregation or ORDER BY are streamed as they are
// found (memory stays flat). ORDER BY without LIMIT collects all rows
// before sorting; with LIMIT each worker keeps only a bounded top list.
func (p *Plan) Run(ctx context.Context, cfg pipeline.Config, sources []string, w RowWriter, o RunOptions) (*pipeline.Stats, error) {
	if !cfg.Window.Bounded() {
		cfg.Window = p.window
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers()
	}
	if cfg.Stats == nil {
		cfg.Stats = &pipeline.Stats{}
	}
	r := &run{p: p, opts: o, out: w, stats: cfg.Stats, budget: &budget{max: o.MaxGroups}}
	switch {
	case o.MaxGroups == 0:
		r.budget.max = DefaultMaxGroups
	case o.MaxGroups < 0:
		r.budget.max = 0
	}
	if !o.validating() {
		r.pre, r.timePre = p.prefilter, p.timePre
	}
	if o.OnReject != nil {
		inner := cfg.OnReject
		cfg.OnReject = func(e *parse.ParseError, line []byte) {
			r.mu.Lock()
			defer r.mu.Unlock()
			o.OnReject(e, line)
			if inner != nil {
				inner(e, line)
			}
		}
	}
	if o.Strict {
		// A line the pipeline itself rejects (longer than MaxLineSize)
		// fails a strict run like any other malformed line.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		inner := cfg.OnReject
		cfg.OnReject = func(e *parse.ParseError, line []byte) {
			if inner != nil {
				inner(e, line)
			}
			cancel(e)
		}
	}
	workers := make([]*worker, cfg.Workers)
	for i := range workers {
		workers[i] = &worker{groups: map[string]*group{}, kv: make([]Value, len(p.groups)), vals: make([]Value, len(p.proj))}
	}
	if err := w.Begin(p.cols); err != nil {
		return nil, err
	}
	if p.limit == 0 {
		return &pipeline.Stats{}, w.End()
	}
	r.enc, _ = w.(rowEncoder)
	stats, err := pipeline.Run(ctx, cfg, sources, func(i int, c *pipeline.Chunk) error {
		return r.chunk(workers[i], c)
	})
	if errors.Is(err, errLimit) {
		err = nil
	}
	if err != nil {
		var pe *parse.ParseError
		if cause := context.Cause(ctx); errors.As(cause, &pe) {
			err = cause
		}
		return stats, err
	}
	if err := r.finish(workers); err != nil {
		return stats, err
	}
	return stats, w.End()
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// chunk scans one block of lines: prefilter, parse, WHERE, then the row.
func (r *run) chunk(w *worker, c *pipeline.Chunk) error {
	p := r.p
	if w.obj != c.Object {
		w.obj = c.Object
		w.rc.origin.Object = []byte(c.Object.Name)
	}
	w.rc.rec = &w.rec
	data := c.Data
	lineNo := c.FirstLine - 1
	var lines, rejs int64
	defer func() {
		r.stats.Lines.Add(lines)
		r.stats.Rejected.Add(rejs)
	}()
lines:
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		if isBlank(line) {
			continue
		}
		lines++
		for _, pre := range r.pre {
			if !bytes.Contains(line, pre) {
				continue lines
			}
		}
		if r.timePre {
			// The first '[' of a valid line opens the Time field (bucket
			// owner and bucket cannot hold one).
			if i := bytes.IndexByte(line, '['); i >= 0 && i+27 < len(line) && line[i+27] == ']' {
				if u, ok := parse.ParseTime(line[i+1 : i+27]); ok && (u < p.timeLo || u > p.timeHi) {
					continue
				}
			}
		}
		if err := w.rec.Parse(line); err != nil {
			rejs++
			var pe *parse.ParseError
			if errors.As(err, &pe) {
				pe.Object, pe.Line = c.Object.Name, lineNo
				if r.opts.OnReject != nil {
					r.mu.Lock()
					r.opts.OnReject(pe, line)
					r.mu.Unlock()
				}
				if r.opts.Strict {
					return pe
				}
			}
			continue
		}
		w.rc.origin.Line = lineNo
		for i := range p.conjuncts {
			if !p.conjuncts[i].test(&w.rc) {
				continue lines
			}
		}
		if err := r.row(w); err != nil {
			return err
		}
	}
	return nil
}

// row handles one record that passed WHERE.
func (r *run) row(w *worker) error {
	p := r.p
	if p.agg {
		w.key = w.key[:0]
		for i, g := range p.groups {
			v := g.fn(&w.rc)
			w.kv[i] = v
			w.key = appendKey(w.key, v)
		}
		g := w.groups[string(w.key)]
		if g == nil {
			g = &group{keys: make([]Value, len(w.kv)), states: make([]aggState, len(p.aggs))}
			for i, v := range w.kv {
				g.keys[i] = v.Clone()
			}
			for i, a := range p.aggs {
				g.states[i] = a.newState(r.budget)
			}
			w.groups[string(w.key)] = g
			r.budget.take(1)
		}
		for i, a := range p.aggs {
			if a.star {
				g.states[i].add(Value{})
				continue
			}
			g.states[i].add(a.arg.fn(&w.rc))
		}
		if r.budget.over() {
			return r.tooMany()
		}
		return nil
	}
	if len(p.order) > 0 {
		row := make([]Value, len(p.proj))
		for i, e := range p.proj {
			row[i] = e.fn(&w.rc).Clone()
		}
		w.rows = append(w.rows, row)
		r.budget.take(1)
		if p.limit >= 0 && int64(len(w.rows)) >= 2*p.limit+1024 {
			n := len(w.rows)
			w.rows = p.topN(w.rows)
			r.budget.take(int64(len(w.rows) - n))
		}
		if r.budget.over() {
			return r.tooMany()
		}
		return nil
	}
	for i, e := range p.proj {
		w.vals[i] = e.fn(&w.rc)
	}
	if r.enc != nil {
		// Encode here, in parallel; write in batches under the lock.
		// Under LIMIT each row first reserves one of the LIMIT slots.
		last := false
		if p.limit >= 0 {
			n := r.slots.Add(1)
			if n > p.limit {
				return errLimit
			}
			last = n == p.limit
		}
		w.enc = r.enc.appendRow(w.enc, w.vals)
		if len(w.enc) >= 64<<10 {
			if err := r.flush(w); err != nil {
				return err
			}
		}
		if last {
			return errLimit
		}
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.limit >= 0 && r.written >= p.limit {
		return errLimit
	}
	if err := r.out.WriteRow(w.vals); err != nil {
		return err
	}
	r.written++
	if p.limit >= 0 && r.written >= p.limit {
		return errLimit
	}
	return nil
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
func (p *Plan) less(a, b []Value) bool {
	for _, k := range p.order {
		va, vb := a[k.idx], b[k.idx]
		an, bn := va.Kind == KindNull, vb.Kind == KindNull
		if an || bn {
			if an == bn {
				continue
			}
			return an == k.nullsFirst
		}
		c := orderValues(va, vb)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}

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
func (r *run) finish(workers []*worker) error {
	p := r.p
	var rows [][]Value
	switch {
	case p.agg:
		merged := workers[0].groups
		for _, w := range workers[1:] {
			for k, g := range w.groups {
				m := merged[k]
				if m == nil {
					merged[k] = g
					continue
				}
				for i := range m.states {
					m.states[i].merge(g.states[i])
				}
			}
			w.groups = nil
		}
		if len(p.groups) == 0 && len(merged) == 0 {
			// A global aggregate over no rows still has one row.
			g := &group{states: make([]aggState, len(p.aggs))}
			for i, a := range p.aggs {
				g.states[i] = a.newState(nil)
			}
			merged[""] = g
		}
		rc := &rowCtx{aggs: make([]Value, len(p.aggs))}
		seen := map[string]bool{}
		var key []byte
		for _, g := range merged {
			rc.keys = g.keys
			for i, s := range g.states {
				rc.aggs[i] = s.result()
			}
			if p.having != nil && !p.having.fn(rc).truth() {
				continue
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
					continue
				}
				seen[string(key)] = true
			}
			rows = append(rows, row)
		}
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
			rows = append(rows, w.rows...)
			w.rows = nil
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
