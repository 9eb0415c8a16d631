package schema

import (
	"strconv"
	"time"

	"github.com/s3logs/s3logs/parse"
)

// Origin is where a record came from, for the derived columns: the log
// object and the line number in it. It also caches the text of the
// timestamp column for the current day, so reading it allocates nothing;
// an Origin may be reused for the records of one goroutine and is not safe
// for concurrent use.
type Origin struct {
	Object []byte
	Line   int64
	// Partition is the value of the partition column dt: the dt=...
	// directory of converted output, nil for log objects (dt is then the
	// request's UTC day).
	Partition []byte

	day   []byte // yyyy/MM/dd of dayOf
	dayOf int64  // day number (Unix seconds / 86400) + 1; 0 for none
	dt    []byte // yyyy-MM-dd of dtOf
	dtOf  int64
}

// Value returns the column's value in record r, read from o: the bytes of
// a string column, the integer of an integer column, or the seconds since
// the Unix epoch of a timestamp. ok is false for NULL. The bytes refer
// into r's line or o and are valid as long as they are.
func (c *Column) Value(r *parse.Record, o *Origin) (b []byte, n int64, ok bool) { return c.get(r, o) }

// Getter is a column's accessor: Getter(r, o) is Value(r, o).
type Getter func(r *parse.Record, o *Origin) (b []byte, n int64, ok bool)

// Getter returns the column's accessor, specialised for where its value
// comes from, for callers that read it for every record.
func (c *Column) Getter() Getter { return c.get }

// StringField returns the log field a string column reads as logged (its
// Getter is r.Value(f)), and true; false for every other column. Callers
// on the hottest paths use it to inline the commonest accessor.
func (c *Column) StringField() (parse.Field, bool) {
	return c.Field, c.Source == FromField && c.Type == String
}

// getter builds the column's accessor. This is the one place that knows
// where each column's value comes from; the query compiler and the file
// writers read columns through it.
func (c *Column) getter() Getter {
	f := c.Field
	switch c.Source {
	case FromField:
		switch c.Type {
		case String:
			return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) {
				b, ok := r.Value(f)
				return b, 0, ok
			}
		case Timestamp:
			return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) { return nil, r.Unix(), true }
		}
		return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) {
			n, ok := r.Int(f)
			return nil, n, ok
		}
	case FromMethod:
		return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) {
			m, _, _, _ := r.RequestLine()
			return m, 0, m != nil
		}
	case FromTarget:
		return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) {
			_, t, _, _ := r.RequestLine()
			return t, 0, t != nil
		}
	case FromProto:
		return func(r *parse.Record, _ *Origin) ([]byte, int64, bool) {
			_, _, p, _ := r.RequestLine()
			return p, 0, p != nil
		}
	case FromObject:
		return func(_ *parse.Record, o *Origin) ([]byte, int64, bool) { return o.Object, 0, true }
	case FromLine:
		return func(_ *parse.Record, o *Origin) ([]byte, int64, bool) { return nil, o.Line, true }
	case FromPartition:
		return func(r *parse.Record, o *Origin) ([]byte, int64, bool) {
			if o.Partition != nil {
				return o.Partition, 0, true
			}
			u := r.Unix()
			if d := floorDiv(u, 86400) + 1; o.dtOf != d {
				o.dt, o.dtOf = AppendDate(o.dt[:0], u), d
			}
			return o.dt, 0, true
		}
	case FromPartitionDt:
		return func(r *parse.Record, o *Origin) ([]byte, int64, bool) {
			u := r.Unix()
			if d := floorDiv(u, 86400) + 1; o.dayOf != d {
				o.day, o.dayOf = AppendDay(o.day[:0], u), d
			}
			return o.day, 0, true
		}
	}
	panic("schema: column " + c.Name + " has no source")
}

// Nullable reports whether the column can be NULL: every column but the
// request time, log_object and log_line.
func (c *Column) Nullable() bool {
	return c.Type != Timestamp && c.Source != FromObject && c.Source != FromLine
}

// AppendDay appends the UTC date of unix as yyyy/MM/dd, the text of the
// timestamp column.
func AppendDay(dst []byte, unix int64) []byte {
	y, m, d := time.Unix(unix, 0).UTC().Date()
	dst = strconv.AppendInt(dst, int64(y), 10)
	return append(dst, '/', byte('0'+m/10), byte('0'+m%10), '/', byte('0'+d/10), byte('0'+d%10))
}

// AppendDate appends the UTC date of unix as yyyy-MM-dd, the text of the
// partition column dt over log objects.
func AppendDate(dst []byte, unix int64) []byte {
	dst = AppendDay(dst, unix)
	dst[len(dst)-3], dst[len(dst)-6] = '-', '-'
	return dst
}

// PartitionSpan returns the request times, in Unix seconds, that a value
// of the partition column dt holds: a day (yyyy-MM-dd) or an hour
// (yyyy-MM-dd-HH, convert --partition hour). ok is false for any other
// value.
func PartitionSpan(v string) (lo, hi int64, ok bool) {
	layout, span := "2006-01-02", int64(86400)
	if len(v) == 13 {
		layout, span = "2006-01-02-15", 3600
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return 0, 0, false
	}
	return t.Unix(), t.Unix() + span - 1, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
