package query

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3logs/s3logs/lake"
	"github.com/s3logs/s3logs/parse"
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
// immutable once compiled and safe for concurrent use (runs of a query
// with subqueries in its expressions take turns).
//
// A Plan is also the operator for one SELECT: over the logs (a scan, with
// WHERE pushed into it and partial aggregation per worker), or over the
// rows of another operator (input). A query that is more than one SELECT
// over the logs has a root operator tree whose leaves are such scans.
type Plan struct {
	cols  []ResultColumn
	types []relCol // the output as a relation, for the operators above

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
	limit       int64 // LIMIT plus OFFSET; -1 for none
	offset      int64 // rows of the result to skip
	window      pipeline.Window
	explainText []string // clauses for Explain: having

	// groupCols are the schema columns of GROUP BY when every key is a
	// string log field read as is (nil otherwise): the keys converted
	// output can give a small-integer group id for (lake.Scan.Group).
	groupCols []int
	// keyFields says how the scan reads each GROUP BY key for the group's
	// key bytes (run.groupOf).
	keyFields []keyField
	// fieldKeys are the keys' fields when every key is read from its
	// field (nil otherwise).
	fieldKeys []parse.Field
	// rawTime: an expression reads the request time's text as logged.
	rawTime bool

	input node         // rows to read instead of the logs; nil: the logs
	deps  []*subResult // subqueries the expressions read
	root  node         // the operator tree, for a query that is not one scan
	logs  *logRefs     // the query's references to the logs
	runMu sync.Mutex   // serialises runs that resolve subqueries
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
	// filter is the check for converted output to make on column values,
	// statistics and dictionaries (package lake), nil when none.
	filter *lake.Filter
	// exact: a record passes test exactly when its values pass filter
	// (a range of integers or request times, equality with or LIKE a
	// string), so a unit on which the lake checked filter
	// (lake.Records.Checked) need not run test.
	exact bool
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
	pl := newPlanner(o, st)
	n, err := pl.query(st)
	if err != nil {
		return nil, err
	}
	if err := pl.logs.check(); err != nil {
		return nil, err
	}
	if p, ok := n.(*Plan); ok && p.input == nil && p.offset == 0 && len(p.deps) == 0 {
		// One SELECT over the logs: the scan is the whole plan.
		p.logs = pl.logs
		return p, nil
	}
	root := &Plan{root: n, types: n.columns(), logs: pl.logs, limit: -1, used: make([]bool, len(schema.Columns))}
	for _, c := range root.types {
		root.cols = append(root.cols, ResultColumn{Name: c.name, Kind: c.kind, Column: c.origin})
	}
	for i, s := range scansOf(n) {
		root.window = unionWindow(root.window, s.window, i == 0)
		for c, u := range s.used {
			root.used[c] = root.used[c] || u
		}
	}
	return root, nil
}

// selectItem is one SELECT item after * is expanded.
type item struct {
	expr  Expr
	name  string
	alias bool
}

// expandItems expands * and t.* and names every item: its alias, a column
// reference's name, else the expression's text.
func expandItems(sel *selectStmt, sc *scope) ([]item, error) {
	var items []item
	for _, it := range sel.items {
		if it.Star {
			cols, err := sc.star(it)
			if err != nil {
				return nil, err
			}
			items = append(items, cols...)
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
	return items, nil
}

// groupExprs resolves GROUP BY terms that name an output position or an
// output alias to the item's expression.
func groupExprs(groupBy []Expr, items []item, sc *scope) ([]Expr, error) {
	out := make([]Expr, 0, len(groupBy))
	for _, g := range groupBy {
		if l, ok := g.(*litExpr); ok && l.v.Kind == KindInt {
			if l.v.I < 1 || int(l.v.I) > len(items) {
				return nil, errAt(l.tok, "GROUP BY position %d is not in the select list", l.v.I)
			}
			g = items[l.v.I-1].expr
		} else if r, ok := g.(*colRef); ok && r.qual == "" && !sc.has(r) {
			for _, it := range items {
				if it.alias && strings.EqualFold(it.name, r.name) {
					g = it.expr
				}
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// selectInput is what one SELECT reads: the logs (input nil) or an
// operator's rows, the scope its names resolve in and, above a window
// operator, the values already computed.
type selectInput struct {
	input node
	sc    *scope
	match []*cexpr
	win   *windowNode
}

// compileSelect compiles one SELECT with the ORDER BY, OFFSET and LIMIT of
// its statement: bind, expand, detect aggregation, plan each clause.
func (pl *planner) compileSelect(sel *selectStmt, orderBy []OrderItem, offset, limit int64, in selectInput) (*Plan, error) {
	if limit >= 0 && offset > 0 {
		limit += offset
	}
	p := &Plan{input: in.input, limit: limit, offset: offset, used: make([]bool, len(schema.Columns))}
	c := &compiler{now: pl.o.Now, used: p.used, scope: in.sc, pl: pl, deps: &p.deps, match: in.match, rawTime: &p.rawTime}
	if in.win != nil {
		c.wins, c.winBase = &in.win.calls, len(in.match)
	}
	items, err := expandItems(sel, in.sc)
	if err != nil {
		return nil, err
	}
	if in.win == nil {
		// (Above a window operator the aggregates are computed below it.)
		for _, it := range items {
			p.agg = p.agg || hasAggregate(it.expr)
		}
		p.agg = p.agg || len(sel.groupBy) > 0 || sel.having != nil
		for _, o := range orderBy {
			p.agg = p.agg || hasAggregate(o.Expr)
		}
	}

	// WHERE.
	if sel.where != nil {
		if hasAggregate(sel.where) {
			return nil, errAt(firstAggregate(sel.where), "aggregate functions are not allowed in WHERE (use HAVING)")
		}
		wins := c.wins
		c.wins = nil
		if err := p.planWhere(c, sel.where, pl.o.NoPushdown || in.input != nil); err != nil {
			return nil, err
		}
		c.wins = wins
		if in.input == nil && p.window.Bounded() && !pl.o.NoPushdown {
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
	groupBy, err := groupExprs(sel.groupBy, items, in.sc)
	if err != nil {
		return nil, err
	}
	if sel.distinct && !p.agg {
		p.agg = true
		for _, it := range items {
			groupBy = append(groupBy, it.expr)
		}
	} else if sel.distinct {
		p.distinctOut = true
	}

	if p.agg {
		for _, g := range groupBy {
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
		if in.input == nil {
			p.groupCols = plainStringColumns(p.groups)
		}
		p.keyFields = keyFieldsOf(p.groups, in.input == nil)
		p.fieldKeys = directFields(p.keyFields)
		// After aggregation a GROUP BY expression is read from its key.
		keys := make([]*cexpr, len(p.groups))
		for i, g := range p.groups {
			i := i
			keys[i] = &cexpr{fn: func(r *rowCtx) Value { return r.keys[i] }, kind: g.kind, prec: g.prec, scale: g.scale,
				col: -1, origin: g.origin, isCol: g.isCol, text: g.text}
		}
		c.mode, c.match, c.aggOK = postMode, keys, true
	}

	for _, it := range items {
		ce, err := c.compile(it.expr)
		if err != nil {
			return nil, err
		}
		p.proj = append(p.proj, ce)
		p.cols = append(p.cols, ResultColumn{Name: it.name, Kind: ce.kind, Column: ce.origin})
		p.types = append(p.types, relCol{name: it.name, kind: ce.kind, prec: ce.prec, scale: ce.scale, origin: ce.origin})
	}
	c.aliases = map[string]Expr{}
	for _, it := range items {
		if it.alias {
			c.aliases[strings.ToLower(it.name)] = it.expr
		}
	}
	if sel.having != nil {
		wins := c.wins
		c.wins = nil
		h, err := c.compile(sel.having)
		if err != nil {
			return nil, err
		}
		c.wins = wins
		if err := wantKind(sel.having, h, KindBool); err != nil {
			return nil, err
		}
		p.having = h
		p.explainText = append(p.explainText, "having:          "+sel.having.String())
	}
	for _, o := range orderBy {
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
		} else if r, ok := o.Expr.(*colRef); ok && r.qual == "" {
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
	if in.input == nil {
		for _, a := range p.aggs {
			a.counted, a.field = countedField(a)
		}
	}
	if p.agg && p.distinctOut && len(p.proj) > len(p.cols) {
		return nil, errAt(orderBy[0].Expr.pos(), "with SELECT DISTINCT, ORDER BY expressions must appear in the select list")
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

// plainStringColumns returns the schema columns of es when each is a
// string log field read as is, else nil.
func plainStringColumns(es []*cexpr) []int {
	var cols []int
	for _, e := range es {
		if e.col < 0 || !e.isCol {
			return nil
		}
		c := schema.Columns[e.col]
		if c.Source != schema.FromField || c.Type != schema.String {
			return nil
		}
		cols = append(cols, e.col)
	}
	return cols
}

// keyFieldsOf returns how a scan reads each of the GROUP BY keys es:
// where the scan reads the logs (logs), a string column read as is from
// its field is appended from the record's bytes.
func keyFieldsOf(es []*cexpr, logs bool) []keyField {
	ks := make([]keyField, len(es))
	for i, e := range es {
		if !logs || e.col < 0 || !e.isCol {
			continue
		}
		ks[i].field, ks[i].direct = schema.Columns[e.col].StringField()
	}
	return ks
}

// countedField reports whether a is count(x) of a string column read as
// is from its log field, and the field.
func countedField(a *aggSpec) (bool, parse.Field) {
	if a.fn.name != "count" || a.star || a.distinct || a.arg == nil || !a.arg.isCol || a.arg.col < 0 {
		return false, 0
	}
	f, ok := schema.Columns[a.arg.col].StringField()
	return ok, f
}

// directFields returns the fields of ks when every key is read from its
// field, else nil.
func directFields(ks []keyField) []parse.Field {
	fs := make([]parse.Field, len(ks))
	for i, k := range ks {
		if !k.direct {
			return nil
		}
		fs[i] = k.field
	}
	if len(fs) == 0 {
		return nil
	}
	return fs
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
		op := lake.OpNull
		if neg {
			op = lake.OpNotNull
		}
		return withFilter(mk(nil, func(r *rowCtx) bool { return r.rec.IsNull(f) != neg }))(&lake.Filter{Column: x.col, Op: op})
	case *binExpr:
		if d, ok := dashTest(e); ok {
			return p.pushdown(c, d)
		}
		l, r := compile(e.l), compile(e.r)
		if l == nil || r == nil {
			return conjunct{}, nil, false
		}
		op, el, er := e.op, e.l, e.r
		if l.konst && !r.konst {
			l, r, el, er = r, l, er, el
			op = flip(op)
		}
		if !r.konst || r.val.Kind == KindNull {
			return conjunct{}, nil, false
		}
		var err error
		if l, r, err = unify(e.tok, el, l, er, r); err != nil {
			return conjunct{}, nil, false
		}
		cj, pre, ok := p.pushCompare(l, op, r.val, text)
		cj.text = text
		return cj, pre, ok
	case *betweenExpr:
		x, lo, hi := compile(e.x), compile(e.lo), compile(e.hi)
		if x == nil || lo == nil || hi == nil || e.not || !lo.konst || !hi.konst {
			return conjunct{}, nil, false
		}
		xl, lo, err := unify(e.tok, e.x, x, e.lo, lo)
		if err != nil {
			return conjunct{}, nil, false
		}
		xh, hi, err := unify(e.tok, e.x, x, e.hi, hi)
		if err != nil || xl.kind != xh.kind {
			return conjunct{}, nil, false
		}
		a, _, ok1 := p.pushCompare(xl, ">=", lo.val, text)
		b, _, ok2 := p.pushCompare(xh, "<=", hi.val, text)
		if !ok1 || !ok2 {
			return conjunct{}, nil, false
		}
		at, bt := a.test, b.test
		var lf *lake.Filter
		if fa, fb := a.filter, b.filter; fa != nil && fb != nil && fa.Op == lake.OpRange && fb.Op == lake.OpRange && fa.Column == fb.Column {
			lf = &lake.Filter{Column: fa.Column, Op: lake.OpRange, Lo: max(fa.Lo, fb.Lo), Hi: min(fa.Hi, fb.Hi)}
		}
		cj, pre, ok := withFilter(mk(nil, func(r *rowCtx) bool { return at(r) && bt(r) }))(lf)
		cj.exact = lf != nil && a.exact && b.exact
		return cj, pre, ok
	case *likeExpr:
		x, pat := compile(e.x), compile(e.pat)
		if x == nil || pat == nil || !pat.konst || pat.val.Kind != KindString || e.escapeE != nil {
			return conjunct{}, nil, false
		}
		// LIKE reads a typed field as its logged text (SPEC §4): the raw
		// bytes, for every field.
		col, ok := fieldCol(x)
		if !ok {
			return conjunct{}, nil, false
		}
		m := compileLike(pat.val.S, 0)
		f, neg := col.Field, e.not
		var pre []byte
		if !neg && len(m.literal()) >= 3 {
			pre = m.literal()
		}
		var lf *lake.Filter
		if !neg {
			lf = &lake.Filter{Column: x.col, Op: lake.OpLike, Match: m.match, Prefix: m.prefix()}
		}
		// The filter's match is the test's (exact when not negated).
		return withExactFilter(mk(pre, func(r *rowCtx) bool {
			v, ok := r.rec.Value(f)
			return ok && m.match(v) != neg
		}))(lf)
	case *inExpr:
		if d, ok := dashIn(e); ok {
			return p.pushdown(c, d)
		}
		x := compile(e.x)
		if x == nil || e.not || e.sub != nil {
			return conjunct{}, nil, false
		}
		col, ok := fieldCol(x)
		if !ok || col.Type == schema.Timestamp {
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
		return withFilter(mk(nil, func(r *rowCtx) bool {
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
		}))(&lake.Filter{Column: x.col, Op: lake.OpEqual, Values: lits})
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
	case col.Source == schema.FromField && v.Kind == KindString && (col.Type == schema.String || col.Type == schema.Int32 || col.Type == schema.Int64):
		// A typed field compared with a string is its logged text.
		f, lit := col.Field, v.S
		var pre []byte
		if op == "=" && len(lit) > 0 {
			pre = lit
		}
		if op == "=" {
			return withExactFilter(mk(pre, func(r *rowCtx) bool {
				b, ok := r.rec.Value(f)
				return ok && bytes.Equal(b, lit)
			}))(&lake.Filter{Column: x.col, Op: lake.OpEqual, Values: [][]byte{lit}})
		}
		return mk(nil, func(r *rowCtx) bool {
			b, ok := r.rec.Value(f)
			return ok && cmp(bytes.Compare(b, lit))
		})
	case col.Source == schema.FromField && col.Type == schema.Timestamp && v.Kind == KindString:
		p.rawTime = true
		f, lit := col.Field, v.S
		return mk(nil, func(r *rowCtx) bool { return cmp(bytes.Compare(r.rec.Bytes(f), lit)) })
	case col.Source == schema.FromField && col.Type == schema.Timestamp && isTemporal(v.Kind):
		c := v.I
		return withExactFilter(mk(nil, func(r *rowCtx) bool {
			u := r.rec.Unix()
			switch {
			case u < c:
				return cmp(-1)
			case u > c:
				return cmp(1)
			}
			return cmp(0)
		}))(rangeFilter(x.col, op, c, c))
	case col.Source == schema.FromField && (col.Type == schema.Int32 || col.Type == schema.Int64) && v.Kind == KindInt:
		f, c := col.Field, v.I
		return withExactFilter(mk(nil, func(r *rowCtx) bool {
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
		}))(rangeFilter(x.col, op, c, c))
	case col.Source == schema.FromPartitionDt && v.Kind == KindString:
		// timestamp = 'yyyy/MM/dd' is a range of request times.
		d, ok := parseDay(v.S)
		if !ok {
			return conjunct{}, nil, false
		}
		lo, hi := d, d+86400 // [lo, hi)
		rdt, _ := schema.Lookup("requestdatetime")
		return withExactFilter(mk(nil, func(r *rowCtx) bool {
			u := r.rec.Unix()
			switch {
			case u < lo:
				return cmp(-1)
			case u >= hi:
				return cmp(1)
			}
			return cmp(0)
		}))(rangeFilter(rdt, op, lo, hi-1))
	}
	return conjunct{}, nil, false
}

// withFilter attaches a lake filter (nil for none) to the result of a
// pushed-down conjunct.
func withFilter(cj conjunct, pre []byte, ok bool) func(*lake.Filter) (conjunct, []byte, bool) {
	return func(f *lake.Filter) (conjunct, []byte, bool) {
		if f != nil {
			f.Text = cj.text
		}
		cj.filter = f
		return cj, pre, ok
	}
}

// withExactFilter is withFilter for a filter that says all the
// conjunct does (conjunct.exact).
func withExactFilter(cj conjunct, pre []byte, ok bool) func(*lake.Filter) (conjunct, []byte, bool) {
	cj.exact = true
	return func(f *lake.Filter) (conjunct, []byte, bool) {
		if f == nil {
			cj.exact = false
		}
		return withFilter(cj, pre, ok)(f)
	}
}

// rangeFilter is the lake filter of "column op v" for a column whose
// values compare as integers, where v covers [lo, hi] of them (one value,
// or a day of request times): nil for <>.
func rangeFilter(col int, op string, lo, hi int64) *lake.Filter {
	f := &lake.Filter{Column: col, Op: lake.OpRange, Lo: minInt, Hi: maxInt}
	switch op {
	case "=":
		f.Lo, f.Hi = lo, hi
	case "<":
		f.Hi = lo - 1
	case "<=":
		f.Hi = hi
	case ">":
		f.Lo = hi + 1
	case ">=":
		f.Lo = lo
	default:
		return nil
	}
	return f
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
		case col.Type == schema.Timestamp && isTemporal(v.Kind):
			a, b = v.I, v.I
		case col.Source == schema.FromPartitionDt && v.Kind == KindString:
			d, ok := parseDay(v.S)
			if !ok {
				return lo, hi, false
			}
			a, b = d, d+86399
		case col.Source == schema.FromPartition && v.Kind == KindString:
			// dt = 'yyyy-MM-dd' (or 'yyyy-MM-dd-HH' over output
			// partitioned by hour) bounds the request time too.
			var ok bool
			if a, b, ok = schema.PartitionSpan(string(v.S)); !ok {
				return lo, hi, false
			}
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
		if _, rr, err := unify(e.tok, e.l, l, e.r, r); err == nil {
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
		if _, v, err := unify(e.tok, e.x, x, e.lo, lo); err == nil {
			lo = v
		}
		if _, v, err := unify(e.tok, e.x, x, e.hi, hi); err == nil {
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
func (p *Plan) Source() string {
	if p.logs == nil {
		return ""
	}
	return p.logs.source
}

// Sources resolves the sources to read: the FROM string if given,
// otherwise args. Giving both, or neither, is an error (a query that
// reads no logs, such as SELECT 1, needs none).
func (p *Plan) Sources(args []string) ([]string, error) {
	l := p.logs
	if l == nil {
		l = &logRefs{}
	}
	switch {
	case l.source != "" && len(args) > 0:
		return nil, fmt.Errorf("the query names its source in FROM (%q) and SOURCE arguments were given too; use one", l.source)
	case l.source != "":
		return []string{l.source}, nil
	case len(args) == 0 && l.n > 0:
		return nil, fmt.Errorf("no source: give SOURCE arguments or FROM 's3://bucket/prefix/' (FROM %s names no location)", l.table)
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

// Explain describes the plan. A query that is one SELECT over the logs
// shows its scan: line prefilters, pushed-down and residual WHERE terms,
// decoded columns, time window, aggregation, order and limit. Any other
// query shows its operator tree, each scan with what was pushed into it.
func (p *Plan) Explain() string { return p.explain2(false) }

// ExplainConverted is Explain for a run over converted output (package
// lake): the scans without the line prefilters of log text, whose time
// window prunes partitions and row groups rather than log objects.
func (p *Plan) ExplainConverted() string { return p.explain2(true) }

func (p *Plan) explain2(converted bool) string {
	var b strings.Builder
	if p.root == nil && p.input == nil {
		p.explainScan(&b, "", converted)
		return b.String()
	}
	b.WriteString("operators:\n")
	n := p.root
	if n == nil {
		n = p
	}
	x := &explainer{seen: map[node]bool{}, converted: converted}
	n.explain(x, "  ")
	b.WriteString(x.String())
	if scans := scansOf(n); len(scans) > 0 {
		passes := passCount(scans)
		what := "the logs are"
		if converted {
			what = "the converted output is"
		}
		fmt.Fprintf(&b, "passes:          %s read %d time(s) for %d scan(s): scans that do not wait for a subquery share a pass\n", what, passes, len(scans))
	}
	fmt.Fprintf(&b, "time window:     %s\n", windowText(p.window, converted))
	return b.String()
}

// windowText describes the time window and what it prunes.
func windowText(win pipeline.Window, converted bool) string {
	if !win.Bounded() {
		if converted {
			return "unbounded (every partition is read)"
		}
		return "unbounded (every object is read)"
	}
	f, t := "-∞", "+∞"
	if !win.From.IsZero() {
		f = win.From.Format(time.RFC3339)
	}
	if !win.To.IsZero() {
		t = win.To.Format(time.RFC3339)
	}
	how := "objects pruned by key time"
	if converted {
		how = "partitions and row groups pruned by it"
	}
	return fmt.Sprintf("[%s, %s] (%s)", f, t, how)
}

// explainScan writes what one scan does, each line after indent.
func (p *Plan) explainScan(b *strings.Builder, indent string, converted bool) {
	src := "SOURCE arguments"
	if p.logs != nil && p.logs.table != "" {
		src += " (FROM " + p.logs.table + ")"
	}
	if p.logs != nil && p.logs.source != "" {
		src = strconv.Quote(p.logs.source)
	}
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	line("source:          %s", src)
	if len(p.contains) > 0 && !converted {
		var q []string
		for _, l := range p.contains {
			q = append(q, strconv.Quote(string(l)))
		}
		line("line prefilter:  line contains %s (checked before parsing)", strings.Join(q, " and "))
	}
	if p.timePre && !converted {
		line("time prefilter:  request time within the time window (raw Time field, before parsing)")
	}
	p.explainFilters(b, indent)
	used := strings.Join(p.UsedColumns(), ", ")
	if used == "" {
		used = "(none)"
	}
	line("decoded columns: %s", used)
	line("time window:     %s", windowText(p.window, converted))
	p.explainOutput(b, indent)
}

// explainBody writes the clauses of a SELECT over rows.
func (p *Plan) explainBody(b *strings.Builder, indent string) {
	p.explainFilters(b, indent)
	p.explainOutput(b, indent)
}

func (p *Plan) explainFilters(b *strings.Builder, indent string) {
	for _, c := range p.conjuncts {
		kind := "residual filter:"
		if c.pushed {
			kind = "pushed down:    "
		}
		if p.input != nil {
			kind = "filter:         "
		}
		b.WriteString(indent + kind + " " + c.text + "\n")
	}
}

// explainOutput writes aggregation, order and limit.
func (p *Plan) explainOutput(b *strings.Builder, indent string) {
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	if p.agg {
		var g, a []string
		for _, x := range p.groups {
			g = append(g, x.text)
		}
		for _, x := range p.aggs {
			a = append(a, x.text)
		}
		how := "hash per worker, merged"
		if p.input != nil {
			how = "hash"
		}
		line("aggregation:     %s; group by [%s]; aggregates [%s]", how, strings.Join(g, ", "), strings.Join(a, ", "))
		for _, t := range p.explainText {
			line("%s", t)
		}
	} else if len(p.order) == 0 && p.input == nil {
		line("output:          streamed as rows match")
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
		switch {
		case p.agg:
			how = "groups sorted after the merge"
		case p.limit >= 0 && p.input == nil:
			how = fmt.Sprintf("top %d kept per worker", p.limit)
		}
		line("order by:        %s (%s)", strings.Join(o, ", "), how)
	}
	if p.offset > 0 {
		line("offset:          %d", p.offset)
	}
	if p.limit >= 0 {
		line("limit:           %d", p.limit-p.offset)
	}
}
