package parse

import (
	"math/bits"
	"strconv"
)

// Assembler builds Records from field values that were not read from a log
// line: the columns of converted Parquet or Arrow output (package lake).
// An assembled record answers every accessor as the record parsed from
// the line those values came from would: Value, Int, IsNull, Unix,
// RequestLine. So everything that reads records (queries, the report)
// works on it unchanged.
//
// Reset starts a record with every field absent (as if logged "-"); the
// setters give fields their values. The Record returned by Record is
// reused: it is valid until the next Reset. Its Line is not a log line
// but the bytes the fields were assembled in. An Assembler is not safe for
// concurrent use.
type Assembler struct {
	rec Record
	// buf holds the fields' bytes in buf[:n]; it is kept at its full
	// length, so that adding a field writes no slice header (no write
	// barrier) unless it must grow.
	buf     []byte
	n       int
	set     uint32 // fields set since the last Reset
	scratch [32]byte
}

// NewAssembler returns an Assembler whose record has every field absent.
func NewAssembler() *Assembler {
	a := &Assembler{buf: make([]byte, 1024), n: 1}
	a.buf[0] = '-'
	for f := range NumFields {
		a.rec.start[f], a.rec.end[f] = 0, 1
	}
	a.rec.n = NumFields
	a.rec.line = a.buf
	return a
}

// Reset starts a new record: every field absent, the time zero.
func (a *Assembler) Reset() {
	for s := a.set; s != 0; s &= s - 1 {
		f := bits.TrailingZeros32(s)
		a.rec.start[f], a.rec.end[f] = 0, 1
	}
	a.set = 0
	a.n = 1
	a.rec.unix = 0
	a.rec.rl = 0
}

// Record returns the record assembled since the last Reset.
func (a *Assembler) Record() *Record { return &a.rec }

// add appends v to the buffer and returns where it starts and ends.
func (a *Assembler) add(v []byte) (uint32, uint32) {
	s := a.n
	if s+len(v) > len(a.buf) {
		b := make([]byte, 2*(s+len(v)))
		copy(b, a.buf[:s])
		a.buf = b
		a.rec.line = b
	}
	a.n += copy(a.buf[s:], v)
	return uint32(s), uint32(a.n)
}

// put appends v as field f's content.
func (a *Assembler) put(f Field, v []byte) {
	a.rec.start[f], a.rec.end[f] = a.add(v)
	a.set |= 1 << f
}

// Field sets field f's content as it would be logged, without quotes. nil
// leaves it absent; so does "-", the log's own marker (Value returns
// absent for it either way).
func (a *Assembler) Field(f Field, v []byte) {
	if v == nil {
		return
	}
	a.put(f, v)
}

// Int sets numeric field f to n, as its decimal text.
func (a *Assembler) Int(f Field, n int64) {
	a.put(f, strconv.AppendInt(a.scratch[:0], n, 10))
}

// Time sets the request time to unix (seconds since the epoch, UTC) and
// the Time field's text to text (AppendTime gives S3's form); nil text
// writes S3's form.
func (a *Assembler) Time(unix int64, text []byte) {
	a.rec.unix = unix
	if text == nil {
		text = AppendTime(a.scratch[:0], unix)
	}
	a.put(Time, text)
}

// Unix sets the request time to unix and leaves the Time field's text
// absent, for readers of the time that never read its text.
func (a *Assembler) Unix(unix int64) { a.rec.unix = unix }

// RequestLine sets the parts RequestLine returns, for output that stores
// them as columns of their own: method nil means the record has no
// request line. It does not set the RequestURI field; when that is set
// too, these parts win over splitting it.
func (a *Assembler) RequestLine(method, target, proto []byte) {
	a.rec.rl = rlSplit
	if method == nil {
		return
	}
	o := &a.rec.rlOff
	o[0], o[1] = a.add(method)
	a.rec.rl |= rlOK
	if target != nil {
		o[2], o[3] = a.add(target)
		a.rec.rl |= rlTarget
	}
	if proto != nil {
		o[4], o[5] = a.add(proto)
		a.rec.rl |= rlProto
	}
}

// AppendTime appends unix (seconds since the epoch) as the Time field of
// a record S3 writes, in UTC: 06/Feb/2019:00:00:38 +0000.
func AppendTime(dst []byte, unix int64) []byte {
	days, secs := unix/86400, unix%86400
	if secs < 0 {
		days, secs = days-1, secs+86400
	}
	y, m, d := CivilFromDays(days)
	d2 := func(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }
	dst = d2(dst, d)
	dst = append(dst, '/')
	dst = append(dst, monthNames[m-1]...)
	dst = append(dst, '/')
	if y >= 0 && y <= 9999 {
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		dst = strconv.AppendInt(dst, int64(y), 10)
	}
	dst = append(dst, ':')
	dst = d2(dst, int(secs/3600))
	dst = append(dst, ':')
	dst = d2(dst, int(secs/60%60))
	dst = append(dst, ':')
	dst = d2(dst, int(secs%60))
	return append(dst, " +0000"...)
}

// TwoDigits holds the decimal text of 00 to 99, two bytes each: n's
// digits are TwoDigits[2n] and TwoDigits[2n+1]. Formatters of dates and
// numbers take their digit pairs from it.
const TwoDigits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// CivilFromDays returns the proleptic Gregorian date of the day z days
// after 1970-01-01 (negative before it): daysFromCivil's inverse, Howard
// Hinnant's algorithm, for callers that format dates without package time.
func CivilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}
