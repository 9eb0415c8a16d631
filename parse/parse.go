package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Parse parses one line, without its line terminator, into r. Trailing
// spaces and a trailing CR are ignored. r keeps a reference to line.
//
// A line that is not a valid record returns a *ParseError that names the
// byte column and the field where the line went wrong; r is then invalid.
//
// Parsing takes a fast path first: plain splitting on spaces, with a quoted
// field ending at the first quote followed by a space, checked by cheap
// validation of the fields whose shape is known (operation, numbers,
// signature version, authentication type, TLS version, aclRequired). Only a
// line that fails those checks takes the slow path, which resynchronises
// around the traps real logs contain (see the package documentation).
// Parse does not allocate for a valid line.
func (r *Record) Parse(line []byte) error {
	r.begin(line)
	if r.fast() {
		return nil
	}
	return r.slow()
}

// begin starts parsing line into r, for either fast path (Parse's, and
// the Scanner's indexed one): what a previous line left is cleared.
func (r *Record) begin(line []byte) {
	r.line = trimEOL(line)
	r.extra, r.xoff, r.warn, r.rl = 0, 0, 0, 0
}

func trimEOL(b []byte) []byte {
	n := len(b)
	for n > 0 && (b[n-1] == '\r' || b[n-1] == ' ' || b[n-1] == '\n') {
		n--
	}
	return b[:n]
}

// fast splits the line the plain way and validates it. It reports false,
// leaving r in an unspecified state, when anything does not fit.
func (r *Record) fast() bool {
	b := r.line
	n := len(b)
	i := 0
	// Bucket Owner, Bucket.
	for f := BucketOwner; f <= Bucket; f++ {
		j := bytes.IndexByte(b[i:], ' ')
		if j <= 0 {
			return false
		}
		r.start[f], r.end[f] = uint32(i), uint32(i+j)
		i += j + 1
	}
	// Time, fixed width: [06/Feb/2019:00:00:38 +0000]. (Written out in
	// both fast paths: a call here costs 2% of a scan.)
	if i+28 >= n || b[i] != '[' || b[i+27] != ']' || b[i+28] != ' ' {
		return false
	}
	unix, ok := r.day.parseTime26(b[i+1 : i+27])
	if !ok {
		return false
	}
	r.unix = unix
	r.start[Time], r.end[Time] = uint32(i+1), uint32(i+27)
	i += 29
	// Remote IP .. Key.
	for f := RemoteIP; f <= Key; f++ {
		j := bytes.IndexByte(b[i:], ' ')
		if j <= 0 {
			return false
		}
		r.start[f], r.end[f] = uint32(i), uint32(i+j)
		i += j + 1
	}
	if !isOperation(b[r.start[Operation]:r.end[Operation]]) {
		return false
	}
	if i = r.fastQuoted(RequestURI, i); i < 0 || i >= n {
		return false
	}
	// HTTP status .. Turn-Around Time.
	for f := HTTPStatus; f <= TurnAroundTime; f++ {
		j := bytes.IndexByte(b[i:], ' ')
		if j <= 0 {
			return false
		}
		if f != ErrorCode && !isNumberOrDash(b[i:i+j], f == HTTPStatus) {
			return false
		}
		r.start[f], r.end[f] = uint32(i), uint32(i+j)
		i += j + 1
	}
	if i = r.fastQuoted(Referer, i); i < 0 || i >= n {
		return false
	}
	if i = r.fastQuoted(UserAgent, i); i < 0 {
		return false
	}
	if i >= n {
		r.n = MinFields
		return !r.spliced()
	}
	// Nothing after the User-Agent is quoted; a quote there means the
	// User-Agent held a quote followed by a space.
	if bytes.IndexByte(b[i:], '"') >= 0 {
		return false
	}
	f := VersionID
	for ; int(f) < NumFields; f++ {
		j := bytes.IndexByte(b[i:], ' ')
		if j == 0 {
			return false
		}
		if j < 0 {
			r.start[f], r.end[f] = uint32(i), uint32(n)
			i = n
			f++
			break
		}
		r.start[f], r.end[f] = uint32(i), uint32(i+j)
		i += j + 1
	}
	r.n = int(f)
	if i < n && !r.extraFields(i) {
		return false
	}
	return r.validTail() && !r.spliced()
}

// extraFields takes the fields from i on, after the last known one, as
// unknown trailing fields, or reports false when a doubled space is among
// them (for the slow path to read as one separator).
func (r *Record) extraFields(i int) bool {
	b := r.line
	if bytes.Contains(b[i-1:], doubleSpace) {
		return false
	}
	r.xoff = i
	r.extra = bytes.Count(b[i:], sp1) + 1
	return true
}

// spliced reports whether a second record's timestamp follows the first.
// The bracket search is one vectorised scan; most lines have no '['.
func (r *Record) spliced() bool {
	from := int(r.end[Time]) + 1
	return bytes.IndexByte(r.line[from:], '[') >= 0 && findSplice(r.line, from) >= 0
}

var sp1, doubleSpace = []byte{' '}, []byte("  ")

// fastQuoted reads a quoted field (or a bare "-") starting at i and returns
// the offset after it and its separator, or -1.
func (r *Record) fastQuoted(f Field, i int) int {
	b := r.line
	if i >= len(b) {
		return -1
	}
	if b[i] != '"' {
		if b[i] == '-' && (i+1 == len(b) || b[i+1] == ' ') {
			r.start[f], r.end[f] = uint32(i), uint32(i+1)
			return i + 2
		}
		return -1
	}
	for k := i + 1; ; {
		q := bytes.IndexByte(b[k:], '"')
		if q < 0 {
			return -1
		}
		q += k
		if q+1 == len(b) || b[q+1] == ' ' {
			r.start[f], r.end[f] = uint32(i+1), uint32(q)
			return q + 2
		}
		k = q + 1
	}
}

// validTail checks the fields after the User-Agent whose values are known.
// A line with an odd value in a late optional field fails it too, so that
// the slow path keeps the record with a warning.
func (r *Record) validTail() bool {
	n, b := r.n, r.line
	if n <= int(SigV) {
		return true
	}
	if !isSigV(b[r.start[SigV]:r.end[SigV]]) {
		return false
	}
	if n <= int(AuthType) {
		return true
	}
	if !isAuthType(b[r.start[AuthType]:r.end[AuthType]]) {
		return false
	}
	if n <= int(TLSVersion) {
		return true
	}
	return isTLSVersion(b[r.start[TLSVersion]:r.end[TLSVersion]]) && !r.oddOptional()
}

// oddOptional reports whether a late optional field (Access Point ARN,
// aclRequired, source region) holds a value of the wrong shape.
func (r *Record) oddOptional() bool {
	if r.n <= int(AccessPointARN) {
		return false
	}
	b := r.line
	if !isARN(b[r.start[AccessPointARN]:r.end[AccessPointARN]]) {
		return true
	}
	if r.n <= int(ACLRequired) {
		return false
	}
	if v := b[r.start[ACLRequired]:r.end[ACLRequired]]; !isDash(v) && string(v) != "Yes" {
		return true
	}
	return r.n > int(SourceRegion) && !isRegion(b[r.start[SourceRegion]:r.end[SourceRegion]])
}

// isOperation reports whether b looks like an operation name:
// REST.GET.OBJECT, S3.COMPUTE.OBJECT.CHECKSUM, SOAP.CreateBucket.
func isOperation(b []byte) bool {
	if len(b) < 3 || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	dot := false
	for _, c := range b {
		switch {
		case c == '.':
			dot = true
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return dot && b[len(b)-1] != '.'
}

// opCache holds operation names isOperation accepted, for the indexed
// fast path: a log has few distinct operations, and comparing a name with
// a remembered one is a few word compares where isOperation is a loop
// over its bytes. It is direct-mapped on a hash of the name's length and
// first and last 8 bytes; a name that misses is checked by isOperation,
// so any name, known or not, is accepted exactly when isOperation
// accepts it.
type opCache [64]struct {
	n              int    // the name's length, 8..32; 0 for an empty slot
	w0, w1, w2, wl uint64 // its bytes 0..7, 8..15, 16..23 and its last 8
}

// isOperation is isOperation(b[i:e]).
func (c *opCache) isOperation(b []byte, i, e int) bool {
	l := e - i
	if l < 8 || l > 32 {
		return isOperation(b[i:e])
	}
	w0, wl := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[e-8:])
	s := &c[((w0^wl*0x9e3779b97f4a7c15)+uint64(l))*0xff51afd7ed558ccd>>58]
	if s.n == l && s.w0 == w0 && s.wl == wl &&
		(l <= 16 || s.w1 == binary.LittleEndian.Uint64(b[i+8:]) && (l <= 24 || s.w2 == binary.LittleEndian.Uint64(b[i+16:]))) {
		return true
	}
	if !isOperation(b[i:e]) {
		return false
	}
	s.n, s.w0, s.w1, s.w2, s.wl = l, w0, 0, 0, wl
	if l > 16 {
		s.w1 = binary.LittleEndian.Uint64(b[i+8:])
	}
	if l > 24 {
		s.w2 = binary.LittleEndian.Uint64(b[i+16:])
	}
	return true
}

// isNumberOrDash reports whether b is "-" or a decimal number; a status must
// have three digits.
func isNumberOrDash(b []byte, status bool) bool {
	if len(b) == 1 && b[0] == '-' {
		return true
	}
	if status && len(b) != 3 || len(b) == 0 || len(b) > 18 {
		return false
	}
	for _, c := range b {
		if c-'0' > 9 {
			return false
		}
	}
	return true
}

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// The validators below switch on the length first: one compare rules
// out most wrong values, and the content is then compared a word at a time.

func isSigV(b []byte) bool {
	switch len(b) {
	case 1:
		return b[0] == '-'
	case 5:
		return string(b[:4]) == "SigV" && (b[4] == '4' || b[4] == '2')
	}
	return false
}

func isAuthType(b []byte) bool {
	switch len(b) {
	case 1:
		return b[0] == '-'
	case 10:
		return string(b) == "AuthHeader"
	case 11:
		return string(b) == "QueryString"
	}
	return false
}

// isTLSVersion accepts "-" and TLSv1, TLSv1.1, TLSV1.2 (AWS's docs use both
// casings).
func isTLSVersion(b []byte) bool {
	if isDash(b) {
		return true
	}
	if len(b) < 5 || len(b) > 9 || string(b[:3]) != "TLS" || (b[3] != 'v' && b[3] != 'V') {
		return false
	}
	for _, c := range b[4:] {
		if c-'0' > 9 && c != '.' {
			return false
		}
	}
	return true
}

func isARN(b []byte) bool { return isDash(b) || bytes.HasPrefix(b, []byte("arn:")) }

// isRegion accepts "-" and region names such as us-east-1, us-gov-west-1:
// two lower-case letters, a dash, and a digit at the end.
func isRegion(b []byte) bool {
	if isDash(b) {
		return true
	}
	n := len(b)
	return n >= 6 && n <= 24 && b[0] >= 'a' && b[0] <= 'z' && b[1] >= 'a' && b[1] <= 'z' && b[2] == '-' &&
		b[n-1] >= '0' && b[n-1] <= '9'
}

// skipSpaces returns the first offset at or after i that is not a space.
func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// next returns where the field after the separator at i starts: i+1, or
// past a run of spaces, which is read as one separator (WarnSpacing).
func (r *Record) next(i int) int {
	j := skipSpaces(r.line, i+1)
	if j > i+1 {
		r.warn |= WarnSpacing
	}
	return j
}

// isLateFieldValue reports whether b is a value only the fields after Host
// Id hold; finding one in the wrong slot means the fields are shifted.
func isLateFieldValue(b []byte) bool {
	return (isSigV(b) || isAuthType(b) || isTLSVersion(b)) && !isDash(b)
}

// span is a token's [start, end) in the line.
type span struct{ s, e int }

// slow parses a line that failed the fast path's checks. It resynchronises
// where real logs are known to differ from plain splitting and rejects what
// cannot be read without guessing.
func (r *Record) slow() error {
	r.extra, r.xoff, r.warn = 0, 0, 0
	b := r.line
	n := len(b)
	fail := func(f Field, col int, format string, args ...any) error {
		return &ParseError{Column: col + 1, Field: f, Reason: fmt.Sprintf(format, args...)}
	}
	if n == 0 {
		return fail(BucketOwner, 0, "empty line")
	}
	// token returns the token at i; e == n at the end of the line.
	token := func(i int) span {
		j := bytes.IndexByte(b[i:], ' ')
		if j < 0 {
			return span{i, n}
		}
		return span{i, i + j}
	}
	i := 0
	truncated := func(f Field, i int) error {
		return fail(f, min(i, n), "line ends before this field: truncated record")
	}
	for f := BucketOwner; f <= Bucket; f++ {
		if i >= n {
			return truncated(f, i)
		}
		t := token(i)
		if t.e == t.s {
			return fail(f, i, "line starts with a space")
		}
		r.start[f], r.end[f] = uint32(t.s), uint32(t.e)
		i = r.next(t.e)
	}
	if i >= n {
		return truncated(Time, i)
	}
	if b[i] != '[' {
		return fail(Time, i, "expected [dd/Mon/yyyy:HH:mm:ss +zzzz]")
	}
	close := bytes.IndexByte(b[i:min(n, i+64)], ']')
	if close < 0 {
		return fail(Time, i, "no closing ]")
	}
	close += i
	unix, ok := parseTime(b[i+1 : close])
	if !ok {
		return fail(Time, i+1, "malformed time %q", b[i+1:close])
	}
	r.unix = unix
	r.start[Time], r.end[Time] = uint32(i+1), uint32(close)
	if close+1 < n && b[close+1] != ' ' {
		return fail(Time, close+1, "no space after ]")
	}
	i = r.next(close + 1)
	if col := findSplice(b, i); col >= 0 {
		return fail(Time, col, "a second record's timestamp: two records spliced on one line")
	}
	if i >= n {
		return truncated(RemoteIP, i)
	}
	t := token(i)
	r.start[RemoteIP], r.end[RemoteIP] = uint32(t.s), uint32(t.e)
	i = r.next(t.e)

	// Requester, which may hold spaces (CloudFront origin access identity):
	// take the fewest tokens after which a request id and an operation name
	// follow. Tokens are separated by runs of spaces here; only the runs
	// inside the fields taken are counted as doubled separators.
	const maxRequesterTokens = 8
	var toks [maxRequesterTokens + 2]span
	nt := 0
	for k := i; nt < len(toks) && k < n; nt++ {
		toks[nt] = token(k)
		k = skipSpaces(b, toks[nt].e+1)
	}
	found := -1
	for k := 0; k+2 < nt && k < maxRequesterTokens; k++ {
		if isOperation(b[toks[k+2].s:toks[k+2].e]) {
			found = k
			break
		}
	}
	if found < 0 {
		if nt < 3 {
			return truncated(Operation, n)
		}
		return fail(Operation, toks[2].s, "%q is not an operation name", b[toks[2].s:toks[2].e])
	}
	for k := 0; k < found+2; k++ {
		if toks[k+1].s > toks[k].e+1 {
			r.warn |= WarnSpacing
		}
	}
	r.start[Requester], r.end[Requester] = uint32(toks[0].s), uint32(toks[found].e)
	r.start[RequestID], r.end[RequestID] = uint32(toks[found+1].s), uint32(toks[found+1].e)
	r.start[Operation], r.end[Operation] = uint32(toks[found+2].s), uint32(toks[found+2].e)
	i = r.next(toks[found+2].e)
	if i >= n {
		return truncated(Key, i)
	}
	t = token(i)
	r.start[Key], r.end[Key] = uint32(t.s), uint32(t.e)
	i = r.next(t.e)

	// Request-URI: bare "-", or quoted, closing at the first quote that is
	// followed by a space and a status ("403" or "-").
	if i >= n {
		return truncated(RequestURI, i)
	}
	switch {
	case b[i] == '-' && (i+1 == n || b[i+1] == ' '):
		r.start[RequestURI], r.end[RequestURI] = uint32(i), uint32(i+1)
		i = r.next(i + 1)
	case b[i] == '"':
		// Candidates are quotes followed by a space; the first one after
		// which the numeric fields and the referrer's start fit wins.
		q, httpEnd := -1, -1
		for k := i + 1; k < n; {
			j := bytes.IndexByte(b[k:], '"')
			if j < 0 {
				break
			}
			j += k
			k = j + 1
			if j+1 < n && b[j+1] != ' ' {
				continue
			}
			if httpEnd < 0 && endsWithHTTPVersion(b[i+1:j]) {
				httpEnd = j
			}
			if j+1 < n && fitsAfterRequestLine(b, skipSpaces(b, j+1)) {
				q = j
				break
			}
		}
		if q < 0 && httpEnd >= 0 {
			// Report what is wrong after the likeliest close.
			q = httpEnd
		}
		if q < 0 {
			return fail(RequestURI, i, "no closing quote followed by an HTTP status")
		}
		r.start[RequestURI], r.end[RequestURI] = uint32(i+1), uint32(q)
		i = r.next(q + 1)
	default:
		return fail(RequestURI, i, "expected a quoted request line or -")
	}

	for f := HTTPStatus; f <= TurnAroundTime; f++ {
		if i >= n {
			return truncated(f, i)
		}
		t := token(i)
		if f != ErrorCode && !isNumberOrDash(b[t.s:t.e], f == HTTPStatus) {
			if f == HTTPStatus {
				return fail(f, i, "%q is not a 3-digit status or -", b[t.s:t.e])
			}
			return fail(f, i, "%q is not a number or -", b[t.s:t.e])
		}
		r.start[f], r.end[f] = uint32(t.s), uint32(t.e)
		i = r.next(t.e)
	}

	// Referer: bare "-", or quoted, closing at the first quote followed by a
	// space and then the User-Agent (a quote, or a bare "-").
	if i >= n {
		return truncated(Referer, i)
	}
	switch {
	case b[i] == '-' && (i+1 == n || b[i+1] == ' '):
		r.start[Referer], r.end[Referer] = uint32(i), uint32(i+1)
		i = r.next(i + 1)
	case b[i] == '"':
		q, first := -1, -1
		for k := i + 1; k < n; {
			j := bytes.IndexByte(b[k:], '"')
			if j < 0 {
				break
			}
			j += k
			k = j + 1
			if j+1 == n || b[j+1] != ' ' {
				continue
			}
			if first < 0 {
				first = j
			}
			if u := skipSpaces(b, j+1); u < n && (b[u] == '"' || b[u] == '-' && (u+1 == n || b[u+1] == ' ')) {
				q = j
				break
			}
		}
		if q < 0 {
			if first < 0 {
				return fail(Referer, i, "no closing quote")
			}
			return fail(UserAgent, skipSpaces(b, first+1), "expected a quoted user agent or -")
		}
		r.start[Referer], r.end[Referer] = uint32(i+1), uint32(q)
		i = r.next(q + 1)
	default:
		return fail(Referer, i, "expected a quoted referrer or -")
	}

	// User-Agent: bare "-", or quoted, closing at the last quote of the line:
	// no field after it is quoted.
	if i >= n {
		return truncated(UserAgent, i)
	}
	switch {
	case b[i] == '-' && (i+1 == n || b[i+1] == ' '):
		r.start[UserAgent], r.end[UserAgent] = uint32(i), uint32(i+1)
		i = r.next(i + 1)
	case b[i] == '"':
		q := bytes.LastIndexByte(b, '"')
		if q <= i {
			return fail(UserAgent, i, "no closing quote")
		}
		if q+1 < n && b[q+1] != ' ' {
			return fail(UserAgent, q, "closing quote not followed by a space")
		}
		r.start[UserAgent], r.end[UserAgent] = uint32(i+1), uint32(q)
		i = r.next(q + 1)
	default:
		return fail(UserAgent, i, "expected a quoted user agent or -")
	}
	if i >= n {
		r.n = MinFields
		return nil
	}
	if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
		return fail(VersionID, i+q, "unexpected quote after the User-Agent")
	}
	return r.slowTail(i, fail)
}

// slowTail reads the fields after the User-Agent, starting at i. A Host Id
// logged as two tokens is merged when that puts a valid signature version
// in its slot. A tail whose values fit no known field is taken as unknown
// trailing fields after Version Id, unless it holds values of the known late
// fields, which means the fields are shifted.
func (r *Record) slowTail(i int, fail func(Field, int, string, ...any) error) error {
	b := r.line
	n := len(b)
	// The first tokens are kept (10 known fields, one more for a merged
	// Host Id); the rest are only counted and checked.
	const keep = 16
	var tail [keep]span
	nt := 0
	late := false // a token after Version Id holds a late field's value
	for k := i; ; {
		j := bytes.IndexByte(b[k:], ' ')
		e := n
		if j >= 0 {
			e = k + j
		}
		if nt < keep {
			tail[nt] = span{k, e}
		}
		if nt >= 1 && isLateFieldValue(b[k:e]) {
			late = true
		}
		nt++
		if j < 0 {
			break
		}
		k = r.next(e)
	}
	tok := func(k int) []byte { return b[tail[k].s:tail[k].e] }
	const sigAt = int(SigV - VersionID) // index of SigV in tail
	merge := false
	if nt > sigAt && !isSigV(tok(sigAt)) {
		if nt > sigAt+1 && isSigV(tok(sigAt+1)) {
			merge = true
		} else {
			if late {
				return fail(SigV, tail[sigAt].s, "%q is not SigV2, SigV4 or -: fields are shifted", tok(sigAt))
			}
			// An 18-field record followed by unknown fields.
			r.start[VersionID], r.end[VersionID] = uint32(tail[0].s), uint32(tail[0].e)
			r.n = int(VersionID) + 1
			r.xoff = tail[1].s
			r.extra = nt - 1
			return nil
		}
	}
	f := VersionID
	for k := 0; k < min(nt, keep); k++ {
		if int(f) == NumFields {
			r.xoff = tail[k].s
			r.extra = nt - k
			break
		}
		s, e := tail[k].s, tail[k].e
		if f == HostID && merge {
			k++
			e = tail[k].e
		}
		r.start[f], r.end[f] = uint32(s), uint32(e)
		f++
	}
	if int(f) < NumFields || r.extra == 0 {
		r.n = int(f)
	} else {
		r.n = NumFields
	}
	for _, c := range []struct {
		f  Field
		ok func([]byte) bool
		is string
	}{
		{SigV, isSigV, "SigV2, SigV4 or -"},
		{AuthType, isAuthType, "AuthHeader, QueryString or -"},
		{TLSVersion, isTLSVersion, "a TLS version or -"},
	} {
		if int(c.f) < r.n && !c.ok(r.Bytes(c.f)) {
			return fail(c.f, int(r.start[c.f]), "%q is not %s", r.Bytes(c.f), c.is)
		}
	}
	if r.oddOptional() {
		r.warn |= WarnOddValue
	}
	return nil
}

// endsWithHTTPVersion reports whether a request line ends in " HTTP/d.d".
func endsWithHTTPVersion(b []byte) bool {
	n := len(b)
	return n >= 9 && string(b[n-9:n-3]) == " HTTP/" && b[n-3] >= '0' && b[n-3] <= '9' && b[n-2] == '.' && b[n-1] >= '0' && b[n-1] <= '9'
}

// fitsAfterRequestLine reports whether the fields from i on look like what
// follows a request line: a status, an error code, four numbers (or -), and
// the start of the referrer.
func fitsAfterRequestLine(b []byte, i int) bool {
	for f := HTTPStatus; f <= Referer; f++ {
		if i >= len(b) {
			return false
		}
		j := bytes.IndexByte(b[i:], ' ')
		if j <= 0 {
			return false
		}
		t := b[i : i+j]
		switch f {
		case ErrorCode:
		case Referer:
			return t[0] == '"' || isDash(t)
		default:
			if !isNumberOrDash(t, f == HTTPStatus) {
				return false
			}
		}
		i = skipSpaces(b, i+j+1)
	}
	return false
}

// findSplice returns the offset of a record timestamp "[dd/Mon/yyyy:" that
// starts a token at or after from, or -1. Inside quoted fields a bracket
// preceded by a space is possible in principle, so this runs on the slow
// path only, for lines that already failed validation.
func findSplice(b []byte, from int) int {
	for k := from; k < len(b); {
		j := bytes.IndexByte(b[k:], '[')
		if j < 0 {
			return -1
		}
		j += k
		if j+28 <= len(b) && j > 0 && b[j-1] == ' ' {
			if _, ok := parseTimeFixed(b[j+1 : j+27]); ok && b[j+27] == ']' {
				return j
			}
		}
		k = j + 1
	}
	return -1
}
