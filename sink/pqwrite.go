package sink

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"sort"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// pqCol is one output column of a pqBatch: the non-NULL values and,
// for a nullable column, one definition level per row (1 value, 0 NULL).
type pqCol struct {
	col      *schema.Column
	kind     pqKind
	field    parse.Field
	get      schema.Getter
	required bool
	data     []byte  // string values, concatenated
	ends     []int32 // end of each string value in data
	i32      []int32
	i64      []int64
	defs     []int16
	// dict, for a dictionary column, holds its distinct values; idx then
	// holds one index per row (0 for NULL) instead of data and ends.
	dict *strDict
	idx  []int32
	// For a part of the request line (pqPart): parent is the column of
	// the whole Request-URI, and of[i] says what this column's value is
	// for the parent's dictionary value i: index+1 in dict, -1 for NULL,
	// 0 not yet known. The parts are a function of the request line's
	// bytes, so each distinct request line is split and looked up once.
	parent int
	of     []int32
}

// pqKind says how Append reads a column: a switch on it, rather than a
// call of the column's Getter, for the commonest sources.
type pqKind uint8

const (
	pqGeneric pqKind = iota // through the Getter
	pqString                // a log field, plain string
	pqDict                  // a log field, dictionary string
	pqPart                  // a part of the request line, through the parent's dictionary
	pqInt                   // a log field, Int32 or Int64
	pqTime                  // the request time
	pqLine                  // log_line
)

// pqBatch buffers records column by column in plain Go slices for the
// direct Parquet writer: no Arrow arrays, no per-value allocation, and its
// buffers are kept (truncated) across row groups, so after the first row
// group appending allocates nothing. A pqBatch is not safe for concurrent
// use.
type pqBatch struct {
	cols []pqCol
	// byKind[k] lists the indexes in cols of the columns of kind k.
	byKind  [pqLine + 1][]int
	rows    int
	bytes   int64
	scratch []byte
}

func newPQBatch() *pqBatch {
	b := &pqBatch{}
	cols := OutputColumns()
	for i := range cols {
		c := &cols[i]
		col := pqCol{col: c, field: c.Field, get: c.Getter(), required: !c.Nullable(), parent: -1}
		if c.Type == schema.String && c.Dictionary {
			col.dict = newStrDict()
		}
		col.kind = pqGeneric
		switch {
		case c.Source == schema.FromField && c.Type == schema.String && col.dict != nil:
			col.kind = pqDict
		case c.Source == schema.FromField && c.Type == schema.String:
			col.kind = pqString
		case c.Source == schema.FromField && (c.Type == schema.Int32 || c.Type == schema.Int64):
			col.kind = pqInt
		case c.Source == schema.FromField && c.Type == schema.Timestamp:
			col.kind = pqTime
		case c.Source == schema.FromLine:
			col.kind = pqLine
		case col.dict != nil && (c.Source == schema.FromMethod || c.Source == schema.FromTarget || c.Source == schema.FromProto):
			for j := range b.cols {
				if p := &b.cols[j]; p.kind == pqDict && p.field == c.Field {
					col.kind, col.parent = pqPart, j
				}
			}
		}
		b.byKind[col.kind] = append(b.byKind[col.kind], len(b.cols))
		b.cols = append(b.cols, col)
	}
	return b
}

func (b *pqBatch) Rows() int    { return b.rows }
func (b *pqBatch) Bytes() int64 { return b.bytes }
func (b *pqBatch) Release()     { b.cols = nil }

// reset empties b, keeping its buffers.
func (b *pqBatch) reset() {
	for i := range b.cols {
		c := &b.cols[i]
		c.data, c.ends, c.i32, c.i64, c.defs, c.idx, c.of = c.data[:0], c.ends[:0], c.i32[:0], c.i64[:0], c.defs[:0], c.idx[:0], c.of[:0]
		if c.dict != nil {
			c.dict.reset()
		}
	}
	b.rows, b.bytes = 0, 0
}

// Append adds one record, read from where o says.
func (b *pqBatch) Append(r *parse.Record, o *schema.Origin) {
	// A loop per kind of column rather than a switch per column: the
	// loops' bodies are small and their branches predictable. The
	// request line's parts come after the dictionary columns, whose
	// value for this row they read.
	for _, i := range b.byKind[pqDict] {
		c := &b.cols[i]
		if v, ok := r.Value(c.field); ok {
			c.present()
			c.idx = append(c.idx, c.dict.index(v))
		} else {
			c.defs = append(c.defs, 0)
			c.idx = append(c.idx, 0)
		}
	}
	for _, i := range b.byKind[pqPart] {
		b.appendPart(&b.cols[i], r, o)
	}
	for _, i := range b.byKind[pqString] {
		c := &b.cols[i]
		if v, ok := r.Value(c.field); ok {
			c.present()
			b.appendString(c, v)
		} else {
			c.defs = append(c.defs, 0)
		}
	}
	for _, i := range b.byKind[pqInt] {
		c := &b.cols[i]
		n, ok := r.Int(c.field)
		switch {
		case !ok:
			c.defs = append(c.defs, 0)
		case c.col.Type == schema.Int32:
			c.present()
			c.i32 = append(c.i32, int32(n))
		default:
			c.present()
			c.i64 = append(c.i64, n)
		}
	}
	for _, i := range b.byKind[pqTime] {
		c := &b.cols[i]
		c.present()
		c.i64 = append(c.i64, r.Unix()*1e6)
	}
	for _, i := range b.byKind[pqLine] {
		c := &b.cols[i]
		c.present()
		c.i64 = append(c.i64, o.Line)
	}
	for _, i := range b.byKind[pqGeneric] {
		b.appendGeneric(&b.cols[i], r, o)
	}
	b.rows++
	b.bytes += int64(len(r.Line()) + len(o.Object) + 8*len(b.cols))
}

// appendGeneric appends the value of column c, read through its Getter.
func (b *pqBatch) appendGeneric(c *pqCol, r *parse.Record, o *schema.Origin) {
	v, n, ok := c.get(r, o)
	if !ok {
		c.defs = append(c.defs, 0)
		if c.dict != nil {
			c.idx = append(c.idx, 0)
		}
		return
	}
	c.present()
	switch {
	case c.col.Type == schema.Int32:
		c.i32 = append(c.i32, int32(n))
	case c.col.Type == schema.Int64:
		c.i64 = append(c.i64, n)
	case c.col.Type == schema.Timestamp:
		c.i64 = append(c.i64, n*1e6)
	case c.dict != nil:
		c.idx = append(c.idx, c.dict.index(v))
	default:
		b.appendString(c, v)
	}
}

// appendString appends string value v to c, invalid UTF-8 replaced.
func (b *pqBatch) appendString(c *pqCol, v []byte) {
	if utf8.Valid(v) {
		c.data = append(c.data, v...)
	} else {
		b.scratch = appendValidUTF8(b.scratch[:0], v)
		c.data = append(c.data, b.scratch...)
	}
	c.ends = append(c.ends, int32(len(c.data)))
}

// present records a value (not NULL) in c's definition levels.
func (c *pqCol) present() {
	if !c.required {
		c.defs = append(c.defs, 1)
	}
}

// appendPart appends the value of request-line part c: the one its
// parent's dictionary value gave before, else the one read from r.
func (b *pqBatch) appendPart(c *pqCol, r *parse.Record, o *schema.Origin) {
	p := &b.cols[c.parent]
	if !p.required && p.defs[len(p.defs)-1] == 0 {
		// No request line: no part of it either.
		c.defs = append(c.defs, 0)
		c.idx = append(c.idx, 0)
		return
	}
	pi := int(p.idx[len(p.idx)-1])
	if pi >= len(c.of) {
		c.of = append(c.of, make([]int32, pi+1-len(c.of))...)
	}
	x := c.of[pi]
	if x <= 0 {
		if x == 0 { // not yet known: read it and remember it
			x = -1
			if v, _, ok := c.get(r, o); ok {
				x = c.dict.index(v) + 1
			}
			c.of[pi] = x
		}
		if x < 0 {
			c.defs = append(c.defs, 0)
			c.idx = append(c.idx, 0)
			return
		}
	}
	c.present()
	c.idx = append(c.idx, x-1)
}

// maxPQColumnBytes bounds the string bytes of one column in a pqBatch
// (offsets are int32); the converter flushes a batch before any column
// can reach it.
const maxPQColumnBytes = 1 << 30

// pqWriter writes pqBatches to one Parquet file with arrow-go's low-level
// column writers, one row group per batch.
type pqWriter struct {
	bw *bufio.Writer
	fw *file.Writer
	// cols[i] is the scratch of the i-th goroutine writing columns: [0]
	// for Write, the first n for WriteConcurrent(b, n).
	cols []*pqColWriter
	// dictLimit is the dictionary size above which a column chunk is
	// written plain.
	dictLimit int
}

// pqColWriter writes the column chunks of pqBatch columns, one at a time,
// with its own scratch buffers.
type pqColWriter struct {
	vals      []parquet.ByteArray // scratch for one slice of a string column
	valid     []byte              // scratch validity bitmap
	clean     strDict             // scratch for a dictionary with invalid UTF-8 replaced
	dictLimit int
}

// pqWriteBatch is how many values of a string column are handed to the
// column writer at once.
const pqWriteBatch = 4096

// newPQWriter starts a Parquet file on w with the output schema and the
// Arrow schema stored as pqarrow stores it (see newParquetFile).
func newPQWriter(w io.Writer, o tableOptions) (*pqWriter, error) {
	if o.dictLimit <= 0 {
		o.dictLimit = dictPageLimit
	}
	bw, fw, err := newParquetFile(w, ArrowSchema(), o)
	if err != nil {
		return nil, err
	}
	pw := &pqWriter{bw: bw, fw: fw, dictLimit: o.dictLimit}
	pw.colWriters(1)
	return pw, nil
}

// colWriters returns n column writers' scratch.
func (pw *pqWriter) colWriters(n int) []*pqColWriter {
	for len(pw.cols) < n {
		pw.cols = append(pw.cols, &pqColWriter{vals: make([]parquet.ByteArray, 0, pqWriteBatch), dictLimit: pw.dictLimit})
	}
	return pw.cols[:n]
}

// Write writes b's rows as one row group and empties b.
func (pw *pqWriter) Write(b *pqBatch) error { return pw.WriteConcurrent(b, 1) }

// WriteConcurrent is Write with the row group's columns encoded on n
// goroutines at once, the largest first, into buffers that become the
// row group in column order: for a row group written while a core would
// otherwise idle (the last ones of a run).
func (pw *pqWriter) WriteConcurrent(b *pqBatch, n int) (err error) {
	defer b.reset()
	if b.rows == 0 {
		return nil
	}
	if n <= 1 {
		rg, err := pw.fw.AppendRowGroupChecked()
		if err != nil {
			return err
		}
		for i := range b.cols {
			cw, err := rg.NextColumn()
			if err != nil {
				return err
			}
			if err := pw.cols[0].write(cw, &b.cols[i]); err != nil {
				return err
			}
		}
		return rg.Close()
	}
	rg, err := pw.fw.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	cws := make([]file.ColumnChunkWriter, len(b.cols))
	order := make([]int, len(b.cols))
	for i := range cws {
		if cws[i], err = rg.Column(i); err != nil {
			return err
		}
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return b.cols[order[x]].weight() > b.cols[order[y]].weight() })
	var next atomic.Int32
	var g errgroup.Group
	for _, s := range pw.colWriters(n) {
		g.Go(func() error {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(order) {
					return nil
				}
				i := order[k]
				if err := s.write(cws[i], &b.cols[i]); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return rg.Close()
}

// weight estimates the work of writing c: the bytes its encoders and
// compressor see.
func (c *pqCol) weight() int {
	return len(c.data) + 4*len(c.ends) + 4*len(c.i32) + 8*len(c.i64) + 2*len(c.idx) + len(c.defs)/4
}

// write writes column c to its column chunk writer cw.
func (s *pqColWriter) write(cw file.ColumnChunkWriter, c *pqCol) (err error) {
	var defs []int16
	if !c.required {
		defs = c.defs
	}
	switch w := cw.(type) {
	case *file.Int32ColumnChunkWriter:
		_, err = w.WriteBatch(c.i32, defs, nil)
	case *file.Int64ColumnChunkWriter:
		_, err = w.WriteBatch(c.i64, defs, nil)
	case *file.ByteArrayColumnChunkWriter:
		switch {
		case c.dict == nil:
			err = s.writeStrings(w, c, defs)
		case len(c.dict.data) <= s.dictLimit:
			err = s.writeDict(w, c, defs)
		default:
			err = s.writeDictPlain(w, c, defs)
		}
	default:
		err = fmt.Errorf("unexpected column writer %T", cw)
	}
	return err
}

// dictionary returns c's dictionary with invalid UTF-8 replaced.
func (pw *pqColWriter) dictionary(c *pqCol) *strDict {
	d := c.dict
	if !d.invalid {
		return d
	}
	pw.clean.data, pw.clean.offs = pw.clean.data[:0], append(pw.clean.offs[:0], 0)
	for i := range int32(len(d.offs) - 1) {
		pw.clean.data = appendValidUTF8(pw.clean.data, d.value(i))
		pw.clean.offs = append(pw.clean.offs, int32(len(pw.clean.data)))
	}
	return &pw.clean
}

// writeDict writes a dictionary column as pqarrow writes an Arrow
// dictionary array: our dictionary becomes the column chunk's dictionary
// page as is, and the indices its data pages, so arrow-go hashes nothing.
// (Values that are equal once invalid UTF-8 is replaced make arrow-go fall
// back to hashing the values, which is correct and rare.)
func (pw *pqColWriter) writeDict(w *file.ByteArrayColumnChunkWriter, c *pqCol, defs []int16) error {
	enc, ok := any(w.CurrentEncoder()).(dictPutter)
	if !ok || enc.NumEntries() != 0 {
		// Not a fresh dictionary encoder (a column chunk writer's first
		// encoder always is): the values, which the encoder hashes, as
		// pqarrow writes a dictionary array it cannot put as is.
		return pw.writeDictValues(w, c, defs)
	}
	d := pw.dictionary(c)
	n := len(c.idx)
	var valid *memory.Buffer
	nulls := 0
	if defs != nil {
		nb := int(bitutil.BytesForBits(int64(n)))
		if cap(pw.valid) < nb {
			pw.valid = make([]byte, nb)
		}
		pw.valid = pw.valid[:nb]
		if nulls = packValidity(pw.valid, defs); nulls > 0 {
			valid = memory.NewBufferBytes(pw.valid)
		}
	}
	// What pqarrow does for a dictionary array, without its statistics
	// pass that hashes every index to find the values in use: in our
	// dictionaries all are.
	dict := array.NewStringData(array.NewData(arrow.BinaryTypes.String, len(d.offs)-1,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.offs)), memory.NewBufferBytes(d.data)}, nil, 0, 0))
	defer dict.Release()
	if err := enc.PutDictionary(dict); err != nil {
		return err
	}
	if enc.NumEntries() != dict.Len() { // equal values after replacing invalid UTF-8
		return pw.writeDictPlain(w, c, defs)
	}
	if ps := w.PageStatistics(); ps != nil {
		ps.IncNulls(int64(nulls))
		ps.IncNumValues(int64(n - nulls))
		if err := ps.UpdateFromArrow(dict, false); err != nil {
			return err
		}
	}
	indices := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, n,
		[]*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.idx))}, nil, nulls, 0))
	defer indices.Release()
	return w.WriteDictIndices(indices, defs, nil)
}

// packValidity sets valid (len(defs) bits, rounded up to bytes) to the
// validity bitmap of definition levels defs, each 0 or 1, and returns the
// number of zeros. Eight levels become a byte at a time: a multiply
// gathers the low bits of four int16s in a word into four adjacent bits
// (no two partial products meet, so nothing carries), instead of a
// branch and a bit store per row.
func packValidity(valid []byte, defs []int16) (nulls int) {
	const gather = 1<<45 | 1<<30 | 1<<15 | 1
	b := arrow.Int16Traits.CastToBytes(defs)
	set, i := 0, 0
	for ; i+8 <= len(defs); i += 8 {
		w0 := binary.LittleEndian.Uint64(b[2*i:])
		w1 := binary.LittleEndian.Uint64(b[2*i+8:])
		v := byte(w0*gather>>45&0xf | (w1*gather>>45&0xf)<<4)
		valid[i/8] = v
		set += bits.OnesCount8(v)
	}
	if i < len(defs) {
		var v byte
		for j, x := range defs[i:] {
			v |= byte(x&1) << j
		}
		valid[i/8] = v
		set += bits.OnesCount8(v)
	}
	return len(defs) - set
}

// dictPutter is the part of arrow-go's dictionary encoder (an internal
// type, returned by ColumnChunkWriter.CurrentEncoder) that pqarrow uses to
// write an Arrow dictionary array.
type dictPutter interface {
	PutDictionary(values arrow.Array) error
	NumEntries() int
}

// writeDictPlain writes a dictionary column whose dictionary outgrew
// dictPageLimit as plain values.
func (pw *pqColWriter) writeDictPlain(w *file.ByteArrayColumnChunkWriter, c *pqCol, defs []int16) error {
	w.FallbackToPlain()
	return pw.writeDictValues(w, c, defs)
}

// writeDictValues writes the values of a dictionary column, one per
// non-NULL row, to the column's current encoder.
func (pw *pqColWriter) writeDictValues(w *file.ByteArrayColumnChunkWriter, c *pqCol, defs []int16) error {
	d := pw.dictionary(c)
	for row := 0; row < len(c.idx); {
		end := min(row+pqWriteBatch, len(c.idx))
		vals := pw.vals[:0]
		var batchDefs []int16
		if defs != nil {
			batchDefs = defs[row:end]
		}
		for i := row; i < end; i++ {
			if defs == nil || defs[i] == 1 {
				vals = append(vals, d.value(c.idx[i]))
			}
		}
		if _, err := w.WriteBatch(vals, batchDefs, nil); err != nil {
			return err
		}
		row = end
	}
	return nil
}

// writeStrings writes a string column in slices of pqWriteBatch values.
func (pw *pqColWriter) writeStrings(w *file.ByteArrayColumnChunkWriter, c *pqCol, defs []int16) error {
	start, vi := int32(0), 0
	for row := 0; row < len(defs); {
		end := min(row+pqWriteBatch, len(defs))
		vals := pw.vals[:0]
		for _, d := range defs[row:end] {
			if d == 1 {
				e := c.ends[vi]
				vals = append(vals, c.data[start:e:e])
				start = e
				vi++
			}
		}
		if _, err := w.WriteBatch(vals, defs[row:end], nil); err != nil {
			return err
		}
		row = end
	}
	return nil
}

// Close writes the footer and flushes the file.
func (pw *pqWriter) Close() error {
	err := pw.fw.Close()
	if ferr := pw.bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// strDict is a column's dictionary for one row group: its distinct
// values in order of first appearance, found through open-addressing hash
// tables of value indexes. Looking a value up allocates nothing.
//
// Values of at most 16 bytes (IP addresses, operations, TLS versions,
// error codes: most lookups that miss the previous value) are kept in
// their own table whose slots hold the value's bytes as two words: they
// are hashed with one multiply and compared in the slot, with no call of
// the runtime's hash or memequal and no load of the value's bytes.
type strDict struct {
	seed    maphash.Seed
	seed64  uint64
	data    []byte
	offs    []int32 // value i is data[offs[i]:offs[i+1]]
	table   []int32 // longer values: index+1 of a value, 0 for an empty slot
	short   []shortSlot
	nshort  int      // values in short (the rest are in table)
	last    int32    // index of the value found last, -1 for none
	lastKey shortKey // the value found last if short, else n = -1
	invalid bool     // some value is not valid UTF-8
}

// shortKey is a value of at most 16 bytes as two words that together
// cover its bytes, and its length: equal keys are equal values.
type shortKey struct {
	w0, w1 uint64
	n      int
}

// shortSlot is a slot of the short table: idx is the value's index+1, 0
// for an empty slot.
type shortSlot struct {
	key shortKey
	idx int32
}

// maxShort is the longest value of the short table.
const maxShort = 16

func keyOf(v []byte) shortKey {
	n := len(v)
	switch {
	case n >= 8:
		return shortKey{binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[n-8:]), n}
	case n >= 4:
		return shortKey{uint64(binary.LittleEndian.Uint32(v)), uint64(binary.LittleEndian.Uint32(v[n-4:])), n}
	case n > 0:
		return shortKey{uint64(v[0]) | uint64(v[n/2])<<8 | uint64(v[n-1])<<16, 0, n}
	}
	return shortKey{}
}

func (d *strDict) hashShort(k shortKey) uint64 {
	hi, lo := bits.Mul64(k.w0^d.seed64, k.w1^uint64(k.n)^0x9e3779b97f4a7c15)
	return hi ^ lo
}

func newStrDict() *strDict {
	d := &strDict{seed: maphash.MakeSeed(), offs: []int32{0}, table: make([]int32, 64), short: make([]shortSlot, 16)}
	d.seed64 = maphash.Bytes(d.seed, nil)
	d.last, d.lastKey.n = -1, -1
	return d
}

func (d *strDict) value(i int32) []byte { return d.data[d.offs[i]:d.offs[i+1]] }

// index returns the index of v, adding it if new.
func (d *strDict) index(v []byte) int32 {
	if len(v) <= maxShort {
		return d.indexShort(v)
	}
	if d.last >= 0 && bytes.Equal(d.value(d.last), v) { // runs of equal values are common
		return d.last
	}
	if 2*(len(d.offs)-d.nshort) > len(d.table) { // the long values and v
		d.grow()
	}
	mask := uint64(len(d.table) - 1)
	for i := maphash.Bytes(d.seed, v) & mask; ; i = (i + 1) & mask {
		s := d.table[i]
		if s == 0 {
			idx := d.add(v)
			d.table[i] = idx + 1
			d.last, d.lastKey.n = idx, -1
			return idx
		}
		if bytes.Equal(d.value(s-1), v) {
			d.last, d.lastKey.n = s-1, -1
			return s - 1
		}
	}
}

// indexShort is index for a value of at most maxShort bytes.
func (d *strDict) indexShort(v []byte) int32 {
	k := keyOf(v)
	if k == d.lastKey {
		return d.last
	}
	if 2*(d.nshort+1) > len(d.short) {
		d.growShort()
	}
	mask := uint64(len(d.short) - 1)
	for i := d.hashShort(k) & mask; ; i = (i + 1) & mask {
		s := &d.short[i]
		if s.idx == 0 {
			idx := d.add(v)
			*s = shortSlot{k, idx + 1}
			d.nshort++
			d.last, d.lastKey = idx, k
			return idx
		}
		if s.key == k {
			d.last, d.lastKey = s.idx-1, k
			return s.idx - 1
		}
	}
}

// add appends v as a new value and returns its index.
func (d *strDict) add(v []byte) int32 {
	idx := int32(len(d.offs) - 1)
	if !d.invalid && !utf8.Valid(v) {
		d.invalid = true
	}
	d.data = append(d.data, v...)
	d.offs = append(d.offs, int32(len(d.data)))
	return idx
}

// grow doubles the table of long values.
func (d *strDict) grow() {
	d.table = make([]int32, 2*len(d.table))
	mask := uint64(len(d.table) - 1)
	for idx := range int32(len(d.offs) - 1) {
		v := d.value(idx)
		if len(v) <= maxShort {
			continue
		}
		i := maphash.Bytes(d.seed, v) & mask
		for d.table[i] != 0 {
			i = (i + 1) & mask
		}
		d.table[i] = idx + 1
	}
}

// growShort doubles the table of short values.
func (d *strDict) growShort() {
	old := d.short
	d.short = make([]shortSlot, 2*len(old))
	mask := uint64(len(d.short) - 1)
	for _, s := range old {
		if s.idx == 0 {
			continue
		}
		i := d.hashShort(s.key) & mask
		for d.short[i].idx != 0 {
			i = (i + 1) & mask
		}
		d.short[i] = s
	}
}

// reset empties d, keeping its buffers.
func (d *strDict) reset() {
	d.data, d.offs = d.data[:0], d.offs[:1]
	clear(d.table)
	clear(d.short)
	d.nshort = 0
	d.last, d.lastKey.n, d.invalid = -1, -1, false
}
