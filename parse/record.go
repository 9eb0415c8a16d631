package parse

import (
	"bytes"
	"fmt"
	"strings"
)

// Record is one parsed log line: the line itself plus the start and end
// offset of every field in it. Field accessors return sub-slices of the
// line; they are valid as long as the line's bytes are (for a Scanner, until
// the next call to Scan).
//
// Quoted fields (Request-URI, Referer, User-Agent) are returned without
// their quotes and Time without its brackets. Nothing is unescaped: S3 does
// not escape, so the bytes are the bytes S3 wrote.
//
// A Record may be reused by calling Parse again; it is not safe for
// concurrent use.
type Record struct {
	line  []byte
	start [NumFields]uint32
	end   [NumFields]uint32
	n     int   // known fields present
	extra int   // unknown trailing fields
	xoff  int   // offset of the first unknown trailing field
	unix  int64 // Time, seconds since the epoch, UTC
	warn  Warning
	// The Request-URI split by RequestLine, once per record: offsets of
	// method, target and protocol, and rl bits saying what is known.
	rlOff [6]uint32
	rl    uint8
	day   dayCache // the date of the last time parsed
	ops   opCache  // operation names seen (the indexed fast path)
}

// The bits of Record.rl.
const (
	rlSplit  = 1 << iota // rlOff is set
	rlOK                 // the Request-URI is present
	rlTarget             // it has a target
	rlProto              // it has a protocol
)

// Warning says what was odd about a record that was kept anyway (SPEC §3,
// FORMAT.md trap 11): a request is never dropped from an answer for an odd
// token in an optional field or a doubled separator.
type Warning uint8

// The warnings, as bits.
const (
	// WarnSpacing: two or more spaces where one separates two fields; they
	// were read as one separator.
	WarnSpacing Warning = 1 << iota
	// WarnOddValue: an unexpected value in a late optional field (Access
	// Point ARN, aclRequired, source region), kept as logged.
	WarnOddValue
)

// String describes the warnings, e.g. "doubled separator, odd optional value".
func (w Warning) String() string {
	var parts []string
	if w&WarnSpacing != 0 {
		parts = append(parts, "doubled separator")
	}
	if w&WarnOddValue != 0 {
		parts = append(parts, "odd optional value")
	}
	return strings.Join(parts, ", ")
}

// Warnings reports what was odd about the record, 0 for a well-formed one.
func (r *Record) Warnings() Warning { return r.warn }

// Line returns the whole line the record was parsed from, without its line
// terminator or trailing spaces.
func (r *Record) Line() []byte { return r.line }

// NumFields returns how many known fields the record has (17 to 27).
func (r *Record) NumFields() int { return r.n }

// Extra returns the number of unknown trailing fields after the last known
// one. AWS may append fields at any time; they are kept, never a reject.
func (r *Record) Extra() int { return r.extra }

// ExtraBytes returns the unknown trailing fields as they appear in the line,
// or nil when there are none.
func (r *Record) ExtraBytes() []byte {
	if r.extra == 0 {
		return nil
	}
	return r.line[r.xoff:]
}

// Bytes returns the content of field f, or nil when the record does not
// have that field (an older, shorter record). A field logged as "-" is
// returned as "-"; use Value to treat it as absent.
func (r *Record) Bytes(f Field) []byte {
	if int(f) >= r.n {
		return nil
	}
	return r.line[r.start[f]:r.end[f]:r.end[f]]
}

// Value returns the content of field f and true, or nil and false when the
// field is absent: logged as "-", as "\"-\"", or missing from a short record.
func (r *Record) Value(f Field) ([]byte, bool) {
	if int(f) >= r.n {
		return nil, false
	}
	s, e := r.start[f], r.end[f]
	if e-s == 1 && r.line[s] == '-' {
		return nil, false
	}
	return r.line[s:e:e], true
}

// IsNull reports whether field f is absent (see Value).
func (r *Record) IsNull(f Field) bool {
	if int(f) >= r.n {
		return true
	}
	s, e := r.start[f], r.end[f]
	return e-s == 1 && r.line[s] == '-'
}

// Offset returns the byte offset of field f's content in the line, or -1
// when the record does not have the field.
func (r *Record) Offset(f Field) int {
	if int(f) >= r.n {
		return -1
	}
	return int(r.start[f])
}

// Int returns field f as an integer. ok is false when the field is absent.
// The numeric fields (HTTPStatus, BytesSent, ObjectSize, TotalTime,
// TurnAroundTime) are validated when the line is parsed, so for them a
// present value always converts; for any other field ok is also false when
// the content is not a decimal integer that fits in an int64.
func (r *Record) Int(f Field) (v int64, ok bool) {
	b, ok := r.Value(f)
	if !ok {
		return 0, false
	}
	return atoi(b)
}

// Unix returns the request time as seconds since the Unix epoch, UTC.
func (r *Record) Unix() int64 { return r.unix }

// RequestLine splits the Request-URI field into its method, target and
// protocol ("GET", "/bucket/key?x=1", "HTTP/1.1"). ok is false when the
// field is absent. A request line with fewer parts returns what it has; the
// target keeps any inner spaces. The split is done once per record.
func (r *Record) RequestLine() (method, target, proto []byte, ok bool) {
	if r.rl&rlSplit == 0 {
		r.splitRequestLine()
	}
	if r.rl&rlOK == 0 {
		return nil, nil, nil, false
	}
	o := &r.rlOff
	method = r.line[o[0]:o[1]:o[1]]
	if r.rl&rlTarget != 0 {
		target = r.line[o[2]:o[3]:o[3]]
	}
	if r.rl&rlProto != 0 {
		proto = r.line[o[4]:o[5]:o[5]]
	}
	return method, target, proto, true
}

func (r *Record) splitRequestLine() {
	r.rl = rlSplit
	b, ok := r.Value(RequestURI)
	if !ok {
		return
	}
	r.rl |= rlOK
	base := r.start[RequestURI]
	o := &r.rlOff
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		o[0], o[1] = base, base+uint32(len(b))
		return
	}
	o[0], o[1] = base, base+uint32(sp)
	rest := b[sp+1:]
	rs := base + uint32(sp+1)
	r.rl |= rlTarget
	if last := bytes.LastIndexByte(rest, ' '); last >= 0 && bytes.HasPrefix(rest[last+1:], []byte("HTTP/")) {
		o[2], o[3] = rs, rs+uint32(last)
		o[4], o[5] = rs+uint32(last+1), rs+uint32(len(rest))
		r.rl |= rlProto
		return
	}
	o[2], o[3] = rs, rs+uint32(len(rest))
}

// ParseError describes a line that is not a valid record. It is reported
// for that line only; scanning goes on with the next one.
type ParseError struct {
	Object string // log object or file the line came from, if known
	Line   int64  // 1-based line number, if known
	Column int    // 1-based byte column where the problem was found
	Field  Field  // the field being read
	Reason string
}

// Error formats the error as object:line:column: field: reason.
func (e *ParseError) Error() string {
	loc := e.Object
	if loc == "" {
		loc = "line"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	return fmt.Sprintf("%s:%d: %s: %s", loc, e.Column, e.Field, e.Reason)
}

// Atoi parses a non-negative decimal integer of at most 19 digits, as
// Record.Int reads a field, for readers of values from elsewhere
// (converted output). It does not allocate.
func Atoi(b []byte) (int64, bool) { return atoi(b) }

// atoi parses a non-negative decimal integer. It does not allocate.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if v < 0 { // 19 digits can overflow
		return 0, false
	}
	return v, true
}
