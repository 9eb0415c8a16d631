package query

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The writers' word-at-a-time text against simple references: the rules
// a byte at a time as the writers had them, package time's RFC 3339, and
// encoding/csv and encoding/json reading the output back.

// csvFieldRef is appendCSVField's rule a byte at a time: quoted, quotes
// doubled, when s holds a comma, quote, CR or LF or starts or ends with a
// space.
func csvFieldRef(dst, s []byte) []byte {
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') || bytes.ContainsAny(s, ",\"\n\r") {
		dst = append(dst, '"')
		dst = append(dst, bytes.ReplaceAll(s, []byte(`"`), []byte(`""`))...)
		return append(dst, '"')
	}
	return append(dst, s...)
}

// checkCSVField compares appendCSVField with the reference, appending to
// a prefix whose spare capacity holds other bytes, and reads the field
// back with encoding/csv (which turns a quoted CR LF into LF, so only
// without CR).
func checkCSVField(t *testing.T, s []byte) {
	t.Helper()
	dst := append(make([]byte, 0, 2+len(s)+40), "x,"...)
	copy(dst[:cap(dst)][2:], bytes.Repeat([]byte{'#'}, cap(dst)-2))
	got := appendCSVField(dst, s)
	want := csvFieldRef([]byte("x,"), s)
	if !bytes.Equal(got, want) {
		t.Fatalf("appendCSVField(%q) = %q, want %q", s, got[2:], want[2:])
	}
	if bytes.IndexByte(s, '\r') >= 0 {
		return
	}
	r := csv.NewReader(bytes.NewReader(append(got, '\n')))
	r.FieldsPerRecord = 2
	rec, err := r.Read()
	if err != nil || rec[1] != string(s) {
		t.Fatalf("field %q written as %q: read back %q, %v", s, got[2:], rec, err)
	}
}

// TestCSVField checks fields of every length up to 80 (the four-word
// steps, the single words and the overlapping last word) with each
// special byte, and bytes near them in value, at each place.
func TestCSVField(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []byte{',', '"', '\n', '\r', ' ', '-', '+', '#', '%', '!', '\t', '\f', 0x0b, 0x0e, 0xac, 0xad, 0xa2, 0x8a, 0x80, 0xff, 0}
	eachPlaced(80, specials, func() byte {
		if rng.IntN(8) == 0 {
			return byte(rng.IntN(256))
		}
		return byte('a' + rng.IntN(26))
	}, func(s []byte) { checkCSVField(t, s) })
}

// eachPlaced calls check with strings of every length up to maxLen, made
// of bytes from filler, with each of specials at each place, three times
// each.
func eachPlaced(maxLen int, specials []byte, filler func() byte, check func([]byte)) {
	for n := 0; n <= maxLen; n++ {
		for _, c := range specials {
			for at := range n {
				for range 3 {
					s := make([]byte, n)
					for i := range s {
						s[i] = filler()
					}
					s[at] = c
					check(s)
				}
			}
		}
	}
}

// FuzzCSVField compares appendCSVField with the bytewise rule.
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:user/alice", "a,b", "0123456\r89", " lead", "trail ",
		"uploads/cadcebf0-30d6-4b51-a0c1-107799896fd4/report%20final.csv", `say "hi"`, "", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) { checkCSVField(t, s) })
}

// FuzzAppendRFC3339 compares the timestamp text with package time's.
func FuzzAppendRFC3339(f *testing.F) {
	for _, u := range []int64{0, 1709251200, 951782400, 253402300799, 253402300800, -1, math.MaxInt64, math.MinInt64} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, unix int64) {
		want := time.Unix(unix, 0).UTC().AppendFormat([]byte("x"), time.RFC3339)
		if got := appendRFC3339([]byte("x"), unix); !bytes.Equal(got, want) {
			t.Fatalf("%d: %q, want %q", unix, got, want)
		}
	})
}

// TestDayText writes timestamps with one dayText as a worker does, in
// runs within a day, across midnight, back and forth, and out of the
// arithmetic's range, against package time.
func TestDayText(t *testing.T) {
	var dt dayText
	rng := rand.New(rand.NewPCG(9, 10))
	unix := int64(1709251200 - 3)
	for range 200000 {
		switch k := rng.IntN(100); {
		case k < 80:
			unix += rng.Int64N(40) // on, often past midnight
		case k < 90:
			unix -= rng.Int64N(3 * 86400)
		case k < 95:
			unix = rng.Int64N(253402300800)
		case k < 97:
			unix = 253402300799 - rng.Int64N(86400*2)
		default:
			unix = rng.Int64N(1e6) - 5e5 // around the epoch, and before it
		}
		want := time.Unix(unix, 0).UTC().AppendFormat([]byte("x"), time.RFC3339)
		if got := dt.appendRFC3339([]byte("x"), unix); !bytes.Equal(got, want) {
			t.Fatalf("%d: %q, want %q", unix, got, want)
		}
	}
}

// jsonStringRef is appendJSONString a byte at a time, as it was.
func jsonStringRef(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// checkJSONString compares appendJSONString with the reference and reads
// the string back with encoding/json.
func checkJSONString(t *testing.T, s []byte) {
	t.Helper()
	got := appendJSONString([]byte("x"), s)
	if want := jsonStringRef([]byte("x"), s); !bytes.Equal(got, want) {
		t.Fatalf("appendJSONString(%q) = %q, want %q", s, got[1:], want[1:])
	}
	var back string
	if err := json.Unmarshal(got[1:], &back); err != nil {
		t.Fatalf("%q written as %q: %v", s, got[1:], err)
	}
	if utf8.Valid(s) && back != string(s) {
		t.Fatalf("%q written as %q read back as %q", s, got[1:], back)
	}
}

// TestJSONString checks strings of every length up to 40 with each byte
// that ends a plain run, and bytes near them, at each place.
func TestJSONString(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	specials := []byte{'"', '\\', '\n', '\r', '\t', 0, 0x1f, ' ', '!', 0x7e, 0x7f, 0x80, 0xc3, 0xe2, 0xff, '[', ']'}
	eachPlaced(40, specials, func() byte {
		if rng.IntN(10) == 0 {
			return byte(rng.IntN(256))
		}
		return byte(' ' + rng.IntN(95))
	}, func(s []byte) { checkJSONString(t, s) })
	for _, s := range []string{"é", "naïve/clé", "日本語のキー", "\U0001F600 x", "\xc3", "ab\xe2\x82", "\xed\xa0\x80"} {
		checkJSONString(t, []byte(s))
	}
}

// FuzzJSONString compares appendJSONString with the bytewise one.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"static/js/app.fe52be53.js", `a"b\c`, "tab\there\n", "bad \xff utf8 \x01", "日本語", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) { checkJSONString(t, s) })
}

// csvRowRef and jsonRowRef are the writers' rows as they were written
// before the kinds had cases of their own: each value through AppendText
// (JSON's other kinds as strings of it), strings by the bytewise rules.
func csvRowRef(b []byte, row []Value) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		if v.Kind == KindString {
			b = csvFieldRef(b, v.S)
		} else {
			b = v.AppendText(b)
		}
	}
	return append(b, '\n')
}

func jsonRowRef(keys [][]byte, b []byte, row []Value) []byte {
	b = append(b, '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, keys[i]...)
		b = append(b, ':')
		switch v.Kind {
		case KindNull:
			b = append(b, "null"...)
		case KindInt, KindBool, KindDecimal:
			b = v.AppendText(b)
		case KindFloat:
			if s := v.String(); strings.ContainsAny(s, "NI") {
				b = jsonStringRef(b, []byte(s))
			} else {
				b = append(b, s...)
			}
		case KindString:
			b = jsonStringRef(b, v.S)
		default:
			b = jsonStringRef(b, v.AppendText(nil))
		}
	}
	return append(b, '}', '\n')
}

// fuzzRow is a row of every kind of value made from the fuzzer's inputs.
func fuzzRow(i int64, f float64, s []byte) []Value {
	return []Value{
		{},
		BoolValue(i&1 != 0),
		IntValue(i),
		FloatValue(f),
		{Kind: KindString, S: s},
		TimeValue(i),
		TimeValue(i % 253402300800),
		TimeValue(i%253402300800 + 1), // the day remembered, or the next
		TimeValue(i%253402300800 - 86400),
		IntervalValue(i),
		DateValue(i % (1 << 40)),
		DecimalValue(i, int(uint64(i)%19)),
		MonthsValue(i),
		{Kind: KindString, S: s[len(s)/2:]},
	}
}

// FuzzRowText compares the CSV and JSON writers' rows with the
// references over rows of every kind.
func FuzzRowText(f *testing.F) {
	f.Add(int64(1709251200), 2.5, []byte("arn:aws:iam::123456789012:user/alice"))
	f.Add(int64(-1), math.Inf(-1), []byte(" a,\"b\"\n"))
	f.Add(int64(math.MinInt64), math.NaN(), []byte("\xff\x00日本"))
	f.Add(int64(253402300800), 1e-7, []byte{})
	f.Fuzz(func(t *testing.T, i int64, fl float64, s []byte) {
		row := fuzzRow(i, fl, s)
		c := &csvWriter{}
		var dt dayText
		if got, want := c.appendRow([]byte("x"), row, &dt), csvRowRef([]byte("x"), row); !bytes.Equal(got, want) {
			t.Fatalf("CSV row %q, want %q", got, want)
		}
		j := &jsonWriter{}
		cols := make([]ResultColumn, len(row))
		for k := range cols {
			cols[k].Name = string(rune('a' + k))
		}
		j.Begin(cols)
		got, want := j.appendRow([]byte("x"), row, &dt), jsonRowRef(j.keys, []byte("x"), row)
		if !bytes.Equal(got, want) {
			t.Fatalf("JSON row %q, want %q", got, want)
		}
		if !json.Valid(got[1:]) {
			t.Fatalf("JSON row %q is not valid JSON", got)
		}
	})
}
