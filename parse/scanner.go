package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLineSize is the longest line a Scanner accepts unless told
// otherwise. Real records are well under 10 KiB; a longer line is rejected
// (counted, reported) and skipped, so memory stays bounded whatever the input.
const DefaultMaxLineSize = 1 << 20

// Scanner reads records from an io.Reader or from an in-memory block, in the
// manner of bufio.Scanner: call Scan until it returns false, then Err.
//
// Only valid records are returned by Scan. A malformed line never stops the
// scan: it is counted (Rejected) and passed to the function set with
// OnReject, then scanning goes on. Err reports I/O errors only.
//
// A Scanner is not safe for concurrent use. Reset and ResetBytes let one
// Scanner, and its buffer, serve many inputs.
type Scanner struct {
	r       io.Reader
	buf     []byte // reader mode: buffered input, data in buf[lo:hi]
	lo, hi  int
	eof     bool
	skip    bool   // discarding the rest of an over-long line
	data    []byte // block mode: the block, lines from data[pos:]
	pos     int
	rec     Record
	object  string
	line    int64
	lines   int64
	rejects int64
	maxLine int
	err     error
	reject  func(*ParseError, []byte)
	perr    ParseError
	pre     *Prefilter
	skipped int64 // lines the prefilter skipped
	warned  int64 // records with warnings
	stopped bool

	// The block skip (see lines.go): needle is the prefilter's longest
	// string, nil for none. hits are those of data[hitsBase:hitsEnd],
	// from hits[hitAt]: hitsLines '\n' there, hitsBlank after the last
	// hit, hitsLine lines before hitsBase. Lines before data[cand] are
	// cut one by one. line0 is the line number before the first line.
	needle    []byte
	cand      int
	hits      hitList
	hitAt     int
	hitsBase  int
	hitsEnd   int
	hitsLines int
	hitsLine  int
	hitsBlank bool
	line0     int64

	// The structural index window (see index.go): the masks of
	// data[ixBase:ixEnd], ixWords chunks of 64 bytes, then a zero chunk.
	ix            *ixWin
	ixBase, ixEnd int
	ixMode        int8 // 0: the index where the CPU has one; 1: always; -1: never (tests)
}

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	s := &Scanner{}
	s.Reset(r, "")
	return s
}

// NewBlockScanner returns a Scanner over the lines of b. Records refer into
// b; no copy is made.
func NewBlockScanner(b []byte) *Scanner {
	s := &Scanner{}
	s.ResetBytes(b, "", 1)
	return s
}

// Reset makes s read from r, naming it object in ParseErrors, with line
// numbers from 1. The buffer is kept.
func (s *Scanner) Reset(r io.Reader, object string) {
	s.resetCommon(object, 1)
	s.r = r
	s.data, s.pos = nil, 0
	if s.buf == nil {
		s.buf = make([]byte, 64<<10)
	}
}

// ResetBytes makes s read the lines of b, naming them object in
// ParseErrors; firstLine is the line number of b's first line.
func (s *Scanner) ResetBytes(b []byte, object string, firstLine int64) {
	s.resetCommon(object, firstLine)
	s.r = nil
	s.data, s.pos = b, 0
	s.ixBase, s.ixEnd = 0, 0
	s.cand, s.hitsEnd = 0, 0
}

// useIndex reports whether block mode locates fields with the structural
// index.
func (s *Scanner) useIndex() bool { return s.ixMode > 0 || s.ixMode == 0 && haveIndex }

func (s *Scanner) resetCommon(object string, firstLine int64) {
	s.object = object
	s.line, s.line0 = firstLine-1, firstLine-1
	s.lines, s.rejects, s.skipped, s.warned = 0, 0, 0, 0
	s.stopped = false
	s.lo, s.hi = 0, 0
	s.eof, s.skip = false, false
	s.err = nil
	if s.maxLine == 0 {
		s.maxLine = DefaultMaxLineSize
	}
}

// SetMaxLineSize sets the longest accepted line (default DefaultMaxLineSize).
// Call it before the first Scan.
func (s *Scanner) SetMaxLineSize(n int) { s.maxLine = n }

// OnReject sets a function called with each malformed line and the reason.
// The ParseError and the line are valid only during the call.
func (s *Scanner) OnReject(fn func(err *ParseError, line []byte)) { s.reject = fn }

// Prefilter rules lines out by their raw bytes before they are parsed. A
// line is kept when it contains each of Contains and, with Time set, when
// its request time (PeekTime) is within [From, To] or cannot be peeked.
// The zero Prefilter keeps every line.
type Prefilter struct {
	Contains [][]byte
	Time     bool
	From, To int64 // Unix seconds, both inclusive
}

// Keep reports whether f keeps line.
func (f *Prefilter) Keep(line []byte) bool {
	for _, n := range f.Contains {
		if !bytes.Contains(line, n) {
			return false
		}
	}
	if f.Time {
		if u, ok := PeekTime(line); ok && (u < f.From || u > f.To) {
			return false
		}
	}
	return true
}

// SetPrefilter sets a prefilter applied to each non-blank line before it
// is parsed: a line it rules out is counted (Lines, Skipped) but not
// parsed, so it is neither returned nor checked for validity. nil (the
// default) parses every line. f must not change while s uses it.
func (s *Scanner) SetPrefilter(f *Prefilter) {
	s.pre, s.needle = f, nil
	if f != nil && haveHitScan {
		for _, n := range f.Contains {
			if len(n) > len(s.needle) {
				s.needle = n
			}
		}
	}
}

// Skipped returns the number of lines the prefilter skipped unparsed.
func (s *Scanner) Skipped() int64 { return s.skipped }

// Warned returns the number of records returned so far that had a warning
// (Record.Warnings).
func (s *Scanner) Warned() int64 { return s.warned }

// Stop makes Scan return false from now on until the next Reset. It may be
// called from the OnReject function, to stop at a malformed line.
func (s *Scanner) Stop() { s.stopped = true }

// Record returns the current record, valid until the next call to Scan.
func (s *Scanner) Record() *Record { return &s.rec }

// LineNumber returns the 1-based line number of the current record.
func (s *Scanner) LineNumber() int64 { return s.line }

// Lines returns the number of lines read so far that are not blank (see
// IsBlank), valid or not.
func (s *Scanner) Lines() int64 { return s.lines }

// Rejected returns the number of malformed lines seen so far.
func (s *Scanner) Rejected() int64 { return s.rejects }

// Err returns the first I/O error, or nil at a clean end of input.
func (s *Scanner) Err() error { return s.err }

// Scan advances to the next valid record. It returns false at the end of
// the input or on an I/O error.
func (s *Scanner) Scan() bool {
	for !s.stopped {
		var line []byte
		p, e := 0, 0 // block mode: line is data[p:e]
		if s.r == nil {
			if p = s.pos; p >= len(s.data) {
				return false
			}
			if s.needle != nil && p >= s.cand {
				if s.skipToHit(); s.pos >= len(s.data) {
					return false
				}
				p = s.pos
			}
			// The common case inline: the index window holds the line's
			// newline (else lineEndSlow).
			e = -1
			if p >= s.ixBase && p < s.ixEnd {
				if e = s.ixBase + int(newlineAt(s.ix, uint(p-s.ixBase))); e >= s.ixEnd {
					e = -1
				}
			}
			if e < 0 {
				if s.pre != nil || !s.useIndex() {
					// Lines a prefilter skips are not indexed.
					e = len(s.data)
					if i := bytes.IndexByte(s.data[p:], '\n'); i >= 0 {
						e = p + i
					}
				} else {
					e = s.lineEndSlow(p)
				}
			}
			line, s.pos = s.data[p:e], e+1
			if len(line) > s.maxLine {
				s.line++
				s.lines++
				s.rejectLine(&ParseError{Column: s.maxLine + 1, Reason: s.tooLong()}, line[:s.maxLine])
				continue
			}
		} else {
			var ok bool
			if line, ok = s.nextLine(); !ok {
				return false
			}
		}
		s.line++
		if len(line) == 0 || line[0] <= ' ' && IsBlank(line) {
			continue
		}
		s.lines++
		if f := s.pre; f != nil {
			// Keep, inline.
			keep := true
			for _, n := range f.Contains {
				if !bytes.Contains(line, n) {
					keep = false
					break
				}
			}
			if keep && f.Time {
				if u, ok := PeekTime(line); ok && (u < f.From || u > f.To) {
					keep = false
				}
			}
			if !keep {
				s.skipped++
				continue
			}
		}
		var err error
		if s.r == nil && s.useIndex() && (p >= s.ixBase && e <= s.ixEnd || s.indexLine(p, e)) {
			// The window holds the line: mark its end, without its
			// trailing blanks (Record.line), as a space and a quote (or
			// bracket), so that walking those bits stops there without a
			// bounds test and no field the walk finds ends past it (the
			// bytes from there to e, the line's '\n' or past the data,
			// are blanks that no other line reads), and parse it with its
			// structural index (fastIndexed).
			r := &s.rec
			r.begin(line)
			end := uint(p + len(r.line) - s.ixBase)
			bit, c := uint64(1)<<(end%64), chunk(end)
			s.ix[c+mSpace] |= bit
			s.ix[c+mQuote] |= bit
			if !r.fastIndexed(s.ix, uint(p-s.ixBase)) {
				err = r.slow()
			}
		} else {
			err = s.rec.Parse(line)
		}
		if err != nil {
			s.rejectLine(err.(*ParseError), line)
			continue
		}
		if s.rec.warn != 0 {
			s.warned++
		}
		return true
	}
	return false
}

func (s *Scanner) rejectLine(pe *ParseError, line []byte) {
	s.rejects++
	if s.reject == nil {
		return
	}
	s.perr = *pe
	s.perr.Object, s.perr.Line = s.object, s.line
	s.reject(&s.perr, line)
}

// nextLine returns the next line of the reader without its "\n".
func (s *Scanner) nextLine() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(s.buf[s.lo:s.hi], '\n'); i >= 0 {
			line := s.buf[s.lo : s.lo+i]
			s.lo += i + 1
			if s.skip {
				s.skip = false
				continue
			}
			return line, true
		}
		if s.eof {
			if s.lo < s.hi && !s.skip {
				line := s.buf[s.lo:s.hi]
				s.lo = s.hi
				return line, true
			}
			return nil, false
		}
		if s.skip {
			s.lo, s.hi = 0, 0
		}
		if s.lo > 0 {
			s.hi = copy(s.buf, s.buf[s.lo:s.hi])
			s.lo = 0
		}
		if s.hi == len(s.buf) {
			if len(s.buf) >= s.maxLine {
				// The line does not fit: report it and drop the rest of it.
				s.line++
				s.lines++
				s.rejectLine(&ParseError{Column: s.maxLine + 1, Reason: s.tooLong()}, s.buf[:min(len(s.buf), 512)])
				s.skip = true
				s.lo, s.hi = 0, 0
				continue
			}
			nb := make([]byte, min(2*len(s.buf), s.maxLine))
			copy(nb, s.buf[:s.hi])
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[s.hi:])
		s.hi += n
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
				return nil, false
			}
			s.eof = true
		}
	}
}

func (s *Scanner) tooLong() string {
	return fmt.Sprintf("line longer than %d bytes", s.maxLine)
}

// IsBlank reports whether line holds nothing but spaces, tabs and carriage
// returns. A blank line is not a record and not a reject: scanners skip it
// without counting it.
func IsBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
