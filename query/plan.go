package query

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// Options configure Compile. The zero value is usable.
type Options struct {
	// Now is the value of now(); default time.Now() at Compile.
	Now time.Time
	// NoPushdown evaluates WHERE only as a general expression after the
	// record is parsed: no line prefilter and no specialised field checks.
	// For testing pushdown against; default false.
	NoPushdown bool
}

// ResultColumn describes one output column.
type ResultColumn struct {
	Name string
	Kind Kind
	// Column is the schema.Columns index when the output is a plain column
	// reference (so writers can use its exact type, e.g. int32), else -1.
	Column int
}

// Plan is a compiled query, ready to run any number of times. It is
// immutable once compiled and safe for concurrent use.
type Plan struct {
	stmt *Statement
	cols []ResultColumn

	contains [][]byte // prefilter: every matching line contains each of these
	// timePre: every matching line's request time is in [timeLo, timeHi],
	// checked on the raw Time field before parsing.
	timePre        bool
	timeLo, timeHi int64
	conjuncts      []conjunct // WHERE, in evaluation order
	used           []bool     // schema columns read

	agg    bool
	groups []*cexpr   // rowMode
	aggs   []*aggSpec // evaluated per row
	proj   []*cexpr   // rowMode (no agg) or postMode (agg): visible + hidden sort keys
	having *cexpr     // postMode
	// distinctOut dedups output rows after aggregation (SELECT DISTINCT with
	// aggregates).
	distinctOut bool
	order       []orderKey
	limit       int64
	window      pipeline.Window
}

type orderKey struct {
	idx        int // index in the projected row
	desc       bool
	nullsFirst bool
}

// conjunct is one AND-ed term of WHERE.
type conjunct struct {
	text   string
	pushed bool // a specialised check on raw field bytes
	test   func(*rowCtx) bool
}

// Compile parses and plans sql. Errors in the SQL are *Error values naming
// the line, column and token.
func Compile(sql string, o Options) (*Plan, error) {
	st, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	p := &Plan{stmt: st, limit: st.Limit, used: make([]bool, len(schema.Columns))}
	c := &compiler{now: o.Now, used: p.used}

	// Expand * and find whether the query aggregates.
	type item struct {
		expr  Expr
		name  string
		alias bool
	}
	var items []item
	for _, it := range st.Items {
		if it.Star {
			for _, col := range schema.Star() {
				items = append(items, item{expr: &colRef{tok: it.tok, name: col.Name}, name: col.Name})
			}
			continue
		}
		name := it.Alias
		if name == "" {
			if r, ok := it.Expr.(*colRef); ok {
				name = strings.ToLower(r.name)
			} else {
				name = it.Expr.String()
				if b, ok := it.Expr.(*binExpr); ok && len(name) > 1 && b.op != "" {
					name = name[1 : len(name)-1]
				}
			}
		}
		items = append(items, item{expr: it.Expr, name: name, alias: it.Alias != ""})
	}
	for _, it := range items {
		p.agg = p.agg || hasAggregate(it.expr)
	}
	p.agg = p.agg || len(st.GroupBy) > 0 || st.Having != nil
	for _, o := range st.OrderBy {
		p.agg = p.agg || hasAggregate(o.Expr)
	}

	// WHERE.
	if st.Where != nil {
		if hasAggregate(st.Where) {
			var t token
			walk(st.Where, func(x Expr) {
				if c, ok := x.(*callExpr); ok && t.line == 0 {
					if _, agg := aggFuncs[c.name]; agg {
						t = c.tok
					}
				}
			})
			return nil, errAt(t, "aggregate functions are not allowed in WHERE (use HAVING)")
		}
		if err := p.planWhere(c, st.Where, o.NoPushdown); err != nil {
			return nil, err
		}
		if p.window.Bounded() && !o.NoPushdown {
			p.timePre, p.timeLo, p.timeHi = true, minInt, maxInt
			if !p.window.From.IsZero() {
				p.timeLo = p.window.From.Unix()
			}
			if !p.window.To.IsZero() {
				p.timeHi = p.window.To.Unix()
			}
		}
	}

	// SELECT DISTINCT without aggregates is a GROUP BY of the items.
	groupBy := st.GroupBy
	if st.Distinct && !p.agg {
		p.agg = true
		for _, it := range items {
			groupBy = append(groupBy, it.expr)
		}
	} else if st.Distinct {
		p.distinctOut = true
	}

	if p.agg {
		for _, g := range groupBy {
			// GROUP BY 1 or an output alias.
			if l, ok := g.(*litExpr); ok && l.v.Kind == KindInt {
				if l.v.I < 1 || int(l.v.I) > len(items) {
					return nil, errAt(l.tok, "GROUP BY position %d is not in the select list", l.v.I)
				}
				g = items[l.v.I-1].expr
			} else if r, ok := g.(*colRef); ok {
				if _, known := schema.Lookup(r.name); !known {
					for _, it := range items {
						if it.alias && strings.EqualFold(it.name, r.name) {
							g = it.expr
						}
					}
				}
			}
			if hasAggregate(g) {
				return nil, errAt(g.pos(), "aggregate functions are not allowed in GROUP BY")
			}
			c.mode = rowMode
			ce, err := c.compile(g)
			if err != nil {
				return nil, err
			}
			ce.text = g.String()
			p.groups = append(p.groups, ce)
		}
		c.mode, c.group, c.aggOK = postMode, p.groups, true
	}

	for _, it := range items {
		ce, err := c.compile(it.expr)
		if err != nil {
			return nil, err
		}
		p.proj = append(p.proj, ce)
		col := ce.col
		if p.agg {
			col = -1
			if r, ok := it.expr.(*colRef); ok {
				col, _ = schema.Lookup(r.name)
			}
		}
		p.cols = append(p.cols, ResultColumn{Name: it.name, Kind: ce.kind, Column: col})
	}
	c.aliases = map[string]Expr{}
	for _, it := range items {
		if it.alias {
			c.aliases[strings.ToLower(it.name)] = it.expr
		}
	}
	if st.Having != nil {
		h, err := c.compile(st.Having)
		if err != nil {
			return nil, err
		}
		if err := wantKind(st.Having, h, KindBool); err != nil {
			return nil, err
		}
		p.having = h
	}
	for _, o := range st.OrderBy {
		k := orderKey{desc: o.Desc, nullsFirst: o.NullsFirst}
		if !o.nullsSet {
			k.nullsFirst = false // Trino: NULLS LAST whatever the direction
		}
		k.idx = -1
		if l, ok := o.Expr.(*litExpr); ok && l.v.Kind == KindInt {
			if l.v.I < 1 || int(l.v.I) > len(items) {
				return nil, errAt(l.tok, "ORDER BY position %d is not in the select list", l.v.I)
			}
			k.idx = int(l.v.I - 1)
		} else if r, ok := o.Expr.(*colRef); ok {
			for i, it := range items {
				if strings.EqualFold(it.name, r.name) && (it.alias || !p.agg) {
					k.idx = i
					break
				}
			}
		}
		if k.idx < 0 {
			txt := o.Expr.String()
			for i, ce := range p.proj[:len(items)] {
				if ce.text == txt {
					k.idx = i
				}
			}
		}
		if k.idx < 0 {
			ce, err := c.compile(o.Expr)
			if err != nil {
				return nil, err
			}
			p.proj = append(p.proj, ce)
			k.idx = len(p.proj) - 1
		}
		p.order = append(p.order, k)
	}
	p.aggs = c.aggs
	if p.agg && p.distinctOut && len(p.proj) > len(p.cols) {
		return nil, errAt(st.OrderBy[0].Expr.pos(), "with SELECT DISTINCT, ORDER BY expressions must appear in the select list")
	}
	return p, nil
}

// planWhere splits WHERE into its conjuncts, compiles each into the
// cheapest check it allows, derives line prefilters and the time window.
func (p *Plan) planWhere(c *compiler, where Expr, noPush bool) error {
	var terms []Expr
	var split func(e Expr)
	split = func(e Expr) {
		if b, ok := e.(*binExpr); ok && b.op == "AND" {
			split(b.l)
			split(b.r)
			return
		}
		terms = append(terms, e)
	}
	split(where)
	var pushed, general []conjunct
	for _, t := range terms {
		ce, err := c.compile(t)
		if err != nil {
			return err
		}
		if err := wantKind(t, ce, KindBool); err != nil {
			return err
		}
		p.deriveWindow(c, t)
		if ce.konst {
			if !ce.val.truth() {
				// WHERE false: nothing matches; keep a check that says so.
				general = append(general, conjunct{text: t.String(), test: func(*rowCtx) bool { return false }})
			}
			continue
		}
		if !noPush {
			if cj, pre, ok := p.pushdown(c, t); ok {
				if len(pre) > 0 {
					p.contains = append(p.contains, pre)
				}
				pushed = append(pushed, cj)
				continue
			}
		}
		f := ce.fn
		general = append(general, conjunct{text: t.String(), test: func(r *rowCtx) bool { return f(r).truth() }})
	}
	p.conjuncts = append(pushed, general...)
	return nil
}

// fieldCol returns the log field behind a compiled column reference, if it
// is one read straight from a field.
func fieldCol(ce *cexpr) (schema.Column, bool) {
	if ce.col < 0 {
		return schema.Column{}, false
	}
	col := schema.Columns[ce.col]
	return col, col.Source == schema.FromField
}

// pushdown compiles a conjunct of one of the shapes that can be checked on
// raw field bytes: column op constant, BETWEEN constants, IS [NOT] NULL,
// LIKE and IN on a field. It also returns a byte string every matching line
// must contain, when there is one.
func (p *Plan) pushdown(c *compiler, t Expr) (conjunct, []byte, bool) {
	text := t.String()
	mk := func(pre []byte, test func(r *rowCtx) bool) (conjunct, []byte, bool) {
		return conjunct{text: text, pushed: true, test: test}, pre, true
	}
	compile := func(e Expr) *cexpr {
		ce, err := c.compile(e)
		if err != nil {
			return nil
		}
		return ce
	}
	switch e := t.(type) {
	case *isNullExpr:
		x := compile(e.x)
		if x == nil {
			return conjunct{}, nil, false
		}
		col, ok := fieldCol(x)
		if !ok || col.Type == schema.Timestamp {
			return conjunct{}, nil, false
		}
		f, neg := col.Field, e.not
		return mk(nil, func(r *rowCtx) bool { return r.rec.IsNull(f) != neg })
	case *binExpr:
		l, r := compile(e.l), compile(e.r)
		if l == nil || r == nil {
			return conjunct{}, nil, false
		}
		op := e.op
		if l.konst && !r.konst {
			l, r = r, l
			op = flip(op)
		}
		if !r.konst || r.val.Kind == KindNull {
			return conjunct{}, nil, false
		}
		var err error
		if r, err = coerceTo(e.r, r, l); err != nil {
			return conjunct{}, nil, false
		}
		return p.pushCompare(l, op, r.val, text)
	case *betweenExpr:
		x, lo, hi := compile(e.x), compile(e.lo), compile(e.hi)
		if x == nil || lo == nil || hi == nil || e.not || !lo.konst || !hi.konst {
			return conjunct{}, nil, false
		}
		var err error
		if lo, err = coerceTo(e.lo, lo, x); err != nil {
			return conjunct{}, nil, false
		}
		if hi, err = coerceTo(e.hi, hi, x); err != nil {
			return conjunct{}, nil, false
		}
		a, _, ok1 := p.pushCompare(x, ">=", lo.val, text)
		b, _, ok2 := p.pushCompare(x, "<=", hi.val, text)
		if !ok1 || !ok2 {
			return conjunct{}, nil, false
		}
		at, bt := a.test, b.test
		return mk(nil, func(r *rowCtx) bool { return at(r) && bt(r) })
	case *likeExpr:
		x, pat := compile(e.x), compile(e.pat)
		if x == nil || pat == nil || !pat.konst || pat.val.Kind != KindString || e.escapeE != nil {
			return conjunct{}, nil, false
		}
		col, ok := fieldCol(x)
		if !ok || col.Type != schema.String {
			return conjunct{}, nil, false
		}
		m := compileLike(pat.val.S, 0)
		f, neg := col.Field, e.not
		var pre []byte
		if !neg && len(m.literal()) >= 3 {
			pre = m.literal()
		}
		return mk(pre, func(r *rowCtx) bool {
			v, ok := r.rec.Value(f)
			return ok && m.match(v) != neg
		})
	case *inExpr:
		x := compile(e.x)
		if x == nil || e.not {
			return conjunct{}, nil, false
		}
		col, ok := fieldCol(x)
		if !ok || col.Type != schema.String {
			return conjunct{}, nil, false
		}
		var lits [][]byte
		for _, le := range e.list {
			l := compile(le)
			if l == nil || !l.konst || l.val.Kind != KindString {
				return conjunct{}, nil, false
			}
			lits = append(lits, l.val.S)
		}
		f := col.Field
		return mk(nil, func(r *rowCtx) bool {
			v, ok := r.rec.Value(f)
			if !ok {
				return false
			}
			for _, l := range lits {
				if bytes.Equal(v, l) {
					return true
				}
			}
			return false
		})
	}
	return conjunct{}, nil, false
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// pushCompare compiles "column op constant" into a raw check.
func (p *Plan) pushCompare(x *cexpr, op string, v Value, text string) (conjunct, []byte, bool) {
	if x.col < 0 {
		return conjunct{}, nil, false
	}
	col := schema.Columns[x.col]
	cmp := func(c int) bool {
		switch op {
		case "=":
			return c == 0
		case "<>":
			return c != 0
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		case ">=":
			return c >= 0
		}
		return false
	}
	if op != "=" && op != "<>" && op != "<" && op != "<=" && op != ">" && op != ">=" {
		return conjunct{}, nil, false
	}
	mk := func(pre []byte, test func(r *rowCtx) bool) (conjunct, []byte, bool) {
		return conjunct{text: text, pushed: true, test: test}, pre, true
	}
	switch {
	case col.Source == schema.FromField && col.Type == schema.String && v.Kind == KindString:
		f, lit := col.Field, v.S
		var pre []byte
		if op == "=" && len(lit) > 0 {
			pre = lit
		}
		if op == "=" {
			return mk(pre, func(r *rowCtx) bool {
				b, ok := r.rec.Value(f)
				return ok && bytes.Equal(b, lit)
			})
		}
		return mk(nil, func(r *rowCtx) bool {
			b, ok := r.rec.Value(f)
			return ok && cmp(bytes.Compare(b, lit))
		})
	case col.Source == schema.FromField && col.Type == schema.Timestamp && v.Kind == KindTime:
		c := v.I
		return mk(nil, func(r *rowCtx) bool {
			u := r.rec.Unix()
			switch {
			case u < c:
				return cmp(-1)
			case u > c:
				return cmp(1)
			}
			return cmp(0)
		})
	case col.Source == schema.FromField && (col.Type == schema.Int32 || col.Type == schema.Int64) && v.Kind == KindInt:
		f, c := col.Field, v.I
		return mk(nil, func(r *rowCtx) bool {
			n, ok := r.rec.Int(f)
			if !ok {
				return false
			}
			switch {
			case n < c:
				return cmp(-1)
			case n > c:
				return cmp(1)
			}
			return cmp(0)
		})
	case col.Source == schema.FromPartitionDt && v.Kind == KindString:
		// timestamp = 'yyyy/MM/dd' is a range of request times.
		d, ok := parseDay(v.S)
		if !ok {
			return conjunct{}, nil, false
		}
		lo, hi := d, d+86400 // [lo, hi)
		return mk(nil, func(r *rowCtx) bool {
			u := r.rec.Unix()
			switch {
			case u < lo:
				return cmp(-1)
			case u >= hi:
				return cmp(1)
			}
			return cmp(0)
		})
	}
	return conjunct{}, nil, false
}

// parseDay reads 'yyyy/MM/dd' as the Unix time of that UTC midnight.
func parseDay(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '/' || b[7] != '/' {
		return 0, false
	}
	t, err := time.Parse("2006/01/02", string(b))
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// deriveWindow narrows the plan's time window from a conjunct that bounds
// requestdatetime or the timestamp partition column by constants.
func (p *Plan) deriveWindow(c *compiler, t Expr) {
	compile := func(e Expr) *cexpr {
		ce, err := c.compile(e)
		if err != nil {
			return nil
		}
		return ce
	}
	// bound returns the [lo, hi] request-time range of "x op v".
	bound := func(x *cexpr, op string, v Value) (lo, hi int64, ok bool) {
		lo, hi = minInt, maxInt
		if x == nil || x.col < 0 {
			return lo, hi, false
		}
		col := schema.Columns[x.col]
		var a, b int64 // the value as a closed time range
		switch {
		case col.Type == schema.Timestamp && v.Kind == KindTime:
			a, b = v.I, v.I
		case col.Source == schema.FromPartitionDt && v.Kind == KindString:
			d, ok := parseDay(v.S)
			if !ok {
				return lo, hi, false
			}
			a, b = d, d+86399
		default:
			return lo, hi, false
		}
		switch op {
		case "=":
			return a, b, true
		case ">=":
			return a, hi, true
		case ">":
			return b + 1, hi, true
		case "<=":
			return lo, b, true
		case "<":
			return lo, a - 1, true
		}
		return lo, hi, false
	}
	apply := func(lo, hi int64) {
		if lo != minInt && (p.window.From.IsZero() || lo > p.window.From.Unix()) {
			p.window.From = time.Unix(lo, 0).UTC()
		}
		if hi != maxInt && (p.window.To.IsZero() || hi < p.window.To.Unix()) {
			p.window.To = time.Unix(hi, 0).UTC()
		}
	}
	switch e := t.(type) {
	case *binExpr:
		l, r := compile(e.l), compile(e.r)
		if l == nil || r == nil {
			return
		}
		op := e.op
		if l.konst && !r.konst {
			l, r, op = r, l, flip(op)
		}
		if !r.konst {
			return
		}
		if rr, err := coerceTo(e.r, r, l); err == nil {
			r = rr
		}
		if lo, hi, ok := bound(l, op, r.val); ok {
			apply(lo, hi)
		}
	case *betweenExpr:
		if e.not {
			return
		}
		x, lo, hi := compile(e.x), compile(e.lo), compile(e.hi)
		if x == nil || lo == nil || hi == nil || !lo.konst || !hi.konst {
			return
		}
		if v, err := coerceTo(e.lo, lo, x); err == nil {
			lo = v
		}
		if v, err := coerceTo(e.hi, hi, x); err == nil {
			hi = v
		}
		a, _, ok1 := bound(x, ">=", lo.val)
		_, b, ok2 := bound(x, "<=", hi.val)
		if ok1 && ok2 {
			apply(a, b)
		}
	}
}

const (
	minInt = -1 << 63
	maxInt = 1<<63 - 1
)

// Columns returns the output columns.
func (p *Plan) Columns() []ResultColumn { return p.cols }

// Window returns the time window WHERE bounds the request time to (zero
// ends unbounded); Run uses it to prune log objects by key time.
func (p *Plan) Window() pipeline.Window { return p.window }

// Source returns the source named in FROM as a string ('s3://…' or a
// path), or "" when FROM names a table (the SOURCE arguments).
func (p *Plan) Source() string { return p.stmt.FromSource }

// Sources resolves the sources to read: the FROM string if given,
// otherwise args. Giving both, or neither, is an error.
func (p *Plan) Sources(args []string) ([]string, error) {
	switch {
	case p.stmt.FromSource != "" && len(args) > 0:
		return nil, fmt.Errorf("the query names its source in FROM (%q) and SOURCE arguments were given too; use one", p.stmt.FromSource)
	case p.stmt.FromSource != "":
		return []string{p.stmt.FromSource}, nil
	case len(args) == 0:
		return nil, fmt.Errorf("no source: give SOURCE arguments or FROM 's3://bucket/prefix/' (FROM %s names no location)", p.stmt.From)
	}
	return args, nil
}

// UsedColumns returns the names of the schema columns the query reads.
func (p *Plan) UsedColumns() []string {
	var out []string
	for i, u := range p.used {
		if u {
			out = append(out, schema.Columns[i].Name)
		}
	}
	return out
}

// Explain describes the plan: line prefilters, pushed-down and residual
// WHERE terms, decoded columns, time window, aggregation, order and limit.
func (p *Plan) Explain() string {
	var b strings.Builder
	src := "SOURCE arguments (FROM " + p.stmt.From + ")"
	if p.stmt.FromSource != "" {
		src = strconv.Quote(p.stmt.FromSource)
	}
	fmt.Fprintf(&b, "source:          %s\n", src)
	if len(p.contains) > 0 {
		var q []string
		for _, l := range p.contains {
			q = append(q, strconv.Quote(string(l)))
		}
		fmt.Fprintf(&b, "line prefilter:  line contains %s (checked before parsing)\n", strings.Join(q, " and "))
	}
	if p.timePre {
		b.WriteString("time prefilter:  request time within the time window (raw Time field, before parsing)\n")
	}
	for _, c := range p.conjuncts {
		kind := "residual filter:"
		if c.pushed {
			kind = "pushed down:    "
		}
		fmt.Fprintf(&b, "%s %s\n", kind, c.text)
	}
	used := strings.Join(p.UsedColumns(), ", ")
	if used == "" {
		used = "(none)"
	}
	fmt.Fprintf(&b, "decoded columns: %s\n", used)
	w := "unbounded (every object is read)"
	if p.window.Bounded() {
		f, t := "-∞", "+∞"
		if !p.window.From.IsZero() {
			f = p.window.From.Format(time.RFC3339)
		}
		if !p.window.To.IsZero() {
			t = p.window.To.Format(time.RFC3339)
		}
		w = fmt.Sprintf("[%s, %s] (objects pruned by key time)", f, t)
	}
	fmt.Fprintf(&b, "time window:     %s\n", w)
	if p.agg {
		var g, a []string
		for _, x := range p.groups {
			g = append(g, x.text)
		}
		for _, x := range p.aggs {
			a = append(a, x.text)
		}
		fmt.Fprintf(&b, "aggregation:     hash per worker, merged; group by [%s]; aggregates [%s]\n", strings.Join(g, ", "), strings.Join(a, ", "))
		if p.having != nil {
			fmt.Fprintf(&b, "having:          %s\n", p.stmt.Having.String())
		}
	} else if len(p.order) == 0 {
		b.WriteString("output:          streamed as rows match\n")
	}
	if len(p.order) > 0 {
		var o []string
		for _, k := range p.order {
			s := p.proj[k.idx].text
			if k.desc {
				s += " DESC"
			}
			o = append(o, s)
		}
		how := "all rows collected, then sorted"
		if p.agg {
			how = "groups sorted after the merge"
		} else if p.limit >= 0 {
			how = fmt.Sprintf("top %d kept per worker", p.limit)
		}
		fmt.Fprintf(&b, "order by:        %s (%s)\n", strings.Join(o, ", "), how)
	}
	if p.limit >= 0 {
		fmt.Fprintf(&b, "limit:           %d\n", p.limit)
	}
	return b.String()
}
