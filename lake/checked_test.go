package lake

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// lakeFunc is a consumer of converted output whose parts hand each unit's
// Records to the function.
type lakeFunc func(rs *Records) error

type lakeFuncPart struct{ f lakeFunc }

func (f lakeFunc) NewPart(int, *pipeline.Object, bool) pipeline.Part { return lakeFuncPart{f} }
func (f lakeFunc) Commit(int, pipeline.Part) error                   { return nil }
func (f lakeFunc) Drop(pipeline.Part)                                {}
func (p lakeFuncPart) Records(*parse.Scanner) error                  { return nil }
func (p lakeFuncPart) EndChunk(int64, int64, int) error              { return nil }
func (p lakeFuncPart) LakeRecords(rs *Records) error                 { return p.f(rs) }

// checkedCons records, for each unit, which scan filters Records.Checked
// reports, and the records handed on.
type checkedCons struct {
	mu      sync.Mutex
	checked map[string]bool // fmt of the Checked results of each unit
	recs    []checkedRec
}

type checkedRec struct {
	bytes, status int64
	bytesOK       bool
	unix          int64
	op, key       string
	keyOK         bool
}

func (c *checkedCons) unit(rs *Records) error {
	var got []bool
	for k := range 7 {
		got = append(got, rs.Checked(k))
	}
	var recs []checkedRec
	for rs.Scan() {
		r := rs.Record()
		b, ok := r.Int(parse.BytesSent)
		s, _ := r.Int(parse.HTTPStatus)
		op, _ := r.Value(parse.Operation)
		key, keyOK := r.Value(parse.Key)
		recs = append(recs, checkedRec{bytes: b, bytesOK: ok, status: s, unix: r.Unix(), op: string(op), key: string(key), keyOK: keyOK})
	}
	c.mu.Lock()
	c.checked[fmt.Sprint(got)] = true
	c.recs = append(c.recs, recs...)
	c.mu.Unlock()
	return nil
}

// TestChecked checks which filters Records.Checked reports (ranges on
// integer and time columns, two on one column merged, with the window's
// too; equality and LIKE on string columns; not equality with an integer
// column's text) and that every record handed on passes those, read
// through the record's own accessors.
func TestChecked(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 3, Objects: 20, LinesPerObject: 400})
	col := func(name string) int {
		i, ok := schema.Lookup(name)
		if !ok {
			t.Fatal(name)
		}
		return i
	}
	from := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	to := from.Add(36 * time.Hour)
	scan := Scan{Filters: []Filter{
		{Column: col("bytessent"), Op: OpRange, Lo: 100, Hi: 1 << 40},
		{Column: col("operation"), Op: OpEqual, Values: [][]byte{[]byte("REST.GET.OBJECT"), []byte("REST.PUT.OBJECT")}},
		{Column: col("httpstatus"), Op: OpRange, Lo: 200, Hi: 299},
		{Column: col("bytessent"), Op: OpRange, Lo: -5, Hi: 5 << 20},
		{Column: col("requestdatetime"), Op: OpRange, Lo: from.Unix(), Hi: to.Unix()},
		{Column: col("key"), Op: OpLike, Match: func(b []byte) bool { return bytes.Contains(b, []byte("/")) }},
		{Column: col("httpstatus"), Op: OpEqual, Values: [][]byte{[]byte("200"), []byte("206"), []byte("0200")}},
	}}
	for _, tc := range []struct {
		name string
		opts convert.Options
	}{
		{"parquet", convert.Options{RowGroupRows: 300}},
		{"arrow", convert.Options{Format: sink.Arrow, RowGroupRows: 300}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			convertTo(t, logs, out, tc.opts)
			c := &checkedCons{checked: map[string]bool{}}
			cfg := pipeline.Config{Window: pipeline.Window{From: from.Add(-time.Hour), To: to.Add(time.Hour)}}
			if _, err := Run(context.Background(), cfg, []string{out}, lakeFunc(c.unit), scan); err != nil {
				t.Fatal(err)
			}
			if want := "[true true true true true true false]"; len(c.checked) != 1 || !c.checked[want] {
				t.Errorf("Checked per unit: %v, want only %s", c.checked, want)
			}
			if len(c.recs) < 50 {
				t.Fatalf("only %d records", len(c.recs))
			}
			for _, r := range c.recs {
				if !r.bytesOK || r.bytes < 100 || r.bytes > 5<<20 || r.status < 200 || r.status > 299 || r.unix < from.Unix() || r.unix > to.Unix() ||
					r.op != "REST.GET.OBJECT" && r.op != "REST.PUT.OBJECT" || !r.keyOK || !strings.Contains(r.key, "/") {
					t.Fatalf("record handed on fails a checked filter: %+v", r)
				}
			}
		})
	}
}

func TestMergeRangesImplies(t *testing.T) {
	fs := []Filter{
		{Column: 1, Op: OpRange, Lo: 0, Hi: 10},
		{Column: 2, Op: OpEqual},
		{Column: 1, Op: OpRange, Lo: 5, Hi: 20},
		{Column: 3, Op: OpRange, Lo: 1, Hi: 2},
		{Column: 1, Op: OpRange, Lo: -1, Hi: 30}, // the window: not the scan's
	}
	out, implies := mergeRanges(fs, 4)
	if len(out) != 3 || out[0].Lo != 5 || out[0].Hi != 10 {
		t.Fatalf("merged %+v", out)
	}
	if got := fmt.Sprint(implies); got != "[[0 2] [1] [3]]" {
		t.Errorf("implies %s, want [[0 2] [1] [3]]", got)
	}
}

// TestDigits compares digits with strconv.
func TestDigits(t *testing.T) {
	var b [20]byte
	vals := []int64{0, 1, 9, 10, 99, 100, 101, 999, 1000, -1, -9, -10, -100, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		vals = append(vals, int64(rng.Uint64())>>rng.IntN(64))
	}
	for _, v := range vals {
		if got, want := string(digits(&b, v)), strconv.FormatInt(v, 10); got != want {
			t.Fatalf("digits(%d) = %q, want %q", v, got, want)
		}
	}
}

// TestSelectiveReadsAsText reads every column of the rows a selective
// filter passes (few in each batch, so the other columns are read only at
// those rows) and checks them against the records parsed from the text
// that pass the same test.
func TestSelectiveReadsAsText(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 11, Objects: 12, LinesPerObject: 500, TrapRate: 0.05})
	text := newCollector()
	if _, err := pipeline.Run(context.Background(), pipeline.Config{}, []string{logs}, text); err != nil {
		t.Fatal(err)
	}
	op, _ := schema.Lookup("operation")
	const value = "REST.DELETE.OBJECT"
	want := map[string]string{}
	for k, v := range text.rows {
		if field(v, op) == value {
			want[k] = v
		}
	}
	if len(want) < 20 || len(want)*8 > len(text.rows) {
		t.Fatalf("%d of %d records pass: not a selective filter", len(want), len(text.rows))
	}
	for _, opts := range []convert.Options{{RowGroupRows: 2000}, {PartitionBy: convert.None}} {
		out := filepath.Join(dir, fmt.Sprintf("lake-%d-%d", opts.RowGroupRows, opts.PartitionBy))
		convertTo(t, logs, out, opts)
		lake := newCollector()
		scan := Scan{TimeText: true, Filters: []Filter{{Column: op, Op: OpEqual, Values: [][]byte{[]byte(value)}}}}
		if _, err := Run(context.Background(), pipeline.Config{}, []string{out}, lake, scan); err != nil {
			t.Fatal(err)
		}
		sameRows(t, out, lake.rows, want)
	}
}

// typedCons compares, for every record, what Records.Int and
// Records.Unix read from the columns with what the assembled record's
// Int and Unix read from its text.
type typedCons struct {
	mu              sync.Mutex
	typed, negative int
	errs            []string
}

var intFields = [...]parse.Field{parse.HTTPStatus, parse.BytesSent, parse.ObjectSize, parse.TotalTime, parse.TurnAroundTime}

func (c *typedCons) unit(rs *Records) error {
	var typed, negative int
	var errs []string
	for _, f := range intFields {
		if !rs.HoldsInt(f) {
			errs = append(errs, fmt.Sprintf("%s not held as integers", f))
		}
	}
	if !rs.HoldsTime() {
		errs = append(errs, "no request time")
	}
	for rs.Next() {
		type got struct {
			v  int64
			ok bool
		}
		var ints [len(intFields)]got
		for k, f := range intFields {
			v, ok := rs.Int(f)
			ints[k] = got{v, ok}
		}
		u := rs.Unix()
		rs.Assemble()
		r := rs.Record()
		for k, f := range intFields {
			g := ints[k]
			typed++
			if b, ok := r.Value(f); ok && b[0] == '-' {
				negative++
			}
			if v, ok := r.Int(f); v != g.v || ok != g.ok {
				errs = append(errs, fmt.Sprintf("%s: Records.Int %d %v, Record.Int %d %v", f, g.v, g.ok, v, ok))
			}
		}
		if u != r.Unix() {
			errs = append(errs, fmt.Sprintf("Records.Unix %d, Record.Unix %d", u, r.Unix()))
		}
	}
	c.mu.Lock()
	c.typed += typed
	c.negative += negative
	c.errs = append(c.errs, errs...)
	c.mu.Unlock()
	return nil
}

// TestRecordsTyped checks that the values Records.Int and Records.Unix
// read without assembling a record are those the assembled record's
// accessors read from its text, over convert's output (Parquet and Arrow,
// NULLs included) and another engine's typed Parquet with negative
// integers (their text is not a count: NULL to Record.Int).
func TestRecordsTyped(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 5, Objects: 10, LinesPerObject: 300, TrapRate: 0.05})
	objs, err := gen.All(gen.Config{Seed: 6, Objects: 3, LinesPerObject: 200, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	var rows []typedRow
	for _, o := range objs {
		for i := range o.Records {
			r := &o.Records[i]
			s := func(f parse.Field) *string { return opt(r, f) }
			row := typedRow{Bucket: s(parse.Bucket), RequestTime: r.Time.UTC(), Operation: s(parse.Operation), Key: s(parse.Key),
				HTTPStatus: optInt[int32](r, parse.HTTPStatus), BytesSent: optInt[int64](r, parse.BytesSent),
				ObjectSize: optInt[int64](r, parse.ObjectSize), TotalTime: optInt[int64](r, parse.TotalTime)}
			if i%3 == 0 && row.BytesSent != nil {
				n := -*row.BytesSent - 1
				row.BytesSent = &n
			}
			rows = append(rows, row)
		}
	}
	foreign := filepath.Join(dir, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	writeParquet(t, filepath.Join(foreign, "typed.parquet"), rows)
	for _, tc := range []struct {
		name     string
		opts     *convert.Options
		negative bool
	}{
		{"parquet", &convert.Options{RowGroupRows: 500}, false},
		{"arrow", &convert.Options{Format: sink.Arrow, RowGroupRows: 500}, false},
		{"foreign", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := foreign
			if tc.opts != nil {
				src = filepath.Join(dir, tc.name)
				convertTo(t, logs, src, *tc.opts)
			}
			c := &typedCons{}
			used := make([]bool, len(schema.Columns))
			for _, n := range []string{"httpstatus", "bytessent", "objectsize", "totaltime", "turnaroundtime", "requestdatetime", "operation"} {
				i, ok := schema.Lookup(n)
				if !ok {
					t.Fatal(n)
				}
				used[i] = true
			}
			if _, err := Run(context.Background(), pipeline.Config{}, []string{src}, lakeFunc(c.unit), Scan{Columns: used}); err != nil {
				t.Fatal(err)
			}
			for _, e := range c.errs[:min(len(c.errs), 10)] {
				t.Error(e)
			}
			if c.typed < 1000 {
				t.Errorf("only %d values read typed", c.typed)
			}
			if tc.negative && c.negative < 100 {
				t.Errorf("only %d negative values", c.negative)
			}
		})
	}
}

// TestColumnsReadWhenAsked checks that the columns no filter reads are
// read only when a record asks for them: a unit whose records are only
// counted (Next) opens no such column; AssembleGroup opens the group's
// alone; Assemble every column; and what each reads is the same.
func TestColumnsReadWhenAsked(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 8, Objects: 6, LinesPerObject: 300})
	out := filepath.Join(dir, "lake")
	convertTo(t, logs, out, convert.Options{RowGroupRows: 500})
	used := make([]bool, len(schema.Columns))
	for _, n := range []string{"remoteip", "bytessent", "requestdatetime", "operation"} {
		i, _ := schema.Lookup(n)
		used[i] = true
	}
	op, _ := schema.Lookup("operation")
	ip, _ := schema.Lookup("remoteip")
	scan := Scan{Columns: used, Group: []int{ip}, Filters: []Filter{{Column: op, Op: OpLike, Match: func(b []byte) bool { return bytes.HasPrefix(b, []byte("REST.")) }}}}
	opened := func(rs *Records) (n int) {
		for _, sl := range rs.src.(*parquetSource).slots {
			if sl.opened() {
				n++
			}
		}
		return n
	}
	var mu sync.Mutex
	var errs []string
	var present atomic.Int64
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	count := func(rs *Records) error {
		for rs.Next() {
		}
		if n := opened(rs); n != 1 {
			fail("Next alone: %d columns opened, want the filter's", n)
		}
		return nil
	}
	group := func(rs *Records) error {
		for rs.Next() {
			rs.AssembleGroup()
			r := rs.Record()
			if _, ok := r.Int(parse.BytesSent); ok {
				fail("AssembleGroup set bytessent")
			}
		}
		if n := opened(rs); n != 2 {
			fail("AssembleGroup: %d columns opened, want the filter's and the key's", n)
		}
		return nil
	}
	all := func(rs *Records) error {
		for rs.Next() {
			rs.AssembleGroup()
			g, gok := rs.Record().Value(parse.RemoteIP)
			g = append([]byte(nil), g...)
			v, ok := rs.Int(parse.BytesSent)
			rs.Assemble()
			r := rs.Record()
			if w, wok := r.Int(parse.BytesSent); v != w || ok != wok {
				fail("Records.Int %d %v, Record.Int %d %v", v, ok, w, wok)
			}
			if w, wok := r.Value(parse.RemoteIP); !bytes.Equal(g, w) || gok != wok {
				fail("AssembleGroup's remoteip %q %v, Assemble's %q %v", g, gok, w, wok)
			}
			if gok {
				present.Add(1)
			}
		}
		if n := opened(rs); n != 4 {
			fail("Assemble: %d columns opened, want 4", n)
		}
		return nil
	}
	for _, f := range []lakeFunc{count, group, all} {
		if _, err := Run(context.Background(), pipeline.Config{}, []string{out}, f, scan); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range errs[:min(len(errs), 10)] {
		t.Error(e)
	}
	if present.Load() < 1000 {
		t.Errorf("only %d records with a remote IP", present.Load())
	}
}
