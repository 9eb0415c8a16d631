package query

import (
	"slices"
	"testing"
)

// TestRelativeLines: a query that reads log_line has its line numbers
// during the scan (the pipeline counts a chunk's lines first); one that
// does not lets the pipeline scan first (pipeline.RelativeLines). Either
// way the answer over many small blocks and workers is that of one
// serial scan of the whole text.
func TestRelativeLines(t *testing.T) {
	_, data := fixture(t, 19, 3, 700)
	for _, c := range []struct {
		sql      string
		relative bool
	}{
		{"SELECT log_line, requestid FROM logs", false},
		{"SELECT requestid FROM logs WHERE log_line % 7 = 3", false},
		{"SELECT max(log_line), requester FROM logs GROUP BY requester", false},
		{"SELECT * FROM logs WHERE httpstatus >= 400", true}, // * leaves the derived columns out
		{"SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv", true},
		{"SELECT key, requestid FROM logs WHERE operation LIKE '%DELETE%'", true},
	} {
		p, err := Compile(c.sql, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if p.root == nil {
			if got := p.newRun(&capture{}, RunOptions{}, 1, false).RelativeLines(); got != c.relative {
				t.Errorf("%s: RelativeLines %v, want %v", c.sql, got, c.relative)
			}
		}
		want := &capture{}
		if err := runBlock(p, data, want); err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{2, 5} {
			got, _ := runQuery(t, c.sql, data, workers, Options{})
			if a, b := sortedRows(got), sortedRows(want); len(b) == 0 || !slices.Equal(a, b) {
				t.Errorf("%s, %d workers: %d rows differ from the serial scan's %d", c.sql, workers, len(a), len(b))
			}
		}
	}
}
