package lake

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// levelPages steps through the data pages of a flat column chunk
// (definition levels up to 1, no repetition levels) for the lake's own
// decoders of values (dictChunk, deltaChunk): it reads each page's
// definition levels, and says when a page has no NULL (dense), so that
// its values are the rows'. Pages come from chunkPages, decompressed;
// a page's bytes are valid until the next.
type levelPages struct {
	pr     *chunkPages
	maxDef int16
	defs   rleDecoder
	left   int // levels left in the current page
	// dense: no row of the current page is NULL by its definition level
	// (a column with no NULLs, or a page of none): its values are the
	// rows', and the levels are not read.
	dense bool
	lv    []int32
}

// nextPage moves to the next data page, which must be encoded as ok
// says (else wrong), and returns its values' bytes.
func (lp *levelPages) nextPage(ok func(enc int) bool, wrong error) ([]byte, error) {
	p, err := lp.pr.next()
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errShortChunk
	}
	data := p.data
	var defLen int
	switch p.typ {
	case pageData:
		if !ok(int(p.encoding)) {
			return nil, wrong
		}
		lp.left = int(p.numValues)
		if lp.maxDef > 0 {
			if p.defEncoding != encRLE {
				return nil, fmt.Errorf("definition levels encoded %v", parquet.Encoding(p.defEncoding))
			}
			if len(data) < 4 {
				return nil, errRLE
			}
			defLen = int(binary.LittleEndian.Uint32(data))
			data = data[4:]
		}
	case pageDataV2:
		if !ok(int(p.encoding)) {
			return nil, wrong
		}
		if p.repLen != 0 {
			return nil, errors.New("repetition levels in a flat column")
		}
		lp.left = int(p.numValues)
		defLen = int(p.defLen)
	default:
		return nil, errors.New("a second dictionary page")
	}
	if lp.left < 0 || defLen < 0 || defLen > len(data) {
		return nil, errRLE
	}
	lp.dense = true
	if lp.maxDef > 0 {
		lp.defs.reset(data[:defLen], 1)
		lp.dense = lp.defs.allOnes(lp.left)
	}
	return data[defLen:], nil
}

// take reads the levels of k rows of the current page (k <= left) into
// lv and returns how many are not NULL.
func (lp *levelPages) take(k int) (int, error) {
	if lp.dense {
		return k, nil
	}
	lp.lv = grown(lp.lv, k)
	if lp.defs.read(lp.lv) != k {
		return 0, errRLE
	}
	nn := 0
	for _, l := range lp.lv {
		if l == 1 {
			nn++
		}
	}
	return nn, nil
}

// skipLevels drops the levels of the next k rows of the current page and
// returns how many of them hold a value.
func (lp *levelPages) skipLevels(k int) (int, error) {
	if lp.dense {
		return k, nil
	}
	got, ones := lp.defs.skipOnes(k)
	if got != k {
		return 0, errRLE
	}
	return ones, nil
}

// skip drops the next n rows of the chunk: page moves to the next data
// page; of the rows of a page, the levels are dropped here and the values
// of those not NULL by values, which returns how many it dropped (fewer
// is the error bad).
func (lp *levelPages) skip(n int64, page func() error, values func(k int) int, bad error) error {
	for n > 0 {
		if lp.left == 0 {
			if err := page(); err != nil {
				return err
			}
		}
		k := int(min(n, int64(lp.left)))
		nn, err := lp.skipLevels(k)
		if err != nil {
			return err
		}
		if values(nn) != nn {
			return bad
		}
		n -= int64(k)
		lp.left -= k
	}
	return nil
}

// page is a page of a column chunk as chunkPages hands it on: its header
// and its bytes, decompressed.
type page struct {
	pageHeader
	data []byte
}

// chunkPages reads the pages of one column chunk: the chunk's bytes in
// one read into a buffer it keeps, each page's header decoded by
// readPageHeader and its body decompressed (by arrow-go's codecs) into
// buffers it keeps too, so that once its buffers have grown to a
// worker's largest chunk it allocates nothing. A data page's bytes are
// valid until the next page or reset, a dictionary page's until reset;
// the bytes of an uncompressed page are the chunk's own. The buffers are
// the page pool's (pageAllocator), handed back by free. Each buffer of
// decompressed bytes has pageSlack bytes (zero) past the page's end, so
// that a decoder loading a word at a time may read past it. Checksums
// are those of the codecs (zstd's frame checksums); Parquet's page CRCs
// are not checked, as arrow-go's reader does not check them.
//
// A chunkPages is reused from chunk to chunk by one worker; it is not
// safe for concurrent use.
type chunkPages struct {
	raw   []byte // the chunk's bytes
	rest  []byte // of raw, the pages not yet read
	base  int64  // the file offset of raw
	left  int64  // values of the chunk not yet in a data page
	codec compress.Codec
	dict  []byte // decompressed dictionary page
	data  []byte // decompressed data page
	page  page
}

// pageSlack is how many bytes past a decompressed page's end its buffer
// holds, zero: the level and index decoders load 8 bytes at a time.
const pageSlack = 64

// maxPageSize bounds a page's uncompressed size (arrow-go's default), so
// that a corrupt header cannot ask for gigabytes.
const maxPageSize = 256 << 20

// maxChunkSize bounds the column chunk chunkPages reads in one piece.
const maxChunkSize = 1 << 30

// maxDictHeaderSize is the padding arrow-go adds to a column chunk of old
// parquet-mr files, whose total size left out the dictionary page's
// header (PARQUET-816).
const maxDictHeaderSize = 100

// chunkRange returns the byte range of column chunk cc of the file of
// fmd, as arrow-go's reader computes it.
func chunkRange(fmd *metadata.FileMetaData, cc *metadata.ColumnChunkMetaData) (off, n int64, err error) {
	off = cc.DataPageOffset()
	if d := cc.DictionaryPageOffset(); cc.HasDictionaryPage() && d > 0 && off > d {
		off = d
	}
	n = cc.TotalCompressedSize()
	size := fmd.GetSourceFileSize()
	if off < 0 || n < 0 || off > size || n > size-off {
		return 0, 0, fmt.Errorf("column chunk at %d of %d bytes outside the file's %d", off, n, size)
	}
	if fmd.WriterVersion().LessThan(metadata.Parquet816FixedVersion) {
		n += min(maxDictHeaderSize, size-off-n)
	}
	return off, n, nil
}

// reset reads the column chunk cc of the file of fmd, b.
func (cp *chunkPages) reset(ctx context.Context, b blob, fmd *metadata.FileMetaData, cc *metadata.ColumnChunkMetaData) error {
	if cc.CryptoMetadata() != nil {
		return errors.New("encrypted column chunks are not read")
	}
	off, n, err := chunkRange(fmd, cc)
	if err != nil {
		return err
	}
	return cp.resetRange(ctx, b, off, n, cc.NumValues(), cc.Compression())
}

// resetRange reads the pages at [off, off+n) of b, of values values (the
// data pages' total), compressed by comp.
func (cp *chunkPages) resetRange(ctx context.Context, b blob, off, n, values int64, comp compress.Compression) error {
	if n < 0 || n > maxChunkSize {
		// (Corrupt metadata, or a chunk too large to read at once.)
		return fmt.Errorf("a column chunk of %d bytes", n)
	}
	cp.codec = nil
	if comp != compress.Codecs.Uncompressed {
		c, err := compress.GetCodec(comp)
		if err != nil {
			return err
		}
		cp.codec = c
	}
	cp.raw = pagePool.regrow(cp.raw, int(n))
	if err := b.readAt(ctx, cp.raw, off); err != nil {
		return err
	}
	cp.rest, cp.base, cp.left = cp.raw, off, values
	return nil
}

// free hands the reader's buffers back to the page pool: no page it read
// is looked at after.
func (cp *chunkPages) free() {
	for _, b := range [][]byte{cp.raw, cp.dict, cp.data} {
		if b != nil {
			pagePool.Free(b)
		}
	}
	*cp = chunkPages{}
}

// next moves to the next dictionary or data page (others are skipped)
// and returns it; nil at the end of the chunk's values.
func (cp *chunkPages) next() (*page, error) {
	for cp.left > 0 {
		at := cp.base + int64(len(cp.raw)-len(cp.rest))
		p, err := cp.read()
		if err != nil {
			return nil, fmt.Errorf("page at byte %d: %w", at, err)
		}
		if p != nil {
			return p, nil
		}
	}
	return nil, nil
}

// read reads the page at the start of rest: nil for one of a type not
// read.
func (cp *chunkPages) read() (*page, error) {
	p := &cp.page
	n, err := readPageHeader(cp.rest, &p.pageHeader)
	if err != nil {
		return nil, err
	}
	body := cp.rest[n:]
	if int(p.compressed) > len(body) {
		return nil, fmt.Errorf("a page of %d bytes in the chunk's last %d", p.compressed, len(body))
	}
	if p.uncompressed > maxPageSize {
		return nil, fmt.Errorf("a page of %d bytes uncompressed", p.uncompressed)
	}
	body, cp.rest = body[:p.compressed], body[p.compressed:]
	size := int(p.uncompressed)
	switch p.typ {
	case pageDictionary:
		p.data, err = cp.decompress(&cp.dict, body, size, 0)
	case pageData:
		cp.left -= int64(p.numValues)
		p.data, err = cp.decompress(&cp.data, body, size, 0)
	case pageDataV2:
		cp.left -= int64(p.numRows)
		levels := int(p.defLen) + int(p.repLen)
		if !p.compressedV2 {
			p.data, err = cp.decompress(&cp.data, body, size, len(body))
		} else {
			p.data, err = cp.decompress(&cp.data, body, size, levels)
		}
	default:
		return nil, nil // an index page, or a type not known here
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decompress returns the size bytes that src decompresses to, in *buf
// (grown as needed); its first plain bytes are not compressed (a V2
// page's levels), and are copied. Uncompressed bytes are src itself.
func (cp *chunkPages) decompress(buf *[]byte, src []byte, size, plain int) ([]byte, error) {
	if cp.codec == nil || plain == len(src) {
		if len(src) != size {
			return nil, fmt.Errorf("an uncompressed page of %d bytes, its header says %d", len(src), size)
		}
		return src, nil
	}
	if plain > size {
		return nil, errPageHeader
	}
	b := pagePool.regrow(*buf, size+pageSlack)
	*buf = b
	copy(b, src[:plain])
	out, err := compress.Decode(cp.codec, b[plain:size], src[plain:])
	if err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	if len(out) != size-plain {
		return nil, fmt.Errorf("a page decompressed to %d bytes, its header says %d", plain+len(out), size)
	}
	if len(out) > 0 && &out[0] != &b[plain] {
		copy(b[plain:], out) // the codec did not decode in place
	}
	clear(b[size:])
	return b[:size], nil
}
