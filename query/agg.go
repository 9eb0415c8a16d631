package query

import (
	"math"
	"math/bits"
	"sort"
	"sync/atomic"

	"github.com/s3logs/s3logs/parse"
)

// aggSpec is one aggregate call of a query.
type aggSpec struct {
	fn       *function
	star     bool
	distinct bool
	arg      *cexpr  // the first argument, evaluated per row
	arg2     *cexpr  // max_by and min_by: the ordering argument
	p        float64 // approx_percentile
	// counted: count(x) of a string column read as is from its log field
	// (field), which a scan of the logs counts where the field is not
	// NULL without reading the value (run.feed).
	counted bool
	field   parse.Field
	kind    Kind // result type
	prec    uint8
	scale   uint8
	text    string
}

// aggState accumulates one aggregate for one group. States of the same
// spec merge, so workers aggregate independently.
type aggState interface {
	add(v Value)
	merge(o aggState)
	result() Value
}

// pairState is an aggState fed two values per row (max_by, min_by).
type pairState interface {
	add2(v, by Value)
}

// feed2 adds the current row's two arguments to st (max_by, min_by); the
// scan's row loop adds one-argument aggregates itself.
func (s *aggSpec) feed2(st aggState, r *rowCtx) {
	st.(pairState).add2(s.arg.fn(r), s.arg2.fn(r))
}

// newState returns an empty state; b (nil for none) is charged for each
// value a DISTINCT aggregate holds.
func (s *aggSpec) newState(b *budget) aggState {
	switch {
	case !s.distinct:
	case s.fn.name == "approx_distinct", s.fn.name == "min", s.fn.name == "max", s.fn.name == "arbitrary", s.fn.name == "bool_or", s.fn.name == "bool_and":
		// DISTINCT changes nothing.
	default:
		return &distinctAgg{spec: s, seen: map[string]Value{}, b: b}
	}
	return s.plainState()
}

func (s *aggSpec) plainState() aggState { return s.fn.agg(s) }

type countStar struct{ n int64 }

func (a *countStar) add(Value)        { a.n++ }
func (a *countStar) merge(o aggState) { a.n += o.(*countStar).n }
func (a *countStar) result() Value    { return IntValue(a.n) }

type countAgg struct{ n int64 }

func (a *countAgg) add(v Value) {
	if v.Kind != KindNull {
		a.n++
	}
}
func (a *countAgg) merge(o aggState) { a.n += o.(*countAgg).n }
func (a *countAgg) result() Value    { return IntValue(a.n) }

// sumAgg sums integers exactly (bigint, wrapping like Go on overflow),
// decimals exactly at their scale (the result is decimal(38, s), NULL past
// 38 digits) and doubles as doubles; the sum of no non-NULL values is
// NULL.
type sumAgg struct {
	any   bool
	float bool
	kind  Kind
	scale uint8
	i     int64
	d     int128
	f     float64
}

func (a *sumAgg) add(v Value) {
	switch v.Kind {
	case KindNull:
		return
	case KindFloat:
		a.float = true
		a.f += v.F
	case KindDecimal:
		d, _ := rescale(v.dec(), v.scale, a.scale)
		a.d = a.d.add(d)
		a.kind = KindDecimal
	default:
		a.i += v.I
		a.kind = v.Kind
	}
	a.any = true
}

func (a *sumAgg) merge(o aggState) {
	b := o.(*sumAgg)
	if !b.any {
		return
	}
	a.any = true
	a.float = a.float || b.float
	a.i += b.i
	a.d = a.d.add(b.d)
	a.f += b.f
	if b.kind != 0 {
		a.kind = b.kind
	}
}

func (a *sumAgg) result() Value {
	switch {
	case !a.any:
		return Value{}
	case a.float:
		return FloatValue(a.f + float64(a.i) + a.d.float()/math.Pow10(int(a.scale)))
	case a.kind == KindDecimal:
		if !fitsPrec(a.d, 38) {
			return Value{}
		}
		return decValue(a.d, 38, a.scale)
	case a.kind == KindInterval:
		return IntervalValue(a.i)
	}
	return IntValue(a.i)
}

// avgAgg averages numbers: a double for integers and doubles, a decimal
// of the argument's type (rounded half away from zero) for decimals.
type avgAgg struct {
	spec *aggSpec
	n    int64
	sum  float64
	d    int128
}

func (a *avgAgg) add(v Value) {
	switch v.Kind {
	case KindNull:
		return
	case KindDecimal:
		d, _ := rescale(v.dec(), v.scale, a.spec.scale)
		a.d = a.d.add(d)
	default:
		a.sum += v.float()
	}
	a.n++
}

func (a *avgAgg) merge(o aggState) { b := o.(*avgAgg); a.n += b.n; a.sum += b.sum; a.d = a.d.add(b.d) }

func (a *avgAgg) result() Value {
	if a.n == 0 {
		return Value{}
	}
	if a.spec.kind == KindDecimal {
		return decValue(divRound(a.d, i128(a.n)), a.spec.prec, a.spec.scale)
	}
	return FloatValue(a.sum / float64(a.n))
}

type minMaxAgg struct {
	max bool
	v   Value
}

func (a *minMaxAgg) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	if a.v.Kind == KindNull {
		a.v = v.Clone()
		return
	}
	c := orderValues(v, a.v)
	if a.max && c > 0 || !a.max && c < 0 {
		if v.Kind == KindString && cap(a.v.S) >= len(v.S) {
			a.v.S = append(a.v.S[:0], v.S...)
			return
		}
		a.v = v.Clone()
	}
}
func (a *minMaxAgg) merge(o aggState) { a.add(o.(*minMaxAgg).v) }
func (a *minMaxAgg) result() Value    { return a.v }

type countIfAgg struct{ n int64 }

func (a *countIfAgg) add(v Value) {
	if v.truth() {
		a.n++
	}
}
func (a *countIfAgg) merge(o aggState) { a.n += o.(*countIfAgg).n }
func (a *countIfAgg) result() Value    { return IntValue(a.n) }

// byAgg is max_by(x, y) and min_by(x, y): the x of the row with the
// greatest (least) y; rows whose y is NULL do not count. Ties keep the
// smaller x, so the answer does not depend on the order rows arrive in.
type byAgg struct {
	max   bool
	any   bool
	v, by Value
}

func (a *byAgg) add(Value) { panic("query: max_by and min_by take two arguments") }

func (a *byAgg) add2(v, by Value) {
	if by.Kind == KindNull {
		return
	}
	if a.any {
		c := orderValues(by, a.by)
		if !a.max {
			c = -c
		}
		if c < 0 || c == 0 && orderValues(v, a.v) >= 0 {
			return
		}
	}
	a.any, a.v, a.by = true, v.Clone(), by.Clone()
}

func (a *byAgg) merge(o aggState) {
	if b := o.(*byAgg); b.any {
		a.add2(b.v, b.by)
	}
}
func (a *byAgg) result() Value { return a.v }

// boolAgg is bool_or (or) and bool_and: NULL over no non-NULL values.
type boolAgg struct {
	or  bool
	any bool
	v   bool
}

func (a *boolAgg) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	b := v.truth()
	switch {
	case !a.any:
		a.any, a.v = true, b
	case a.or:
		a.v = a.v || b
	default:
		a.v = a.v && b
	}
}

func (a *boolAgg) merge(o aggState) {
	if b := o.(*boolAgg); b.any {
		a.add(BoolValue(b.v))
	}
}

func (a *boolAgg) result() Value {
	if !a.any {
		return Value{}
	}
	return BoolValue(a.v)
}

// varianceAgg computes variance and standard deviation with Welford's
// method; states merge with Chan et al.'s formula.
type varianceAgg struct {
	sample, sqrt bool
	n            int64
	mean, m2     float64
}

func (a *varianceAgg) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	x := v.float()
	a.n++
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
}

func (a *varianceAgg) merge(o aggState) {
	b := o.(*varianceAgg)
	if b.n == 0 {
		return
	}
	n := a.n + b.n
	d := b.mean - a.mean
	a.m2 += b.m2 + d*d*float64(a.n)*float64(b.n)/float64(n)
	a.mean += d * float64(b.n) / float64(n)
	a.n = n
}

func (a *varianceAgg) result() Value {
	den := a.n
	if a.sample {
		den--
	}
	if den <= 0 {
		return Value{}
	}
	r := a.m2 / float64(den)
	if a.sqrt {
		r = math.Sqrt(r)
	}
	return FloatValue(r)
}

// distinctAgg collects the distinct non-NULL values of a group and feeds
// them to the plain aggregate at the end: count(DISTINCT x) is exact.
type distinctAgg struct {
	spec *aggSpec
	seen map[string]Value
	key  []byte
	b    *budget
}

func (a *distinctAgg) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	a.key = appendKey(a.key[:0], v)
	if _, ok := a.seen[string(a.key)]; !ok {
		a.seen[string(a.key)] = v.Clone()
		a.b.take(1)
	}
}

func (a *distinctAgg) merge(o aggState) {
	for k, v := range o.(*distinctAgg).seen {
		a.seen[k] = v
	}
}

func (a *distinctAgg) result() Value {
	s := a.spec.plainState()
	for _, v := range a.seen {
		s.add(v)
	}
	return s.result()
}

// hll is a HyperLogLog sketch with 2^12 registers: standard error
// 1.04/sqrt(4096) ≈ 1.6%, so approx_distinct is within about ±3.3% for
// 95% of inputs; small cardinalities use linear counting and are near
// exact. Sketches merge by taking register maxima, so workers combine
// without loss.
type hll struct {
	reg [1 << hllP]uint8
	key []byte
}

const hllP = 12

func newHLL() *hll { return &hll{} }

func (h *hll) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	h.key = appendKey(h.key[:0], v)
	x := hash64(h.key)
	idx := x >> (64 - hllP)
	w := x<<hllP | 1<<(hllP-1)
	rho := uint8(bits.LeadingZeros64(w)) + 1
	if rho > h.reg[idx] {
		h.reg[idx] = rho
	}
}

func (h *hll) merge(o aggState) {
	b := o.(*hll)
	for i, r := range b.reg {
		if r > h.reg[i] {
			h.reg[i] = r
		}
	}
}

func (h *hll) result() Value {
	m := float64(len(h.reg))
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	est := alpha * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return IntValue(int64(math.Round(est)))
}

// hash64 is FNV-1a with a murmur3 finaliser: deterministic across runs and
// workers, well mixed in the high bits HyperLogLog uses.
func hash64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// sketch is a mergeable quantile sketch in the manner of DDSketch:
// values fall into logarithmic buckets of ratio gamma = (1+α)/(1−α) with
// α = 1%, so any quantile it returns is within 1% relative error of a value
// at that rank. Zero and negative values have their own buckets.
type sketch struct {
	pos, neg map[int32]int64
	zero     int64
	n        int64
}

const sketchAlpha = 0.01

var sketchLogGamma = math.Log((1 + sketchAlpha) / (1 - sketchAlpha))

func newSketch() *sketch { return &sketch{pos: map[int32]int64{}, neg: map[int32]int64{}} }

func (s *sketch) add(x float64) {
	s.n++
	switch {
	case x > 0:
		s.pos[int32(math.Ceil(math.Log(x)/sketchLogGamma))]++
	case x < 0:
		s.neg[int32(math.Ceil(math.Log(-x)/sketchLogGamma))]++
	default:
		s.zero++
	}
}

func (s *sketch) merge(o *sketch) {
	for k, c := range o.pos {
		s.pos[k] += c
	}
	for k, c := range o.neg {
		s.neg[k] += c
	}
	s.zero += o.zero
	s.n += o.n
}

// quantile returns the value at quantile q in [0, 1], by the nearest-rank
// method; ok is false for an empty sketch.
func (s *sketch) quantile(q float64) (float64, bool) {
	if s.n == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(s.n)))
	if rank < 1 {
		rank = 1
	}
	value := func(k int32) float64 {
		// The bucket's representative value: 2γ^k/(γ+1), within α of
		// every value in (γ^(k-1), γ^k].
		g := math.Exp(sketchLogGamma)
		return 2 * math.Exp(float64(k)*sketchLogGamma) / (g + 1)
	}
	keys := func(m map[int32]int64, desc bool) []int32 {
		ks := make([]int32, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] != desc })
		return ks
	}
	var seen int64
	for _, k := range keys(s.neg, true) {
		if seen += s.neg[k]; seen >= rank {
			return -value(k), true
		}
	}
	if seen += s.zero; seen >= rank {
		return 0, true
	}
	for _, k := range keys(s.pos, false) {
		if seen += s.pos[k]; seen >= rank {
			return value(k), true
		}
	}
	return 0, false
}

type percentileAgg struct {
	p     float64
	sk    *sketch
	float bool
}

func (a *percentileAgg) add(v Value) {
	switch v.Kind {
	case KindNull:
		return
	case KindFloat, KindDecimal:
		a.float = true
	}
	a.sk.add(v.float())
}

func (a *percentileAgg) merge(o aggState) {
	b := o.(*percentileAgg)
	a.sk.merge(b.sk)
	a.float = a.float || b.float
}

func (a *percentileAgg) result() Value {
	q, ok := a.sk.quantile(a.p)
	switch {
	case !ok:
		return Value{}
	case a.float:
		return FloatValue(q)
	}
	return IntValue(int64(math.Round(q)))
}

// budget counts what a run holds in memory that grows with the data:
// GROUP BY groups, DISTINCT values and rows kept for ORDER BY. It is
// shared by the workers of one run and safe for concurrent use; a nil
// budget or a zero max is unlimited. Counts are charged per worker, so a
// value two workers both hold counts twice: the bound is conservative.
type budget struct {
	n   atomic.Int64
	max int64
}

// newBudget returns the budget for RunOptions.MaxGroups max (0: the
// default, negative: unlimited).
func newBudget(max int64) *budget {
	switch {
	case max == 0:
		return &budget{max: DefaultMaxGroups}
	case max < 0:
		return &budget{}
	}
	return &budget{max: max}
}

// take charges k (negative gives back).
func (b *budget) take(k int64) {
	if b != nil {
		b.n.Add(k)
	}
}

// over reports whether more than max is held.
func (b *budget) over() bool { return b != nil && b.max > 0 && b.n.Load() > b.max }

// aggregate registers an aggregate call (postMode only) and returns an
// expression reading its result.
func (c *compiler) aggregate(e *callExpr, f *function) (*cexpr, error) {
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
			return c.aggResult(i), nil
		}
	}
	// Arguments are evaluated per row, before aggregation.
	inner := *c
	inner.mode, inner.aggOK, inner.aggWhere, inner.match, inner.wins = rowMode, false, "inside another aggregate", nil, nil
	spec, err := inner.aggSpec(e, f)
	if err != nil {
		return nil, err
	}
	c.aggs = append(c.aggs, spec)
	return c.aggResult(len(c.aggs) - 1), nil
}

func (c *compiler) aggResult(i int) *cexpr {
	a := c.aggs[i]
	ce := typed(a.kind, func(r *rowCtx) Value { return r.aggs[i] })
	ce.prec, ce.scale, ce.text = a.prec, a.scale, a.text
	return ce
}

// filtered rewrites agg(x) FILTER (WHERE cond) as agg(CASE WHEN cond
// THEN x END), and count(*) FILTER (WHERE cond) as count(CASE WHEN cond
// THEN 1 END): every aggregate skips NULLs.
func filtered(e *callExpr) *callExpr {
	if e.filter == nil {
		return e
	}
	g := *e
	g.filter = nil
	if e.star {
		g.star = false
		g.args = []Expr{&caseExpr{tok: e.tok, whens: []Expr{e.filter}, thens: []Expr{&litExpr{tok: e.tok, v: IntValue(1)}}}}
		return &g
	}
	g.args = append([]Expr(nil), e.args...)
	if len(g.args) > 0 {
		g.args[0] = &caseExpr{tok: e.tok, whens: []Expr{e.filter}, thens: []Expr{e.args[0]}}
	}
	return &g
}

// aggSpec compiles an aggregate call's arguments, with c (in the mode
// the arguments are evaluated in), and its result type.
func (c *compiler) aggSpec(e *callExpr, f *function) (*aggSpec, error) {
	text := e.String()
	e = filtered(e)
	spec := &aggSpec{fn: f, star: e.star, distinct: e.distinct, text: text, kind: f.result}
	if e.star {
		if f.name != "count" {
			return nil, errAt(e.tok, "%s(*) is not allowed; only count(*)", e.name)
		}
		spec.kind = KindInt
		return spec, nil
	}
	if err := arity(e, f); err != nil {
		return nil, err
	}
	args, err := c.args(e, f)
	if err != nil {
		return nil, err
	}
	spec.arg = args[0]
	a := args[0]
	switch f.name {
	case "sum":
		switch {
		case a.kind == KindDecimal:
			spec.kind, spec.prec, spec.scale = KindDecimal, 38, a.scale
		case isNumeric(a.kind) || a.kind == KindInterval || a.kind == KindNull:
			spec.kind = a.kind
		default:
			return nil, errAt(e.args[0].pos(), "sum needs a number, found %s (%s)", typeString(a), e.args[0].String())
		}
	case "avg":
		spec.kind = KindFloat
		if a.kind == KindDecimal {
			spec.kind, spec.prec, spec.scale = KindDecimal, a.prec, a.scale
		}
	case "min", "max", "arbitrary":
		spec.kind, spec.prec, spec.scale = a.kind, a.prec, a.scale
	case "max_by", "min_by":
		spec.kind, spec.prec, spec.scale = a.kind, a.prec, a.scale
		spec.arg2 = args[1]
	case "approx_percentile":
		p := args[1]
		if !p.konst || !isNumeric(p.val.Kind) || p.val.float() < 0 || p.val.float() > 1 {
			return nil, errAt(e.args[1].pos(), "approx_percentile's percentage must be a constant between 0 and 1")
		}
		spec.p = p.val.float()
		spec.kind = KindInt
		if a.kind != KindInt {
			spec.kind = KindFloat
		}
	}
	return spec, nil
}
