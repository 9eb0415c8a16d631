package query

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
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

// TestGroupKeysFromFields checks the scan's group keys read straight from
// a string column's field bytes (keyField.direct) against the general
// path through each key's value, and count(*)'s plain row count against
// sum(1), over generated logs with NULL keys, several workers and objects.
func TestGroupKeysFromFields(t *testing.T) {
	_, data := fixture(t, 18, 4, 600)
	queries := []string{
		"SELECT requester, sigv, count(*), sum(1), count(sigv) FROM logs GROUP BY requester, sigv",
		"SELECT sigv, httpstatus, count(*), sum(1), max(key) FROM logs GROUP BY sigv, httpstatus",
		"SELECT remoteip, count(*), sum(1), sum(bytessent) FROM logs WHERE sigv IS NULL OR httpstatus >= 400 GROUP BY remoteip",
		"SELECT lower(requester), versionid, count(*), sum(1) FROM logs GROUP BY lower(requester), versionid",
	}
	for _, sql := range queries {
		p, err := Compile(sql, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(p.keyFields, func(k keyField) bool { return k.direct }) {
			t.Fatalf("%s: no key is read from its field", sql)
		}
		fast := runPlan(t, p, data)
		p.fieldKeys = nil
		for i := range p.keyFields {
			p.keyFields[i].direct = false
		}
		general := runPlan(t, p, data)
		if len(fast.rows) < 3 {
			t.Fatalf("%s: %d groups; the test needs several", sql, len(fast.rows))
		}
		nulls := 0
		for i, row := range fast.rows {
			if strings.Join(row, "|") != strings.Join(general.rows[i], "|") {
				t.Fatalf("%s: row %d is %q from the field bytes, %q through the values", sql, i, row, general.rows[i])
			}
			if slices.Contains(row[:len(p.groups)], "NULL") {
				nulls++
			}
			if k := len(p.groups); row[k] != row[k+1] {
				t.Fatalf("%s: row %q: count(*) %s, sum(1) %s", sql, row, row[k], row[k+1])
			}
		}
		if len(fast.rows) != len(general.rows) || nulls == 0 {
			t.Fatalf("%s: %d groups from the field bytes, %d through the values, %d with a NULL key (want some)", sql, len(fast.rows), len(general.rows), nulls)
		}
	}
}

// runPlan runs p over data (read as stdin) with two workers.
func runPlan(t *testing.T, p *Plan, data []byte) *capture {
	t.Helper()
	c := &capture{}
	if _, err := p.Run(context.Background(), pipelineConfig(data, 2), []string{"-"}, c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStringKeyEncoding checks appendStringKey's one-byte length against
// the uvarint it stands for, at the lengths around its bound.
func TestStringKeyEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 126, 127, 128, 129, 300, 16383, 16384} {
		b := bytes.Repeat([]byte{'x'}, n)
		want := append(binary.AppendUvarint([]byte{byte(KindString)}, uint64(n)), b...)
		if got := appendStringKey(nil, b); !bytes.Equal(got, want) {
			t.Errorf("length %d: key % x..., want % x...", n, got[:min(4, len(got))], want[:min(4, len(want))])
		}
	}
}

// TestCountedField checks count(x) of a string column, counted where its
// field is not NULL without reading the value (aggSpec.counted), against
// a sum that reads it, in groups where some values are NULL.
func TestCountedField(t *testing.T) {
	_, data := fixture(t, 19, 4, 600)
	sql := "SELECT requester, count(*), count(sigv), sum(CASE WHEN sigv IS NULL THEN 0 ELSE 1 END), " +
		"count(useragent), sum(CASE WHEN useragent IS NULL THEN 0 ELSE 1 END) FROM logs GROUP BY requester"
	p, err := Compile(sql, Options{})
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for _, a := range p.aggs {
		if a.counted {
			counted++
		}
	}
	if counted != 2 {
		t.Fatalf("%d of the aggregates are counted from their fields, want 2", counted)
	}
	withNull := 0
	for _, row := range runPlan(t, p, data).rows {
		if row[2] != row[3] || row[4] != row[5] {
			t.Fatalf("group %q: count(sigv) %s, its sum %s; count(useragent) %s, its sum %s", row[0], row[2], row[3], row[4], row[5])
		}
		if row[2] != row[1] {
			withNull++
		}
	}
	if withNull == 0 {
		t.Fatal("no group has a NULL sigv; the test needs some")
	}
}

// BenchmarkGroupOf finds the group of each of a block's parsed records,
// no scan around it: the per-row cost of a GROUP BY key's lookup. Count
// its instructions with GOMAXPROCS=1 (callgrind otherwise counts the
// garbage collector's workers too, and the counts vary by 10 %).
func BenchmarkGroupOf(b *testing.B) {
	recs := parsedRecords(gen.Block(1, 1<<20))
	for _, c := range []struct{ name, sql string }{
		{"RequesterSigV", "SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv"},
		{"Key", "SELECT key, count(*) FROM logs GROUP BY key"},
	} {
		p, err := Compile(c.sql, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			r := p.newRun(&discard{}, RunOptions{}, 1, false)
			pt := &r.workers[0].direct
			b.ResetTimer()
			for range b.N {
				for i := range recs {
					pt.w.rc.rec = &recs[i]
					r.groupOf(pt).rows++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/row")
		})
	}
}
