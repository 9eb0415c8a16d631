package query

import (
	"strconv"
	"strings"

	"github.com/s3logs/s3logs/schema"
)

// Statement is a parsed SELECT statement (SPEC §4), before name binding.
type Statement struct {
	Distinct bool
	Items    []SelectItem
	// From is the table name as written (e.g. s3_access_logs_db.mybucket_logs),
	// or "" when FROM names a source as a string (FromSource).
	From       string
	FromSource string
	Where      Expr
	GroupBy    []Expr
	Having     Expr
	OrderBy    []OrderItem
	Limit      int64 // -1 when absent
}

// SelectItem is one SELECT item: Star, or Expr with an optional alias.
type SelectItem struct {
	Star  bool
	tok   token // the * of a Star item
	Expr  Expr
	Alias string
}

// OrderItem is one ORDER BY term.
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool // default: NULLS LAST for ASC, NULLS FIRST for DESC (Trino: last for both)
	nullsSet   bool
}

// Expr is an expression node of the syntax tree.
type Expr interface {
	pos() token
	String() string
}

type (
	colRef struct {
		tok  token
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
	callExpr struct {
		tok      token
		name     string // lower case
		args     []Expr
		star     bool // count(*)
		distinct bool
	}
	castExpr struct {
		tok token
		x   Expr
		to  string // lower case type name
	}
	caseExpr struct {
		tok   token
		whens []Expr
		thens []Expr
		els   Expr
	}
)

func (e *colRef) pos() token      { return e.tok }
func (e *litExpr) pos() token     { return e.tok }
func (e *unaryExpr) pos() token   { return e.tok }
func (e *binExpr) pos() token     { return e.tok }
func (e *likeExpr) pos() token    { return e.tok }
func (e *inExpr) pos() token      { return e.tok }
func (e *betweenExpr) pos() token { return e.tok }
func (e *isNullExpr) pos() token  { return e.tok }
func (e *callExpr) pos() token    { return e.tok }
func (e *castExpr) pos() token    { return e.tok }
func (e *caseExpr) pos() token    { return e.tok }

func (e *colRef) String() string {
	if i, ok := schema.Lookup(e.name); ok {
		return schema.Columns[i].Name
	}
	return strings.ToLower(e.name)
}
func (e *litExpr) String() string {
	switch e.v.Kind {
	case KindString:
		return "'" + strings.ReplaceAll(string(e.v.S), "'", "''") + "'"
	case KindTime:
		return "TIMESTAMP '" + e.v.Time().Format("2006-01-02 15:04:05") + "'"
	case KindInterval:
		return "INTERVAL '" + strconv.FormatInt(e.v.I, 10) + "' SECOND"
	}
	return e.v.String()
}
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
	return e.x.String() + not(e.not) + " LIKE " + e.pat.String()
}
func (e *inExpr) String() string {
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
func (e *callExpr) String() string {
	if e.star {
		return e.name + "(*)"
	}
	s := make([]string, len(e.args))
	for i, x := range e.args {
		s[i] = x.String()
	}
	d := ""
	if e.distinct {
		d = "DISTINCT "
	}
	return e.name + "(" + d + strings.Join(s, ", ") + ")"
}
func (e *castExpr) String() string { return "CAST(" + e.x.String() + " AS " + e.to + ")" }
func (e *caseExpr) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := range e.whens {
		b.WriteString(" WHEN " + e.whens[i].String() + " THEN " + e.thens[i].String())
	}
	if e.els != nil {
		b.WriteString(" ELSE " + e.els.String())
	}
	b.WriteString(" END")
	return b.String()
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
}

type parser struct {
	toks []token
	i    int
	// depth bounds recursion so hostile input cannot exhaust the stack.
	depth int
}

const maxDepth = 200

// Parse parses one SELECT statement, with or without a trailing semicolon.
// Errors are *Error with the position of the offending token.
func Parse(sql string) (*Statement, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
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
		return t, errAt(t, "expected %s, found %s", strings.ToUpper(kw), t)
	}
	return p.next(), nil
}

func (p *parser) statement() (*Statement, error) {
	st := &Statement{Limit: -1}
	if _, err := p.expect("select"); err != nil {
		return nil, err
	}
	if p.accept("distinct") {
		st.Distinct = true
	} else {
		p.accept("all")
	}
	for {
		item, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		st.Items = append(st.Items, item)
		if !p.accept(",") {
			break
		}
	}
	if _, err := p.expect("from"); err != nil {
		return nil, err
	}
	t := p.next()
	switch t.kind {
	case tStr:
		st.FromSource = t.text
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
		st.From = name
		// Optional table alias.
		if p.accept("as") {
			if a := p.next(); a.kind != tIdent && a.kind != tQIdent {
				return nil, errAt(a, "expected an alias, found %s", a)
			}
		} else if a := p.peek(); a.kind == tQIdent || a.kind == tIdent && !reserved[strings.ToLower(a.text)] {
			p.next()
		}
	default:
		return nil, errAt(t, "expected a table name or a quoted source after FROM, found %s", t)
	}
	var err error
	if p.accept("where") {
		if st.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.accept("group") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			st.GroupBy = append(st.GroupBy, e)
			if !p.accept(",") {
				break
			}
		}
	}
	if p.accept("having") {
		if st.Having, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.accept("order") {
		if _, err := p.expect("by"); err != nil {
			return nil, err
		}
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
			st.OrderBy = append(st.OrderBy, o)
			if !p.accept(",") {
				break
			}
		}
	}
	if p.accept("limit") {
		t := p.next()
		if t.is("all") {
			st.Limit = -1
		} else {
			n, err := strconv.ParseInt(t.text, 10, 64)
			if t.kind != tInt || err != nil || n < 0 {
				return nil, errAt(t, "expected a non-negative integer after LIMIT, found %s", t)
			}
			st.Limit = n
		}
	}
	p.accept(";")
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t, "unexpected %s after the end of the statement", t)
	}
	return st, nil
}

func (p *parser) selectItem() (SelectItem, error) {
	if p.peek().is("*") {
		return SelectItem{Star: true, tok: p.next()}, nil
	}
	// table.* is accepted as *.
	if t := p.peek(); (t.kind == tIdent || t.kind == tQIdent) && p.toks[p.i+1].is(".") && p.i+2 < len(p.toks) && p.toks[p.i+2].is("*") {
		p.i += 3
		return SelectItem{Star: true, tok: p.toks[p.i-1]}, nil
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

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().is("or") {
		t := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &binExpr{tok: t, op: "OR", l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().is("and") {
		t := p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &binExpr{tok: t, op: "AND", l: l, r: r}
	}
	return l, nil
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

func (p *parser) predicate() (Expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tOp && (t.text == "=" || t.text == "<>" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		op := t.text
		if op == "!=" {
			op = "<>"
		}
		return &binExpr{tok: t, op: op, l: l, r: r}, nil
	case t.is("is"):
		p.next()
		neg := p.accept("not")
		if _, err := p.expect("null"); err != nil {
			return nil, err
		}
		return &isNullExpr{tok: t, x: l, not: neg}, nil
	}
	neg := false
	if t.is("not") {
		n := p.toks[p.i+1]
		if n.is("like") || n.is("in") || n.is("between") {
			p.next()
			neg = true
			t = p.peek()
		}
	}
	switch {
	case t.is("like"):
		p.next()
		pat, err := p.additive()
		if err != nil {
			return nil, err
		}
		e := &likeExpr{tok: t, x: l, pat: pat, not: neg}
		if p.accept("escape") {
			if e.escapeE, err = p.additive(); err != nil {
				return nil, err
			}
		}
		return e, nil
	case t.is("in"):
		p.next()
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		e := &inExpr{tok: t, x: l, not: neg}
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			e.list = append(e.list, x)
			if !p.accept(",") {
				break
			}
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return e, nil
	case t.is("between"):
		p.next()
		lo, err := p.additive()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("and"); err != nil {
			return nil, err
		}
		hi, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &betweenExpr{tok: t, x: l, lo: lo, hi: hi, not: neg}, nil
	}
	return l, nil
}

func (p *parser) additive() (Expr, error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !(t.is("+") || t.is("-") || t.is("||")) {
			return l, nil
		}
		p.next()
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &binExpr{tok: t, op: t.text, l: l, r: r}
	}
}

func (p *parser) multiplicative() (Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !(t.is("*") || t.is("/") || t.is("%")) {
			return l, nil
		}
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &binExpr{tok: t, op: t.text, l: l, r: r}
	}
}

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
		return &unaryExpr{tok: t, op: "-", x: x}, nil
	}
	return p.primary()
}

// intervalUnits maps an INTERVAL unit to seconds.
var intervalUnits = map[string]int64{
	"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
}

func (p *parser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tEOF:
		return nil, errAt(t, "unexpected end of query, expected an expression")
	case tInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, errAt(t, "integer %s out of range", t)
		}
		return &litExpr{tok: t, v: IntValue(n)}, nil
	case tDec:
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
	switch strings.ToLower(t.text) {
	case "null":
		return &litExpr{tok: t, v: Value{}}, nil
	case "true":
		return &litExpr{tok: t, v: BoolValue(true)}, nil
	case "false":
		return &litExpr{tok: t, v: BoolValue(false)}, nil
	case "timestamp", "date":
		if s := p.peek(); s.kind == tStr {
			p.next()
			v, ok := parseTimestampLiteral(s.text)
			if !ok {
				return nil, errAt(s, "bad %s literal %s (want 'yyyy-MM-dd[ HH:mm:ss]')", strings.ToUpper(t.text), s)
			}
			return &litExpr{tok: t, v: v}, nil
		}
	case "interval":
		s := p.peek()
		if s.kind == tStr {
			p.next()
			n, err := strconv.ParseInt(strings.TrimSpace(s.text), 10, 64)
			if err != nil {
				return nil, errAt(s, "bad INTERVAL value %s (want an integer)", s)
			}
			u := p.next()
			unit := strings.TrimSuffix(strings.ToLower(u.text), "s")
			mult, ok := intervalUnits[unit]
			if u.kind != tIdent || !ok {
				return nil, errAt(u, "expected an interval unit (SECOND, MINUTE, HOUR, DAY, WEEK), found %s", u)
			}
			return &litExpr{tok: t, v: IntervalValue(n * mult)}, nil
		}
	case "case":
		return p.caseRest(t)
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
			ty := p.next()
			if ty.kind != tIdent {
				return nil, errAt(ty, "expected a type name, found %s", ty)
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return &castExpr{tok: t, x: x, to: strings.ToLower(ty.text)}, nil
		}
	}
	if reserved[strings.ToLower(t.text)] {
		return nil, errAt(t, "unexpected keyword %s, expected an expression", t)
	}
	return p.nameRest(t)
}

func (p *parser) caseRest(t token) (Expr, error) {
	e := &caseExpr{tok: t}
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
		p.next()
		c := &callExpr{tok: t, name: strings.ToLower(t.text)}
		if p.accept(")") {
			return c, nil
		}
		if p.peek().is("*") {
			p.next()
			c.star = true
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return c, nil
		}
		if p.accept("distinct") {
			c.distinct = true
		} else {
			p.accept("all")
		}
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, e)
			if !p.accept(",") {
				break
			}
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	ref := &colRef{tok: t, name: t.text}
	// Qualified name: keep the last part (table qualifiers are ignored).
	for p.peek().is(".") {
		p.next()
		n := p.next()
		if n.kind != tIdent && n.kind != tQIdent {
			return nil, errAt(n, "expected a column name after '.', found %s", n)
		}
		ref = &colRef{tok: n, name: n.text}
	}
	return ref, nil
}
