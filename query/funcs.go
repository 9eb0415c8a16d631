package query

import (
	"bytes"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// funcKind says how a function is called.
type funcKind uint8

const (
	scalarFn    funcKind = iota // one value per row
	aggregateFn                 // one value per group (or per window frame with OVER)
	windowFn                    // only with OVER: row_number, rank, lag, ...
)

// argType is a declared parameter type; arguments are checked and
// converted to it when the call is compiled.
type argType uint8

const (
	aAny  argType = iota
	aStr          // varchar; a typed column is read as its text (SPEC §4)
	aInt          // bigint
	aNum          // bigint, decimal or double
	aTime         // timestamp or date; a string constant is read as a timestamp
	aBool         // boolean
	aUnit         // a string constant naming a time unit
)

// function declares one SQL function: its names, arity, parameter and
// result types and implementation. Scalar functions return NULL when an
// argument is NULL unless nulls is set. Exactly one of f1, f2, f3, fn,
// bind, agg or win implements it.
type function struct {
	name    string
	aliases []string
	kind    funcKind
	min     int
	max     int       // -1: any number
	args    []argType // the last repeats for variadic functions
	result  Kind      // KindNull: the type of the first argument with a type
	nulls   bool
	f1      func(a Value) Value
	f2      func(a, b Value) Value
	f3      func(a, b, c Value) Value
	fn      func(args []Value) Value
	// bind compiles calls whose constant arguments prepare state (a
	// pattern, a unit) or whose type depends on the arguments.
	bind func(c *compiler, e *callExpr, args []*cexpr) (*cexpr, error)
	agg  func(s *aggSpec) aggState
	win  winFunc
}

// functions is the function table (SPEC §4).
var functions = []*function{
	// Strings.
	{name: "lower", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: func(a Value) Value { return strVal(bytes.ToLower(a.S)) }},
	{name: "upper", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: func(a Value) Value { return strVal(bytes.ToUpper(a.S)) }},
	{name: "length", min: 1, max: 1, args: []argType{aStr}, result: KindInt, f1: func(a Value) Value { return IntValue(int64(utf8.RuneCount(a.S))) }},
	{name: "substr", aliases: []string{"substring"}, min: 2, max: 3, args: []argType{aStr, aInt, aInt}, result: KindString, fn: substr},
	{name: "strpos", min: 2, max: 3, args: []argType{aStr, aStr, aInt}, result: KindInt, fn: strpos},
	{name: "position", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindInt, f2: func(n, h Value) Value { return strpos([]Value{h, n}) }},
	{name: "split_part", min: 3, max: 3, args: []argType{aStr, aStr, aInt}, result: KindString, f3: splitPart},
	{name: "concat", min: 1, max: -1, args: []argType{aStr}, result: KindString, fn: func(args []Value) Value {
		var b []byte
		for _, a := range args {
			b = append(b, a.S...)
		}
		return strVal(b)
	}},
	{name: "replace", min: 2, max: 3, args: []argType{aStr, aStr, aStr}, result: KindString, fn: func(args []Value) Value {
		with := []byte(nil)
		if len(args) == 3 {
			with = args[2].S
		}
		return strVal(bytes.ReplaceAll(args[0].S, args[1].S, with))
	}},
	{name: "trim", min: 1, max: 2, args: []argType{aStr, aStr}, result: KindString, fn: trimmer(true, true)},
	{name: "ltrim", min: 1, max: 2, args: []argType{aStr, aStr}, result: KindString, fn: trimmer(true, false)},
	{name: "rtrim", min: 1, max: 2, args: []argType{aStr, aStr}, result: KindString, fn: trimmer(false, true)},
	{name: "lpad", min: 3, max: 3, args: []argType{aStr, aInt, aStr}, result: KindString, f3: func(s, n, p Value) Value { return pad(s, n, p, true) }},
	{name: "rpad", min: 3, max: 3, args: []argType{aStr, aInt, aStr}, result: KindString, f3: func(s, n, p Value) Value { return pad(s, n, p, false) }},
	{name: "reverse", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: func(a Value) Value {
		rs := []rune(string(a.S))
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return StringValue(string(rs))
	}},
	{name: "starts_with", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindBool, f2: func(a, b Value) Value { return BoolValue(bytes.HasPrefix(a.S, b.S)) }},
	{name: "ends_with", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindBool, f2: func(a, b Value) Value { return BoolValue(bytes.HasSuffix(a.S, b.S)) }},
	{name: "chr", min: 1, max: 1, args: []argType{aInt}, result: KindString, f1: func(a Value) Value {
		if a.I < 0 || a.I > unicode.MaxRune {
			return Value{}
		}
		return StringValue(string(rune(a.I)))
	}},
	{name: "codepoint", min: 1, max: 1, args: []argType{aStr}, result: KindInt, f1: func(a Value) Value {
		r, n := utf8.DecodeRune(a.S)
		if n == 0 || n != len(a.S) {
			return Value{}
		}
		return IntValue(int64(r))
	}},
	{name: "regexp_like", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindBool, bind: bindRegexp},
	{name: "regexp_extract", min: 2, max: 3, args: []argType{aStr, aStr, aInt}, result: KindString, bind: bindRegexp},
	{name: "regexp_replace", min: 2, max: 3, args: []argType{aStr, aStr, aStr}, result: KindString, bind: bindRegexp},
	{name: "regexp_count", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindInt, bind: bindRegexp},
	{name: "regexp_position", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindInt, bind: bindRegexp},
	{name: "url_decode", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: func(a Value) Value {
		if bytes.IndexByte(a.S, '%') < 0 && bytes.IndexByte(a.S, '+') < 0 {
			return a
		}
		// A malformed escape leaves the value as logged.
		if s, err := url.QueryUnescape(string(a.S)); err == nil {
			return StringValue(s)
		}
		return a
	}},
	{name: "url_encode", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlEncode},
	{name: "url_extract_path", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlPart(func(u *url.URL) (string, bool) { return u.Path, true })},
	{name: "url_extract_host", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlPart(func(u *url.URL) (string, bool) { return u.Hostname(), u.Host != "" })},
	{name: "url_extract_query", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlPart(func(u *url.URL) (string, bool) { return u.RawQuery, u.RawQuery != "" || u.ForceQuery })},
	{name: "url_extract_protocol", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlPart(func(u *url.URL) (string, bool) { return u.Scheme, u.Scheme != "" })},
	{name: "url_extract_fragment", min: 1, max: 1, args: []argType{aStr}, result: KindString, f1: urlPart(func(u *url.URL) (string, bool) { return u.Fragment, u.Fragment != "" })},
	{name: "url_extract_port", min: 1, max: 1, args: []argType{aStr}, result: KindInt, f1: func(a Value) Value {
		u, ok := parseURL(a.S)
		if !ok || u.Port() == "" {
			return Value{}
		}
		n, err := strconv.ParseInt(u.Port(), 10, 64)
		if err != nil {
			return Value{}
		}
		return IntValue(n)
	}},
	{name: "url_extract_parameter", min: 2, max: 2, args: []argType{aStr, aStr}, result: KindString, f2: urlParameter},

	// Time.
	{name: "parse_datetime", min: 2, max: 2, args: []argType{aAny, aStr}, result: KindTime, bind: bindParseDatetime},
	{name: "format_datetime", min: 2, max: 2, args: []argType{aTime, aStr}, result: KindString, bind: bindFormat(jodaPattern)},
	{name: "date_parse", min: 2, max: 2, args: []argType{aAny, aStr}, result: KindTime, bind: bindDateParse},
	{name: "date_format", min: 2, max: 2, args: []argType{aTime, aStr}, result: KindString, bind: bindFormat(mysqlPattern)},
	{name: "from_iso8601_timestamp", min: 1, max: 1, args: []argType{aAny}, result: KindTime, bind: bindFromISO(false)},
	{name: "from_iso8601_date", min: 1, max: 1, args: []argType{aAny}, result: KindDate, bind: bindFromISO(true)},
	{name: "to_iso8601", min: 1, max: 1, args: []argType{aTime}, result: KindString, f1: func(a Value) Value {
		if a.Kind == KindDate {
			return Value{Kind: KindString, S: a.AppendText(nil)}
		}
		return Value{Kind: KindString, S: a.Time().AppendFormat(nil, "2006-01-02T15:04:05.000Z")}
	}},
	{name: "from_unixtime", min: 1, max: 1, args: []argType{aNum}, result: KindTime, f1: func(a Value) Value {
		f := a.float()
		if math.IsNaN(f) || math.Abs(f) > 1e14 {
			return Value{}
		}
		return TimeValue(int64(math.Floor(f)))
	}},
	{name: "to_unixtime", min: 1, max: 1, args: []argType{aTime}, result: KindFloat, f1: func(a Value) Value { return FloatValue(float64(a.I)) }},
	{name: "date_trunc", min: 2, max: 2, args: []argType{aUnit, aTime}, result: KindNull, bind: bindDateTrunc},
	{name: "date_add", min: 3, max: 3, args: []argType{aUnit, aInt, aTime}, result: KindNull, bind: bindDateAdd},
	{name: "date_diff", min: 3, max: 3, args: []argType{aUnit, aTime, aTime}, result: KindInt, bind: bindDateDiff},
	{name: "date", min: 1, max: 1, args: []argType{aAny}, result: KindDate, bind: bindDate},
	{name: "last_day_of_month", min: 1, max: 1, args: []argType{aTime}, result: KindDate, f1: func(a Value) Value {
		t := a.Time()
		return DateValue(t.AddDate(0, 1, -t.Day()).Unix())
	}},
	{name: "year", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("year")},
	{name: "quarter", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("quarter")},
	{name: "month", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("month")},
	{name: "week", aliases: []string{"week_of_year"}, min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("week")},
	{name: "day", aliases: []string{"day_of_month"}, min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("day")},
	{name: "day_of_week", aliases: []string{"dow"}, min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("day_of_week")},
	{name: "day_of_year", aliases: []string{"doy"}, min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("day_of_year")},
	{name: "year_of_week", aliases: []string{"yow"}, min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("year_of_week")},
	{name: "hour", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("hour")},
	{name: "minute", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("minute")},
	{name: "second", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: timeField("second")},
	{name: "millisecond", min: 1, max: 1, args: []argType{aTime}, result: KindInt, f1: func(Value) Value { return IntValue(0) }},
	{name: "extract", min: 2, max: 2, args: []argType{aAny, aTime}, result: KindInt, bind: bindExtract},
	{name: "now", min: 0, max: 0, result: KindTime, bind: bindNow},
	{name: "current_timestamp", aliases: []string{"localtimestamp"}, min: 0, max: 0, result: KindTime, bind: bindNow},
	{name: "current_date", min: 0, max: 0, result: KindDate, bind: bindNow},
	{name: "at_timezone", aliases: []string{"with_timezone"}, min: 2, max: 2, args: []argType{aTime, aStr}, result: KindTime, bind: bindAtTimezone},
	{name: "current_timezone", min: 0, max: 0, result: KindString, bind: func(*compiler, *callExpr, []*cexpr) (*cexpr, error) {
		return constExpr(StringValue("UTC"), "current_timezone()"), nil
	}},

	// Conditionals and comparisons.
	{name: "coalesce", min: 1, max: -1, args: []argType{aAny}, nulls: true, bind: bindCoalesce},
	{name: "if", min: 2, max: 3, args: []argType{aBool, aAny, aAny}, nulls: true, bind: bindIf},
	{name: "nullif", min: 2, max: 2, args: []argType{aAny, aAny}, nulls: true, bind: bindNullif},
	{name: "greatest", min: 1, max: -1, args: []argType{aAny}, bind: bindExtreme(1)},
	{name: "least", min: 1, max: -1, args: []argType{aAny}, bind: bindExtreme(-1)},
	{name: "try", min: 1, max: 1, args: []argType{aAny}, nulls: true, bind: func(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) { return args[0], nil }},
	{name: "typeof", min: 1, max: 1, args: []argType{aAny}, nulls: true, bind: func(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
		return constExpr(StringValue(typeString(args[0])), e.String()), nil
	}},

	// Numbers.
	{name: "abs", min: 1, max: 1, args: []argType{aNum}, result: KindNull, f1: func(a Value) Value {
		switch a.Kind {
		case KindFloat:
			a.F = math.Abs(a.F)
		case KindDecimal:
			a = decValue(a.dec().abs(), a.prec, a.scale)
		default:
			if a.I < 0 {
				a.I = -a.I
			}
		}
		return a
	}},
	{name: "round", min: 1, max: 2, args: []argType{aNum, aInt}, result: KindNull, bind: bindRound},
	{name: "floor", min: 1, max: 1, args: []argType{aNum}, result: KindNull, bind: bindFloorCeil(math.Floor, -1)},
	{name: "ceil", aliases: []string{"ceiling"}, min: 1, max: 1, args: []argType{aNum}, result: KindNull, bind: bindFloorCeil(math.Ceil, 1)},
	{name: "truncate", min: 1, max: 1, args: []argType{aNum}, result: KindNull, bind: bindFloorCeil(math.Trunc, 0)},
	{name: "mod", min: 2, max: 2, args: []argType{aNum, aNum}, result: KindNull, bind: func(c *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
		return arithmetic(&binExpr{tok: e.tok, op: "%", l: e.args[0], r: e.args[1]}, args[0], args[1])
	}},
	{name: "sqrt", min: 1, max: 1, args: []argType{aNum}, result: KindFloat, f1: floatFn(math.Sqrt)},
	{name: "ln", min: 1, max: 1, args: []argType{aNum}, result: KindFloat, f1: floatFn(math.Log)},
	{name: "log10", min: 1, max: 1, args: []argType{aNum}, result: KindFloat, f1: floatFn(math.Log10)},
	{name: "log2", min: 1, max: 1, args: []argType{aNum}, result: KindFloat, f1: floatFn(math.Log2)},
	{name: "exp", min: 1, max: 1, args: []argType{aNum}, result: KindFloat, f1: floatFn(math.Exp)},
	{name: "power", aliases: []string{"pow"}, min: 2, max: 2, args: []argType{aNum, aNum}, result: KindFloat, f2: func(a, b Value) Value { return FloatValue(math.Pow(a.float(), b.float())) }},
	{name: "sign", min: 1, max: 1, args: []argType{aNum}, result: KindNull, f1: func(a Value) Value {
		s := compare(a, IntValue(0))
		switch a.Kind {
		case KindFloat:
			return FloatValue(float64(s))
		case KindDecimal:
			return decValue(i128(int64(s)), 1, 0)
		}
		return IntValue(int64(s))
	}},

	// Aggregates (SPEC §4); with OVER they are window aggregates.
	{name: "count", kind: aggregateFn, min: 1, max: 1, args: []argType{aAny}, result: KindInt, agg: func(s *aggSpec) aggState {
		if s.star {
			return &countStar{}
		}
		return &countAgg{}
	}},
	{name: "count_if", kind: aggregateFn, min: 1, max: 1, args: []argType{aBool}, result: KindInt, agg: func(*aggSpec) aggState { return &countIfAgg{} }},
	{name: "sum", kind: aggregateFn, min: 1, max: 1, args: []argType{aAny}, agg: func(s *aggSpec) aggState { return &sumAgg{scale: s.scale} }},
	{name: "avg", kind: aggregateFn, min: 1, max: 1, args: []argType{aNum}, agg: func(s *aggSpec) aggState { return &avgAgg{spec: s} }},
	{name: "min", kind: aggregateFn, min: 1, max: 1, args: []argType{aAny}, agg: func(*aggSpec) aggState { return &minMaxAgg{max: false} }},
	{name: "max", kind: aggregateFn, min: 1, max: 1, args: []argType{aAny}, agg: func(*aggSpec) aggState { return &minMaxAgg{max: true} }},
	// arbitrary keeps the least non-NULL value of the group, so that the
	// answer does not depend on which worker saw which row (Trino's choice
	// is arbitrary; any choice is right): it is min.
	{name: "arbitrary", aliases: []string{"any_value"}, kind: aggregateFn, min: 1, max: 1, args: []argType{aAny}, agg: func(*aggSpec) aggState { return &minMaxAgg{max: false} }},
	{name: "max_by", kind: aggregateFn, min: 2, max: 2, args: []argType{aAny, aAny}, agg: func(*aggSpec) aggState { return &byAgg{max: true} }},
	{name: "min_by", kind: aggregateFn, min: 2, max: 2, args: []argType{aAny, aAny}, agg: func(*aggSpec) aggState { return &byAgg{max: false} }},
	{name: "bool_or", kind: aggregateFn, min: 1, max: 1, args: []argType{aBool}, result: KindBool, agg: func(*aggSpec) aggState { return &boolAgg{or: true} }},
	{name: "bool_and", aliases: []string{"every"}, kind: aggregateFn, min: 1, max: 1, args: []argType{aBool}, result: KindBool, agg: func(*aggSpec) aggState { return &boolAgg{or: false} }},
	{name: "approx_distinct", kind: aggregateFn, min: 1, max: 2, args: []argType{aAny, aNum}, result: KindInt, agg: func(*aggSpec) aggState { return newHLL() }},
	{name: "approx_percentile", kind: aggregateFn, min: 2, max: 2, args: []argType{aNum, aNum}, agg: func(s *aggSpec) aggState { return &percentileAgg{p: s.p, sk: newSketch()} }},
	{name: "stddev", aliases: []string{"stddev_samp"}, kind: aggregateFn, min: 1, max: 1, args: []argType{aNum}, result: KindFloat, agg: func(*aggSpec) aggState { return &varianceAgg{sample: true, sqrt: true} }},
	{name: "stddev_pop", kind: aggregateFn, min: 1, max: 1, args: []argType{aNum}, result: KindFloat, agg: func(*aggSpec) aggState { return &varianceAgg{sqrt: true} }},
	{name: "variance", aliases: []string{"var_samp"}, kind: aggregateFn, min: 1, max: 1, args: []argType{aNum}, result: KindFloat, agg: func(*aggSpec) aggState { return &varianceAgg{sample: true} }},
	{name: "var_pop", kind: aggregateFn, min: 1, max: 1, args: []argType{aNum}, result: KindFloat, agg: func(*aggSpec) aggState { return &varianceAgg{} }},

	// Window functions.
	{name: "row_number", kind: windowFn, min: 0, max: 0, result: KindInt, win: winRowNumber},
	{name: "rank", kind: windowFn, min: 0, max: 0, result: KindInt, win: winRank},
	{name: "dense_rank", kind: windowFn, min: 0, max: 0, result: KindInt, win: winDenseRank},
	{name: "percent_rank", kind: windowFn, min: 0, max: 0, result: KindFloat, win: winPercentRank},
	{name: "cume_dist", kind: windowFn, min: 0, max: 0, result: KindFloat, win: winCumeDist},
	{name: "ntile", kind: windowFn, min: 1, max: 1, args: []argType{aInt}, result: KindInt, win: winNtile},
	{name: "lag", kind: windowFn, min: 1, max: 3, args: []argType{aAny, aInt, aAny}, win: winLag},
	{name: "lead", kind: windowFn, min: 1, max: 3, args: []argType{aAny, aInt, aAny}, win: winLead},
	{name: "first_value", kind: windowFn, min: 1, max: 1, args: []argType{aAny}, win: winFirstValue},
	{name: "last_value", kind: windowFn, min: 1, max: 1, args: []argType{aAny}, win: winLastValue},
	{name: "nth_value", kind: windowFn, min: 2, max: 2, args: []argType{aAny, aInt}, win: winNthValue},
}

// funcIndex finds a function by name or alias.
var funcIndex = func() map[string]*function {
	m := map[string]*function{}
	for _, f := range functions {
		m[f.name] = f
		for _, a := range f.aliases {
			m[a] = f
		}
	}
	return m
}()

func lookupFunc(name string) *function { return funcIndex[name] }

// funcNames lists every function name, for suggestions.
func funcNames() []string { return sortedKeys(funcIndex) }

func strVal(b []byte) Value { return Value{Kind: KindString, S: b} }

// call compiles a function call.
func (c *compiler) call(e *callExpr) (*cexpr, error) {
	f := lookupFunc(e.name)
	if f == nil {
		return nil, errAt(e.tok, "unknown function %s%s", e.name, suggest(e.name, funcNames()))
	}
	if e.over != nil {
		return c.windowCall(e, f)
	}
	switch f.kind {
	case aggregateFn:
		return c.aggregate(e, f)
	case windowFn:
		return nil, errAt(e.tok, "%s is a window function: it needs OVER (...)", e.name)
	}
	if e.star || e.distinct || e.filter != nil {
		return nil, errAt(e.tok, "%s is not an aggregate function", e.name)
	}
	if err := arity(e, f); err != nil {
		return nil, err
	}
	args, err := c.args(e, f)
	if err != nil {
		return nil, err
	}
	if f.bind != nil {
		return f.bind(c, e, args)
	}
	kind, prec, scale := f.result, uint8(0), uint8(0)
	if kind == KindNull {
		for _, a := range args {
			if a.kind != KindNull {
				kind, prec, scale = a.kind, a.prec, a.scale
				break
			}
		}
	}
	ce := typed(kind, scalarEval(f, args))
	ce.prec, ce.scale = prec, scale
	return ce, nil
}

func arity(e *callExpr, f *function) error {
	n := len(e.args)
	if n >= f.min && (f.max < 0 || n <= f.max) {
		return nil
	}
	want := strconv.Itoa(f.min)
	switch {
	case f.max < 0:
		want = "at least " + want
	case f.max != f.min:
		want += " to " + strconv.Itoa(f.max)
	}
	return errAt(e.tok, "%s takes %s argument(s), got %d", e.name, want, n)
}

// args compiles a call's arguments and checks them against the declared
// parameter types.
func (c *compiler) args(e *callExpr, f *function) ([]*cexpr, error) {
	args := make([]*cexpr, len(e.args))
	for i, a := range e.args {
		x, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		t := aAny
		if len(f.args) > 0 {
			t = f.args[min(i, len(f.args)-1)]
		}
		if args[i], err = checkArg(e, i, t, x); err != nil {
			return nil, err
		}
	}
	return args, nil
}

func checkArg(e *callExpr, i int, t argType, x *cexpr) (*cexpr, error) {
	a := e.args[i]
	bad := func(want string) (*cexpr, error) {
		return nil, errAt(a.pos(), "%s's argument %d must be %s, found %s (%s)", e.name, i+1, want, typeString(x), a.String())
	}
	switch t {
	case aStr:
		if s, ok := asText(x); ok {
			return s, nil
		}
		return bad("varchar")
	case aInt:
		if x.kind != KindInt && x.kind != KindNull {
			return bad("an integer")
		}
	case aNum:
		if !isNumeric(x.kind) && x.kind != KindNull {
			return bad("a number")
		}
	case aBool:
		if x.kind != KindBool && x.kind != KindNull {
			return bad("boolean")
		}
	case aTime:
		if isTemporal(x.kind) || x.kind == KindNull {
			return x, nil
		}
		if x.konst && x.kind == KindString {
			if v, ok := parseTimestampLiteral(string(x.val.S)); ok {
				return constExpr(v, x.text), nil
			}
		}
		return bad("a timestamp or date")
	case aUnit:
		if !x.konst || x.kind != KindString || timeUnit(string(x.val.S)) == "" {
			return nil, errAt(a.pos(), "%s's unit must be one of 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', found %s", e.name, a.String())
		}
	}
	return x, nil
}

// scalarEval builds the evaluator of a plain scalar function: evaluate
// the arguments, NULL in gives NULL out, then the implementation.
func scalarEval(f *function, args []*cexpr) evalFn {
	nulls := f.nulls
	switch {
	case f.f1 != nil && len(args) == 1:
		a, impl := args[0].fn, f.f1
		return func(r *rowCtx) Value {
			v := a(r)
			if v.Kind == KindNull && !nulls {
				return v
			}
			return impl(v)
		}
	case f.f2 != nil && len(args) == 2:
		a, b, impl := args[0].fn, args[1].fn, f.f2
		return func(r *rowCtx) Value {
			u, v := a(r), b(r)
			if (u.Kind == KindNull || v.Kind == KindNull) && !nulls {
				return Value{}
			}
			return impl(u, v)
		}
	case f.f3 != nil && len(args) == 3:
		a, b, cc, impl := args[0].fn, args[1].fn, args[2].fn, f.f3
		return func(r *rowCtx) Value {
			u, v, w := a(r), b(r), cc(r)
			if (u.Kind == KindNull || v.Kind == KindNull || w.Kind == KindNull) && !nulls {
				return Value{}
			}
			return impl(u, v, w)
		}
	}
	fns := make([]evalFn, len(args))
	for i, a := range args {
		fns[i] = a.fn
	}
	impl := f.fn
	return func(r *rowCtx) Value {
		// The arguments go on the row's stack of them (rowCtx.args), not
		// in a slice of their own per row: an argument that is itself
		// such a call pushes its own above them and pops them before it
		// returns.
		base := len(r.args)
		for _, fn := range fns {
			v := fn(r)
			if v.Kind == KindNull && !nulls {
				r.args = r.args[:base]
				return Value{}
			}
			r.args = append(r.args, v)
		}
		v := impl(r.args[base:])
		r.args = r.args[:base]
		return v
	}
}

// runeOffset returns the byte offset of the n-th (0-based) character of s,
// or len(s) past the end.
func runeOffset(s []byte, n int64) int {
	off := 0
	for ; n > 0 && off < len(s); n-- {
		_, w := utf8.DecodeRune(s[off:])
		off += w
	}
	return off
}

// substr is Trino's substr(s, start[, length]): 1-based start, a
// negative start counts from the end, 0 or past the end gives ”.
func substr(args []Value) Value {
	s, start := args[0].S, args[1].I
	n := int64(utf8.RuneCount(s))
	length := n
	if len(args) == 3 {
		length = args[2].I
		if length < 0 {
			return Value{}
		}
	}
	if start < 0 {
		start = n + start + 1
	}
	if start <= 0 || start > n || length == 0 {
		return Value{Kind: KindString, S: []byte{}}
	}
	from := runeOffset(s, start-1)
	end := from + runeOffset(s[from:], length)
	return strVal(s[from:end:end])
}

// strpos is strpos(s, sub[, instance]): the 1-based character position
// of the instance-th occurrence (from the end when negative), 0 if none.
func strpos(args []Value) Value {
	s, sub := args[0].S, args[1].S
	inst := int64(1)
	if len(args) == 3 {
		inst = args[2].I
		if inst == 0 {
			return Value{}
		}
	}
	pos := -1
	if inst > 0 {
		off := 0
		for ; inst > 0; inst-- {
			i := bytes.Index(s[off:], sub)
			if i < 0 {
				return IntValue(0)
			}
			pos = off + i
			off = pos + max(1, len(sub))
			if off > len(s) && inst > 1 {
				return IntValue(0)
			}
		}
	} else {
		end := len(s)
		for ; inst < 0; inst++ {
			i := bytes.LastIndex(s[:end], sub)
			if i < 0 {
				return IntValue(0)
			}
			pos = i
			end = i + len(sub) - 1
			if end < 0 {
				end = 0
			}
		}
	}
	return IntValue(int64(utf8.RuneCount(s[:pos])) + 1)
}

// splitPart is split_part(s, delim, index): 1-based, NULL past the last
// field (and for an index below 1, which Trino rejects).
func splitPart(s, d, idx Value) Value {
	n := idx.I
	if n < 1 {
		return Value{}
	}
	b := s.S
	if len(d.S) == 0 {
		if n == 1 {
			return s
		}
		return Value{}
	}
	for ; n > 1; n-- {
		i := bytes.Index(b, d.S)
		if i < 0 {
			return Value{}
		}
		b = b[i+len(d.S):]
	}
	if i := bytes.Index(b, d.S); i >= 0 {
		b = b[:i:i]
	}
	return strVal(b)
}

// trimmer builds trim, ltrim and rtrim: whitespace, or the characters
// of the second argument.
func trimmer(left, right bool) func([]Value) Value {
	return func(args []Value) Value {
		s := args[0].S
		if len(args) == 2 {
			set := string(args[1].S)
			f := func(r rune) bool { return strings.ContainsRune(set, r) }
			if left {
				s = bytes.TrimLeftFunc(s, f)
			}
			if right {
				s = bytes.TrimRightFunc(s, f)
			}
			return strVal(s)
		}
		if left {
			s = bytes.TrimLeftFunc(s, unicode.IsSpace)
		}
		if right {
			s = bytes.TrimRightFunc(s, unicode.IsSpace)
		}
		return strVal(s)
	}
}

// pad is lpad/rpad: pad s to n characters with p, or cut it to n.
func pad(s, n, p Value, left bool) Value {
	size := n.I
	if size < 0 || len(p.S) == 0 || size > 1<<20 {
		return Value{}
	}
	rs := []rune(string(s.S))
	if int64(len(rs)) >= size {
		return StringValue(string(rs[:size]))
	}
	prs := []rune(string(p.S))
	fill := make([]rune, 0, size-int64(len(rs)))
	for i := 0; int64(len(fill)) < size-int64(len(rs)); i++ {
		fill = append(fill, prs[i%len(prs)])
	}
	if left {
		return StringValue(string(fill) + string(rs))
	}
	return StringValue(string(rs) + string(fill))
}

// urlEncode is Java's URLEncoder, as Trino's url_encode: letters, digits
// and . - * _ stay, space is +, everything else %XX of its UTF-8 bytes.
func urlEncode(a Value) Value {
	var b []byte
	for _, c := range a.S {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '*' || c == '_':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
	}
	return strVal(b)
}

func parseURL(s []byte) (*url.URL, bool) {
	if bytes.ContainsAny(s, " \t\n") {
		return nil, false
	}
	u, err := url.Parse(string(s))
	return u, err == nil
}

func urlPart(part func(*url.URL) (string, bool)) func(Value) Value {
	return func(a Value) Value {
		u, ok := parseURL(a.S)
		if !ok {
			return Value{}
		}
		s, ok := part(u)
		if !ok {
			return Value{}
		}
		return StringValue(s)
	}
}

// urlParameter is url_extract_parameter(url, name): the first value of
// the query parameter, decoded; NULL when absent.
func urlParameter(a, name Value) Value {
	u, ok := parseURL(a.S)
	if !ok {
		return Value{}
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == string(name.S) {
			if dv, err := url.QueryUnescape(v); err == nil {
				return StringValue(dv)
			}
			return StringValue(v)
		}
	}
	return Value{}
}

func floatFn(f func(float64) float64) func(Value) Value {
	return func(a Value) Value { return FloatValue(f(a.float())) }
}

func roundHalfAway(f float64) float64 { return math.Round(f) }

// bindRound compiles round(x[, d]): half away from zero. A decimal
// rounded to an integer is decimal(p - s + min(s, 1), 0), as in Trino;
// every other form keeps x's type.
func bindRound(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) {
	x := args[0]
	ce := typed(x.kind, scalarEval(&function{fn: round}, args))
	ce.prec, ce.scale = x.prec, x.scale
	if x.kind == KindDecimal && len(args) == 1 {
		ce.prec, ce.scale = uint8(int(x.prec)-int(x.scale)+min(int(x.scale), 1)), 0
		p, f := ce.prec, ce.fn
		ce.fn = func(r *rowCtx) Value {
			v := f(r)
			if v.Kind != KindDecimal {
				return v
			}
			q, _ := rescale(v.dec(), v.scale, 0)
			return decValue(q, p, 0)
		}
	}
	return ce, nil
}

// round is round(x[, d]): half away from zero, keeping x's type.
func round(args []Value) Value {
	x := args[0]
	d := int64(0)
	if len(args) == 2 {
		d = args[1].I
	}
	switch x.Kind {
	case KindFloat:
		if d > 300 || math.IsNaN(x.F) || math.IsInf(x.F, 0) {
			return x
		}
		p := math.Pow10(int(d))
		return FloatValue(math.Round(x.F*p) / p)
	case KindDecimal:
		if d >= int64(x.scale) {
			return x
		}
		drop := uint8(int64(x.scale) - max(d, -38))
		if drop > 38 {
			return decValue(int128{}, x.prec, x.scale)
		}
		r := divRound(x.dec(), pow10s[drop])
		r, _ = r.mul(pow10s[drop])
		return decValue(r, x.prec, x.scale)
	case KindInt:
		if d >= 0 {
			return x
		}
		if d < -18 {
			return IntValue(0)
		}
		p := int64(math.Pow10(int(-d)))
		q := x.I / p
		if r := x.I % p; 2*abs64(r) >= p {
			if x.I < 0 {
				q--
			} else {
				q++
			}
		}
		return IntValue(q * p)
	}
	return x
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// bindFloorCeil compiles floor (dir -1), ceil (1) and truncate (0): a
// decimal keeps its integer digits at scale 0, integers stay, doubles
// stay doubles.
func bindFloorCeil(op func(float64) float64, dir int) func(*compiler, *callExpr, []*cexpr) (*cexpr, error) {
	return func(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) {
		x := args[0]
		f := x.fn
		switch x.kind {
		case KindInt, KindNull:
			return x, nil
		case KindFloat:
			return typed(KindFloat, func(r *rowCtx) Value {
				v := f(r)
				if v.Kind == KindNull {
					return v
				}
				return FloatValue(op(v.F))
			}), nil
		}
		// Trino: floor and ceiling are decimal(p - s + min(s, 1), 0),
		// truncate decimal(max(1, p - s), 0).
		p := uint8(int(x.prec) - int(x.scale) + min(int(x.scale), 1))
		if dir == 0 {
			p = uint8(max(1, int(x.prec)-int(x.scale)))
		}
		ce := typed(KindDecimal, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			d := v.dec()
			q, rem := divModU(d.abs(), pow10s[v.scale])
			if d.isNeg() {
				q = q.neg()
			}
			if !rem.isZero() {
				switch {
				case dir > 0 && !d.isNeg():
					q = q.add(i128(1))
				case dir < 0 && d.isNeg():
					q = q.sub(i128(1))
				}
			}
			return decValue(q, p, 0)
		})
		ce.prec = p
		return ce, nil
	}
}

// bindCoalesce compiles coalesce: the first non-NULL argument, in the
// arguments' common type.
func bindCoalesce(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	kind, prec, scale, fns, err := coerced(e.args, args)
	if err != nil {
		return nil, err
	}
	ce := typed(kind, func(r *rowCtx) Value {
		for _, f := range fns {
			if v := f(r); v.Kind != KindNull {
				return v
			}
		}
		return Value{}
	})
	ce.prec, ce.scale = prec, scale
	return ce, nil
}

// bindIf compiles if(cond, then[, else]).
func bindIf(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	kind, prec, scale, fns, err := coerced(e.args[1:], args[1:])
	if err != nil {
		return nil, err
	}
	cond := args[0].fn
	ce := typed(kind, func(r *rowCtx) Value {
		if cond(r).truth() {
			return fns[0](r)
		}
		if len(fns) > 1 {
			return fns[1](r)
		}
		return Value{}
	})
	ce.prec, ce.scale = prec, scale
	return ce, nil
}

// bindNullif compiles nullif(a, b): NULL when a = b, else a.
func bindNullif(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	a, b, err := unify(e.tok, e.args[0], args[0], e.args[1], args[1])
	if err != nil {
		return nil, err
	}
	af, bf, orig := a.fn, b.fn, args[0].fn
	ce := typed(args[0].kind, func(r *rowCtx) Value {
		u, v := af(r), bf(r)
		if u.Kind != KindNull && v.Kind != KindNull && compare(u, v) == 0 {
			return Value{}
		}
		return orig(r)
	})
	ce.prec, ce.scale = args[0].prec, args[0].scale
	return ce, nil
}

// bindExtreme compiles greatest (sign 1) and least (-1): NULL if any
// argument is NULL, as in Trino.
func bindExtreme(sign int) func(*compiler, *callExpr, []*cexpr) (*cexpr, error) {
	return func(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
		kind, prec, scale, fns, err := coerced(e.args, args)
		if err != nil {
			return nil, err
		}
		ce := typed(kind, func(r *rowCtx) Value {
			var best Value
			for i, f := range fns {
				v := f(r)
				if v.Kind == KindNull {
					return Value{}
				}
				if i == 0 || compare(v, best)*sign > 0 {
					best = v
				}
			}
			return best
		})
		ce.prec, ce.scale = prec, scale
		return ce, nil
	}
}

// Regular expressions are Java's in Trino and RE2 here. Patterns that
// mean the same in both compile as they are; the Java-only constructs are
// an error that says so rather than a different answer.
var javaOnlyRegexp = []struct{ re, what string }{
	{`\(\?<?[=!]`, "lookahead or lookbehind"},
	{`\(\?>`, "atomic groups"},
	{`(^|[^\\])\\[1-9]`, "backreferences"},
	{`[*+?}][+]`, "possessive quantifiers"},
	{`\\[GZ]`, `\G or \Z`},
}

var javaOnlyRegexpRE = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(javaOnlyRegexp))
	for i, j := range javaOnlyRegexp {
		out[i] = regexp.MustCompile(j.re)
	}
	return out
}()

// compileJavaRegexp compiles a Java regular expression with RE2.
func compileJavaRegexp(e Expr, pat string) (*regexp.Regexp, error) {
	for i, j := range javaOnlyRegexpRE {
		if j.MatchString(pat) {
			return nil, errAt(e.pos(), "regular expression %s uses %s, which Go's RE2 engine cannot run; rewrite it without", e.String(), javaOnlyRegexp[i].what)
		}
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, errAt(e.pos(), "bad regular expression: %v", err)
	}
	return re, nil
}

// javaReplacement turns a Java replacement string ($1, ${name}, \$) into
// a Go regexp template.
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// bindRegexp compiles the regexp_ functions with a constant pattern.
func bindRegexp(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	if !args[1].konst || args[1].kind != KindString {
		return nil, errAt(e.args[1].pos(), "%s's pattern must be a string constant", e.name)
	}
	re, err := compileJavaRegexp(e.args[1], string(args[1].val.S))
	if err != nil {
		return nil, err
	}
	s := args[0].fn
	switch e.name {
	case "regexp_like":
		return typed(KindBool, func(r *rowCtx) Value {
			v := s(r)
			if v.Kind == KindNull {
				return v
			}
			return BoolValue(re.Match(v.S))
		}), nil
	case "regexp_count":
		return typed(KindInt, func(r *rowCtx) Value {
			v := s(r)
			if v.Kind == KindNull {
				return v
			}
			return IntValue(int64(len(re.FindAllIndex(v.S, -1))))
		}), nil
	case "regexp_position":
		return typed(KindInt, func(r *rowCtx) Value {
			v := s(r)
			if v.Kind == KindNull {
				return v
			}
			loc := re.FindIndex(v.S)
			if loc == nil {
				return IntValue(-1)
			}
			return IntValue(int64(utf8.RuneCount(v.S[:loc[0]])) + 1)
		}), nil
	case "regexp_extract":
		group := func(*rowCtx) Value { return IntValue(0) }
		if len(args) == 3 {
			if args[2].konst && args[2].val.Kind == KindInt && (args[2].val.I < 0 || int(args[2].val.I) > re.NumSubexp()) {
				return nil, errAt(e.args[2].pos(), "pattern has %d groups, cannot extract group %d", re.NumSubexp(), args[2].val.I)
			}
			group = args[2].fn
		}
		return typed(KindString, func(r *rowCtx) Value {
			v, g := s(r), group(r)
			if v.Kind == KindNull || g.Kind == KindNull || g.I < 0 || int(g.I) > re.NumSubexp() {
				return Value{}
			}
			m := re.FindSubmatchIndex(v.S)
			if m == nil || m[2*g.I] < 0 {
				return Value{}
			}
			return strVal(v.S[m[2*g.I]:m[2*g.I+1]])
		}), nil
	}
	// regexp_replace
	with := func(*rowCtx) Value { return StringValue("") }
	if len(args) == 3 {
		with = args[2].fn
	}
	return typed(KindString, func(r *rowCtx) Value {
		v, w := s(r), with(r)
		if v.Kind == KindNull || w.Kind == KindNull {
			return Value{}
		}
		return strVal(re.ReplaceAll(v.S, []byte(javaReplacement(string(w.S)))))
	}), nil
}
