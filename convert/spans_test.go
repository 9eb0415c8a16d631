package convert

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAddRanges adds random line ranges of a few objects, in random order
// and in entries of random size, and checks the spans against a line-by-
// line record of what was added: sorted, merged (no two overlap or touch)
// and holding exactly the lines added. It also checks that the spans a
// reader was handed are never written.
func TestAddRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		const lines = 300
		objs := []string{"a", "b", "c"}
		want := map[string][]bool{}
		ranges := map[string][]span{}
		for range 1 + rng.IntN(6) {
			var entry []LineRange
			for range rng.IntN(40) {
				o := objs[rng.IntN(len(objs))]
				first := 1 + rng.Int64N(lines)
				last := min(first+rng.Int64N(20), lines)
				entry = append(entry, LineRange{Object: o, First: first, Last: last})
				if want[o] == nil {
					want[o] = make([]bool, lines+2)
				}
				for l := first; l <= last; l++ {
					want[o][l] = true
				}
			}
			if rng.IntN(2) == 0 { // as commits write them: sorted
				slices.SortFunc(entry, func(a, b LineRange) int {
					if a.Object != b.Object {
						if a.Object < b.Object {
							return -1
						}
						return 1
					}
					return int(a.First - b.First)
				})
			}
			held := map[string][]span{}
			for o, rs := range ranges {
				held[o] = slices.Clone(rs)
			}
			before := map[string][]span{}
			for o, rs := range ranges {
				before[o] = rs
			}
			addRanges(ranges, entry)
			for o, rs := range before {
				if !slices.Equal(rs, held[o]) {
					t.Fatalf("round %d: spans of %s handed out earlier were written: %v, were %v", round, o, rs, held[o])
				}
			}
		}
		for _, o := range objs {
			rs := ranges[o]
			for i := 1; i < len(rs); i++ {
				if rs[i].first <= rs[i-1].last+1 {
					t.Fatalf("round %d: %s spans not sorted and merged: %v", round, o, rs)
				}
			}
			got := make([]bool, lines+2)
			for _, r := range rs {
				if r.first > r.last {
					t.Fatalf("round %d: %s: empty span %v", round, o, r)
				}
				for l := r.first; l <= r.last; l++ {
					got[l] = true
				}
			}
			if w := want[o]; w == nil && len(rs) > 0 || w != nil && !slices.Equal(got, w) {
				t.Fatalf("round %d: %s spans %v do not hold the lines added", round, o, rs)
			}
		}
	}
}

// TestAddSpanAllLines: a span after allLines' end cannot exist, but one
// inside it merges into it without overflow.
func TestAddSpanAllLines(t *testing.T) {
	got := addSpan(allLines, span{5, 9})
	if !slices.Equal(got, allLines) {
		t.Fatalf("addSpan(allLines, 5..9) = %v", got)
	}
	if allLines[0] != (span{1, 1<<63 - 1}) || len(allLines) != 1 {
		t.Fatalf("allLines written: %v", allLines)
	}
}
