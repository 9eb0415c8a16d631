package pipeline

import (
	"fmt"
	"hash/fnv"
	"testing"
	"time"
)

// TestDayOwnerBlocks checks the property shards rely on for balance: in
// every block of N consecutive days (counted from 1970-01-01) each shard
// owns exactly one day, so any D consecutive days give each shard D/N
// days, give or take two.
func TestDayOwnerBlocks(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	for _, n := range []int{1, 2, 3, 4, 7, 16, 100} {
		for _, prefix := range []string{"logs/", "logs/111122223333/us-east-1/b/", ""} {
			for block := int64(19000 / n); block < int64(19000/n)+40; block++ {
				seen := make([]int, n)
				for i := range int64(n) {
					seen[dayOwner(prefix, epoch.Add(time.Duration(block*int64(n)+i)*24*time.Hour), n)]++
				}
				for s, c := range seen {
					if c != 1 {
						t.Fatalf("n=%d prefix %q block %d: shard %d owns %d days", n, prefix, block, s, c)
					}
				}
			}
			// A year that starts anywhere in a block.
			start := time.Date(2024, 3, 17, 0, 0, 0, 0, time.UTC)
			counts := make([]int, n)
			for d := range 365 {
				counts[dayOwner(prefix, start.AddDate(0, 0, d), n)]++
			}
			for s, c := range counts {
				if want := 365.0 / float64(n); float64(c) < want-2 || float64(c) > want+2 {
					t.Errorf("n=%d prefix %q: shard %d owns %d of 365 days", n, prefix, s, c)
				}
			}
		}
	}
}

// TestDayOwnerSpread: a shard does not get the same weekday every week
// when N divides 7, and one day of many buckets spreads over the shards.
func TestDayOwnerSpread(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	weekdays := map[int]map[time.Weekday]bool{}
	for d := range 364 {
		day := start.AddDate(0, 0, d)
		s := dayOwner("logs/", day, 7)
		if weekdays[s] == nil {
			weekdays[s] = map[time.Weekday]bool{}
		}
		weekdays[s][day.Weekday()] = true
	}
	for s := range 7 {
		if len(weekdays[s]) < 5 {
			t.Errorf("shard %d of 7 gets only weekdays %v", s, weekdays[s])
		}
	}
	shards := map[int]bool{}
	for b := range 64 {
		shards[dayOwner(fmt.Sprintf("logs/111122223333/us-east-1/bucket-%d/", b), start, 16)] = true
	}
	if len(shards) < 10 {
		t.Errorf("one day of 64 buckets goes to %d of 16 shards", len(shards))
	}
}

// TestDayOwnerFormula pins the assignment to its documented formula,
// computed here from the published constants of FNV-1a and SplitMix64:
// shards of different versions must agree.
func TestDayOwnerFormula(t *testing.T) {
	// SplitMix64 seeded with 0 first returns 0xe220a8397b1dcdaf.
	if got := splitmix64(0); got != 0xe220a8397b1dcdaf {
		t.Fatalf("splitmix64(0) = %#x", got)
	}
	fnv1a := func(s string) uint64 {
		h := uint64(14695981039346656037)
		for i := range len(s) {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		return h
	}
	for _, n := range []int{2, 3, 5, 16} {
		for d := int64(-3); d < 20000; d += 997 {
			for _, p := range []string{"logs/", "x/123456789012/eu-west-1/b/"} {
				block := d / int64(n)
				if d%int64(n) != 0 && d < 0 {
					block--
				}
				pos := uint64(d - block*int64(n))
				u := uint64(n)
				want := int((pos + fnv1a(p)%u + splitmix64(uint64(block))%u) % u)
				if got := dayOwner(p, time.Unix(d*86400, 0), n); got != want {
					t.Errorf("dayOwner(%q, day %d, %d) = %d, want %d", p, d, n, got, want)
				}
			}
		}
	}
}

// TestObjectShard: a log key goes with its day, any time of that day;
// other names by their hash.
func TestObjectShard(t *testing.T) {
	obj := func(name string) *Object {
		o := &Object{Name: name}
		o.Key, _ = ObjectKey(name)
		return o
	}
	for _, n := range []int{3, 8} {
		a := ObjectShard(obj("logs/2024-03-05-00-00-01-ABCDEF0123456789"), n)
		for _, k := range []string{"logs/2024-03-05-23-59-59-0123456789ABCDEF", "logs/2024-03-05-12-00-00-X.gz"} {
			if b := ObjectShard(obj(k), n); b != a {
				t.Errorf("n=%d: %s in shard %d, its day's first key in %d", n, k, b, a)
			}
		}
		if got, want := ObjectShard(obj("logs/README"), n), ShardOf("logs/README", n); got != want {
			t.Errorf("n=%d: README in shard %d, its hash says %d", n, got, want)
		}
		p := obj("l/123456789012/us-east-1/b/2024/03/05/2024-03-05-00-00-00-ABC")
		if got, want := ObjectShard(p, n), dayOwner("l/123456789012/us-east-1/b/", p.Key.Time, n); got != want {
			t.Errorf("n=%d: partitioned key in shard %d, want %d", n, got, want)
		}
	}
}

// TestFNV64a: the hash that shards by is hash/fnv's FNV-1a, byte for
// byte (ShardOf's owners must not move).
func TestFNV64a(t *testing.T) {
	for _, s := range []string{"", "a", "logs/README", "logs/111122223333/us-east-1/b/", "\xff\x00é"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := fnv64a(s), h.Sum64(); got != want {
			t.Errorf("fnv64a(%q) = %#x, hash/fnv says %#x", s, got, want)
		}
	}
}
