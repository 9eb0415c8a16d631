package query

import (
	"sort"
)

// Window functions run above the scan, on the rows of the SELECT they
// belong to: the planner splits such a SELECT into an inner one (FROM,
// WHERE, GROUP BY, HAVING, producing the values the window calls and the
// final items need), a window operator that appends one column per call,
// and an outer projection with DISTINCT, ORDER BY and LIMIT.

// winCall is one window function call: f(args) OVER (PARTITION BY ...
// ORDER BY ... frame).
type winCall struct {
	text      string
	fn        *function
	agg       *aggSpec // an aggregate used as a window function
	args      []*cexpr
	partition []*cexpr
	order     []*cexpr
	keys      []orderKey // order's directions; idx is the position in order
	frame     *frameSpec
	kind      Kind
	prec      uint8
	scale     uint8
}

// winFunc computes a window function over one partition: rows are in
// window order, peer[i] is the index of the first row of i's peer group
// (rows with equal ORDER BY values), out receives one value per row.
type winFunc func(w *winCall, p *winPart, out []Value)

// winPart is one partition of a window, sorted.
type winPart struct {
	args  [][]Value // per row, the call's argument values
	order [][]Value // per row, the ORDER BY values
	peer  []int     // first row of each row's peer group
	last  []int     // last row of each row's peer group
}

// windowCall registers a window call and returns an expression reading its
// result from the window operator's output.
func (c *compiler) windowCall(e *callExpr, f *function) (*cexpr, error) {
	if c.wins == nil {
		return nil, errAt(e.tok, "window function %s is not allowed here (only in SELECT items and ORDER BY)", e.name)
	}
	txt := e.String()
	for i, w := range *c.wins {
		if w.text == txt {
			return c.winResult(i), nil
		}
	}
	w := &winCall{text: txt, fn: f, frame: e.over.frame}
	inner := *c
	inner.wins = nil // no window calls inside window calls
	inner.aggOK, inner.aggWhere = false, "in a window function's arguments unless also computed by GROUP BY"
	switch f.kind {
	case aggregateFn:
		spec, err := inner.aggWindowSpec(e, f)
		if err != nil {
			return nil, err
		}
		w.agg, w.kind, w.prec, w.scale = spec, spec.kind, spec.prec, spec.scale
	case windowFn:
		if e.star || e.distinct || e.filter != nil {
			return nil, errAt(e.tok, "%s takes no *, DISTINCT or FILTER", e.name)
		}
		if err := arity(e, f); err != nil {
			return nil, err
		}
		args, err := inner.args(e, f)
		if err != nil {
			return nil, err
		}
		w.args = args
		w.kind = f.result
		if w.kind == KindNull && len(args) > 0 {
			w.kind, w.prec, w.scale = args[0].kind, args[0].prec, args[0].scale
		}
		if (f.name == "lag" || f.name == "lead") && len(args) > 1 && !args[1].konst {
			return nil, errAt(e.args[1].pos(), "%s's offset must be a constant", e.name)
		}
	default:
		return nil, errAt(e.tok, "%s is not a window function", e.name)
	}
	for _, p := range e.over.partition {
		x, err := inner.compile(p)
		if err != nil {
			return nil, err
		}
		w.partition = append(w.partition, x)
	}
	for i, o := range e.over.order {
		x, err := inner.compile(o.Expr)
		if err != nil {
			return nil, err
		}
		w.order = append(w.order, x)
		w.keys = append(w.keys, orderKey{idx: i, desc: o.Desc, nullsFirst: o.NullsFirst})
	}
	if fr := w.frame; fr != nil && !fr.rows {
		// RANGE frames with offsets need arithmetic on the ORDER BY value.
		if fr.start.kind == boundPreceding || fr.start.kind == boundFollowing || fr.end.kind == boundPreceding || fr.end.kind == boundFollowing {
			return nil, errAt(fr.tok, "RANGE frames with an offset are not supported; use ROWS")
		}
	}
	*c.wins = append(*c.wins, w)
	return c.winResult(len(*c.wins) - 1), nil
}

func (c *compiler) winResult(i int) *cexpr {
	w := (*c.wins)[i]
	at := c.winBase + i
	ce := typed(w.kind, func(r *rowCtx) Value { return r.row[at] })
	ce.prec, ce.scale, ce.text = w.prec, w.scale, w.text
	return ce
}

// aggWindowSpec compiles an aggregate used with OVER: its arguments are
// evaluated on the window's input rows.
func (c *compiler) aggWindowSpec(e *callExpr, f *function) (*aggSpec, error) {
	plain := *e
	plain.over = nil
	return c.aggSpec(&plain, f)
}

// windowNode appends the values of window calls to its input's rows.
type windowNode struct {
	input node
	calls []*winCall
	cols  []relCol
}

func (w *windowNode) columns() []relCol { return w.cols }
func (w *windowNode) children() []node  { return []node{w.input} }

func (w *windowNode) explain(b *explainer, indent string) {
	b.WriteString(indent + "window:\n")
	for _, c := range w.calls {
		b.WriteString(indent + "  " + c.text + "\n")
	}
	w.input.explain(b, indent+"  ")
}

func (w *windowNode) rows(ex *executor) ([][]Value, error) {
	in, err := ex.rowsOf(w.input)
	if err != nil {
		return nil, err
	}
	n := len(w.input.columns())
	out := make([][]Value, len(in))
	for i, r := range in {
		row := make([]Value, n, n+len(w.calls))
		copy(row, r)
		out[i] = row
	}
	for _, c := range w.calls {
		vals := c.compute(in)
		for i := range out {
			out[i] = append(out[i], vals[i])
		}
	}
	return out, nil
}

// compute evaluates the call for every input row.
func (w *winCall) compute(in [][]Value) []Value {
	rc := &rowCtx{}
	// Partition the rows, keeping first-appearance order.
	index := map[string]int{}
	var parts [][]int
	var key []byte
	for i, row := range in {
		rc.row = row
		key = key[:0]
		for _, p := range w.partition {
			key = appendKey(key, p.fn(rc))
		}
		j, ok := index[string(key)]
		if !ok {
			j = len(parts)
			index[string(key)] = j
			parts = append(parts, nil)
		}
		parts[j] = append(parts[j], i)
	}
	out := make([]Value, len(in))
	for _, rows := range parts {
		p := &winPart{order: make([][]Value, len(rows)), args: make([][]Value, len(rows))}
		for k, i := range rows {
			rc.row = in[i]
			o := make([]Value, len(w.order))
			for j, x := range w.order {
				o[j] = x.fn(rc)
			}
			p.order[k] = o
			var a []Value
			if w.agg != nil {
				if w.agg.arg != nil {
					a = append(a, w.agg.arg.fn(rc))
				}
				if w.agg.arg2 != nil {
					a = append(a, w.agg.arg2.fn(rc))
				}
			} else {
				for _, x := range w.args {
					a = append(a, x.fn(rc))
				}
			}
			p.args[k] = a
		}
		perm := make([]int, len(rows))
		for k := range perm {
			perm[k] = k
		}
		sort.SliceStable(perm, func(a, b int) bool { return orderLess(w.keys, p.order[perm[a]], p.order[perm[b]]) })
		sorted := &winPart{order: make([][]Value, len(rows)), args: make([][]Value, len(rows)), peer: make([]int, len(rows)), last: make([]int, len(rows))}
		for k, j := range perm {
			sorted.order[k], sorted.args[k] = p.order[j], p.args[j]
		}
		for k := range perm {
			if k > 0 && !orderLess(w.keys, sorted.order[k-1], sorted.order[k]) {
				sorted.peer[k] = sorted.peer[k-1]
			} else {
				sorted.peer[k] = k
			}
		}
		for k := len(perm) - 1; k >= 0; k-- {
			if k+1 < len(perm) && sorted.peer[k+1] == sorted.peer[k] {
				sorted.last[k] = sorted.last[k+1]
			} else {
				sorted.last[k] = k
			}
		}
		vals := make([]Value, len(rows))
		if w.agg != nil {
			w.aggregate(sorted, vals)
		} else {
			w.fn.win(w, sorted, vals)
		}
		for k, j := range perm {
			out[rows[j]] = vals[k]
		}
	}
	return out
}

// orderLess orders two rows' ORDER BY values by keys (Trino: NULLS LAST
// unless NULLS FIRST is given).
func orderLess(keys []orderKey, a, b []Value) bool {
	for _, k := range keys {
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

// frameOf returns the rows [lo, hi] of row i's frame; lo > hi is empty.
func (w *winCall) frameOf(p *winPart, i int) (int, int) {
	n := len(p.order)
	f := w.frame
	if f == nil {
		if len(w.order) == 0 {
			return 0, n - 1
		}
		// RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: peers count.
		return 0, p.last[i]
	}
	bound := func(b frameBound, start bool) int {
		switch b.kind {
		case boundUnboundedPreceding:
			return 0
		case boundUnboundedFollowing:
			return n - 1
		case boundCurrent:
			if f.rows {
				return i
			}
			if start {
				return p.peer[i]
			}
			return p.last[i]
		case boundPreceding:
			return i - int(min(b.n, int64(n)))
		}
		return i + int(min(b.n, int64(n)))
	}
	lo, hi := max(bound(f.start, true), 0), min(bound(f.end, false), n-1)
	return lo, hi
}

// aggregate computes an aggregate over each row's frame: incrementally
// while frames only grow (the default running total), else afresh.
func (w *winCall) aggregate(p *winPart, out []Value) {
	n := len(p.order)
	feed := func(st aggState, k int) {
		a := p.args[k]
		switch {
		case w.agg.star:
			st.add(Value{})
		case w.agg.arg2 != nil:
			st.(pairState).add2(a[0], a[1])
		default:
			st.add(a[0])
		}
	}
	var st aggState
	added := 0 // rows [0, added) are in st
	for i := 0; i < n; i++ {
		lo, hi := w.frameOf(p, i)
		if lo == 0 && st != nil && hi >= added-1 {
			for ; added <= hi; added++ {
				feed(st, added)
			}
			out[i] = st.result()
			continue
		}
		s := w.agg.newState(nil)
		for k := lo; k <= hi; k++ {
			feed(s, k)
		}
		out[i] = s.result()
		if lo == 0 {
			st, added = s, hi+1
		}
	}
}

func winRowNumber(_ *winCall, p *winPart, out []Value) {
	for i := range out {
		out[i] = IntValue(int64(i + 1))
	}
}

func winRank(_ *winCall, p *winPart, out []Value) {
	for i := range out {
		out[i] = IntValue(int64(p.peer[i] + 1))
	}
}

func winDenseRank(_ *winCall, p *winPart, out []Value) {
	r := int64(0)
	for i := range out {
		if p.peer[i] == i {
			r++
		}
		out[i] = IntValue(r)
	}
}

func winPercentRank(_ *winCall, p *winPart, out []Value) {
	n := len(out)
	for i := range out {
		if n == 1 {
			out[i] = FloatValue(0)
			continue
		}
		out[i] = FloatValue(float64(p.peer[i]) / float64(n-1))
	}
}

func winCumeDist(_ *winCall, p *winPart, out []Value) {
	n := float64(len(out))
	for i := range out {
		out[i] = FloatValue(float64(p.last[i]+1) / n)
	}
}

func winNtile(_ *winCall, p *winPart, out []Value) {
	n := int64(len(out))
	for i := range out {
		b := p.args[i][0]
		if b.Kind == KindNull || b.I <= 0 {
			out[i] = Value{}
			continue
		}
		// Trino: the first n % buckets buckets get one extra row.
		buckets := b.I
		size, extra := n/buckets, n%buckets
		k, r := int64(i), int64(0)
		if head := (size + 1) * extra; k < head {
			r = k / (size + 1)
		} else if size > 0 {
			r = extra + (k-head)/size
		} else {
			r = k
		}
		out[i] = IntValue(r + 1)
	}
}

// offsetValue is lag (dir -1) and lead (1): the argument at the row off
// rows away, or the default (NULL) past the partition.
func offsetValue(dir int) winFunc {
	return func(_ *winCall, p *winPart, out []Value) {
		for i := range out {
			a := p.args[i]
			off := int64(1)
			if len(a) > 1 {
				if a[1].Kind == KindNull {
					out[i] = Value{}
					continue
				}
				off = a[1].I
			}
			j := int64(i) + int64(dir)*off
			switch {
			case j >= 0 && j < int64(len(out)):
				out[i] = p.args[j][0]
			case len(a) > 2:
				out[i] = a[2]
			default:
				out[i] = Value{}
			}
		}
	}
}

var (
	winLag  = offsetValue(-1)
	winLead = offsetValue(1)
)

// frameEdge is first_value (last false) and last_value (true): the
// argument at the first or last row of each row's frame, NULL for an
// empty frame.
func frameEdge(last bool) winFunc {
	return func(w *winCall, p *winPart, out []Value) {
		for i := range out {
			lo, hi := w.frameOf(p, i)
			switch {
			case lo > hi:
				out[i] = Value{}
			case last:
				out[i] = p.args[hi][0]
			default:
				out[i] = p.args[lo][0]
			}
		}
	}
}

var (
	winFirstValue = frameEdge(false)
	winLastValue  = frameEdge(true)
)

func winNthValue(w *winCall, p *winPart, out []Value) {
	for i := range out {
		lo, hi := w.frameOf(p, i)
		a := p.args[i]
		if a[1].Kind == KindNull || a[1].I < 1 {
			out[i] = Value{}
			continue
		}
		k := lo + int(a[1].I) - 1
		if k > hi || lo > hi {
			out[i] = Value{}
			continue
		}
		out[i] = p.args[k][0]
	}
}
