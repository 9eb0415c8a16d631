package lake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// cw writes Thrift's compact protocol by hand, for headers with fields
// no writer of page headers writes.
type cw struct {
	b    []byte
	last []int16 // the last field id of each open struct
}

func (w *cw) uv(v uint64) *cw { w.b = binary.AppendUvarint(w.b, v); return w }
func (w *cw) zz(v int64) *cw  { return w.uv(uint64(v<<1) ^ uint64(v>>63)) }

// field writes a field header: the short form when the id is 1 to 15
// past the last, else the long one.
func (w *cw) field(id int16, typ byte) *cw {
	last := &w.last[len(w.last)-1]
	if d := id - *last; d > 0 && d <= 15 {
		w.b = append(w.b, byte(d)<<4|typ)
	} else {
		w.b = append(w.b, typ)
		w.zz(int64(id))
	}
	*last = id
	return w
}

func (w *cw) i32(id int16, v int32) *cw { return w.field(id, tI32).zz(int64(v)) }
func (w *cw) begin(id int16) *cw {
	w.field(id, tStruct)
	w.last = append(w.last, 0)
	return w
}
func (w *cw) end() *cw {
	w.b = append(w.b, tStop)
	w.last = w.last[:len(w.last)-1]
	return w
}

func newCW() *cw { return &cw{last: []int16{0}} }

// unknown writes, in the current struct, fields of ids no page header
// has, one of every wire type, containers holding every element type
// (their sizes in the short and the long form), nested structs among
// them.
func (w *cw) unknown(from int16) *cw {
	id := from
	next := func() int16 { id++; return id }
	w.field(next(), tTrue)
	w.field(next(), tFalse)
	w.field(next(), tByte)
	w.b = append(w.b, 0x80)
	w.field(next(), tI16).zz(-300)
	w.field(next(), tI32).zz(math.MinInt32)
	w.field(next(), tI64).zz(math.MaxInt64)
	w.field(next(), tDouble)
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(1.5))
	w.field(next(), tBinary).uv(5)
	w.b = append(w.b, "hello"...)
	// A list of 3 i32s, a set of 2 bools, a list of 20 strings (the long
	// size form), a list of 2 structs, a map of i32 to lists of bytes.
	w.field(next(), tList)
	w.b = append(w.b, 3<<4|tI32)
	w.zz(1).zz(-2).zz(3)
	w.field(next(), tSet)
	w.b = append(w.b, 2<<4|tTrue, 1, 2)
	w.field(next(), tList)
	w.b = append(w.b, 15<<4|tBinary)
	w.uv(20)
	for range 20 {
		w.uv(2)
		w.b = append(w.b, "ab"...)
	}
	w.field(next(), tList)
	w.b = append(w.b, 2<<4|tStruct)
	for range 2 {
		w.last = append(w.last, 0)
		w.i32(1, 7).field(2, tFalse).end()
	}
	w.field(next(), tMap).uv(2)
	w.b = append(w.b, tI32<<4|tList)
	for k := range 2 {
		w.zz(int64(k))
		w.b = append(w.b, 2<<4|tByte, 9, 9)
	}
	w.field(next(), tMap).uv(0) // empty: no types byte
	// A struct nesting a struct, and a field id far from the last (the
	// long form) and back (a negative delta).
	w.begin(next()).begin(1).i32(1, 3).field(2, tList)
	w.b = append(w.b, 1<<4|tStruct)
	w.last = append(w.last, 0)
	w.field(1, tTrue).end().end().end()
	w.field(1000, tI32).zz(5)
	return w
}

// TestReadPageHeader decodes page headers of every page type, written by
// parquet-go's Thrift encoder and by hand with fields it does not know,
// and checks what it reads, and that corrupt and cut headers are errors.
func TestReadPageHeader(t *testing.T) {
	stats := format.Statistics{Max: []byte("zz"), Min: []byte("aa"), NullCount: 3, MaxValue: []byte("zz"), MinValue: []byte("aa")}
	v2 := format.DataPageHeaderV2{NumValues: 100, NumNulls: 4, NumRows: 100, Encoding: format.RLEDictionary, DefinitionLevelsByteLength: 9, RepetitionLevelsByteLength: 0, Statistics: stats}
	v2plain := v2
	v2plain.IsCompressed = thrift.New(false)
	f := func(what string, h format.PageHeader, want pageHeader) {
		t.Helper()
		b, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			t.Fatal(err)
		}
		checkHeader(t, what, b, want)
	}
	f("data page", format.PageHeader{Type: format.DataPage, UncompressedPageSize: 1000, CompressedPageSize: 300, CRC: -5,
		DataPageHeader: thrift.New(format.DataPageHeader{NumValues: 4096, Encoding: format.RLEDictionary, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.BitPacked, Statistics: stats})},
		pageHeader{typ: pageData, uncompressed: 1000, compressed: 300, numValues: 4096, encoding: encRLEDict, defEncoding: encRLE, repEncoding: 4})
	f("dictionary page", format.PageHeader{Type: format.DictionaryPage, UncompressedPageSize: 70000, CompressedPageSize: 20000,
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: 812, Encoding: format.Plain, IsSorted: true})},
		pageHeader{typ: pageDictionary, uncompressed: 70000, compressed: 20000, numValues: 812, encoding: encPlain})
	f("data page v2", format.PageHeader{Type: format.DataPageV2, UncompressedPageSize: 50, CompressedPageSize: 40, DataPageHeaderV2: thrift.New(v2)},
		pageHeader{typ: pageDataV2, uncompressed: 50, compressed: 40, numValues: 100, numNulls: 4, numRows: 100, encoding: encRLEDict, defLen: 9, compressedV2: true})
	f("data page v2, not compressed", format.PageHeader{Type: format.DataPageV2, UncompressedPageSize: 50, CompressedPageSize: 50, DataPageHeaderV2: thrift.New(v2plain)},
		pageHeader{typ: pageDataV2, uncompressed: 50, compressed: 50, numValues: 100, numNulls: 4, numRows: 100, encoding: encRLEDict, defLen: 9})
	f("index page", format.PageHeader{Type: format.IndexPage, UncompressedPageSize: 8, CompressedPageSize: 8, IndexPageHeader: thrift.New(format.IndexPageHeader{})},
		pageHeader{typ: pageIndex, uncompressed: 8, compressed: 8})

	// By hand: unknown fields before, between and after the known ones,
	// at the top and in the page type's header.
	w := newCW().unknown(20)
	w.i32(1, pageData).i32(2, 64).i32(3, 60).i32(4, 0x1234)
	w.begin(5).i32(1, 10).unknown(10)
	w.i32(2, encRLEDict).i32(3, encRLE).i32(4, encRLE).begin(5).field(1, tBinary).uv(1)
	w.b = append(w.b, 'x')
	w.end().unknown(20).end()
	w.begin(6).unknown(0).end() // an index page header too
	w.unknown(30).end()
	checkHeader(t, "data page with unknown fields", w.b, pageHeader{typ: pageData, uncompressed: 64, compressed: 60, numValues: 10, encoding: encRLEDict, defEncoding: encRLE, repEncoding: encRLE})

	// A known field id with another wire type is skipped, as Thrift's
	// readers skip it: here the page type as a string, then as an i32.
	w = newCW()
	w.field(1, tBinary).uv(1)
	w.b = append(w.b, 'x')
	w.i32(1, pageDictionary).i32(2, 10).i32(3, 10).begin(7).i32(1, 2).i32(2, encPlainDict).field(3, tFalse).end().end()
	checkHeader(t, "a field of another type", w.b, pageHeader{typ: pageDictionary, uncompressed: 10, compressed: 10, numValues: 2, encoding: encPlainDict})
	// An unknown page type with no header of its own.
	w = newCW().i32(1, 9).i32(2, 10).i32(3, 10).end()
	checkHeader(t, "unknown page type", w.b, pageHeader{typ: 9, uncompressed: 10, compressed: 10})

	// Errors.
	bad := func(what string, b []byte) {
		t.Helper()
		var h pageHeader
		if n, err := readPageHeader(b, &h); !errors.Is(err, errPageHeader) {
			t.Errorf("%s: %d, %v; want errPageHeader", what, n, err)
		}
	}
	bad("empty", nil)
	bad("no data page header", newCW().i32(1, pageData).i32(2, 10).i32(3, 10).end().b)
	bad("no num_values", newCW().i32(1, pageData).i32(2, 10).i32(3, 10).begin(5).i32(2, 0).i32(3, 3).i32(4, 3).end().end().b)
	bad("no compressed size", newCW().i32(1, pageDictionary).i32(2, 10).begin(7).i32(1, 2).i32(2, 0).end().end().b)
	bad("negative size", newCW().i32(1, pageDictionary).i32(2, -10).i32(3, 10).begin(7).i32(1, 2).i32(2, 0).end().end().b)
	bad("levels past the page", newCW().i32(1, pageDataV2).i32(2, 10).i32(3, 10).begin(8).i32(1, 2).i32(2, 0).i32(3, 2).i32(4, 0).i32(5, 8).i32(6, 4).end().end().b)
	bad("i32 out of range", newCW().field(1, tI32).zz(1<<40).b)
	bad("varint too long", append(newCW().field(1, tI32).b, bytes.Repeat([]byte{0xff}, 11)...))
	bad("wire type 13", []byte{0x1d, 0})
	bad("container larger than its bytes", append(newCW().field(1, tList).b, 15<<4|tI32, 0xff, 0xff, 0x7f))
	deep := newCW()
	for range maxThriftDepth + 1 {
		deep.begin(1)
	}
	bad("nested too deep", deep.b)
	// Every cut of a valid header is an error, not a panic.
	for i := range len(w.b) {
		bad("cut", w.b[:i])
	}
}

func checkHeader(t *testing.T, what string, b []byte, want pageHeader) {
	t.Helper()
	var h pageHeader
	n, err := readPageHeader(append(b, 0xde, 0xad), &h) // bytes past the header are not read
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	h.has = 0
	if n != len(b) || h != want {
		t.Errorf("%s: read %d of %d bytes:\n  %+v\nwant\n  %+v", what, n, len(b), h, want)
	}
}

// FuzzPageHeader checks that readPageHeader never panics, never reads
// past the header it decodes (the same header and length from its bytes
// alone, and with others after), and, where parquet-go's Thrift decoder
// also reads a PageHeader, agrees with it.
func FuzzPageHeader(f *testing.F) {
	for _, h := range []format.PageHeader{
		{Type: format.DataPage, UncompressedPageSize: 1000, CompressedPageSize: 300, DataPageHeader: thrift.New(format.DataPageHeader{NumValues: 4096, Encoding: format.RLEDictionary, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE, Statistics: format.Statistics{Max: []byte("z")}})},
		{Type: format.DictionaryPage, UncompressedPageSize: 7, CompressedPageSize: 2, DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: 8, IsSorted: true})},
		{Type: format.DataPageV2, UncompressedPageSize: 50, CompressedPageSize: 40, CRC: 7, DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{NumValues: 1, NumRows: 1, DefinitionLevelsByteLength: 3, IsCompressed: thrift.New(false)})},
	} {
		b, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	w := newCW().i32(1, pageData).i32(2, 64).i32(3, 60).begin(5).i32(1, 10).i32(2, 0).i32(3, 3).i32(4, 3).unknown(10).end().end()
	f.Add(w.b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var h pageHeader
		n, err := readPageHeader(b, &h)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("read %d of %d bytes", n, len(b))
		}
		for _, c := range [][]byte{b[:n:n], append(b[:n:n], 0, 0x15, 0xff)} {
			var g pageHeader
			if m, err := readPageHeader(c, &g); err != nil || m != n || g != h {
				t.Fatalf("header of %d bytes read from %d: %d, %v, %+v; from the first %d: %+v", n, len(c), m, err, g, len(b), h)
			}
		}
		var ref format.PageHeader
		if thrift.Unmarshal(new(thrift.CompactProtocol), b[:n], &ref) != nil {
			return
		}
		want := pageHeader{typ: int32(ref.Type), uncompressed: ref.UncompressedPageSize, compressed: ref.CompressedPageSize}
		switch h.typ {
		case pageData:
			d, _ := ref.DataPageHeader.Get()
			want.numValues, want.encoding, want.defEncoding, want.repEncoding = d.NumValues, int32(d.Encoding), int32(d.DefinitionLevelEncoding), int32(d.RepetitionLevelEncoding)
		case pageDictionary:
			d, _ := ref.DictionaryPageHeader.Get()
			want.numValues, want.encoding = d.NumValues, int32(d.Encoding)
		case pageDataV2:
			d, _ := ref.DataPageHeaderV2.Get()
			want.numValues, want.numNulls, want.numRows, want.encoding, want.defLen, want.repLen = d.NumValues, d.NumNulls, d.NumRows, int32(d.Encoding), d.DefinitionLevelsByteLength, d.RepetitionLevelsByteLength
			want.compressedV2 = true
			if c, ok := d.IsCompressed.Get(); ok {
				want.compressedV2 = c
			}
		}
		h.has = 0
		if h != want {
			t.Fatalf("read %+v, parquet-go %+v", h, want)
		}
	})
}
