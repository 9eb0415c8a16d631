package lake

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// colKind is how a column's values are held in a batch.
type colKind uint8

const (
	kStr  colKind = iota // text
	kInt                 // integers
	kTime                // request times, Unix seconds
)

// batchCol is one column's values for the rows of a batch: row i is NULL
// when null[i] (a string "-" is NULL too, as in the logs), else str(i)
// (kStr) or num[i] (kInt, kTime). Strings are held as the reader decoded
// them, densely (vals, aliasing its buffers) with each row's index into
// them (at), so that spreading them over the rows writes no pointer.
// String values refer into the file's pages or dictionary and are valid
// until the next batch.
type batchCol struct {
	kind colKind
	null []bool
	vals []parquet.ByteArray
	at   []int32
	num  []int64
	// dict: vals is the dictionary of the unit's column chunk and at
	// holds dictionary indices, the same for every batch of the unit; a
	// row NULL by its definition level holds len(vals) (where it was
	// decoded: not a row skipped by a sparse read).
	dict bool
}

// str returns the text of row i, which is not NULL.
func (c *batchCol) str(i int) []byte { return c.vals[c.at[i]] }

func (c *batchCol) grow(n int) {
	if cap(c.null) < n {
		c.null = make([]bool, n)
		c.at = make([]int32, n)
		c.num = make([]int64, n)
	}
	c.null, c.at, c.num = c.null[:n], c.at[:n], c.num[:n]
	c.dict = false
}

// fileCol is a column of one file the lake reads: a Parquet leaf or an
// Arrow field, and how its values become a batchCol.
type fileCol struct {
	name  string
	index int     // leaf (Parquet) or field (Arrow) index
	kind  colKind // as held in a batch
	// For kTime: unit is the column's integers per second (1 for dates
	// already in seconds); int96 and text say how else it is stored;
	// days marks a DATE.
	unit        int64
	int96, text bool
	days        bool
	maxDef      int16 // Parquet: the leaf's highest definition level
}

// outKind says where an output of a row goes.
type outKind uint8

const (
	outField   outKind = iota // a log field of the record
	outTime                   // the request time
	outReqLine                // the request line's parts, from columns of their own
	outObject                 // Origin.Object (log_object)
	outLine                   // Origin.Line (log_line)
)

// output is one thing assembled from a row: a field of the record from a
// batch column (slot), or the request line from three (parts; -1 for a
// part not read).
type output struct {
	kind  outKind
	field parse.Field
	slot  int
	parts [3]int
	text  bool // outTime: with the Time field's text
}

// layout is how one file is read for a scan: the columns (slots) to read,
// which of them the filters read (first), and the outputs.
type layout struct {
	cols    []fileCol
	filters []*prepared
	// order lists the slots to read: those the filters read first.
	order   []int
	nfilter int // order[:nfilter] are read before the rest
	outs    []output
	group   []int // the slots of Scan.Group, nil when not all are read
	// checked marks the scan's Filters that every row handed on passes
	// (Records.Checked).
	checked []bool
	origin  bool // some output is log_object or log_line
	// ints gives, by log field, the slot of an outField the unit holds
	// as integers, -1 for none; timeSlot the outTime's slot, -1 for
	// none (Records.Int, Records.Unix).
	ints     [parse.NumFields]int
	timeSlot int
	// groupOuts lists the outFields of the group slots
	// (Records.AssembleGroup).
	groupOuts []int
}

// fileColumns describes a file's top-level columns: name, physical type,
// logical type (Parquet) or Arrow type.
type fileColumns struct {
	names []string
	pq    *pqschema.Schema // Parquet
	arrow *arrow.Schema    // Arrow IPC
}

func (fc *fileColumns) find(c *schema.Column) int {
	for i, n := range fc.names {
		if strings.EqualFold(n, c.Name) {
			return i
		}
	}
	for _, a := range c.Aliases {
		for i, n := range fc.names {
			if strings.EqualFold(n, a) {
				return i
			}
		}
	}
	return -1
}

func parquetColumns(md *metadata.FileMetaData) *fileColumns {
	fc := &fileColumns{pq: md.Schema}
	for i := range md.Schema.NumColumns() {
		c := md.Schema.Column(i)
		name := c.Name()
		if len(c.ColumnPath()) != 1 || c.MaxRepetitionLevel() > 0 {
			name = "" // nested: not a column of the table
		}
		fc.names = append(fc.names, name)
	}
	return fc
}

func arrowColumns(sc *arrow.Schema) *fileColumns {
	fc := &fileColumns{arrow: sc}
	for _, f := range sc.Fields() {
		fc.names = append(fc.names, f.Name)
	}
	return fc
}

// need is what a scan reads, by schema column index; nil is every column
// of the files.
func need(used []bool) []bool {
	if used != nil {
		return used
	}
	all := make([]bool, len(schema.Columns))
	for i, c := range schema.Columns {
		all[i] = !c.Derived || c.Source == schema.FromObject || c.Source == schema.FromLine
	}
	return all
}

// plan works out how to read a file for a scan: the file column of each
// schema column the scan uses (a column it lacks is an error naming it),
// the filters that can be checked on them, and the outputs.
func plan(fc *fileColumns, file string, scan Scan, filters []Filter, partitioned bool) (*layout, error) {
	used := scan.Columns
	l := &layout{}
	slots := map[int]int{} // file column index -> slot
	var missing []string
	slot := func(c *schema.Column, target schema.Type) (int, bool, error) {
		i := fc.find(c)
		if i < 0 {
			return -1, false, nil
		}
		if s, ok := slots[i]; ok {
			return s, true, nil
		}
		col, err := fc.column(i, target)
		if err != nil {
			return -1, false, fmt.Errorf("%s: %w", file, err)
		}
		slots[i] = len(l.cols)
		l.cols = append(l.cols, col)
		return slots[i], true, nil
	}
	want := func(c *schema.Column, target schema.Type) (int, error) {
		s, ok, err := slot(c, target)
		if err == nil && !ok {
			missing = append(missing, c.Name)
		}
		return s, err
	}
	col := func(name string) *schema.Column {
		i, _ := schema.Lookup(name)
		return &schema.Columns[i]
	}
	timeOut := false
	addTime := func() error {
		if timeOut {
			return nil
		}
		timeOut = true
		s, err := want(col("requestdatetime"), schema.Timestamp)
		if err == nil && s >= 0 {
			l.outs = append(l.outs, output{kind: outTime, slot: s, text: scan.TimeText})
		}
		return err
	}
	fields := map[parse.Field]bool{}
	addField := func(c *schema.Column) error {
		if fields[c.Field] {
			return nil
		}
		fields[c.Field] = true
		s, err := want(c, c.Type)
		if err == nil && s >= 0 {
			l.outs = append(l.outs, output{kind: outField, field: c.Field, slot: s})
		}
		return err
	}
	used = need(used)
	parts := [3]bool{}
	for i, u := range used {
		if !u {
			continue
		}
		c := &schema.Columns[i]
		var err error
		switch c.Source {
		case schema.FromField:
			if c.Type == schema.Timestamp {
				err = addTime()
			} else {
				err = addField(c)
			}
		case schema.FromMethod:
			parts[0] = true
		case schema.FromTarget:
			parts[1] = true
		case schema.FromProto:
			parts[2] = true
		case schema.FromObject, schema.FromLine:
			var s int
			if s, err = want(c, c.Type); err == nil && s >= 0 {
				k := outObject
				if c.Source == schema.FromLine {
					k = outLine
				}
				l.outs = append(l.outs, output{kind: k, slot: s})
				l.origin = true
			}
		case schema.FromPartitionDt:
			err = addTime()
		case schema.FromPartition:
			if !partitioned {
				err = addTime()
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if parts != [3]bool{} {
		// The parts as columns of their own, else split from request_uri.
		// The method is read whenever a part is: a NULL method is a
		// record without a request line.
		names := [3]string{"requesturi_operation", "requesturi_key", "requesturi_httpprotoversion"}
		out := output{kind: outReqLine, parts: [3]int{-1, -1, -1}}
		ok := true
		for k := 0; k < 3 && ok; k++ {
			if k == 0 || parts[k] {
				var err error
				if out.parts[k], ok, err = slot(col(names[k]), schema.String); err != nil {
					return nil, err
				}
			}
		}
		switch {
		case ok:
			l.outs = append(l.outs, out)
		case fc.find(col("request_uri")) >= 0:
			if err := addField(col("request_uri")); err != nil {
				return nil, err
			}
		default:
			for k, p := range parts {
				if p {
					missing = append(missing, names[k])
				}
			}
		}
	}
	if len(missing) > 0 {
		var have []string
		for _, n := range fc.names {
			if n != "" {
				have = append(have, n)
			}
		}
		sort.Strings(have)
		return nil, fmt.Errorf("%s: no column %s, which the query reads (the file has %s)", file, quoteList(missing), strings.Join(have, ", "))
	}
	// Filters on the columns read; the columns they read go first.
	first := map[int]bool{}
	for i := range filters {
		f := &filters[i]
		c, ok := filterColumn(f)
		if !ok {
			continue
		}
		target := c.Type
		s, found, err := slot(&c, target)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		p := prepare(f, s, l.cols[s].kind)
		p.at = i
		l.filters = append(l.filters, p)
		if !first[s] {
			first[s] = true
			l.order = append(l.order, s)
		}
	}
	l.nfilter = len(l.order)
	for s := range l.cols {
		if !first[s] {
			l.order = append(l.order, s)
		}
	}
	for _, g := range scan.Group {
		c := schema.Columns[g]
		s, found, err := slot(&c, c.Type)
		if err != nil || !found {
			l.group = nil
			break
		}
		l.group = append(l.group, s)
	}
	l.typedSlots()
	return l, nil
}

// typedSlots sets l.ints, l.timeSlot and l.groupOuts from l.outs.
func (l *layout) typedSlots() {
	for f := range l.ints {
		l.ints[f] = -1
	}
	l.timeSlot = -1
	for k, o := range l.outs {
		if o.kind == outField && slices.Contains(l.group, o.slot) {
			l.groupOuts = append(l.groupOuts, k)
		}
		switch {
		case o.kind == outField && l.cols[o.slot].kind == kInt:
			l.ints[o.field] = o.slot
		case o.kind == outTime:
			l.timeSlot = o.slot
		}
	}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// column describes file column i as read for a schema column of type
// target.
func (fc *fileColumns) column(i int, target schema.Type) (fileCol, error) {
	c := fileCol{name: fc.names[i], index: i}
	bad := func(what string) (fileCol, error) {
		return c, fmt.Errorf("column %q holds %s, which s3logs cannot read as %s", c.name, what, target)
	}
	if fc.pq != nil {
		d := fc.pq.Column(i)
		c.maxDef = d.MaxDefinitionLevel()
		lt := d.LogicalType()
		switch d.PhysicalType() {
		case parquet.Types.ByteArray:
			c.kind = kStr
			if target == schema.Timestamp {
				c.kind, c.text, c.unit = kTime, true, 1
			}
		case parquet.Types.Int32:
			c.kind = kInt
			if _, ok := lt.(pqschema.DateLogicalType); ok || d.ConvertedType() == pqschema.ConvertedTypes.Date {
				c.kind, c.days, c.unit = kTime, true, 1
			}
		case parquet.Types.Int64:
			c.kind = kInt
			// arrow-go's logical types are values (DuckDB's COPY writes
			// the logical type alone, with no converted type).
			if ts, ok := lt.(pqschema.TimestampLogicalType); ok {
				c.kind, c.unit = kTime, timeUnit(ts.TimeUnit())
			} else if d.ConvertedType() == pqschema.ConvertedTypes.TimestampMillis {
				c.kind, c.unit = kTime, 1e3
			} else if d.ConvertedType() == pqschema.ConvertedTypes.TimestampMicros {
				c.kind, c.unit = kTime, 1e6
			}
		case parquet.Types.Int96:
			c.kind, c.int96, c.unit = kTime, true, 1
		default:
			return bad(d.PhysicalType().String())
		}
		if c.unit == 0 && c.kind == kTime {
			return bad("times of an unknown unit")
		}
	} else {
		f := fc.arrow.Field(i)
		t := f.Type
		if d, ok := t.(*arrow.DictionaryType); ok {
			t = d.ValueType
		}
		switch tt := t.(type) {
		case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.StringViewType, *arrow.BinaryViewType:
			c.kind = kStr
			if target == schema.Timestamp {
				c.kind, c.text, c.unit = kTime, true, 1
			}
		case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
			*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
			c.kind = kInt
		case *arrow.TimestampType:
			c.kind, c.unit = kTime, arrowUnit(tt.Unit)
		case *arrow.Date32Type:
			c.kind, c.days, c.unit = kTime, true, 1
		case *arrow.Date64Type:
			c.kind, c.unit = kTime, 1e3
		default:
			return bad(t.String())
		}
	}
	if c.kind == kTime && target != schema.Timestamp {
		return bad("times")
	}
	if c.kind != kTime && target == schema.Timestamp {
		return bad("integers")
	}
	return c, nil
}

func timeUnit(u pqschema.TimeUnitType) int64 {
	switch u {
	case pqschema.TimeUnitMillis:
		return 1e3
	case pqschema.TimeUnitMicros:
		return 1e6
	case pqschema.TimeUnitNanos:
		return 1e9
	}
	return 0
}

func arrowUnit(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1
	case arrow.Millisecond:
		return 1e3
	case arrow.Microsecond:
		return 1e6
	}
	return 1e9
}

// seconds converts a time value in units of 1/unit second to Unix
// seconds, rounding down.
func seconds(v, unit int64) int64 {
	if unit == 1 {
		return v
	}
	q := v / unit
	if v%unit < 0 {
		q--
	}
	return q
}

// int96Seconds reads an INT96 timestamp (Hive's and Athena's: nanoseconds
// of the day, then the Julian day).
func int96Seconds(b parquet.Int96) int64 {
	nanos := binary.LittleEndian.Uint64(b[:8])
	days := int64(binary.LittleEndian.Uint32(b[8:])) - 2440588
	return days*86400 + int64(nanos/1e9)
}

// textSeconds reads a request time held as text: the log's own form
// (06/Feb/2019:00:00:38 +0000, as AWS's Athena table stores it), or
// ISO 8601 / SQL (2019-02-06 00:00:38, 2019-02-06T00:00:38Z).
func textSeconds(b []byte) (int64, bool) {
	if u, ok := parse.ParseTime(b); ok {
		return u, true
	}
	s := string(b)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}
