package conformance

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A Query is one entry of the suite: a published query and its oracle.
type Query struct {
	ID     string // short unique name, used as the subtest name
	Source string // where it was published: a URL, or repository and path
	Note   string // what was changed from the published text, and why
	// SQL is the query as s3logs runs it: the published text with only
	// literals changed.
	SQL string
	// DuckDB is the hand-written translation run by the oracle. When the
	// query has a LIMIT, the translation leaves it out (see Limit).
	DuckDB string
	// Order names the output columns (by name or 1-based position) that the
	// query's ORDER BY sorts on, in order. Empty means the row order is not
	// fixed and the answers compare as multisets.
	Order []string
	// Limit is the query's LIMIT (0: none). The oracle computes the whole
	// answer, so that rows tied at the cut can be told from wrong ones.
	Limit int
	Line  int // line of the entry in the data file
}

// NeedsNow reports whether the query reads the clock (current_date,
// current_timestamp, localtimestamp, now()), so that it must run with a
// fixed --now.
func (q *Query) NeedsNow() bool { return clockRE.MatchString(q.SQL) }

var clockRE = regexp.MustCompile(`(?i)\b(current_date|current_timestamp|localtimestamp|now\s*\()`)

// ParseQueries reads the suite's data file. Each entry is
//
//	=== id
//	source: where it was published
//	note: what was changed
//	order: col, col        (optional)
//	limit: N               (optional)
//	--- s3logs
//	the query, any number of lines
//	--- duckdb
//	the translation, any number of lines
//
// Lines before the first entry that start with # are comments. Header
// lines may repeat (note: twice appends). Every field but order and limit
// is required; ids are unique.
func ParseQueries(r io.Reader) ([]Query, error) {
	var qs []Query
	var cur *Query
	section := "" // "", "header", "s3logs", "duckdb"
	var sql, duck strings.Builder
	seen := map[string]bool{}
	finish := func() error {
		if cur == nil {
			return nil
		}
		cur.SQL = strings.TrimSpace(sql.String())
		cur.DuckDB = strings.TrimSpace(duck.String())
		switch {
		case cur.Source == "":
			return fmt.Errorf("line %d: %s: no source", cur.Line, cur.ID)
		case cur.Note == "":
			return fmt.Errorf("line %d: %s: no note", cur.Line, cur.ID)
		case cur.SQL == "" || cur.DuckDB == "":
			return fmt.Errorf("line %d: %s: needs both --- s3logs and --- duckdb", cur.Line, cur.ID)
		}
		qs = append(qs, *cur)
		sql.Reset()
		duck.Reset()
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			if err := finish(); err != nil {
				return nil, err
			}
			id := strings.TrimSpace(line[4:])
			if id == "" || strings.ContainsAny(id, " \t/") {
				return nil, fmt.Errorf("line %d: bad id %q", n, id)
			}
			if seen[id] {
				return nil, fmt.Errorf("line %d: duplicate id %q", n, id)
			}
			seen[id] = true
			cur = &Query{ID: id, Line: n}
			section = "header"
			continue
		case line == "--- s3logs" || line == "--- duckdb":
			if cur == nil {
				return nil, fmt.Errorf("line %d: %s outside an entry", n, line)
			}
			section = line[4:]
			continue
		}
		switch section {
		case "":
			if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
				return nil, fmt.Errorf("line %d: text before the first entry", n)
			}
		case "header":
			if strings.TrimSpace(line) == "" {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: %s: want key: value, got %q", n, cur.ID, line)
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "source":
				cur.Source = join(cur.Source, v)
			case "note":
				cur.Note = join(cur.Note, v)
			case "order":
				for _, c := range strings.Split(v, ",") {
					if c = strings.TrimSpace(c); c != "" {
						cur.Order = append(cur.Order, c)
					}
				}
			case "limit":
				l, err := strconv.Atoi(v)
				if err != nil || l <= 0 {
					return nil, fmt.Errorf("line %d: %s: bad limit %q", n, cur.ID, v)
				}
				cur.Limit = l
			default:
				return nil, fmt.Errorf("line %d: %s: unknown field %q", n, cur.ID, k)
			}
		case "s3logs":
			sql.WriteString(line)
			sql.WriteByte('\n')
		case "duckdb":
			duck.WriteString(line)
			duck.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return qs, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// A Result is an answer as text: column names and rows, NULL as "".
// (CSV cannot tell NULL from the empty string, so neither side does.)
type Result struct {
	Cols []string
	Rows [][]string
	// Float marks the columns whose values are doubles; they compare to
	// ten significant digits, since summation order may change the last
	// bits. Set on the oracle's result; Compare uses the oracle's.
	Float []bool
}

// Compare compares got (s3logs) with want (the oracle's whole answer)
// under the query's order and limit, and returns a description of the
// differences, or "" when they agree:
//   - no order: the rows compare as multisets; with a limit, got must hold
//     min(limit, len(want)) rows, each from want.
//   - order: position by position, the sort-key values must be those of
//     want; rows with equal keys compare as multisets; the run of equal
//     keys cut by the limit need only hold rows of want's run.
func Compare(got, want Result, order []string, limit int) string {
	if len(got.Cols) != len(want.Cols) {
		return fmt.Sprintf("s3logs printed %d columns %q, DuckDB %d %q", len(got.Cols), got.Cols, len(want.Cols), want.Cols)
	}
	g, w := canon(got.Rows, want.Float), canon(want.Rows, want.Float)
	n := len(w)
	if limit > 0 && limit < n {
		n = limit
	}
	if len(order) == 0 {
		if limit == 0 {
			return multisetDiff(g, w, false)
		}
		if len(g) != n {
			return fmt.Sprintf("s3logs printed %d rows, want %d (LIMIT %d of %d)%s", len(g), n, limit, len(w), sample(g, w))
		}
		return multisetDiff(g, w, true)
	}
	keys, err := keyColumns(order, got.Cols, want.Cols)
	if err != nil {
		return err.Error()
	}
	if len(g) != n {
		return fmt.Sprintf("s3logs printed %d rows, want %d%s", len(g), n, sample(g, w))
	}
	key := func(r []string) string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = r[k]
		}
		return strings.Join(parts, "\x1f")
	}
	for i := range g {
		if key(g[i]) != key(w[i]) {
			return fmt.Sprintf("row %d: s3logs sort key (%s) %q, want %q\n  s3logs: %s\n  DuckDB: %s",
				i+1, strings.Join(order, ", "), key(g[i]), key(w[i]), rowText(g[i]), rowText(w[i]))
		}
	}
	// Runs of equal keys.
	for i := 0; i < n; {
		j := i
		for j < len(w) && key(w[j]) == key(w[i]) {
			j++
		}
		end := min(j, n)
		if d := multisetDiff(g[i:end], w[i:j], end < j); d != "" {
			return fmt.Sprintf("rows %d..%d (sort key %q): %s", i+1, end, key(w[i]), d)
		}
		i = end
	}
	return ""
}

func keyColumns(order, gotCols, wantCols []string) ([]int, error) {
	var keys []int
	for _, o := range order {
		if p, err := strconv.Atoi(o); err == nil {
			if p < 1 || p > len(wantCols) {
				return nil, fmt.Errorf("order column %d out of range", p)
			}
			keys = append(keys, p-1)
			continue
		}
		k := -1
		for i, c := range wantCols {
			if strings.EqualFold(c, o) {
				k = i
				break
			}
		}
		if k < 0 {
			return nil, fmt.Errorf("order column %q is not in the DuckDB answer %q", o, wantCols)
		}
		if !strings.EqualFold(gotCols[k], o) {
			return nil, fmt.Errorf("order column %q: s3logs names column %d %q", o, k+1, gotCols[k])
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// canon returns the rows with float columns in a canonical form.
func canon(rows [][]string, float []bool) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		c := append([]string(nil), r...)
		for j := range c {
			if j < len(float) && float[j] && c[j] != "" {
				if f, err := strconv.ParseFloat(c[j], 64); err == nil {
					c[j] = strconv.FormatFloat(f, 'g', 10, 64)
				}
			}
		}
		out[i] = c
	}
	return out
}

func rowText(r []string) string {
	parts := make([]string, len(r))
	for i, v := range r {
		if v == "" {
			parts[i] = "∅"
		} else {
			parts[i] = v
		}
	}
	return strings.Join(parts, " | ")
}

// multisetDiff compares rows as multisets; subset only requires every row
// of got to be in want.
func multisetDiff(got, want [][]string, subset bool) string {
	count := map[string]int{}
	for _, r := range want {
		count[rowText(r)]++
	}
	var extra, missing []string
	for _, r := range got {
		t := rowText(r)
		if count[t] > 0 {
			count[t]--
		} else {
			extra = append(extra, t)
		}
	}
	if !subset {
		for _, r := range want {
			t := rowText(r)
			if count[t] > 0 {
				count[t]--
				missing = append(missing, t)
			}
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return ""
	}
	sort.Strings(extra)
	sort.Strings(missing)
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows from s3logs, %d from DuckDB; %d only in s3logs, %d only in DuckDB", len(got), len(want), len(extra), len(missing))
	show := func(what string, rows []string) {
		for i, r := range rows {
			if i == 6 {
				fmt.Fprintf(&b, "\n  … %d more", len(rows)-i)
				break
			}
			fmt.Fprintf(&b, "\n  only %s: %s", what, r)
		}
	}
	show("s3logs", extra)
	show("DuckDB", missing)
	return b.String()
}

// sample shows the first rows of both answers.
func sample(got, want [][]string) string {
	var b strings.Builder
	for i := 0; i < 3 && i < max(len(got), len(want)); i++ {
		if i < len(got) {
			fmt.Fprintf(&b, "\n  s3logs row %d: %s", i+1, rowText(got[i]))
		}
		if i < len(want) {
			fmt.Fprintf(&b, "\n  DuckDB row %d: %s", i+1, rowText(want[i]))
		}
	}
	return b.String()
}
