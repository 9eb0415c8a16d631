package parse

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// findHitsRef is findHits written out from the definition of a hit, for
// b[:covered].
func findHitsRef(b, needle []byte, covered int) (h hitList, n int, blank bool) {
	d := len(needle) - 1
	for i := range covered {
		if i > 0 && b[i-1] == '\n' && b[i] <= ' ' {
			blank = true
		}
		if i+d < len(b) && b[i] == needle[0] && b[i+d] == needle[d] {
			start := bytes.LastIndexByte(b[:i], '\n') + 1
			h, blank = h.add(i, start, bytes.Count(b[:i], []byte{'\n'}), blank), false
		}
	}
	return h, bytes.Count(b[:covered], []byte{'\n'}), blank
}

// randomText is n bytes drawn from alphabet.
func randomText(r *rand.Rand, n int, alphabet string) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// TestFindHits compares findHits, its kernel and its tail, with the
// definition of a hit.
func TestFindHits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		b := randomText(r, r.IntN(300), "ab \n\tDELTE\x00\xff")
		if r.IntN(4) == 0 {
			b = randomText(r, r.IntN(3000), "ab \n\tDELTE\x00\xffxyzw.;-!_EEEEE")
		}
		for _, needle := range []string{"DELETE", "DE", "D", "a\nb", "\xff\x00\xff"} {
			for _, room := range []int{maxHits, 40, 3} {
				h, n, blank, covered := findHits(b, []byte(needle), make(hitList, 0, 2*room))
				wh, wn, wblank := findHitsRef(b, []byte(needle), covered)
				if fmt.Sprint(h) != fmt.Sprint(wh) || n != wn || blank != wblank || covered < len(b) && h.len() < room-32 {
					t.Fatalf("findHits(%q, %q), room %d = %v, %d, %v, %d; want %v, %d, %v", b, needle, room, h, n, blank, covered, wh, wn, wblank)
				}
			}
		}
	}
}

// scanTrace scans block with the prefilter and returns what a consumer and
// the reject policy see: each record's line number and bytes, each reject,
// and the counts.
//
// mode is how the prefilter's lines are found: "every line" (the
// reference), "scan" (hits found when Scan needs them), or "hits" (found
// first by BlockLines); the Scanner holds room hits.
func scanTrace(t testing.TB, block []byte, pre *Prefilter, maxLine int, mode string, room int) string {
	var out strings.Builder
	s := NewBlockScanner(nil)
	s.SetMaxLineSize(maxLine)
	s.SetPrefilter(pre)
	if mode == "every line" {
		s.needle = nil
	}
	if room > 0 {
		s.hits = make(hitList, 0, 2*room)
	}
	s.OnReject(func(pe *ParseError, line []byte) {
		fmt.Fprintf(&out, "reject %v %q\n", pe, line)
	})
	s.ResetBytes(block, "obj", 7)
	if mode == "hits" {
		s.ResetBytes(block, "obj", 1)
		if n, want := s.BlockLines(), int64(bytes.Count(block, []byte{'\n'})); n != want {
			t.Fatalf("BlockLines %d, want %d", n, want)
		}
		s.SetFirstLine(7)
	}
	for s.Scan() {
		fmt.Fprintf(&out, "record %d %q\n", s.LineNumber(), s.Record().Line())
	}
	fmt.Fprintf(&out, "line %d lines %d skipped %d rejected %d\n", s.LineNumber(), s.Lines(), s.Skipped(), s.Rejected())
	return out.String()
}

// compareSkip checks that the block skip, with the hits found by Scan or
// by BlockLines, with room for all or for few, gives the trace of cutting
// and testing every line.
func compareSkip(t testing.TB, block []byte, pre *Prefilter, maxLine int) {
	want := scanTrace(t, block, pre, maxLine, "every line", 0)
	for _, m := range []struct {
		mode string
		room int
	}{{"scan", 0}, {"scan", 35}, {"hits", maxHits}, {"hits", 33}} {
		if got := scanTrace(t, block, pre, maxLine, m.mode, m.room); got != want {
			t.Fatalf("prefilter %q, maxLine %d:\n%s %d:\n%.3000s\nevery line:\n%.3000s", pre.Contains, maxLine, m.mode, m.room, got, want)
		}
	}
}

// FuzzPrefilterSkip checks that the block skip returns the records, rejects
// and counts of cutting and testing every line.
func FuzzPrefilterSkip(f *testing.F) {
	del := strings.Replace(base, "REST.GET.OBJECT", "REST.DELETE.OBJECT", 1)
	f.Add([]byte(base+"\n"+del+"\n"+base+"\n"), uint16(0))
	f.Add([]byte(base+"\n\n"+base+"\r\n  \n"+del+"\n \t\n"+base), uint16(0))
	f.Add([]byte(base+"\n"+base+"\n"+del+"\n"+del[:100]+"DELETE\n"+base+" \n"), uint16(300))
	f.Add([]byte("x\nDELETE\n\nx DELETE y"), uint16(3))
	f.Add([]byte(strings.Repeat(base+"\n", 20)+"   "), uint16(0))
	f.Fuzz(func(t *testing.T, block []byte, maxLine uint16) {
		ml := int(maxLine)
		if ml == 0 {
			ml = DefaultMaxLineSize
		}
		for _, pre := range []*Prefilter{
			{Contains: [][]byte{[]byte("DELETE")}},
			{Contains: [][]byte{[]byte("REST"), []byte("DELETE.OBJECT")}},
			{Contains: [][]byte{[]byte(" ")}},
			{Contains: [][]byte{[]byte("DELETE")}, Time: true, From: 1549411200, To: 1549411238},
		} {
			compareSkip(t, block, pre, ml)
		}
	})
}

// TestPrefilterSkipBlocks runs the comparison of FuzzPrefilterSkip over
// large random blocks of log lines, blank lines and long lines.
func TestPrefilterSkipBlocks(t *testing.T) {
	del := strings.Replace(base, "REST.GET.OBJECT", "REST.DELETE.OBJECT", 1)
	pieces := []string{base, base, base, base, base, base, del, "", " ", "\t", base + "\r", strings.Repeat("x", 2000), "DELETE",
		strings.Replace(base, "photos/cat.jpg", "DOUBLE/DAMAGE", 1), // D....E: not the string
		strings.Replace(base, "photos/cat.jpg", "DAMAGE/DELETE", 1),
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		var b bytes.Buffer
		for range 1 + r.IntN(400) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			b.WriteByte('\n')
		}
		block := b.Bytes()
		if r.IntN(2) == 0 {
			block = block[:len(block)-1-r.IntN(10)]
		}
		for _, ml := range []int{DefaultMaxLineSize, 1000, 100000} {
			compareSkip(t, block, &Prefilter{Contains: [][]byte{[]byte("DELETE")}}, ml)
		}
	}
}

// BenchmarkScanPrefilterRare is the who-deleted query's scan of a block:
// 1 line in 16 holds the prefilter's string, the others are ruled out
// unparsed. "lines" cuts and tests every line; "hits" is the block skip,
// with the block's lines counted first (BlockLines) as the record stage
// does.
func BenchmarkScanPrefilterRare(b *testing.B) {
	del := strings.Replace(base, "REST.GET.OBJECT", "REST.DELETE.OBJECT", 1)
	var buf bytes.Buffer
	for i := 0; buf.Len() < 1<<20; i++ {
		line := base
		if i%16 == 5 {
			line = del
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	block := buf.Bytes()
	block = block[:bytes.LastIndexByte(block[:1<<20], '\n')+1]
	for _, mode := range []string{"lines", "hits"} {
		b.Run(mode, func(b *testing.B) {
			s := NewBlockScanner(nil)
			s.SetPrefilter(&Prefilter{Contains: [][]byte{[]byte("DELETE")}})
			if mode == "lines" {
				s.needle = nil
			}
			b.SetBytes(int64(len(block)))
			b.ReportAllocs()
			for b.Loop() {
				s.ResetBytes(block, "", 1)
				if mode == "hits" {
					s.BlockLines()
				}
				for s.Scan() {
				}
			}
		})
	}
}
