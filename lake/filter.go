package lake

import (
	"bytes"
	"strconv"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// Op is the test of a Filter.
type Op uint8

// The tests a Filter can make.
const (
	// OpEqual: the value, read as text (SPEC §4's string view), is one of
	// Values.
	OpEqual Op = iota + 1
	// OpRange: the value is an integer, or the request time in Unix
	// seconds, in [Lo, Hi].
	OpRange
	// OpLike: the value, read as text, matches Match; every text that
	// matches starts with Prefix.
	OpLike
	// OpNull: the value is NULL.
	OpNull
	// OpNotNull: the value is not NULL.
	OpNotNull
)

// Filter is one conjunct of a scan's WHERE that the lake can check on a
// column's values before it assembles records, and on statistics and
// dictionaries before it reads them. A row passes when its value of
// Column passes; NULL passes only OpNull. Filters are conservative: a row
// that might pass is handed on, and the consumer checks its whole WHERE.
type Filter struct {
	Column int // a schema.Columns index: a log field (Source FromField)
	Op     Op
	Values [][]byte          // OpEqual
	Lo, Hi int64             // OpRange, both inclusive
	Match  func([]byte) bool // OpLike
	Prefix []byte            // OpLike; may be empty
	Text   string            // the WHERE term, for Explain
}

// prepared is a Filter bound to the column of a batch that it reads, and
// to that column's kind in one file.
type prepared struct {
	f    *Filter
	at   int     // its index in the run's filters
	slot int     // the batch column it reads
	kind colKind // how that column is held
	ints []int64 // OpEqual on an integer column: the Values that are integers
}

func prepare(f *Filter, slot int, kind colKind) *prepared {
	p := &prepared{f: f, slot: slot, kind: kind}
	if f.Op == OpEqual && kind != kStr {
		for _, v := range f.Values {
			// Only the canonical text of an integer is the text of one.
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(v) {
				p.ints = append(p.ints, n)
			}
		}
	}
	return p
}

// dictPass is a filter's verdict on each value of one dictionary, kept
// by a worker from batch to batch of a unit.
type dictPass struct {
	vals []parquet.ByteArray
	pass []bool
}

// for_ returns the verdicts of p on the values of dictionary vals, and
// one more, false, for the index a NULL row holds (batchCol.at): a "-"
// value is NULL and fails too.
func (m *dictPass) for_(p *prepared, vals []parquet.ByteArray) []bool {
	if m.vals == nil || len(m.pass) != len(vals)+1 || len(vals) > 0 && &m.vals[0] != &vals[0] {
		m.vals = vals
		m.pass = grown(m.pass, len(vals)+1)
		for i, v := range vals {
			m.pass[i] = !isDash(v) && p.passText(v)
		}
		m.pass[len(vals)] = false
	}
	return m.pass
}

// apply clears sel[i] for each of the first n rows of c that cannot pass,
// and reports whether any row is still selected; first says sel is not
// set yet (every row is selected), and apply sets it. For a dictionary
// column the filter is checked once per dictionary value (memo).
func (p *prepared) apply(c *batchCol, sel []bool, n int, first bool, memo *dictPass, picked *[]int32) bool {
	f := p.f
	any := false
	if c.dict && p.kind == kStr && f.Op != OpNull && f.Op != OpNotNull {
		// A row's verdict is its index's: NULL rows hold the last.
		pass := memo.for_(p, c.vals)
		at := c.at[:n]
		sel = sel[:len(at)]
		if first {
			hits := 0
			if len(pass) <= 256 {
				// Indices are below len(pass) (dictChunk checks them):
				// a table of 256 needs no bounds check. The passing rows
				// are listed as they are found (picks, in the same loop).
				var tab [256]bool
				copy(tab[:], pass)
				pk := (*picked)[:len(at)]
				for i, x := range at {
					ok := tab[uint8(x)]
					sel[i] = ok
					pk[hits] = int32(i)
					hits += int(b2u(ok))
				}
				*picked = pk[:hits]
				return hits > 0
			}
			for i, x := range at {
				ok := pass[x]
				sel[i] = ok
				hits += int(b2u(ok))
			}
			return hits > 0
		}
		for i, x := range at {
			if sel[i] {
				ok := pass[x]
				sel[i] = ok
				any = any || ok
			}
		}
		return any
	}
	if first {
		sel = sel[:n]
		for i := range sel {
			sel[i] = true
		}
	}
	switch f.Op {
	case OpNull, OpNotNull:
		want := f.Op == OpNull
		for i := range n {
			sel[i] = sel[i] && c.null[i] == want
			any = any || sel[i]
		}
		return any
	}
	switch p.kind {
	case kStr:
		for i := range n {
			if sel[i] {
				sel[i] = !c.null[i] && p.passText(c.str(i))
				any = any || sel[i]
			}
		}
	case kInt, kTime:
		// The text of a number for LIKE: one buffer for the batch, not
		// the prepared filter's (the workers share it) nor one per row.
		var text [20]byte
		for i := range n {
			if sel[i] {
				sel[i] = !c.null[i] && p.passInt(c.num[i], &text)
				any = any || sel[i]
			}
		}
	}
	return any
}

// b2u is 1 for true, 0 for false (a move, not a branch).
func b2u(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// passText reports whether a text value can pass.
func (p *prepared) passText(v []byte) bool {
	f := p.f
	switch f.Op {
	case OpEqual:
		for _, w := range f.Values {
			if bytes.Equal(v, w) {
				return true
			}
		}
		return false
	case OpLike:
		return f.Match(v)
	case OpRange:
		// A number held as text (a string column of another engine's
		// table) reads as the record stage reads it: decimal digits.
		n, ok := parse.Atoi(v)
		return ok && n >= f.Lo && n <= f.Hi
	}
	return true
}

// passInt reports whether an integer (or request time) value can pass;
// text is scratch for its decimal text.
func (p *prepared) passInt(n int64, text *[20]byte) bool {
	f := p.f
	switch f.Op {
	case OpRange:
		return n >= f.Lo && n <= f.Hi
	case OpEqual:
		if p.kind == kTime {
			return true
		}
		for _, w := range p.ints {
			if n == w {
				return true
			}
		}
		return false
	case OpLike:
		if p.kind == kTime {
			return true
		}
		return f.Match(strconv.AppendInt(text[:0], n, 10))
	}
	return true
}

// pruneStats reports whether no row of a column chunk with statistics st
// can pass. kind is how the lake reads the column; unit converts a
// time bound to the column's integer unit (1 for seconds and for other
// integers).
func (p *prepared) pruneStats(st metadata.TypedStatistics, unit int64) bool {
	f := p.f
	if st == nil {
		return false
	}
	allNull := st.HasNullCount() && st.NullCount() > 0 && st.NumValues() == 0
	switch f.Op {
	case OpNotNull:
		return allNull
	case OpNull:
		if !st.HasNullCount() || st.NullCount() > 0 {
			return false
		}
		// No NULL; but a string "-" is NULL too.
		if s, ok := st.(*metadata.ByteArrayStatistics); ok && s.HasMinMax() {
			return bytes.Compare(s.Min(), dash) > 0 || bytes.Compare(s.Max(), dash) < 0
		}
		return st.HasMinMax() || st.NumValues() > 0
	}
	if allNull {
		return true
	}
	if !st.HasMinMax() {
		return false
	}
	switch s := st.(type) {
	case *metadata.ByteArrayStatistics:
		if p.kind != kStr {
			return false
		}
		lo, hi := s.Min(), s.Max()
		switch f.Op {
		case OpEqual:
			for _, v := range f.Values {
				if bytes.Compare(v, lo) >= 0 && bytes.Compare(v, hi) <= 0 {
					return false
				}
			}
			return true
		case OpLike:
			if len(f.Prefix) == 0 {
				return false
			}
			if bytes.Compare(hi, f.Prefix) < 0 {
				return true
			}
			next, ok := successor(f.Prefix)
			return ok && bytes.Compare(lo, next) >= 0
		}
	case *metadata.Int32Statistics:
		return p.pruneInts(int64(s.Min()), int64(s.Max()), unit)
	case *metadata.Int64Statistics:
		return p.pruneInts(s.Min(), s.Max(), unit)
	}
	return false
}

func (p *prepared) pruneInts(lo, hi, unit int64) bool {
	f := p.f
	switch {
	case f.Op == OpRange && p.kind != kStr:
		a, b := scaleRange(f.Lo, f.Hi, unit)
		return hi < a || lo > b
	case f.Op == OpEqual && p.kind == kInt:
		for _, n := range p.ints {
			if n >= lo && n <= hi {
				return false
			}
		}
		return true
	}
	return false
}

// scaleRange turns [lo, hi] in seconds into the range of values of a
// column in units of 1/unit second whose floor in seconds is in it.
func scaleRange(lo, hi, unit int64) (int64, int64) {
	if unit == 1 {
		return lo, hi
	}
	const big = 1 << 62
	a, b := int64(-big), int64(big)
	if lo > -big/unit && lo < big/unit {
		a = lo * unit
	}
	if hi > -big/unit && hi < big/unit {
		b = hi*unit + unit - 1
	}
	return a, b
}

// successor returns the smallest byte string greater than every string
// with prefix p, or false when there is none (p is all 0xff).
func successor(p []byte) ([]byte, bool) {
	s := append([]byte(nil), p...)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return s[:i+1], true
		}
	}
	return nil, false
}

var dash = []byte("-")

// filterColumn is the schema column a filter reads: a log field.
func filterColumn(f *Filter) (schema.Column, bool) {
	if f.Column < 0 || f.Column >= len(schema.Columns) {
		return schema.Column{}, false
	}
	c := schema.Columns[f.Column]
	return c, c.Source == schema.FromField
}
