package query

import (
	"slices"
	"strconv"
	"strings"
)

// Statement is a parsed query (SPEC §4), before name binding:
//
//	[WITH name AS (query), ...] body [ORDER BY ...] [OFFSET n] [LIMIT n]
//
// where body is one SELECT or SELECTs combined by UNION, INTERSECT and
// EXCEPT. Statements nest: a CTE, a subquery in FROM and a subquery in an
// expression are Statements too.
type Statement struct {
	tok     token // the first token
	with    []*cte
	body    queryBody
	orderBy []OrderItem
	offset  int64
	limit   int64 // -1 when absent
}

// queryBody is a SELECT (*selectStmt), a set operation (*setOp) or a
// parenthesised query (*Statement).
type queryBody interface{ bodyPos() token }

// cte is one WITH item.
type cte struct {
	tok   token
	name  string
	cols  []string // optional column names: WITH t(a, b) AS (...)
	query *Statement
}

// setOp combines two query bodies: UNION, INTERSECT or EXCEPT.
type setOp struct {
	tok  token
	op   string // "UNION", "INTERSECT", "EXCEPT"
	all  bool
	l, r queryBody
}

// selectStmt is one SELECT ... FROM ... WHERE ... GROUP BY ... HAVING.
type selectStmt struct {
	tok      token
	distinct bool
	items    []SelectItem
	from     fromItem // nil: SELECT without FROM (one row)
	where    Expr
	groupBy  []Expr
	having   Expr
}

func (s *Statement) bodyPos() token  { return s.tok }
func (s *setOp) bodyPos() token      { return s.tok }
func (s *selectStmt) bodyPos() token { return s.tok }

// fromItem is what FROM names: a table (*tableRef), a subquery
// (*subqueryRef) or a join of two items (*joinRef).
type fromItem interface{ fromPos() token }

// tableRef is a table name (the logs, or a CTE) or a quoted source.
type tableRef struct {
	tok    token
	name   string // as written, dotted parts joined ("s3_access_logs_db.mybucket_logs"); "" for a source
	source string // FROM 's3://…' or FROM 'path'
	alias  string
}

// subqueryRef is (query) [AS] alias [(columns)].
type subqueryRef struct {
	tok   token
	query *Statement
	alias string
	cols  []string
}

// joinRef is l [kind] JOIN r ON cond, l JOIN r USING (cols), l CROSS JOIN r
// or l, r.
type joinRef struct {
	tok   token
	kind  string // "INNER", "LEFT", "RIGHT", "FULL", "CROSS"
	l, r  fromItem
	on    Expr
	using []string
}

func (t *tableRef) fromPos() token    { return t.tok }
func (s *subqueryRef) fromPos() token { return s.tok }
func (j *joinRef) fromPos() token     { return j.tok }

// SelectItem is one SELECT item: Star (optionally qualified, t.*), or Expr
// with an optional alias.
type SelectItem struct {
	Star  bool
	qual  string // t of t.*
	tok   token  // the * of a Star item
	Expr  Expr
	Alias string
}

// OrderItem is one ORDER BY term.
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool // NULLS FIRST was written; the default is Trino's, NULLS LAST whatever the direction
	nullsSet   bool // NULLS FIRST or LAST was written (for the query's text)
}

// Expr is an expression node of the syntax tree.
type Expr interface {
	pos() token
	String() string
}

type (
	colRef struct {
		tok  token
		qual string // table qualifier as written ("" when none)
		name string
	}
	litExpr struct {
		tok token
		v   Value
	}
	unaryExpr struct {
		tok token
		op  string // "-", "NOT"
		x   Expr
	}
	binExpr struct {
		tok  token
		op   string // + - * / % || = <> < <= > >= AND OR
		l, r Expr
	}
	likeExpr struct {
		tok     token
		x, pat  Expr
		not     bool
		escapeE Expr
	}
	inExpr struct {
		tok  token
		x    Expr
		list []Expr
		sub  *Statement // IN (subquery), instead of list
		not  bool
	}
	betweenExpr struct {
		tok       token
		x, lo, hi Expr
		not       bool
	}
	isNullExpr struct {
		tok token
		x   Expr
		not bool
	}
	// isDistinctExpr is x IS [NOT] DISTINCT FROM y: equality where NULL
	// equals NULL.
	isDistinctExpr struct {
		tok  token
		l, r Expr
		not  bool
	}
	callExpr struct {
		tok      token
		name     string // lower case
		args     []Expr
		star     bool // count(*)
		distinct bool
		filter   Expr        // agg(x) FILTER (WHERE cond)
		over     *windowSpec // a window function call
		form     callForm    // how it was written, for String
	}
	castExpr struct {
		tok token
		x   Expr
		to  typeName
		try bool // TRY_CAST: NULL where CAST fails
	}
	caseExpr struct {
		tok     token
		operand Expr // CASE x WHEN v THEN ...: nil for the searched form
		whens   []Expr
		thens   []Expr
		els     Expr
	}
	// subqueryExpr is a scalar subquery: (SELECT one value).
	subqueryExpr struct {
		tok   token
		query *Statement
	}
	existsExpr struct {
		tok   token
		query *Statement
	}
)

// callForm records the special syntax a call was written in.
type callForm uint8

const (
	formCall     callForm = iota // name(args)
	formBare                     // current_date, current_timestamp: no parentheses
	formExtract                  // extract(unit FROM x): args are unit (a string literal), x
	formPosition                 // position(x IN y)
)

// typeName is a SQL type as written in CAST: a lower-case name and its
// parameters (decimal(10, 2), varchar(20)).
type typeName struct {
	name string
	args []int
}

func (t typeName) String() string {
	if len(t.args) == 0 {
		return t.name
	}
	s := make([]string, len(t.args))
	for i, a := range t.args {
		s[i] = strconv.Itoa(a)
	}
	return t.name + "(" + strings.Join(s, ", ") + ")"
}

// windowSpec is OVER (PARTITION BY ... ORDER BY ... [frame]).
type windowSpec struct {
	partition []Expr
	order     []OrderItem
	frame     *frameSpec // nil: the default frame
}

// frameSpec is ROWS|RANGE BETWEEN start AND end.
type frameSpec struct {
	tok        token
	rows       bool
	start, end frameBound
}

// frameBound is one end of a window frame.
type frameBound struct {
	kind uint8 // boundUnboundedPreceding, boundPreceding, boundCurrent, boundFollowing, boundUnboundedFollowing
	n    int64
}

const (
	boundUnboundedPreceding uint8 = iota
	boundPreceding
	boundCurrent
	boundFollowing
	boundUnboundedFollowing
)

func (e *colRef) pos() token         { return e.tok }
func (e *litExpr) pos() token        { return e.tok }
func (e *unaryExpr) pos() token      { return e.tok }
func (e *binExpr) pos() token        { return e.tok }
func (e *likeExpr) pos() token       { return e.tok }
func (e *inExpr) pos() token         { return e.tok }
func (e *betweenExpr) pos() token    { return e.tok }
func (e *isNullExpr) pos() token     { return e.tok }
func (e *isDistinctExpr) pos() token { return e.tok }
func (e *callExpr) pos() token       { return e.tok }
func (e *castExpr) pos() token       { return e.tok }
func (e *caseExpr) pos() token       { return e.tok }
func (e *subqueryExpr) pos() token   { return e.tok }
func (e *existsExpr) pos() token     { return e.tok }

func (e *colRef) String() string {
	n := canonicalName(e.name)
	if e.qual != "" {
		return strings.ToLower(e.qual) + "." + n
	}
	return n
}
func (e *litExpr) String() string { return literalSQL(e.v) }
func (e *unaryExpr) String() string {
	if e.op == "NOT" {
		return "NOT " + e.x.String()
	}
	return e.op + e.x.String()
}
func (e *binExpr) String() string {
	return "(" + e.l.String() + " " + e.op + " " + e.r.String() + ")"
}
func (e *likeExpr) String() string {
	s := e.x.String() + not(e.not) + " LIKE " + e.pat.String()
	if e.escapeE != nil {
		s += " ESCAPE " + e.escapeE.String()
	}
	return s
}
func (e *inExpr) String() string {
	if e.sub != nil {
		return e.x.String() + not(e.not) + " IN (" + e.sub.String() + ")"
	}
	s := make([]string, len(e.list))
	for i, x := range e.list {
		s[i] = x.String()
	}
	return e.x.String() + not(e.not) + " IN (" + strings.Join(s, ", ") + ")"
}
func (e *betweenExpr) String() string {
	return e.x.String() + not(e.not) + " BETWEEN " + e.lo.String() + " AND " + e.hi.String()
}
func (e *isNullExpr) String() string {
	if e.not {
		return e.x.String() + " IS NOT NULL"
	}
	return e.x.String() + " IS NULL"
}
func (e *isDistinctExpr) String() string {
	return e.l.String() + " IS" + not(e.not) + " DISTINCT FROM " + e.r.String()
}
func (e *callExpr) String() string {
	var s string
	switch {
	case e.form == formBare:
		s = e.name
	case e.form == formExtract:
		u := e.args[0].(*litExpr)
		s = "extract(" + strings.ToUpper(string(u.v.S)) + " FROM " + e.args[1].String() + ")"
	case e.form == formPosition:
		s = "position(" + e.args[0].String() + " IN " + e.args[1].String() + ")"
	case e.star:
		s = e.name + "(*)"
	default:
		a := make([]string, len(e.args))
		for i, x := range e.args {
			a[i] = x.String()
		}
		d := ""
		if e.distinct {
			d = "DISTINCT "
		}
		s = e.name + "(" + d + strings.Join(a, ", ") + ")"
	}
	if e.filter != nil {
		s += " FILTER (WHERE " + e.filter.String() + ")"
	}
	if e.over != nil {
		s += " OVER (" + e.over.String() + ")"
	}
	return s
}
func (e *castExpr) String() string {
	f := "CAST("
	if e.try {
		f = "TRY_CAST("
	}
	return f + e.x.String() + " AS " + e.to.String() + ")"
}
func (e *caseExpr) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.operand != nil {
		b.WriteString(" " + e.operand.String())
	}
	for i := range e.whens {
		b.WriteString(" WHEN " + e.whens[i].String() + " THEN " + e.thens[i].String())
	}
	if e.els != nil {
		b.WriteString(" ELSE " + e.els.String())
	}
	b.WriteString(" END")
	return b.String()
}
func (e *subqueryExpr) String() string { return "(" + e.query.String() + ")" }
func (e *existsExpr) String() string   { return "EXISTS (" + e.query.String() + ")" }

func (w *windowSpec) String() string {
	var parts []string
	if len(w.partition) > 0 {
		parts = append(parts, "PARTITION BY "+exprList(w.partition))
	}
	if len(w.order) > 0 {
		parts = append(parts, "ORDER BY "+orderList(w.order))
	}
	if f := w.frame; f != nil {
		unit := "RANGE"
		if f.rows {
			unit = "ROWS"
		}
		parts = append(parts, unit+" BETWEEN "+f.start.String()+" AND "+f.end.String())
	}
	return strings.Join(parts, " ")
}

func (b frameBound) String() string {
	switch b.kind {
	case boundUnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case boundPreceding:
		return strconv.FormatInt(b.n, 10) + " PRECEDING"
	case boundCurrent:
		return "CURRENT ROW"
	case boundFollowing:
		return strconv.FormatInt(b.n, 10) + " FOLLOWING"
	}
	return "UNBOUNDED FOLLOWING"
}

func exprList(es []Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func orderList(os []OrderItem) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = o.Expr.String()
		if o.Desc {
			s[i] += " DESC"
		}
		if o.nullsSet {
			if o.NullsFirst {
				s[i] += " NULLS FIRST"
			} else {
				s[i] += " NULLS LAST"
			}
		}
	}
	return strings.Join(s, ", ")
}

// String formats the statement as SQL (normalised: keywords upper case,
// names as bound, expressions parenthesised).
func (s *Statement) String() string {
	var b strings.Builder
	if len(s.with) > 0 {
		b.WriteString("WITH ")
		for i, c := range s.with {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.name)
			if len(c.cols) > 0 {
				b.WriteString("(" + strings.Join(c.cols, ", ") + ")")
			}
			b.WriteString(" AS (" + c.query.String() + ")")
		}
		b.WriteString(" ")
	}
	b.WriteString(bodyString(s.body))
	if len(s.orderBy) > 0 {
		b.WriteString(" ORDER BY " + orderList(s.orderBy))
	}
	if s.offset > 0 {
		b.WriteString(" OFFSET " + strconv.FormatInt(s.offset, 10))
	}
	if s.limit >= 0 {
		b.WriteString(" LIMIT " + strconv.FormatInt(s.limit, 10))
	}
	return b.String()
}

func bodyString(q queryBody) string {
	switch q := q.(type) {
	case *Statement:
		return "(" + q.String() + ")"
	case *setOp:
		op := q.op
		if q.all {
			op += " ALL"
		}
		return bodyString(q.l) + " " + op + " " + bodyString(q.r)
	case *selectStmt:
		return q.String()
	}
	return ""
}

func (s *selectStmt) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if s.distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range s.items {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case it.Star && it.qual != "":
			b.WriteString(it.qual + ".*")
		case it.Star:
			b.WriteString("*")
		default:
			b.WriteString(it.Expr.String())
			if it.Alias != "" {
				b.WriteString(" AS " + quoteIdent(it.Alias))
			}
		}
	}
	if s.from != nil {
		b.WriteString(" FROM " + fromString(s.from))
	}
	if s.where != nil {
		b.WriteString(" WHERE " + s.where.String())
	}
	if len(s.groupBy) > 0 {
		b.WriteString(" GROUP BY " + exprList(s.groupBy))
	}
	if s.having != nil {
		b.WriteString(" HAVING " + s.having.String())
	}
	return b.String()
}

func fromString(f fromItem) string {
	switch f := f.(type) {
	case *tableRef:
		s := f.name
		if f.source != "" {
			s = "'" + strings.ReplaceAll(f.source, "'", "''") + "'"
		}
		if f.alias != "" {
			s += " " + quoteIdent(f.alias)
		}
		return s
	case *subqueryRef:
		s := "(" + f.query.String() + ")"
		if f.alias != "" {
			s += " " + quoteIdent(f.alias)
		}
		if len(f.cols) > 0 {
			s += "(" + strings.Join(f.cols, ", ") + ")"
		}
		return s
	case *joinRef:
		if f.kind == "CROSS" {
			return fromString(f.l) + " CROSS JOIN " + fromString(f.r)
		}
		s := fromString(f.l) + " " + f.kind + " JOIN " + fromString(f.r)
		if f.on != nil {
			s += " ON " + f.on.String()
		}
		if len(f.using) > 0 {
			s += " USING (" + strings.Join(f.using, ", ") + ")"
		}
		return "(" + s + ")"
	}
	return ""
}

// quoteIdent returns name as written in SQL: bare when it can be, else
// double-quoted.
func quoteIdent(name string) string {
	ok := name != "" && isIdentStart(name[0]) && !reserved[strings.ToLower(name)]
	for i := 0; ok && i < len(name); i++ {
		ok = isIdentPart(name[i])
	}
	if ok {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func not(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

// reserved words that cannot be a bare alias or column name.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "group": true, "by": true, "having": true,
	"order": true, "limit": true, "and": true, "or": true, "not": true, "as": true,
	"like": true, "in": true, "between": true, "is": true, "null": true, "distinct": true,
	"asc": true, "desc": true, "nulls": true, "case": true, "when": true, "then": true,
	"else": true, "end": true, "true": true, "false": true, "all": true, "escape": true,
	"with": true, "union": true, "intersect": true, "except": true, "join": true, "on": true,
	"inner": true, "left": true, "right": true, "full": true, "outer": true, "cross": true,
	"using": true, "over": true, "exists": true, "offset": true, "fetch": true, "natural": true,
	"window": true, "filter": true,
}

// clauseKeywords are the keywords a misspelt word is compared with for a
// "did you mean" hint.
var clauseKeywords = []string{"select", "from", "where", "group", "order", "having", "limit", "union", "join", "with", "between", "like", "distinct"}

type parser struct {
	toks []token
	i    int
	// depth bounds recursion so hostile input cannot exhaust the stack.
	depth int
}

const maxDepth = 200

// Parse parses one query, with or without a trailing semicolon. Errors
// are *Error with the position of the offending token.
func Parse(sql string) (*Statement, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	st, err := p.query()
	if err != nil {
		return nil, err
	}
	p.accept(";")
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t, "unexpected %s after the end of the statement%s", t, typoHint(t))
	}
	return st, nil
}

// ParseExpr parses one expression (the text of a WHERE clause). Errors
// are *Error with the position of the offending token.
func ParseExpr(text string) (Expr, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t, "unexpected %s after the end of the expression%s", t, typoHint(t))
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekN returns the token n places ahead (the EOF token past the end).
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) accept(kw string) bool {
	if p.peek().is(kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(kw string) (token, error) {
	t := p.peek()
	if !t.is(kw) {
		hint := ""
		if t.kind == tIdent && len(kw) > 2 && levenshtein(t.text, kw) <= 1 {
			hint = " (did you mean " + strings.ToUpper(kw) + "?)"
		}
		return t, errAt(t, "expected %s, found %s%s", strings.ToUpper(kw), t, hint)
	}
	return p.next(), nil
}

// typoHint suggests the clause keyword an identifier token looks like a
// misspelling of, or "".
func typoHint(t token) string {
	if t.kind != tIdent || len(t.text) < 3 {
		return ""
	}
	for _, kw := range clauseKeywords {
		if !strings.EqualFold(t.text, kw) && levenshtein(t.text, kw) <= 1 {
			return " (did you mean " + strings.ToUpper(kw) + "?)"
		}
	}
	return ""
}

// aliasTypo returns a "did you mean" hint when the next token, about to
// be read as an implicit alias, looks like a misspelt clause keyword: it
// is close to one and what follows could not follow an alias
// (SELECT key FORM logs).
func (p *parser) aliasTypo() string {
	h := typoHint(p.peek())
	if h == "" || p.peek().kind != tIdent {
		return ""
	}
	n := p.peekN(1)
	if n.is("by") {
		return h // GROPU BY
	}
	if n.kind == tEOF || n.is(",") || n.is(")") || n.is(";") || n.kind == tIdent && reserved[strings.ToLower(n.text)] {
		return ""
	}
	return h
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(p.peek(), "query nested too deeply")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// startsQuery reports whether the next tokens begin a query: SELECT,
// WITH, or parentheses around one.
func (p *parser) startsQuery() bool {
	for n := 0; ; n++ {
		t := p.peekN(n)
		switch {
		case t.is("select") || t.is("with"):
			return true
		case t.is("("):
			continue
		}
		return false
	}
}

// query parses [WITH ...] body [ORDER BY] [OFFSET] [LIMIT].
func (p *parser) query() (*Statement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	st := &Statement{tok: p.peek(), limit: -1}
	if p.accept("with") {
		p.accept("recursive")
		var err error
		if st.with, err = commaList(p, p.cte); err != nil {
			return nil, err
		}
	}
	body, err := p.setExpr()
	if err != nil {
		return nil, err
	}
	st.body = body
	if p.accept("order") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
		if st.orderBy, err = p.orderItems(); err != nil {
			return nil, err
		}
	}
	if p.accept("offset") {
		n, err := p.count("OFFSET")
		if err != nil {
			return nil, err
		}
		st.offset = n
		if !p.accept("rows") {
			p.accept("row")
		}
	}
	switch {
	case p.accept("limit"):
		if p.accept("all") {
			break
		}
		n, err := p.count("LIMIT")
		if err != nil {
			return nil, err
		}
		st.limit = n
	case p.peek().is("fetch"):
		// FETCH FIRST|NEXT n ROW|ROWS ONLY
		p.next()
		if !p.accept("first") {
			if _, err := p.expect("next"); err != nil {
				return nil, err
			}
		}
		st.limit = 1
		if p.peek().kind == tInt {
			n, err := p.count("FETCH FIRST")
			if err != nil {
				return nil, err
			}
			st.limit = n
		}
		if !p.accept("rows") {
			if _, err := p.expect("row"); err != nil {
				return nil, err
			}
		}
		if _, err := p.expect("only"); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// count reads a non-negative integer after LIMIT or OFFSET.
func (p *parser) count(what string) (int64, error) {
	t := p.next()
	n, err := strconv.ParseInt(t.text, 10, 64)
	if t.kind != tInt || err != nil || n < 0 {
		return 0, errAt(t, "expected a non-negative integer after %s, found %s", what, t)
	}
	return n, nil
}

func (p *parser) cte() (*cte, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tQIdent || t.kind == tIdent && reserved[strings.ToLower(t.text)] {
		return nil, errAt(t, "expected a name for the WITH query, found %s", t)
	}
	c := &cte{tok: t, name: t.text}
	if p.peek().is("(") {
		cols, err := p.nameList()
		if err != nil {
			return nil, err
		}
		c.cols = cols
	}
	if _, err := p.expect("as"); err != nil {
		return nil, err
	}
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	c.query = q
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return c, nil
}

// nameList parses (a, b, c).
func (p *parser) nameList() ([]string, error) {
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		t := p.next()
		if t.kind != tIdent && t.kind != tQIdent {
			return nil, errAt(t, "expected a column name, found %s", t)
		}
		out = append(out, t.text)
		if !p.accept(",") {
			break
		}
	}
	_, err := p.expect(")")
	return out, err
}

// setExpr parses bodies joined by UNION and EXCEPT (left-associative),
// whose operands are bodies joined by INTERSECT, which binds tighter.
func (p *parser) setExpr() (queryBody, error) {
	l, err := p.intersectExpr()
	if err != nil {
		return nil, err
	}
	for p.peek().is("union") || p.peek().is("except") {
		t := p.next()
		op := &setOp{tok: t, op: strings.ToUpper(t.text), l: l}
		if p.accept("all") {
			op.all = true
		} else {
			p.accept("distinct")
		}
		if op.r, err = p.intersectExpr(); err != nil {
			return nil, err
		}
		l = op
	}
	return l, nil
}

func (p *parser) intersectExpr() (queryBody, error) {
	l, err := p.queryPrimary()
	if err != nil {
		return nil, err
	}
	for p.peek().is("intersect") {
		t := p.next()
		op := &setOp{tok: t, op: "INTERSECT", l: l}
		if p.accept("all") {
			op.all = true
		} else {
			p.accept("distinct")
		}
		if op.r, err = p.queryPrimary(); err != nil {
			return nil, err
		}
		l = op
	}
	return l, nil
}

func (p *parser) queryPrimary() (queryBody, error) {
	if p.peek().is("(") {
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return q, nil
	}
	return p.selectStmt()
}

func (p *parser) selectStmt() (*selectStmt, error) {
	t, err := p.expect("select")
	if err != nil {
		return nil, err
	}
	st := &selectStmt{tok: t}
	if p.accept("distinct") {
		st.distinct = true
	} else {
		p.accept("all")
	}
	if st.items, err = commaList(p, p.selectItem); err != nil {
		return nil, err
	}
	if p.accept("from") {
		if st.from, err = p.fromList(); err != nil {
			return nil, err
		}
	} else if t := p.peek(); t.kind == tIdent && !reserved[strings.ToLower(t.text)] || t.kind == tStr {
		return nil, errAt(t, "expected FROM, found %s%s", t, typoHint(t))
	}
	if p.accept("where") {
		if st.where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.accept("group") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
		if st.groupBy, err = commaList(p, p.expr); err != nil {
			return nil, err
		}
	}
	if p.accept("having") {
		if st.having, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// commaList parses one or more items separated by commas.
func commaList[T any](p *parser, item func() (T, error)) ([]T, error) {
	var out []T
	for {
		x, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if !p.accept(",") {
			return out, nil
		}
	}
}

func (p *parser) orderItems() ([]OrderItem, error) {
	var out []OrderItem
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		o := OrderItem{Expr: e}
		if p.accept("desc") {
			o.Desc = true
		} else {
			p.accept("asc")
		}
		if p.accept("nulls") {
			switch {
			case p.accept("first"):
				o.NullsFirst = true
			case p.accept("last"):
			default:
				t := p.peek()
				return nil, errAt(t, "expected FIRST or LAST after NULLS, found %s", t)
			}
			o.nullsSet = true
		}
		out = append(out, o)
		if !p.accept(",") {
			return out, nil
		}
	}
}

// fromList parses from items separated by commas (an implicit cross join,
// usually narrowed by WHERE).
func (p *parser) fromList() (fromItem, error) {
	l, err := p.joinExpr()
	if err != nil {
		return nil, err
	}
	for p.peek().is(",") {
		t := p.next()
		r, err := p.joinExpr()
		if err != nil {
			return nil, err
		}
		l = &joinRef{tok: t, kind: "CROSS", l: l, r: r}
	}
	return l, nil
}

// joinExpr parses item { [kind] JOIN item ON cond | CROSS JOIN item }.
func (p *parser) joinExpr() (fromItem, error) {
	l, err := p.fromPrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		kind := ""
		switch {
		case t.is("join"):
			kind = "INNER"
		case t.is("inner") && p.peekN(1).is("join"):
			kind = "INNER"
			p.next()
		case t.is("cross") && p.peekN(1).is("join"):
			kind = "CROSS"
			p.next()
		case (t.is("left") || t.is("right") || t.is("full")) && (p.peekN(1).is("join") || p.peekN(1).is("outer") && p.peekN(2).is("join")):
			kind = strings.ToUpper(t.text)
			p.next()
			p.accept("outer")
		default:
			return l, nil
		}
		jt, err := p.expect("join")
		if err != nil {
			return nil, err
		}
		r, err := p.fromPrimary()
		if err != nil {
			return nil, err
		}
		j := &joinRef{tok: jt, kind: kind, l: l, r: r}
		if kind != "CROSS" {
			switch {
			case p.accept("on"):
				if j.on, err = p.expr(); err != nil {
					return nil, err
				}
			case p.peek().is("using"):
				p.next()
				if j.using, err = p.nameList(); err != nil {
					return nil, err
				}
			default:
				t := p.peek()
				return nil, errAt(t, "expected ON or USING after %s JOIN, found %s", kind, t)
			}
		}
		l = j
	}
}

func (p *parser) fromPrimary() (fromItem, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	if t.is("(") {
		if p.startsQuery() {
			p.next()
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			s := &subqueryRef{tok: t, query: q}
			if s.alias, err = p.alias(); err != nil {
				return nil, err
			}
			if s.alias != "" && p.peek().is("(") {
				if s.cols, err = p.nameList(); err != nil {
					return nil, err
				}
			}
			return s, nil
		}
		p.next()
		f, err := p.fromList()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return f, nil
	}
	p.next()
	ref := &tableRef{tok: t}
	switch t.kind {
	case tStr:
		ref.source = t.text
	case tIdent, tQIdent:
		if t.kind == tIdent && reserved[strings.ToLower(t.text)] {
			return nil, errAt(t, "expected a table name or a quoted source after FROM, found %s", t)
		}
		name := t.text
		for p.peek().is(".") {
			p.next()
			n := p.next()
			if n.kind != tIdent && n.kind != tQIdent {
				return nil, errAt(n, "expected a name after '.', found %s", n)
			}
			name += "." + n.text
		}
		ref.name = name
	default:
		return nil, errAt(t, "expected a table name or a quoted source after FROM, found %s", t)
	}
	var err error
	ref.alias, err = p.alias()
	return ref, err
}

// alias parses an optional [AS] name after a from item.
func (p *parser) alias() (string, error) {
	if p.accept("as") {
		a := p.next()
		if a.kind != tIdent && a.kind != tQIdent {
			return "", errAt(a, "expected an alias, found %s", a)
		}
		return a.text, nil
	}
	if a := p.peek(); a.kind == tQIdent || a.kind == tIdent && !reserved[strings.ToLower(a.text)] {
		if h := p.aliasTypo(); h != "" {
			return "", errAt(a, "unexpected %s%s", a, h)
		}
		p.next()
		return a.text, nil
	}
	return "", nil
}

func (p *parser) selectItem() (SelectItem, error) {
	if p.peek().is("*") {
		return SelectItem{Star: true, tok: p.next()}, nil
	}
	// t.* selects the columns of t.
	if t := p.peek(); (t.kind == tIdent || t.kind == tQIdent) && p.peekN(1).is(".") && p.peekN(2).is("*") {
		p.i += 3
		return SelectItem{Star: true, qual: t.text, tok: p.toks[p.i-1]}, nil
	}
	e, err := p.expr()
	if err != nil {
		return SelectItem{}, err
	}
	item := SelectItem{Expr: e}
	if p.accept("as") {
		t := p.next()
		if t.kind != tIdent && t.kind != tQIdent && t.kind != tStr {
			return item, errAt(t, "expected an alias after AS, found %s", t)
		}
		item.Alias = t.text
	} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToLower(t.text)] {
		if h := p.aliasTypo(); h != "" {
			return item, errAt(t, "unexpected %s%s", t, h)
		}
		p.next()
		item.Alias = t.text
	}
	return item, nil
}

func (p *parser) expr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errAt(p.peek(), "expression nested too deeply")
	}
	return p.or()
}

func (p *parser) or() (Expr, error) { return p.binaryOps(p.and, "or") }

func (p *parser) and() (Expr, error) { return p.binaryOps(p.not, "and") }

// binaryOps parses operand {op operand} for left-associative operators
// ops, each level of the grammar calling the next.
func (p *parser) binaryOps(operand func() (Expr, error), ops ...string) (Expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !slices.ContainsFunc(ops, t.is) {
			return l, nil
		}
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binExpr{tok: t, op: strings.ToUpper(t.text), l: l, r: r}
	}
}

func (p *parser) not() (Expr, error) {
	if p.peek().is("not") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errAt(p.peek(), "expression nested too deeply")
		}
		t := p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{tok: t, op: "NOT", x: x}, nil
	}
	return p.predicate()
}

func isCompareOp(t token) bool {
	return t.kind == tOp && (t.text == "=" || t.text == "<>" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=")
}

func (p *parser) predicate() (Expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case isCompareOp(t):
			p.next()
			r, err := p.concat()
			if err != nil {
				return nil, err
			}
			op := t.text
			if op == "!=" {
				op = "<>"
			}
			l = &binExpr{tok: t, op: op, l: l, r: r}
			continue
		case t.is("is"):
			p.next()
			neg := p.accept("not")
			if p.accept("distinct") {
				if _, err := p.expect("from"); err != nil {
					return nil, err
				}
				r, err := p.concat()
				if err != nil {
					return nil, err
				}
				l = &isDistinctExpr{tok: t, l: l, r: r, not: neg}
				continue
			}
			if _, err := p.expect("null"); err != nil {
				return nil, err
			}
			l = &isNullExpr{tok: t, x: l, not: neg}
			continue
		}
		neg := false
		if t.is("not") {
			n := p.peekN(1)
			if n.is("like") || n.is("in") || n.is("between") {
				p.next()
				neg = true
				t = p.peek()
			}
		}
		switch {
		case t.is("like"):
			p.next()
			pat, err := p.concat()
			if err != nil {
				return nil, err
			}
			e := &likeExpr{tok: t, x: l, pat: pat, not: neg}
			if p.accept("escape") {
				if e.escapeE, err = p.concat(); err != nil {
					return nil, err
				}
			}
			l = e
		case t.is("in"):
			p.next()
			if _, err := p.expect("("); err != nil {
				return nil, err
			}
			e := &inExpr{tok: t, x: l, not: neg}
			if p.startsQuery() {
				if e.sub, err = p.query(); err != nil {
					return nil, err
				}
			} else {
				if e.list, err = commaList(p, p.expr); err != nil {
					return nil, err
				}
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			l = e
		case t.is("between"):
			p.next()
			lo, err := p.concat()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("and"); err != nil {
				return nil, err
			}
			hi, err := p.concat()
			if err != nil {
				return nil, err
			}
			l = &betweenExpr{tok: t, x: l, lo: lo, hi: hi, not: neg}
		default:
			return l, nil
		}
	}
}

// concat parses a || b || c: below + and - in Trino's grammar.
func (p *parser) concat() (Expr, error) { return p.binaryOps(p.additive, "||") }

func (p *parser) additive() (Expr, error) { return p.binaryOps(p.multiplicative, "+", "-") }

func (p *parser) multiplicative() (Expr, error) { return p.binaryOps(p.unary, "*", "/", "%") }

func (p *parser) unary() (Expr, error) {
	t := p.peek()
	if t.is("-") || t.is("+") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errAt(t, "expression nested too deeply")
		}
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return x, nil
		}
		// A negative numeric literal is one literal, so that
		// -9223372036854775808 and DECIMAL scales come out right.
		if l, ok := x.(*litExpr); ok && l.tok.kind != tOp {
			if v, ok := negateLiteral(l.v); ok {
				return &litExpr{tok: t, v: v}, nil
			}
		}
		return &unaryExpr{tok: t, op: "-", x: x}, nil
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	// x AT TIME ZONE zone
	for p.peek().is("at") && p.peekN(1).is("time") && p.peekN(2).is("zone") {
		t := p.next()
		p.next()
		p.next()
		z, err := p.primary()
		if err != nil {
			return nil, err
		}
		x = &callExpr{tok: t, name: "at_timezone", args: []Expr{x, z}}
	}
	return x, nil
}

// intervalUnits maps a day-to-second INTERVAL unit to seconds.
var intervalUnits = map[string]int64{
	"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
}

// monthUnits maps a year-to-month INTERVAL unit to months.
var monthUnits = map[string]int64{"month": 1, "quarter": 3, "year": 12}

// bareFunctions are the special names called without parentheses.
var bareFunctions = map[string]bool{
	"current_date": true, "current_timestamp": true, "localtimestamp": true,
	"current_time": true, "localtime": true, "current_timezone": false,
}

func (p *parser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tEOF:
		return nil, errAt(t, "unexpected end of query, expected an expression")
	case tInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			// Past bigint: a DECIMAL, as in Trino.
			if v, ok := parseDecimalLiteral(t.text); ok {
				return &litExpr{tok: t, v: v}, nil
			}
			return nil, errAt(t, "integer %s out of range", t)
		}
		return &litExpr{tok: t, v: IntValue(n)}, nil
	case tDec:
		v, ok := parseDecimalLiteral(t.text)
		if !ok {
			return nil, errAt(t, "decimal %s has more than 38 digits", t)
		}
		return &litExpr{tok: t, v: v}, nil
	case tDouble:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, errAt(t, "bad number %s", t)
		}
		return &litExpr{tok: t, v: FloatValue(f)}, nil
	case tStr:
		return &litExpr{tok: t, v: StringValue(t.text)}, nil
	case tQIdent:
		return p.nameRest(t)
	case tOp:
		if t.text == "(" {
			if p.startsQuery() {
				q, err := p.query()
				if err != nil {
					return nil, err
				}
				if _, err := p.expect(")"); err != nil {
					return nil, err
				}
				return &subqueryExpr{tok: t, query: q}, nil
			}
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		}
		return nil, errAt(t, "unexpected %s, expected an expression", t)
	}
	// Identifier or keyword.
	lower := strings.ToLower(t.text)
	switch lower {
	case "null":
		return &litExpr{tok: t, v: Value{}}, nil
	case "true":
		return &litExpr{tok: t, v: BoolValue(true)}, nil
	case "false":
		return &litExpr{tok: t, v: BoolValue(false)}, nil
	case "timestamp", "date", "decimal", "double", "real", "bigint", "integer", "varchar":
		if s := p.peek(); s.kind == tStr {
			// A typed literal: TIMESTAMP '2019-02-06 00:00:38', DATE '2019-02-06'.
			p.next()
			v, err := typedLiteral(lower, s)
			if err != nil {
				return nil, err
			}
			return &litExpr{tok: t, v: v}, nil
		}
	case "interval":
		return p.intervalRest(t)
	case "case":
		return p.caseRest(t)
	case "exists":
		if p.peek().is("(") && (p.peekN(1).is("select") || p.peekN(1).is("with")) {
			p.next()
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return &existsExpr{tok: t, query: q}, nil
		}
	case "cast", "try_cast":
		if p.peek().is("(") {
			p.next()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("as"); err != nil {
				return nil, err
			}
			ty, err := p.typeName()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return &castExpr{tok: t, x: x, to: ty, try: lower == "try_cast"}, nil
		}
	case "extract":
		if p.peek().is("(") {
			p.next()
			u := p.next()
			if u.kind != tIdent {
				return nil, errAt(u, "expected a field name (YEAR, MONTH, DAY, HOUR, ...) in extract, found %s", u)
			}
			if _, err := p.expect("from"); err != nil {
				return nil, err
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			unit := &litExpr{tok: u, v: StringValue(strings.ToLower(u.text))}
			return &callExpr{tok: t, name: "extract", args: []Expr{unit, x}, form: formExtract}, nil
		}
	case "position":
		if p.peek().is("(") {
			// position(needle IN haystack); the IN is not a predicate here,
			// so the needle is parsed below the predicate level.
			save := p.i
			p.next()
			needle, err := p.concat()
			if err == nil && p.peek().is("in") {
				p.next()
				hay, err := p.expr()
				if err != nil {
					return nil, err
				}
				if _, err := p.expect(")"); err != nil {
					return nil, err
				}
				return &callExpr{tok: t, name: "position", args: []Expr{needle, hay}, form: formPosition}, nil
			}
			p.i = save
		}
	case "substring":
		if p.peek().is("(") {
			// substring(x FROM start [FOR length]) is substr(x, start, length).
			save := p.i
			p.next()
			x, err := p.expr()
			if err == nil && p.peek().is("from") {
				p.next()
				start, err := p.expr()
				if err != nil {
					return nil, err
				}
				c := &callExpr{tok: t, name: "substring", args: []Expr{x, start}}
				if p.accept("for") {
					n, err := p.expr()
					if err != nil {
						return nil, err
					}
					c.args = append(c.args, n)
				}
				if _, err := p.expect(")"); err != nil {
					return nil, err
				}
				return c, nil
			}
			p.i = save
		}
	case "trim":
		if p.peek().is("(") {
			if c, ok, err := p.trimRest(t); ok || err != nil {
				return c, err
			}
		}
	}
	if on, ok := bareFunctions[lower]; ok && on && !p.peek().is("(") && !p.peek().is(".") {
		return &callExpr{tok: t, name: lower, form: formBare}, nil
	}
	if reserved[lower] {
		return nil, errAt(t, "unexpected keyword %s, expected an expression", t)
	}
	return p.nameRest(t)
}

// trimRest parses trim([BOTH|LEADING|TRAILING] [chars] FROM x) after
// "trim"; ok is false (and nothing consumed) for the plain call trim(x).
func (p *parser) trimRest(t token) (Expr, bool, error) {
	save := p.i
	p.next() // (
	name := "trim"
	switch {
	case p.accept("both"):
	case p.accept("leading"):
		name = "ltrim"
	case p.accept("trailing"):
		name = "rtrim"
	}
	var chars Expr
	if !p.peek().is("from") {
		c, err := p.concat()
		if err != nil || !p.peek().is("from") {
			p.i = save
			return nil, false, nil
		}
		chars = c
	}
	if _, err := p.expect("from"); err != nil {
		p.i = save
		return nil, false, nil
	}
	x, err := p.expr()
	if err != nil {
		return nil, true, err
	}
	if _, err := p.expect(")"); err != nil {
		return nil, true, err
	}
	c := &callExpr{tok: t, name: name, args: []Expr{x}}
	if chars != nil {
		c.args = append(c.args, chars)
	}
	return c, true, nil
}

// intervalRest parses INTERVAL '7' DAY after the INTERVAL keyword.
func (p *parser) intervalRest(t token) (Expr, error) {
	neg := false
	if p.peek().is("-") {
		p.next()
		neg = true
	} else {
		p.accept("+")
	}
	s := p.next()
	if s.kind != tStr && s.kind != tInt {
		return nil, errAt(s, "expected a quoted number after INTERVAL (INTERVAL '7' DAY), found %s", s)
	}
	txt := strings.TrimSpace(s.text)
	if strings.HasPrefix(txt, "-") {
		neg, txt = !neg, txt[1:]
	}
	n, err := strconv.ParseInt(txt, 10, 64)
	if err != nil {
		return nil, errAt(s, "bad INTERVAL value %s (want an integer)", s)
	}
	if neg {
		n = -n
	}
	u := p.next()
	unit := strings.TrimSuffix(strings.ToLower(u.text), "s")
	if u.kind == tIdent {
		if mult, ok := intervalUnits[unit]; ok {
			return &litExpr{tok: t, v: IntervalValue(n * mult)}, nil
		}
		if mult, ok := monthUnits[unit]; ok {
			return &litExpr{tok: t, v: MonthsValue(n * mult)}, nil
		}
	}
	return nil, errAt(u, "expected an interval unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, YEAR), found %s", u)
}

// typeName parses a type in CAST: a name, maybe two words (double
// precision, timestamp with time zone), maybe parameters.
func (p *parser) typeName() (typeName, error) {
	t := p.next()
	if t.kind != tIdent {
		return typeName{}, errAt(t, "expected a type name, found %s", t)
	}
	ty := typeName{name: strings.ToLower(t.text)}
	if ty.name == "double" {
		p.accept("precision")
	}
	if p.peek().is("(") {
		p.next()
		for {
			n := p.next()
			v, err := strconv.Atoi(n.text)
			if n.kind != tInt || err != nil {
				return ty, errAt(n, "expected a number in the type's parameters, found %s", n)
			}
			ty.args = append(ty.args, v)
			if !p.accept(",") {
				break
			}
		}
		if _, err := p.expect(")"); err != nil {
			return ty, err
		}
	}
	if (ty.name == "timestamp" || ty.name == "time") && p.peek().is("with") {
		p.next()
		for _, w := range []string{"time", "zone"} {
			if _, err := p.expect(w); err != nil {
				return ty, err
			}
		}
		ty.name += " with time zone"
	}
	return ty, nil
}

func (p *parser) caseRest(t token) (Expr, error) {
	e := &caseExpr{tok: t}
	if !p.peek().is("when") {
		op, err := p.expr()
		if err != nil {
			return nil, err
		}
		e.operand = op
	}
	for p.accept("when") {
		w, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("then"); err != nil {
			return nil, err
		}
		th, err := p.expr()
		if err != nil {
			return nil, err
		}
		e.whens, e.thens = append(e.whens, w), append(e.thens, th)
	}
	if len(e.whens) == 0 {
		return nil, errAt(p.peek(), "expected WHEN after CASE, found %s", p.peek())
	}
	if p.accept("else") {
		var err error
		if e.els, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect("end"); err != nil {
		return nil, err
	}
	return e, nil
}

// nameRest parses a column reference (optionally qualified) or a function
// call starting at name token t.
func (p *parser) nameRest(t token) (Expr, error) {
	if t.kind == tIdent && p.peek().is("(") {
		return p.callRest(t)
	}
	var parts []token
	parts = append(parts, t)
	for p.peek().is(".") {
		p.next()
		n := p.next()
		if n.kind != tIdent && n.kind != tQIdent {
			return nil, errAt(n, "expected a column name after '.', found %s", n)
		}
		parts = append(parts, n)
	}
	last := parts[len(parts)-1]
	ref := &colRef{tok: last, name: last.text}
	if len(parts) > 1 {
		// db.table.col: the qualifier is the table part.
		ref.qual = parts[len(parts)-2].text
		ref.tok = parts[0]
	}
	return ref, nil
}

func (p *parser) callRest(t token) (Expr, error) {
	p.next() // (
	c := &callExpr{tok: t, name: strings.ToLower(t.text)}
	switch {
	case p.accept(")"):
	case p.peek().is("*"):
		p.next()
		c.star = true
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
	default:
		if p.accept("distinct") {
			c.distinct = true
		} else {
			p.accept("all")
		}
		var err error
		if c.args, err = commaList(p, p.expr); err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	if p.peek().is("filter") && p.peekN(1).is("(") {
		p.next()
		p.next()
		if _, err := p.expect("where"); err != nil {
			return nil, err
		}
		f, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.filter = f
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	if p.peek().is("over") {
		p.next()
		w, err := p.windowSpec()
		if err != nil {
			return nil, err
		}
		c.over = w
	}
	return c, nil
}

func (p *parser) windowSpec() (*windowSpec, error) {
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	w := &windowSpec{}
	if p.accept("partition") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
		var err error
		if w.partition, err = commaList(p, p.expr); err != nil {
			return nil, err
		}
	}
	if p.accept("order") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
		var err error
		if w.order, err = p.orderItems(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.is("rows") || t.is("range") {
		p.next()
		f := &frameSpec{tok: t, rows: t.is("rows")}
		var err error
		if p.accept("between") {
			if f.start, err = p.frameBound(); err != nil {
				return nil, err
			}
			if _, err := p.expect("and"); err != nil {
				return nil, err
			}
			if f.end, err = p.frameBound(); err != nil {
				return nil, err
			}
		} else {
			if f.start, err = p.frameBound(); err != nil {
				return nil, err
			}
			f.end = frameBound{kind: boundCurrent}
		}
		w.frame = f
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return w, nil
}

func (p *parser) frameBound() (frameBound, error) {
	t := p.next()
	switch {
	case t.is("unbounded"):
		if p.accept("preceding") {
			return frameBound{kind: boundUnboundedPreceding}, nil
		}
		if _, err := p.expect("following"); err != nil {
			return frameBound{}, err
		}
		return frameBound{kind: boundUnboundedFollowing}, nil
	case t.is("current"):
		if _, err := p.expect("row"); err != nil {
			return frameBound{}, err
		}
		return frameBound{kind: boundCurrent}, nil
	case t.kind == tInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return frameBound{}, errAt(t, "frame offset %s out of range", t)
		}
		if p.accept("preceding") {
			return frameBound{kind: boundPreceding, n: n}, nil
		}
		if _, err := p.expect("following"); err != nil {
			return frameBound{}, err
		}
		return frameBound{kind: boundFollowing, n: n}, nil
	}
	return frameBound{}, errAt(t, "expected UNBOUNDED, CURRENT ROW or a number in the window frame, found %s", t)
}
