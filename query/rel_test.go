package query

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// The operators above the scan, tested against answers computed here from
// the generator's structured records. Every query reads the logs from
// standard input with several workers, so queries with several scans also
// test that standard input is read by each.

// rows returns a capture's rows as sorted "a|b" strings.
func sortedRows(c *capture) []string {
	return keyed(c.rows, seq(len(c.cols))...)
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if len(want) == 0 {
		t.Fatalf("%s: the expectation is empty; the fixture does not exercise it", what)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		n := min(len(got), len(want), 5)
		t.Errorf("%s: %d rows, want %d\n got %v\nwant %v", what, len(got), len(want), got[:n], want[:n])
	}
}

func intText(r *gen.Record, f parse.Field) (string, bool) {
	v, ok := r.Int(f)
	return strconv.FormatInt(v, 10), ok
}

func TestStringView(t *testing.T) {
	recs, data := fixture(t, 31, 6, 300)
	count := func(keep func(r *gen.Record) bool) string {
		n := 0
		for i := range recs {
			if keep(&recs[i]) {
				n++
			}
		}
		if n == 0 {
			t.Fatal("predicate selects nothing in the fixture")
		}
		return strconv.Itoa(n)
	}
	f := func(where, want string) {
		t.Helper()
		for _, push := range []bool{false, true} {
			c, _ := runQuery(t, "SELECT count(*) FROM logs WHERE "+where, data, 3, Options{NoPushdown: !push})
			if c.rows[0][0] != want {
				t.Errorf("WHERE %s (pushdown %v): %s, want %s", where, push, c.rows[0][0], want)
			}
		}
	}
	status := func(pred func(s string) bool) func(r *gen.Record) bool {
		return func(r *gen.Record) bool {
			s, ok := intText(r, parse.HTTPStatus)
			return ok && pred(s)
		}
	}
	f("httpstatus LIKE '5%'", count(status(func(s string) bool { return s[0] == '5' })))
	f("httpstatus = '403'", count(status(func(s string) bool { return s == "403" })))
	f("httpstatus IN ('403', '404')", count(status(func(s string) bool { return s == "403" || s == "404" })))
	f("httpstatus NOT LIKE '2%'", count(status(func(s string) bool { return s[0] != '2' })))
	f("substr(httpstatus, 1, 1) = '4'", count(status(func(s string) bool { return s[0] == '4' })))
	f("requester = '-'", count(func(r *gen.Record) bool { _, ok := r.Value(parse.Requester); return !ok }))
	f("'-' <> requester", count(func(r *gen.Record) bool { _, ok := r.Value(parse.Requester); return ok }))
	f("turnaroundtime != '-'", count(func(r *gen.Record) bool { _, ok := r.Int(parse.TurnAroundTime); return ok }))
	f("objectsize = '-'", count(func(r *gen.Record) bool { _, ok := r.Int(parse.ObjectSize); return !ok }))
	f("key IN ('-', 'x')", count(func(r *gen.Record) bool { _, ok := r.Value(parse.Key); return !ok }))
	f("bytessent LIKE '%00'", count(func(r *gen.Record) bool {
		s, ok := intText(r, parse.BytesSent)
		return ok && strings.HasSuffix(s, "00")
	}))
	day := recs[0].Time.Format("02/Jan/2006")
	f("requestdatetime LIKE '"+day+"%'", count(func(r *gen.Record) bool { return r.Time.Format("02/Jan/2006") == day }))
	f("substr(requestdatetime, 1, 11) = '"+day+"'", count(func(r *gen.Record) bool { return r.Time.Format("02/Jan/2006") == day }))
	exact := recs[5].Time.Format("02/Jan/2006:15:04:05 -0700")
	f("requestdatetime = '"+exact+"'", count(func(r *gen.Record) bool { return r.Time.Equal(recs[5].Time) }))
	f("CAST(requestdatetime AS varchar) = '"+exact+"'", count(func(r *gen.Record) bool { return r.Time.Equal(recs[5].Time) }))
	// A timestamp literal still compares as a time (and prunes objects).
	mid := recs[len(recs)/2].Time
	f("requestdatetime >= '"+mid.Format("2006-01-02 15:04:05")+"'", count(func(r *gen.Record) bool { return !r.Time.Before(mid) }))

	// Grouping by the text of a typed column.
	c, _ := runQuery(t, "SELECT substr(requestdatetime, 1, 11) AS day, count(*) FROM logs GROUP BY 1", data, 2, Options{})
	byDay := map[string]int{}
	for i := range recs {
		byDay[recs[i].Time.Format("02/Jan/2006")]++
	}
	var want []string
	for d, n := range byDay {
		want = append(want, d+"|"+strconv.Itoa(n))
	}
	check(t, "GROUP BY substr(requestdatetime, 1, 11)", sortedRows(c), want)
	c, _ = runQuery(t, "SELECT httpstatus, count(*) FROM logs GROUP BY httpstatus HAVING httpstatus LIKE '2%'", data, 2, Options{})
	byStatus := map[string]int{}
	for i := range recs {
		if s, ok := intText(&recs[i], parse.HTTPStatus); ok && s[0] == '2' {
			byStatus[s]++
		}
	}
	want = want[:0]
	for s, n := range byStatus {
		want = append(want, s+"|"+strconv.Itoa(n))
	}
	check(t, "HAVING httpstatus LIKE '2%'", sortedRows(c), want)
}

func TestSetOperations(t *testing.T) {
	recs, data := fixture(t, 32, 6, 300)
	ops := func(keep func(r *gen.Record) bool) map[string]bool {
		m := map[string]bool{}
		for i := range recs {
			if keep(&recs[i]) {
				m[recs[i].Operation] = true
			}
		}
		return m
	}
	// (A NULL status is neither < 400 nor >= 400.)
	ok := ops(func(r *gen.Record) bool { s, has := r.Int(parse.HTTPStatus); return has && s < 400 })
	bad := ops(func(r *gen.Record) bool { s, has := r.Int(parse.HTTPStatus); return has && s >= 400 })
	list := func(keep func(op string) bool) []string {
		var out []string
		for op := range ops(func(*gen.Record) bool { return true }) {
			if keep(op) {
				out = append(out, op)
			}
		}
		return out
	}
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT operation FROM logs WHERE httpstatus < 400 UNION SELECT operation FROM logs WHERE httpstatus >= 400",
			list(func(op string) bool { return ok[op] || bad[op] })},
		{"SELECT operation FROM logs WHERE httpstatus < 400 INTERSECT SELECT operation FROM logs WHERE httpstatus >= 400",
			list(func(op string) bool { return ok[op] && bad[op] })},
		{"SELECT operation FROM logs WHERE httpstatus < 400 EXCEPT SELECT operation FROM logs WHERE httpstatus >= 400",
			list(func(op string) bool { return ok[op] && !bad[op] })},
		{"(SELECT DISTINCT operation FROM logs WHERE httpstatus >= 400) UNION ALL (SELECT operation FROM logs WHERE 1 = 0)",
			list(func(op string) bool { return bad[op] })},
	} {
		c, _ := runQuery(t, tc.sql, data, 3, Options{})
		check(t, tc.sql, sortedRows(c), tc.want)
	}
	// UNION ALL keeps duplicates; ORDER BY and LIMIT apply to the whole.
	n200, n404 := 0, 0
	for i := range recs {
		switch recs[i].HTTPStatus {
		case 200:
			n200++
		case 404:
			n404++
		}
	}
	c, _ := runQuery(t, "SELECT 'ok' AS s, count(*) AS n FROM logs WHERE httpstatus = 200 UNION ALL SELECT 'missing', count(*) FROM logs WHERE httpstatus = 404 ORDER BY n DESC LIMIT 1", data, 2, Options{})
	want := fmt.Sprintf("ok|%d", n200)
	if n404 > n200 {
		want = fmt.Sprintf("missing|%d", n404)
	}
	if len(c.rows) != 1 || strings.Join(c.rows[0], "|") != want || c.cols[1].Name != "n" {
		t.Errorf("UNION ALL ... ORDER BY n DESC LIMIT 1: %v (columns %v), want %s", c.rows, c.cols, want)
	}
	// Both scans share one pass over the logs: each line is counted once.
	c, st := runQuery(t, "SELECT count(*) FROM logs WHERE httpstatus = 200 UNION ALL SELECT count(*) FROM logs WHERE httpstatus = 404", data, 3, Options{})
	if got := sortedRows(c); strings.Join(got, ",") != strings.Join(keyed([][]string{{strconv.Itoa(n200)}, {strconv.Itoa(n404)}}, 0), ",") || st.Lines.Load() != int64(len(recs)) {
		t.Errorf("UNION ALL of two counts: %v, %d lines read, want %d, %d and %d lines", got, st.Lines.Load(), n200, n404, len(recs))
	}
	p, _ := Compile("SELECT count(*) FROM logs WHERE httpstatus = 200 UNION ALL SELECT count(*) FROM logs WHERE httpstatus = 404", Options{})
	if ex := p.Explain(); !strings.Contains(ex, "the logs are read 1 time(s) for 2 scan(s)") {
		t.Errorf("explain of two scans in one pass:\n%s", ex)
	}
	p, _ = Compile("SELECT count(*) FROM logs WHERE remoteip IN (SELECT remoteip FROM logs WHERE httpstatus = 403)", Options{})
	if ex := p.Explain(); !strings.Contains(ex, "the logs are read 2 time(s) for 2 scan(s)") {
		t.Errorf("explain of a scan waiting for a subquery:\n%s", ex)
	}
	if _, err := Compile("SELECT key FROM logs UNION SELECT key, bucket FROM logs", Options{}); err == nil || !strings.Contains(err.Error(), "UNION of queries with 1 and 2 columns") {
		t.Errorf("UNION of different widths: %v", err)
	}
}

func TestJoins(t *testing.T) {
	recs, data := fixture(t, 33, 8, 400)
	puts := map[string]int{}
	var deletes []*gen.Record
	for i := range recs {
		r := &recs[i]
		switch r.Operation {
		case "REST.PUT.OBJECT":
			puts[r.Key]++
		case "REST.DELETE.OBJECT":
			deletes = append(deletes, r)
		}
	}
	var left, inner []string
	matchedKeys := map[string]bool{}
	for _, d := range deletes {
		n := puts[d.Key]
		left = append(left, fmt.Sprintf("%s|%s|%d", d.Key, d.Time.Format(time.RFC3339), n))
		if n > 0 {
			inner = append(inner, fmt.Sprintf("%s|%s|%d", d.Key, d.Time.Format(time.RFC3339), n))
			matchedKeys[d.Key] = true
		}
	}
	if len(inner) == 0 {
		t.Fatal("no deleted key was uploaded in the fixture")
	}
	const ctes = `WITH d AS (SELECT key, requestdatetime AS t FROM logs WHERE operation = 'REST.DELETE.OBJECT'),
	u AS (SELECT key, count(*) AS puts FROM logs WHERE operation = 'REST.PUT.OBJECT' GROUP BY key) `
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{ctes + "SELECT d.key, d.t, coalesce(u.puts, 0) FROM d LEFT JOIN u ON d.key = u.key", left},
		{ctes + "SELECT d.key, d.t, u.puts FROM d JOIN u ON u.key = d.key", inner},
		{ctes + "SELECT d.key, d.t, u.puts FROM d, u WHERE d.key = u.key", inner},
		{ctes + "SELECT d.key, d.t, u.puts FROM u RIGHT OUTER JOIN d ON d.key = u.key AND u.puts > 0 WHERE u.puts IS NOT NULL", inner},
		{ctes + "SELECT key, d.t, u.puts FROM d JOIN u USING (key)", inner},
	} {
		for _, w := range []int{1, 4} {
			c, _ := runQuery(t, tc.sql, data, w, Options{})
			check(t, tc.sql, sortedRows(c), tc.want)
		}
	}
	// FULL JOIN: every deletion and every uploaded key, once.
	var full []string
	for _, d := range deletes {
		full = append(full, fmt.Sprintf("%s|%s", d.Key, d.Key))
		if puts[d.Key] == 0 {
			full[len(full)-1] = d.Key + "|NULL"
		}
	}
	deleted := map[string]bool{}
	for _, d := range deletes {
		deleted[d.Key] = true
	}
	for k := range puts {
		if !deleted[k] {
			full = append(full, "NULL|"+k)
		}
	}
	c, _ := runQuery(t, ctes+"SELECT d.key, u.key FROM d FULL JOIN u ON d.key = u.key", data, 2, Options{})
	check(t, "FULL JOIN", sortedRows(c), full)

	// The logs joined with themselves: copies log two records under one
	// request ID.
	byID := map[string][]*gen.Record{}
	for i := range recs {
		byID[recs[i].RequestID] = append(byID[recs[i].RequestID], &recs[i])
	}
	var pairs []string
	for _, rs := range byID {
		for _, a := range rs {
			for _, b := range rs {
				if a.Operation < b.Operation {
					pairs = append(pairs, a.Operation+"|"+b.Operation+"|"+a.RequestID)
				}
			}
		}
	}
	if len(pairs) == 0 {
		t.Fatal("no two records share a request ID in the fixture")
	}
	c, _ = runQuery(t, "SELECT a.operation, b.operation, a.requestid FROM logs a JOIN logs b ON a.requestid = b.requestid WHERE a.operation < b.operation", data, 3, Options{})
	check(t, "self join on requestid", sortedRows(c), pairs)

	// A join holds its right side in memory, within --max-groups.
	p, err := Compile(ctes+"SELECT count(*) FROM d CROSS JOIN u", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(context.Background(), pipelineConfig(data, 2), []string{"-"}, &capture{}, RunOptions{MaxGroups: 100})
	if !errors.Is(err, ErrTooManyGroups) {
		t.Errorf("cross join past MaxGroups: %v, want ErrTooManyGroups", err)
	}
}

func TestSubqueries(t *testing.T) {
	recs, data := fixture(t, 34, 6, 300)
	deniedIPs := map[string]bool{}
	var sum, n int64
	for i := range recs {
		r := &recs[i]
		if ip, ok := r.Value(parse.RemoteIP); ok && r.HTTPStatus == 403 {
			deniedIPs[ip] = true
		}
		if b, ok := r.Int(parse.BytesSent); ok {
			sum += b
			n++
		}
	}
	in, notIn, above := 0, 0, 0
	for i := range recs {
		r := &recs[i]
		if ip, ok := r.Value(parse.RemoteIP); ok {
			if deniedIPs[ip] {
				in++
			} else {
				notIn++
			}
		}
		if b, ok := r.Int(parse.BytesSent); ok && float64(b) > float64(sum)/float64(n) {
			above++
		}
	}
	one := func(sql string, want int) {
		t.Helper()
		if want == 0 {
			t.Fatalf("%s: the fixture does not exercise it", sql)
		}
		c, _ := runQuery(t, sql, data, 3, Options{})
		if c.rows[0][0] != strconv.Itoa(want) {
			t.Errorf("%s = %s, want %d", sql, c.rows[0][0], want)
		}
	}
	one("SELECT count(*) FROM logs WHERE remoteip IN (SELECT remoteip FROM logs WHERE httpstatus = 403)", in)
	one("SELECT count(*) FROM logs WHERE remoteip NOT IN (SELECT remoteip FROM logs WHERE httpstatus = 403 AND remoteip IS NOT NULL)", notIn)
	one("SELECT count(*) FROM logs WHERE bytessent > (SELECT avg(bytessent) FROM logs)", above)
	one("SELECT count(*) FROM logs WHERE EXISTS (SELECT 1 FROM logs WHERE httpstatus = 403)", len(recs))
	one("SELECT count(*) FROM (SELECT remoteip FROM logs WHERE httpstatus = 403 GROUP BY remoteip) t", len(deniedIPs))
	// A typed column IN a subquery of text compares as text.
	one("SELECT count(*) FROM logs WHERE httpstatus IN (SELECT '403')", func() int {
		k := 0
		for i := range recs {
			if recs[i].HTTPStatus == 403 {
				k++
			}
		}
		return k
	}())
	if _, err := Compile("SELECT (SELECT key, bucket FROM logs) FROM logs", Options{}); err == nil || !strings.Contains(err.Error(), "returns 2 columns, want one") {
		t.Errorf("two-column scalar subquery: %v", err)
	}
	p, _ := Compile("SELECT (SELECT key FROM logs)", Options{})
	if _, err := p.Run(context.Background(), pipelineConfig(data, 2), []string{"-"}, &capture{}, RunOptions{}); err == nil || !strings.Contains(err.Error(), "scalar subquery returned") {
		t.Errorf("scalar subquery of many rows: %v", err)
	}
}

func TestWindowFunctions(t *testing.T) {
	recs, data := fixture(t, 35, 6, 300)
	// Requests per operation, ranked.
	all := opsByCount(recs)
	var want []string
	rank, dense, total, running := 0, 0, len(recs), 0
	for i, x := range all {
		if i == 0 || x.n != all[i-1].n {
			rank, dense = i+1, dense+1
		}
		running += x.n
		// running sum with the default frame counts the peers too.
		peers := running
		for j := i + 1; j < len(all) && all[j].n == x.n; j++ {
			peers += all[j].n
		}
		want = append(want, fmt.Sprintf("%s|%d|%d|%d|%d|%d|%d", x.k, x.n, i+1, rank, dense, total, peers))
	}
	sql := `SELECT operation, count(*) AS n,
		row_number() OVER (ORDER BY count(*) DESC, operation) AS rn,
		rank() OVER (ORDER BY count(*) DESC) AS r,
		dense_rank() OVER (ORDER BY count(*) DESC) AS dr,
		sum(count(*)) OVER () AS total,
		sum(count(*)) OVER (ORDER BY count(*) DESC) AS running
	FROM logs GROUP BY operation ORDER BY rn`
	for _, w := range []int{1, 3} {
		c, _ := runQuery(t, sql, data, w, Options{})
		var got []string
		for _, r := range c.rows {
			got = append(got, strings.Join(r, "|"))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("ranked operations (workers %d):\n got %v\nwant %v", w, got, want)
		}
	}

	// lag and lead per requester in time order, and a ROWS frame.
	byReq := map[string][]*gen.Record{}
	for i := range recs {
		if q, ok := recs[i].Value(parse.Requester); ok {
			byReq[q] = append(byReq[q], &recs[i])
		}
	}
	want = want[:0]
	for _, rs := range byReq {
		sort.SliceStable(rs, func(i, j int) bool {
			if !rs[i].Time.Equal(rs[j].Time) {
				return rs[i].Time.Before(rs[j].Time)
			}
			return rs[i].RequestID < rs[j].RequestID
		})
		for i, r := range rs {
			prev, next := "NULL", "NULL"
			if i > 0 {
				prev = rs[i-1].RequestID
			}
			if i+1 < len(rs) {
				next = rs[i+1].RequestID
			}
			win := 0 // this and the one before
			for j := max(0, i-1); j <= i; j++ {
				win++
			}
			want = append(want, fmt.Sprintf("%s|%s|%s|%d|%d", r.RequestID, prev, next, i+1, win))
		}
	}
	c, _ := runQuery(t, `SELECT requestid,
		lag(requestid) OVER (PARTITION BY requester ORDER BY requestdatetime, requestid),
		lead(requestid, 1, 'NULL') OVER (PARTITION BY requester ORDER BY requestdatetime, requestid),
		row_number() OVER (PARTITION BY requester ORDER BY requestdatetime, requestid),
		count(*) OVER (PARTITION BY requester ORDER BY requestdatetime, requestid ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
	FROM logs WHERE requester IS NOT NULL`, data, 3, Options{})
	check(t, "lag/lead per requester", sortedRows(c), want)

	// The top record per requester, as a subquery filtered on row_number.
	want = want[:0]
	for q, rs := range byReq {
		_ = q
		want = append(want, rs[0].RequestID)
	}
	c, _ = runQuery(t, `SELECT requestid FROM (
		SELECT requestid, row_number() OVER (PARTITION BY requester ORDER BY requestdatetime, requestid) AS rn
		FROM logs WHERE requester IS NOT NULL) t WHERE rn = 1`, data, 2, Options{})
	check(t, "first request per requester", sortedRows(c), want)

	for _, bad := range []string{
		"SELECT key FROM logs WHERE row_number() OVER () = 1",
		"SELECT key FROM logs GROUP BY key HAVING rank() OVER (ORDER BY key) = 1",
	} {
		if _, err := Compile(bad, Options{}); err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestViewMerge: a subquery or CTE read once that filters the logs is
// merged into its reader, so the reader's WHERE and aggregation run in the
// one scan, with pushdown.
func TestViewMerge(t *testing.T) {
	recs, data := fixture(t, 36, 4, 300)
	counts := map[string]int{}
	for i := range recs {
		if strings.Contains(recs[i].Operation, "GET") && recs[i].HTTPStatus == 200 {
			counts[recs[i].Operation]++
		}
	}
	var want []string
	for op, n := range counts {
		want = append(want, op+"|"+strconv.Itoa(n))
	}
	direct := "SELECT operation, count(*) FROM logs WHERE operation LIKE '%GET%' AND httpstatus = 200 GROUP BY operation"
	b, _ := runQuery(t, direct, data, 2, Options{})
	check(t, direct, sortedRows(b), want)
	for _, sql := range []string{
		"SELECT operation, count(*) FROM (SELECT * FROM logs WHERE operation LIKE '%GET%') t WHERE t.httpstatus = 200 GROUP BY operation",
		"WITH g AS (SELECT operation AS op, httpstatus AS st FROM logs WHERE operation LIKE '%GET%') SELECT op, count(*) FROM g WHERE st = 200 GROUP BY op",
		"SELECT op, n FROM (SELECT operation AS op, count(*) AS n FROM logs WHERE operation LIKE '%GET%' AND httpstatus = 200 GROUP BY operation) t",
	} {
		p, err := Compile(sql, Options{})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		a, _ := runQuery(t, sql, data, 2, Options{})
		check(t, sql, sortedRows(a), want)
		if ex := p.Explain(); !strings.Contains(ex, "line prefilter:  line contains \"GET\"") {
			t.Errorf("%s: the filter is not pushed into the scan:\n%s", sql, ex)
		}
	}
	// Chained views merge too.
	p, _ := Compile("WITH a AS (SELECT * FROM logs WHERE operation LIKE '%GET%'), b AS (SELECT key, httpstatus AS s FROM a WHERE httpstatus >= 200) SELECT count(*) FROM (SELECT * FROM b WHERE s < 300) t", Options{})
	if ex := p.Explain(); strings.Contains(ex, "operators:") || strings.Count(ex, "pushed down:") != 3 {
		t.Errorf("chained views are not one scan:\n%s", ex)
	}
	// The first two are one scan, with nothing above it.
	p, _ = Compile("SELECT count(*) FROM (SELECT * FROM logs WHERE operation LIKE '%GET%') t WHERE t.httpstatus = 200", Options{})
	if ex := p.Explain(); strings.Contains(ex, "operators:") {
		t.Errorf("a merged subquery still has operators:\n%s", ex)
	}
	// A CTE read twice is computed once.
	p, _ = Compile("WITH g AS (SELECT key FROM logs WHERE operation = 'REST.GET.OBJECT') SELECT count(*) FROM g a JOIN g b ON a.key = b.key", Options{})
	if ex := p.Explain(); strings.Count(ex, "scan:") != 1 || !strings.Contains(ex, "with g (computed once") || !strings.Contains(ex, "with g (as above)") {
		t.Errorf("a CTE read twice:\n%s", ex)
	}
}

func TestRelationalErrors(t *testing.T) {
	f := func(sql, tok, msg string) {
		t.Helper()
		_, err := Compile(sql, Options{})
		var qe *Error
		if !errors.As(err, &qe) || !strings.Contains(qe.Error(), msg) || tok != "" && qe.Token != tok {
			t.Errorf("%s:\n got %v (token %q)\nwant …%s… at %q", sql, err, qe.Token, msg, tok)
		}
	}
	f("WITH a AS (SELECT key FROM logs) SELECT kee FROM a", "kee", `unknown column "kee" (did you mean "key"?)`)
	f("WITH a AS (SELECT key FROM logs), b AS (SELECT key FROM logs) SELECT key FROM a JOIN b ON a.key = b.key", "key", `column "key" is ambiguous`)
	f("WITH a AS (SELECT key FROM logs) SELECT c.key FROM a", "c", `unknown table "c"`)
	f("SELECT x.key FROM logs l", "x", `unknown table "x"`)
	f("WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT x FROM a", "a", "defined twice")
	f("SELECT key FROM logs l JOIN logs m", "", "expected ON or USING after INNER JOIN")
	f("SELECT * FORM logs", "FORM", "(did you mean FROM?)")
	f("SELECT key FORM logs", "FORM", "(did you mean FROM?)")
	f("SELECT key FROM logs WHRE key = 'a'", "WHRE", "(did you mean WHERE?)")
	f("SELECT key FROM logs GROPU BY key", "GROPU", "(did you mean GROUP?)")
	f("SELECT key FROM 's3://a/' UNION SELECT key FROM 's3://b/'", "", "reads two sources")
	f("SELECT key FROM logs ORDER BY row_number() OVER (ORDER BY kye)", "kye", `unknown column "kye"`)
	f("SELECT count(*) FROM logs\nWHERE requestdatetime > current_timestmp - INTERVAL '1' DAY", "current_timestmp", `did you mean "current_timestamp"`)
}

// TestSmallRelations: window functions, OFFSET and FETCH over a relation
// written out in the query, so every answer is known by hand.
func TestSmallRelations(t *testing.T) {
	const v = `(SELECT 'a' AS g, 1 AS x UNION ALL SELECT 'a', 2 UNION ALL SELECT 'a', 2 UNION ALL SELECT 'a', 5
		UNION ALL SELECT 'b', 7 UNION ALL SELECT 'b', NULL) t`
	f := func(sql, want string) {
		t.Helper()
		p, err := Compile(sql, Options{})
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			return
		}
		c := &capture{}
		if _, err := p.Run(context.Background(), pipelineConfig(nil, 1), nil, c, RunOptions{}); err != nil {
			t.Errorf("%s: %v", sql, err)
			return
		}
		var got []string
		for _, r := range c.rows {
			got = append(got, strings.Join(r, ","))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s:\n got %s\nwant %s", sql, strings.Join(got, " "), want)
		}
	}
	f("SELECT g, x, rank() OVER (PARTITION BY g ORDER BY x), dense_rank() OVER (PARTITION BY g ORDER BY x), row_number() OVER (PARTITION BY g ORDER BY x) FROM "+v+" ORDER BY g, x",
		"a,1,1,1,1 a,2,2,2,2 a,2,2,2,3 a,5,4,3,4 b,7,1,1,1 b,NULL,2,2,2")
	f("SELECT x, percent_rank() OVER (ORDER BY x), cume_dist() OVER (ORDER BY x) FROM "+v+" WHERE g = 'a' ORDER BY x",
		"1,0,0.25 2,0.3333333333333333,0.75 2,0.3333333333333333,0.75 5,1,1")
	f("SELECT x, ntile(3) OVER (ORDER BY x) FROM "+v+" WHERE g = 'a' ORDER BY x, 2",
		"1,1 2,1 2,2 5,3")
	f("SELECT x, first_value(x) OVER (ORDER BY x), last_value(x) OVER (ORDER BY x), last_value(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), nth_value(x, 2) OVER (ORDER BY x) FROM "+v+" WHERE g = 'a' ORDER BY x",
		"1,1,1,5,NULL 2,1,2,5,2 2,1,2,5,2 5,1,5,5,2")
	f("SELECT x, sum(x) OVER (ORDER BY x), sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), avg(x) OVER (PARTITION BY g), count(x) OVER () FROM "+v+" WHERE g = 'a' ORDER BY x",
		"1,1,3,2.5,4 2,5,5,2.5,4 2,5,9,2.5,4 5,10,7,2.5,4")
	f("SELECT x, lag(x, 2, 0) OVER (ORDER BY x), lead(x) OVER (ORDER BY x) FROM "+v+" WHERE g = 'a' ORDER BY x",
		"1,0,2 2,0,2 2,1,5 5,2,NULL")
	f("SELECT x FROM "+v+" ORDER BY x NULLS FIRST OFFSET 2 LIMIT 2", "2 2")
	f("SELECT x FROM "+v+" ORDER BY x DESC OFFSET 1 ROWS FETCH FIRST 2 ROWS ONLY", "5 2")
	f("SELECT x FROM "+v+" ORDER BY x FETCH NEXT ROW ONLY", "1")
	f("SELECT g, count(*) FROM "+v+" GROUP BY g HAVING count(*) > 2", "a,4")
	f("SELECT x IS DISTINCT FROM 2, x IS NOT DISTINCT FROM NULL FROM "+v+" WHERE g = 'b' ORDER BY 1", "true,false true,true")
	f("SELECT CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END FROM "+v+" WHERE g = 'a' ORDER BY x", "one two two many")
	f("SELECT count(*), count(DISTINCT x), sum(DISTINCT x) FROM "+v, "6,4,15")
	f("SELECT 1 + 1, 'x'", "2,x")
	f("SELECT max(x) FROM (SELECT x FROM "+v+" WHERE g = 'a' ORDER BY x LIMIT 3) s", "2")
}

// TestPassWholeObjects: scans sharing a pass count a log object whole or
// not at all, each as it would alone: a truncated .gz spanning many
// blocks, skipped as failed, adds nothing to either side of a UNION, nor
// to a join of CTEs.
func TestPassWholeObjects(t *testing.T) {
	dir := t.TempDir()
	gobjs, err := gen.All(gen.Config{Seed: 51, Objects: 1, LinesPerObject: 2000, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	bobjs, err := gen.All(gen.Config{Seed: 52, Objects: 1, LinesPerObject: 12000, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := gobjs[0], bobjs[0].Bytes()
	if err := os.WriteFile(filepath.Join(dir, "good.log"), good.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(bad)
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "truncated.log.gz"), z.Bytes()[:z.Len()*7/10], 0o644); err != nil {
		t.Fatal(err)
	}
	n200, nGet := 0, map[string]int{}
	for i := range good.Records {
		r := &good.Records[i]
		if r.HTTPStatus == 200 {
			n200++
		}
		if r.Operation == "REST.GET.OBJECT" {
			nGet[r.Key]++
		}
	}
	run := func(sql string) []string {
		t.Helper()
		p, err := Compile(sql, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := &capture{}
		st, err := p.Run(context.Background(), pipeline.Config{Workers: 3, BlockSize: 64 << 10, SkipFailed: true}, []string{dir}, c, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Failed()) != 1 {
			t.Errorf("%s: failed objects %v, want the truncated one", sql, st.Failed())
		}
		return sortedRows(c)
	}
	got := run("SELECT 'all', count(*) FROM logs UNION ALL SELECT 'ok', count(*) FROM logs WHERE httpstatus = 200")
	want := []string{fmt.Sprintf("all|%d", len(good.Records)), fmt.Sprintf("ok|%d", n200)}
	check(t, "UNION ALL with a failed object", got, want)
	got = run(`WITH g AS (SELECT key FROM logs WHERE operation = 'REST.GET.OBJECT'),
		n AS (SELECT key, count(*) AS c FROM logs WHERE operation = 'REST.GET.OBJECT' GROUP BY key)
		SELECT n.key, n.c, count(*) FROM g JOIN n ON g.key = n.key GROUP BY n.key, n.c`)
	want = want[:0]
	for k, c := range nGet {
		want = append(want, fmt.Sprintf("%s|%d|%d", k, c, c))
	}
	check(t, "join of CTEs with a failed object", got, want)
}
