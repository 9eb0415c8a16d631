package query

import (
	"math"
	"math/bits"
	"sort"
	"sync/atomic"
)

// aggFuncs lists the aggregate functions and their argument counts.
var aggFuncs = map[string][2]int{
	"count": {1, 1}, "sum": {1, 1}, "min": {1, 1}, "max": {1, 1}, "avg": {1, 1},
	"approx_distinct": {1, 1}, "approx_percentile": {2, 2},
}

// aggSpec is one aggregate call of a query.
type aggSpec struct {
	name     string
	star     bool
	distinct bool
	arg      *cexpr
	p        float64 // approx_percentile
	kind     Kind    // result kind
	text     string
}

// aggState accumulates one aggregate for one group. States of the same
// spec merge, so workers aggregate independently.
type aggState interface {
	add(v Value)
	merge(o aggState)
	result() Value
}

// newState returns an empty state; b (nil for none) is charged for each
// value a DISTINCT aggregate holds.
func (s *aggSpec) newState(b *budget) aggState {
	if s.distinct && s.name != "approx_distinct" && s.name != "min" && s.name != "max" {
		return &distinctAgg{spec: s, seen: map[string]Value{}, b: b}
	}
	return s.plainState()
}

func (s *aggSpec) plainState() aggState {
	switch s.name {
	case "count":
		if s.star {
			return &countStar{}
		}
		return &countAgg{}
	case "sum":
		return &sumAgg{}
	case "avg":
		return &avgAgg{}
	case "min":
		return &minMaxAgg{max: false}
	case "max":
		return &minMaxAgg{max: true}
	case "approx_distinct":
		return newHLL()
	case "approx_percentile":
		return &percentileAgg{p: s.p, sk: newSketch()}
	}
	panic("query: unknown aggregate " + s.name)
}

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

// sumAgg sums integers exactly (bigint, wrapping like Go on overflow) and
// doubles as doubles; the sum of no non-NULL values is NULL.
type sumAgg struct {
	any   bool
	float bool
	kind  Kind
	i     int64
	f     float64
}

func (a *sumAgg) add(v Value) {
	switch v.Kind {
	case KindNull:
		return
	case KindFloat:
		a.float = true
		a.f += v.F
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
		return FloatValue(a.f + float64(a.i))
	case a.kind == KindInterval:
		return IntervalValue(a.i)
	}
	return IntValue(a.i)
}

type avgAgg struct {
	n   int64
	sum float64
}

func (a *avgAgg) add(v Value) {
	if v.Kind == KindNull {
		return
	}
	a.n++
	a.sum += v.float()
}
func (a *avgAgg) merge(o aggState) { b := o.(*avgAgg); a.n += b.n; a.sum += b.sum }
func (a *avgAgg) result() Value {
	if a.n == 0 {
		return Value{}
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
	case KindFloat:
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

// take charges k (negative gives back).
func (b *budget) take(k int64) {
	if b != nil {
		b.n.Add(k)
	}
}

// over reports whether more than max is held.
func (b *budget) over() bool { return b != nil && b.max > 0 && b.n.Load() > b.max }
