package lake

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

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
	op            string
}

type checkedPart struct{ c *checkedCons }

func (c *checkedCons) NewPart(int, *pipeline.Object, bool) pipeline.Part { return &checkedPart{c} }
func (c *checkedCons) Commit(int, pipeline.Part) error                   { return nil }
func (c *checkedCons) Drop(pipeline.Part)                                {}
func (p *checkedPart) Records(*parse.Scanner) error                      { return nil }
func (p *checkedPart) EndChunk(int64, int64, int) error                  { return nil }

func (p *checkedPart) LakeRecords(rs *Records) error {
	var got []bool
	for k := range 5 {
		got = append(got, rs.Checked(k))
	}
	var recs []checkedRec
	for rs.Scan() {
		r := rs.Record()
		b, ok := r.Int(parse.BytesSent)
		s, _ := r.Int(parse.HTTPStatus)
		op, _ := r.Value(parse.Operation)
		recs = append(recs, checkedRec{bytes: b, bytesOK: ok, status: s, unix: r.Unix(), op: string(op)})
	}
	p.c.mu.Lock()
	p.c.checked[fmt.Sprint(got)] = true
	p.c.recs = append(p.c.recs, recs...)
	p.c.mu.Unlock()
	return nil
}

// TestChecked checks which filters Records.Checked reports (ranges on
// integer and time columns, two on one column merged, with the window's
// too; not equality) and that every record handed on passes those, read
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
			if _, err := Run(context.Background(), cfg, []string{out}, c, scan); err != nil {
				t.Fatal(err)
			}
			if want := "[true false true true true]"; len(c.checked) != 1 || !c.checked[want] {
				t.Errorf("Checked per unit: %v, want only %s", c.checked, want)
			}
			if len(c.recs) < 50 {
				t.Fatalf("only %d records", len(c.recs))
			}
			for _, r := range c.recs {
				if !r.bytesOK || r.bytes < 100 || r.bytes > 5<<20 || r.status < 200 || r.status > 299 || r.unix < from.Unix() || r.unix > to.Unix() {
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
