package lake

import (
	"encoding/binary"
	"errors"
)

// encDeltaBinaryPacked is Parquet's DELTA_BINARY_PACKED encoding, as the
// page headers number it.
const encDeltaBinaryPacked = 5

var errDelta = errors.New("corrupt DELTA_BINARY_PACKED values")

// deltaDecoder decodes Parquet's DELTA_BINARY_PACKED encoding of
// integers: a header (values per block, miniblocks per block, the count
// of values, the first value), then blocks, each a minimum delta, a bit
// width per miniblock and the miniblocks, each of its values a delta
// less the minimum, bit-packed least significant bit first. Values are
// added up in 64 bits with wraparound (an INT32 column's are its low 32
// bits). It decodes a miniblock at a time into buf and reads its input in
// place.
type deltaDecoder struct {
	data     []byte
	perMini  int // values per miniblock
	minis    int // miniblocks per block
	left     int // values not yet decoded
	last     int64
	first    bool // the first value is not yet handed out
	minDelta int64
	widths   []byte // bit widths of the rest of the block's miniblocks
	buf      []int64
	at       int    // next value of buf
	pad      []byte // the miniblock's bytes, padded
}

// maxPerMini bounds a miniblock's values (the spec's are multiples of 32;
// writers use 32 or 64), so a corrupt header allocates little.
const maxPerMini = 1 << 12

func (d *deltaDecoder) reset(data []byte) error {
	var blockSize, minis, total uint64
	var n int
	var ok bool
	if blockSize, data, ok = uvarint(data); !ok {
		return errDelta
	}
	if minis, data, ok = uvarint(data); !ok {
		return errDelta
	}
	if total, data, ok = uvarint(data); !ok {
		return errDelta
	}
	first, n := binary.Varint(data)
	if n <= 0 {
		return errDelta
	}
	data = data[n:]
	if minis == 0 || blockSize == 0 || blockSize%128 != 0 || blockSize%minis != 0 || blockSize/minis%32 != 0 || blockSize/minis > maxPerMini || total > 1<<40 {
		return errDelta
	}
	buf, pad := d.buf, d.pad
	*d = deltaDecoder{pad: pad, data: data, perMini: int(blockSize / minis), minis: int(minis), left: int(total), last: first, first: total > 0}
	d.buf = grown(buf, d.perMini)[:0]
	return nil
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

// read decodes len(out) values into out and returns how many it decoded:
// fewer only at the end of the values, or where they are corrupt.
func (d *deltaDecoder) read(out []int64) int {
	got := 0
	if d.first && len(out) > 0 {
		out[0] = d.last
		d.first, d.left, got = false, d.left-1, 1
	}
	for got < len(out) {
		if d.at == len(d.buf) && !d.mini() {
			return got
		}
		k := copy(out[got:], d.buf[d.at:])
		d.at += k
		got += k
	}
	return got
}

// skip drops n values and returns how many it dropped.
func (d *deltaDecoder) skip(n int) int {
	got := 0
	if d.first && n > 0 {
		d.first, d.left, got = false, d.left-1, 1
	}
	for got < n {
		if d.at == len(d.buf) && !d.mini() {
			return got
		}
		k := min(n-got, len(d.buf)-d.at)
		d.at += k
		got += k
	}
	return got
}

// mini decodes the next miniblock (or what of it holds values) into buf;
// false at the end of the values or where they are corrupt.
func (d *deltaDecoder) mini() bool {
	if d.left <= 0 || d.first {
		return false
	}
	if len(d.widths) == 0 {
		// A new block: its minimum delta and bit widths.
		v, n := binary.Varint(d.data)
		if n <= 0 || len(d.data)-n < d.minis {
			return false
		}
		d.minDelta = v
		d.widths = d.data[n : n+d.minis]
		d.data = d.data[n+d.minis:]
	}
	w := uint(d.widths[0])
	d.widths = d.widths[1:]
	if w > 64 {
		return false
	}
	k := min(d.perMini, d.left)
	// The miniblock's bytes: a last one may stop at its last value.
	size := d.perMini * int(w) / 8
	have := min(size, len(d.data))
	if have*8 < k*int(w) {
		return false
	}
	p := d.data[:have]
	d.data = d.data[have:]
	d.buf = d.buf[:k]
	d.at = 0
	d.left -= k
	last, md := d.last, d.minDelta
	buf := d.buf
	switch {
	case w == 0:
		for i := range buf {
			last += md
			buf[i] = last
		}
	case w <= 56:
		// Each value is one load, from the page where eight bytes follow
		// the miniblock's (their bits are masked off), else from a copy
		// padded with eight.
		var pad []byte
		if len(d.data) >= 8 {
			pad = p[:have+8]
		} else {
			d.pad = append(append(d.pad[:0], p...), 0, 0, 0, 0, 0, 0, 0, 0)
			pad = d.pad
		}
		mask := uint64(1)<<w - 1
		pos := uint(0)
		i := 0
		if w <= 28 {
			// Two values from each load: the second ends by bit
			// 7 + 2*28 of it.
			for i = 1; i < len(buf); i += 2 {
				at := pos / 8
				word := binary.LittleEndian.Uint64(pad[at:at+8:at+8]) >> (pos % 8)
				last += md + int64(word&mask)
				buf[i-1] = last
				last += md + int64(word>>w&mask)
				buf[i] = last
				pos += 2 * w
			}
			i--
		}
		for ; i < len(buf); i++ {
			at := pos / 8
			word := binary.LittleEndian.Uint64(pad[at : at+8 : at+8])
			last += md + int64(word>>(pos%8)&mask)
			buf[i] = last
			pos += w
		}
	default:
		// Wider than a word's reach from a byte boundary: bit by bit
		// from two words.
		pos := uint(0)
		for i := range buf {
			var u uint64
			for b := uint(0); b < w; b++ {
				bit := pos + b
				u |= uint64(p[bit/8]>>(bit%8)&1) << b
			}
			last += md + int64(u)
			buf[i] = last
			pos += w
		}
	}
	d.last = last
	return true
}

// deltaChunk reads an integer column chunk whose every data page is
// DELTA_BINARY_PACKED, decoding its levels and values itself (arrow-go's
// decoder costs about four times as much): all values are decoded (each
// is the sum of the deltas before it) but, for a sparse read, converted
// only at the picked rows.
type deltaChunk struct {
	levelPages
	dec  deltaDecoder
	vals []int64
}

// newDeltaChunk reads the column chunk of pr with d, whose buffers it
// keeps (reused from unit to unit by one worker).
func newDeltaChunk(pr *chunkPages, maxDef int16, d *deltaChunk) (*deltaChunk, error) {
	if maxDef > 1 {
		return nil, errors.New("not a flat column")
	}
	*d = deltaChunk{levelPages: levelPages{pr: pr, maxDef: maxDef, lv: d.lv}, vals: d.vals,
		dec: deltaDecoder{buf: d.dec.buf, pad: d.dec.pad}}
	return d, nil
}

var errNotDelta = errors.New("data page not DELTA_BINARY_PACKED")

func (d *deltaChunk) page() error {
	data, err := d.nextPage(func(enc int) bool { return enc == encDeltaBinaryPacked }, errNotDelta)
	if err != nil {
		return err
	}
	return d.dec.reset(data)
}

// read fills c.num and c.null for the next n rows, each value in
// seconds for a time in units of 1/unit second (1 for other integers);
// with rows, only the picked rows' values are converted.
func (d *deltaChunk) read(n int, c *batchCol, rows []int32, unit int64) error {
	c.grow(n)
	got := 0
	for got < n {
		if d.left == 0 {
			if err := d.page(); err != nil {
				return err
			}
		}
		k := min(n-got, d.left)
		nn, err := d.take(k)
		if err != nil {
			return err
		}
		d.vals = grown(d.vals, nn)
		if d.dec.read(d.vals) != nn {
			return errDelta
		}
		num, null := c.num[got:got+k], c.null[got:got+k]
		switch {
		case d.dense && rows != nil:
			clear(null)
			for len(rows) > 0 && int(rows[0]) < got+k {
				i := int(rows[0]) - got
				num[i] = seconds(d.vals[i], unit)
				rows = rows[1:]
			}
		case d.dense:
			clear(null)
			if unit == 1 {
				copy(num, d.vals[:k])
				break
			}
			for i, v := range d.vals[:k] {
				num[i] = seconds(v, unit)
			}
		default:
			j := 0
			for i, l := range d.lv[:k] {
				null[i] = l != 1
				if l == 1 {
					num[i] = seconds(d.vals[j], unit)
					j++
				}
			}
		}
		got += k
		d.left -= k
	}
	return nil
}

func (d *deltaChunk) skip(n int64) error {
	return d.levelPages.skip(n, d.page, d.dec.skip, errDelta)
}
