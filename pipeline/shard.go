package pipeline

import (
	"hash/fnv"
	"io"
	"time"
)

// Shard ownership (SPEC §7). Shards must agree on who owns what without
// talking to each other, and shards of one job start at different moments
// and so see different "now"s, different first keys (lifecycle rules
// expire old logs) and different last keys (logs keep arriving). So a
// shard's share is a pure function of the key and N, never of what the
// shard sees when it starts:
//
//   - A key of either layout belongs to the owner of its unit: its prefix
//     (KeyInfo.Prefix: the TargetPrefix of the simple layout, or
//     <prefix><account>/<region>/<bucket>/ of the partitioned one) and the
//     UTC day of its key time. Whole days, because a unit is listed by one
//     ListObjectsV2 stream of its own: a unit must hold a few pages of keys
//     for N shards to send about as many LIST requests as one run.
//   - Days are dealt in blocks of N consecutive days (day numbers counted
//     from 1970-01-01); in each block every shard gets exactly one day.
//     Day d of a prefix goes to shard
//     (d mod N + fnv64a(prefix) + splitmix64(d div N)) mod N:
//     the prefix term spreads one day of many buckets over the shards, and
//     the block term keeps a shard from getting the same weekday every week.
//   - A key that fits no layout belongs to shard fnv64a(key) mod N
//     (ShardOf).
//
// Listing follows ownership: a shard lists only the key ranges of the days
// it owns, and the parts of the key space that may hold keys of any owner
// (directory levels, keys that fit no layout, keys after the last day it
// planned) are listed by every shard, each keeping the keys it owns.

// dayOwner returns the shard in [0, n) that owns the UTC day of t for the
// layout prefix prefix.
func dayOwner(prefix string, t time.Time, n int) int {
	if n <= 1 {
		return 0
	}
	d := floorDiv(t.Unix(), 86400)
	block := floorDiv(d, int64(n))
	pos := uint64(d - block*int64(n))
	h := fnv.New64a()
	io.WriteString(h, prefix)
	u := uint64(n)
	return int((pos + h.Sum64()%u + splitmix64(uint64(block))%u) % u)
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
