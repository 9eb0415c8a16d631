package query

import (
	"bytes"
	"encoding/binary"
	"github.com/s3logs/s3logs/parse"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// The value kinds. The zero Value is NULL.
const (
	KindNull     Kind = iota
	KindBool          // I is 0 or 1
	KindInt           // I
	KindFloat         // F
	KindString        // S
	KindTime          // I, seconds since the Unix epoch, UTC
	KindInterval      // I, seconds (interval day to second)
	KindDate          // I, seconds since the Unix epoch of the day's UTC midnight
	KindDecimal       // exact; see Value.dec for the representation
	KindMonths        // I, months (interval year to month)
)

// String returns the SQL type name of the kind.
func (k Kind) String() string {
	return [...]string{"null", "boolean", "bigint", "double", "varchar", "timestamp", "interval day to second",
		"date", "decimal", "interval year to month"}[k]
}

// Value is one SQL value. String values may refer into a log line and are
// then valid only as long as the row they came from (during a RowWriter
// call); Clone makes a value that owns its bytes. A DECIMAL keeps its
// digits in I and F in a form of its own: read it with String, AppendText
// and Scale.
type Value struct {
	Kind Kind
	// prec and scale are a DECIMAL's precision and scale (in what would
	// otherwise be padding).
	prec, scale uint8
	I           int64
	F           float64
	S           []byte
}

// IntValue returns a bigint value.
func IntValue(n int64) Value { return Value{Kind: KindInt, I: n} }

// FloatValue returns a double value.
func FloatValue(f float64) Value { return Value{Kind: KindFloat, F: f} }

// StringValue returns a varchar value.
func StringValue(s string) Value { return Value{Kind: KindString, S: []byte(s)} }

// BoolValue returns a boolean value.
func BoolValue(b bool) Value {
	if b {
		return Value{Kind: KindBool, I: 1}
	}
	return Value{Kind: KindBool}
}

// TimeValue returns a timestamp value (second precision, UTC).
func TimeValue(unix int64) Value { return Value{Kind: KindTime, I: unix} }

// IntervalValue returns an interval of n seconds.
func IntervalValue(n int64) Value { return Value{Kind: KindInterval, I: n} }

// DateValue returns a date value: the UTC day holding unix.
func DateValue(unix int64) Value { return Value{Kind: KindDate, I: floorDiv(unix, 86400) * 86400} }

// MonthsValue returns an interval of n months.
func MonthsValue(n int64) Value { return Value{Kind: KindMonths, I: n} }

// DecimalValue returns the DECIMAL value unscaled·10^-scale, with
// precision 18 (the digits an int64 holds). scale must be at most 18.
func DecimalValue(unscaled int64, scale int) Value {
	return decValue(i128(unscaled), 18, uint8(min(max(scale, 0), 18)))
}

// Scale returns the scale of a DECIMAL value (digits after the point).
func (v Value) Scale() int { return int(v.scale) }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Time returns a timestamp value as a time.Time in UTC.
func (v Value) Time() time.Time { return time.Unix(v.I, 0).UTC() }

// Clone returns v with its own copy of any bytes.
func (v Value) Clone() Value {
	if v.S != nil {
		v.S = bytes.Clone(v.S)
	}
	return v
}

// String formats v as the CSV output does: NULL is "", timestamps RFC 3339
// UTC.
func (v Value) String() string { return string(v.AppendText(nil)) }

// AppendText appends v's text form to dst.
func (v Value) AppendText(dst []byte) []byte {
	switch v.Kind {
	case KindBool:
		if v.I != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case KindInt:
		return strconv.AppendInt(dst, v.I, 10)
	case KindFloat:
		if a := math.Abs(v.F); a == 0 || a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(dst, v.F, 'f', -1, 64)
		}
		return strconv.AppendFloat(dst, v.F, 'g', -1, 64)
	case KindString:
		return append(dst, v.S...)
	case KindTime:
		return appendRFC3339(dst, v.I)
	case KindDate:
		return time.Unix(v.I, 0).UTC().AppendFormat(dst, "2006-01-02")
	case KindDecimal:
		return appendDecimal(dst, v.dec(), v.scale)
	case KindInterval:
		// Trino's form: days hh:mm:ss.fff.
		n := v.I
		if n < 0 {
			dst = append(dst, '-')
			n = -n
		}
		dst = strconv.AppendInt(dst, n/86400, 10)
		h, m, sec := n%86400/3600, n%3600/60, n%60
		return append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':',
			byte('0'+sec/10), byte('0'+sec%10), '.', '0', '0', '0')
	case KindMonths:
		n := v.I
		if n < 0 {
			dst = append(dst, '-')
			n = -n
		}
		dst = strconv.AppendInt(dst, n/12, 10)
		dst = append(dst, '-')
		return strconv.AppendInt(dst, n%12, 10)
	}
	return dst
}

func (v Value) truth() bool { return v.Kind == KindBool && v.I != 0 }

func (v Value) float() float64 {
	switch v.Kind {
	case KindFloat:
		return v.F
	case KindDecimal:
		return v.dec().float() / math.Pow10(int(v.scale))
	}
	return float64(v.I)
}

// compare orders two non-NULL values of comparable kinds: -1, 0, 1.
// Numbers compare across int, decimal and float; dates and timestamps
// compare as instants; other kinds compare within kind.
func compare(a, b Value) int {
	switch {
	case a.Kind == KindString && b.Kind == KindString:
		return bytes.Compare(a.S, b.S)
	case (a.Kind == KindDecimal || b.Kind == KindDecimal) && a.Kind != KindFloat && b.Kind != KindFloat:
		_, sa := decType(a.Kind, a.prec, a.scale)
		_, sb := decType(b.Kind, b.prec, b.scale)
		s := max(sa, sb)
		x, ok1 := rescale(a.dec(), sa, s)
		y, ok2 := rescale(b.dec(), sb, s)
		if !ok1 || !ok2 {
			return compare(FloatValue(a.float()), FloatValue(b.float()))
		}
		return x.cmp(y)
	case a.Kind == KindFloat || b.Kind == KindFloat:
		x, y := a.float(), b.float()
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		case x == y:
			return 0
		case math.IsNaN(x) && !math.IsNaN(y):
			return 1
		case math.IsNaN(y) && !math.IsNaN(x):
			return -1
		}
		return 0
	}
	switch {
	case a.I < b.I:
		return -1
	case a.I > b.I:
		return 1
	}
	return 0
}

// orderValues is the total order used by ORDER BY and sorting: NULLs last
// (direction applied by the caller), then by compare; values of different
// kinds order by kind.
func orderValues(a, b Value) int {
	if a.Kind == KindNull || b.Kind == KindNull {
		switch {
		case a.Kind == b.Kind:
			return 0
		case a.Kind == KindNull:
			return 1
		}
		return -1
	}
	if a.Kind != b.Kind && !(isNumeric(a.Kind) && isNumeric(b.Kind)) && !(isTemporal(a.Kind) && isTemporal(b.Kind)) {
		return int(a.Kind) - int(b.Kind)
	}
	return compare(a, b)
}

func isNumeric(k Kind) bool { return k == KindInt || k == KindFloat || k == KindDecimal }

// isTemporal reports whether k is a point in time (date or timestamp).
func isTemporal(k Kind) bool { return k == KindTime || k == KindDate }

// appendStringKey appends appendKey's encoding of the varchar b: the
// length as a uvarint (self-delimiting, and one byte for most values),
// then the bytes. The scan's group keys call it on a log field's bytes
// directly (run.groupOf).
func appendStringKey(dst, b []byte) []byte {
	if len(b) < 0x80 {
		dst = append(dst, byte(KindString), byte(len(b))) // the uvarint's one byte
	} else {
		dst = binary.AppendUvarint(append(dst, byte(KindString)), uint64(len(b)))
	}
	return append(dst, b...)
}

// appendKey appends a self-delimiting encoding of v for hash keys: equal
// values (as GROUP BY and DISTINCT see them) encode equally.
func appendKey(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNull:
		return append(dst, 0)
	case KindString:
		return appendStringKey(dst, v.S)
	case KindDecimal:
		// Equal decimals of different scales (1.5, 1.50) encode equally;
		// integral ones as the integer.
		a, sc := v.dec(), v.scale
		for sc > 0 {
			q, r := divModU(a.abs(), pow10s[1])
			if !r.isZero() {
				break
			}
			if a.isNeg() {
				q = q.neg()
			}
			a, sc = q, sc-1
		}
		if sc == 0 && a.fitsInt64() {
			return appendKey(dst, IntValue(int64(a.lo)))
		}
		dst = append(dst, byte(KindDecimal), sc)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(a.hi))
		return binary.LittleEndian.AppendUint64(dst, a.lo)
	case KindFloat:
		if v.F == math.Trunc(v.F) && math.Abs(v.F) < 1<<62 {
			// Integral doubles group with equal integers.
			return appendKey(dst, IntValue(int64(v.F)))
		}
		dst = append(dst, byte(KindFloat))
		b := math.Float64bits(v.F)
		return append(dst, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
	}
	k := v.Kind
	dst = append(dst, byte(k))
	b := uint64(v.I)
	return append(dst, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// levenshtein is the edit distance between a and b, ignoring case, with a
// swap of two adjacent letters counting as one edit (FORM for FROM).
func levenshtein(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// literalSQL formats v as an SQL literal that reads back as v.
func literalSQL(v Value) string {
	switch v.Kind {
	case KindNull:
		return "NULL"
	case KindString:
		return "'" + strings.ReplaceAll(string(v.S), "'", "''") + "'"
	case KindTime:
		return "TIMESTAMP '" + v.Time().Format("2006-01-02 15:04:05") + "'"
	case KindDate:
		return "DATE '" + v.Time().Format("2006-01-02") + "'"
	case KindInterval:
		return "INTERVAL '" + strconv.FormatInt(v.I, 10) + "' SECOND"
	case KindMonths:
		return "INTERVAL '" + strconv.FormatInt(v.I, 10) + "' MONTH"
	case KindFloat:
		return strconv.FormatFloat(v.F, 'E', -1, 64)
	}
	return v.String()
}

// negateLiteral returns -v for a numeric or interval literal.
func negateLiteral(v Value) (Value, bool) {
	switch v.Kind {
	case KindInt, KindInterval, KindMonths:
		if v.I == minInt {
			return Value{}, false
		}
		v.I = -v.I
		return v, true
	case KindFloat:
		v.F = -v.F
		return v, true
	case KindDecimal:
		n := v.dec().neg()
		if v.scale == 0 && n.fitsInt64() && v.prec >= 19 {
			// -9223372036854775808 is a bigint.
			return IntValue(int64(n.lo)), true
		}
		return decValue(n, v.prec, v.scale), true
	}
	return Value{}, false
}

// typedLiteral reads the string after a type keyword: TIMESTAMP '…',
// DATE '…', DECIMAL '…', DOUBLE '…', BIGINT '…', VARCHAR '…'.
func typedLiteral(kind string, s token) (Value, error) {
	txt := strings.TrimSpace(s.text)
	switch kind {
	case "timestamp":
		if v, ok := parseTimestampLiteral(txt); ok {
			return v, nil
		}
		return Value{}, errAt(s, "bad TIMESTAMP literal %s (want 'yyyy-MM-dd[ HH:mm:ss]')", s)
	case "date":
		if t, err := time.Parse("2006-01-02", txt); err == nil {
			return DateValue(t.Unix()), nil
		}
		return Value{}, errAt(s, "bad DATE literal %s (want 'yyyy-MM-dd')", s)
	case "decimal":
		if v, ok := parseDecimalLiteral(txt); ok {
			return v, nil
		}
		return Value{}, errAt(s, "bad DECIMAL literal %s", s)
	case "double", "real":
		if f, err := strconv.ParseFloat(txt, 64); err == nil {
			return FloatValue(f), nil
		}
		return Value{}, errAt(s, "bad DOUBLE literal %s", s)
	case "bigint", "integer":
		if n, err := strconv.ParseInt(txt, 10, 64); err == nil {
			return IntValue(n), nil
		}
		return Value{}, errAt(s, "bad %s literal %s", strings.ToUpper(kind), s)
	}
	return StringValue(s.text), nil
}

// appendRFC3339 appends the instant unix seconds after the epoch as
// time.RFC3339 formats it in UTC (dayText.appendRFC3339, with no day
// remembered).
func appendRFC3339(dst []byte, unix int64) []byte {
	var c dayText
	return c.appendRFC3339(dst, unix)
}

// dayText remembers the date of the last timestamp its appendRFC3339
// wrote: the rows a worker writes in a row mostly share their day (a
// unit of converted output is one day's; log text is in time order). The
// zero value remembers none. A dayText is used by one goroutine at a
// time.
type dayText struct {
	day  uint64 // day number + 1 of date; 0 for none
	date [10]byte
}

// appendRFC3339 appends the instant unix seconds after the epoch as
// time.RFC3339 formats it in UTC: by arithmetic for the years 1970 to
// 9999 (each output row with a timestamp took ~400 instructions through
// package time), through package time for others. The date, where it is
// not the day remembered, takes ~100 instructions of the ~200 (the
// civil date and its digits); the arithmetic is unsigned (a signed
// division by a constant costs its sign's fix-ups) and the digits come
// two at a time from parse.TwoDigits, written in place.
func (c *dayText) appendRFC3339(dst []byte, unix int64) []byte {
	if uint64(unix) > 253402300799 { // before 1970 or after 9999-12-31T23:59:59Z
		return time.Unix(unix, 0).UTC().AppendFormat(dst, time.RFC3339)
	}
	days := uint64(unix) / 86400
	sec := uint64(unix) - days*86400
	if c.day != days+1 {
		y, m, d := parse.CivilFromDays(int64(days))
		b := &c.date
		hi, lo := uint(y)/100*2, uint(y)%100*2
		b[0], b[1], b[2], b[3], b[4] = parse.TwoDigits[hi], parse.TwoDigits[hi+1], parse.TwoDigits[lo], parse.TwoDigits[lo+1], '-'
		b[5], b[6], b[7] = parse.TwoDigits[2*m], parse.TwoDigits[2*m+1], '-'
		b[8], b[9] = parse.TwoDigits[2*d], parse.TwoDigits[2*d+1]
		c.day = days + 1
	}
	h := sec / 3600
	sec -= h * 3600
	mi := sec / 60
	sec -= mi * 60
	n := len(dst)
	if cap(dst)-n < 20 {
		dst = slices.Grow(dst, 20)
	}
	dst = dst[:n+20]
	b := dst[n : n+20]
	copy(b[:10], c.date[:])
	b[10] = 'T'
	b[11], b[12], b[13] = parse.TwoDigits[2*h], parse.TwoDigits[2*h+1], ':'
	b[14], b[15], b[16] = parse.TwoDigits[2*mi], parse.TwoDigits[2*mi+1], ':'
	b[17], b[18], b[19] = parse.TwoDigits[2*sec], parse.TwoDigits[2*sec+1], 'Z'
	return dst
}
