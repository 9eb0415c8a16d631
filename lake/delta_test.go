package lake

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// deltaRow has DELTA_BINARY_PACKED integers, optional and required, for
// parquet-go to write with its own block layout and page versions.
type deltaRow struct {
	Opt   int64 `parquet:"opt,optional,delta"` // 0 is NULL
	Req   int64 `parquet:"req,delta"`
	Wild  int64 `parquet:"wild,delta"`
	Dense int64 `parquet:"dense,optional,delta"` // never 0: never NULL
}

// TestDeltaChunk reads every DELTA_BINARY_PACKED INT64 column chunk of
// files written by convert (arrow-go: the request times) and by
// parquet-go (V1 and V2 pages; NULLs, steady and wild values, deltas that
// wrap around) both with the lake's decoder and with arrow-go's column
// reader, in batches with some skipped and some read at a few rows, and
// compares each row's NULL and value.
func TestDeltaChunk(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	var rows []deltaRow
	steady := int64(1_700_000_000_000)
	for i := range 20000 {
		steady += rng.Int64N(5000) - 1000
		r := deltaRow{Req: steady, Wild: int64(rng.Uint64()) >> rng.IntN(64)}
		if i%500 < 3 {
			r.Wild = []int64{math.MinInt64, math.MaxInt64, 0}[i%3]
		}
		if rng.IntN(4) > 0 {
			r.Opt = steady - rng.Int64N(100)
		}
		r.Dense = int64(i) + 1
		rows = append(rows, r)
	}
	paths := chunkFiles(t, 23, rows)
	chunks, foreign := eachChunk(t, paths, func(cc *metadata.ColumnChunkMetaData) bool {
		return cc.Type() == parquet.Types.Int64 && !cc.HasDictionaryPage() &&
			onlyEncoded(cc, func(e parquet.Encoding) bool { return e == parquet.Encodings.DeltaBinaryPacked })
	}, func(what string, rgr *file.RowGroupReader, c int, maxDef int16, pages *chunkPages) {
		compareDelta(t, what, rgr, c, maxDef, pages, rng)
	})
	if chunks < 10 || foreign < 8 {
		t.Errorf("only %d delta chunks compared, %d of parquet-go's", chunks, foreign)
	}
}

func compareDelta(t *testing.T, what string, rgr *file.RowGroupReader, c int, maxDef int16, pages *chunkPages, rng *rand.Rand) {
	t.Helper()
	dc, err := newDeltaChunk(pages, maxDef, &deltaChunk{})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ccr, err := rgr.Column(c)
	if err != nil {
		t.Fatal(err)
	}
	ref := ccr.(*file.Int64ColumnChunkReader)
	n := rgr.NumRows()
	vals := make([]int64, n)
	defs := make([]int16, n)
	lv, _, err := ref.ReadBatch(n, vals, defs, nil)
	if err != nil || lv != n {
		t.Fatalf("%s: reference read %d of %d: %v", what, lv, n, err)
	}
	want := make([]*int64, n)
	j := 0
	for i := range n {
		if maxDef == 0 || defs[i] == maxDef {
			want[i] = &vals[j]
			j++
		}
	}
	var col batchCol
	walkChunk(t, what, n, rng, dc.skip, func(at int64, k int, rows []int32) {
		unit := []int64{1, 1000}[rng.IntN(2)]
		if err := dc.read(k, &col, rows, unit); err != nil {
			t.Fatalf("%s: read at %d: %v", what, at, err)
		}
		eachRow(k, rows, func(i int) {
			w := want[at+int64(i)]
			if col.null[i] != (w == nil) || w != nil && col.num[i] != seconds(*w, unit) {
				t.Fatalf("%s: row %d: null %v %d, want %v (unit %d)", what, at+int64(i), col.null[i], col.num[i], w, unit)
			}
		})
	})
}

// refDelta decodes DELTA_BINARY_PACKED as the spec says, bit by bit, up
// to max values; ok is false where the input ends or is malformed first.
func refDelta(data []byte, max int) (out []int64, ok bool) {
	rd := func() (uint64, bool) {
		v, n := binary.Uvarint(data)
		if n <= 0 {
			return 0, false
		}
		data = data[n:]
		return v, true
	}
	block, ok1 := rd()
	minis, ok2 := rd()
	total, ok3 := rd()
	first, n := binary.Varint(data)
	if !ok1 || !ok2 || !ok3 || n <= 0 || minis == 0 || block == 0 || block%128 != 0 || block%minis != 0 || block/minis%32 != 0 || block/minis > maxPerMini || total > 1<<40 {
		return nil, false
	}
	data = data[n:]
	per := int(block / minis)
	if total == 0 {
		return nil, true
	}
	out = append(out, first)
	last := first
	for uint64(len(out)) < total && len(out) < max {
		md, n := binary.Varint(data)
		if n <= 0 || len(data)-n < int(minis) {
			return out, false
		}
		widths := data[n : n+int(minis)]
		data = data[n+int(minis):]
		for _, w := range widths {
			if uint64(len(out)) >= total || len(out) >= max {
				break
			}
			if w > 64 {
				return out, false
			}
			k := min(per, int(total)-len(out))
			if len(data)*8 < k*int(w) {
				return out, false
			}
			for i := range k {
				var u uint64
				for b := range int(w) {
					bit := i*int(w) + b
					u |= uint64(data[bit/8]>>(bit%8)&1) << b
				}
				last += md + int64(u)
				out = append(out, last)
			}
			data = data[min(len(data), per*int(w)/8):]
		}
	}
	return out, true
}

// FuzzDelta decodes arbitrary bytes with the lake's DELTA_BINARY_PACKED
// decoder, in reads and skips of varying sizes, and compares with the
// reference.
func FuzzDelta(f *testing.F) {
	// 128 per block, 4 miniblocks, 5 values from 7: +1, +2, +3, +4.
	f.Add([]byte{0x80, 0x01, 0x04, 0x05, 0x0e, 0x02, 0x02, 0, 0, 0, 0xe4, 0, 0, 0, 0, 0, 0, 0}, uint8(2))
	f.Add([]byte{0x80, 0x01, 0x04, 0x01, 0x01}, uint8(1))
	f.Add([]byte{0x80, 0x01, 0x02, 0x50, 0x80, 0x01, 0x00, 64, 64}, uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		const max = 1 << 12
		want, wantOK := refDelta(data, max)
		var d deltaDecoder
		err := d.reset(data)
		if err != nil && (wantOK || len(want) > 0) {
			t.Fatalf("reset: %v, reference decoded %d (ok %v)", err, len(want), wantOK)
		}
		if err != nil {
			return
		}
		var got []int64
		k := int(step%40) + 1
		skipped := map[int]bool{}
		for i := 0; len(got) < max; i++ {
			var n int
			if i%3 == 2 {
				n = d.skip(k)
				for range n {
					skipped[len(got)] = true
					got = append(got, 0)
				}
			} else {
				buf := make([]int64, k)
				n = d.read(buf)
				got = append(got, buf[:n]...)
			}
			if n < k {
				break
			}
		}
		got = got[:min(len(got), len(want))]
		if wantOK && len(got) < min(len(want), max) {
			t.Fatalf("decoded %d values, reference %d", len(got), len(want))
		}
		for i := range got {
			if !skipped[i] && got[i] != want[i] {
				t.Fatalf("value %d: %d, reference %d", i, got[i], want[i])
			}
		}
	})
}
