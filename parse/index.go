package parse

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The structural index of a stretch of input has, for every 64 bytes, one
// 64-bit mask per class of byte the parser looks for, bit i of a mask set
// when byte i of those 64 is of that class. It is built in one SIMD pass
// (indexAVX2, indexAVX512) and read with bit arithmetic: the next separator after an
// offset is a shift and a TrailingZeros, not a call, as in simdjson's
// stage 1. The masks of one 64-byte chunk are stored together, mKinds
// words apart from the next chunk's.
const (
	mSpace   = iota // ' '
	mQuote          // '"' or '[' (fastIndexed looks for both together)
	mNewline        // '\n'
	mPad            // not written: four words a chunk make chunk a shift and a mask
	mKinds
)

// ixWords is how many 64-byte chunks a Scanner indexes at a time: 16 KiB of
// input, 8 KiB of index, which stays in the L1 cache while its lines are
// parsed. A line is parsed with the index when it fits in one window, which
// starts at a line; longer lines take bytes.IndexByte.
const ixWords = 256

// indexGo is the portable indexer: it writes the masks of src, a partial
// last chunk included (its missing bytes read as no class), to dst, which
// must hold mKinds words per started chunk; as the kernels, it leaves
// each chunk's mPad word as it is.
func indexGo(src []byte, dst []uint64) {
	for k := 0; k*64 < len(src); k++ {
		var m [mPad]uint64
		for i, c := range src[k*64 : min(len(src), k*64+64)] {
			switch c {
			case ' ':
				m[mSpace] |= 1 << i
			case '"', '[':
				m[mQuote] |= 1 << i
			case '\n':
				m[mNewline] |= 1 << i
			}
		}
		copy(dst[k*mKinds:], m[:])
	}
}

// reindex makes the Scanner's index window cover data[p:end], or as much
// of it as fits in ixWords chunks.
func (s *Scanner) reindex(p, end int) {
	end = min(end, p+ixWords*64, len(s.data))
	n := end - p
	full, words := n/64, (n+63)/64
	if s.ix == nil {
		s.ix = new(ixWin)
	}
	indexWords(s.data[p:p+64*full], s.ix[:])
	if full < words {
		// The partial last chunk, padded with zeros (no class).
		var pad [64]byte
		copy(pad[:], s.data[p+64*full:end])
		indexWords(pad[:], s.ix[full*mKinds:])
	}
	// A zero chunk after the last one lets a search starting at the end
	// of a line read one chunk further without a bounds test, and a
	// newline marked at the window's end stops a search for one there.
	clear(s.ix[words*mKinds : (words+1)*mKinds])
	s.ix[n/64*mKinds+mNewline] |= 1 << (n % 64)
	s.ixBase, s.ixEnd = p, end
}

// lineEndSlow returns the offset of the '\n' that ends the line starting
// at data[p], or len(data) when none does, for a line whose newline the
// index window does not hold (Scan looks there first), indexing from p.
// It is not used with a prefilter, which skips most lines unparsed: then
// only the lines that are parsed are indexed (see indexLine), and Scan
// finds the others' ends with bytes.IndexByte.
func (s *Scanner) lineEndSlow(p int) int {
	d := s.data
	if p >= s.ixBase && p < s.ixEnd && s.ixEnd == len(d) {
		return len(d) // the last line, without a newline
	}
	s.reindex(p, len(d))
	if e := s.findNewline(p); e < s.ixEnd || s.ixEnd == len(d) {
		return e
	}
	// Longer than a window.
	if e := bytes.IndexByte(d[p:], '\n'); e >= 0 {
		return p + e
	}
	return len(d)
}

// findNewline returns the offset of the first '\n' at or after data[p]
// within the index window, or ixEnd when there is none.
func (s *Scanner) findNewline(p int) int {
	return s.ixBase + int(newlineAt(s.ix, uint(p-s.ixBase)))
}

// indexLine makes the index window hold the line data[p:e], which it
// does not, and reports whether it could: not for a line longer than a
// window.
func (s *Scanner) indexLine(p, e int) bool {
	if e-p > ixWords*64 {
		return false
	}
	s.reindex(p, e)
	return true
}

// ixLen is the length of a Scanner's index: at least (ixWords+1)*mKinds
// words, and a power of two, so that the fast path reads it modulo ixLen
// (see chunk), without a bounds test.
const ixLen = 512 * mKinds

// ixWin is an index window as the fast path reads it.
type ixWin = [ixLen]uint64

// walk and step walk the bits of class k of the window a for the line at
// window offset o, in line offsets: the walk's state is base, the line
// offset of a chunk's first byte (negative for the chunk where the line
// starts), and m, the bits of that chunk not yet passed. Both are passed
// by value so that they stay in registers.

// walk starts a walk at line offset i. (The bits before it are cleared
// with two shifts, one instruction fewer than with a mask.)
func walk(a *ixWin, k, o uint, i int) (base int, m uint64) {
	p := o + uint(i)
	return int(p&^63) - int(o), a[chunk(p)+k] >> (p % 64) << (p % 64)
}

// step returns the line offset of the walk's next bit and passes it. The
// end of every line is marked (see Scanner.Scan), so a walk finds a bit
// at or before the line's end.
//
// Each return is where m is known not to be zero, so that the compiler
// emits one BSF for the TrailingZeros, without the CMOV that gives 64 for
// a zero word: one return after an "if m == 0 { for ... }" around the
// loop hid that from it (two instructions more a step, 5 % of a scan).
func step(a *ixWin, k, o uint, base int, m uint64) (int, int, uint64) {
	if m != 0 {
		return base + bits.TrailingZeros64(m), base, m & (m - 1)
	}
	for {
		base += 64
		if m = a[chunk(uint(base)+o)+k]; m != 0 {
			return base + bits.TrailingZeros64(m), base, m & (m - 1)
		}
	}
}

// chunk returns the index in a window of the masks of the chunk that
// holds window offset p, modulo ixLen: that index plus a class needs no
// bounds test. It is p / 64 * mKinds % ixLen, as one shift and one mask
// (mKinds and ixLen are powers of two): one instruction fewer each time
// a walk starts or goes on to the next chunk than with three words a
// chunk, whose index took a multiply (a LEA) more.
func chunk(p uint) uint { return p / (64 / mKinds) % ixLen &^ (mKinds - 1) }

// newlineAt returns the window offset of the first '\n' at or after
// window offset p. A newline is marked at the window's end (see reindex),
// so the search stops there. It reads the newline masks as an array from
// the first one, modulo ixLen (see chunk), so that its loop has no bounds
// test and the class needs no add.
func newlineAt(ix *ixWin, p uint) uint {
	a := (*[ixLen - mNewline]uint64)(ix[mNewline:])
	m := a[chunk(p)] >> (p % 64) << (p % 64)
	p &^= 63
	for m == 0 {
		p += 64
		m = a[chunk(p)]
	}
	return p + uint(bits.TrailingZeros64(m))
}

// fastIndexed is fast with the line's structural index: a is the index
// window and o the line's offset in it. It makes the same checks as fast
// (each as soon as its field is found, not in fast's order: a line fails
// or passes them all the same), reading each field's end from the index
// instead of calling bytes.IndexByte, so it accepts exactly the lines fast
// accepts with the same fields (FuzzIndexedScan compares them).
func (r *Record) fastIndexed(a *ixWin, o uint) bool {
	b := r.line
	n := len(b)
	// Each field is written out: a loop over the fields costs a third
	// more. A field's end is the walk's next space, which must not end
	// an empty field (a doubled space) or be the line's end.
	sb, sm := walk(a, mSpace, o, 0) // the walk over the line's spaces
	var e, q, qb int                // a field's end, a quote, and the walk over the quotes
	var qm uint64
	br := false // a '[' after the time, which may start a spliced record
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= 0 || e >= n {
		return false
	}
	r.start[BucketOwner], r.end[BucketOwner] = 0, uint32(e)
	i := e + 1
	if e, _, _ = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[Bucket], r.end[Bucket] = uint32(i), uint32(e)
	i = e + 1
	// Time, fixed width: [06/Feb/2019:00:00:38 +0000]. (Written out in
	// both fast paths: a call here costs 2% of a scan.)
	if i+28 >= n || b[i] != '[' || b[i+27] != ']' || b[i+28] != ' ' {
		return false
	}
	// The date cache's common case inline: the day of the line before,
	// and only the clock to read, "HH:MM:SS" as one word: each digit
	// minus '0' (an xor, as '0' is 0x30) must be 0..9, its high nibble
	// clear and no carry into it when 6 is added (a carry out of a byte
	// happens only when that byte already fails), and each colon xor ':'
	// must be 0 (parseTime26 makes the same checks).
	t := b[i+1 : i+27]
	if d := &r.day; d.ok && binary.LittleEndian.Uint64(t[0:8]) == d.date && binary.LittleEndian.Uint32(t[8:12]) == d.year &&
		binary.LittleEndian.Uint64(t[18:26])&^0xffff == d.zone {
		c := binary.LittleEndian.Uint64(t[12:20]) ^ 0x30303a30303a3030
		hh, mm, ss := c&0xff*10+c>>8&0xff, c>>24&0xff*10+c>>32&0xff, c>>48&0xff*10+c>>56
		if (c|(c+0x0606060606060606))&0xf0f0f0f0f0f0f0f0|c&0x0000ff0000ff0000 != 0 || hh > 23 || mm > 59 || ss > 59 {
			return false
		}
		r.unix = d.base + int64(hh*3600+mm*60+ss)
	} else {
		unix, ok := d.parseTime26(t)
		if !ok {
			return false
		}
		r.unix = unix
	}
	r.start[Time], r.end[Time] = uint32(i+1), uint32(i+27)
	i += 29
	sb, sm = walk(a, mSpace, o, i)
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[RemoteIP], r.end[RemoteIP] = uint32(i), uint32(e)
	br = br || b[i] == '['
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[Requester], r.end[Requester] = uint32(i), uint32(e)
	br = br || b[i] == '['
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[RequestID], r.end[RequestID] = uint32(i), uint32(e)
	br = br || b[i] == '['
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n || !r.ops.isOperation(b, i, e) {
		return false
	}
	r.start[Operation], r.end[Operation] = uint32(i), uint32(e)
	i = e + 1
	if e, _, _ = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[Key], r.end[Key] = uint32(i), uint32(e)
	br = br || b[i] == '['
	i = e + 1
	// RequestURI: "-", or quoted, closing at the first quote followed by a
	// space or the line's end (fastQuoted).
	if i >= n {
		return false
	}
	if b[i] == '"' {
		qb, qm = walk(a, mQuote, o, i+1)
		for {
			if q, qb, qm = step(a, mQuote, o, qb, qm); q >= n {
				return false
			}
			if b[q] == '[' {
				br = true
			} else if q+1 == n || b[q+1] == ' ' {
				break
			}
		}
		r.start[RequestURI], r.end[RequestURI] = uint32(i+1), uint32(q)
		i = q + 2
	} else if b[i] == '-' && (i+1 == n || b[i+1] == ' ') {
		r.start[RequestURI], r.end[RequestURI] = uint32(i), uint32(i+1)
		i += 2
	} else {
		return false
	}
	if i >= n {
		return false
	}
	sb, sm = walk(a, mSpace, o, i)
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n || !(e-i == 3 && i+8 <= n && digits(b[i:i+8:i+8]) == 3 || isNumberOrDash(b[i:e], true)) {
		return false
	}
	r.start[HTTPStatus], r.end[HTTPStatus] = uint32(i), uint32(e)
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n {
		return false
	}
	r.start[ErrorCode], r.end[ErrorCode] = uint32(i), uint32(e)
	br = br || b[i] == '['
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n || !(i+8 <= n && digits(b[i:i+8:i+8]) == e-i || isNumberOrDash(b[i:e], false)) {
		return false
	}
	r.start[BytesSent], r.end[BytesSent] = uint32(i), uint32(e)
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n || !(i+8 <= n && digits(b[i:i+8:i+8]) == e-i || isNumberOrDash(b[i:e], false)) {
		return false
	}
	r.start[ObjectSize], r.end[ObjectSize] = uint32(i), uint32(e)
	i = e + 1
	if e, sb, sm = step(a, mSpace, o, sb, sm); e <= i || e >= n || !(i+8 <= n && digits(b[i:i+8:i+8]) == e-i || isNumberOrDash(b[i:e], false)) {
		return false
	}
	r.start[TotalTime], r.end[TotalTime] = uint32(i), uint32(e)
	i = e + 1
	if e, _, _ = step(a, mSpace, o, sb, sm); e <= i || e >= n || !(i+8 <= n && digits(b[i:i+8:i+8]) == e-i || isNumberOrDash(b[i:e], false)) {
		return false
	}
	r.start[TurnAroundTime], r.end[TurnAroundTime] = uint32(i), uint32(e)
	i = e + 1
	// Referer: "-", or quoted, closing at the first quote followed by a
	// space or the line's end (fastQuoted).
	if i >= n {
		return false
	}
	if b[i] == '"' {
		qb, qm = walk(a, mQuote, o, i+1)
		for {
			if q, qb, qm = step(a, mQuote, o, qb, qm); q >= n {
				return false
			}
			if b[q] == '[' {
				br = true
			} else if q+1 == n || b[q+1] == ' ' {
				break
			}
		}
		r.start[Referer], r.end[Referer] = uint32(i+1), uint32(q)
		i = q + 2
	} else if b[i] == '-' && (i+1 == n || b[i+1] == ' ') {
		r.start[Referer], r.end[Referer] = uint32(i), uint32(i+1)
		i += 2
	} else {
		return false
	}
	if i >= n {
		return false
	}
	// UserAgent: "-", or quoted, closing at the first quote followed by a
	// space or the line's end (fastQuoted).
	if i >= n {
		return false
	}
	if b[i] == '"' {
		qb, qm = walk(a, mQuote, o, i+1)
		for {
			if q, qb, qm = step(a, mQuote, o, qb, qm); q >= n {
				return false
			}
			if b[q] == '[' {
				br = true
			} else if q+1 == n || b[q+1] == ' ' {
				break
			}
		}
		r.start[UserAgent], r.end[UserAgent] = uint32(i+1), uint32(q)
		i = q + 2
	} else if b[i] == '-' && (i+1 == n || b[i+1] == ' ') {
		r.start[UserAgent], r.end[UserAgent] = uint32(i), uint32(i+1)
		i += 2
		qb, qm = walk(a, mQuote, o, i) // for the quotes after it (below)
	} else {
		return false
	}
	if i < n {
		// Nothing after the User-Agent is quoted; a quote there means the
		// User-Agent held a quote followed by a space. The walk over the
		// quotes and brackets goes on from the User-Agent's end to the
		// line's, which is marked.
		for {
			if q, qb, qm = step(a, mQuote, o, qb, qm); q >= n {
				break
			}
			if b[q] == '"' {
				return false
			}
			br = true
		}
	}
	// A record's time after the time, "[06/Feb/2019:...", starts a
	// second record spliced onto this one: the slow path rejects the
	// line. Such a '[' follows a space, so it starts a field or is inside
	// a quoted one or after the User-Agent, where the walks over the
	// quotes see the brackets too (br); the fields that may start with
	// one were looked at as they were found.
	if br && findSplice(b, int(r.end[Time])+1) >= 0 {
		return false
	}
	if i >= n {
		r.n = MinFields
		return true
	}
	// The fields after the User-Agent, each checked where its values are
	// known (validTail) as it is found; the line may end after any of them.
	// A line with an odd value in a late optional field fails too, so that
	// the slow path keeps the record with a warning. The line's end is
	// marked at n, before any trailing blanks (see Scanner.Scan), so a
	// walk's step here is at most n, and n ends the line.
	sb, sm = walk(a, mSpace, o, i)
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i {
		return false
	}
	r.start[VersionID], r.end[VersionID] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(VersionID) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i {
		return false
	}
	r.start[HostID], r.end[HostID] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(HostID) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i || !isSigV(b[i:e]) {
		return false
	}
	r.start[SigV], r.end[SigV] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(SigV) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i {
		return false
	}
	r.start[CipherSuite], r.end[CipherSuite] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(CipherSuite) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i || !isAuthType(b[i:e]) {
		return false
	}
	r.start[AuthType], r.end[AuthType] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(AuthType) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i {
		return false
	}
	r.start[HostHeader], r.end[HostHeader] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(HostHeader) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i || !isTLSVersion(b[i:e]) {
		return false
	}
	r.start[TLSVersion], r.end[TLSVersion] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(TLSVersion) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i || !isARN(b[i:e]) {
		return false
	}
	r.start[AccessPointARN], r.end[AccessPointARN] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(AccessPointARN) + 1
		return true
	}
	if e, sb, sm = step(a, mSpace, o, sb, sm); e == i || !isDash(b[i:e]) && string(b[i:e]) != "Yes" {
		return false
	}
	r.start[ACLRequired], r.end[ACLRequired] = uint32(i), uint32(e)
	if i = e + 1; e >= n {
		r.n = int(ACLRequired) + 1
		return true
	}
	if e, _, _ = step(a, mSpace, o, sb, sm); e == i || !isRegion(b[i:e]) {
		return false
	}
	r.start[SourceRegion], r.end[SourceRegion] = uint32(i), uint32(e)
	r.n = NumFields
	return e >= n || r.extraFields(e+1)
}

// digits returns how many of the 8 bytes of w, up to 7, are decimal
// digits before the first that is not: each byte minus '0' (an xor, as
// '0' is 0x30) is above 9 when adding 0x76 sets its high bit or it had
// it already (a carry out of a byte happens only from a byte that is
// above 9 itself, so the first such byte is found exactly). A field that
// a space ends within w is a number when digits gives its length.
func digits(w []byte) int {
	x := binary.LittleEndian.Uint64(w) ^ 0x3030303030303030
	return bits.TrailingZeros64((x+0x7676767676767676|x)&0x8080808080808080|1<<63) >> 3
}
