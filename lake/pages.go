package lake

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// levelPages steps through the data pages of a flat column chunk
// (definition levels up to 1, no repetition levels) for the lake's own
// decoders of values (dictChunk, deltaChunk): it reads each page's
// definition levels, and says when a page has no NULL (dense), so that
// its values are the rows'. Pages come from arrow-go's page reader,
// decompressed; a page's bytes are valid until the next.
type levelPages struct {
	pr     file.PageReader
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
	for {
		if !lp.pr.Next() {
			if err := lp.pr.Err(); err != nil {
				return nil, err
			}
			return nil, errShortChunk
		}
		var data []byte
		var defLen int
		switch p := lp.pr.Page().(type) {
		case *file.DataPageV1:
			if !ok(int(p.Encoding())) {
				return nil, wrong
			}
			data = p.Data()
			lp.left = int(p.NumValues())
			if lp.maxDef > 0 {
				if p.DefinitionLevelEncoding() != parquet.Encodings.RLE {
					return nil, fmt.Errorf("definition levels encoded %v", p.DefinitionLevelEncoding())
				}
				if len(data) < 4 {
					return nil, errRLE
				}
				defLen = int(binary.LittleEndian.Uint32(data))
				data = data[4:]
			}
		case *file.DataPageV2:
			if !ok(int(p.Encoding())) {
				return nil, wrong
			}
			if p.RepetitionLevelByteLen() != 0 {
				return nil, errors.New("repetition levels in a flat column")
			}
			data = p.Data()
			lp.left = int(p.NumValues())
			defLen = int(p.DefinitionLevelByteLen())
		case *file.DictionaryPage:
			return nil, errors.New("a second dictionary page")
		default:
			continue // index pages and the like
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
