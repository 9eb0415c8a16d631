package query

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// DECIMAL follows Trino: a value has a precision (1–38 digits) and a
// scale (digits after the point), arithmetic is exact, and each operator's
// result type comes from its operands' types:
//
//	a + b, a - b   precision min(38, max(p1-s1, p2-s2) + max(s1, s2) + 1), scale max(s1, s2)
//	a * b          precision min(38, p1 + p2),                          scale s1 + s2
//	a / b          precision min(38, p1 + s2 + max(0, s2 - s1)),         scale max(s1, s2)
//	a % b          precision min(p1-s1, p2-s2) + max(s1, s2),           scale max(s1, s2)
//
// Division rounds half away from zero at the result scale. An integer
// operand counts as decimal(19, 0), as a bigint does in Trino; a double
// operand makes the result a double. A result that does not fit its
// precision is NULL (Trino fails the query), as division by zero is.
//
// The unscaled value is a 128-bit integer: 38 digits fit.

// int128 is a two's-complement 128-bit integer.
type int128 struct {
	hi int64
	lo uint64
}

func i128(n int64) int128 { return int128{hi: n >> 63, lo: uint64(n)} }

func (a int128) neg() int128 {
	lo, borrow := bits.Sub64(0, a.lo, 0)
	hi, _ := bits.Sub64(0, uint64(a.hi), borrow)
	return int128{hi: int64(hi), lo: lo}
}

func (a int128) isNeg() bool  { return a.hi < 0 }
func (a int128) isZero() bool { return a.hi == 0 && a.lo == 0 }

func (a int128) abs() int128 {
	if a.isNeg() {
		return a.neg()
	}
	return a
}

func (a int128) add(b int128) int128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(uint64(a.hi), uint64(b.hi), c)
	return int128{hi: int64(hi), lo: lo}
}

func (a int128) sub(b int128) int128 { return a.add(b.neg()) }

func (a int128) cmp(b int128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// fitsInt64 reports whether a is an int64.
func (a int128) fitsInt64() bool { return a.hi == int64(a.lo)>>63 }

// mulU multiplies magnitudes; ok is false past 128 bits.
func mulU(a, b int128) (int128, bool) {
	// a and b are non-negative here.
	if a.hi != 0 && b.hi != 0 {
		return int128{}, false
	}
	h1, l1 := bits.Mul64(a.lo, b.lo)
	h2, l2 := bits.Mul64(uint64(a.hi), b.lo)
	h3, l3 := bits.Mul64(a.lo, uint64(b.hi))
	if h2 != 0 || h3 != 0 {
		return int128{}, false
	}
	hi, c := bits.Add64(h1, l2, 0)
	if c != 0 {
		return int128{}, false
	}
	hi, c = bits.Add64(hi, l3, 0)
	if c != 0 || int64(hi) < 0 {
		return int128{}, false
	}
	return int128{hi: int64(hi), lo: l1}, true
}

func (a int128) mul(b int128) (int128, bool) {
	neg := a.isNeg() != b.isNeg()
	p, ok := mulU(a.abs(), b.abs())
	if !ok {
		return int128{}, false
	}
	if neg {
		p = p.neg()
	}
	return p, true
}

// divModU divides magnitudes (b > 0).
func divModU(a, b int128) (q, r int128) {
	if b.hi == 0 {
		if uint64(a.hi) < b.lo {
			ql, rl := bits.Div64(uint64(a.hi), a.lo, b.lo)
			return int128{lo: ql}, int128{lo: rl}
		}
		qh, rh := uint64(a.hi)/b.lo, uint64(a.hi)%b.lo
		ql, rl := bits.Div64(rh, a.lo, b.lo)
		return int128{hi: int64(qh), lo: ql}, int128{lo: rl}
	}
	// Long division, one bit at a time: only for divisors past 64 bits.
	for i := 127; i >= 0; i-- {
		r = r.shl1()
		if a.bit(i) {
			r.lo |= 1
		}
		if r.cmp(b) >= 0 {
			r = r.sub(b)
			q = q.setBit(i)
		}
	}
	return q, r
}

func (a int128) shl1() int128 { return int128{hi: a.hi<<1 | int64(a.lo>>63), lo: a.lo << 1} }

func (a int128) bit(i int) bool {
	if i >= 64 {
		return uint64(a.hi)>>(i-64)&1 == 1
	}
	return a.lo>>i&1 == 1
}

func (a int128) setBit(i int) int128 {
	if i >= 64 {
		a.hi |= 1 << (i - 64)
	} else {
		a.lo |= 1 << i
	}
	return a
}

// divRound divides a by b (b ≠ 0), rounding half away from zero.
func divRound(a, b int128) int128 {
	neg := a.isNeg() != b.isNeg()
	ua, ub := a.abs(), b.abs()
	q, r := divModU(ua, ub)
	// Round up when 2r >= b.
	if r.shl1().cmp(ub) >= 0 {
		q = q.add(i128(1))
	}
	if neg {
		q = q.neg()
	}
	return q
}

// pow10s[i] is 10^i, for i in [0, 38].
var pow10s = func() [39]int128 {
	var t [39]int128
	t[0] = i128(1)
	for i := 1; i < len(t); i++ {
		t[i], _ = t[i-1].mul(i128(10))
	}
	return t
}()

// fitsPrec reports whether a has at most p digits.
func fitsPrec(a int128, p uint8) bool { return a.abs().cmp(pow10s[min(p, 38)]) < 0 }

// rescale changes a's scale from `from` to `to`, rounding half away from
// zero when digits are dropped.
func rescale(a int128, from, to uint8) (int128, bool) {
	switch {
	case to == from:
		return a, true
	case to > from:
		if to-from > 38 {
			return int128{}, false
		}
		return a.mul(pow10s[to-from])
	}
	if from-to > 38 {
		return int128{}, true
	}
	return divRound(a, pow10s[from-to]), true
}

func (a int128) float() float64 {
	if a.fitsInt64() {
		return float64(int64(a.lo))
	}
	neg := a.isNeg()
	u := a.abs()
	f := float64(uint64(u.hi))*(1<<64) + float64(u.lo)
	if neg {
		return -f
	}
	return f
}

func (a int128) big() *big.Int {
	u := a.abs()
	b := new(big.Int).SetUint64(uint64(u.hi))
	b.Lsh(b, 64)
	b.Or(b, new(big.Int).SetUint64(u.lo))
	if a.isNeg() {
		b.Neg(b)
	}
	return b
}

// appendDecimal appends the unscaled value a with scale digits after the
// point, as Trino prints a DECIMAL: 12.30, 0.05, -1.5.
func appendDecimal(dst []byte, a int128, scale uint8) []byte {
	var digits []byte
	if a.fitsInt64() {
		n := int64(a.lo)
		if n < 0 {
			dst = append(dst, '-')
			digits = strconv.AppendUint(nil, uint64(-n), 10)
		} else {
			digits = strconv.AppendUint(nil, uint64(n), 10)
		}
	} else {
		s := a.big().String()
		if s[0] == '-' {
			dst = append(dst, '-')
			s = s[1:]
		}
		digits = []byte(s)
	}
	if scale == 0 {
		return append(dst, digits...)
	}
	for len(digits) <= int(scale) {
		digits = append([]byte{'0'}, digits...)
	}
	cut := len(digits) - int(scale)
	dst = append(dst, digits[:cut]...)
	dst = append(dst, '.')
	return append(dst, digits[cut:]...)
}

// parseDecimal reads text such as "-12.50" into its unscaled value, its
// digit count and its scale; ok is false for anything else or past 38
// digits.
func parseDecimal(s string) (a int128, prec, scale uint8, ok bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	digits, seenDot, any := 0, false, false
	ten := i128(10)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !seenDot:
			seenDot = true
		case c >= '0' && c <= '9':
			any = true
			digits++
			if digits > 38 {
				return int128{}, 0, 0, false
			}
			a, _ = a.mul(ten)
			a = a.add(i128(int64(c - '0')))
			if seenDot {
				scale++
			}
		default:
			return int128{}, 0, 0, false
		}
	}
	if !any {
		return int128{}, 0, 0, false
	}
	if neg {
		a = a.neg()
	}
	return a, uint8(max(digits, 1)), scale, true
}

// parseDecimalLiteral reads a DECIMAL literal's text (1.0, 1073741824.0):
// its precision is its digit count, its scale the digits after the point.
func parseDecimalLiteral(s string) (Value, bool) {
	a, p, sc, ok := parseDecimal(s)
	if !ok {
		return Value{}, false
	}
	return decValue(a, p, sc), true
}

// decValue returns a DECIMAL(prec, scale) value with unscaled value a.
func decValue(a int128, prec, scale uint8) Value {
	return Value{Kind: KindDecimal, prec: prec, scale: scale, I: int64(a.lo), F: math.Float64frombits(uint64(a.hi))}
}

// dec returns the unscaled value of a DECIMAL value, or an integer as one
// of scale 0.
//
// A DECIMAL keeps the low 64 bits of its unscaled value in I and the high
// 64 bits in the bits of F, which decimals do not otherwise use: Values
// stay 48 bytes, the size every row of every query pays for.
func (v Value) dec() int128 {
	if v.Kind == KindDecimal {
		return int128{hi: int64(math.Float64bits(v.F)), lo: uint64(v.I)}
	}
	return i128(v.I)
}

// decType returns the precision and scale of a number's decimal view: its
// own for a DECIMAL, (19, 0) for an integer (a bigint).
func decType(k Kind, prec, scale uint8) (uint8, uint8) {
	if k == KindDecimal {
		return prec, scale
	}
	return 19, 0
}

// decResult is the result type of a DECIMAL arithmetic operator (see the
// table above).
func decResult(op string, p1, s1, p2, s2 uint8) (uint8, uint8) {
	i1, i2 := int(p1)-int(s1), int(p2)-int(s2)
	ms := max(s1, s2)
	switch op {
	case "+", "-":
		return uint8(min(38, max(i1, i2)+int(ms)+1)), ms
	case "*":
		return uint8(min(38, int(p1)+int(p2))), min(38, s1+s2)
	case "/":
		return uint8(min(38, int(p1)+int(s2)+max(0, int(s2)-int(s1)))), ms
	}
	// %
	return uint8(min(38, min(i1, i2)+int(ms))), ms
}

// decArith evaluates a DECIMAL operator with result type (p, s); ok is
// false on division by zero or when the result does not fit.
func decArith(op string, a, b Value, p, s uint8) (Value, bool) {
	x, y := a.dec(), b.dec()
	_, sa := decType(a.Kind, a.prec, a.scale)
	_, sb := decType(b.Kind, b.prec, b.scale)
	var r int128
	var ok bool
	switch op {
	case "+", "-":
		if x, ok = rescale(x, sa, s); !ok {
			return Value{}, false
		}
		if y, ok = rescale(y, sb, s); !ok {
			return Value{}, false
		}
		if op == "-" {
			y = y.neg()
		}
		r = x.add(y)
	case "*":
		if r, ok = x.mul(y); !ok {
			return Value{}, false
		}
		if r, ok = rescale(r, sa+sb, s); !ok {
			return Value{}, false
		}
	case "/":
		if y.isZero() {
			return Value{}, false
		}
		// x/10^sa ÷ y/10^sb at scale s: x·10^(s-sa+sb) ÷ y, rounded.
		k := int(s) - int(sa) + int(sb)
		if k >= 0 {
			if k > 38 {
				return Value{}, false
			}
			if x, ok = x.mul(pow10s[k]); !ok {
				return Value{}, false
			}
		} else {
			if -k > 38 {
				return decValue(int128{}, p, s), true
			}
			if y, ok = y.mul(pow10s[-k]); !ok {
				return Value{}, false
			}
		}
		r = divRound(x, y)
	case "%":
		if y.isZero() {
			return Value{}, false
		}
		if x, ok = rescale(x, sa, s); !ok {
			return Value{}, false
		}
		if y, ok = rescale(y, sb, s); !ok {
			return Value{}, false
		}
		_, rem := divModU(x.abs(), y.abs())
		if x.isNeg() {
			rem = rem.neg()
		}
		r = rem
	default:
		return Value{}, false
	}
	if !fitsPrec(r, p) {
		return Value{}, false
	}
	return decValue(r, p, s), true
}

// toDecimal converts a number to DECIMAL(p, s), rounding half away from
// zero; ok is false when it does not fit.
func toDecimal(v Value, p, s uint8) (Value, bool) {
	var a int128
	switch v.Kind {
	case KindInt, KindDecimal:
		_, from := decType(v.Kind, v.prec, v.scale)
		var ok bool
		if a, ok = rescale(v.dec(), from, s); !ok {
			return Value{}, false
		}
	case KindFloat:
		f := v.F * math.Pow10(int(s))
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1e38 {
			return Value{}, false
		}
		f = math.Round(f)
		b, _ := new(big.Float).SetFloat64(f).Int(nil)
		str := b.String()
		var ok bool
		if a, _, _, ok = parseDecimal(str); !ok {
			return Value{}, false
		}
	default:
		return Value{}, false
	}
	if !fitsPrec(a, p) {
		return Value{}, false
	}
	return decValue(a, p, s), true
}

// decimalFromText reads text as DECIMAL(p, s), rounding extra digits.
func decimalFromText(s string, p, sc uint8) (Value, bool) {
	a, _, from, ok := parseDecimal(s)
	if !ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Value{}, false
		}
		return toDecimal(FloatValue(f), p, sc)
	}
	if a, ok = rescale(a, from, sc); !ok || !fitsPrec(a, p) {
		return Value{}, false
	}
	return decValue(a, p, sc), true
}
