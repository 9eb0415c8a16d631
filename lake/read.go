package lake

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// batchRows is how many rows a batch holds: the filter columns of a batch
// are read first, the other columns only when some row passes.
const batchRows = 4096

// columnSource reads the slots of a layout for one unit of a file (a
// Parquet row group, an Arrow record batch) in batches of consecutive
// rows. Reads of one slot go forward: a batch not read is skipped.
type columnSource interface {
	rows() int64
	// read fills c with the values of slot s for rows [at, at+n).
	read(s int, at int64, n int, c *batchCol) error
	release()
}

// parquetSource reads one row group with arrow-go's column chunk readers,
// page by page into reused buffers: no value is copied or allocated,
// except strings of a chunk not wholly dictionary encoded, which are
// copied into an arena (a page's values are valid only until the next).
type parquetSource struct {
	n     int64
	slots []*pqSlot
	bytes int64 // of the column chunks read
}

type pqSlot struct {
	col    fileCol
	cr     file.ColumnChunkReader
	pos    int64
	maxDef int16
	stable bool  // a dictionary holds every value: they outlive their page
	size   int64 // bytes of the column chunk
	bas    []parquet.ByteArray
	i32    []int32
	i64    []int64
	i96    []parquet.Int96
	defs   []int16
	arena  arena
}

// newParquetSource opens the column chunks of row group rg for the
// layout's columns; slots[s] is nil for a slot not to be read.
func newParquetSource(r *file.Reader, rg int, l *layout, want []bool) (*parquetSource, error) {
	rgr := r.RowGroup(rg)
	ps := &parquetSource{n: rgr.NumRows(), slots: make([]*pqSlot, len(l.cols))}
	defer func() {
		for _, s := range ps.slots {
			if s != nil {
				ps.bytes += s.size
			}
		}
	}()
	for s, c := range l.cols {
		if want != nil && !want[s] {
			continue
		}
		cr, err := rgr.Column(c.index)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		md, err := rgr.MetaData().ColumnChunk(c.index)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		ps.slots[s] = &pqSlot{col: c, cr: cr, maxDef: cr.Descriptor().MaxDefinitionLevel(), stable: dictionaryOnly(md), size: md.TotalCompressedSize()}
	}
	return ps, nil
}

// dictionaryOnly reports whether every data page of a column chunk is
// dictionary encoded.
func dictionaryOnly(md *metadata.ColumnChunkMetaData) bool {
	if !md.HasDictionaryPage() {
		return false
	}
	es := md.EncodingStats()
	if len(es) == 0 {
		return false
	}
	for _, e := range es {
		// Page types: 0 data, 1 index, 2 dictionary, 3 data v2.
		if pt := int(e.PageType); (pt == 0 || pt == 3) && e.Encoding != parquet.Encodings.RLEDict && e.Encoding != parquet.Encodings.PlainDict {
			return false
		}
	}
	return true
}

func (ps *parquetSource) rows() int64 { return ps.n }

func (ps *parquetSource) release() {
	for _, s := range ps.slots {
		if s != nil {
			s.cr.Close()
		}
	}
}

var errShortChunk = errors.New("column chunk ends before its row group")

func (ps *parquetSource) read(s int, at int64, n int, c *batchCol) error {
	sl := ps.slots[s]
	if sl.pos < at {
		if err := sl.skip(at - sl.pos); err != nil {
			return fmt.Errorf("column %s: %w", sl.col.name, err)
		}
	}
	if err := sl.read(n, c); err != nil {
		return fmt.Errorf("column %s: %w", sl.col.name, err)
	}
	return nil
}

func (sl *pqSlot) skip(n int64) error {
	var err error
	switch r := sl.cr.(type) {
	case *file.ByteArrayColumnChunkReader:
		_, err = r.Skip(n)
	case *file.Int32ColumnChunkReader:
		_, err = r.Skip(n)
	case *file.Int64ColumnChunkReader:
		_, err = r.Skip(n)
	case *file.Int96ColumnChunkReader:
		_, err = r.Skip(n)
	default:
		err = fmt.Errorf("unexpected column reader %T", sl.cr)
	}
	sl.pos += n
	return err
}

func (sl *pqSlot) read(n int, c *batchCol) error {
	if cap(sl.defs) < n {
		sl.defs = make([]int16, n)
	}
	var defs []int16
	if sl.maxDef > 0 {
		defs = sl.defs[:n]
	}
	sl.arena.reset()
	got, vgot := 0, 0
	for got < n {
		var lv int64
		var vr int
		var err error
		var ld []int16
		if defs != nil {
			ld = defs[got:]
		}
		switch r := sl.cr.(type) {
		case *file.ByteArrayColumnChunkReader:
			if cap(sl.bas) < n {
				sl.bas = make([]parquet.ByteArray, n)
			}
			sl.bas = sl.bas[:n]
			lv, vr, err = r.ReadBatchInPage(int64(n-got), sl.bas[vgot:], ld, nil)
			if !sl.stable {
				for i := vgot; i < vgot+vr; i++ {
					sl.bas[i] = sl.arena.copy(sl.bas[i])
				}
			}
		case *file.Int32ColumnChunkReader:
			if cap(sl.i32) < n {
				sl.i32 = make([]int32, n)
			}
			sl.i32 = sl.i32[:n]
			lv, vr, err = r.ReadBatch(int64(n-got), sl.i32[vgot:], ld, nil)
		case *file.Int64ColumnChunkReader:
			if cap(sl.i64) < n {
				sl.i64 = make([]int64, n)
			}
			sl.i64 = sl.i64[:n]
			lv, vr, err = r.ReadBatch(int64(n-got), sl.i64[vgot:], ld, nil)
		case *file.Int96ColumnChunkReader:
			if cap(sl.i96) < n {
				sl.i96 = make([]parquet.Int96, n)
			}
			sl.i96 = sl.i96[:n]
			lv, vr, err = r.ReadBatch(int64(n-got), sl.i96[vgot:], ld, nil)
		default:
			err = fmt.Errorf("unexpected column reader %T", sl.cr)
		}
		if err != nil {
			return err
		}
		if lv == 0 {
			return errShortChunk
		}
		if defs == nil {
			vr = int(lv)
		}
		got += int(lv)
		vgot += vr
	}
	sl.pos += int64(n)
	// Spread the dense values over the rows, NULL where a definition
	// level says so.
	c.grow(n)
	c.kind = sl.col.kind
	if defs == nil {
		clear(c.null)
	} else {
		for i, d := range defs {
			c.null[i] = d < sl.maxDef
		}
	}
	v := 0
	switch sl.cr.(type) {
	case *file.ByteArrayColumnChunkReader:
		for i := range n {
			if c.null[i] {
				continue
			}
			b := []byte(sl.bas[v])
			v++
			if sl.col.text {
				u, ok := textSeconds(b)
				c.num[i], c.null[i] = u, !ok
				continue
			}
			c.str[i] = b
			c.null[i] = len(b) == 1 && b[0] == '-'
		}
	case *file.Int32ColumnChunkReader:
		mul := int64(1)
		if sl.col.days {
			mul = 86400
		}
		for i := range n {
			if !c.null[i] {
				c.num[i] = int64(sl.i32[v]) * mul
				v++
			}
		}
	case *file.Int64ColumnChunkReader:
		unit := int64(1)
		if sl.col.kind == kTime {
			unit = sl.col.unit
		}
		for i := range n {
			if !c.null[i] {
				c.num[i] = seconds(sl.i64[v], unit)
				v++
			}
		}
	case *file.Int96ColumnChunkReader:
		for i := range n {
			if !c.null[i] {
				c.num[i] = int96Seconds(sl.i96[v])
				v++
			}
		}
	}
	return nil
}

// arena holds copies of byte strings for the values of one batch. Copies
// stay valid until reset: a full block is kept and a new one started.
type arena struct {
	blocks [][]byte
	cur    int
}

func (a *arena) reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.cur = 0
}

func (a *arena) copy(b []byte) []byte {
	for {
		if a.cur == len(a.blocks) {
			a.blocks = append(a.blocks, make([]byte, 0, max(64<<10, len(b))))
		}
		blk := a.blocks[a.cur]
		if len(blk)+len(b) <= cap(blk) {
			s := len(blk)
			blk = append(blk, b...)
			a.blocks[a.cur] = blk
			return blk[s:len(blk):len(blk)]
		}
		a.cur++
	}
}

// arrowSource reads one record batch of an Arrow IPC file.
type arrowSource struct {
	rb   arrow.RecordBatch
	cols []fileCol
}

func (as *arrowSource) rows() int64 { return as.rb.NumRows() }

func (as *arrowSource) release() { as.rb.Release() }

func (as *arrowSource) read(s int, at int64, n int, c *batchCol) error {
	fc := as.cols[s]
	arr := as.rb.Column(fc.index)
	c.grow(n)
	c.kind = fc.kind
	var dict arrow.Array
	var idx interface{ GetValueIndex(int) int }
	if d, ok := arr.(*array.Dictionary); ok {
		dict, idx = d.Dictionary(), d
	}
	for i := range n {
		row := int(at) + i
		if arr.IsNull(row) {
			c.null[i] = true
			continue
		}
		c.null[i] = false
		va, vi := arr, row
		if dict != nil {
			va, vi = dict, idx.GetValueIndex(row)
			if va.IsNull(vi) {
				c.null[i] = true
				continue
			}
		}
		switch a := va.(type) {
		case *array.String:
			c.setText(i, fc, []byte(a.Value(vi)))
		case *array.LargeString:
			c.setText(i, fc, []byte(a.Value(vi)))
		case *array.StringView:
			c.setText(i, fc, []byte(a.Value(vi)))
		case *array.Binary:
			c.setText(i, fc, a.Value(vi))
		case *array.LargeBinary:
			c.setText(i, fc, a.Value(vi))
		case *array.BinaryView:
			c.setText(i, fc, a.Value(vi))
		case *array.Int8:
			c.num[i] = int64(a.Value(vi))
		case *array.Int16:
			c.num[i] = int64(a.Value(vi))
		case *array.Int32:
			c.num[i] = int64(a.Value(vi))
		case *array.Int64:
			c.num[i] = a.Value(vi)
		case *array.Uint8:
			c.num[i] = int64(a.Value(vi))
		case *array.Uint16:
			c.num[i] = int64(a.Value(vi))
		case *array.Uint32:
			c.num[i] = int64(a.Value(vi))
		case *array.Uint64:
			c.num[i] = int64(a.Value(vi))
		case *array.Timestamp:
			c.num[i] = seconds(int64(a.Value(vi)), fc.unit)
		case *array.Date32:
			c.num[i] = int64(a.Value(vi)) * 86400
		case *array.Date64:
			c.num[i] = seconds(int64(a.Value(vi)), 1e3)
		default:
			return fmt.Errorf("column %s: unexpected Arrow array %T", fc.name, va)
		}
	}
	return nil
}

// setText sets row i to a text value: a string, or a time held as text.
func (c *batchCol) setText(i int, fc fileCol, b []byte) {
	if fc.text {
		u, ok := textSeconds(b)
		c.num[i], c.null[i] = u, !ok
		return
	}
	c.str[i] = b
	c.null[i] = len(b) == 1 && b[0] == '-'
}
