package lake

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// TestFiltersReadAsText reads a lake of small row groups (many batches
// and units, each worker's buffers and dictionaries reused from unit to
// unit) with filters that select a few rows of each batch (the other
// columns read only at those rows), none of most batches, every row, rows
// of columns with NULLs (by their definition levels and as "-"), and two
// filters on one batch; every column is read, the filter columns too. The
// records handed on must be exactly those parsed from the text whose
// values pass the same tests.
func TestFiltersReadAsText(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 17, Objects: 16, LinesPerObject: 500, TrapRate: 0.05})
	text := newCollector()
	if _, err := pipeline.Run(context.Background(), pipeline.Config{}, []string{logs}, text); err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		i, ok := schema.Lookup(name)
		if !ok {
			t.Fatalf("no column %s", name)
		}
		return i
	}
	op, key, req, ec := col("operation"), col("key"), col("requester"), col("errorcode")
	// A rare requester: one with few records.
	counts := map[string]int{}
	for _, v := range text.rows {
		counts[field(v, req)]++
	}
	rare := ""
	for r, n := range counts {
		if r != "NULL" && n >= 3 && n <= 40 && (rare == "" || r < rare) {
			rare = r
		}
	}
	if rare == "" {
		t.Fatal("no rare requester")
	}
	out := filepath.Join(dir, "lake")
	convertTo(t, logs, out, convert.Options{RowGroupRows: 1500})
	contains := func(s string) func([]byte) bool {
		return func(v []byte) bool { return bytes.Contains(v, []byte(s)) }
	}
	for _, tc := range []struct {
		name    string
		filters []Filter
		// keep is the same test on the text's row; min bounds the rows
		// that pass, so that the case tests what it says.
		keep     func(row string) bool
		min, max int
	}{
		{"few of each batch", []Filter{{Column: op, Op: OpLike, Match: contains("DELETE")}},
			func(r string) bool { return strings.Contains(field(r, op), "DELETE") }, 100, len(text.rows) / 8},
		{"none of most batches", []Filter{{Column: req, Op: OpEqual, Values: [][]byte{[]byte(rare)}}},
			func(r string) bool { return field(r, req) == rare }, 3, 40},
		{"every row", []Filter{{Column: op, Op: OpLike, Match: func([]byte) bool { return true }}},
			func(r string) bool { return field(r, op) != "NULL" }, len(text.rows) * 9 / 10, len(text.rows)},
		{"a column with NULLs", []Filter{{Column: key, Op: OpLike, Match: contains("/")}},
			func(r string) bool { return strings.Contains(field(r, key), "/") }, 100, len(text.rows)},
		{"NULL of a column", []Filter{{Column: key, Op: OpNull}},
			func(r string) bool { return field(r, key) == "NULL" }, 20, len(text.rows) / 2},
		{"mostly NULL, not NULL", []Filter{{Column: ec, Op: OpNotNull}},
			func(r string) bool { return field(r, ec) != "NULL" }, 20, len(text.rows) / 2},
		{"two filters", []Filter{{Column: op, Op: OpLike, Match: contains("GET")}, {Column: key, Op: OpLike, Match: contains("a")}},
			func(r string) bool {
				return strings.Contains(field(r, op), "GET") && strings.Contains(field(r, key), "a")
			}, 100, len(text.rows)},
	} {
		want := map[string]string{}
		for k, v := range text.rows {
			if tc.keep(v) {
				want[k] = v
			}
		}
		if len(want) < tc.min || len(want) > tc.max {
			t.Fatalf("%s: %d of %d records pass, want %d to %d", tc.name, len(want), len(text.rows), tc.min, tc.max)
		}
		for _, workers := range []int{1, 2} {
			lake := newCollector()
			scan := Scan{TimeText: true, Filters: tc.filters}
			if _, err := Run(context.Background(), pipeline.Config{Workers: workers}, []string{out}, lake, scan); err != nil {
				t.Fatal(err)
			}
			sameRows(t, fmt.Sprintf("%s, %d workers", tc.name, workers), lake.rows, want)
		}
	}
}
