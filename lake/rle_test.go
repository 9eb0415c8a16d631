package lake

import (
	"encoding/binary"
	"testing"
)

// refRLE is a slow reference decoder of the RLE/bit-packing hybrid,
// written from the Parquet specification bit by bit; it stops after max
// values.
func refRLE(data []byte, width, max int) []int32 {
	var out []int32
	for len(data) > 0 && len(out) < max {
		h, n := binary.Uvarint(data)
		if n <= 0 {
			return out
		}
		data = data[n:]
		if h&1 == 0 {
			nb := (width + 7) / 8
			if len(data) < nb {
				return out
			}
			var v uint32
			for i := 0; i < nb; i++ {
				v |= uint32(data[i]) << (8 * i)
			}
			data = data[nb:]
			for r := h >> 1; r > 0 && len(out) < max; r-- {
				out = append(out, int32(v))
			}
			continue
		}
		if h>>1 == 0 {
			return out
		}
		groups := int(min(h>>1, 1<<28))
		nb := min(groups*width, len(data))
		packed := data[:nb]
		data = data[nb:]
		count := groups * 8
		if width > 0 {
			count = min(count, nb*8/width)
		}
		for i := 0; i < count && len(out) < max; i++ {
			var v int32
			for b := 0; b < width; b++ {
				bit := i*width + b
				if packed[bit/8]>>(bit%8)&1 == 1 {
					v |= 1 << b
				}
			}
			out = append(out, v)
		}
	}
	return out
}

// FuzzRLE decodes arbitrary bytes with the lake's decoder, in reads and
// skips of varying sizes, and compares with the reference; the committed
// corpus (testdata/fuzz/FuzzRLE) holds runs of every kind and width.
func FuzzRLE(f *testing.F) {
	f.Add([]byte{0x10, 0x05}, uint8(3), uint8(7))                               // RLE: 8 fives
	f.Add([]byte{0x03, 0x88, 0xc6, 0xfa}, uint8(3), uint8(5))                   // bit-packed 0..7
	f.Add([]byte{0x05, 0xff, 0x00, 0xaa, 0x55, 0x0f, 0xf0}, uint8(3), uint8(1)) // two groups of width 3
	f.Add([]byte{0x04, 0x01, 0x03, 0x12, 0x34, 0x56}, uint8(8), uint8(2))       // RLE then packed
	f.Add([]byte{0x02, 0x03, 0xff, 0xff, 0xff, 0xff}, uint8(20), uint8(1))
	f.Add([]byte{0x06}, uint8(0), uint8(3))
	f.Add([]byte{0x05, 0xa5, 0x0f, 0x20, 0x01, 0x03, 0xff, 0x00, 0x10, 0x00}, uint8(1), uint8(4)) // levels: packed, RLE 1s, packed, RLE 0s
	f.Fuzz(func(t *testing.T, data []byte, width, step uint8) {
		const max = 1 << 14
		w := int(width % 33)
		want := refRLE(data, w, max)
		var d rleDecoder
		d.reset(data, w)
		var got []int32
		k := int(step%17) + 1
		for i := 0; len(got) < max; i++ {
			if i%3 == 2 {
				var n, ones int
				if i%2 == 0 {
					n = d.skip(k)
				} else {
					n, ones = d.skipOnes(k)
					at := len(got)
					want1 := 0
					for _, v := range want[min(at, len(want)):min(at+n, len(want))] {
						if v == 1 {
							want1++
						}
					}
					if ones != want1 {
						t.Fatalf("values %d to %d: skipOnes counted %d ones, reference %d", at, at+n, ones, want1)
					}
				}
				for range n {
					got = append(got, -1)
				}
				if n < k {
					break
				}
				continue
			}
			if i%7 == 6 && w == 1 {
				// As a bitmap: a value other than 1 is 0.
				bm := make([]uint64, (k+63)/64)
				n := d.bits(bm, k)
				for j := range n {
					v := int32(bm[j/64] >> (j % 64) & 1)
					if at := len(got); v == 0 && at < len(want) && want[at] != 1 {
						v = -1
					}
					got = append(got, v)
				}
				if n < k {
					break
				}
				continue
			}
			if i%5 == 4 {
				// One at a time.
				n := 0
				for ; n < k; n++ {
					v, ok := d.one()
					if !ok {
						break
					}
					got = append(got, v)
				}
				if n < k {
					break
				}
				continue
			}
			buf := make([]int32, k)
			n := d.read(buf)
			got = append(got, buf[:n]...)
			if n < k {
				break
			}
		}
		got = got[:min(len(got), max)]
		if len(got) != len(want) {
			t.Fatalf("decoded %d values, reference %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != -1 && got[i] != want[i] {
				t.Fatalf("value %d: %d, reference %d", i, got[i], want[i])
			}
		}
	})
}
