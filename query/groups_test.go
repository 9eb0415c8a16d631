package query

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGroupTable checks the table against a Go map over keys that collide
// in length and prefix, through growth, merges and the previous-lookup
// shortcut.
func TestGroupTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var tab groupTable
	ref := map[string]*group{}
	key := func() []byte {
		n := rng.IntN(5000)
		return appendKey(appendKey(nil, StringValue(fmt.Sprintf("arn:aws:iam::%d:user/u", n%997))), IntValue(int64(n%5)))
	}
	for i := range 50000 {
		k := key()
		if i%3 == 0 {
			k = []byte{} // the global group's key
		}
		g, want := tab.get(k), ref[string(k)]
		if g != want {
			t.Fatalf("lookup %d of %q: %p, want %p", i, k, g, want)
		}
		if g == nil {
			g = &group{}
			tab.put(k, g)
			ref[string(k)] = g
		}
	}
	if tab.len() != len(ref) {
		t.Fatalf("%d groups, want %d", tab.len(), len(ref))
	}
	seen := 0
	tab.each(func(k []byte, g *group) {
		if ref[string(k)] != g {
			t.Fatalf("each gives %q with the wrong group", k)
		}
		seen++
	})
	if seen != len(ref) {
		t.Fatalf("each saw %d groups, want %d", seen, len(ref))
	}
	// Merging: groups both hold are counted and merged, not duplicated.
	var other groupTable
	both := 0
	for k := range ref {
		if len(k)%2 == 0 {
			other.put([]byte(k), &group{})
			both++
		}
	}
	other.put([]byte("only in other"), &group{})
	if n := other.mergeInto(&tab); n != both {
		t.Fatalf("mergeInto counted %d groups in both, want %d", n, both)
	}
	if tab.len() != len(ref)+1 || tab.get([]byte("only in other")) == nil {
		t.Fatalf("after the merge: %d groups, want %d", tab.len(), len(ref)+1)
	}
	var empty groupTable
	if empty.get([]byte("x")) != nil || empty.len() != 0 {
		t.Fatal("the zero table is not empty")
	}
}

// groupKeys returns n keys as GROUP BY requester, sigv encodes them, drawn
// from groups distinct (requester, sigv) pairs.
func groupKeys(n, groups int) [][]byte {
	rng := rand.New(rand.NewPCG(9, 10))
	keys := make([][]byte, n)
	for i := range keys {
		g := rng.IntN(groups)
		keys[i] = appendKey(appendKey(nil, StringValue(fmt.Sprintf("arn:aws:iam::123456789012:user/service-account-%d", g/2))),
			StringValue([]string{"SigV2", "SigV4"}[g%2]))
	}
	return keys
}

// BenchmarkGroupTable and BenchmarkGroupMap find the group of each key,
// adding it when new: the flat table against the Go map it replaced.
func BenchmarkGroupTable(b *testing.B) {
	for _, groups := range []int{12, 10000} {
		keys := groupKeys(1<<16, groups)
		b.Run(fmt.Sprint(groups), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var t groupTable
				for _, k := range keys {
					if t.get(k) == nil {
						t.put(k, &group{})
					}
				}
			}
		})
	}
}

func BenchmarkGroupMap(b *testing.B) {
	for _, groups := range []int{12, 10000} {
		keys := groupKeys(1<<16, groups)
		b.Run(fmt.Sprint(groups), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := map[string]*group{}
				for _, k := range keys {
					if m[string(k)] == nil {
						m[string(k)] = &group{}
					}
				}
			}
		})
	}
}
