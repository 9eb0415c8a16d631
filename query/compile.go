package query

import (
	"bytes"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// rowCtx is what compiled expressions read: the current record during the
// scan, or the group's keys and aggregate results after aggregation.
type rowCtx struct {
	rec    *parse.Record
	origin schema.Origin // log object and line, for the derived columns
	keys   []Value
	aggs   []Value
}

type evalFn func(*rowCtx) Value

// cexpr is a compiled expression.
type cexpr struct {
	fn    evalFn
	kind  Kind // static result kind; KindNull when only NULL is possible
	konst bool
	val   Value // the value when konst
	col   int   // schema column index when a plain column reference, else -1
	text  string
}

func constExpr(v Value, text string) *cexpr {
	return &cexpr{fn: func(*rowCtx) Value { return v }, kind: v.Kind, konst: true, val: v, col: -1, text: text}
}

// compileMode says what an expression may refer to.
type compileMode uint8

const (
	rowMode  compileMode = iota // record columns; no aggregates
	postMode                    // group keys and aggregates
)

// compiler binds names and compiles expressions for one statement.
type compiler struct {
	now   time.Time
	used  []bool // schema columns the query reads
	mode  compileMode
	group []*cexpr // postMode: GROUP BY expressions (row-compiled), matched by text
	aggs  []*aggSpec
	// aggOK is false where aggregates are not allowed (WHERE, GROUP BY).
	aggOK    bool
	aggWhere string
	// aliases are the SELECT aliases HAVING and ORDER BY may name (as
	// DuckDB allows); nil elsewhere.
	aliases map[string]Expr
}

func (c *compiler) compile(e Expr) (*cexpr, error) {
	if c.mode == postMode {
		// A whole expression equal to a GROUP BY expression is its key.
		txt := e.String()
		for i, g := range c.group {
			if g.text == txt {
				i := i
				return &cexpr{fn: func(r *rowCtx) Value { return r.keys[i] }, kind: g.kind, col: -1, text: txt}, nil
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
	if !ce.konst && ce.col < 0 && isConstTree(e) {
		v := ce.fn(&rowCtx{})
		return constExpr(v, ce.text), nil
	}
	return ce, nil
}

// isConstTree reports whether e has no column references, aggregates or
// volatile calls, so it can be evaluated once at plan time.
func isConstTree(e Expr) bool {
	switch e := e.(type) {
	case *litExpr:
		return true
	case *colRef:
		return false
	case *unaryExpr:
		return isConstTree(e.x)
	case *binExpr:
		return isConstTree(e.l) && isConstTree(e.r)
	case *likeExpr:
		return isConstTree(e.x) && isConstTree(e.pat)
	case *inExpr:
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
	case *callExpr:
		if _, agg := aggFuncs[e.name]; agg || e.star {
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
		for i := range e.whens {
			if !isConstTree(e.whens[i]) || !isConstTree(e.thens[i]) {
				return false
			}
		}
		return e.els == nil || isConstTree(e.els)
	}
	return false
}

func (c *compiler) unknownColumn(r *colRef) error {
	best, bd := "", 1<<30
	for _, n := range schema.Names() {
		if d := levenshtein(r.name, n); d < bd {
			best, bd = n, d
		}
	}
	if bd <= max(2, len(r.name)/3) {
		return errAt(r.tok, "unknown column %q (did you mean %q?)", r.name, best)
	}
	return errAt(r.tok, "unknown column %q", r.name)
}

func (c *compiler) column(r *colRef) (*cexpr, error) {
	idx, ok := schema.Lookup(r.name)
	if !ok {
		if e, found := c.aliases[strings.ToLower(r.name)]; found {
			saved := c.aliases
			c.aliases = nil // an alias cannot refer to another
			defer func() { c.aliases = saved }()
			return c.compile(e)
		}
		return nil, c.unknownColumn(r)
	}
	if c.mode == postMode {
		return nil, errAt(r.tok, "column %q must appear in GROUP BY or be used in an aggregate function", r.name)
	}
	c.used[idx] = true
	col := &schema.Columns[idx]
	ce := &cexpr{col: idx, text: col.Name}
	get := col.Getter()
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
	case schema.Timestamp:
		ce.kind = KindTime
		ce.fn = func(r *rowCtx) Value {
			_, n, _ := get(r.rec, &r.origin)
			return Value{Kind: KindTime, I: n}
		}
	default:
		return nil, errAt(r.tok, "column %q cannot be queried", r.name)
	}
	return ce, nil
}

func (c *compiler) compile1(e Expr) (*cexpr, error) {
	switch e := e.(type) {
	case *litExpr:
		return constExpr(e.v, e.String()), nil
	case *colRef:
		return c.column(e)
	case *unaryExpr:
		x, err := c.compile(e.x)
		if err != nil {
			return nil, err
		}
		if e.op == "NOT" {
			if err := wantKind(e.x, x, KindBool); err != nil {
				return nil, err
			}
			f := x.fn
			return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
				v := f(r)
				if v.Kind == KindNull {
					return v
				}
				return BoolValue(v.I == 0)
			}}, nil
		}
		if !isNumeric(x.kind) && x.kind != KindInterval && x.kind != KindNull {
			return nil, errAt(e.tok, "cannot negate %s", x.kind)
		}
		f := x.fn
		return &cexpr{kind: x.kind, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindFloat:
				v.F = -v.F
			case KindInt, KindInterval:
				v.I = -v.I
			}
			return v
		}}, nil
	case *binExpr:
		return c.binary(e)
	case *likeExpr:
		return c.like(e)
	case *inExpr:
		return c.in(e)
	case *betweenExpr:
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
		if lo, err = coerceTo(e.lo, lo, x); err != nil {
			return nil, err
		}
		if hi, err = coerceTo(e.hi, hi, x); err != nil {
			return nil, err
		}
		if err := comparable(e.tok, x, lo); err != nil {
			return nil, err
		}
		if err := comparable(e.tok, x, hi); err != nil {
			return nil, err
		}
		xf, lf, hf, neg := x.fn, lo.fn, hi.fn, e.not
		return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
			v := xf(r)
			a := cmpOp(">=", v, lf(r))
			b := cmpOp("<=", v, hf(r))
			res := and3(a, b)
			if neg {
				return not3(res)
			}
			return res
		}}, nil
	case *isNullExpr:
		x, err := c.compile(e.x)
		if err != nil {
			return nil, err
		}
		f, neg := x.fn, e.not
		return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
			return BoolValue(f(r).Kind == KindNull != neg)
		}}, nil
	case *callExpr:
		if _, ok := aggFuncs[e.name]; ok {
			return c.aggregate(e)
		}
		return c.call(e)
	case *castExpr:
		return c.cast(e)
	case *caseExpr:
		var whens, thens []*cexpr
		kind := KindNull
		for i := range e.whens {
			w, err := c.compile(e.whens[i])
			if err != nil {
				return nil, err
			}
			if err := wantKind(e.whens[i], w, KindBool); err != nil {
				return nil, err
			}
			t, err := c.compile(e.thens[i])
			if err != nil {
				return nil, err
			}
			if kind == KindNull {
				kind = t.kind
			}
			whens, thens = append(whens, w), append(thens, t)
		}
		var els *cexpr
		if e.els != nil {
			var err error
			if els, err = c.compile(e.els); err != nil {
				return nil, err
			}
			if kind == KindNull {
				kind = els.kind
			}
		}
		return &cexpr{kind: kind, col: -1, fn: func(r *rowCtx) Value {
			for i, w := range whens {
				if w.fn(r).truth() {
					return thens[i].fn(r)
				}
			}
			if els != nil {
				return els.fn(r)
			}
			return Value{}
		}}, nil
	}
	return nil, errAt(e.pos(), "unsupported expression")
}

func wantKind(e Expr, x *cexpr, k Kind) error {
	if x.kind != k && x.kind != KindNull {
		return errAt(e.pos(), "expected a %s expression, found %s (%s)", k, x.kind, e.String())
	}
	return nil
}

// coerceTo converts a constant string operand to the kind of other when
// other is a timestamp or a number, as a user comparing
// requestdatetime >= '2019-07-01' means.
func coerceTo(e Expr, x, other *cexpr) (*cexpr, error) {
	if !x.konst || x.val.Kind != KindString {
		return x, nil
	}
	s := string(x.val.S)
	switch other.kind {
	case KindTime:
		v, ok := parseTimestampLiteral(s)
		if !ok {
			return nil, errAt(e.pos(), "cannot read %s as a timestamp (want 'yyyy-MM-dd[ HH:mm:ss]')", e.String())
		}
		return constExpr(v, x.text), nil
	case KindInt:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return constExpr(IntValue(n), x.text), nil
		}
	case KindFloat:
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return constExpr(FloatValue(f), x.text), nil
		}
	}
	return x, nil
}

func comparable(t token, a, b *cexpr) error {
	ka, kb := a.kind, b.kind
	if ka == KindNull || kb == KindNull || ka == kb || isNumeric(ka) && isNumeric(kb) {
		return nil
	}
	return errAt(t, "cannot compare %s with %s (%s, %s)", ka, kb, a.text, b.text)
}

func cmpOp(op string, a, b Value) Value {
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	c := compare(a, b)
	var r bool
	switch op {
	case "=":
		r = c == 0
	case "<>":
		r = c != 0
	case "<":
		r = c < 0
	case "<=":
		r = c <= 0
	case ">":
		r = c > 0
	case ">=":
		r = c >= 0
	}
	return BoolValue(r)
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

func (c *compiler) binary(e *binExpr) (*cexpr, error) {
	l, err := c.compile(e.l)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(e.r)
	if err != nil {
		return nil, err
	}
	lf, rf := l.fn, r.fn
	switch e.op {
	case "AND", "OR":
		if err := wantKind(e.l, l, KindBool); err != nil {
			return nil, err
		}
		if err := wantKind(e.r, r, KindBool); err != nil {
			return nil, err
		}
		if e.op == "AND" {
			return &cexpr{kind: KindBool, col: -1, fn: func(x *rowCtx) Value {
				a := lf(x)
				if a.Kind == KindBool && a.I == 0 {
					return a
				}
				return and3(a, rf(x))
			}}, nil
		}
		return &cexpr{kind: KindBool, col: -1, fn: func(x *rowCtx) Value {
			a := lf(x)
			if a.truth() {
				return a
			}
			return or3(a, rf(x))
		}}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		if l, err = coerceTo(e.l, l, r); err != nil {
			return nil, err
		}
		if r, err = coerceTo(e.r, r, l); err != nil {
			return nil, err
		}
		if err := comparable(e.tok, l, r); err != nil {
			return nil, err
		}
		lf, rf = l.fn, r.fn
		op := e.op
		return &cexpr{kind: KindBool, col: -1, fn: func(x *rowCtx) Value { return cmpOp(op, lf(x), rf(x)) }}, nil
	case "||":
		return &cexpr{kind: KindString, col: -1, fn: func(x *rowCtx) Value {
			a, b := lf(x), rf(x)
			if a.Kind == KindNull || b.Kind == KindNull {
				return Value{}
			}
			s := a.AppendText(nil)
			return Value{Kind: KindString, S: b.AppendText(s)}
		}}, nil
	}
	// Arithmetic.
	kind, err := arithKind(e, l.kind, r.kind)
	if err != nil {
		return nil, err
	}
	op := e.op
	return &cexpr{kind: kind, col: -1, fn: func(x *rowCtx) Value { return arith(op, lf(x), rf(x)) }}, nil
}

func arithKind(e *binExpr, a, b Kind) (Kind, error) {
	switch {
	case a == KindNull || b == KindNull:
		if a == KindNull {
			return b, nil
		}
		return a, nil
	case a == KindInt && b == KindInt:
		return KindInt, nil
	case isNumeric(a) && isNumeric(b):
		return KindFloat, nil
	case a == KindTime && b == KindInterval && (e.op == "+" || e.op == "-"),
		a == KindInterval && b == KindTime && e.op == "+":
		return KindTime, nil
	case a == KindTime && b == KindTime && e.op == "-",
		a == KindInterval && b == KindInterval && (e.op == "+" || e.op == "-"):
		return KindInterval, nil
	}
	return 0, errAt(e.tok, "cannot apply %s to %s and %s (%s)", e.op, a, b, e.String())
}

// arith evaluates an arithmetic operator. Integer division truncates, as
// in Trino; division or modulo by zero gives NULL rather than failing the
// whole scan.
func arith(op string, a, b Value) Value {
	if a.Kind == KindNull || b.Kind == KindNull {
		return Value{}
	}
	if a.Kind == KindFloat || b.Kind == KindFloat {
		x, y := a.float(), b.float()
		switch op {
		case "+":
			return FloatValue(x + y)
		case "-":
			return FloatValue(x - y)
		case "*":
			return FloatValue(x * y)
		case "/":
			if y == 0 {
				return Value{}
			}
			return FloatValue(x / y)
		case "%":
			if y == 0 {
				return Value{}
			}
			return FloatValue(x - y*float64(int64(x/y)))
		}
		return Value{}
	}
	kind := KindInt
	switch {
	case a.Kind == KindTime && b.Kind == KindTime:
		kind = KindInterval
	case a.Kind == KindTime || b.Kind == KindTime:
		kind = KindTime
	case a.Kind == KindInterval:
		kind = KindInterval
	}
	x, y := a.I, b.I
	switch op {
	case "+":
		return Value{Kind: kind, I: x + y}
	case "-":
		return Value{Kind: kind, I: x - y}
	case "*":
		return Value{Kind: kind, I: x * y}
	case "/":
		if y == 0 {
			return Value{}
		}
		return Value{Kind: kind, I: x / y}
	case "%":
		if y == 0 {
			return Value{}
		}
		return Value{Kind: kind, I: x % y}
	}
	return Value{}
}

func (c *compiler) like(e *likeExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	p, err := c.compile(e.pat)
	if err != nil {
		return nil, err
	}
	if err := wantKind(e.x, x, KindString); err != nil {
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
		return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
			v := xf(r)
			if v.Kind == KindNull {
				return v
			}
			return BoolValue(m.match(v.S) != neg)
		}}, nil
	}
	pf := p.fn
	return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
		v, pv := xf(r), pf(r)
		if v.Kind == KindNull || pv.Kind == KindNull {
			return Value{}
		}
		return BoolValue(compileLike(pv.S, esc).match(v.S) != neg)
	}}, nil
}

func (c *compiler) in(e *inExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	list := make([]*cexpr, len(e.list))
	for i, le := range e.list {
		if list[i], err = c.compile(le); err != nil {
			return nil, err
		}
		if list[i], err = coerceTo(le, list[i], x); err != nil {
			return nil, err
		}
		if err := comparable(e.tok, x, list[i]); err != nil {
			return nil, err
		}
	}
	xf, neg := x.fn, e.not
	return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
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
	}}, nil
}

func (c *compiler) cast(e *castExpr) (*cexpr, error) {
	x, err := c.compile(e.x)
	if err != nil {
		return nil, err
	}
	f := x.fn
	switch e.to {
	case "varchar", "string", "char":
		return &cexpr{kind: KindString, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull || v.Kind == KindString {
				return v
			}
			return Value{Kind: KindString, S: v.AppendText(nil)}
		}}, nil
	case "bigint", "integer", "int", "smallint", "tinyint":
		return &cexpr{kind: KindInt, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindInt:
				return v
			case KindFloat:
				return IntValue(int64(v.F))
			case KindBool, KindTime:
				return IntValue(v.I)
			case KindString:
				if n, err := strconv.ParseInt(strings.TrimSpace(string(v.S)), 10, 64); err == nil {
					return IntValue(n)
				}
			}
			return Value{}
		}}, nil
	case "double", "real", "decimal":
		return &cexpr{kind: KindFloat, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindInt, KindFloat:
				return FloatValue(v.float())
			case KindString:
				if n, err := strconv.ParseFloat(strings.TrimSpace(string(v.S)), 64); err == nil {
					return FloatValue(n)
				}
			}
			return Value{}
		}}, nil
	case "timestamp", "date":
		day := e.to == "date"
		return &cexpr{kind: KindTime, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			switch v.Kind {
			case KindTime:
			case KindString:
				var ok bool
				if v, ok = parseTimestampLiteral(string(v.S)); !ok {
					return Value{}
				}
			default:
				return Value{}
			}
			if day {
				v.I = dateTrunc("day", v.I)
			}
			return v
		}}, nil
	}
	return nil, errAt(e.tok, "unsupported CAST type %q", e.to)
}

// funcArity gives the accepted argument counts of scalar functions
// (-1: one or more).
var funcArity = map[string][2]int{
	"parse_datetime": {2, 2}, "from_iso8601_timestamp": {1, 1}, "date_trunc": {2, 2},
	"now": {0, 0}, "current_timestamp": {0, 0}, "lower": {1, 1}, "upper": {1, 1},
	"url_decode": {1, 1}, "regexp_like": {2, 2}, "coalesce": {1, 1 << 20}, "length": {1, 1},
}

func (c *compiler) call(e *callExpr) (*cexpr, error) {
	ar, ok := funcArity[e.name]
	if !ok {
		return nil, errAt(e.tok, "unknown function %s", e.name)
	}
	if e.star || e.distinct {
		return nil, errAt(e.tok, "%s is not an aggregate function", e.name)
	}
	if len(e.args) < ar[0] || len(e.args) > ar[1] {
		return nil, errAt(e.tok, "%s takes %d argument(s), got %d", e.name, ar[0], len(e.args))
	}
	args := make([]*cexpr, len(e.args))
	for i, a := range e.args {
		var err error
		if args[i], err = c.compile(a); err != nil {
			return nil, err
		}
	}
	str := func(i int) error { return wantKind(e.args[i], args[i], KindString) }
	switch e.name {
	case "now", "current_timestamp":
		return constExpr(TimeValue(c.now.Unix()), "now()"), nil
	case "parse_datetime":
		if !args[1].konst || args[1].val.Kind != KindString {
			return nil, errAt(e.args[1].pos(), "parse_datetime's format must be a string constant")
		}
		if args[0].kind == KindTime {
			// parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z'):
			// the column is already the typed timestamp.
			return args[0], nil
		}
		if err := str(0); err != nil {
			return nil, err
		}
		layout, ok := jodaLayout(string(args[1].val.S))
		if !ok {
			return nil, errAt(e.args[1].pos(), "unsupported parse_datetime format %s", e.args[1].String())
		}
		f := args[0].fn
		return &cexpr{kind: KindTime, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			t, err := time.Parse(layout, string(v.S))
			if err != nil {
				return Value{}
			}
			return TimeValue(t.Unix())
		}}, nil
	case "from_iso8601_timestamp":
		if args[0].kind == KindTime {
			return args[0], nil
		}
		if err := str(0); err != nil {
			return nil, err
		}
		f := args[0].fn
		return &cexpr{kind: KindTime, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			t, ok := parseTimestampLiteral(string(v.S))
			if !ok {
				return Value{}
			}
			return t
		}}, nil
	case "date_trunc":
		if !args[0].konst || args[0].val.Kind != KindString || !dateTruncUnits[strings.ToLower(string(args[0].val.S))] {
			return nil, errAt(e.args[0].pos(), "date_trunc's unit must be one of 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'")
		}
		if err := wantKind(e.args[1], args[1], KindTime); err != nil {
			return nil, err
		}
		unit, f := strings.ToLower(string(args[0].val.S)), args[1].fn
		return &cexpr{kind: KindTime, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			return TimeValue(dateTrunc(unit, v.I))
		}}, nil
	case "lower", "upper", "url_decode":
		if err := str(0); err != nil {
			return nil, err
		}
		f, name := args[0].fn, e.name
		return &cexpr{kind: KindString, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			switch name {
			case "lower":
				v.S = bytes.ToLower(v.S)
			case "upper":
				v.S = bytes.ToUpper(v.S)
			default:
				if bytes.IndexByte(v.S, '%') >= 0 || bytes.IndexByte(v.S, '+') >= 0 {
					// A malformed escape leaves the value as logged.
					if s, err := url.QueryUnescape(string(v.S)); err == nil {
						v.S = []byte(s)
					}
				}
			}
			return v
		}}, nil
	case "length":
		if err := str(0); err != nil {
			return nil, err
		}
		f := args[0].fn
		return &cexpr{kind: KindInt, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			return IntValue(int64(utf8.RuneCount(v.S)))
		}}, nil
	case "regexp_like":
		if err := str(0); err != nil {
			return nil, err
		}
		if !args[1].konst || args[1].val.Kind != KindString {
			return nil, errAt(e.args[1].pos(), "regexp_like's pattern must be a string constant")
		}
		re, err := regexp.Compile(string(args[1].val.S))
		if err != nil {
			return nil, errAt(e.args[1].pos(), "bad regular expression: %v", err)
		}
		f := args[0].fn
		return &cexpr{kind: KindBool, col: -1, fn: func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			return BoolValue(re.Match(v.S))
		}}, nil
	case "coalesce":
		kind := KindNull
		for i, a := range args {
			if kind == KindNull {
				kind = a.kind
			} else if a.kind != KindNull && a.kind != kind && !(isNumeric(a.kind) && isNumeric(kind)) {
				return nil, errAt(e.args[i].pos(), "coalesce arguments must have one type, found %s and %s", kind, a.kind)
			}
		}
		return &cexpr{kind: kind, col: -1, fn: func(r *rowCtx) Value {
			for _, a := range args {
				if v := a.fn(r); v.Kind != KindNull {
					return v
				}
			}
			return Value{}
		}}, nil
	}
	return nil, errAt(e.tok, "unknown function %s", e.name)
}

// aggregate registers an aggregate call (postMode only) and returns an
// expression reading its result.
func (c *compiler) aggregate(e *callExpr) (*cexpr, error) {
	if !c.aggOK || c.mode != postMode {
		where := c.aggWhere
		if where == "" {
			where = "here"
		}
		return nil, errAt(e.tok, "aggregate function %s is not allowed %s", e.name, where)
	}
	txt := e.String()
	for i, a := range c.aggs {
		if a.text == txt {
			return &cexpr{kind: a.kind, col: -1, text: txt, fn: func(r *rowCtx) Value { return r.aggs[i] }}, nil
		}
	}
	spec := &aggSpec{name: e.name, star: e.star, distinct: e.distinct, text: txt}
	ar := aggFuncs[e.name]
	if e.star {
		if e.name != "count" {
			return nil, errAt(e.tok, "%s(*) is not allowed; only count(*)", e.name)
		}
	} else if len(e.args) < ar[0] || len(e.args) > ar[1] {
		return nil, errAt(e.tok, "%s takes %d argument(s), got %d", e.name, ar[0], len(e.args))
	}
	// Arguments are evaluated per row, before aggregation.
	inner := *c
	inner.mode, inner.aggOK, inner.aggWhere = rowMode, false, "inside another aggregate"
	if len(e.args) > 0 {
		a, err := inner.compile(e.args[0])
		if err != nil {
			return nil, err
		}
		c.aggs = inner.aggs
		spec.arg = a
	}
	switch e.name {
	case "count", "approx_distinct":
		spec.kind = KindInt
	case "sum":
		if spec.arg.kind != KindNull && !isNumeric(spec.arg.kind) && spec.arg.kind != KindInterval {
			return nil, errAt(e.args[0].pos(), "sum needs a number, found %s (%s)", spec.arg.kind, e.args[0].String())
		}
		spec.kind = spec.arg.kind
	case "avg":
		if spec.arg.kind != KindNull && !isNumeric(spec.arg.kind) {
			return nil, errAt(e.args[0].pos(), "avg needs a number, found %s (%s)", spec.arg.kind, e.args[0].String())
		}
		spec.kind = KindFloat
	case "min", "max":
		spec.kind = spec.arg.kind
	case "approx_percentile":
		if !isNumeric(spec.arg.kind) && spec.arg.kind != KindNull {
			return nil, errAt(e.args[0].pos(), "approx_percentile needs a number, found %s", spec.arg.kind)
		}
		p, err := inner.compile(e.args[1])
		if err != nil {
			return nil, err
		}
		if !p.konst || !isNumeric(p.val.Kind) || p.val.float() < 0 || p.val.float() > 1 {
			return nil, errAt(e.args[1].pos(), "approx_percentile's percentage must be a constant between 0 and 1")
		}
		spec.p = p.val.float()
		spec.kind = spec.arg.kind
	}
	c.aggs = append(c.aggs, spec)
	i := len(c.aggs) - 1
	return &cexpr{kind: spec.kind, col: -1, text: txt, fn: func(r *rowCtx) Value { return r.aggs[i] }}, nil
}

// hasAggregate reports whether e contains an aggregate call.
func hasAggregate(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		if c, ok := x.(*callExpr); ok {
			if _, agg := aggFuncs[c.name]; agg {
				found = true
			}
		}
	})
	return found
}

func walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case *unaryExpr:
		walk(e.x, fn)
	case *binExpr:
		walk(e.l, fn)
		walk(e.r, fn)
	case *likeExpr:
		walk(e.x, fn)
		walk(e.pat, fn)
	case *inExpr:
		walk(e.x, fn)
		for _, x := range e.list {
			walk(x, fn)
		}
	case *betweenExpr:
		walk(e.x, fn)
		walk(e.lo, fn)
		walk(e.hi, fn)
	case *isNullExpr:
		walk(e.x, fn)
	case *callExpr:
		for _, x := range e.args {
			walk(x, fn)
		}
	case *castExpr:
		walk(e.x, fn)
	case *caseExpr:
		for i := range e.whens {
			walk(e.whens[i], fn)
			walk(e.thens[i], fn)
		}
		walk(e.els, fn)
	}
}
