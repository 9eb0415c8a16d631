package parse

import (
	"bytes"
	"encoding/binary"
	"time"
)

// TimeLayout is the layout of the Time field without its brackets, in
// Go's time.Parse notation.
const TimeLayout = "02/Jan/2006:15:04:05 -0700"

// Time returns the request time in UTC.
func (r *Record) Time() time.Time { return time.Unix(r.unix, 0).UTC() }

// parseTime parses the Time field content, fast path first, then
// time.Parse for anything not in the fixed-width form.
func parseTime(b []byte) (int64, bool) {
	if v, ok := parseTimeFixed(b); ok {
		return v, true
	}
	t, err := time.Parse(TimeLayout, string(b))
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// ParseTime parses a Time field value such as "06/Feb/2019:00:00:38 +0000"
// into seconds since the Unix epoch. It does not allocate for the fixed-width
// form S3 writes.
func ParseTime(b []byte) (unix int64, ok bool) { return parseTime(b) }

// PeekTime returns the request time of a line without parsing the line, for
// prefilters that skip lines outside a time window before parsing them.
// The first '[' of a valid record opens its Time field (the bucket owner
// and bucket cannot hold one). ok is false when no time in S3's fixed form
// follows that '[': the line must then be parsed to be judged.
func PeekTime(line []byte) (unix int64, ok bool) {
	i := bytes.IndexByte(line, '[')
	if i < 0 || i+27 >= len(line) || line[i+27] != ']' {
		return 0, false
	}
	return parseTime(line[i+1 : i+27])
}

// parseTimeFixed parses exactly "06/Feb/2019:00:00:38 +0000" (26 bytes),
// honouring the offset, without allocating.
func parseTimeFixed(b []byte) (int64, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' ||
		b[17] != ':' || b[20] != ' ' || (b[21] != '+' && b[21] != '-') {
		return 0, false
	}
	d2 := func(i int) int {
		a, c := b[i]-'0', b[i+1]-'0'
		if a > 9 || c > 9 {
			return -1
		}
		return int(a)*10 + int(c)
	}
	day, hh, mm, ss := d2(0), d2(12), d2(15), d2(18)
	y1, y2 := d2(7), d2(9)
	oh, om := d2(22), d2(24)
	// The same ranges time.Parse accepts.
	if day < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59 ||
		y1 < 0 || y2 < 0 || oh < 0 || oh > 24 || om < 0 || om > 60 {
		return 0, false
	}
	month := monthIndex(b[3], b[4], b[5])
	if month == 0 {
		return 0, false
	}
	year := y1*100 + y2
	if day > daysIn(month, year) {
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hh*3600+mm*60+ss)
	off := int64(oh*3600 + om*60)
	if b[21] == '+' {
		secs -= off
	} else {
		secs += off
	}
	return secs, true
}

func monthIndex(a, b, c byte) int {
	switch uint32(a)<<16 | uint32(b)<<8 | uint32(c) {
	case 'J'<<16 | 'a'<<8 | 'n':
		return 1
	case 'F'<<16 | 'e'<<8 | 'b':
		return 2
	case 'M'<<16 | 'a'<<8 | 'r':
		return 3
	case 'A'<<16 | 'p'<<8 | 'r':
		return 4
	case 'M'<<16 | 'a'<<8 | 'y':
		return 5
	case 'J'<<16 | 'u'<<8 | 'n':
		return 6
	case 'J'<<16 | 'u'<<8 | 'l':
		return 7
	case 'A'<<16 | 'u'<<8 | 'g':
		return 8
	case 'S'<<16 | 'e'<<8 | 'p':
		return 9
	case 'O'<<16 | 'c'<<8 | 't':
		return 10
	case 'N'<<16 | 'o'<<8 | 'v':
		return 11
	case 'D'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days since 1970-01-01 of a proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// dayCache remembers the date and offset of the last time parseTime26
// parsed, and the Unix time of that day's midnight at that offset: the
// lines of a log object are in time order, so most share a day with the
// line before and only the clock needs reading.
type dayCache struct {
	date uint64 // bytes 0..7 of the time, "06/Feb/2"
	year uint32 // bytes 8..11, "019:"
	zone uint64 // bytes 18..25, " +0000" after two zeroed bytes of seconds
	ok   bool
	base int64
}

// parseTime26 is parseTimeFixed, taking the date from the cache when it
// is the cached one. It gives the same results.
func (c *dayCache) parseTime26(b []byte) (int64, bool) {
	if len(b) != 26 {
		return 0, false
	}
	date, year := binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint32(b[8:12])
	zone := binary.LittleEndian.Uint64(b[18:26]) &^ 0xffff
	if c.ok && date == c.date && year == c.year && zone == c.zone {
		h1, h2, m1, m2, s1, s2 := b[12]-'0', b[13]-'0', b[15]-'0', b[16]-'0', b[18]-'0', b[19]-'0'
		hh, mm, ss := int64(h1)*10+int64(h2), int64(m1)*10+int64(m2), int64(s1)*10+int64(s2)
		if h1 > 9 || h2 > 9 || m1 > 9 || m2 > 9 || s1 > 9 || s2 > 9 || b[14] != ':' || b[17] != ':' || hh > 23 || mm > 59 || ss > 59 {
			return 0, false
		}
		return c.base + hh*3600 + mm*60 + ss, true
	}
	v, ok := parseTimeFixed(b)
	if ok {
		hms := int64(b[12]-'0')*36000 + int64(b[13]-'0')*3600 + int64(b[15]-'0')*600 + int64(b[16]-'0')*60 + int64(b[18]-'0')*10 + int64(b[19]-'0')
		*c = dayCache{date: date, year: year, zone: zone, ok: true, base: v - hms}
	}
	return v, ok
}
