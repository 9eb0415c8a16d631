package lake

import (
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// Records iterates over the records of one unit of converted output (a
// row group, a record batch) that pass the scan's filters, in the manner
// of parse.Scanner: call Scan until it returns false; Record and Origin
// then describe the current record. The lake checks Err after
// Part.LakeRecords returns. A Records is reused from unit to unit by one
// worker and is not safe for concurrent use.
type Records struct {
	src  columnSource
	l    *layout
	part []byte // the file's dt value
	cols []batchCol
	// unread marks the columns of the batch not read yet: those no
	// filter reads are read when a record first asks for them (col),
	// so a column that no record of a batch asks for is not decoded,
	// and one no record of a unit asks for not even decompressed.
	unread []bool
	// rows, when not nil, lists the rows of the batch the columns read
	// late are read at (next's sparse read): those sel marks.
	rows []int32
	sel  []bool
	// picked lists the rows of the batch that passed the filters, in
	// order, when some filter was checked (all is false); else every
	// row of the batch passed.
	picked []int32
	all    bool
	at     int64 // first row of the current batch
	n, i   int   // rows in the batch, next row (all) or pick to look at
	cur    int   // the current record's row in the batch
	asm    *parse.Assembler
	obj    []byte
	line   int64
	err    error
	// lastUnix and lastText cache the time text of the last record.
	lastUnix int64
	lastText []byte
	// digits holds an integer's text while it is assembled.
	digits [20]byte
	// bufs are the worker's buffers for reading Parquet column chunks;
	// memo, by filter, their verdicts on a dictionary's values.
	bufs []*slotBuffers
	memo []dictPass
	// dictPages reads the dictionary pages of pruneByDictionary.
	dictPages chunkPages
	// whole marks, by filter, those every row of the unit passes (by its
	// statistics): not checked row by row.
	whole []bool
}

// free hands the page buffers of rs back to the page pool, once its
// last unit is read.
func (rs *Records) free() {
	for _, b := range rs.bufs {
		b.pages.free()
	}
	rs.dictPages.free()
}

func newRecords() *Records {
	return &Records{asm: parse.NewAssembler(), sel: make([]bool, batchRows), picked: make([]int32, batchRows), lastUnix: -1 << 63}
}

// reset makes rs read src as layout l, with partition value part.
func (rs *Records) reset(src columnSource, l *layout, part []byte) {
	rs.src, rs.l, rs.part = src, l, part
	if cap(rs.cols) < len(l.cols) {
		rs.cols = make([]batchCol, len(l.cols))
	}
	rs.cols = rs.cols[:len(l.cols)]
	rs.unread = grown(rs.unread, len(l.cols))
	clear(rs.unread)
	for len(rs.memo) < len(l.filters) {
		rs.memo = append(rs.memo, dictPass{})
	}
	for k := range rs.memo {
		// A unit's dictionaries may be held where the last unit's were.
		rs.memo[k].vals = nil
	}
	rs.whole = grown(rs.whole, len(l.filters))
	clear(rs.whole)
	rs.at, rs.n, rs.i, rs.err = 0, 0, 0, nil
	rs.picked, rs.all = rs.picked[:0], true
	rs.obj, rs.line = nil, 0
}

// Scan advances to the next record that passes the filters and
// assembles it. It returns false at the end of the unit or when reading
// it fails (Err).
func (rs *Records) Scan() bool {
	if !rs.Next() {
		return false
	}
	rs.Assemble()
	return true
}

// Next advances to the next record that passes the filters without
// assembling it: GroupID reads it, Record does not until Assemble.
func (rs *Records) Next() bool {
	for {
		if rs.all {
			if rs.i < rs.n {
				rs.cur = rs.i
				rs.i++
				return true
			}
		} else if rs.i < len(rs.picked) {
			rs.cur = int(rs.picked[rs.i])
			rs.i++
			return true
		}
		if rs.err != nil || !rs.next() {
			// (A column read late that failed stops the unit too.)
			return false
		}
	}
}

// Assemble makes the current record (of Next) the one Record returns.
func (rs *Records) Assemble() { rs.assemble(rs.cur) }

// Record returns the current record, valid until the next Scan.
func (rs *Records) Record() *parse.Record { return rs.asm.Record() }

// Origin sets o's log object, line and partition to the current
// record's. Object is valid until the next Scan. (It writes a slice only
// when it changed: most records share their object's and their file's.)
func (rs *Records) Origin(o *schema.Origin) {
	if !same(o.Object, rs.obj) {
		o.Object = rs.obj
	}
	if !same(o.Partition, rs.part) {
		o.Partition = rs.part
	}
	o.Line = rs.line
}

// same reports whether a and b are the same bytes in memory.
func same(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) && (a == nil) == (b == nil)
}

// maxGroupIDs bounds the ids GroupID gives: the product of the sizes of
// the key columns' dictionaries (each plus one, for NULL).
const maxGroupIDs = 1 << 16

// GroupID returns a small integer for the values of the current record's
// Scan.Group columns, and n, the number of ids: two records of the unit
// have the same id only if their keys are equal (the tuple of the keys'
// dictionary indices; two ids may still hold equal keys). ok is false
// when some key column of the unit is not wholly dictionary encoded, or
// there would be more than maxGroupIDs ids. Ids are the unit's: they mean
// nothing in another.
func (rs *Records) GroupID() (id, n int, ok bool) {
	g := rs.l.group
	if g == nil {
		return 0, 0, false
	}
	n = 1
	for _, s := range g {
		c := rs.col(s)
		if !c.dict {
			return 0, 0, false
		}
		k := 0
		if !c.null[rs.cur] {
			k = int(c.at[rs.cur]) + 1
		}
		id += k * n
		if n *= len(c.vals) + 1; n > maxGroupIDs {
			return 0, 0, false
		}
	}
	return id, n, true
}

// HoldsInt reports whether the unit holds log field f as a column of
// integers, which Int reads.
func (rs *Records) HoldsInt(f parse.Field) bool { return rs.l.ints[f] >= 0 }

// HoldsTime reports whether the scan reads the request time, which Unix
// reads.
func (rs *Records) HoldsTime() bool { return rs.l.timeSlot >= 0 }

// Int returns log field f of the current record (of Next) without
// assembling it, as the assembled record's Int(f) would: ok is false for
// a NULL, and for a negative value too (the record holds its text, "-5",
// which Int does not read as a count). Where the unit does not hold f as
// integers (HoldsInt) it reads NULL.
func (rs *Records) Int(f parse.Field) (v int64, ok bool) {
	s := rs.l.ints[f]
	if s < 0 {
		return 0, false
	}
	c := rs.col(s)
	v = c.num[rs.cur]
	if c.null[rs.cur] || v < 0 {
		return 0, false
	}
	return v, true
}

// Unix returns the request time of the current record (of Next) without
// assembling it, as the assembled record's Unix would (0 for a NULL
// time, and where the scan does not read it: HoldsTime).
func (rs *Records) Unix() int64 {
	s := rs.l.timeSlot
	if s < 0 {
		return 0
	}
	c := rs.col(s)
	if c.null[rs.cur] {
		return 0
	}
	return c.num[rs.cur]
}

// Checked reports whether every record of the unit that Next hands on
// passes Scan.Filters[k] as written: an OpRange on a column the unit holds
// as integers or times, or an OpEqual or OpLike on one it holds as text,
// checked on each row on the value the record is assembled with
// (Record.Int's, Record.Unix's, Record.Value's; a "-" fails). A consumer
// whose WHERE term says no more than that filter need not check the term
// on them. Other filters stay conservative.
func (rs *Records) Checked(k int) bool {
	c := rs.l.checked
	return k >= 0 && k < len(c) && c[k]
}

// Err returns the error that ended the scan of the unit, if any.
func (rs *Records) Err() error { return rs.err }

// next reads the next batch of rows in which some row passes the
// filters: their columns first, the others only then.
func (rs *Records) next() bool {
	total := rs.src.rows()
	l := rs.l
	for rs.at+int64(rs.n) < total {
		rs.at += int64(rs.n)
		n := int(min(batchRows, total-rs.at))
		rs.n, rs.i = n, 0
		rs.picked, rs.all = rs.picked[:0], true
		sel := rs.sel[:n]
		any := true
		// listed: the last filter applied listed the passing rows in
		// picked (apply does for a first dictionary filter).
		listed := false
		for _, s := range l.order[:l.nfilter] {
			if rs.unread[s] = rs.wholeSlot(s); rs.unread[s] {
				continue // (read if a record asks for it)
			}
			if rs.err = rs.src.read(s, rs.at, n, &rs.cols[s], nil, nil); rs.err != nil {
				rs.n = 0
				return false
			}
			for k, f := range l.filters {
				if f.slot == s && !rs.whole[k] {
					rs.picked = rs.picked[:0]
					any = f.apply(&rs.cols[s], sel, n, rs.all, &rs.memo[k], &rs.picked)
					rs.all = false
					listed = len(rs.picked) > 0
					if !any {
						break
					}
				}
			}
			if !any {
				break
			}
		}
		if !any {
			continue
		}
		// The other columns are read when a record asks for them (col),
		// only at the selected rows when they are few.
		rs.rows = nil
		if !rs.all {
			if !listed {
				rs.picked = picks(sel, rs.picked[:n])
			}
			if len(rs.picked)*sparseFraction < n {
				rs.rows = rs.picked
			}
		}
		for _, s := range l.order[l.nfilter:] {
			rs.unread[s] = true
		}
		return true
	}
	return false
}

// wholeSlot reports whether every filter on column s is one that every
// row of the unit passes (whole): none need be checked on its values.
func (rs *Records) wholeSlot(s int) bool {
	for k, f := range rs.l.filters {
		if f.slot == s && !rs.whole[k] {
			return false
		}
	}
	return true
}

// col returns column s of the batch, reading it first if no record has
// asked for it yet. A column that cannot be read is NULL in every row,
// and the scan of the unit ends at the next Next with the error (Err):
// the consumer drops the unit's records with its file, or fails the run.
func (rs *Records) col(s int) *batchCol {
	c := &rs.cols[s]
	if rs.unread[s] {
		rs.unread[s] = false
		var few []bool
		if rs.rows != nil {
			few = rs.sel[:rs.n]
		}
		if err := rs.src.read(s, rs.at, rs.n, c, few, rs.rows); err != nil {
			rs.err = err
			c.grow(rs.n)
			for i := range c.null {
				c.null[i] = true
			}
			rs.i, rs.picked, rs.all = rs.n, rs.picked[:0], true
		}
	}
	return c
}

// picks writes the indices of the rows sel marks into p (of len(sel))
// and returns them.
func picks(sel []bool, p []int32) []int32 {
	k := 0
	p = p[:len(sel)]
	for i, s := range sel {
		p[k] = int32(i)
		if s {
			k++
		}
	}
	return p[:k]
}

// sparseFraction: the columns of a batch in which fewer than one row in
// this many passed the filters are read only at those rows, where the
// encoding lets rows be skipped (dictionary indices).
const sparseFraction = 4

// assemble makes row i of the batch the current record.
func (rs *Records) assemble(i int) {
	a := rs.asm
	a.Reset()
	if rs.l.origin {
		rs.obj, rs.line = nil, 0
	}
	for k := range rs.l.outs {
		o := &rs.l.outs[k]
		switch o.kind {
		case outField:
			rs.field(o, i)
		case outTime:
			c := rs.col(o.slot)
			if c.null[i] {
				a.Time(0, dash)
				continue
			}
			u := c.num[i]
			if !o.text {
				a.Unix(u)
				continue
			}
			if u != rs.lastUnix {
				rs.lastUnix, rs.lastText = u, parse.AppendTime(rs.lastText[:0], u)
			}
			a.Time(u, rs.lastText)
		case outReqLine:
			var p [3][]byte
			for j, s := range o.parts {
				if s >= 0 {
					if c := rs.col(s); !c.null[i] {
						p[j] = c.str(i)
					}
				}
			}
			a.RequestLine(p[0], p[1], p[2])
		case outObject:
			if c := rs.col(o.slot); !c.null[i] {
				rs.obj = c.str(i)
			}
		case outLine:
			if c := rs.col(o.slot); !c.null[i] {
				rs.line = c.num[i]
			}
		}
	}
}

// field assembles row i's value of outField o.
func (rs *Records) field(o *output, i int) {
	c := rs.col(o.slot)
	if c.null[i] {
		return
	}
	if c.kind == kStr {
		rs.asm.Field(o.field, c.str(i))
	} else {
		rs.asm.Field(o.field, digits(&rs.digits, c.num[i]))
	}
}

// AssembleGroup makes the current record (of Next) the one Record
// returns with only its Scan.Group fields set, the others absent: for a
// consumer that reads no other value of a record that starts a group
// (GroupID), so that columns no record asks for are not read. Origin
// is not updated for it.
func (rs *Records) AssembleGroup() {
	rs.asm.Reset()
	for _, k := range rs.l.groupOuts {
		rs.field(&rs.l.outs[k], rs.cur)
	}
}

// digits writes n's decimal text at the end of b and returns it (as
// strconv.AppendInt, without its copy: the Assembler copies it).
func digits(b *[20]byte, n int64) []byte {
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	i := len(b)
	for u >= 100 {
		q := u / 100
		r := (u - q*100) * 2
		i -= 2
		b[i], b[i+1] = parse.TwoDigits[r], parse.TwoDigits[r+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		b[i], b[i+1] = parse.TwoDigits[u*2], parse.TwoDigits[u*2+1]
	} else {
		i--
		b[i] = byte('0' + u)
	}
	if n < 0 {
		i--
		b[i] = '-'
	}
	return b[i:]
}
