package query

import (
	"bytes"
	"math"
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
	KindInterval      // I, seconds
)

// String returns the SQL type name of the kind.
func (k Kind) String() string {
	return [...]string{"null", "boolean", "bigint", "double", "varchar", "timestamp", "interval"}[k]
}

// Value is one SQL value. String values may refer into a log line and are
// then valid only as long as the row they came from (during a RowWriter
// call); Clone makes a value that owns its bytes.
type Value struct {
	Kind Kind
	I    int64
	F    float64
	S    []byte
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
		return time.Unix(v.I, 0).UTC().AppendFormat(dst, time.RFC3339)
	case KindInterval:
		return append(dst, (time.Duration(v.I) * time.Second).String()...)
	}
	return dst
}

func (v Value) truth() bool { return v.Kind == KindBool && v.I != 0 }

func (v Value) float() float64 {
	if v.Kind == KindFloat {
		return v.F
	}
	return float64(v.I)
}

// compare orders two non-NULL values of comparable kinds: -1, 0, 1.
// Numbers compare across int and float; other kinds compare within kind.
func compare(a, b Value) int {
	switch {
	case a.Kind == KindString && b.Kind == KindString:
		return bytes.Compare(a.S, b.S)
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
	if a.Kind != b.Kind && !(isNumeric(a.Kind) && isNumeric(b.Kind)) {
		return int(a.Kind) - int(b.Kind)
	}
	return compare(a, b)
}

func isNumeric(k Kind) bool { return k == KindInt || k == KindFloat }

// appendKey appends a self-delimiting encoding of v for hash keys: equal
// values (as GROUP BY and DISTINCT see them) encode equally.
func appendKey(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNull:
		return append(dst, 0)
	case KindString:
		dst = append(dst, byte(KindString))
		dst = strconv.AppendInt(dst, int64(len(v.S)), 10)
		dst = append(dst, ':')
		return append(dst, v.S...)
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

// parseTimestampLiteral reads the text of a TIMESTAMP or DATE literal:
// "yyyy-MM-dd", "yyyy-MM-dd HH:mm[:ss[.fff]]", or an ISO 8601 form with T
// and an optional zone.
func parseTimestampLiteral(s string) (Value, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02",
		time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05 MST",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeValue(t.Unix()), true
		}
	}
	return Value{}, false
}

// jodaLayout converts a Joda-Time pattern (as Trino's parse_datetime takes)
// to a Go time layout. It supports the letters AWS's examples use and the
// common ones around them.
func jodaLayout(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' { // quoted literal text
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		var s string
		switch {
		case c == 'y' && n == 2:
			s = "06"
		case c == 'y' || c == 'Y':
			s = "2006"
		case c == 'M' && n >= 4:
			s = "January"
		case c == 'M' && n == 3:
			s = "Jan"
		case c == 'M' && n == 2:
			s = "01"
		case c == 'M':
			s = "1"
		case c == 'd' && n >= 2:
			s = "02"
		case c == 'd':
			s = "2"
		case c == 'H':
			s = "15"
		case c == 'h' && n >= 2:
			s = "03"
		case c == 'h':
			s = "3"
		case c == 'm' && n >= 2:
			s = "04"
		case c == 'm':
			s = "4"
		case c == 's' && n >= 2:
			s = "05"
		case c == 's':
			s = "5"
		case c == 'S':
			s = "." + strings.Repeat("0", n)
			// Go wants the fraction after a dot that is in the input.
			str := b.String()
			if strings.HasSuffix(str, ".") {
				b.Reset()
				b.WriteString(str[:len(str)-1])
			}
		case c == 'a':
			s = "PM"
		case c == 'Z' && n == 1:
			s = "-0700"
		case c == 'Z':
			s = "-07:00"
		case c == 'z':
			s = "MST"
		case c == 'E' && n >= 4:
			s = "Monday"
		case c == 'E':
			s = "Mon"
		default:
			return "", false
		}
		b.WriteString(s)
		i += n
	}
	return b.String(), true
}

// dateTruncUnits are the units date_trunc accepts.
var dateTruncUnits = map[string]bool{
	"second": true, "minute": true, "hour": true, "day": true, "week": true,
	"month": true, "quarter": true, "year": true,
}

func dateTrunc(unit string, unix int64) int64 {
	t := time.Unix(unix, 0).UTC()
	switch unit {
	case "second":
		return unix
	case "minute":
		return unix - unix%60
	case "hour":
		return unix - unix%3600
	case "day":
		return floorDiv(unix, 86400) * 86400
	case "week": // ISO weeks start on Monday
		day := floorDiv(unix, 86400) * 86400
		wd := (int(t.Weekday()) + 6) % 7
		return day - int64(wd)*86400
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix()
	case "quarter":
		m := (t.Month()-1)/3*3 + 1
		return time.Date(t.Year(), m, 1, 0, 0, 0, 0, time.UTC).Unix()
	case "year":
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	return unix
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// levenshtein is the edit distance between a and b, ignoring case.
func levenshtein(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
