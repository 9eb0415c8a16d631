package query

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Timestamps are UTC instants with second precision; the session time
// zone is UTC, so current_date is the UTC date and a timestamp without a
// zone is read as UTC.

// timeUnit normalises a unit name of date_trunc, date_add and date_diff
// ("days" too), or returns "".
func timeUnit(s string) string {
	u := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "s")
	switch u {
	case "millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year":
		return u
	}
	return ""
}

// unitSeconds gives the fixed-length units in seconds.
var unitSeconds = map[string]int64{"millisecond": 0, "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}

func dateTrunc(unit string, unix int64) int64 {
	t := time.Unix(unix, 0).UTC()
	switch unit {
	case "millisecond", "second":
		return unix
	case "minute":
		return floorDiv(unix, 60) * 60
	case "hour":
		return floorDiv(unix, 3600) * 3600
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

func dateAdd(unit string, n, unix int64) int64 {
	switch unit {
	case "month":
		return addMonths(unix, n)
	case "quarter":
		return addMonths(unix, 3*n)
	case "year":
		return addMonths(unix, 12*n)
	}
	return unix + n*unitSeconds[unit]
}

// dateDiff is b - a in whole units, truncated toward zero; months,
// quarters and years count calendar months as Trino (Joda) does.
func dateDiff(unit string, a, b int64) int64 {
	switch unit {
	case "millisecond":
		return (b - a) * 1000
	case "month", "quarter", "year":
		ta, tb := time.Unix(a, 0).UTC(), time.Unix(b, 0).UTC()
		m := int64(tb.Year()-ta.Year())*12 + int64(tb.Month()-ta.Month())
		if m > 0 && addMonths(a, m) > b {
			m--
		} else if m < 0 && addMonths(a, m) < b {
			m++
		}
		switch unit {
		case "quarter":
			return m / 3
		case "year":
			return m / 12
		}
		return m
	}
	return (b - a) / unitSeconds[unit]
}

// timeField returns the extraction function for a field of year(),
// month(), ... and extract().
func timeField(name string) func(Value) Value {
	return func(a Value) Value {
		t := a.Time()
		var n int
		switch name {
		case "year":
			n = t.Year()
		case "quarter":
			n = (int(t.Month())-1)/3 + 1
		case "month":
			n = int(t.Month())
		case "week":
			_, n = t.ISOWeek()
		case "year_of_week":
			n, _ = t.ISOWeek()
		case "day":
			n = t.Day()
		case "day_of_week":
			n = (int(t.Weekday())+6)%7 + 1
		case "day_of_year":
			n = t.YearDay()
		case "hour":
			n = t.Hour()
		case "minute":
			n = t.Minute()
		case "second":
			n = t.Second()
		}
		return IntValue(int64(n))
	}
}

// extractFields maps extract()'s field names to timeField names.
var extractFields = map[string]string{
	"year": "year", "quarter": "quarter", "month": "month", "week": "week", "day": "day",
	"day_of_month": "day", "day_of_week": "day_of_week", "dow": "day_of_week", "day_of_year": "day_of_year",
	"doy": "day_of_year", "year_of_week": "year_of_week", "yow": "year_of_week", "hour": "hour",
	"minute": "minute", "second": "second",
}

func bindExtract(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	unit := string(args[0].val.S)
	field, ok := extractFields[unit]
	if !ok {
		if unit == "timezone_hour" || unit == "timezone_minute" {
			return constExpr(IntValue(0), e.String()), nil
		}
		return nil, errAt(e.args[0].pos(), "cannot extract %s%s", strings.ToUpper(unit), suggest(unit, sortedKeys(extractFields)))
	}
	f, x := timeField(field), args[1].fn
	return typed(KindInt, func(r *rowCtx) Value {
		v := x(r)
		if v.Kind == KindNull {
			return v
		}
		return f(v)
	}), nil
}

// bindAtTimezone compiles x AT TIME ZONE zone and at_timezone(x, zone).
// Timestamps are instants shown in UTC, so UTC is the one zone: another
// would change how hours and days fall, which s3logs does not model.
func bindAtTimezone(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	z := args[1]
	if z.kind == KindNull {
		return typed(KindTime, func(*rowCtx) Value { return Value{} }), nil
	}
	if z.konst && z.kind == KindString {
		switch strings.ToUpper(strings.TrimSpace(string(z.val.S))) {
		case "UTC", "GMT", "Z", "ETC/UTC", "+00:00", "-00:00", "UCT", "ZULU":
			return typed(KindTime, args[0].fn), nil
		}
	}
	return nil, errAt(e.args[1].pos(), "only the UTC time zone is supported (timestamps are shown in UTC), found %s", e.args[1].String())
}

func bindNow(c *compiler, e *callExpr, _ []*cexpr) (*cexpr, error) {
	if e.name == "current_date" {
		return constExpr(DateValue(c.now.Unix()), e.String()), nil
	}
	return constExpr(TimeValue(c.now.Unix()), e.String()), nil
}

// unitArg reads the constant unit argument checkArg has validated.
func unitArg(x *cexpr) string { return timeUnit(string(x.val.S)) }

func bindDateTrunc(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) {
	unit, x := unitArg(args[0]), args[1]
	f, kind := x.fn, x.kind
	if kind == KindNull {
		kind = KindTime
	}
	return typed(kind, func(r *rowCtx) Value {
		v := f(r)
		if v.Kind == KindNull {
			return v
		}
		v.I = dateTrunc(unit, v.I)
		return v
	}), nil
}

func bindDateAdd(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) {
	unit, n, x := unitArg(args[0]), args[1].fn, args[2]
	f, kind := x.fn, x.kind
	if kind == KindNull {
		kind = KindTime
	}
	return typed(kind, func(r *rowCtx) Value {
		v, k := f(r), n(r)
		if v.Kind == KindNull || k.Kind == KindNull {
			return Value{}
		}
		v.I = dateAdd(unit, k.I, v.I)
		if v.Kind == KindDate {
			v.I = floorDiv(v.I, 86400) * 86400
		}
		return v
	}), nil
}

func bindDateDiff(_ *compiler, _ *callExpr, args []*cexpr) (*cexpr, error) {
	unit, a, b := unitArg(args[0]), args[1].fn, args[2].fn
	return typed(KindInt, func(r *rowCtx) Value {
		u, v := a(r), b(r)
		if u.Kind == KindNull || v.Kind == KindNull {
			return Value{}
		}
		return IntValue(dateDiff(unit, u.I, v.I))
	}), nil
}

// bindDate compiles date(x), which is CAST(x AS date).
func bindDate(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	x := args[0]
	f := x.fn
	switch {
	case isTemporal(x.kind) || x.kind == KindNull:
		return typed(KindDate, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			return DateValue(v.I)
		}), nil
	case x.kind == KindString:
		return typed(KindDate, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			// yyyy-MM-dd, which date() reads first, is also the only
			// text of it parseTimestampLiteral's layouts take.
			if t, ok := timestampText(v.S); ok {
				return DateValue(t.I)
			}
			return Value{}
		}), nil
	}
	return nil, errAt(e.args[0].pos(), "date's argument must be a timestamp, date or varchar, found %s", typeString(x))
}

// bindParseDatetime compiles parse_datetime(s, Joda pattern).
func bindParseDatetime(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	return bindParse(e, args, jodaPattern)
}

// bindDateParse compiles date_parse(s, MySQL pattern).
func bindDateParse(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
	return bindParse(e, args, mysqlPattern)
}

// bindParse compiles the parsing functions. A timestamp argument is read
// as Athena's string table would have it, the request time as logged
// (parse_datetime(min(requestdatetime), ...) parses the earliest time's
// text); when the pattern reads that text back whole
// (parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z')), the result is
// the timestamp itself, so a column keeps its pushdown and time pruning.
func bindParse(e *callExpr, args []*cexpr, compile func(string) (dtPattern, error)) (*cexpr, error) {
	p, err := constPattern(e, args, compile)
	if err != nil {
		return nil, err
	}
	x := args[0]
	if isTemporal(x.kind) {
		const probe = 1551398452 // 2019-03-01T00:00:52Z
		if u, ok := p.parse(athenaText(nil, TimeValue(probe))); ok && u == probe {
			if x.kind == KindDate {
				return typed(KindTime, x.fn), nil
			}
			return x, nil
		}
		f := x.fn
		return typed(KindTime, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			u, ok := p.parse(athenaText(nil, v))
			if !ok {
				return Value{}
			}
			return TimeValue(u)
		}), nil
	}
	s, err := textArg(e.args[0], x)
	if err != nil {
		return nil, err
	}
	return parseWith(s.fn, p), nil
}

func parseWith(s evalFn, p dtPattern) *cexpr {
	return typed(KindTime, func(r *rowCtx) Value {
		v := s(r)
		if v.Kind == KindNull {
			return v
		}
		u, ok := p.parse(v.S)
		if !ok {
			return Value{}
		}
		return TimeValue(u)
	})
}

// constPattern compiles a call's constant pattern argument (the second).
func constPattern(e *callExpr, args []*cexpr, compile func(string) (dtPattern, error)) (dtPattern, error) {
	if !args[1].konst || args[1].kind != KindString {
		return nil, errAt(e.args[1].pos(), "%s's format must be a string constant", e.name)
	}
	p, err := compile(string(args[1].val.S))
	if err != nil {
		return nil, errAt(e.args[1].pos(), "unsupported %s format %s: %v", e.name, e.args[1].String(), err)
	}
	return p, nil
}

func bindFormat(compile func(string) (dtPattern, error)) func(*compiler, *callExpr, []*cexpr) (*cexpr, error) {
	return func(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
		p, err := constPattern(e, args, compile)
		if err != nil {
			return nil, err
		}
		f := args[0].fn
		return typed(KindString, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			return strVal(p.format(nil, v.I))
		}), nil
	}
}

func bindFromISO(date bool) func(*compiler, *callExpr, []*cexpr) (*cexpr, error) {
	return func(_ *compiler, e *callExpr, args []*cexpr) (*cexpr, error) {
		x := args[0]
		kind := KindTime
		if date {
			kind = KindDate
		}
		if isTemporal(x.kind) {
			f := x.fn
			return typed(kind, func(r *rowCtx) Value {
				v := f(r)
				if date && v.Kind != KindNull {
					return DateValue(v.I)
				}
				return v
			}), nil
		}
		s, err := textArg(e.args[0], x)
		if err != nil {
			return nil, err
		}
		f := s.fn
		return typed(kind, func(r *rowCtx) Value {
			v := f(r)
			if v.Kind == KindNull {
				return v
			}
			u, ok := isoText(v.S)
			if !ok {
				return Value{}
			}
			if date {
				return DateValue(u)
			}
			return TimeValue(u)
		}), nil
	}
}

// isoText is parseISO8601 of a row's text: the common shapes read by
// fixedDateTime, text that cannot be a date at all rejected at once, and
// only the rest tried against the layouts.
func isoText(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if u, ok := fixedDateTime(b, 'T'); ok {
		return u, true
	}
	if len(b) < 4 || !digits(b[:4]) {
		return 0, false // every layout starts with a four-digit year
	}
	return parseISO8601(string(b))
}

// timestampText is parseTimestampLiteral of a row's text (CAST to
// timestamp or date, date()): as isoText.
func timestampText(b []byte) (Value, bool) {
	b = bytes.TrimSpace(b)
	if u, ok := fixedDateTime(b, ' '); ok {
		return TimeValue(u), true
	}
	if u, ok := fixedDateTime(b, 'T'); ok {
		return TimeValue(u), true
	}
	if len(b) < 10 || !digits(b[:4]) || b[4] != '-' || !digits(b[5:7]) || b[7] != '-' || !digits(b[8:10]) {
		return Value{}, false // every layout starts with yyyy-MM-dd
	}
	return parseTimestampLiteral(string(b))
}

// fixedDateTime reads yyyy-MM-dd and yyyy-MM-dd<sep>HH:mm:ss, UTC, as
// time.Parse reads them with the layouts that take them; ok is false for
// any other text, and for a field out of its range (the layouts then
// decide). It does not allocate.
func fixedDateTime(b []byte, sep byte) (int64, bool) {
	if len(b) != 10 && (len(b) != 19 || b[10] != sep || b[13] != ':' || b[16] != ':') {
		return 0, false
	}
	if b[4] != '-' || b[7] != '-' || !digits(b[:4]) || !digits(b[5:7]) || !digits(b[8:10]) {
		return 0, false
	}
	y, mo, d := num(b[:4]), num(b[5:7]), num(b[8:10])
	var h, mi, sec int
	if len(b) == 19 {
		if !digits(b[11:13]) || !digits(b[14:16]) || !digits(b[17:19]) {
			return 0, false
		}
		h, mi, sec = num(b[11:13]), num(b[14:16]), num(b[17:19])
	}
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d {
		return 0, false // past the month's last day: time.Date moved it on
	}
	return t.Unix(), true
}

// digits reports whether b is all ASCII digits.
func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// num returns the value of the ASCII digits b.
func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// parseISO8601 reads an ISO 8601 date with optional time and zone.
func parseISO8601(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05Z07",
		"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15",
		"2006-01-02", "2006-01", "2006",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

// parseTimestampLiteral reads the text of a TIMESTAMP or DATE literal:
// "yyyy-MM-dd", "yyyy-MM-dd HH:mm[:ss[.fff]]", or an ISO 8601 form with T
// and an optional zone.
func parseTimestampLiteral(s string) (Value, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02",
		time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05.999999999 MST", "2006-01-02 15:04:05 -07:00",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeValue(t.Unix()), true
		}
	}
	return Value{}, false
}

// A dtPattern is a compiled date-time pattern (Joda for parse_datetime and
// format_datetime, MySQL for date_parse and date_format): literal text and
// fields, each formatted and parsed by the same code.
type dtPattern []dtTok

type dtTok struct {
	f     dtField
	width int    // minimum digits of a numeric field
	lit   string // fLit
}

type dtField uint8

const (
	fLit dtField = iota
	fYear
	fYear2
	fMonth
	fMonthAbbr
	fMonthName
	fDay
	fDayOfYear
	fHour24 // 0-23
	fHour12 // 1-12
	fHour0to11
	fHour1to24
	fMinute
	fSecond
	fFraction // width digits of the second's fraction
	fAMPM
	fZoneOffset // +0000
	fZoneColon  // +00:00
	fZoneName   // UTC
	fWeekdayAbbr
	fWeekdayName
	fWeekdayNum // ISO, 1 = Monday
	fWeek       // ISO week
	fWeekYear   // ISO week-year
)

func (f dtField) numeric() bool {
	switch f {
	case fYear, fYear2, fMonth, fDay, fDayOfYear, fHour24, fHour12, fHour0to11, fHour1to24, fMinute, fSecond, fFraction, fWeekdayNum, fWeek, fWeekYear:
		return true
	}
	return false
}

// jodaPattern compiles a Joda-Time DateTimeFormat pattern.
func jodaPattern(p string) (dtPattern, error) {
	var out dtPattern
	lit := out.appendLit
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return nil, errPattern("unterminated quote")
			}
			if j == 0 {
				lit("'")
			} else {
				lit(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			lit(string(c))
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		t := dtTok{width: n}
		switch c {
		case 'y', 'Y', 'u':
			t.f = fYear
			if n == 2 {
				t.f = fYear2
			}
		case 'x':
			t.f = fWeekYear
		case 'w':
			t.f = fWeek
		case 'e':
			t.f = fWeekdayNum
		case 'E':
			t.f = fWeekdayAbbr
			if n >= 4 {
				t.f = fWeekdayName
			}
		case 'M':
			switch {
			case n >= 4:
				t.f = fMonthName
			case n == 3:
				t.f = fMonthAbbr
			default:
				t.f = fMonth
			}
		case 'd':
			t.f = fDay
		case 'D':
			t.f = fDayOfYear
		case 'H':
			t.f = fHour24
		case 'h':
			t.f = fHour12
		case 'K':
			t.f = fHour0to11
		case 'k':
			t.f = fHour1to24
		case 'm':
			t.f = fMinute
		case 's':
			t.f = fSecond
		case 'S':
			t.f = fFraction
		case 'a':
			t.f = fAMPM
		case 'Z':
			switch n {
			case 1:
				t.f = fZoneOffset
			case 2:
				t.f = fZoneColon
			default:
				t.f = fZoneName
			}
		case 'z':
			t.f = fZoneName
		default:
			return nil, errPattern("pattern letter " + string(c) + " is not supported")
		}
		out = append(out, t)
	}
	return out, nil
}

// mysqlSpecs are the MySQL format specifiers Trino's date_parse and
// date_format take, as pattern tokens.
var mysqlSpecs = map[byte]dtPattern{
	'Y': {{f: fYear, width: 4}}, 'y': {{f: fYear2, width: 2}},
	'm': {{f: fMonth, width: 2}}, 'c': {{f: fMonth, width: 1}}, 'b': {{f: fMonthAbbr}}, 'M': {{f: fMonthName}},
	'd': {{f: fDay, width: 2}}, 'e': {{f: fDay, width: 1}}, 'j': {{f: fDayOfYear, width: 3}},
	'H': {{f: fHour24, width: 2}}, 'k': {{f: fHour24, width: 1}}, 'h': {{f: fHour12, width: 2}},
	'I': {{f: fHour12, width: 2}}, 'l': {{f: fHour12, width: 1}}, 'p': {{f: fAMPM}},
	'i': {{f: fMinute, width: 2}}, 'S': {{f: fSecond, width: 2}}, 's': {{f: fSecond, width: 2}},
	'f': {{f: fFraction, width: 6}}, 'a': {{f: fWeekdayAbbr}}, 'W': {{f: fWeekdayName}},
	'v': {{f: fWeek, width: 2}}, 'x': {{f: fWeekYear, width: 4}},
	'r': {{f: fHour12, width: 2}, {f: fLit, lit: ":"}, {f: fMinute, width: 2}, {f: fLit, lit: ":"},
		{f: fSecond, width: 2}, {f: fLit, lit: " "}, {f: fAMPM}},
	'T': {{f: fHour24, width: 2}, {f: fLit, lit: ":"}, {f: fMinute, width: 2}, {f: fLit, lit: ":"}, {f: fSecond, width: 2}},
}

// mysqlPattern compiles a MySQL date_format/date_parse pattern.
func mysqlPattern(p string) (dtPattern, error) {
	var out dtPattern
	lit := out.appendLit
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' || i+1 == len(p) {
			lit(string(c))
			continue
		}
		i++
		if toks, ok := mysqlSpecs[p[i]]; ok {
			for _, t := range toks {
				if t.f == fLit {
					lit(t.lit)
				} else {
					out = append(out, t)
				}
			}
			continue
		}
		switch p[i] {
		case 'D', 'U', 'u', 'V', 'w', 'X':
			return nil, errPattern("%" + string(p[i]) + " is not supported (as in Trino)")
		}
		lit(string(p[i])) // %% and %x for any other x: x
	}
	return out, nil
}

// appendLit adds literal text, joined to a literal before it.
func (p *dtPattern) appendLit(s string) {
	if n := len(*p); n > 0 && (*p)[n-1].f == fLit {
		(*p)[n-1].lit += s
		return
	}
	*p = append(*p, dtTok{f: fLit, lit: s})
}

type errPattern string

func (e errPattern) Error() string { return string(e) }

var (
	monthAbbr = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayAbbr   = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
)

func appendPadded(dst []byte, n, width int) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// format appends the UTC time unix formatted by p.
func (p dtPattern) format(dst []byte, unix int64) []byte {
	t := time.Unix(unix, 0).UTC()
	for _, tk := range p {
		switch tk.f {
		case fLit:
			dst = append(dst, tk.lit...)
		case fYear:
			dst = appendPadded(dst, t.Year(), tk.width)
		case fYear2:
			dst = appendPadded(dst, t.Year()%100, 2)
		case fMonth:
			dst = appendPadded(dst, int(t.Month()), tk.width)
		case fMonthAbbr:
			dst = append(dst, monthAbbr[t.Month()-1]...)
		case fMonthName:
			dst = append(dst, t.Month().String()...)
		case fDay:
			dst = appendPadded(dst, t.Day(), tk.width)
		case fDayOfYear:
			dst = appendPadded(dst, t.YearDay(), tk.width)
		case fHour24:
			dst = appendPadded(dst, t.Hour(), tk.width)
		case fHour12:
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = appendPadded(dst, h, tk.width)
		case fHour0to11:
			dst = appendPadded(dst, t.Hour()%12, tk.width)
		case fHour1to24:
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			dst = appendPadded(dst, h, tk.width)
		case fMinute:
			dst = appendPadded(dst, t.Minute(), tk.width)
		case fSecond:
			dst = appendPadded(dst, t.Second(), tk.width)
		case fFraction:
			dst = append(dst, strings.Repeat("0", tk.width)...)
		case fAMPM:
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case fZoneOffset:
			dst = append(dst, "+0000"...)
		case fZoneColon:
			dst = append(dst, "+00:00"...)
		case fZoneName:
			dst = append(dst, "UTC"...)
		case fWeekdayAbbr:
			dst = append(dst, dayAbbr[(int(t.Weekday())+6)%7]...)
		case fWeekdayName:
			dst = append(dst, t.Weekday().String()...)
		case fWeekdayNum:
			dst = appendPadded(dst, (int(t.Weekday())+6)%7+1, tk.width)
		case fWeek:
			_, w := t.ISOWeek()
			dst = appendPadded(dst, w, tk.width)
		case fWeekYear:
			y, _ := t.ISOWeek()
			dst = appendPadded(dst, y, tk.width)
		}
	}
	return dst
}

// parse reads s by p and returns the instant as a Unix time; the whole of
// s must be consumed and every field be in range.
func (p dtPattern) parse(s []byte) (int64, bool) {
	year, month, day, hour, minute, sec := 1970, 1, 1, 0, 0, 0
	doy, pm, hour12, offset := 0, -1, false, 0
	wYear, week, wDay := 0, 0, 0
	for i, tk := range p {
		if tk.f == fLit {
			if !bytes.HasPrefix(s, []byte(tk.lit)) {
				// Joda and MySQL treat a space as matching a space.
				return 0, false
			}
			s = s[len(tk.lit):]
			continue
		}
		if tk.f.numeric() {
			// Adjacent numeric fields (yyyyMMdd) read fixed widths;
			// otherwise a field reads all its digits.
			maxDigits := 9
			if i+1 < len(p) && p[i+1].f.numeric() {
				maxDigits = max(tk.width, 2)
				if tk.f == fYear {
					maxDigits = 4
				}
			}
			neg := false
			if tk.f == fYear && len(s) > 0 && s[0] == '-' {
				neg, s = true, s[1:]
			}
			j := 0
			for j < len(s) && j < maxDigits && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == 0 {
				return 0, false
			}
			n, _ := strconv.Atoi(string(s[:j]))
			digits := j
			s = s[j:]
			if neg {
				n = -n
			}
			switch tk.f {
			case fYear:
				year = n
			case fYear2:
				// Two-digit years: 1970-2069, as Trino documents.
				year = 1900 + n
				if n < 70 {
					year = 2000 + n
				}
			case fMonth:
				month = n
			case fDay:
				day = n
			case fDayOfYear:
				doy = n
			case fHour24, fHour0to11:
				hour = n
			case fHour12:
				hour, hour12 = n, true
			case fHour1to24:
				hour = n % 24
			case fMinute:
				minute = n
			case fSecond:
				sec = n
			case fFraction:
				_ = digits // second precision: the fraction is dropped
			case fWeekdayNum:
				wDay = n
			case fWeek:
				week = n
			case fWeekYear:
				wYear = n
			}
			continue
		}
		switch tk.f {
		case fMonthAbbr, fMonthName:
			m, n := matchName(s, tk.f == fMonthAbbr, monthNames)
			if m < 0 {
				return 0, false
			}
			month, s = m+1, s[n:]
		case fWeekdayAbbr, fWeekdayName:
			d, n := matchName(s, tk.f == fWeekdayAbbr, weekdayNames)
			if d < 0 {
				return 0, false
			}
			wDay, s = d+1, s[n:]
		case fAMPM:
			if len(s) < 2 {
				return 0, false
			}
			switch strings.ToUpper(string(s[:2])) {
			case "AM":
				pm = 0
			case "PM":
				pm = 1
			default:
				return 0, false
			}
			s = s[2:]
		case fZoneOffset, fZoneColon, fZoneName:
			off, n, ok := parseZone(s)
			if !ok {
				return 0, false
			}
			offset, s = off, s[n:]
		}
	}
	if len(s) != 0 {
		return 0, false
	}
	if hour12 {
		if hour < 1 || hour > 12 {
			return 0, false
		}
		hour %= 12
	}
	if pm == 1 {
		hour += 12
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	var t time.Time
	switch {
	case week > 0:
		if wYear == 0 {
			wYear = year
		}
		if wDay == 0 {
			wDay = 1
		}
		// Monday of ISO week 1 is the Monday on or before January 4th.
		jan4 := time.Date(wYear, 1, 4, 0, 0, 0, 0, time.UTC)
		mon := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		t = mon.AddDate(0, 0, (week-1)*7+wDay-1).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute + time.Duration(sec)*time.Second)
	case doy > 0:
		if doy > 366 {
			return 0, false
		}
		t = time.Date(year, 1, doy, hour, minute, sec, 0, time.UTC)
		if t.Year() != year {
			return 0, false
		}
	default:
		t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
		if t.Day() != day || day < 1 {
			return 0, false // 31 February
		}
	}
	return t.Unix() - int64(offset), true
}

var (
	monthNames   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	weekdayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// matchName matches the start of s against names (or their first three
// letters), ignoring case: the index and the bytes used, or -1.
func matchName(s []byte, abbr bool, names []string) (int, int) {
	for i, n := range names {
		if !abbr && len(s) >= len(n) && strings.EqualFold(string(s[:len(n)]), n) {
			return i, len(n)
		}
	}
	for i, n := range names {
		if len(s) >= 3 && strings.EqualFold(string(s[:3]), n[:3]) {
			return i, 3
		}
	}
	return -1, 0
}

// parseZone reads a zone: +hhmm, +hh:mm, Z, UTC or GMT. It returns the
// offset east of UTC in seconds and the bytes read.
func parseZone(s []byte) (int, int, bool) {
	for _, name := range []string{"UTC", "GMT", "Z"} {
		if bytes.HasPrefix(s, []byte(name)) {
			return 0, len(name), true
		}
	}
	if len(s) < 3 || s[0] != '+' && s[0] != '-' {
		return 0, 0, false
	}
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	if !digit(s[1]) || !digit(s[2]) {
		return 0, 0, false
	}
	h := int(s[1]-'0')*10 + int(s[2]-'0')
	n, m := 3, 0
	if len(s) >= 6 && s[3] == ':' && digit(s[4]) && digit(s[5]) {
		m, n = int(s[4]-'0')*10+int(s[5]-'0'), 6
	} else if len(s) >= 5 && digit(s[3]) && digit(s[4]) {
		m, n = int(s[3]-'0')*10+int(s[4]-'0'), 5
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, n, true
}
