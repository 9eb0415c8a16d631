package lake

import (
	"context"
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
	// read fills c with the values of slot s for rows [at, at+n). sel,
	// when not nil, marks the rows that will be looked at (a few), which
	// rows lists in order: the values of the others may be left
	// undecoded.
	read(s int, at int64, n int, c *batchCol, sel []bool, rows []int32) error
	release()
}

// parquetSource reads one row group page by page into the worker's
// reused buffers: string chunks wholly dictionary encoded (dictChunk) and
// DELTA_BINARY_PACKED integer chunks (deltaChunk) with the lake's own
// decoders, the others with arrow-go's column chunk readers. No value is
// copied or allocated, except strings of a chunk not wholly dictionary
// encoded, which are copied into an arena (a page's values are valid only
// until the next). A column chunk is opened (and read from the file) only
// when a batch of it is first wanted, so the chunks of columns that no
// row of the row group needs are never read; its pages are decompressed
// into buffers of the page pool (pageAllocator), handed back by release.
type parquetSource struct {
	ctx   context.Context
	b     blob
	fmd   *metadata.FileMetaData
	rgr   *file.RowGroupReader
	l     *layout
	n     int64
	slots []pqSlot // by layout slot; cr nil until opened
	bytes int64    // of the column chunks read
}

type pqSlot struct {
	col    fileCol
	cr     file.ColumnChunkReader // or:
	dc     *dictChunk             // or:
	delta  *deltaChunk
	pos    int64
	maxDef int16
	stable bool // a dictionary holds every value: they outlive their page
	buf    *slotBuffers
}

// slotBuffers are one worker's buffers for one slot, reused from row
// group to row group.
type slotBuffers struct {
	bas   []parquet.ByteArray
	i32   []int32
	i64   []int64
	i96   []parquet.Int96
	defs  []int16
	arena arena
	// dict and dnull hold a dictChunk's dictionary.
	dict  []parquet.ByteArray
	dnull []bool
	// pages reads a dictChunk's or deltaChunk's pages; dc and delta are
	// the chunk's decoder.
	pages chunkPages
	dc    dictChunk
	delta deltaChunk
}

// newParquetSource reads row group rg of r, the file b, for layout l with
// the buffers bufs (one per slot, grown as needed).
func newParquetSource(ctx context.Context, b blob, r *file.Reader, rg int, l *layout, bufs *[]*slotBuffers) *parquetSource {
	for len(*bufs) < len(l.cols) {
		*bufs = append(*bufs, &slotBuffers{})
	}
	rgr := r.RowGroup(rg)
	ps := &parquetSource{ctx: ctx, b: b, fmd: r.MetaData(), rgr: rgr, l: l, n: rgr.NumRows(), slots: make([]pqSlot, len(l.cols))}
	for s, c := range l.cols {
		ps.slots[s] = pqSlot{col: c, buf: (*bufs)[s]}
	}
	return ps
}

func (ps *parquetSource) open(sl *pqSlot) error {
	md, err := ps.rgr.MetaData().ColumnChunk(sl.col.index)
	if err != nil {
		return err
	}
	ps.bytes += md.TotalCompressedSize()
	sl.stable = dictionaryOnly(md)
	delta := sl.col.kind != kStr && !sl.col.days && md.Type() == parquet.Types.Int64 && !md.HasDictionaryPage() &&
		onlyEncoded(md, func(e parquet.Encoding) bool { return e == parquet.Encodings.DeltaBinaryPacked })
	dict := sl.stable && sl.col.kind == kStr && !sl.col.text && md.Type() == parquet.Types.ByteArray
	if delta || dict {
		pr := &sl.buf.pages
		if err := pr.reset(ps.ctx, ps.b, ps.fmd, md); err != nil {
			return err
		}
		if delta {
			sl.delta, err = newDeltaChunk(pr, sl.col.maxDef, &sl.buf.delta)
		} else {
			sl.dc, err = newDictChunk(pr, sl.col.maxDef, sl.buf)
		}
		return err
	}
	cr, err := ps.rgr.Column(sl.col.index)
	if err != nil {
		return err
	}
	sl.cr, sl.maxDef = cr, cr.Descriptor().MaxDefinitionLevel()
	return nil
}

// dictionaryOnly reports whether every data page of a column chunk is
// dictionary encoded.
func dictionaryOnly(md *metadata.ColumnChunkMetaData) bool {
	return md.HasDictionaryPage() && onlyEncoded(md, func(e parquet.Encoding) bool {
		return e == parquet.Encodings.RLEDict || e == parquet.Encodings.PlainDict
	})
}

// onlyEncoded reports whether the column chunk's metadata says how its
// data pages are encoded, each as ok says.
func onlyEncoded(md *metadata.ColumnChunkMetaData, ok func(parquet.Encoding) bool) bool {
	es := md.EncodingStats()
	if len(es) == 0 {
		return false
	}
	for _, e := range es {
		// Page types: 0 data, 1 index, 2 dictionary, 3 data v2.
		if pt := int(e.PageType); (pt == 0 || pt == 3) && !ok(e.Encoding) {
			return false
		}
	}
	return true
}

func (ps *parquetSource) rows() int64 { return ps.n }

// release closes the unit's arrow-go column chunk readers, which hands
// their page buffers back to the pool (pageAllocator): no value of the
// unit is read after. (The pages of dictChunks and deltaChunks are in
// the worker's slotBuffers, reused by its next unit.)
func (ps *parquetSource) release() {
	for i := range ps.slots {
		if sl := &ps.slots[i]; sl.cr != nil {
			sl.cr.Close()
		}
	}
}

func (sl *pqSlot) opened() bool { return sl.cr != nil || sl.dc != nil || sl.delta != nil }

var errShortChunk = errors.New("column chunk ends before its row group")

func (ps *parquetSource) read(s int, at int64, n int, c *batchCol, sel []bool, rows []int32) error {
	sl := &ps.slots[s]
	if !sl.opened() {
		if err := ps.open(sl); err != nil {
			return fmt.Errorf("column %s: %w", sl.col.name, err)
		}
	}
	if sl.pos < at {
		if err := sl.skip(at - sl.pos); err != nil {
			return fmt.Errorf("column %s: %w", sl.col.name, err)
		}
	}
	if err := sl.read(n, c, sel, rows); err != nil {
		return fmt.Errorf("column %s: %w", sl.col.name, err)
	}
	return nil
}

func (sl *pqSlot) skip(n int64) error {
	if sl.dc != nil {
		sl.pos += n
		return sl.dc.skip(n)
	}
	if sl.delta != nil {
		sl.pos += n
		return sl.delta.skip(n)
	}
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

func grown[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func (sl *pqSlot) read(n int, c *batchCol, sel []bool, rows []int32) error {
	if sl.dc != nil {
		sl.pos += int64(n)
		return sl.dc.read(n, c, rows)
	}
	if sl.delta != nil {
		sl.pos += int64(n)
		c.kind = sl.col.kind
		unit := int64(1)
		if sl.col.kind == kTime {
			unit = sl.col.unit
		}
		return sl.delta.read(n, c, rows, unit)
	}
	b := sl.buf
	b.defs = grown(b.defs, n)
	var defs []int16
	if sl.maxDef > 0 {
		defs = b.defs[:n]
	}
	b.arena.reset()
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
			b.bas = grown(b.bas, n)
			lv, vr, err = r.ReadBatchInPage(int64(n-got), b.bas[vgot:], ld, nil)
			if !sl.stable {
				for i := vgot; i < vgot+vr; i++ {
					b.bas[i] = b.arena.copy(b.bas[i])
				}
			}
		case *file.Int32ColumnChunkReader:
			b.i32 = grown(b.i32, n)
			lv, vr, err = r.ReadBatch(int64(n-got), b.i32[vgot:], ld, nil)
		case *file.Int64ColumnChunkReader:
			b.i64 = grown(b.i64, n)
			lv, vr, err = r.ReadBatch(int64(n-got), b.i64[vgot:], ld, nil)
		case *file.Int96ColumnChunkReader:
			b.i96 = grown(b.i96, n)
			lv, vr, err = r.ReadBatch(int64(n-got), b.i96[vgot:], ld, nil)
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
		c.vals = b.bas[:vgot]
		for i := range n {
			if c.null[i] {
				continue
			}
			val := b.bas[v]
			if sl.col.text {
				u, ok := textSeconds(val)
				c.num[i], c.null[i] = u, !ok
			} else {
				c.at[i] = int32(v)
				c.null[i] = len(val) == 1 && val[0] == '-'
			}
			v++
		}
	case *file.Int32ColumnChunkReader:
		mul := int64(1)
		if sl.col.days {
			mul = 86400
		}
		for i := range n {
			if !c.null[i] {
				c.num[i] = int64(b.i32[v]) * mul
				v++
			}
		}
	case *file.Int64ColumnChunkReader:
		unit := int64(1)
		if sl.col.kind == kTime {
			unit = sl.col.unit
		}
		switch {
		case sel != nil && defs == nil:
			// Only the selected rows' values are converted.
			for _, i := range rows {
				c.num[i] = seconds(b.i64[i], unit)
			}
		case sel != nil:
			for i := range n {
				if !c.null[i] {
					if sel[i] {
						c.num[i] = seconds(b.i64[v], unit)
					}
					v++
				}
			}
		default:
			for i := range n {
				if !c.null[i] {
					c.num[i] = seconds(b.i64[v], unit)
					v++
				}
			}
		}
	case *file.Int96ColumnChunkReader:
		for i := range n {
			if !c.null[i] {
				c.num[i] = int96Seconds(b.i96[v])
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

func (as *arrowSource) read(s int, at int64, n int, c *batchCol, _ []bool, _ []int32) error {
	fc := as.cols[s]
	arr := as.rb.Column(fc.index)
	c.grow(n)
	c.kind = fc.kind
	c.vals = c.vals[:0]
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
	c.at[i] = int32(len(c.vals))
	c.vals = append(c.vals, b)
	c.null[i] = len(b) == 1 && b[0] == '-'
}
