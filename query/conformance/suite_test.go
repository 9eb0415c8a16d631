package conformance

import (
	"context"
	"strings"
	"testing"
)

func res(cols string, rows ...string) Result {
	r := Result{Cols: strings.Split(cols, ",")}
	for _, row := range rows {
		r.Rows = append(r.Rows, strings.Split(row, ","))
	}
	return r
}

func TestCompare(t *testing.T) {
	f := func(name string, got, want Result, order []string, limit int, wantDiff string) {
		t.Helper()
		d := Compare(got, want, order, limit)
		if wantDiff == "" && d != "" || wantDiff != "" && !strings.Contains(d, wantDiff) {
			t.Errorf("%s: Compare = %q, want %q", name, d, wantDiff)
		}
	}
	ab := res("a,b", "x,1", "y,2", "y,2")
	f("multiset, any order", res("a,b", "y,2", "x,1", "y,2"), ab, nil, 0, "")
	f("multiset counts duplicates", res("a,b", "y,2", "x,1"), ab, nil, 0, "only DuckDB: y | 2")
	f("extra row", res("a,b", "y,2", "x,1", "y,2", "z,3"), ab, nil, 0, "only s3logs: z | 3")
	f("NULL shown", res("a,b", ",1"), res("a,b", "x,1"), nil, 0, "only s3logs: ∅ | 1")
	f("column count", res("a", "x"), ab, nil, 0, "1 columns")

	// Floats compare to ten significant digits.
	fl := res("v", "0.30000000000000004")
	fl.Float = []bool{true}
	f("float digits", res("v", "0.3"), fl, nil, 0, "")
	fl2 := res("v", "0.31")
	fl2.Float = []bool{true}
	f("float differs", res("v", "0.3"), fl2, nil, 0, "only DuckDB")

	// LIMIT without ORDER BY: any rows of the answer, as many as asked.
	f("limit subset", res("a,b", "y,2"), ab, nil, 1, "")
	f("limit count", res("a,b", "y,2"), ab, nil, 2, "printed 1 rows, want 2")
	f("limit foreign row", res("a,b", "q,9"), ab, nil, 1, "only s3logs: q | 9")

	// ORDER BY: keys in order, ties as multisets, the cut run a subset.
	n := res("k,n", "a,3", "b,2", "c,2", "d,1")
	f("order exact", res("k,n", "a,3", "b,2", "c,2", "d,1"), n, []string{"n"}, 0, "")
	f("order ties swapped", res("k,n", "a,3", "c,2", "b,2", "d,1"), n, []string{"n"}, 0, "")
	f("order wrong", res("k,n", "b,2", "a,3", "c,2", "d,1"), n, []string{"n"}, 0, "row 1: s3logs sort key")
	f("order ascending by mistake", res("k,n", "d,1", "b,2", "c,2", "a,3"), n, []string{"n"}, 0, "row 1")
	f("order tie member wrong", res("k,n", "a,3", "b,2", "x,2", "d,1"), n, []string{"n"}, 0, "only s3logs: x | 2")
	f("top-n cut in a tie", res("k,n", "a,3", "c,2"), n, []string{"n"}, 2, "")
	f("top-n cut wrong member", res("k,n", "a,3", "d,2"), n, []string{"n"}, 2, "only s3logs: d | 2")
	f("top-n too few", res("k,n", "a,3"), n, []string{"n"}, 2, "printed 1 rows, want 2")
	f("order by position", res("k,n", "a,3", "c,2", "b,2", "d,1"), n, []string{"2"}, 0, "")
	f("order name mismatch", res("k,m", "a,3", "b,2", "c,2", "d,1"), n, []string{"n"}, 0, `s3logs names column 2 "m"`)
}

func TestParseQueries(t *testing.T) {
	good := `# comment
=== one
source: somewhere
note: nothing
note: changed
order: a, b
limit: 5
--- s3logs
SELECT 1
  FROM x
--- duckdb
SELECT 1
=== two
source: s
note: n
--- s3logs
SELECT current_timestamp
--- duckdb
SELECT 2
`
	qs, err := ParseQueries(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].ID != "one" || qs[0].SQL != "SELECT 1\n  FROM x" || qs[0].DuckDB != "SELECT 1" ||
		qs[0].Note != "nothing changed" || strings.Join(qs[0].Order, "|") != "a|b" || qs[0].Limit != 5 || qs[1].Line != 13 {
		t.Fatalf("ParseQueries = %+v", qs)
	}
	if qs[0].NeedsNow() || !qs[1].NeedsNow() {
		t.Errorf("NeedsNow: %v %v", qs[0].NeedsNow(), qs[1].NeedsNow())
	}
	for _, bad := range []string{
		"junk\n=== a\n",
		"=== a\nnote: n\n--- s3logs\nS\n--- duckdb\nD\n", // no source
		"=== a\nsource: s\nnote: n\n--- s3logs\nS\n",     // no duckdb
		"=== a\nsource: s\nnote: n\nlimit: x\n--- s3logs\nS\n--- duckdb\nD\n",
		"=== a\nsource: s\nnote: n\nfoo: 1\n--- s3logs\nS\n--- duckdb\nD\n",
		"=== a\nsource: s\nnote: n\n--- s3logs\nS\n--- duckdb\nD\n=== a\nsource: s\nnote: n\n--- s3logs\nS\n--- duckdb\nD\n",
	} {
		if _, err := ParseQueries(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseQueries(%q) accepted it", bad)
		}
	}
}

// TestOracleDecimal checks the DECIMAL macros against values worked out by
// hand from Trino's rules (scale max(xs, ys), quotient rounded half up).
func TestOracleDecimal(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ sql, want string }{
		{"SELECT trino_decimal(trino_div(1610612736::BIGINT * 10, 1073741824), 1)", "1.5"}, // exactly 1.5
		{"SELECT trino_decimal(trino_div(1342177280::BIGINT * 10, 1073741824), 1)", "1.3"}, // 1.25 rounds half up
		{"SELECT trino_decimal(trino_div(-1342177280::BIGINT * 10, 1073741824), 1)", "-1.3"},
		{"SELECT trino_decimal(trino_div(100 * 10, 1073741824), 1)", "0.0"},
		{"SELECT trino_decimal(7 * 9, 2)", "0.63"},
		{"SELECT trino_decimal(123456, 0)", "123456"},
		{"SELECT trino_decimal(5, 3)", "0.005"},
		{"SELECT trino_regexp_extract('abc', 'x(.)', 1)", ""},
		{"SELECT trino_regexp_extract('axc', 'x(.)', 1)", "c"},
	} {
		r, err := suite.oracle.Query(ctx, c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if len(r.Rows) != 1 || r.Rows[0][0] != c.want {
			t.Errorf("%s = %q, want %q", c.sql, r.Rows, c.want)
		}
	}
}
