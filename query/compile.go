package query

import (
	"strconv"
	"strings"
	"time"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// rowCtx is what compiled expressions read: the current record during the
// scan, the group's keys and aggregate results after aggregation, or a
// row of an input relation in the operators above the scan.
type rowCtx struct {
	rec    *parse.Record
	origin schema.Origin // log object and line, for the derived columns
	keys   []Value
	aggs   []Value
	row    []Value
	// args is a stack of the arguments of the function calls being
	// evaluated (scalarEval): scratch that lives as long as the context.
	args []Value
}

type evalFn func(*rowCtx) Value

// cexpr is a compiled expression.
type cexpr struct {
	fn          evalFn
	kind        Kind // static result kind; KindNull when only NULL is possible
	prec, scale uint8
	konst       bool
	val         Value // the value when konst
	col         int   // schema column index when a plain log column reference, else -1
	text        string
	// isCol marks a column reference (of the logs, a group key, or an
	// input relation): where it meets a string it is read as text
	// (SPEC §4, Athena's string view).
	isCol bool
	// raw reads a log column's text as logged, for the string view; nil
	// when the text is formatted from the value. rawUsed, when set, is
	// set true where raw is compiled into an expression (the request
	// time's text, which converted output must then assemble).
	raw     evalFn
	rawUsed *bool
	// origin is the schema column the value is passed through from
	// unchanged (so writers can keep its exact type), or -1.
	origin int
}

func constExpr(v Value, text string) *cexpr {
	return &cexpr{fn: func(*rowCtx) Value { return v }, kind: v.Kind, prec: v.prec, scale: v.scale, konst: true, val: v, col: -1, origin: -1, text: text}
}

// typed returns a computed expression of kind k.
func typed(k Kind, fn evalFn) *cexpr { return &cexpr{kind: k, col: -1, origin: -1, fn: fn} }

// compileMode says what an expression may refer to.
type compileMode uint8

const (
	rowMode  compileMode = iota // record or input columns; no aggregates
	postMode                    // group keys and aggregates
)

// compiler binds names and compiles expressions for one SELECT.
type compiler struct {
	now   time.Time
	used  []bool // schema columns the query reads
	scope *scope
	mode  compileMode
	// match holds whole expressions, matched by their text, that have a
	// value already: GROUP BY keys after aggregation, the columns below a
	// window operator.
	match []*cexpr
	aggs  []*aggSpec
	// aggOK is false where aggregates are not allowed (WHERE, GROUP BY).
	aggOK    bool
	aggWhere string
	// aliases are the SELECT aliases HAVING and ORDER BY may name (as
	// DuckDB allows); nil elsewhere.
	aliases map[string]Expr
	// wins collects window calls; nil where they are not allowed.
	wins *[]*winCall
	// winBase is the row index of the first window result.
	winBase int
	// pl plans subqueries in expressions; deps collects them.
	pl   *planner
	deps *[]*subResult
	// rawTime, when set, is set true when an expression reads the
	// request time's text as logged (the string view of SPEC §4).
	rawTime *bool
}

func (c *compiler) compile(e Expr) (*cexpr, error) {
	if len(c.match) > 0 {
		// A whole expression equal to one already computed is read.
		txt := e.String()
		for _, m := range c.match {
			if m.text == txt {
				ce := *m
				return &ce, nil
			}
		}
	}
	ce, err := c.compile1(e)
	if err != nil {
		return nil, err
	}
	if ce.text == "" {
		ce.text = e.String()
	}
	// Fold constants.
	if !ce.konst && ce.col < 0 && !ce.isCol && isConstTree(e) {
		v := ce.fn(&rowCtx{})
		k := constExpr(v, ce.text)
		if v.Kind == KindNull {
			k.kind = ce.kind // a typed NULL keeps its type
		}
		k.prec, k.scale = ce.prec, ce.scale
		return k, nil
	}
	return ce, nil
}

// isConstTree reports whether e has no column references, aggregates,
// window calls or subqueries, so it can be evaluated once at plan time.
func isConstTree(e Expr) bool {
	switch e := e.(type) {
	case *litExpr:
		return true
	case *unaryExpr:
		return isConstTree(e.x)
	case *binExpr:
		return isConstTree(e.l) && isConstTree(e.r)
	case *likeExpr:
		return isConstTree(e.x) && isConstTree(e.pat) && (e.escapeE == nil || isConstTree(e.escapeE))
	case *inExpr:
		if e.sub != nil {
			return false
		}
		for _, x := range e.list {
			if !isConstTree(x) {
				return false
			}
		}
		return isConstTree(e.x)
	case *betweenExpr:
		return isConstTree(e.x) && isConstTree(e.lo) && isConstTree(e.hi)
	case *isNullExpr:
		return isConstTree(e.x)
	case *isDistinctExpr:
		return isConstTree(e.l) && isConstTree(e.r)
	case *callExpr:
		if f := lookupFunc(e.name); f == nil || f.kind != scalarFn || e.star || e.over != nil {
			return false
		}
		for _, x := range e.args {
			if !isConstTree(x) {
				return false
			}
		}
		return true // now() is fixed at plan time
	case *castExpr:
		return isConstTree(e.x)
	case *caseExpr:
		if e.operand != nil && !isConstTree(e.operand) {
			return false
		}
		for i := range e.whens {
			if !isConstTree(e.whens[i]) || !isConstTree(e.thens[i]) {
				return false
			}
		}
		return e.els == nil || isConstTree(e.els)
	}
	return false
}

// canonicalName is a column name as results show it: the schema's name
// for a log column or alias, else the name in lower case.
func canonicalName(name string) string {
	if i, ok := schema.Lookup(name); ok {
		return schema.Columns[i].Name
	}
	return strings.ToLower(name)
}

// suggest returns ` (did you mean "x"?)` for the candidate nearest name,
// or "" when none is near.
func suggest(name string, candidates []string) string {
	best, bd := "", 1<<30
	for _, n := range candidates {
		if d := levenshtein(name, n); d < bd {
			best, bd = n, d
		}
	}
	if best != "" && bd <= max(2, len(name)/3) {
		return " (did you mean " + strconv.Quote(best) + "?)"
	}
	return ""
}

func (c *compiler) column(r *colRef) (*cexpr, error) {
	sc := c.scope
	if sc == nil {
		sc = logScope(nil)
	}
	if sc.logs {
		return c.logColumn(r, sc)
	}
	i, err := sc.find(r)
	if err != nil {
		if e, found := c.aliases[strings.ToLower(r.name)]; found && r.qual == "" {
			return c.alias(e)
		}
		return nil, err
	}
	if c.mode == postMode {
		return nil, errAt(r.tok, "column %q must appear in GROUP BY or be used in an aggregate function", r.name)
	}
	rc := sc.cols[i]
	return &cexpr{kind: rc.kind, prec: rc.prec, scale: rc.scale, col: -1, origin: rc.origin, isCol: true, text: r.String(),
		fn: func(x *rowCtx) Value { return x.row[i] }}, nil
}

// alias compiles the expression a SELECT alias names.
func (c *compiler) alias(e Expr) (*cexpr, error) {
	saved := c.aliases
	c.aliases = nil // an alias cannot refer to another
	defer func() { c.aliases = saved }()
	return c.compile(e)
}

// logColumn binds a column of the logs.
func (c *compiler) logColumn(r *colRef, sc *scope) (*cexpr, error) {
	if r.qual != "" && !sc.qualifies(r.qual) {
		return nil, errAt(r.tok, "unknown table %q in %s (the query names the logs %s)", r.qual, r.String(), sc.describe())
	}
	idx, ok := schema.Lookup(r.name)
	if !ok {
		if e, found := c.aliases[strings.ToLower(r.name)]; found && r.qual == "" {
			return c.alias(e)
		}
		return nil, errAt(r.tok, "unknown column %q%s", r.name, suggest(r.name, append(schema.Names(), sortedKeys(bareFunctions)...)))
	}
	if c.mode == postMode {
		return nil, errAt(r.tok, "column %q must appear in GROUP BY or be used in an aggregate function", r.name)
	}
	c.used[idx] = true
	ce := readColumn(idx)
	ce.text = r.String()
	if schema.Columns[idx].Type == schema.Timestamp {
		ce.rawUsed = c.rawTime
	}
	return ce, nil
}

// readColumn compiles a read of schema column idx from the current record,
// through the column's one accessor. A typed log field also keeps its
// text as logged, for the string view.
func readColumn(idx int) *cexpr {
	col := &schema.Columns[idx]
	ce := &cexpr{col: idx, origin: idx, isCol: true, text: col.Name}
	get := col.Getter()
	f := col.Field
	switch col.Type {
	case schema.String:
		ce.kind = KindString
		if f, ok := col.StringField(); ok {
			ce.fn = func(r *rowCtx) Value {
				b, ok := r.rec.Value(f)
				if !ok {
					return Value{}
				}
				return Value{Kind: KindString, S: b}
			}
			break
		}
		ce.fn = func(r *rowCtx) Value {
			b, _, ok := get(r.rec, &r.origin)
			if !ok {
				return Value{}
			}
			return Value{Kind: KindString, S: b}
		}
	case schema.Int32, schema.Int64:
		ce.kind = KindInt
		ce.fn = func(r *rowCtx) Value {
			_, n, ok := get(r.rec, &r.origin)
			if !ok {
				return Value{}
			}
			return Value{Kind: KindInt, I: n}
		}
		if col.Source == schema.FromField {
			ce.raw = func(r *rowCtx) Value {
				b, ok := r.rec.Value(f)
				if !ok {
					return Value{}
				}
				return Value{Kind: KindString, S: b}
			}
		}
	case schema.Timestamp:
		ce.kind = KindTime
		ce.fn = func(r *rowCtx) Value {
			_, n, _ := get(r.rec, &r.origin)
			return Value{Kind: KindTime, I: n}
		}
		ce.raw = func(r *rowCtx) Value { return Value{Kind: KindString, S: r.rec.Bytes(f)} }
	}
	return ce
}

func (c *compiler) compile1(e Expr) (*cexpr, error) {
	switch e := e.(type) {
	case *litExpr:
		return constExpr(e.v, e.String()), nil
	case *colRef:
		return c.column(e)
	case *unaryExpr:
		return c.unary(e)
	case *binExpr:
		return c.binary(e)
	case *likeExpr:
		return c.like(e)
	case *inExpr:
		return c.in(e)
	case *betweenExpr:
		return c.between(e)
	case *isNullExpr:
		x, err := c.compile(e.x)
		if err != nil {
			return nil, err
		}
		f, neg := x.fn, e.not
		return typed(KindBool, func(r *rowCtx) Value {
			return BoolValue(f(r).Kind == KindNull != neg)
		}), nil
	case *isDistinctExpr:
		l, r, err := c.comparands(e.tok, e.l, e.r)
		if err != nil {
			return nil, err
		}
		lf, rf, neg := l.fn, r.fn, e.not
		return typed(KindBool, func(x *rowCtx) Value {
			a, b := lf(x), rf(x)
			same := a.Kind == KindNull && b.Kind == KindNull || a.Kind != KindNull && b.Kind != KindNull && compare(a, b) == 0
			return BoolValue(same == neg)
		}), nil
	case *callExpr:
		return c.call(e)
	case *castExpr:
		return c.cast(e)
	case *caseExpr:
		return c.caseExpr(e)
	case *subqueryExpr:
		return c.scalarSubquery(e)
	case *existsExpr:
		return c.exists(e)
	}
	return nil, errAt(e.pos(), "unsupported expression")
}

func wantKind(e Expr, x *cexpr, k Kind) error {
	if x.kind != k && x.kind != KindNull {
		return errAt(e.pos(), "expected a %s expression, found %s (%s)", k, typeString(x), e.String())
	}
	return nil
}

// typeString names a compiled expression's SQL type.
func typeString(x *cexpr) string {
	if x.kind == KindDecimal {
		return "decimal(" + strconv.Itoa(int(x.prec)) + "," + strconv.Itoa(int(x.scale)) + ")"
	}
	return x.kind.String()
}

// athenaText appends the text Athena's string-typed table would show
// for a value of a typed column: the number as logged, the request time
// in the log's own form.
func athenaText(dst []byte, v Value) []byte {
	if v.Kind == KindTime {
		return time.Unix(v.I, 0).UTC().AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	}
	return v.AppendText(dst)
}

// asText returns x read as varchar: x itself when it is one, the string
// view of a typed column (SPEC §4), or ok false.
func asText(x *cexpr) (*cexpr, bool) {
	if x.kind == KindString || x.kind == KindNull {
		return x, true
	}
	if !x.isCol {
		return nil, false
	}
	if x.raw != nil {
		if x.rawUsed != nil {
			*x.rawUsed = true
		}
		v := *x
		v.fn, v.kind, v.raw = x.raw, KindString, nil
		return &v, true
	}
	f := x.fn
	v := *x
	v.kind, v.prec, v.scale = KindString, 0, 0
	v.fn = func(r *rowCtx) Value {
		a := f(r)
		if a.Kind == KindNull {
			return a
		}
		return Value{Kind: KindString, S: athenaText(nil, a)}
	}
	return &v, true
}

// textArg compiles e where a varchar is expected: a typed column is read
// as text; other types are an error.
func textArg(e Expr, x *cexpr) (*cexpr, error) {
	if t, ok := asText(x); ok {
		return t, nil
	}
	return nil, wantKind(e, x, KindString)
}

// isDash reports whether e is the string literal '-', the log's NULL
// marker.
func isDash(e Expr) bool {
	l, ok := e.(*litExpr)
	return ok && l.v.Kind == KindString && len(l.v.S) == 1 && l.v.S[0] == '-'
}

// dashTest rewrites col = '-' to col IS NULL and col <> '-' to
// col IS NOT NULL (SPEC §4: a comparison with '-' tests the NULL marker).
func dashTest(e *binExpr) (Expr, bool) {
	if e.op != "=" && e.op != "<>" {
		return nil, false
	}
	x := e.l
	switch {
	case isDash(e.r):
	case isDash(e.l):
		x = e.r
	default:
		return nil, false
	}
	if _, ok := x.(*colRef); !ok {
		return nil, false
	}
	return &isNullExpr{tok: e.tok, x: x, not: e.op == "<>"}, true
}

// unify makes two operands of a comparison comparable: a string constant
// met by a timestamp, date or number is read as one; a typed column met
// by a string is read as text. Other mixes are an error.
func unify(t token, el Expr, l *cexpr, er Expr, r *cexpr) (*cexpr, *cexpr, error) {
	ka, kb := l.kind, r.kind
	if ka == KindNull || kb == KindNull || ka == kb || isNumeric(ka) && isNumeric(kb) || isTemporal(ka) && isTemporal(kb) {
		return l, r, nil
	}
	if ka == KindString {
		r2, l2, err := unify(t, er, r, el, l)
		if qe, ok := err.(*Error); ok && strings.HasPrefix(qe.Msg, "cannot compare") {
			// Name the operands in the order they were written.
			err = errAt(t, "cannot compare %s with %s (%s, %s)", typeString(l), typeString(r), l.text, r.text)
		}
		return l2, r2, err
	}
	if kb != KindString {
		return nil, nil, errAt(t, "cannot compare %s with %s (%s, %s)", typeString(l), typeString(r), l.text, r.text)
	}
	// l is typed, r a string.
	if r.konst {
		s := strings.TrimSpace(string(r.val.S))
		switch {
		case isTemporal(ka):
			if v, ok := parseTimestampLiteral(s); ok {
				if ka == KindDate {
					v = DateValue(v.I)
				}
				return l, constExpr(v, r.text), nil
			}
			// Text that looks like a date but is not one is a mistake, not
			// a string to compare the logged text with.
			if !l.isCol || isoDateLike(s) {
				return nil, nil, errAt(er.pos(), "cannot read %s as a timestamp (want 'yyyy-MM-dd[ HH:mm:ss]')", er.String())
			}
		case !l.isCol && isNumeric(ka):
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return l, constExpr(IntValue(n), r.text), nil
			}
			if v, ok := parseDecimalLiteral(s); ok {
				return l, constExpr(v, r.text), nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return l, constExpr(FloatValue(f), r.text), nil
			}
		}
	}
	if lt, ok := asText(l); ok {
		return lt, r, nil
	}
	return nil, nil, errAt(t, "cannot compare %s with %s (%s, %s)", typeString(l), typeString(r), l.text, r.text)
}

// isoDateLike reports whether s starts as an ISO date does (yyyy-).
func isoDateLike(s string) bool {
	if len(s) < 5 || s[4] != '-' {
		return false
	}
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// comparands compiles and unifies the two sides of a comparison.
func (c *compiler) comparands(t token, el, er Expr) (*cexpr, *cexpr, error) {
	l, err := c.compile(el)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.compile(er)
	if err != nil {
		return nil, nil, err
	}
	return unify(t, el, l, er, r)
}

// cmpMask is a comparison operator as the outcomes of compare it holds
// true, decided once when the query is compiled rather than per row.
type cmpMask uint8

const (
	cmpLT cmpMask = 1 << iota
	cmpEQ
	cmpGT
)

// cmpMaskOf returns the mask of comparison operator op.
func cmpMaskOf(op string) cmpMask {
	switch op {
	case "=":
		return cmpEQ
	case "<>":
		return cmpLT | cmpGT
	case "<":
		return cmpLT
	case "<=":
		return cmpLT | cmpEQ
	case ">":
		return cmpGT
	case ">=":
		return cmpGT | cmpEQ
	}
	panic("query: no comparison operator " + op)
}

// cmpOp compares a and b as m says: NULL if either is.
func cmpOp(m cmpMask, a, b Value) Value {
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	c, bit := compare(a, b), cmpEQ
	if c < 0 {
		bit = cmpLT
	} else if c > 0 {
		bit = cmpGT
	}
	return BoolValue(m&bit != 0)
}

func and3(a, b Value) Value {
	if a.Kind == KindBool && a.I == 0 || b.Kind == KindBool && b.I == 0 {
		return BoolValue(false)
	}
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	return BoolValue(true)
}

func or3(a, b Value) Value {
	if a.truth() || b.truth() {
		return BoolValue(true)
	}
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	return BoolValue(false)
}

func not3(a Value) Value {
	if a.Kind == KindNull {
		return a
	}
	return BoolValue(a.I == 0)
}

func (c *compiler) unary(e *unaryExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	f := x.fn
	if e.op == "NOT" {
		if err := wantKind(e.x, x, KindBool); err != nil {
			return nil, err
		}
		return typed(KindBool, func(r *rowCtx) Value { return not3(f(r)) }), nil
	}
	if !isNumeric(x.kind) && x.kind != KindInterval && x.kind != KindMonths && x.kind != KindNull {
		return nil, errAt(e.tok, "cannot negate %s", typeString(x))
	}
	ce := typed(x.kind, func(r *rowCtx) Value {
		v := f(r)
		switch v.Kind {
		case KindFloat:
			v.F = -v.F
		case KindDecimal:
			v = decValue(v.dec().neg(), v.prec, v.scale)
		case KindInt, KindInterval, KindMonths:
			v.I = -v.I
		}
		return v
	})
	ce.prec, ce.scale = x.prec, x.scale
	return ce, nil
}

func (c *compiler) binary(e *binExpr) (*cexpr, error) {
	if d, ok := dashTest(e); ok {
		return c.compile(d)
	}
	switch e.op {
	case "=", "<>", "<", "<=", ">", ">=":
		l, r, err := c.comparands(e.tok, e.l, e.r)
		if err != nil {
			return nil, err
		}
		lf, rf, m := l.fn, r.fn, cmpMaskOf(e.op)
		return typed(KindBool, func(x *rowCtx) Value { return cmpOp(m, lf(x), rf(x)) }), nil
	}
	l, err := c.compile(e.l)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "AND", "OR":
		if err := wantKind(e.l, l, KindBool); err != nil {
			return nil, err
		}
		if err := wantKind(e.r, r, KindBool); err != nil {
			return nil, err
		}
		lf, rf := l.fn, r.fn
		if e.op == "AND" {
			return typed(KindBool, func(x *rowCtx) Value {
				a := lf(x)
				if a.Kind == KindBool && a.I == 0 {
					return a
				}
				return and3(a, rf(x))
			}), nil
		}
		return typed(KindBool, func(x *rowCtx) Value {
			a := lf(x)
			if a.truth() {
				return a
			}
			return or3(a, rf(x))
		}), nil
	case "||":
		// Typed columns concatenate as their text; other values as they
		// print.
		if t, ok := asText(l); ok {
			l = t
		}
		if t, ok := asText(r); ok {
			r = t
		}
		lf, rf := l.fn, r.fn
		return typed(KindString, func(x *rowCtx) Value {
			a, b := lf(x), rf(x)
			if a.Kind == KindNull || b.Kind == KindNull {
				return Value{}
			}
			s := a.AppendText(nil)
			return Value{Kind: KindString, S: b.AppendText(s)}
		}), nil
	}
	return arithmetic(e, l, r)
}

// arithmetic compiles + - * / % with Trino's result types: integers stay
// integers (division truncates), DECIMAL is exact with the precision and
// scale rules in decimal.go, a double makes a double; timestamps and
// dates move by intervals.
func arithmetic(e *binExpr, l, r *cexpr) (*cexpr, error) {
	a, b, op := l.kind, r.kind, e.op
	lf, rf := l.fn, r.fn
	fail := func() (*cexpr, error) {
		return nil, errAt(e.tok, "cannot apply %s to %s and %s (%s)", op, typeString(l), typeString(r), e.String())
	}
	switch {
	case a == KindNull && b == KindNull:
		return constExpr(Value{}, e.String()), nil
	case a == KindNull || b == KindNull:
		k := b
		if b == KindNull {
			k = a
		}
		if k == KindString || k == KindBool {
			return fail()
		}
		ce := typed(k, func(*rowCtx) Value { return Value{} })
		ce.prec, ce.scale = max(l.prec, r.prec), max(l.scale, r.scale)
		return ce, nil
	case a == KindInt && b == KindInt:
		o := op[0] // a byte, not the string, to switch on per row
		return typed(KindInt, func(x *rowCtx) Value { return intArith(o, lf(x), rf(x)) }), nil
	case (a == KindFloat || b == KindFloat) && isNumeric(a) && isNumeric(b):
		o := op[0]
		return typed(KindFloat, func(x *rowCtx) Value { return floatArith(o, lf(x), rf(x)) }), nil
	case isNumeric(a) && isNumeric(b):
		p1, s1 := decType(a, l.prec, l.scale)
		p2, s2 := decType(b, r.prec, r.scale)
		p, s := decResult(op, p1, s1, p2, s2)
		ce := typed(KindDecimal, func(x *rowCtx) Value {
			u, v := lf(x), rf(x)
			if u.Kind == KindNull || v.Kind == KindNull {
				return Value{}
			}
			res, ok := decArith(op, u, v, p, s)
			if !ok {
				return Value{}
			}
			return res
		})
		ce.prec, ce.scale = p, s
		return ce, nil
	case isTemporal(a) && (b == KindInterval || b == KindMonths) && (op == "+" || op == "-"),
		(a == KindInterval || a == KindMonths) && isTemporal(b) && op == "+":
		k := a
		if !isTemporal(a) {
			k = b
		}
		return typed(k, func(x *rowCtx) Value {
			u, v := lf(x), rf(x)
			if u.Kind == KindNull || v.Kind == KindNull {
				return Value{}
			}
			if !isTemporal(u.Kind) {
				u, v = v, u
			}
			n := v.I
			if op == "-" {
				n = -n
			}
			if v.Kind == KindMonths {
				u.I = addMonths(u.I, n)
			} else {
				u.I += n
			}
			if u.Kind == KindDate {
				u.I = floorDiv(u.I, 86400) * 86400
			}
			return u
		}), nil
	case isTemporal(a) && isTemporal(b) && op == "-",
		a == KindInterval && b == KindInterval && (op == "+" || op == "-"),
		a == KindMonths && b == KindMonths && (op == "+" || op == "-"):
		k := KindInterval
		if a == KindMonths {
			k = KindMonths
		}
		return typed(k, func(x *rowCtx) Value {
			u, v := lf(x), rf(x)
			if u.Kind == KindNull || v.Kind == KindNull {
				return Value{}
			}
			if op == "+" {
				return Value{Kind: k, I: u.I + v.I}
			}
			return Value{Kind: k, I: u.I - v.I}
		}), nil
	case (a == KindInterval || a == KindMonths) && b == KindInt && (op == "*" || op == "/"),
		a == KindInt && (b == KindInterval || b == KindMonths) && op == "*":
		k := a
		if a == KindInt {
			k = b
		}
		return typed(k, func(x *rowCtx) Value {
			u, v := lf(x), rf(x)
			if u.Kind == KindNull || v.Kind == KindNull {
				return Value{}
			}
			if op == "/" {
				if v.I == 0 {
					return Value{}
				}
				return Value{Kind: k, I: u.I / v.I}
			}
			return Value{Kind: k, I: u.I * v.I}
		}), nil
	}
	return fail()
}

// addMonths moves a Unix time by n calendar months, clamping the day to
// the end of a shorter month, as Trino does.
func addMonths(unix, n int64) int64 {
	t := time.Unix(unix, 0).UTC()
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + n
	ny, nm := int(floorDiv(total, 12)), time.Month(total-floorDiv(total, 12)*12+1)
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	d = min(d, last)
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC).Unix()
}

// intArith evaluates an integer operator. Division truncates, as in
// Trino; division or modulo by zero gives NULL rather than failing the
// whole scan.
func intArith(op byte, a, b Value) Value {
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	x, y := a.I, b.I
	switch op {
	case '+':
		return IntValue(x + y)
	case '-':
		return IntValue(x - y)
	case '*':
		return IntValue(x * y)
	case '/':
		if y == 0 {
			return Value{}
		}
		return IntValue(x / y)
	case '%':
		if y == 0 {
			return Value{}
		}
		return IntValue(x % y)
	}
	return Value{}
}

func floatArith(op byte, a, b Value) Value {
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	x, y := a.float(), b.float()
	switch op {
	case '+':
		return FloatValue(x + y)
	case '-':
		return FloatValue(x - y)
	case '*':
		return FloatValue(x * y)
	case '/':
		if y == 0 {
			return Value{}
		}
		return FloatValue(x / y)
	case '%':
		if y == 0 {
			return Value{}
		}
		return FloatValue(x - y*float64(int64(x/y)))
	}
	return Value{}
}

func (c *compiler) like(e *likeExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	if x, err = textArg(e.x, x); err != nil {
		return nil, err
	}
	p, err := c.compile(e.pat)
	if err != nil {
		return nil, err
	}
	if err := wantKind(e.pat, p, KindString); err != nil {
		return nil, err
	}
	esc := byte(0)
	if e.escapeE != nil {
		ec, err := c.compile(e.escapeE)
		if err != nil {
			return nil, err
		}
		if !ec.konst || ec.val.Kind != KindString || len(ec.val.S) != 1 {
			return nil, errAt(e.escapeE.pos(), "ESCAPE must be a single-character string")
		}
		esc = ec.val.S[0]
	}
	xf, neg := x.fn, e.not
	if p.konst {
		if p.val.Kind == KindNull {
			return constExpr(Value{}, ""), nil
		}
		m := compileLike(p.val.S, esc)
		return typed(KindBool, func(r *rowCtx) Value {
			v := xf(r)
			if v.Kind == KindNull {
				return v
			}
			return BoolValue(m.match(v.S) != neg)
		}), nil
	}
	pf := p.fn
	return typed(KindBool, func(r *rowCtx) Value {
		v, pv := xf(r), pf(r)
		if v.Kind == KindNull || pv.Kind == KindNull {
			return Value{}
		}
		return BoolValue(compileLike(pv.S, esc).match(v.S) != neg)
	}), nil
}

// dashIn rewrites col IN ('-', ...) to col IS NULL OR col IN (...), and
// its negation, as the '-' comparison rule implies.
func dashIn(e *inExpr) (Expr, bool) {
	if e.sub != nil {
		return nil, false
	}
	if _, ok := e.x.(*colRef); !ok {
		return nil, false
	}
	var rest []Expr
	found := false
	for _, x := range e.list {
		if isDash(x) {
			found = true
			continue
		}
		rest = append(rest, x)
	}
	if !found {
		return nil, false
	}
	isNull := &isNullExpr{tok: e.tok, x: e.x, not: e.not}
	if len(rest) == 0 {
		return isNull, true
	}
	in := &inExpr{tok: e.tok, x: e.x, list: rest, not: e.not}
	op := "OR"
	if e.not {
		op = "AND"
	}
	return &binExpr{tok: e.tok, op: op, l: isNull, r: in}, true
}

func (c *compiler) in(e *inExpr) (*cexpr, error) {
	if d, ok := dashIn(e); ok {
		return c.compile(d)
	}
	if e.sub != nil {
		return c.inSubquery(e)
	}
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	list := make([]*cexpr, len(e.list))
	for i, le := range e.list {
		if list[i], err = c.compile(le); err != nil {
			return nil, err
		}
	}
	// One reading of x for the whole list: as text when a string element
	// cannot be read as x's type.
	for i, le := range e.list {
		nx, nl, err := unify(e.tok, e.x, x, le, list[i])
		if err != nil {
			return nil, err
		}
		if nx.kind != x.kind {
			x = nx
			break
		}
		list[i] = nl
	}
	for i, le := range e.list {
		if x.kind == KindString && list[i].kind != KindString && list[i].konst && list[i].kind != KindNull {
			list[i] = constExpr(Value{Kind: KindString, S: list[i].val.AppendText(nil)}, list[i].text)
		}
		nx, nl, err := unify(e.tok, e.x, x, le, list[i])
		if err != nil {
			return nil, err
		}
		if nx.kind != x.kind {
			return nil, errAt(le.pos(), "IN list mixes types (%s)", le.String())
		}
		list[i] = nl
	}
	xf, neg := x.fn, e.not
	// A list of constants is a set lookup.
	allConst := len(list) > 8
	for _, l := range list {
		allConst = allConst && l.konst
	}
	if allConst {
		set := map[string]bool{}
		sawNull := false
		for _, l := range list {
			if l.val.Kind == KindNull {
				sawNull = true
				continue
			}
			set[string(appendKey(nil, l.val))] = true
		}
		return typed(KindBool, func(r *rowCtx) Value {
			v := xf(r)
			if v.Kind == KindNull {
				return v
			}
			var buf [64]byte
			if set[string(appendKey(buf[:0], v))] {
				return BoolValue(!neg)
			}
			if sawNull {
				return Value{}
			}
			return BoolValue(neg)
		}), nil
	}
	return typed(KindBool, func(r *rowCtx) Value {
		v := xf(r)
		if v.Kind == KindNull {
			return v
		}
		sawNull := false
		for _, l := range list {
			w := l.fn(r)
			if w.Kind == KindNull {
				sawNull = true
				continue
			}
			if compare(v, w) == 0 {
				return BoolValue(!neg)
			}
		}
		if sawNull {
			return Value{}
		}
		return BoolValue(neg)
	}), nil
}

func (c *compiler) between(e *betweenExpr) (*cexpr, error) {
	// x BETWEEN lo AND hi is x >= lo AND x <= hi, evaluating x once.
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	lo, err := c.compile(e.lo)
	if err != nil {
		return nil, err
	}
	hi, err := c.compile(e.hi)
	if err != nil {
		return nil, err
	}
	xl, l1, err := unify(e.tok, e.x, x, e.lo, lo)
	if err != nil {
		return nil, err
	}
	xh, h1, err := unify(e.tok, e.x, xl, e.hi, hi)
	if err != nil {
		return nil, err
	}
	if xh.kind != xl.kind {
		// The upper bound made x text: read the lower one as text too.
		if _, l1, err = unify(e.tok, e.x, xh, e.lo, lo); err != nil {
			return nil, err
		}
	}
	x1, lo, hi := xh, l1, h1
	xf, lf, hf, neg := x1.fn, lo.fn, hi.fn, e.not
	return typed(KindBool, func(r *rowCtx) Value {
		v := xf(r)
		res := and3(cmpOp(cmpGT|cmpEQ, v, lf(r)), cmpOp(cmpLT|cmpEQ, v, hf(r)))
		if neg {
			return not3(res)
		}
		return res
	}), nil
}

// commonType returns the type values of the given kinds are coerced to
// where one value is chosen among several (CASE, COALESCE, IF, UNION):
// numbers widen to decimal or double, dates to timestamps.
func commonType(es []Expr, xs []*cexpr) (Kind, uint8, uint8, error) {
	kind := KindNull
	var prec, scale uint8
	first := -1
	for i, x := range xs {
		k := x.kind
		switch {
		case k == KindNull:
			continue
		case kind == KindNull:
			kind, prec, scale, first = k, x.prec, x.scale, i
		case k == kind && k != KindDecimal:
		case isNumeric(k) && isNumeric(kind):
			switch {
			case k == KindFloat || kind == KindFloat:
				kind = KindFloat
			default:
				p1, s1 := decType(kind, prec, scale)
				p2, s2 := decType(k, x.prec, x.scale)
				if kind == KindInt && k == KindInt {
					continue
				}
				s := max(s1, s2)
				ip := max(int(p1)-int(s1), int(p2)-int(s2))
				kind, prec, scale = KindDecimal, uint8(min(38, ip+int(s))), s
			}
		case isTemporal(k) && isTemporal(kind):
			kind = KindTime
		default:
			return 0, 0, 0, errAt(es[i].pos(), "%s and %s do not mix (%s, %s)", typeString(xs[first]), typeString(x), es[first].String(), es[i].String())
		}
	}
	return kind, prec, scale, nil
}

// coerce converts a value to the common type chosen by commonType.
func coerce(v Value, kind Kind, prec, scale uint8) Value {
	if v.Kind == KindNull || v.Kind == kind && (kind != KindDecimal || v.scale == scale) {
		return v
	}
	switch kind {
	case KindFloat:
		return FloatValue(v.float())
	case KindDecimal:
		if d, ok := toDecimal(v, prec, scale); ok {
			return d
		}
		return Value{}
	case KindTime:
		if v.Kind == KindDate {
			return TimeValue(v.I)
		}
	}
	return v
}

// coerced wraps xs so they all produce the common type.
func coerced(es []Expr, xs []*cexpr) (Kind, uint8, uint8, []evalFn, error) {
	kind, prec, scale, err := commonType(es, xs)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	fns := make([]evalFn, len(xs))
	for i, x := range xs {
		f := x.fn
		if x.kind == kind && (kind != KindDecimal || x.scale == scale) || x.kind == KindNull {
			fns[i] = f
			continue
		}
		fns[i] = func(r *rowCtx) Value { return coerce(f(r), kind, prec, scale) }
	}
	return kind, prec, scale, fns, nil
}

func (c *compiler) caseExpr(e *caseExpr) (*cexpr, error) {
	var whens []evalFn
	var results []Expr
	var rs []*cexpr
	var operand *cexpr
	if e.operand != nil {
		var err error
		if operand, err = c.compile(e.operand); err != nil {
			return nil, err
		}
	}
	for i := range e.whens {
		if operand != nil {
			// CASE x WHEN v is CASE WHEN x = v.
			o, w, err := c.comparandsOf(e.whens[i].pos(), e.operand, operand, e.whens[i])
			if err != nil {
				return nil, err
			}
			of, wf := o.fn, w.fn
			whens = append(whens, func(r *rowCtx) Value { return cmpOp(cmpEQ, of(r), wf(r)) })
		} else {
			w, err := c.compile(e.whens[i])
			if err != nil {
				return nil, err
			}
			if err := wantKind(e.whens[i], w, KindBool); err != nil {
				return nil, err
			}
			whens = append(whens, w.fn)
		}
		t, err := c.compile(e.thens[i])
		if err != nil {
			return nil, err
		}
		results, rs = append(results, e.thens[i]), append(rs, t)
	}
	if e.els != nil {
		el, err := c.compile(e.els)
		if err != nil {
			return nil, err
		}
		results, rs = append(results, e.els), append(rs, el)
	}
	kind, prec, scale, fns, err := coerced(results, rs)
	if err != nil {
		return nil, err
	}
	thens, els := fns[:len(whens)], evalFn(nil)
	if e.els != nil {
		els = fns[len(whens)]
	}
	ce := typed(kind, func(r *rowCtx) Value {
		for i, w := range whens {
			if w(r).truth() {
				return thens[i](r)
			}
		}
		if els != nil {
			return els(r)
		}
		return Value{}
	})
	ce.prec, ce.scale = prec, scale
	return ce, nil
}

// comparandsOf unifies an already compiled operand with another
// expression, for CASE x WHEN v.
func (c *compiler) comparandsOf(t token, el Expr, l *cexpr, er Expr) (*cexpr, *cexpr, error) {
	r, err := c.compile(er)
	if err != nil {
		return nil, nil, err
	}
	return unify(t, el, l, er, r)
}

// castTypes maps a CAST target type name to its kind.
var castTypes = map[string]Kind{
	"varchar": KindString, "string": KindString, "char": KindString,
	"bigint": KindInt, "integer": KindInt, "int": KindInt, "smallint": KindInt, "tinyint": KindInt,
	"double": KindFloat, "real": KindFloat, "float": KindFloat,
	"decimal": KindDecimal, "numeric": KindDecimal,
	"timestamp": KindTime, "timestamp with time zone": KindTime,
	"date": KindDate, "boolean": KindBool,
}

// cast compiles CAST and TRY_CAST. A value that does not convert is NULL
// for both (Trino fails the query for CAST; a scan of terabytes should
// not die on one odd value). CAST of a typed log column to varchar gives
// its text as logged, as Athena's string table would.
func (c *compiler) cast(e *castExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	kind, ok := castTypes[e.to.name]
	if !ok {
		return nil, errAt(e.tok, "unsupported CAST type %q%s", e.to.name, suggest(e.to.name, sortedKeys(castTypes)))
	}
	f := x.fn
	switch kind {
	case KindString:
		if t, ok := asText(x); ok && x.kind != KindString {
			return t, nil
		}
		return typed(KindString, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull || v.Kind == KindString {
				return v
			}
			return Value{Kind: KindString, S: castText(nil, v)}
		}), nil
	case KindInt:
		return typed(KindInt, func(r *rowCtx) Value { return castInt(f(r)) }), nil
	case KindFloat:
		return typed(KindFloat, func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindInt, KindFloat, KindDecimal:
				return FloatValue(v.float())
			case KindString:
				if n, err := strconv.ParseFloat(strings.TrimSpace(string(v.S)), 64); err == nil {
					return FloatValue(n)
				}
			}
			return Value{}
		}), nil
	case KindDecimal:
		p, s := uint8(38), uint8(0)
		if len(e.to.args) > 0 {
			if e.to.args[0] < 1 || e.to.args[0] > 38 || len(e.to.args) > 1 && (e.to.args[1] < 0 || e.to.args[1] > e.to.args[0]) {
				return nil, errAt(e.tok, "DECIMAL precision must be 1 to 38 and scale 0 to the precision, got %s", e.to)
			}
			p = uint8(e.to.args[0])
			if len(e.to.args) > 1 {
				s = uint8(e.to.args[1])
			}
		}
		ce := typed(KindDecimal, func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindInt, KindDecimal, KindFloat:
				if d, ok := toDecimal(v, p, s); ok {
					return d
				}
			case KindString:
				if d, ok := decimalFromText(strings.TrimSpace(string(v.S)), p, s); ok {
					return d
				}
			}
			return Value{}
		})
		ce.prec, ce.scale = p, s
		return ce, nil
	case KindTime, KindDate:
		return typed(kind, func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindTime, KindDate:
			case KindString:
				var ok bool
				if v, ok = timestampText(v.S); !ok {
					return Value{}
				}
			default:
				return Value{}
			}
			if kind == KindDate {
				return DateValue(v.I)
			}
			return TimeValue(v.I)
		}), nil
	case KindBool:
		return typed(KindBool, func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindBool:
				return v
			case KindInt:
				return BoolValue(v.I != 0)
			case KindFloat, KindDecimal:
				return BoolValue(v.float() != 0)
			case KindString:
				switch strings.ToLower(strings.TrimSpace(string(v.S))) {
				case "true", "t", "1":
					return BoolValue(true)
				case "false", "f", "0":
					return BoolValue(false)
				}
			}
			return Value{}
		}), nil
	}
	return nil, errAt(e.tok, "unsupported CAST type %q", e.to.name)
}

// castInt converts a value to bigint as CAST does: numbers round half
// away from zero, strings parse, booleans are 0 or 1.
func castInt(v Value) Value {
	switch v.Kind {
	case KindInt:
		return v
	case KindFloat:
		if r := roundHalfAway(v.F); r >= -9.223372036854775808e18 && r < 9.223372036854775808e18 {
			return IntValue(int64(r))
		}
	case KindDecimal:
		if d, ok := rescale(v.dec(), v.scale, 0); ok && d.fitsInt64() {
			return IntValue(int64(d.lo))
		}
	case KindBool, KindTime, KindDate:
		return IntValue(v.I)
	case KindString:
		s := strings.TrimSpace(string(v.S))
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return IntValue(n)
		}
	}
	return Value{}
}

// castText formats a value as CAST(x AS varchar) does in Trino.
func castText(dst []byte, v Value) []byte {
	if v.Kind == KindTime {
		return time.Unix(v.I, 0).UTC().AppendFormat(dst, "2006-01-02 15:04:05.000")
	}
	return v.AppendText(dst)
}

// sortedKeys returns a map's keys (for suggestions; order does not
// matter).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// hasAggregate reports whether e contains an aggregate call of this
// SELECT: not inside a subquery, and not a window call itself (though
// its arguments may hold aggregates).
func hasAggregate(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		found = found || isAggregateCall(x)
	})
	return found
}

// isAggregateCall reports whether e is a call of an aggregate function
// as an aggregate (not as a window function, with OVER).
func isAggregateCall(e Expr) bool {
	c, ok := e.(*callExpr)
	if !ok || c.over != nil {
		return false
	}
	f := lookupFunc(c.name)
	return f != nil && f.kind == aggregateFn
}

// hasWindow reports whether e contains a window call.
func hasWindow(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		if c, ok := x.(*callExpr); ok && c.over != nil {
			found = true
		}
	})
	return found
}

// walk calls fn for e and every expression below it, not descending into
// subqueries.
func walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range exprChildren(e) {
		walk(c, fn)
	}
}

// exprChildren returns the expressions directly below e (not those of
// subqueries).
func exprChildren(e Expr) []Expr {
	var out []Expr
	add := func(xs ...Expr) {
		for _, x := range xs {
			if x != nil {
				out = append(out, x)
			}
		}
	}
	switch e := e.(type) {
	case *unaryExpr:
		add(e.x)
	case *binExpr:
		add(e.l, e.r)
	case *likeExpr:
		add(e.x, e.pat, e.escapeE)
	case *inExpr:
		add(e.x)
		add(e.list...)
	case *betweenExpr:
		add(e.x, e.lo, e.hi)
	case *isNullExpr:
		add(e.x)
	case *isDistinctExpr:
		add(e.l, e.r)
	case *callExpr:
		add(e.args...)
		add(e.filter)
		if e.over != nil {
			add(e.over.partition...)
			for _, o := range e.over.order {
				add(o.Expr)
			}
		}
	case *castExpr:
		add(e.x)
	case *caseExpr:
		add(e.operand)
		for i := range e.whens {
			add(e.whens[i], e.thens[i])
		}
		add(e.els)
	}
	return out
}

// firstAggregate returns the token of the first aggregate call in e, for
// error messages.
func firstAggregate(e Expr) token {
	var t token
	walk(e, func(x Expr) {
		if t.line == 0 && isAggregateCall(x) {
			t = x.(*callExpr).tok
		}
	})
	return t
}
