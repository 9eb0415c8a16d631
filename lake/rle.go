package lake

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// errRLE is the cause of a run of the RLE/bit-packing hybrid encoding
// that does not fit its page.
var errRLE = errors.New("corrupt RLE/bit-packed run")

// rleDecoder decodes Parquet's RLE/bit-packing hybrid encoding of
// definition levels and dictionary indices: runs of one repeated value
// (header LSB 0) and runs of values bit-packed in groups of 8 (header LSB
// 1), each value width bits wide. It reads its input in place. The zero
// value is empty; reset gives it a run of bytes.
type rleDecoder struct {
	data  []byte
	width uint
	// The current run: left values of value (RLE), or left values
	// bit-packed from bit pos of packed.
	left   int
	rle    bool
	value  int32
	packed []byte
	pos    uint
}

func (d *rleDecoder) reset(data []byte, width int) {
	*d = rleDecoder{data: data, width: uint(width)}
}

// next starts the next run; false at the end of the input or on a run
// that does not fit.
func (d *rleDecoder) next() bool {
	var h uint64
	if len(d.data) > 0 && d.data[0] < 0x80 {
		// A header of one byte (runs of up to 63 values, or up to 63
		// groups): most of them.
		h, d.data = uint64(d.data[0]), d.data[1:]
	} else {
		var n int
		if h, n = binary.Uvarint(d.data); n <= 0 {
			return false
		}
		d.data = d.data[n:]
	}
	if h&1 == 0 {
		d.rle, d.left = true, int(h>>1)
		nb := int(d.width+7) / 8
		if len(d.data) < nb || d.left < 0 {
			return false
		}
		var v uint32
		if nb == 1 {
			v = uint32(d.data[0])
		} else {
			for i := range nb {
				v |= uint32(d.data[i]) << (8 * i)
			}
		}
		d.value, d.data = int32(v), d.data[nb:]
		return d.left > 0 || d.next()
	}
	// A last bit-packed run may be cut short of its declared groups: take
	// what is there (and no more than fits an int).
	groups := h >> 1
	if groups == 0 {
		return false
	}
	groups = min(groups, 1<<28)
	if d.width > 0 {
		groups = min(groups, uint64(len(d.data)+1))
	}
	nb := min(int(groups)*int(d.width), len(d.data))
	d.rle, d.left = false, int(groups)*8
	if d.width > 0 {
		d.left = min(d.left, nb*8/int(d.width))
	}
	d.packed, d.pos, d.data = d.data[:nb], 0, d.data[nb:]
	return d.left > 0 || d.next()
}

// allOnes reports whether the next n values are all 1 in one run (the
// definition levels of a page without NULLs), without consuming them.
func (d *rleDecoder) allOnes(n int) bool {
	if d.left == 0 && !d.next() {
		return n == 0
	}
	return d.rle && d.value == 1 && d.left >= n
}

// read decodes len(out) values into out and returns how many it decoded:
// fewer only at the end of the input.
func (d *rleDecoder) read(out []int32) int {
	got := 0
	for got < len(out) {
		if d.left == 0 && !d.next() {
			return got
		}
		k := min(d.left, len(out)-got)
		if d.rle {
			v := d.value
			for i := range out[got : got+k] {
				out[got+i] = v
			}
		} else {
			d.unpack(out[got : got+k])
		}
		got += k
		d.left -= k
	}
	return got
}

// bits decodes n values of width 1 (definition levels of a flat column)
// into the bitmap bm, bit i of word i/64 for value i (bm holds at least
// n bits and is zero), and returns how many it decoded. A value of an RLE
// run other than 1 is 0.
func (d *rleDecoder) bits(bm []uint64, n int) int {
	got := 0
	for got < n {
		if d.left == 0 && !d.next() {
			return got
		}
		k := min(d.left, n-got)
		switch {
		case d.rle:
			if d.value == 1 {
				setBits(bm, got, k)
			}
		case d.width == 1:
			copyBits(bm, got, d.packed, d.pos, k)
			d.pos += uint(k)
		case d.width == 0:
		default:
			return got // not a bitmap's width
		}
		got += k
		d.left -= k
	}
	return got
}

// setBits sets bits [from, from+k) of bm.
func setBits(bm []uint64, from, k int) {
	for k > 0 {
		w, b := from/64, uint(from%64)
		m := min(k, 64-int(b))
		mask := ^uint64(0)
		if m < 64 {
			mask = (1<<uint(m) - 1) << b
		}
		bm[w] |= mask
		from += m
		k -= m
	}
}

// copyBits ORs k bits of p from bit pos (least significant first) into
// bm from bit at; the bits must lie within p.
func copyBits(bm []uint64, at int, p []byte, pos uint, k int) {
	for k > 0 {
		word, m := bitsAt(p, pos, uint(min(k, 64-at%64)))
		bm[at/64] |= word << uint(at%64)
		at += int(m)
		pos += m
		k -= int(m)
	}
}

// bitsAt returns bits of p from bit from on, least significant first: as
// many as one load from from's byte holds, up to k (at least min(k, 57)),
// and how many.
func bitsAt(p []byte, from, k uint) (uint64, uint) {
	at, shift := from/8, from%8
	var word uint64
	if int(at)+8 <= cap(p) {
		// Bytes past len(p) but within its array (the rest of the
		// page) are masked off below.
		word = binary.LittleEndian.Uint64(p[at : at+8])
	} else {
		var tail [8]byte
		copy(tail[:], p[at:])
		word = binary.LittleEndian.Uint64(tail[:])
	}
	word >>= shift
	m := min(k, 64-shift)
	if m < 64 {
		word &= 1<<m - 1
	}
	return word, m
}

// one decodes the next value; false at the end of the input. (read's
// setup costs more than a value: sparse reads take one at a time.)
func (d *rleDecoder) one() (int32, bool) {
	if d.left == 0 && !d.next() {
		return 0, false
	}
	d.left--
	if d.rle {
		return d.value, true
	}
	p, w := d.packed, d.width
	at, shift := int(d.pos/8), d.pos%8
	var word uint64
	if at+8 <= cap(p) {
		word = binary.LittleEndian.Uint64(p[at : at+8]) // (as in bitsAt)
	} else {
		for b := 0; b < int(shift+w+7)/8 && at+b < len(p); b++ {
			word |= uint64(p[at+b]) << (8 * b)
		}
	}
	d.pos += w
	return int32(word >> shift & (1<<w - 1)), true
}

// skip drops n values and returns how many it dropped.
func (d *rleDecoder) skip(n int) int {
	got := 0
	for got < n {
		if d.left == 0 && !d.next() {
			return got
		}
		k := min(d.left, n-got)
		if !d.rle {
			d.pos += uint(k) * d.width
		}
		got += k
		d.left -= k
	}
	return got
}

// skipOnes drops n values, as skip does, and returns how many it dropped
// and how many of those were 1: for definition levels of a flat column
// (width 1), the rows that hold a value. Bit-packed runs of width 1 are
// counted a word at a time.
func (d *rleDecoder) skipOnes(n int) (got, ones int) {
	for got < n {
		if d.left == 0 && !d.next() {
			return got, ones
		}
		k := min(d.left, n-got)
		switch {
		case d.rle:
			if d.value == 1 {
				ones += k
			}
			got += k
			d.left -= k
		case d.width == 1:
			ones += popBits(d.packed, d.pos, uint(k))
			d.pos += uint(k)
			got += k
			d.left -= k
		case d.width == 0:
			got += k
			d.left -= k
		default:
			var buf [64]int32
			k = min(k, len(buf))
			d.unpack(buf[:k])
			for _, v := range buf[:k] {
				if v == 1 {
					ones++
				}
			}
			got += k
			d.left -= k
		}
	}
	return got, ones
}

// popBits counts the bits set in bits [from, from+k) of p, least
// significant bit first; they must lie within p.
func popBits(p []byte, from, k uint) int {
	c := 0
	for k > 0 {
		word, m := bitsAt(p, from, k)
		c += bits.OnesCount64(word)
		from += m
		k -= m
	}
	return c
}

// unpack reads len(out) bit-packed values, least significant bit first.
func (d *rleDecoder) unpack(out []int32) {
	w := d.width
	mask := uint64(1)<<w - 1
	p := d.packed
	// Whole groups of eight values from a group boundary: w bytes, one
	// 64-bit word for w <= 8.
	if w > 0 && w <= 8 && d.pos%(8*w) == 0 {
		for len(out) >= 8 {
			at := int(d.pos / 8)
			if at+8 > cap(p) {
				break
			}
			word := binary.LittleEndian.Uint64(p[at : at+8]) // (as in bitsAt)
			o := out[:8:8]
			o[0] = int32(word & mask)
			o[1] = int32(word >> w & mask)
			o[2] = int32(word >> (2 * w) & mask)
			o[3] = int32(word >> (3 * w) & mask)
			o[4] = int32(word >> (4 * w) & mask)
			o[5] = int32(word >> (5 * w) & mask)
			o[6] = int32(word >> (6 * w) & mask)
			o[7] = int32(word >> (7 * w) & mask)
			out = out[8:]
			d.pos += 8 * w
		}
	}
	if len(out) == 0 {
		return
	}
	// One load a value, from p's array (bytes past the run's are masked
	// off); within eight bytes of the array's end from a zero-padded copy
	// of the run's last bytes.
	var tail [16]byte
	tailAt := -1
	for i := range out {
		byteAt := int(d.pos / 8)
		shift := d.pos % 8
		// Eight bytes from byteAt hold the value (width <= 32, shift < 8).
		var word uint64
		if byteAt+8 <= cap(p) {
			word = binary.LittleEndian.Uint64(p[byteAt : byteAt+8])
		} else if byteAt < len(p) {
			if tailAt < 0 {
				tailAt = max(len(p)-8, 0)
				copy(tail[:], p[tailAt:])
			}
			word = binary.LittleEndian.Uint64(tail[byteAt-tailAt:])
		}
		out[i] = int32((word >> shift) & mask)
		d.pos += w
	}
}
