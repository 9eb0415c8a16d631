package lake

import (
	"errors"
	"fmt"
)

// Parquet page types, as page headers number them.
const (
	pageData       = 0
	pageIndex      = 1
	pageDictionary = 2
	pageDataV2     = 3
)

// pageHeader is what the lake reads of a Parquet PageHeader (parquet.thrift):
// the page's type and sizes, and the fields of its data page (V1 or V2) or
// dictionary page header. Statistics, CRCs and the fields of other page
// types are skipped.
type pageHeader struct {
	typ          int32
	uncompressed int32
	compressed   int32
	// Of the page's type-specific header: numValues and encoding of a
	// data page (V1, V2) or dictionary page; defEncoding and repEncoding
	// of a V1 data page; the others of a V2 one.
	numValues    int32
	encoding     int32
	defEncoding  int32
	repEncoding  int32
	numNulls     int32
	numRows      int32
	defLen       int32
	repLen       int32
	compressedV2 bool // V2: the values are compressed (the default); else false
	// has is which required fields were read (hasType...).
	has uint16
}

// Bits of pageHeader.has.
const (
	hasType = 1 << iota
	hasUncompressed
	hasCompressed
	hasDataHeader // the header of the page's type
	hasDictHeader
	hasV2Header
	hasNumValues
	hasEncoding
	hasDefEncoding
	hasRepEncoding
	hasNumNulls
	hasNumRows
	hasDefLen
	hasRepLen
)

// Thrift compact protocol wire types.
const (
	tStop   = 0
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// maxThriftDepth bounds the nesting of structs and containers a header
// may have (Thrift's own readers stop at 64), so that a corrupt header
// cannot exhaust the stack.
const maxThriftDepth = 32

var errPageHeader = errors.New("corrupt page header")

// readPageHeader decodes the Thrift compact encoding of a PageHeader at
// the start of b into h and returns its length. It reads nothing past
// b: a header that does not end within it is an error. Fields it does
// not know, and known ones of an unexpected wire type, are skipped, as
// Thrift's generated readers skip them.
func readPageHeader(b []byte, h *pageHeader) (int, error) {
	*h = pageHeader{}
	t := thriftReader{b: b}
	// The headers of each page type, read apart: only the one of the
	// page's type counts (a header may hold others).
	data, dict, v2 := pageHeader{}, pageHeader{}, pageHeader{compressedV2: true}
	dataFields := t.i32s(&data, // DataPageHeader; statistics skipped
		[]*int32{&data.numValues, &data.encoding, &data.defEncoding, &data.repEncoding},
		[]uint16{hasNumValues, hasEncoding, hasDefEncoding, hasRepEncoding}, nil)
	dictFields := t.i32s(&dict, // DictionaryPageHeader; is_sorted skipped
		[]*int32{&dict.numValues, &dict.encoding},
		[]uint16{hasNumValues, hasEncoding}, nil)
	v2Fields := t.i32s(&v2, // DataPageHeaderV2; statistics skipped
		[]*int32{&v2.numValues, &v2.numNulls, &v2.numRows, &v2.encoding, &v2.defLen, &v2.repLen},
		[]uint16{hasNumValues, hasNumNulls, hasNumRows, hasEncoding, hasDefLen, hasRepLen},
		func(id int16, typ byte) bool {
			if id != 7 || (typ != tTrue && typ != tFalse) {
				return false
			}
			v2.compressedV2 = typ == tTrue
			return true
		})
	t.fields(t.i32s(h, // PageHeader; crc, the index page's header, unknown fields skipped
		[]*int32{&h.typ, &h.uncompressed, &h.compressed},
		[]uint16{hasType, hasUncompressed, hasCompressed},
		func(id int16, typ byte) bool {
			if typ != tStruct {
				return false
			}
			switch id {
			case 5:
				data.has |= hasDataHeader
				t.fields(dataFields)
			case 7:
				dict.has |= hasDictHeader
				t.fields(dictFields)
			case 8:
				v2.has |= hasV2Header
				t.fields(v2Fields)
			default:
				return false
			}
			return true
		}))
	if t.err != nil {
		return 0, t.err
	}
	typ, uncompressed, compressed, has := h.typ, h.uncompressed, h.compressed, h.has
	switch typ {
	case pageData:
		*h = data
	case pageDictionary:
		*h = dict
	case pageDataV2:
		*h = v2
	}
	h.typ, h.uncompressed, h.compressed, h.has = typ, uncompressed, compressed, h.has|has
	if err := h.check(); err != nil {
		return 0, err
	}
	return t.pos, nil
}

// check reports a header without the fields its page type requires, or
// with a size or count out of range.
func (h *pageHeader) check() error {
	need := uint16(hasType | hasUncompressed | hasCompressed)
	switch h.typ {
	case pageData:
		need |= hasDataHeader | hasNumValues | hasEncoding | hasDefEncoding | hasRepEncoding
	case pageDictionary:
		need |= hasDictHeader | hasNumValues | hasEncoding
	case pageDataV2:
		need |= hasV2Header | hasNumValues | hasNumNulls | hasNumRows | hasEncoding | hasDefLen | hasRepLen
	}
	if h.has&need != need {
		return fmt.Errorf("%w: required fields missing", errPageHeader)
	}
	if h.uncompressed < 0 || h.compressed < 0 || h.numValues < 0 || h.numNulls < 0 || h.numRows < 0 || h.defLen < 0 || h.repLen < 0 {
		return fmt.Errorf("%w: a negative size or count", errPageHeader)
	}
	if h.typ == pageDataV2 && int64(h.defLen)+int64(h.repLen) > int64(min(h.compressed, h.uncompressed)) {
		return fmt.Errorf("%w: levels of %d bytes in a page of %d", errPageHeader, int64(h.defLen)+int64(h.repLen), min(h.compressed, h.uncompressed))
	}
	return nil
}

// thriftReader decodes Thrift's compact protocol from b. The first
// error stops it: every read after returns zero values.
type thriftReader struct {
	b     []byte
	pos   int
	depth int
	err   error
}

func (t *thriftReader) fail(what string) {
	if t.err == nil {
		t.err = fmt.Errorf("%w: %s at byte %d", errPageHeader, what, t.pos)
	}
	t.pos = len(t.b)
}

func (t *thriftReader) byte() byte {
	if t.pos >= len(t.b) {
		t.fail("unexpected end")
		return 0
	}
	c := t.b[t.pos]
	t.pos++
	return c
}

func (t *thriftReader) uvarint() uint64 {
	var v uint64
	for s := uint(0); s < 64; s += 7 {
		c := t.byte()
		if t.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v
		}
	}
	t.fail("varint too long")
	return 0
}

func (t *thriftReader) i64() int64 {
	u := t.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// i32 reads a zigzag varint: one out of int32's range is an error.
func (t *thriftReader) i32() int32 {
	v := t.i64()
	if v != int64(int32(v)) {
		t.fail("i32 out of range")
		return 0
	}
	return int32(v)
}

// i32s returns a field reader for fields that reads a struct's i32
// fields numbered 1 to len(into) into *into[id-1], marking bits[id-1] in
// h.has, and hands the others to rest (nil: skip them).
func (t *thriftReader) i32s(h *pageHeader, into []*int32, bits []uint16, rest func(id int16, typ byte) bool) func(id int16, typ byte) bool {
	return func(id int16, typ byte) bool {
		if k := int(id) - 1; typ == tI32 && k >= 0 && k < len(into) {
			*into[k], h.has = t.i32(), h.has|bits[k]
			return true
		}
		return rest != nil && rest(id, typ)
	}
}

// fields reads a struct's fields up to its stop field, handing each
// field's id and wire type to f, which reads the value or returns false
// to have it skipped.
func (t *thriftReader) fields(f func(id int16, typ byte) bool) {
	if t.depth++; t.depth > maxThriftDepth {
		t.fail("nested too deep")
		return
	}
	defer func() { t.depth-- }()
	var id int16
	for t.err == nil {
		c := t.byte()
		typ := c & 0x0f
		if t.err != nil || typ == tStop {
			return // (Thrift's readers take any byte of type 0 as the stop)
		}
		if d := c >> 4; d != 0 {
			id += int16(d)
		} else {
			v := t.i64()
			if v != int64(int16(v)) {
				t.fail("field id out of range")
				return
			}
			id = int16(v)
		}
		if !f(id, typ) {
			t.skip(typ)
		}
	}
}

// skip reads a value of wire type typ and drops it.
func (t *thriftReader) skip(typ byte) {
	switch typ {
	case tTrue, tFalse: // a field's value is its type
	case tByte:
		t.byte()
	case tI16, tI32, tI64:
		t.uvarint()
	case tDouble:
		t.bytes(8)
	case tBinary:
		t.bytes(t.uvarint())
	case tList, tSet:
		c := t.byte()
		n := uint64(c >> 4)
		if n == 15 {
			n = t.uvarint()
		}
		t.elems(n, c&0x0f, 0, false)
	case tMap:
		n := t.uvarint()
		if n == 0 || t.err != nil {
			return
		}
		kv := t.byte()
		t.elems(n, kv>>4, kv&0x0f, true)
	case tStruct:
		t.fields(func(int16, byte) bool { return false })
	default:
		t.fail(fmt.Sprintf("unknown wire type %d", typ))
	}
}

// elems skips n elements of a container (pairs for a map). A boolean
// element is a byte.
func (t *thriftReader) elems(n uint64, et, vt byte, pairs bool) {
	if t.depth++; t.depth > maxThriftDepth {
		t.fail("nested too deep")
		return
	}
	defer func() { t.depth-- }()
	// Every element takes a byte at least, so n past the bytes left is
	// corrupt (and would loop long).
	if n > uint64(len(t.b)-t.pos) {
		t.fail("container larger than its bytes")
		return
	}
	elem := func(typ byte) {
		if typ == tTrue || typ == tFalse {
			t.byte()
			return
		}
		t.skip(typ)
	}
	for i := uint64(0); i < n && t.err == nil; i++ {
		elem(et)
		if pairs {
			elem(vt)
		}
	}
}

// bytes drops n bytes.
func (t *thriftReader) bytes(n uint64) {
	if n > uint64(len(t.b)-t.pos) {
		t.fail("unexpected end")
		return
	}
	t.pos += int(n)
}
