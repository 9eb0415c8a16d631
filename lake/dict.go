package lake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/parquet"
)

// Parquet encodings, as the page headers number them.
const (
	encPlain     = 0
	encPlainDict = 2
	encRLE       = 3
	encRLEDict   = 8
)

// errNotDictionary marks a page of a column chunk that its metadata said
// was wholly dictionary encoded and is not.
var errNotDictionary = errors.New("data page not dictionary encoded")

// dictChunk reads a string column chunk whose every data page is
// dictionary encoded, decoding definition levels and indices itself: a
// batch then holds each row's index into the chunk's dictionary, so
// filters are checked once per dictionary value and group keys are small
// integers, and no value is copied. Pages come from chunkPages
// (decompressed); the dictionary's values refer into its page, which
// stays valid for the chunk.
type dictChunk struct {
	levelPages
	dict  []parquet.ByteArray
	dnull []bool // the dictionary value is "-": NULL
	// dashes: some value is "-" (else no row of a dense page is NULL).
	dashes bool
	idx    rleDecoder
	iv     []int32
	bm     []uint64 // a segment's levels, as bits (pickSparse)
}

// newDictChunk reads the column chunk of pr; it and its dictionary's
// values are kept in b's buffers (reused from unit to unit by one
// worker).
func newDictChunk(pr *chunkPages, maxDef int16, b *slotBuffers) (*dictChunk, error) {
	if maxDef > 1 {
		return nil, fmt.Errorf("definition levels up to %d: not a flat column", maxDef)
	}
	d := &b.dc
	*d = dictChunk{levelPages: levelPages{pr: pr, maxDef: maxDef, lv: d.lv}, iv: d.iv, bm: d.bm}
	dp, err := pr.next()
	if err != nil {
		return nil, err
	}
	if dp == nil {
		return nil, errors.New("no pages")
	}
	if dp.typ != pageDictionary {
		return nil, errors.New("no dictionary page first")
	}
	if e := int(dp.encoding); e != encPlain && e != encPlainDict {
		return nil, fmt.Errorf("dictionary page encoding %d", e)
	}
	if d.dict, err = dictValues(dp, b.dict[:0]); err != nil {
		return nil, err
	}
	b.dict = d.dict
	b.dnull = grown(b.dnull, len(d.dict))
	d.dnull = b.dnull
	for i, v := range d.dict {
		d.dnull[i] = isDash(v)
		d.dashes = d.dashes || d.dnull[i]
	}
	return d, nil
}

// dictValues appends to vals the values of a dictionary page of byte
// arrays (PLAIN: each a 4-byte length and its bytes); they refer into the
// page.
func dictValues(dp *page, vals []parquet.ByteArray) ([]parquet.ByteArray, error) {
	data := dp.data
	n := int(dp.numValues)
	if n < 0 || n > len(data)/4 {
		return nil, errors.New("corrupt dictionary page")
	}
	vals = slices.Grow(vals[:0], n)
	for range n {
		if len(data) < 4 {
			return nil, errors.New("corrupt dictionary page")
		}
		l := int(binary.LittleEndian.Uint32(data))
		if l < 0 || l > len(data)-4 {
			return nil, errors.New("corrupt dictionary page")
		}
		vals = append(vals, data[4:4+l:4+l])
		data = data[4+l:]
	}
	return vals, nil
}

// isDash reports whether a string value is "-", the log's NULL.
func isDash(v []byte) bool { return len(v) == 1 && v[0] == '-' }

// page moves to the next data page.
func (d *dictChunk) page() error {
	data, err := d.nextPage(func(enc int) bool { return enc == encRLEDict || enc == encPlainDict }, errNotDictionary)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		d.idx.reset(nil, 0) // a page of NULLs
		return nil
	}
	if data[0] > 32 {
		return errRLE
	}
	d.idx.reset(data[1:], int(data[0]))
	return nil
}

// read fills c with the dictionary indices of the next n rows. With rows
// (nil for every row), only those rows of the batch, in order, are
// decoded: the others are skipped in the encoded runs and their values in
// c are left as they were (no reader looks at a row not picked).
func (d *dictChunk) read(n int, c *batchCol, rows []int32) error {
	c.grow(n)
	c.kind, c.vals, c.dict = kStr, d.dict, true
	got := 0
	for got < n {
		if d.left == 0 {
			if err := d.page(); err != nil {
				return err
			}
		}
		k := min(n-got, d.left)
		if rows == nil {
			if err := d.decode(c.at[got:got+k], c.null[got:got+k]); err != nil {
				return err
			}
		} else if !d.dense {
			var err error
			if rows, err = d.pickSparse(c, got, k, rows); err != nil {
				return err
			}
		} else {
			// Runs of rows not picked are skipped, runs of picked ones
			// decoded (a dense page's values are its rows).
			pos, end := got, got+k
			for len(rows) > 0 && int(rows[0]) < end {
				j := int(rows[0])
				e := 1
				for e < len(rows) && int(rows[e]) == j+e && j+e < end {
					e++
				}
				rows = rows[e:]
				if j > pos && d.idx.skip(j-pos) != j-pos {
					return errRLE
				}
				if err := d.decode(c.at[j:j+e], c.null[j:j+e]); err != nil {
					return err
				}
				pos = j + e
			}
			if end > pos && d.idx.skip(end-pos) != end-pos {
				return errRLE
			}
		}
		got += k
		d.left -= k
	}
	return nil
}

// pickSparse reads rows [got, got+k) of the batch, from the current page
// (which has NULLs), at the picked rows among rows, and returns the rest
// of rows. The segment's levels are decoded whole into a bitmap (the
// bit-packed runs of width 1 are one already) and counted by words,
// rather than skipped run by run between picks.
func (d *dictChunk) pickSparse(c *batchCol, got, k int, rows []int32) ([]int32, error) {
	d.bm = grown(d.bm, (k+63)/64)
	bm := d.bm
	clear(bm)
	if d.defs.bits(bm, k) != k {
		return nil, errRLE
	}
	at, null := c.at, c.null[:len(c.at)]
	pos := 0 // of the segment
	for len(rows) > 0 && int(rows[0]) < got+k {
		r := int(rows[0]) - got
		rows = rows[1:]
		if ones := rangeOnes(bm, pos, r); ones > 0 && d.idx.skip(ones) != ones {
			return nil, errRLE
		}
		pos = r + 1
		if bm[r/64]>>(r%64)&1 == 0 {
			at[got+r], null[got+r] = int32(len(d.dict)), true
			continue
		}
		x, ok := d.idx.one()
		if !ok || uint32(x) >= uint32(len(d.dict)) {
			return nil, errRLE
		}
		at[got+r], null[got+r] = x, d.dnull[x]
	}
	if ones := rangeOnes(bm, pos, k); ones > 0 && d.idx.skip(ones) != ones {
		return nil, errRLE
	}
	return rows, nil
}

// rangeOnes counts the bits of bm set in [from, to).
func rangeOnes(bm []uint64, from, to int) int {
	n := 0
	for from < to {
		w, b := from/64, uint(from%64)
		m := min(to-from, 64-int(b))
		word := bm[w] >> b
		if m < 64 {
			word &= 1<<uint(m) - 1
		}
		n += bits.OnesCount64(word)
		from += m
	}
	return n
}

// decode reads the indices and NULLs of the next len(at) rows of the
// current page.
func (d *dictChunk) decode(at []int32, null []bool) error {
	k := len(at)
	null = null[:k]
	if k == 1 {
		return d.decodeOne(at, null)
	}
	nn, err := d.take(k)
	if err != nil {
		return err
	}
	if d.dense {
		if d.idx.read(at) != k {
			return errRLE
		}
		if !d.dashes {
			// No value is NULL: the indices need only be in range.
			var top uint32
			for _, x := range at {
				top = max(top, uint32(x))
			}
			if top >= uint32(len(d.dnull)) {
				return errRLE
			}
			clear(null)
			return nil
		}
		dnull := d.dnull
		for i, x := range at {
			j := int(x)
			if j < 0 || j >= len(dnull) {
				return errRLE
			}
			null[i] = dnull[j]
		}
		return nil
	}
	d.iv = grown(d.iv, nn)
	if d.idx.read(d.iv) != nn {
		return errRLE
	}
	j := 0
	for i, l := range d.lv {
		if l != 1 {
			at[i], null[i] = int32(len(d.dict)), true // (see batchCol.at)
			continue
		}
		x := d.iv[j]
		j++
		if uint32(x) >= uint32(len(d.dict)) {
			return errRLE
		}
		at[i], null[i] = x, d.dnull[x]
	}
	return nil
}

// decodeOne is decode of one row.
func (d *dictChunk) decodeOne(at []int32, null []bool) error {
	if !d.dense {
		l, ok := d.defs.one()
		if !ok {
			return errRLE
		}
		if l != 1 {
			at[0], null[0] = int32(len(d.dict)), true
			return nil
		}
	}
	x, ok := d.idx.one()
	if !ok || uint32(x) >= uint32(len(d.dict)) {
		return errRLE
	}
	at[0], null[0] = x, d.dnull[x]
	return nil
}

func (d *dictChunk) skip(n int64) error { return d.levelPages.skip(n, d.page, d.idx.skip, errRLE) }
