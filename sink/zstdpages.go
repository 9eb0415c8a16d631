package sink

import (
	"encoding/binary"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/huff0"
)

// zstdLiterals is the compression level that asks the Parquet zstd codec
// for frames of Huffman-coded literals only: no search for repeated
// strings. It is flate's HuffmanOnly, and what zstd's fastest levels tend
// to; the frames are ordinary zstd, which every reader decodes. It pays for
// columns of random IDs (hostid): the search finds nothing there, and was
// a sixth of a conversion's instructions.
const zstdLiterals = -2

// zstdPages is arrow-go's zstd codec with one more level, zstdLiterals.
// Every other call goes to the codec it wraps.
type zstdPages struct{ compress.Codec }

// The wrapper replaces arrow-go's registered zstd codec when the package
// is loaded: the registry is how arrow-go takes codecs (RegisterCodec's
// documented use), and only the zstdLiterals level behaves differently.
func init() {
	base, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	compress.RegisterCodec(compress.Codecs.Zstd, zstdPages{base})
}

var huffScratch = sync.Pool{New: func() any { return &huff0.Scratch{Reuse: huff0.ReusePolicyNone} }}

func (z zstdPages) EncodeLevel(dst, src []byte, level int) []byte {
	if level != zstdLiterals {
		return z.Codec.EncodeLevel(dst, src, level)
	}
	s := huffScratch.Get().(*huff0.Scratch)
	defer huffScratch.Put(s)
	return appendLiteralFrame(dst[:0], src, s)
}

// DecodeWithError, NewReader, NewWriter and NewWriterLevel keep the
// optional interfaces of the wrapped codec.
func (z zstdPages) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}

func (z zstdPages) NewReader(r io.Reader) io.ReadCloser {
	return z.Codec.(compress.StreamingCodec).NewReader(r)
}

func (z zstdPages) NewWriter(w io.Writer) io.WriteCloser {
	return z.Codec.(compress.StreamingCodec).NewWriter(w)
}

func (z zstdPages) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return z.Codec.(compress.StreamingCodec).NewWriterLevel(w, level)
}

// zstdBlockMax is the largest block content a zstd frame may hold.
const zstdBlockMax = 128 << 10

// appendLiteralFrame appends to dst one zstd frame (RFC 8878) holding src:
// a single-segment frame with its content size, then blocks of at most
// zstdBlockMax bytes, each raw, RLE, or compressed with Huffman-coded
// literals and no sequences, as klauspost/compress's encoder writes a
// block without matches. Its size is at most len(src) plus 14 and 3 per
// block, within the zstd codec's CompressBound.
func appendLiteralFrame(dst, src []byte, s *huff0.Scratch) []byte {
	// Magic number, then a Frame_Header_Descriptor with Single_Segment
	// set and the size of the Frame_Content_Size field.
	dst = binary.LittleEndian.AppendUint32(dst, 0xFD2FB528)
	n := uint64(len(src))
	switch {
	case n < 256:
		dst = append(dst, 0<<6|1<<5, byte(n))
	case n < 65536+256:
		dst = binary.LittleEndian.AppendUint16(append(dst, 1<<6|1<<5), uint16(n-256))
	case n <= 1<<32-1:
		dst = binary.LittleEndian.AppendUint32(append(dst, 2<<6|1<<5), uint32(n))
	default:
		dst = binary.LittleEndian.AppendUint64(append(dst, 3<<6|1<<5), n)
	}
	if len(src) == 0 {
		return appendBlockHeader(dst, true, blockRaw, 0)
	}
	for len(src) > 0 {
		lits := src[:min(len(src), zstdBlockMax)]
		src = src[len(lits):]
		dst = appendLiteralBlock(dst, lits, len(src) == 0, s)
	}
	return dst
}

// The zstd block types.
const (
	blockRaw = iota
	blockRLE
	blockCompressed
)

func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	h := uint32(size)<<3 | uint32(typ)<<1
	if last {
		h |= 1
	}
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}

// appendLiteralBlock appends one block holding lits, with the thresholds
// of klauspost/compress's encodeLits: raw below 32 bytes or when Huffman
// coding does not make it smaller, one stream below 1024 bytes, else four.
func appendLiteralBlock(dst, lits []byte, last bool, s *huff0.Scratch) []byte {
	var out []byte
	err := huff0.ErrIncompressible
	single := len(lits) < 1024
	switch {
	case len(lits) < 32:
	case single:
		out, _, err = huff0.Compress1X(lits, s)
	default:
		out, _, err = huff0.Compress4X(lits, s)
	}
	switch err {
	case nil:
	case huff0.ErrUseRLE:
		return append(appendBlockHeader(dst, last, blockRLE, len(lits)), lits[0])
	default:
		return append(appendBlockHeader(dst, last, blockRaw, len(lits)), lits...)
	}
	// Literals_Section_Header of a Compressed_Literals_Block: type 2,
	// Size_Format, then Regenerated_Size and Compressed_Size (which counts
	// the Huffman table) in 10, 14 or 18 bits each.
	var h uint64
	var hn int
	switch c, r := uint64(len(out)), uint64(len(lits)); {
	case c < 1<<10 && r < 1<<10:
		f := uint64(1) // four streams
		if single {
			f = 0
		}
		h, hn = 2|f<<2|r<<4|c<<14, 3
	case c < 1<<14 && r < 1<<14:
		h, hn = 2|2<<2|r<<4|c<<18, 4
	default:
		h, hn = 2|3<<2|r<<4|c<<22, 5
	}
	if len(out)+hn+1 >= len(lits) {
		return append(appendBlockHeader(dst, last, blockRaw, len(lits)), lits...)
	}
	dst = appendBlockHeader(dst, last, blockCompressed, hn+len(out)+1)
	for i := range hn {
		dst = append(dst, byte(h>>(8*i)))
	}
	dst = append(dst, out...)
	return append(dst, 0) // Number_of_Sequences: none
}
