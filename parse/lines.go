package parse

import "bytes"

// The prefilter's block skip. With a prefilter that needs a string, a
// Scanner in block mode does not cut every line and test it: one pass
// over the block (findHits, with the AVX2 kernel scanHits) finds the
// places where the string may be, with the number of line ends before
// each, so that Scan counts the lines between them as ruled out and cuts
// and tests only the lines the string may be in. The record stage has
// the pass done when it counts a chunk's lines (BlockLines), so a chunk
// is read from memory once; otherwise Scan does it when it first needs
// it. Without the kernel, every line is cut and tested.
//
// A line is passed over only when it is sure not to be blank (IsBlank;
// a blank line is not counted): its first byte is above ' '. Where a line
// may be blank, or longer than the line limit, Scan cuts and tests the
// lines one by one.

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

// maxHits is the most hits a Scanner holds; past them, Scan cuts and tests
// lines until it finds the next hits.
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
	if haveHitScan {
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
	if s.needle == nil || s.pos != 0 {
		return int64(bytes.Count(s.data, []byte{'\n'}))
	}
	s.findHits()
	return int64(s.hitsLines + bytes.Count(s.data[s.hitsEnd:], []byte{'\n'}))
}

// SetFirstLine sets the line number of the block's first line (set to
// ResetBytes's firstLine until then). Call it before the first Scan.
func (s *Scanner) SetFirstLine(n int64) {
	s.line, s.line0 = n-1, n-1
}

// findHits finds the hits of data from pos, a line's start.
func (s *Scanner) findHits() {
	p := s.pos
	if s.hits == nil {
		s.hits = make(hitList, 0, 2*maxHits)
	}
	var n int
	s.hits, s.hitsLines, s.hitsBlank, n = findHits(s.data[p:min(len(s.data), p+1<<31)], s.needle, s.hits)
	s.hitsBase, s.hitsEnd, s.hitAt = p, p+n, 0
	s.hitsLine = int(s.line - s.line0)
}

// skipToHit passes over the lines from pos that do not hold the prefilter's
// string, counting them as lines the prefilter skipped. It stops at the
// line the next hit is in, or at the end of the data, or leaves the lines
// to Scan (up to cand) where it cannot count them exactly.
func (s *Scanner) skipToHit() {
	if s.pos >= s.hitsEnd {
		s.findHits()
	}
	d, p := s.data, s.pos
	nl := int(s.line-s.line0) - s.hitsLine // '\n' from hitsBase to p
	blank := false
	h, base := s.hits, s.hitsBase
	for ; s.hitAt < h.len(); s.hitAt++ {
		q := base + h.pos(s.hitAt)
		if q < p {
			continue // in a line Scan has passed
		}
		blank = blank || h.blank(s.hitAt)
		if !bytes.Equal(d[q:min(len(d), q+len(s.needle))], s.needle) {
			continue
		}
		// The string is in the line at end: the lines before it are
		// passed over, and the hit stays for Scan to come back to.
		s.pass(max(p, base+h.start(s.hitAt)), h.newlines(s.hitAt)-nl, blank)
		return
	}
	if s.hitsEnd < len(d) {
		// The hits ran out of room: Scan takes the lines to their end,
		// then finds the next ones.
		s.cand = s.hitsEnd
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
