package pipeline

import "time"

// Shard ownership (SPEC §7): see "Shards" in the package doc for the rule
// and why it depends on nothing a shard sees when it starts.

// dayOwner returns the shard in [0, n) that owns the UTC day of t for the
// layout prefix prefix.
func dayOwner(prefix string, t time.Time, n int) int {
	if n <= 1 {
		return 0
	}
	d := floorDiv(t.Unix(), 86400)
	block := floorDiv(d, int64(n))
	pos := uint64(d - block*int64(n))
	u := uint64(n)
	return int((pos + fnv64a(prefix)%u + splitmix64(uint64(block))%u) % u)
}

// fnv64a returns the 64-bit FNV-1a hash of s, as hash/fnv's New64a does,
// without its two allocations: it runs for every listed key of a sharded
// run.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037) // offset basis
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211 // prime
	}
	return h
}

// ObjectShard returns the shard in [0, n) that owns o (see the package
// doc): by the unit of its key when the key fits a layout, else by the
// hash of its name.
func ObjectShard(o *Object, n int) int {
	if o.Key.Layout == LayoutUnknown {
		return ShardOf(o.Name, n)
	}
	return dayOwner(o.Key.Prefix, o.Key.Time, n)
}

// splitmix64 is the finaliser of Steele, Lea and Flood's SplitMix64: a
// fixed bijective mix, so the assignment never changes between versions.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// utcDay returns the start of t's UTC day.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
