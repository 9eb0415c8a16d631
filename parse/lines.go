package parse

import "bytes"

// The prefilter's block skip. With a prefilter that needs a string, a
// Scanner in block mode does not cut every line and test it: it searches
// the block for the string (indexNeedle), then counts the lines it passed
// over without the string (lineStats), and cuts and tests only the line
// the string is in. The kernels (pairScan, lineScan) are AVX2; without
// them every line is cut and tested.

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
	s.cand = end
	if end == p {
		return
	}
	if end-p > s.maxLine || d[p] <= ' ' {
		return
	}
	n, mayBlank := lineStats(d[p:end])
	if mayBlank {
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
