package query

import (
	"bytes"
	"hash/maphash"

	"github.com/s3logs/s3logs/parse"
)

// keyField is how a scan reads one GROUP BY key for its group's key
// bytes: a string column read as is (direct) is appended straight from
// its log field's bytes, as appendStringKey encodes the value the column
// would read; any other key through its value (appendKey).
type keyField struct {
	direct bool
	field  parse.Field
}

// groupTable holds a scan's GROUP BY groups, keyed by the bytes of the
// grouped values (appendKey): a flat open-addressing table of slots that
// each keep the key's hash, where its bytes are in one arena, and the
// group. A key's bytes are copied into the arena once, when its group is
// made; a lookup hashes the key once and compares bytes only where the
// hashes agree. Runs of records of one group are common (a client's burst
// of requests), so the previous lookup's group is tried first, before
// hashing, for as long as that keeps finding it: where consecutive records
// rarely share a group the try costs more than it saves, and it stops,
// to be tried again now and then.
//
// A groupTable is not safe for concurrent use. The zero value is an empty
// table, ready to use.
type groupTable struct {
	seed   maphash.Seed
	slots  []groupSlot // a power of two, at most half full
	keys   []byte      // the arena
	n      int         // groups
	last   int         // slot of the previous lookup's group
	tries  int8        // misses left before the previous group is no longer tried
	probes uint8       // hashed lookups, to try it again every 256
}

type groupSlot struct {
	hash     uint64
	off, end uint32 // key bytes in the arena
	g        *group // nil for an empty slot
}

// len returns the number of groups.
func (t *groupTable) len() int { return t.n }

// get returns the group of key, or nil.
func (t *groupTable) get(key []byte) *group {
	if len(t.slots) == 0 {
		return nil
	}
	if t.tries > 0 {
		if s := &t.slots[t.last]; s.g != nil && bytes.Equal(t.keys[s.off:s.end], key) {
			t.tries = 8
			return s.g
		}
		t.tries--
	}
	if t.probes++; t.probes == 0 {
		t.tries = 8
	}
	h := maphash.Bytes(t.seed, key)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.g == nil {
			return nil
		}
		if s.hash == h && bytes.Equal(t.keys[s.off:s.end], key) {
			t.last = int(i)
			return s.g
		}
	}
}

// put adds group g under key, which the table does not hold yet.
func (t *groupTable) put(key []byte, g *group) {
	if len(t.slots) == 0 {
		t.seed = maphash.MakeSeed()
		t.slots = make([]groupSlot, 16)
		t.tries = 8 // the previous group is tried from the start
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	off := uint32(len(t.keys))
	t.keys = append(t.keys, key...)
	h := maphash.Bytes(t.seed, key)
	t.last = t.insert(groupSlot{hash: h, off: off, end: uint32(len(t.keys)), g: g})
	t.n++
}

// insert places s in its first free slot and returns the slot.
func (t *groupTable) insert(s groupSlot) int {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].g != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
	return int(i)
}

// grow doubles the slots.
func (t *groupTable) grow() {
	old := t.slots
	t.slots = make([]groupSlot, 2*len(old))
	for _, s := range old {
		if s.g != nil {
			t.insert(s)
		}
	}
	t.last = 0
}

// each calls fn with every key and group, in no particular order. fn must
// not change t; the key is valid during the call.
func (t *groupTable) each(fn func(key []byte, g *group)) {
	for _, s := range t.slots {
		if s.g != nil {
			fn(t.keys[s.off:s.end], s.g)
		}
	}
}

// mergeInto adds t's groups to dst, merging the states of groups both
// hold, and returns how many groups both held. t is left as it was.
func (t *groupTable) mergeInto(dst *groupTable) (both int) {
	t.each(func(key []byte, g *group) {
		m := dst.get(key)
		if m == nil {
			dst.put(key, g)
			return
		}
		m.merge(g)
		both++
	})
	return both
}
