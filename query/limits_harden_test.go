package query

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// runLimited runs sql over data with MaxGroups max and returns the rows
// (as text) or the error.
func runLimited(t *testing.T, sql string, data []byte, workers int, max int64) ([][]string, error) {
	t.Helper()
	p, err := Compile(sql, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	_, err = p.Run(context.Background(), pipelineConfig(data, workers), []string{"-"}, c, RunOptions{MaxGroups: max})
	return c.rows, err
}

// TestMaxGroups: a query whose groups, DISTINCT values or rows to sort
// exceed RunOptions.MaxGroups fails with ErrTooManyGroups and a message
// saying what to do, instead of growing until the OS kills it; at the
// limit it answers exactly.
func TestMaxGroups(t *testing.T) {
	recs, data := fixture(t, 21, 4, 500)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.RequestID] = true
	}
	d := int64(len(ids))
	if d < 100 {
		t.Fatalf("only %d distinct request ids", d)
	}
	fails := func(sql string, workers int, max int64, msg string) {
		t.Helper()
		rows, err := runLimited(t, sql, data, workers, max)
		if !errors.Is(err, ErrTooManyGroups) || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), strconv.FormatInt(max, 10)) || len(rows) != 0 {
			t.Errorf("%s with MaxGroups %d: %d rows, err %v; want ErrTooManyGroups naming %q and the limit", sql, max, len(rows), err, msg)
		}
	}
	// One worker counts each group once: the limit is exact.
	groupBy := "SELECT requestid, count(*) FROM t GROUP BY requestid"
	fails(groupBy, 1, d-1, "groups")
	fails(groupBy, 2, d/3, "groups")
	if rows, err := runLimited(t, groupBy, data, 1, d); err != nil || int64(len(rows)) != d {
		t.Errorf("GROUP BY at the limit: %d rows, %v; want %d", len(rows), err, d)
	}
	if rows, err := runLimited(t, groupBy, data, 2, -1); err != nil || int64(len(rows)) != d {
		t.Errorf("GROUP BY without limit: %d rows, %v; want %d", len(rows), err, d)
	}
	// DISTINCT values count too.
	distinct := "SELECT count(DISTINCT requestid) FROM t"
	fails(distinct, 1, d-1, "DISTINCT")
	if rows, err := runLimited(t, distinct, data, 1, d+1); err != nil || len(rows) != 1 || rows[0][0] != strconv.FormatInt(d, 10) {
		t.Errorf("count(DISTINCT) within the limit: %v, %v; want %d", rows, err, d)
	}
	// ORDER BY without LIMIT holds every row; with a small LIMIT it does not.
	fails("SELECT requestid FROM t ORDER BY requestid", 2, int64(len(recs))/2, "ORDER BY")
	sorted := slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	rows, err := runLimited(t, "SELECT DISTINCT requestid FROM t ORDER BY requestid LIMIT 3", data, 2, -1)
	if err != nil || len(rows) != 3 || rows[0][0] != sorted[0] || rows[2][0] != sorted[2] {
		t.Errorf("DISTINCT ORDER BY LIMIT: %v, %v; want %v", rows, err, sorted[:3])
	}
	rows, err = runLimited(t, "SELECT requestid FROM t ORDER BY requestid LIMIT 3", data, 2, 2*(2*3+1024)+1)
	if err != nil || len(rows) != 3 || rows[0][0] != sorted[0] {
		t.Errorf("ORDER BY LIMIT within the limit: %v, %v", rows, err)
	}
}
