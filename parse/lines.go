package parse

import "bytes"

// The prefilter's block skip. With a prefilter that needs a string, a
// Scanner in block mode does not cut every line and test it: it finds
// where the string may be, counts the lines it passes over without the
// string, and cuts and tests only the lines the string is in. When the
// block's lines are counted first (BlockLines), one pass (findHits) finds
// the places and counts the lines before each; otherwise Scan searches
// for the string (indexNeedle) and counts the lines it passed over
// (lineStats). The kernels (scanHits, pairScan, lineScan) are AVX2;
// without them every line is cut and tested.
//
// A line is passed over only when it is sure not to be blank (IsBlank;
// a blank line is not counted): its first byte is above ' '. Where a line
// may be blank, or longer than the line limit, Scan cuts and tests the
// lines one by one.

// indexNeedle returns the offset of the first needle in b, or -1, as
// bytes.Index does. It looks for the needle's first and last bytes at
// their distance (pairScan) and compares the candidates: one pass over b,
// where bytes.Index stops at every occurrence of the first byte.
func indexNeedle(b, needle []byte) int {
	d := len(needle) - 1
	if !haveLineKernels || d < 1 {
		return bytes.Index(b, needle)
	}
	i := 0
	for len(b)-i >= d+32 {
		f, next := pairScan(b[i:], needle[0], needle[d], d)
		if f < 0 {
			i += next
			break
		}
		if bytes.Equal(b[i+f:i+f+d+1], needle) {
			return i + f
		}
		i += f + 1
	}
	if j := bytes.Index(b[i:], needle); j >= 0 {
		return i + j
	}
	return -1
}

// lineStats returns the number of '\n' in b, and whether a '\n' in b is
// followed in b by a byte <= ' ', that is whether a line of b after the
// first may be blank (see IsBlank).
func lineStats(b []byte) (n int, mayBlank bool) {
	i := 0
	if haveLineKernels && len(b) >= 32 {
		n, mayBlank, i = lineScan(b)
	}
	for ; i < len(b); i++ {
		if b[i] == '\n' {
			n++
		}
		if i > 0 && b[i-1] == '\n' && b[i] <= ' ' {
			mayBlank = true
		}
	}
	return n, mayBlank
}

// skipLines passes over the lines from s.pos that do not hold the
// prefilter's needle, counting them as lines the prefilter skipped. It
// stops at the line the next needle is in (s.pos, or the end of the
// data), or, where it cannot count exactly what Scan would (a line that
// may be blank, or one that may be longer than maxLine), leaves those
// lines to Scan: up to s.cand, Scan cuts and tests every line.
func (s *Scanner) skipLines() {
	d, p := s.data, s.pos
	end := len(d)
	if i := indexNeedle(d[p:], s.needle); i >= 0 {
		end = p + bytes.LastIndexByte(d[p:p+i], '\n') + 1
	}
	if end == p || end-p > s.maxLine || d[p] <= ' ' {
		s.cand = end
		return
	}
	n, mayBlank := lineStats(d[p:end])
	s.pass(end, n, mayBlank)
}

// A hit is a place in a block where the prefilter's string may start: its
// first and last bytes are there at their distance. Hit i of a hitList
// is two words: the offset (bits 0-31) and the start of its line (bits
// 32-63); the number of '\n' before it (bits 0-62), and whether a blank
// candidate (a byte <= ' ' after a '\n') lies after the previous hit and
// at or before this one (bit 63).
type hitList []uint64

func (h hitList) len() int           { return len(h) / 2 }
func (h hitList) pos(i int) int      { return int(uint32(h[2*i])) }
func (h hitList) start(i int) int    { return int(h[2*i] >> 32) }
func (h hitList) newlines(i int) int { return int(h[2*i+1] &^ (1 << 63)) }
func (h hitList) blank(i int) bool   { return h[2*i+1]>>63 != 0 }
func (h hitList) add(pos, start, n int, blank bool) hitList {
	e := uint64(n)
	if blank {
		e |= 1 << 63
	}
	return append(h, uint64(pos)|uint64(start)<<32, e)
}

// maxHits is the most hits a block keeps; past them, Scan searches (see
// skipLines).
const maxHits = 4096

// findHits writes the hits of needle in b to hits[:cap(hits)] and returns
// them, with the number of '\n' in b[:covered] and whether a blank
// candidate follows the last hit there. covered is len(b), or less when
// hits ran out of room. len(b) must be under 4 GiB.
func findHits(b, needle []byte, hits hitList) (h hitList, n int, blank bool, covered int) {
	d := len(needle) - 1
	c0, c1 := needle[0], needle[d]
	h = hits[:0]
	i := 0
	if haveLineKernels {
		var nh int
		nh, n, blank, i = scanHits(b, c0, c1, d, hits[:cap(hits)])
		if h = hits[:2*nh]; i <= len(b)-d-32 {
			return h, n, blank, i // out of room
		}
	}
	start := 0
	if i > 0 {
		start = bytes.LastIndexByte(b[:i], '\n') + 1
	}
	for ; i < len(b); i++ {
		if i > 0 && b[i-1] == '\n' {
			start = i
			if b[i] <= ' ' {
				blank = true
			}
		}
		if i+d < len(b) && b[i] == c0 && b[i+d] == c1 {
			if len(h)+2 > cap(h) {
				return h, n, blank, i
			}
			h, blank = h.add(i, start, n, blank), false
		}
		if b[i] == '\n' {
			n++
		}
	}
	return h, n, blank, len(b)
}

// BlockLines returns the number of line ends ('\n') of the block set by
// ResetBytes. Called before the first Scan, when the prefilter needs a
// string, it also finds where the string may be on the way, so that Scan
// does not read the lines without it again. Line numbers may be set after
// it, with SetFirstLine.
func (s *Scanner) BlockLines() int64 {
	d := s.data
	if s.needle == nil || len(d) >= 1<<31 {
		return int64(bytes.Count(d, []byte{'\n'}))
	}
	if s.hits == nil {
		s.hits = make(hitList, 0, 2*maxHits)
	}
	s.hits, s.hitsLines, s.hitsBlank, s.hitsEnd = findHits(d, s.needle, s.hits)
	s.hitAt = 0
	return int64(s.hitsLines + bytes.Count(d[s.hitsEnd:], []byte{'\n'}))
}

// SetFirstLine sets the line number of the block's first line (set to
// ResetBytes's firstLine until then). Call it before the first Scan.
func (s *Scanner) SetFirstLine(n int64) {
	s.line, s.line0 = n-1, n-1
}

// skipHits is skipLines with the block's hits, for p before s.hitsEnd.
func (s *Scanner) skipHits() {
	d, p := s.data, s.pos
	nl := int(s.line - s.line0) // '\n' before p
	blank := false
	h := s.hits
	for ; s.hitAt < h.len(); s.hitAt++ {
		q := h.pos(s.hitAt)
		if q < p {
			continue // in a line Scan has passed
		}
		blank = blank || h.blank(s.hitAt)
		if !bytes.Equal(d[q:min(len(d), q+len(s.needle))], s.needle) {
			continue
		}
		// The string is in the line at end: the lines of d[p:end] are
		// passed over, and the hit stays for Scan to come back to.
		s.pass(max(p, h.start(s.hitAt)), h.newlines(s.hitAt)-nl, blank)
		return
	}
	if s.hitsEnd < len(d) {
		s.skipLines() // the hits ran out of room
		return
	}
	s.pass(len(d), s.hitsLines-nl, blank || s.hitsBlank)
}

// pass counts the lines of data[pos:end], n line ends, as passed over by
// the prefilter, or leaves them to Scan (up to cand) when it cannot count
// them exactly: blank says a line after the first may be blank.
func (s *Scanner) pass(end, n int, blank bool) {
	d, p := s.data, s.pos
	s.cand = end
	if end == p || blank || end-p > s.maxLine || d[p] <= ' ' {
		return
	}
	if d[end-1] != '\n' {
		n++ // the last line, without a line end
	}
	s.line += int64(n)
	s.lines += int64(n)
	s.skipped += int64(n)
	s.pos = end
}
