package sink

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// TestLiteralFrames checks that literal-only frames decode, with
// klauspost/compress's zstd decoder and with the codec Parquet readers use,
// to what was encoded: empty, tiny, RLE, random bytes (raw blocks), base64
// (Huffman-coded), text, and sizes around the block and header limits.
func TestLiteralFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	gen := func(n int, kind int) []byte {
		b := make([]byte, n)
		for i := range b {
			switch kind {
			case 0:
				b[i] = 'a'
			case 1:
				b[i] = byte(rng.Uint32())
			case 2:
				b[i] = b64[rng.IntN(64)]
			default:
				b[i] = "the quick brown fox "[rng.IntN(20)]
			}
		}
		return b
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.(zstdPages); !ok {
		t.Fatalf("the registered zstd codec is %T", codec)
	}
	for _, n := range []int{0, 1, 16, 31, 32, 33, 255, 256, 1023, 1024, 1025, 16383, 16384, 65535 + 256, 65536 + 256,
		zstdBlockMax - 1, zstdBlockMax, zstdBlockMax + 1, 3*zstdBlockMax + 77, 1 << 20} {
		for kind := range 4 {
			src := gen(n, kind)
			frame := codec.EncodeLevel(nil, src, zstdLiterals)
			if bound := codec.CompressBound(int64(max(n, 1))); int64(len(frame)) > bound {
				t.Errorf("%d bytes of kind %d: frame of %d bytes over CompressBound %d", n, kind, len(frame), bound)
			}
			got, err := dec.DecodeAll(frame, nil)
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("%d bytes of kind %d: decoded %d bytes, %v", n, kind, len(got), err)
			}
			got, err = compress.Decode(codec, nil, frame)
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("%d bytes of kind %d: the codec decoded %d bytes, %v", n, kind, len(got), err)
			}
			if kind == 2 && n >= 1024 && len(frame) > n*4/5 {
				t.Errorf("%d bytes of base64: literal frame of %d bytes, not Huffman coded", n, len(frame))
			}
		}
	}
	// Other levels are the wrapped codec's.
	src := gen(100000, 3)
	if got, err := dec.DecodeAll(codec.EncodeLevel(nil, src, 1), nil); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("level 1: %v", err)
	}
}
