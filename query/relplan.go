package query

import (
	"fmt"
	"strings"

	"github.com/s3logs/s3logs/schema"
)

// The planner turns a Statement into a tree of operators (nodes). Every
// SELECT whose FROM is the logs becomes a scan: a Plan run by the
// pipeline, with its WHERE pushed into the scan and its aggregation done
// per worker. Everything above — joins, unions, window functions, a
// SELECT over a subquery or CTE — works on the scans' merged rows in
// memory, counted against RunOptions.MaxGroups.

// node is one operator of a query's plan.
type node interface {
	// columns describes the rows the node produces.
	columns() []relCol
	// rows computes the node's result; it may be called once per run
	// (the executor caches shared nodes).
	rows(ex *executor) ([][]Value, error)
	// children are the nodes this one reads.
	children() []node
	// explain writes the node and its children, one line each after indent.
	explain(b *explainer, indent string)
}

// relCol is one column of a node's rows.
type relCol struct {
	qual   string // lower-case name of the relation it belongs to, in a scope
	name   string
	kind   Kind
	prec   uint8
	scale  uint8
	origin int  // the schema column passed through unchanged, or -1
	hidden bool // left out of * and of unqualified names (JOIN USING's right copy)
}

// scope is what the column names of one SELECT resolve against: the log
// table, or the columns of the rows it reads.
type scope struct {
	logs  bool
	quals []string // logs: lower-case names that qualify a log column
	what  string   // logs: how the FROM item was written, for messages
	cols  []relCol
}

// logScope is the scope of a SELECT over the logs named by ref.
func logScope(ref *tableRef) *scope {
	sc := &scope{logs: true, what: "the logs"}
	if ref == nil {
		return sc
	}
	if ref.alias != "" {
		sc.quals = append(sc.quals, strings.ToLower(ref.alias))
		sc.what = ref.alias
		return sc
	}
	if ref.name != "" {
		parts := strings.Split(strings.ToLower(ref.name), ".")
		sc.quals = append(sc.quals, strings.ToLower(ref.name), parts[len(parts)-1])
		sc.what = ref.name
	}
	return sc
}

func (s *scope) qualifies(q string) bool {
	q = strings.ToLower(q)
	for _, x := range s.quals {
		if x == q {
			return true
		}
	}
	return false
}

func (s *scope) describe() string {
	if len(s.quals) == 0 {
		return "without a name"
	}
	return fmt.Sprintf("%q", s.what)
}

// colMatches reports whether relation column c is named name: its name,
// or for a log column passed through, any of the schema's names for it.
func colMatches(c relCol, name string) bool {
	if strings.EqualFold(c.name, name) {
		return true
	}
	if c.origin >= 0 && strings.EqualFold(c.name, schema.Columns[c.origin].Name) {
		i, ok := schema.Lookup(name)
		return ok && i == c.origin
	}
	return false
}

// find resolves a column reference to its index in s.cols.
func (s *scope) find(r *colRef) (int, error) {
	q := strings.ToLower(r.qual)
	found, knownQual := -1, q == ""
	var names []string
	for i, c := range s.cols {
		if q != "" && c.qual != q {
			continue
		}
		knownQual = true
		if q == "" && c.hidden {
			continue
		}
		names = append(names, c.name)
		if !colMatches(c, r.name) {
			continue
		}
		if found >= 0 {
			return -1, errAt(r.tok, "column %q is ambiguous (in %s and %s); qualify it", r.name, s.cols[found].qual, c.qual)
		}
		found = i
	}
	switch {
	case found >= 0:
		return found, nil
	case !knownQual:
		var quals []string
		for _, c := range s.cols {
			quals = append(quals, c.qual)
		}
		return -1, errAt(r.tok, "unknown table %q in %s%s", r.qual, r.String(), suggest(r.qual, quals))
	}
	return -1, errAt(r.tok, "unknown column %q%s", r.name, suggest(r.name, append(names, sortedKeys(bareFunctions)...)))
}

// has reports whether r names a column of s.
func (s *scope) has(r *colRef) bool {
	if s.logs {
		_, ok := schema.Lookup(r.name)
		return ok
	}
	_, err := s.find(r)
	return err == nil
}

// star expands * or t.* to its columns.
func (s *scope) star(it SelectItem) ([]item, error) {
	var out []item
	if s.logs {
		if it.qual != "" && !s.qualifies(it.qual) {
			return nil, errAt(it.tok, "unknown table %q in %s.*", it.qual, it.qual)
		}
		for _, col := range schema.Star() {
			out = append(out, item{expr: &colRef{tok: it.tok, qual: it.qual, name: col.Name}, name: col.Name})
		}
		return out, nil
	}
	q := strings.ToLower(it.qual)
	for _, c := range s.cols {
		if c.hidden || q != "" && c.qual != q {
			continue
		}
		out = append(out, item{expr: &colRef{tok: it.tok, qual: c.qual, name: c.name}, name: c.name})
	}
	if len(out) == 0 && q != "" {
		return nil, errAt(it.tok, "unknown table %q in %s.*", it.qual, it.qual)
	}
	return out, nil
}

// relScope is the scope of a SELECT reading n's rows as relation qual.
func relScope(n node, qual string) *scope {
	sc := &scope{}
	for _, c := range n.columns() {
		c.qual = strings.ToLower(qual)
		sc.cols = append(sc.cols, c)
	}
	return sc
}

// logRefs records how a query names the logs: every FROM that is not a
// CTE reads them, and they must agree on where from.
type logRefs struct {
	n      int
	source string // a quoted FROM source
	table  string // a table name as written
	err    error
}

func (l *logRefs) add(ref *tableRef) {
	l.n++
	switch {
	case ref.source != "" && l.source != "" && ref.source != l.source && l.err == nil:
		l.err = errAt(ref.tok, "the query reads two sources (%q and %q); s3logs reads one source per query", l.source, ref.source)
	case ref.source != "":
		l.source = ref.source
	case l.table == "":
		l.table = ref.name
	}
}

func (l *logRefs) check() error { return l.err }

// planner plans one statement.
type planner struct {
	o    Options
	logs *logRefs
	// pendingOrder is the ORDER BY of the SELECT being planned, for the
	// columns a join's log side must provide.
	pendingOrder []OrderItem
	// ctes is the stack of WITH scopes, innermost last.
	ctes []map[string]*cteDef
	// refs counts the references to each name in FROM, to inline a CTE
	// read once.
	refs map[string]int
}

// cteDef is a WITH query: inlined where it is read once, else planned once
// and shared.
type cteDef struct {
	c    *cte
	node *cteNode
}

func newPlanner(o Options, st *Statement) *planner {
	pl := &planner{o: o, logs: &logRefs{}, refs: map[string]int{}}
	countRefs(st, pl.refs)
	return pl
}

// countRefs counts the table names in every FROM of st.
func countRefs(st *Statement, refs map[string]int) {
	var from func(f fromItem)
	var body func(b queryBody)
	expr := func(e Expr) {
		walk(e, func(x Expr) {
			switch x := x.(type) {
			case *inExpr:
				if x.sub != nil {
					countRefs(x.sub, refs)
				}
			case *subqueryExpr:
				countRefs(x.query, refs)
			case *existsExpr:
				countRefs(x.query, refs)
			}
		})
	}
	from = func(f fromItem) {
		switch f := f.(type) {
		case *tableRef:
			if f.name != "" {
				refs[strings.ToLower(f.name)]++
			}
		case *subqueryRef:
			countRefs(f.query, refs)
		case *joinRef:
			from(f.l)
			from(f.r)
			expr(f.on)
		}
	}
	body = func(b queryBody) {
		switch b := b.(type) {
		case *Statement:
			countRefs(b, refs)
		case *setOp:
			body(b.l)
			body(b.r)
		case *selectStmt:
			if b.from != nil {
				from(b.from)
			}
			for _, it := range b.items {
				expr(it.Expr)
			}
			expr(b.where)
			expr(b.having)
		}
	}
	for _, c := range st.with {
		countRefs(c.query, refs)
	}
	body(st.body)
	for _, o := range st.orderBy {
		expr(o.Expr)
	}
}

// lookupCTE finds a WITH query visible by name.
func (pl *planner) lookupCTE(name string) *cteDef {
	n := strings.ToLower(name)
	for i := len(pl.ctes) - 1; i >= 0; i-- {
		if d, ok := pl.ctes[i][n]; ok {
			return d
		}
	}
	return nil
}

// query plans a statement.
func (pl *planner) query(st *Statement) (node, error) {
	if len(st.with) > 0 {
		scope := map[string]*cteDef{}
		pl.ctes = append(pl.ctes, scope)
		defer func() { pl.ctes = pl.ctes[:len(pl.ctes)-1] }()
		for _, c := range st.with {
			n := strings.ToLower(c.name)
			if _, dup := scope[n]; dup {
				return nil, errAt(c.tok, "WITH query %q is defined twice", c.name)
			}
			scope[n] = &cteDef{c: c}
		}
	}
	if sel, ok := st.body.(*selectStmt); ok {
		return pl.selectNode(sel, st.orderBy, st.offset, st.limit)
	}
	n, err := pl.body(st.body)
	if err != nil {
		return nil, err
	}
	if len(st.orderBy) == 0 && st.limit < 0 && st.offset == 0 {
		return n, nil
	}
	// ORDER BY and LIMIT of a UNION: a SELECT * over it.
	star := &selectStmt{tok: st.tok, items: []SelectItem{{Star: true, tok: st.tok}}}
	return pl.compileSelect(star, st.orderBy, st.offset, st.limit, selectInput{input: n, sc: relScope(n, "")})
}

func (pl *planner) body(b queryBody) (node, error) {
	switch b := b.(type) {
	case *Statement:
		return pl.query(b)
	case *selectStmt:
		return pl.selectNode(b, nil, 0, -1)
	case *setOp:
		l, err := pl.body(b.l)
		if err != nil {
			return nil, err
		}
		r, err := pl.body(b.r)
		if err != nil {
			return nil, err
		}
		return newSetNode(b, l, r)
	}
	return nil, fmt.Errorf("query: unknown query body %T", b)
}

// selectNode plans one SELECT and its statement's ORDER BY and LIMIT.
func (pl *planner) selectNode(sel *selectStmt, orderBy []OrderItem, offset, limit int64) (node, error) {
	if m, o := pl.mergeView(sel, orderBy); m != nil {
		sel, orderBy = m, o
	}
	pl.pendingOrder = orderBy
	in, err := pl.fromNode(sel)
	if err != nil {
		return nil, err
	}
	if selectHasWindow(sel, orderBy) {
		return pl.windowSelect(sel, orderBy, offset, limit, in)
	}
	return pl.compileSelect(sel, orderBy, offset, limit, in)
}

// fromNode plans a SELECT's FROM: the logs (no input), a CTE, a
// subquery, a join, or one empty row when there is no FROM.
func (pl *planner) fromNode(sel *selectStmt) (selectInput, error) {
	switch f := sel.from.(type) {
	case nil:
		v := &valuesNode{}
		return selectInput{input: v, sc: &scope{}}, nil
	case *tableRef:
		if f.name != "" && !strings.Contains(f.name, ".") {
			if d := pl.lookupCTE(f.name); d != nil {
				n, err := pl.cteNode(d)
				if err != nil {
					return selectInput{}, err
				}
				q := f.alias
				if q == "" {
					q = f.name
				}
				return selectInput{input: n, sc: relScope(n, q)}, nil
			}
		}
		pl.logs.add(f)
		return selectInput{sc: logScope(f)}, nil
	}
	n, q, err := pl.fromItem(sel.from, sel)
	if err != nil {
		return selectInput{}, err
	}
	if j, ok := n.(*joinNode); ok {
		return selectInput{input: n, sc: j.scope()}, nil
	}
	return selectInput{input: n, sc: relScope(n, q)}, nil
}

// fromItem plans a FROM item as a node read by the operators above (a
// join's inputs), with the name that qualifies its columns.
func (pl *planner) fromItem(f fromItem, sel *selectStmt) (node, string, error) {
	switch f := f.(type) {
	case *tableRef:
		q := f.alias
		if q == "" {
			if f.name != "" {
				parts := strings.Split(f.name, ".")
				q = parts[len(parts)-1]
			} else {
				q = "logs"
			}
		}
		if f.name != "" && !strings.Contains(f.name, ".") {
			if d := pl.lookupCTE(f.name); d != nil {
				n, err := pl.cteNode(d)
				return n, q, err
			}
		}
		// The logs as a join input: a scan of the columns the query uses.
		pl.logs.add(f)
		n, err := pl.logSide(f, q, sel)
		return n, q, err
	case *subqueryRef:
		n, err := pl.query(f.query)
		if err != nil {
			return nil, "", err
		}
		if len(f.cols) > 0 {
			if n, err = renamed(n, f.cols, f.tok); err != nil {
				return nil, "", err
			}
		}
		return n, f.alias, nil
	case *joinRef:
		n, err := pl.join(f, sel)
		return n, "", err
	}
	return nil, "", fmt.Errorf("query: unknown FROM item %T", f)
}

// cteNode plans a WITH query the first time it is read; later reads share
// the node, so the query runs once.
func (pl *planner) cteNode(d *cteDef) (node, error) {
	if d.node != nil {
		return d.node, nil
	}
	// The CTE is planned in the scope it was defined in: itself and
	// later WITH queries are not visible.
	saved := pl.ctes
	for i := len(pl.ctes) - 1; i >= 0; i-- {
		if pl.ctes[i][strings.ToLower(d.c.name)] == d {
			scope := map[string]*cteDef{}
			for _, c := range pl.ctes[i] {
				if c.c.tok.line < d.c.tok.line || c.c.tok.line == d.c.tok.line && c.c.tok.col < d.c.tok.col {
					scope[strings.ToLower(c.c.name)] = c
				}
			}
			pl.ctes = append(append([]map[string]*cteDef(nil), pl.ctes[:i]...), scope)
			break
		}
	}
	n, err := pl.query(d.c.query)
	pl.ctes = saved
	if err != nil {
		return nil, err
	}
	if len(d.c.cols) > 0 {
		if n, err = renamed(n, d.c.cols, d.c.tok); err != nil {
			return nil, err
		}
	}
	d.node = &cteNode{name: d.c.name, body: n}
	return d.node, nil
}

// renamed gives n's columns the names of an alias list: t(a, b).
func renamed(n node, names []string, t token) (node, error) {
	cols := n.columns()
	if len(names) != len(cols) {
		return nil, errAt(t, "%d column names for a query of %d columns", len(names), len(cols))
	}
	out := make([]relCol, len(cols))
	for i, c := range cols {
		c.name, c.origin = names[i], -1
		out[i] = c
	}
	return &renameNode{input: n, cols: out}, nil
}

// logSide plans the logs read as one input of a join: a scan projecting
// the log columns the query names (all of them for * or t.*).
func (pl *planner) logSide(ref *tableRef, qual string, sel *selectStmt) (node, error) {
	sc := logScope(ref)
	if ref.alias == "" {
		sc.quals = append(sc.quals, strings.ToLower(qual))
	}
	want := make([]bool, len(schema.Columns))
	any := false
	mark := func(r *colRef) {
		if r.qual != "" && !sc.qualifies(r.qual) {
			return
		}
		if i, ok := schema.Lookup(r.name); ok {
			want[i], any = true, true
		}
	}
	var visitStmt func(st *Statement)
	visit := func(e Expr) {
		walk(e, func(x Expr) {
			switch x := x.(type) {
			case *colRef:
				mark(x)
			case *inExpr:
				if x.sub != nil {
					visitStmt(x.sub)
				}
			case *subqueryExpr:
				visitStmt(x.query)
			}
		})
	}
	visitStmt = func(st *Statement) {} // correlated references are not supported
	for _, it := range sel.items {
		if it.Star && (it.qual == "" || sc.qualifies(it.qual)) {
			for i, c := range schema.Columns {
				want[i] = want[i] || !c.Derived
			}
			any = true
			continue
		}
		visit(it.Expr)
	}
	visit(sel.where)
	visit(sel.having)
	for _, g := range sel.groupBy {
		visit(g)
	}
	var joins func(f fromItem)
	joins = func(f fromItem) {
		if j, ok := f.(*joinRef); ok {
			joins(j.l)
			joins(j.r)
			visit(j.on)
			for _, u := range j.using {
				mark(&colRef{name: u})
			}
		}
	}
	joins(sel.from)
	for _, o := range pl.pendingOrder {
		visit(o.Expr)
	}
	if !any {
		want[0] = true // count(*) over a join still needs a row per record
	}
	scan := &selectStmt{tok: ref.tok, from: ref}
	for i, w := range want {
		if w {
			scan.items = append(scan.items, SelectItem{Expr: &colRef{tok: ref.tok, name: schema.Columns[i].Name}})
		}
	}
	// WHERE terms that only read this side are evaluated in its scan.
	scan.where = pl.sideFilter(ref, sel)
	return pl.compileSelect(scan, nil, 0, -1, selectInput{sc: sc})
}

// sideFilter returns the conjuncts of sel's WHERE that can be evaluated in
// the scan of the log side ref (they name only its columns, qualified),
// when ref's rows are not NULL-extended by an outer join.
func (pl *planner) sideFilter(ref *tableRef, sel *selectStmt) Expr {
	if sel.where == nil || !preserved(sel.from, ref) {
		return nil
	}
	sc := logScope(ref)
	var keep []Expr
	for _, t := range conjuncts(sel.where) {
		only := true
		walk(t, func(x Expr) {
			switch x := x.(type) {
			case *colRef:
				if x.qual == "" || !sc.qualifies(x.qual) {
					only = false
				}
			case *inExpr:
				only = only && x.sub == nil
			case *subqueryExpr, *existsExpr:
				only = false
			case *callExpr:
				if x.over != nil || hasAggregate(x) {
					only = false
				}
			}
		})
		if only {
			keep = append(keep, t)
		}
	}
	return andAll(keep)
}

// preserved reports whether every row of ref survives the joins of f
// without NULL extension from the other side: ref is not on the
// NULL-supplying side of an outer join.
func preserved(f fromItem, ref *tableRef) bool {
	switch f := f.(type) {
	case *tableRef:
		return true
	case *joinRef:
		inL, inR := contains(f.l, ref), contains(f.r, ref)
		switch {
		case inL && (f.kind == "RIGHT" || f.kind == "FULL"), inR && (f.kind == "LEFT" || f.kind == "FULL"):
			return false
		case inL:
			return preserved(f.l, ref)
		case inR:
			return preserved(f.r, ref)
		}
	}
	return false
}

func contains(f fromItem, ref *tableRef) bool {
	switch f := f.(type) {
	case *tableRef:
		return f == ref
	case *joinRef:
		return contains(f.l, ref) || contains(f.r, ref)
	}
	return false
}

// conjuncts splits an expression into its AND-ed terms.
func conjuncts(e Expr) []Expr {
	if b, ok := e.(*binExpr); ok && b.op == "AND" {
		return append(conjuncts(b.l), conjuncts(b.r)...)
	}
	if e == nil {
		return nil
	}
	return []Expr{e}
}

func andAll(es []Expr) Expr {
	if len(es) == 0 {
		return nil
	}
	e := es[0]
	for _, x := range es[1:] {
		e = &binExpr{tok: x.pos(), op: "AND", l: e, r: x}
	}
	return e
}

// mergeView inlines a subquery (or a CTE read once) that is a plain
// SELECT over the logs — no aggregation, DISTINCT, window, ORDER BY or
// LIMIT — into the SELECT that reads it, so that the outer WHERE and
// aggregation run in the scan instead of on materialised rows. It returns
// nil when sel is not of that shape.
func (pl *planner) mergeView(sel *selectStmt, orderBy []OrderItem) (*selectStmt, []OrderItem) {
	var q *Statement
	var alias string
	switch f := sel.from.(type) {
	case *subqueryRef:
		q, alias = f.query, f.alias
		if len(f.cols) > 0 {
			return nil, nil
		}
	case *tableRef:
		if f.name == "" || strings.Contains(f.name, ".") {
			return nil, nil
		}
		d := pl.lookupCTE(f.name)
		if d == nil || d.node != nil || pl.refs[strings.ToLower(f.name)] != 1 || len(d.c.cols) > 0 {
			return nil, nil
		}
		q, alias = d.c.query, f.alias
		if alias == "" {
			alias = f.name
		}
	default:
		return nil, nil
	}
	inner, ok := q.body.(*selectStmt)
	if !ok || len(q.with) > 0 || len(q.orderBy) > 0 || q.limit >= 0 || q.offset > 0 || inner.distinct ||
		len(inner.groupBy) > 0 || inner.having != nil || hasSubquery(inner.where) {
		return nil, nil
	}
	// A chain of such views (WITH a AS (...logs...), b AS (...a...)) merges
	// from the inside out.
	if m, _ := pl.mergeView(inner, nil); m != nil {
		inner = m
	}
	ref, ok := inner.from.(*tableRef)
	if !ok || ref.name != "" && !strings.Contains(ref.name, ".") && pl.lookupCTE(ref.name) != nil {
		return nil, nil
	}
	// The inner items by output name.
	out := map[string]Expr{}
	for _, it := range inner.items {
		if it.Star {
			if it.qual != "" {
				return nil, nil
			}
			for _, c := range schema.Star() {
				out[c.Name] = &colRef{tok: it.tok, name: c.Name}
			}
			continue
		}
		if hasAggregate(it.Expr) || hasWindow(it.Expr) || hasSubquery(it.Expr) {
			return nil, nil
		}
		name := it.Alias
		if name == "" {
			r, ok := it.Expr.(*colRef)
			if !ok {
				continue // unnamed: not readable from outside
			}
			name = r.name
		}
		out[strings.ToLower(name)] = it.Expr
	}
	lookup := func(r *colRef) (Expr, bool) {
		if r.qual != "" && !strings.EqualFold(r.qual, alias) {
			return nil, false
		}
		if e, ok := out[strings.ToLower(r.name)]; ok {
			return e, true
		}
		// A star exposes the schema's aliases too.
		if i, ok := schema.Lookup(r.name); ok {
			if e, ok := out[schema.Columns[i].Name]; ok {
				if c, isCol := e.(*colRef); isCol && strings.EqualFold(c.name, schema.Columns[i].Name) {
					return e, true
				}
			}
		}
		return nil, false
	}
	// Outer aliases, which GROUP BY and ORDER BY may name.
	aliases := map[string]bool{}
	for _, it := range sel.items {
		if it.Alias != "" {
			aliases[strings.ToLower(it.Alias)] = true
		} else if r, ok := it.Expr.(*colRef); ok {
			aliases[strings.ToLower(r.name)] = true
		}
	}
	failed := false
	subst := func(e Expr, lenient bool) Expr {
		if e == nil {
			return nil
		}
		return substitute(e, func(r *colRef) Expr {
			if lenient && r.qual == "" && aliases[strings.ToLower(r.name)] {
				return r
			}
			x, ok := lookup(r)
			if !ok {
				failed = failed || !lenient
				return r
			}
			return x
		})
	}
	sub := func(e Expr) Expr { return subst(e, false) }
	m := &selectStmt{tok: sel.tok, distinct: sel.distinct, from: inner.from}
	for _, it := range sel.items {
		if it.Star {
			if it.qual != "" && !strings.EqualFold(it.qual, alias) {
				return nil, nil
			}
			for _, i2 := range inner.items {
				if i2.Star {
					m.items = append(m.items, SelectItem{Star: true, tok: i2.tok})
					continue
				}
				m.items = append(m.items, i2)
			}
			continue
		}
		n := it
		n.Expr = sub(it.Expr)
		if n.Alias == "" {
			if r, ok := it.Expr.(*colRef); ok {
				n.Alias = r.name // the outer name stays the column's name
			}
		}
		m.items = append(m.items, n)
	}
	for _, g := range sel.groupBy {
		if r, ok := g.(*colRef); ok && r.qual == "" && aliases[strings.ToLower(r.name)] {
			if _, inner := lookup(r); !inner {
				m.groupBy = append(m.groupBy, g)
				continue
			}
		}
		m.groupBy = append(m.groupBy, sub(g))
	}
	m.having = sub(sel.having)
	var where []Expr
	where = append(where, conjuncts(inner.where)...)
	where = append(where, conjuncts(sub(sel.where))...)
	m.where = andAll(where)
	// ORDER BY names outer items (kept) or inner columns (replaced).
	order := make([]OrderItem, len(orderBy))
	for i, o := range orderBy {
		o.Expr = subst(o.Expr, true)
		order[i] = o
	}
	if failed {
		return nil, nil
	}
	return m, order
}

// hasSubquery reports whether e holds a subquery.
func hasSubquery(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		switch x := x.(type) {
		case *subqueryExpr, *existsExpr:
			found = true
		case *inExpr:
			found = found || x.sub != nil
		}
	})
	return found
}

// substitute returns e with each column reference replaced by f's result.
// Subqueries are left alone (their names are their own).
func substitute(e Expr, f func(*colRef) Expr) Expr {
	s := func(x Expr) Expr {
		if x == nil {
			return nil
		}
		return substitute(x, f)
	}
	list := func(xs []Expr) []Expr {
		out := make([]Expr, len(xs))
		for i, x := range xs {
			out[i] = s(x)
		}
		return out
	}
	switch e := e.(type) {
	case *colRef:
		return f(e)
	case *unaryExpr:
		c := *e
		c.x = s(e.x)
		return &c
	case *binExpr:
		c := *e
		c.l, c.r = s(e.l), s(e.r)
		return &c
	case *likeExpr:
		c := *e
		c.x, c.pat, c.escapeE = s(e.x), s(e.pat), s(e.escapeE)
		return &c
	case *inExpr:
		c := *e
		c.x, c.list = s(e.x), list(e.list)
		return &c
	case *betweenExpr:
		c := *e
		c.x, c.lo, c.hi = s(e.x), s(e.lo), s(e.hi)
		return &c
	case *isNullExpr:
		c := *e
		c.x = s(e.x)
		return &c
	case *isDistinctExpr:
		c := *e
		c.l, c.r = s(e.l), s(e.r)
		return &c
	case *callExpr:
		c := *e
		c.args = list(e.args)
		c.filter = s(e.filter)
		if e.over != nil {
			w := *e.over
			w.partition = list(e.over.partition)
			w.order = make([]OrderItem, len(e.over.order))
			for i, o := range e.over.order {
				o.Expr = s(o.Expr)
				w.order[i] = o
			}
			c.over = &w
		}
		return &c
	case *castExpr:
		c := *e
		c.x = s(e.x)
		return &c
	case *caseExpr:
		c := *e
		c.operand, c.whens, c.thens, c.els = s(e.operand), list(e.whens), list(e.thens), s(e.els)
		return &c
	}
	return e
}

// selectHasWindow reports whether a SELECT's items or ORDER BY call a
// window function.
func selectHasWindow(sel *selectStmt, orderBy []OrderItem) bool {
	for _, it := range sel.items {
		if !it.Star && hasWindow(it.Expr) {
			return true
		}
	}
	for _, o := range orderBy {
		if hasWindow(o.Expr) {
			return true
		}
	}
	return false
}

// windowSelect plans a SELECT with window functions as an inner SELECT
// (FROM, WHERE, GROUP BY, HAVING) producing every value the window calls
// and the items need, the window operator, and an outer SELECT for the
// items, DISTINCT, ORDER BY and LIMIT.
func (pl *planner) windowSelect(sel *selectStmt, orderBy []OrderItem, offset, limit int64, in selectInput) (node, error) {
	for _, e := range []Expr{sel.where, sel.having} {
		if e != nil && hasWindow(e) {
			return nil, errAt(e.pos(), "window functions are not allowed in WHERE or HAVING")
		}
	}
	items, err := expandItems(sel, in.sc)
	if err != nil {
		return nil, err
	}
	agg := len(sel.groupBy) > 0 || sel.having != nil
	for _, it := range items {
		agg = agg || hasAggregate(it.expr)
	}
	for _, o := range orderBy {
		agg = agg || hasAggregate(o.Expr)
	}
	var needed []Expr
	seen := map[string]bool{}
	add := func(e Expr) {
		if t := e.String(); !seen[t] {
			seen[t] = true
			needed = append(needed, e)
		}
	}
	var exprs []Expr
	for _, it := range items {
		exprs = append(exprs, it.expr)
	}
	for _, o := range orderBy {
		// ORDER BY an output position or alias is resolved by the outer
		// SELECT.
		if l, ok := o.Expr.(*litExpr); ok && l.v.Kind == KindInt {
			continue
		}
		if r, ok := o.Expr.(*colRef); ok && r.qual == "" && itemNamed(items, r.name) {
			continue
		}
		exprs = append(exprs, o.Expr)
	}
	if agg {
		groups, err := groupExprs(sel.groupBy, items, in.sc)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			add(g)
		}
		// Aggregate calls outside window calls' own function.
		var visit func(e Expr)
		visit = func(e Expr) {
			if isAggregateCall(e) {
				add(e)
				return
			}
			for _, c := range exprChildren(e) {
				visit(c)
			}
		}
		for _, e := range exprs {
			visit(e)
		}
	} else {
		for _, e := range exprs {
			walk(e, func(x Expr) {
				if r, ok := x.(*colRef); ok {
					add(r)
				}
			})
		}
	}
	inner := &selectStmt{tok: sel.tok, from: sel.from, where: sel.where, groupBy: sel.groupBy, having: sel.having}
	for i, e := range needed {
		inner.items = append(inner.items, SelectItem{Expr: e, Alias: fmt.Sprintf("_w%d", i)})
	}
	if len(needed) == 0 {
		inner.items = append(inner.items, SelectItem{Expr: &litExpr{tok: sel.tok, v: IntValue(0)}, Alias: "_w0"})
	}
	ip, err := pl.compileSelect(inner, nil, 0, -1, in)
	if err != nil {
		return nil, err
	}
	match := make([]*cexpr, len(needed))
	for i, e := range needed {
		i := i
		t := ip.types[i]
		match[i] = &cexpr{fn: func(r *rowCtx) Value { return r.row[i] }, kind: t.kind, prec: t.prec, scale: t.scale,
			col: -1, origin: t.origin, isCol: ip.proj[i].isCol, text: e.String()}
	}
	w := &windowNode{input: ip}
	outer := &selectStmt{tok: sel.tok, distinct: sel.distinct}
	for _, it := range items {
		si := SelectItem{Expr: it.expr}
		if it.alias || isColRef(it.expr) {
			si.Alias = it.name
		}
		outer.items = append(outer.items, si)
	}
	op, err := pl.compileSelect(outer, orderBy, offset, limit, selectInput{input: w, sc: &scope{}, match: match, win: w})
	if err != nil {
		return nil, err
	}
	w.cols = append(append([]relCol(nil), ip.types...), make([]relCol, len(w.calls))...)
	for i, c := range w.calls {
		w.cols[len(ip.types)+i] = relCol{name: c.text, kind: c.kind, prec: c.prec, scale: c.scale, origin: -1}
	}
	return op, nil
}

func isColRef(e Expr) bool { _, ok := e.(*colRef); return ok }

// itemNamed reports whether an aliased item is called name.
func itemNamed(items []item, name string) bool {
	for _, it := range items {
		if it.alias && strings.EqualFold(it.name, name) {
			return true
		}
	}
	return false
}
