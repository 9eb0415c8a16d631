package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// executor runs one query's operator tree: it runs the scans through the
// pipeline, resolves subqueries before the expressions that read them,
// and evaluates the operators above the scans in memory. It lives for one
// run.
type executor struct {
	ctx     context.Context
	cfg     pipeline.Config
	sources []string
	opts    RunOptions
	budget  *budget
	cache   map[node][][]Value // CTE results: computed once per run
	// scanned holds the rows of the scans run so far, resolved the
	// subqueries whose results are filled in for this run.
	scanned  map[*Plan][][]Value
	resolved map[*subResult]bool
	// stdin holds standard input when several scans read it.
	stdin     *os.File
	stdinSize int64
}

func newExecutor(ctx context.Context, cfg pipeline.Config, sources []string, o RunOptions) *executor {
	if cfg.Stats == nil {
		cfg.Stats = &pipeline.Stats{}
	}
	return &executor{ctx: ctx, cfg: cfg, sources: sources, opts: o, budget: newBudget(o.MaxGroups), cache: map[node][][]Value{},
		scanned: map[*Plan][][]Value{}, resolved: map[*subResult]bool{}}
}

func (ex *executor) rowsOf(n node) ([][]Value, error) {
	if err := ex.ctx.Err(); err != nil {
		return nil, err
	}
	return n.rows(ex)
}

// tooMany is the error of an operator that exceeded the budget.
func (ex *executor) tooMany(what string) error {
	return fmt.Errorf("%w: %s holds more than %d rows in memory; narrow the query with WHERE, or raise the limit (--max-groups)", ErrTooManyGroups, what, ex.budget.max)
}

// runTree runs a query whose plan is an operator tree and writes its
// result to w.
func (p *Plan) runTree(ctx context.Context, cfg pipeline.Config, sources []string, w RowWriter, o RunOptions) (*pipeline.Stats, error) {
	p.runMu.Lock() // subquery results live in the plan for the run
	defer p.runMu.Unlock()
	ex := newExecutor(ctx, cfg, sources, o)
	if passCount(scansOf(p.root)) > 1 && slices.Contains(sources, "-") && cfg.Stdin != nil {
		// Each pass reads the source again: keep stdin in a file.
		done, err := ex.spoolStdin()
		if err != nil {
			return ex.cfg.Stats, err
		}
		defer done()
	}
	if top, ok := p.root.(*Plan); ok {
		// The top SELECT writes to w as it goes; a top scan streams.
		var skip *Plan
		if top.input == nil {
			skip = top
		}
		if err := ex.prepare(p.root, skip); err != nil {
			return ex.cfg.Stats, err
		}
		return ex.cfg.Stats, ex.runPlan(top, w, ex.opts)
	}
	if err := ex.prepare(p.root, nil); err != nil {
		return ex.cfg.Stats, err
	}
	rows, err := ex.rowsOf(p.root)
	if err != nil {
		return ex.cfg.Stats, err
	}
	if err := w.Begin(p.cols); err != nil {
		return ex.cfg.Stats, err
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			return ex.cfg.Stats, err
		}
	}
	return ex.cfg.Stats, w.End()
}

// spoolStdin copies standard input to a temporary file that every scan
// reads from the start; done removes it.
func (ex *executor) spoolStdin() (done func(), err error) {
	f, err := os.CreateTemp("", "s3logs-stdin-*")
	if err != nil {
		return nil, fmt.Errorf("keeping standard input for the query's several scans: %w", err)
	}
	done = func() {
		f.Close()
		os.Remove(f.Name())
	}
	n, err := io.Copy(f, ex.cfg.Stdin)
	if err != nil {
		done()
		return nil, fmt.Errorf("keeping standard input for the query's several scans: %w", err)
	}
	ex.stdin = f
	ex.stdinSize = n
	return done, nil
}

// prepare runs the scans under n that have not run yet, in as few passes
// over the logs as their dependencies allow: the scans that do not wait
// for a subquery's result share one pass. skip is a scan its reader runs
// itself (the top scan, which streams).
func (ex *executor) prepare(n node, skip *Plan) error {
	for {
		var pending, ready []*Plan
		for _, s := range scansOf(n) {
			if _, done := ex.scanned[s]; s == skip || done {
				continue
			}
			pending = append(pending, s)
			if ex.depsDone(s) {
				ready = append(ready, s)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if len(ready) == 0 {
			for _, d := range pending[0].deps {
				if err := ex.resolve(d); err != nil {
					return err
				}
			}
			continue
		}
		if err := ex.runPass(ready); err != nil {
			return err
		}
	}
}

func (ex *executor) depsDone(p *Plan) bool {
	for _, d := range p.deps {
		if !ex.resolved[d] {
			return false
		}
	}
	return true
}

// runPass runs scans in one pass over the logs, keeping their rows.
func (ex *executor) runPass(scans []*Plan) error {
	// The scan that counts lines for the summary should read to the end:
	// one without a LIMIT that stops it early goes first.
	sort.SliceStable(scans, func(i, j int) bool { return stopsEarly(scans[j]) && !stopsEarly(scans[i]) })
	outs := make([]*collector, len(scans))
	ws := make([]RowWriter, len(scans))
	for i, s := range scans {
		outs[i] = &collector{b: ex.budget}
		ws[i] = outs[i]
		if s.offset > 0 {
			ws[i] = &skipWriter{RowWriter: outs[i], n: s.offset}
		}
	}
	cfg := ex.cfg
	if ex.stdin != nil {
		cfg.Stdin = io.NewSectionReader(ex.stdin, 0, ex.stdinSize)
	}
	_, err := runPass(ex.ctx, cfg, ex.sources, scans, ws, ex.held())
	if errors.Is(err, errCollectorFull) {
		return ex.tooMany("a subquery or CTE")
	}
	if err != nil {
		return err
	}
	for i, s := range scans {
		ex.scanned[s] = outs[i].rows
	}
	return nil
}

// stopsEarly reports whether a scan can end before the logs do: it
// streams rows under a LIMIT.
func stopsEarly(p *Plan) bool { return p.limit >= 0 && !p.agg && len(p.order) == 0 }

// held returns the run options for a scan whose rows the operators above
// read: rows count only once their object was read whole, even when the
// query's own output is live.
func (ex *executor) held() RunOptions {
	o := ex.opts
	o.Live = false
	return o
}

// runPlan runs one SELECT, writing its result to w: a scan through the
// pipeline, or a SELECT over its input's rows.
func (ex *executor) runPlan(p *Plan, w RowWriter, o RunOptions) error {
	for _, d := range p.deps {
		if err := ex.resolve(d); err != nil {
			return err
		}
	}
	if p.offset > 0 {
		w = &skipWriter{RowWriter: w, n: p.offset}
	}
	if p.input == nil {
		cfg := ex.cfg
		cfg.Window = intersectWindow(cfg.Window, p.window)
		if ex.stdin != nil {
			cfg.Stdin = io.NewSectionReader(ex.stdin, 0, ex.stdinSize)
		}
		_, err := p.Run(ex.ctx, cfg, ex.sources, w, o)
		return err
	}
	in, err := ex.rowsOf(p.input)
	if err != nil {
		return err
	}
	return p.runRows(in, w, ex.opts.MaxGroups)
}

// runRows runs a SELECT over rows with the scan's own machinery: WHERE,
// then grouping, ordering or output as in a pipeline worker.
func (p *Plan) runRows(in [][]Value, out RowWriter, maxGroups int64) error {
	if err := out.Begin(p.cols); err != nil {
		return err
	}
	if p.limit == 0 {
		return out.End()
	}
	r := p.newRun(out, RunOptions{MaxGroups: maxGroups}, 1, false)
	defer r.spill.close()
	pt := &r.workers[0].direct
	for _, row := range in {
		pt.w.rc.row = row
		if err := pt.offer(0); err != nil {
			if errors.Is(err, errLimit) {
				break
			}
			return err
		}
	}
	if err := r.finish(); err != nil {
		return err
	}
	return out.End()
}

// Plan is the node of one SELECT.

func (p *Plan) columns() []relCol { return p.types }

func (p *Plan) children() []node {
	switch {
	case p.root != nil:
		return []node{p.root}
	case p.input != nil:
		return []node{p.input}
	}
	return nil
}

func (p *Plan) rows(ex *executor) ([][]Value, error) {
	if rows, ok := ex.scanned[p]; ok {
		return rows, nil
	}
	c := &collector{b: ex.budget}
	err := ex.runPlan(p, c, ex.held())
	if errors.Is(err, errCollectorFull) {
		err = ex.tooMany("a subquery or CTE")
	}
	return c.rows, err
}

func (p *Plan) explain(b *explainer, indent string) {
	if p.input == nil {
		b.WriteString(indent + "scan:\n")
		p.explainScan(&b.Builder, indent+"  ", b.converted)
		p.explainDeps(b, indent+"  ")
		return
	}
	names := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = c.Name
	}
	b.WriteString(indent + "select " + strings.Join(names, ", ") + ":\n")
	p.explainBody(&b.Builder, indent+"  ")
	p.explainDeps(b, indent+"  ")
	p.input.explain(b, indent+"  ")
}

func (p *Plan) explainDeps(b *explainer, indent string) {
	for _, d := range p.deps {
		b.WriteString(indent + "subquery (run first):\n")
		d.node.explain(b, indent+"  ")
	}
}

// scansOf returns the scans of the logs under n, subqueries' included.
func scansOf(n node) []*Plan {
	var out []*Plan
	seen := map[node]bool{}
	var visit func(n node)
	visit = func(n node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if p, ok := n.(*Plan); ok {
			if p.input == nil && p.root == nil {
				out = append(out, p)
			}
			for _, d := range p.deps {
				visit(d.node)
			}
		}
		if j, ok := n.(*joinNode); ok {
			for _, d := range j.deps {
				visit(d.node)
			}
		}
		for _, c := range n.children() {
			visit(c)
		}
	}
	visit(n)
	return out
}

// passCount is how many passes over the logs the scans need: a scan that
// reads a subquery's result runs in a pass after the subquery's scans.
func passCount(scans []*Plan) int {
	level := map[*Plan]int{}
	var depth func(p *Plan) int
	depth = func(p *Plan) int {
		if l, ok := level[p]; ok {
			return l
		}
		level[p] = 0
		l := 0
		for _, d := range p.deps {
			for _, s := range scansOf(d.node) {
				l = max(l, depth(s)+1)
			}
		}
		level[p] = l
		return l
	}
	n := 0
	for _, s := range scans {
		n = max(n, depth(s)+1)
	}
	return n
}

// unionWindow widens acc to cover w: the time window of a query is one
// every scan's window fits in.
func unionWindow(acc, w pipeline.Window, first bool) pipeline.Window {
	if first {
		return w
	}
	var out pipeline.Window
	if !acc.From.IsZero() && !w.From.IsZero() {
		out.From = acc.From
		if w.From.Before(acc.From) {
			out.From = w.From
		}
	}
	if !acc.To.IsZero() && !w.To.IsZero() {
		out.To = acc.To
		if w.To.After(acc.To) {
			out.To = w.To
		}
	}
	return out
}

// intersectWindow narrows a to b.
func intersectWindow(a, b pipeline.Window) pipeline.Window {
	out := a
	if !b.From.IsZero() && (out.From.IsZero() || b.From.After(out.From)) {
		out.From = b.From
	}
	if !b.To.IsZero() && (out.To.IsZero() || b.To.Before(out.To)) {
		out.To = b.To
	}
	return out
}

// errCollectorFull ends a run whose collected rows exceed the budget.
var errCollectorFull = errors.New("collected rows exceed the budget")

// collector is a RowWriter that keeps the rows (with their own bytes) for
// the operators above, charging the budget for each.
type collector struct {
	b    *budget
	rows [][]Value
	// arena holds the rows' string bytes, in blocks, so that a row costs
	// no allocation per value.
	arena []byte
}

func (c *collector) Begin([]ResultColumn) error { return nil }
func (c *collector) End() error                 { return nil }

func (c *collector) WriteRow(row []Value) error {
	r := make([]Value, len(row))
	for i, v := range row {
		if v.S != nil {
			if cap(c.arena)-len(c.arena) < len(v.S) {
				c.arena = make([]byte, 0, max(64<<10, len(v.S)))
			}
			start := len(c.arena)
			c.arena = append(c.arena, v.S...)
			v.S = c.arena[start:len(c.arena):len(c.arena)]
		}
		r[i] = v
	}
	c.rows = append(c.rows, r)
	c.b.take(1)
	if c.b.over() {
		return errCollectorFull
	}
	return nil
}

// skipWriter drops the first n rows (OFFSET).
type skipWriter struct {
	RowWriter
	n int64
}

func (s *skipWriter) WriteRow(row []Value) error {
	if s.n > 0 {
		s.n--
		return nil
	}
	return s.RowWriter.WriteRow(row)
}

// valuesNode is the one empty row a SELECT without FROM reads.
type valuesNode struct{}

func (valuesNode) columns() []relCol                 { return nil }
func (valuesNode) children() []node                  { return nil }
func (valuesNode) rows(*executor) ([][]Value, error) { return [][]Value{{}}, nil }
func (valuesNode) explain(b *explainer, i string)    { b.WriteString(i + "one row (no FROM)\n") }

// cteNode is a WITH query read more than once: computed once per run.
type cteNode struct {
	name string
	body node
}

func (c *cteNode) columns() []relCol { return c.body.columns() }
func (c *cteNode) children() []node  { return []node{c.body} }

func (c *cteNode) rows(ex *executor) ([][]Value, error) {
	if r, ok := ex.cache[c]; ok {
		return r, nil
	}
	r, err := ex.rowsOf(c.body)
	if err != nil {
		return nil, err
	}
	ex.cache[c] = r
	return r, nil
}

func (c *cteNode) explain(b *explainer, indent string) {
	if b.seen[c] {
		b.WriteString(indent + "with " + c.name + " (as above)\n")
		return
	}
	b.seen[c] = true
	b.WriteString(indent + "with " + c.name + " (computed once, read by every reference):\n")
	c.body.explain(b, indent+"  ")
}

// explainer collects the text of --explain; shared operators are
// described once.
type explainer struct {
	strings.Builder
	seen      map[node]bool
	converted bool // the scans read converted output
}

// renameNode gives its input's columns other names.
type renameNode struct {
	input node
	cols  []relCol
}

func (r *renameNode) columns() []relCol                    { return r.cols }
func (r *renameNode) children() []node                     { return []node{r.input} }
func (r *renameNode) rows(ex *executor) ([][]Value, error) { return ex.rowsOf(r.input) }
func (r *renameNode) explain(b *explainer, ind string)     { r.input.explain(b, ind) }

// setNode is UNION, INTERSECT or EXCEPT, with or without ALL.
type setNode struct {
	op   string
	all  bool
	l, r node
	cols []relCol
}

func newSetNode(b *setOp, l, r node) (node, error) {
	lc, rc := l.columns(), r.columns()
	if len(lc) != len(rc) {
		return nil, errAt(b.tok, "%s of queries with %d and %d columns", b.op, len(lc), len(rc))
	}
	s := &setNode{op: b.op, all: b.all, l: l, r: r}
	for i := range lc {
		xs := []*cexpr{{kind: lc[i].kind, prec: lc[i].prec, scale: lc[i].scale, text: lc[i].name}, {kind: rc[i].kind, prec: rc[i].prec, scale: rc[i].scale, text: rc[i].name}}
		es := []Expr{&colRef{tok: b.tok, name: lc[i].name}, &colRef{tok: b.tok, name: rc[i].name}}
		kind, prec, scale, err := commonType(es, xs)
		if err != nil {
			return nil, errAt(b.tok, "column %d of the %s: %s", i+1, b.op, err.(*Error).Msg)
		}
		col := relCol{name: lc[i].name, kind: kind, prec: prec, scale: scale, origin: -1}
		if lc[i].origin == rc[i].origin {
			col.origin = lc[i].origin
		}
		s.cols = append(s.cols, col)
	}
	return s, nil
}

func (s *setNode) columns() []relCol { return s.cols }
func (s *setNode) children() []node  { return []node{s.l, s.r} }

func (s *setNode) explain(b *explainer, indent string) {
	op := strings.ToLower(s.op)
	if s.all {
		op += " all"
	}
	b.WriteString(indent + op + ":\n")
	s.l.explain(b, indent+"  ")
	s.r.explain(b, indent+"  ")
}

func (s *setNode) rows(ex *executor) ([][]Value, error) {
	l, err := ex.rowsOf(s.l)
	if err != nil {
		return nil, err
	}
	r, err := ex.rowsOf(s.r)
	if err != nil {
		return nil, err
	}
	conv := func(rows [][]Value) {
		for _, row := range rows {
			for i, c := range s.cols {
				row[i] = coerce(row[i], c.kind, c.prec, c.scale)
			}
		}
	}
	conv(l)
	conv(r)
	var key []byte
	keyOf := func(row []Value) string {
		key = key[:0]
		for _, v := range row {
			key = appendKey(key, v)
		}
		return string(key)
	}
	var out [][]Value
	switch {
	case s.op == "UNION" && s.all:
		out = append(append(out, l...), r...)
	case s.op == "UNION":
		seen := map[string]bool{}
		for _, rows := range [][][]Value{l, r} {
			for _, row := range rows {
				if k := keyOf(row); !seen[k] {
					seen[k] = true
					out = append(out, row)
				}
			}
		}
	default:
		// INTERSECT and EXCEPT: count the right side's rows.
		count := map[string]int{}
		for _, row := range r {
			count[keyOf(row)]++
		}
		seen := map[string]bool{}
		for _, row := range l {
			k := keyOf(row)
			in := count[k] > 0
			if s.op == "EXCEPT" {
				in = !in
			}
			switch {
			case !in:
			case s.all:
				if s.op == "INTERSECT" {
					count[k]--
				}
				out = append(out, row)
			case !seen[k]:
				seen[k] = true
				out = append(out, row)
			}
		}
	}
	ex.budget.take(int64(len(out)))
	if ex.budget.over() {
		return nil, ex.tooMany("a " + s.op)
	}
	return out, nil
}

// Subqueries in expressions.

type subMode uint8

const (
	subIn subMode = iota
	subScalar
	subExists
)

// subResult is a subquery an expression reads: IN (subquery), a scalar
// subquery or EXISTS. The executor fills it before the expressions that
// read it run; a plan's runs take turns (Plan.runMu), so one result per
// plan is enough.
type subResult struct {
	mode subMode
	node node
	text bool // IN: the subquery's values are compared as text
	set  map[string]bool
	null bool // IN: the subquery returned a NULL
	val  Value
}

// resolve computes a subquery's result for this run.
func (ex *executor) resolve(d *subResult) error {
	if ex.resolved[d] {
		return nil
	}
	if err := ex.prepare(d.node, nil); err != nil {
		return err
	}
	rows, err := ex.rowsOf(d.node)
	if err != nil {
		return err
	}
	ex.resolved[d] = true
	switch d.mode {
	case subIn:
		d.set, d.null = make(map[string]bool, len(rows)), false
		var buf []byte
		for _, r := range rows {
			v := r[0]
			if v.Kind == KindNull {
				d.null = true
				continue
			}
			if d.text && v.Kind != KindString {
				v = Value{Kind: KindString, S: athenaText(nil, v)}
			}
			buf = appendKey(buf[:0], v)
			d.set[string(buf)] = true
		}
	case subScalar:
		switch len(rows) {
		case 0:
			d.val = Value{}
		case 1:
			d.val = rows[0][0].Clone()
		default:
			return fmt.Errorf("a scalar subquery returned %d rows, want at most one", len(rows))
		}
	case subExists:
		d.val = BoolValue(len(rows) > 0)
	}
	return nil
}

// subquery plans an expression's subquery.
func (c *compiler) subquery(t token, st *Statement, mode subMode) (*subResult, error) {
	if c.pl == nil || c.deps == nil {
		return nil, errAt(t, "subqueries are not allowed here")
	}
	saved := c.pl.pendingOrder
	n, err := c.pl.query(st)
	c.pl.pendingOrder = saved
	if err != nil {
		return nil, err
	}
	if mode != subExists && len(n.columns()) != 1 {
		return nil, errAt(t, "the subquery returns %d columns, want one", len(n.columns()))
	}
	d := &subResult{mode: mode, node: n}
	*c.deps = append(*c.deps, d)
	return d, nil
}

func (c *compiler) inSubquery(e *inExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	d, err := c.subquery(e.tok, e.sub, subIn)
	if err != nil {
		return nil, err
	}
	col := d.node.columns()[0]
	sub := &cexpr{kind: col.kind, prec: col.prec, scale: col.scale, col: -1, origin: -1, isCol: true, text: "(subquery)"}
	x2, sub2, err := unify(e.tok, e.x, x, e.x, sub)
	if err != nil {
		return nil, err
	}
	d.text = sub2.kind == KindString && col.kind != KindString
	xf, neg := x2.fn, e.not
	return typed(KindBool, func(r *rowCtx) Value {
		v := xf(r)
		if v.Kind == KindNull {
			return v
		}
		var buf [64]byte
		if d.set[string(appendKey(buf[:0], v))] {
			return BoolValue(!neg)
		}
		if d.null {
			return Value{}
		}
		return BoolValue(neg)
	}), nil
}

func (c *compiler) scalarSubquery(e *subqueryExpr) (*cexpr, error) {
	d, err := c.subquery(e.tok, e.query, subScalar)
	if err != nil {
		return nil, err
	}
	col := d.node.columns()[0]
	ce := typed(col.kind, func(*rowCtx) Value { return d.val })
	ce.prec, ce.scale = col.prec, col.scale
	return ce, nil
}

func (c *compiler) exists(e *existsExpr) (*cexpr, error) {
	d, err := c.subquery(e.tok, e.query, subExists)
	if err != nil {
		return nil, err
	}
	return typed(KindBool, func(*rowCtx) Value { return d.val }), nil
}

// Joins.

// joinNode is a join of two inputs: a hash join on the equalities of ON
// (the right side is held in memory and counted against the budget),
// with the rest of ON checked on each candidate pair; a nested loop when
// ON has no equality between the sides (CROSS JOIN, comma joins).
type joinNode struct {
	kind         string
	l, r         node
	nl, nr       int
	cols         []relCol
	lkeys, rkeys []*cexpr
	residual     *cexpr
	deps         []*subResult
}

func (j *joinNode) columns() []relCol { return j.cols }
func (j *joinNode) children() []node  { return []node{j.l, j.r} }
func (j *joinNode) scope() *scope     { return &scope{cols: j.cols} }

func (j *joinNode) explain(b *explainer, indent string) {
	how := "nested loop"
	if len(j.lkeys) > 0 {
		var k []string
		for i := range j.lkeys {
			k = append(k, j.lkeys[i].text+" = "+j.rkeys[i].text)
		}
		how = "hash on " + strings.Join(k, ", ") + " (right side in memory)"
	}
	b.WriteString(indent + strings.ToLower(j.kind) + " join, " + how + ":\n")
	if j.residual != nil {
		b.WriteString(indent + "  also: " + j.residual.text + "\n")
	}
	j.l.explain(b, indent+"  ")
	j.r.explain(b, indent+"  ")
}

// qualifiedCols returns n's columns qualified by q (a join's columns keep
// their own qualifiers).
func qualifiedCols(n node, q string) []relCol {
	cols := append([]relCol(nil), n.columns()...)
	if _, ok := n.(*joinNode); ok {
		return cols
	}
	for i := range cols {
		cols[i].qual = strings.ToLower(q)
	}
	return cols
}

// join plans l JOIN r ON cond.
func (pl *planner) join(f *joinRef, sel *selectStmt) (node, error) {
	l, lq, err := pl.fromItem(f.l, sel)
	if err != nil {
		return nil, err
	}
	r, rq, err := pl.fromItem(f.r, sel)
	if err != nil {
		return nil, err
	}
	j := &joinNode{kind: f.kind, l: l, r: r}
	lcols, rcols := qualifiedCols(l, lq), qualifiedCols(r, rq)
	j.nl, j.nr = len(lcols), len(rcols)
	conds := conjuncts(f.on)
	for _, u := range f.using {
		conds = append(conds, &binExpr{tok: f.tok, op: "=", l: &colRef{tok: f.tok, qual: lq, name: u}, r: &colRef{tok: f.tok, qual: rq, name: u}})
		for i := range rcols {
			if strings.EqualFold(rcols[i].name, u) {
				rcols[i].hidden = true
			}
		}
	}
	if f.kind == "CROSS" || f.kind == "INNER" {
		// WHERE equalities between the sides join them too (comma joins).
		for _, t := range conjuncts(sel.where) {
			if b, ok := t.(*binExpr); ok && b.op == "=" {
				conds = append(conds, t)
			}
		}
	}
	j.cols = append(lcols, rcols...)
	lsc, rsc, jsc := &scope{cols: lcols}, &scope{cols: rcols}, j.scope()
	comp := func(sc *scope, e Expr) (*cexpr, error) {
		c := &compiler{now: pl.o.Now, used: make([]bool, len(schema.Columns)), scope: sc, pl: pl, deps: &j.deps}
		return c.compile(e)
	}
	var rest []Expr
	for _, t := range conds {
		b, ok := t.(*binExpr)
		if ok && b.op == "=" {
			if lk, rk, ok := equiKey(comp, lsc, rsc, b); ok {
				j.lkeys, j.rkeys = append(j.lkeys, lk), append(j.rkeys, rk)
				continue
			}
		}
		if isWhereTerm(sel, t) {
			continue // a WHERE term that did not join: WHERE checks it
		}
		rest = append(rest, t)
	}
	if on := andAll(rest); on != nil {
		c := &compiler{now: pl.o.Now, used: make([]bool, len(schema.Columns)), scope: jsc, pl: pl, deps: &j.deps}
		res, err := c.compile(on)
		if err != nil {
			return nil, err
		}
		if err := wantKind(on, res, KindBool); err != nil {
			return nil, err
		}
		j.residual = res
		j.residual.text = on.String()
	}
	return j, nil
}

// isWhereTerm reports whether t came from sel's WHERE.
func isWhereTerm(sel *selectStmt, t Expr) bool {
	for _, w := range conjuncts(sel.where) {
		if w == t {
			return true
		}
	}
	return false
}

// equiKey compiles a = b as a hash-join key when one side reads only the
// left input and the other only the right.
func equiKey(comp func(*scope, Expr) (*cexpr, error), lsc, rsc *scope, b *binExpr) (*cexpr, *cexpr, bool) {
	try := func(le, re Expr) (*cexpr, *cexpr, bool) {
		l, err := comp(lsc, le)
		if err != nil || l.konst {
			return nil, nil, false
		}
		r, err := comp(rsc, re)
		if err != nil || r.konst {
			return nil, nil, false
		}
		l2, r2, err := unify(b.tok, le, l, re, r)
		if err != nil {
			return nil, nil, false
		}
		l2.text, r2.text = le.String(), re.String()
		return l2, r2, true
	}
	if l, r, ok := try(b.l, b.r); ok {
		return l, r, true
	}
	if l, r, ok := try(b.r, b.l); ok {
		return l, r, true
	}
	return nil, nil, false
}

func (j *joinNode) rows(ex *executor) ([][]Value, error) {
	for _, d := range j.deps {
		if err := ex.resolve(d); err != nil {
			return nil, err
		}
	}
	left, err := ex.rowsOf(j.l)
	if err != nil {
		return nil, err
	}
	right, err := ex.rowsOf(j.r)
	if err != nil {
		return nil, err
	}
	rc := &rowCtx{}
	combine := func(a, b []Value) []Value {
		row := make([]Value, j.nl+j.nr)
		copy(row, a)
		copy(row[j.nl:], b)
		return row
	}
	ok := func(row []Value) bool {
		if j.residual == nil {
			return true
		}
		rc.row = row
		return j.residual.fn(rc).truth()
	}
	var out [][]Value
	emit := func(row []Value) error {
		out = append(out, row)
		ex.budget.take(1)
		if ex.budget.over() {
			return ex.tooMany("a join")
		}
		return nil
	}
	matchedR := make([]bool, len(right))
	keyOf := func(keys []*cexpr, row []Value, buf []byte) ([]byte, bool) {
		rc.row = row
		buf = buf[:0]
		for _, k := range keys {
			v := k.fn(rc)
			if v.Kind == KindNull {
				return buf, false // NULL joins nothing
			}
			buf = appendKey(buf, v)
		}
		return buf, true
	}
	var candidates func(a []Value) []int
	if len(j.lkeys) > 0 {
		table := make(map[string][]int, len(right))
		var buf []byte
		for i, b := range right {
			var ok bool
			if buf, ok = keyOf(j.rkeys, b, buf); ok {
				table[string(buf)] = append(table[string(buf)], i)
			}
		}
		ex.budget.take(int64(len(table)))
		defer ex.budget.take(-int64(len(table)))
		if ex.budget.over() {
			return nil, ex.tooMany("a join's hash table")
		}
		var pbuf []byte
		candidates = func(a []Value) []int {
			var ok bool
			if pbuf, ok = keyOf(j.lkeys, a, pbuf); !ok {
				return nil
			}
			return table[string(pbuf)]
		}
	} else {
		all := make([]int, len(right))
		for i := range all {
			all[i] = i
		}
		candidates = func([]Value) []int { return all }
	}
	// A pair is tested in scratch and copied only when it joins, so that
	// a residual that rejects most pairs allocates nothing for them.
	scratch := make([]Value, j.nl+j.nr)
	for _, a := range left {
		matched := false
		for _, i := range candidates(a) {
			copy(scratch, a)
			copy(scratch[j.nl:], right[i])
			if !ok(scratch) {
				continue
			}
			matched, matchedR[i] = true, true
			if err := emit(slices.Clone(scratch)); err != nil {
				return nil, err
			}
		}
		if !matched && (j.kind == "LEFT" || j.kind == "FULL") {
			if err := emit(combine(a, nil)); err != nil {
				return nil, err
			}
		}
	}
	if j.kind == "RIGHT" || j.kind == "FULL" {
		for i, b := range right {
			if !matchedR[i] {
				if err := emit(combine(nil, b)); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}
