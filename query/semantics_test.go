package query

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// awsLine is the first example record of AWS's "Amazon S3 server access
// log format" page (26 fields): key, error code, object size, turn-around
// time, referrer and version id are "-".
const awsLine = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes`

func TestExpressions(t *testing.T) {
	now := time.Date(2019, 2, 10, 0, 0, 0, 0, time.UTC)
	f := func(expr, want string) {
		t.Helper()
		for _, push := range []bool{false, true} {
			c, _ := runQuery(t, "SELECT "+expr+" FROM logs", []byte(awsLine+"\n"), 1, Options{Now: now, NoPushdown: push})
			if len(c.rows) != 1 || c.rows[0][0] != want {
				t.Errorf("%s = %v, want %q", expr, c.rows, want)
			}
		}
	}
	// Arithmetic: integer vs decimal, NULL propagation, division by zero.
	f("1 + 2", "3")
	f("7 / 2", "3")
	f("-7 / 2", "-3")
	f("7.0 / 2", "3.5")
	f("7 % 3", "1")
	f("1 / 0", "NULL")
	f("-bytessent", "-113")
	f("bytessent * 2 - 1", "225")
	f("totaltime + 0.5", "7.5")
	f("bytessent + objectsize", "NULL")
	f("2 * (3 + 4)", "14")
	// Three-valued logic.
	f("NULL = NULL", "NULL")
	f("key IS NULL", "true")
	f("key IS NOT NULL", "false")
	f("key = 'x'", "NULL")
	f("key <> 'x'", "NULL")
	f("NOT (key = 'x')", "NULL")
	f("key = 'x' AND false", "false")
	f("key = 'x' AND true", "NULL")
	f("key = 'x' OR true", "true")
	f("key = 'x' OR false", "NULL")
	f("NOT true", "false")
	// Comparisons.
	f("httpstatus = 200", "true")
	f("httpstatus != 200", "false")
	f("httpstatus <> 404", "true")
	f("httpstatus < 300", "true")
	f("httpstatus <= 200", "true")
	f("httpstatus > 200", "false")
	f("httpstatus >= 201", "false")
	f("httpstatus = '200'", "true")
	f("bucket < 'b'", "true")
	f("1 = 1.0", "true")
	// LIKE, IN, BETWEEN.
	f("operation LIKE 'REST.GET.%'", "true")
	f("operation LIKE 'REST._ET.VERSIONING'", "true")
	f("operation LIKE '%VERSION%'", "true")
	f("operation LIKE '%.VERSIONING'", "true")
	f("operation LIKE 'REST%GET%NING'", "true")
	f("operation LIKE 'rest.%'", "false")
	f("operation NOT LIKE '%GET%'", "false")
	f("key LIKE '%'", "NULL")
	f("'a_c' LIKE 'a!_c' ESCAPE '!'", "true")
	f("'abc' LIKE 'a!_c' ESCAPE '!'", "false")
	f("'é' LIKE '_'", "true")
	f("httpstatus IN (200, 404)", "true")
	f("httpstatus IN (404, 500)", "false")
	f("httpstatus NOT IN (404)", "true")
	f("httpstatus IN (404, NULL)", "NULL")
	f("httpstatus IN (200, NULL)", "true")
	f("httpstatus BETWEEN 200 AND 299", "true")
	f("httpstatus NOT BETWEEN 200 AND 299", "false")
	f("objectsize BETWEEN 1 AND 2", "NULL")
	// Columns, aliases and derived columns.
	f("requestdatetime", "2019-02-06T00:00:38Z")
	f("timestamp", "2019/02/06")
	f("log_line", "1")
	f("log_object", "-")
	f("bucket_name", "awsexamplebucket1")
	f("hostheader", "awsexamplebucket1.s3.us-west-1.amazonaws.com")
	f("endpoint", "awsexamplebucket1.s3.us-west-1.amazonaws.com")
	f("request_uri", "GET /awsexamplebucket1?versioning HTTP/1.1")
	f("requesturi_operation", "GET")
	f("requesturi_key", "/awsexamplebucket1?versioning")
	f("requesturi_httpprotoversion", "HTTP/1.1")
	f("referrer", "NULL")
	f("useragent", "S3Console/0.4")
	f("aclrequired", "Yes")
	f("sourceregion", "NULL")
	f("RemoteIP", "192.0.2.3")
	// Time.
	f("parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') = TIMESTAMP '2019-02-06 00:00:38'", "true")
	f("parse_datetime('06/Feb/2019:02:00:38 +0200','dd/MMM/yyyy:HH:mm:ss Z')", "2019-02-06T00:00:38Z")
	f("parse_datetime('2019-02-06:00:00:38','yyyy-MM-dd:HH:mm:ss')", "2019-02-06T00:00:38Z")
	f("parse_datetime('2019-02-06','yyyy-MM-dd')", "2019-02-06T00:00:00Z")
	f("parse_datetime('garbage','yyyy-MM-dd')", "NULL")
	f("date_trunc('hour', requestdatetime)", "2019-02-06T00:00:00Z")
	f("date_trunc('day', requestdatetime)", "2019-02-06T00:00:00Z")
	f("date_trunc('week', requestdatetime)", "2019-02-04T00:00:00Z")
	f("date_trunc('month', requestdatetime)", "2019-02-01T00:00:00Z")
	f("date_trunc('year', requestdatetime)", "2019-01-01T00:00:00Z")
	f("requestdatetime - INTERVAL '1' DAY", "2019-02-05T00:00:38Z")
	f("requestdatetime + INTERVAL '2' HOUR", "2019-02-06T02:00:38Z")
	f("requestdatetime > now() - INTERVAL '7' DAY", "true")
	f("requestdatetime > now() - INTERVAL '3' DAY", "false")
	f("now()", "2019-02-10T00:00:00Z")
	f("from_iso8601_timestamp('2019-02-06T00:00:38Z') = requestdatetime", "true")
	f("requestdatetime >= '2019-02-06'", "true")
	f("requestdatetime BETWEEN TIMESTAMP '2019-02-06 00:00:38' AND TIMESTAMP '2019-02-06 00:00:38'", "true")
	// String functions.
	f("lower(bucket)", "awsexamplebucket1")
	f("upper(sigv)", "SIGV4")
	f("length(bucket)", "17")
	f("length('é')", "1")
	f("url_decode('a%20b+c%2Fd')", "a b c/d")
	f("url_decode('100%')", "100%")
	f("regexp_like(useragent, '^S3Console/[0-9.]+$')", "true")
	f("regexp_like(key, 'x')", "NULL")
	f("coalesce(key, errorcode, 'none')", "none")
	f("coalesce(key, bucket)", "awsexamplebucket1")
	f("'a' || 'b' || httpstatus", "ab200")
	f("CASE WHEN httpstatus = 200 THEN 'ok' ELSE 'bad' END", "ok")
	f("CASE WHEN key = 'x' THEN 'x' END", "NULL")
	f("CAST(httpstatus AS varchar) || '!'", "200!")
	f("CAST('42' AS bigint) + 1", "43")
	f("'it''s'", "it's")
}

func TestAggregates(t *testing.T) {
	recs, data := fixture(t, 3, 8, 300)
	var distinctReq = map[string]bool{}
	var sizes []int64
	var totalSum, totalN int64
	var minT, maxT time.Time
	for i := range recs {
		r := &recs[i]
		if r.Requester != "" {
			distinctReq[r.Requester] = true
		}
		if v, ok := r.Int(parse.ObjectSize); ok {
			sizes = append(sizes, v)
		}
		if v, ok := r.Int(parse.TotalTime); ok {
			totalSum += v
			totalN++
		}
		if minT.IsZero() || r.Time.Before(minT) {
			minT = r.Time
		}
		if r.Time.After(maxT) {
			maxT = r.Time
		}
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	one := func(q string) []string {
		t.Helper()
		c, _ := runQuery(t, q, data, 3, Options{})
		if len(c.rows) != 1 {
			t.Fatalf("%s: %d rows", q, len(c.rows))
		}
		return c.rows[0]
	}
	row := one("SELECT count(*), count(requester), count(DISTINCT requester), min(requestdatetime), max(requestdatetime), avg(totaltime), sum(totaltime) FROM logs")
	nReq := 0
	for i := range recs {
		if recs[i].Requester != "" {
			nReq++
		}
	}
	want := []string{strconv.Itoa(len(recs)), strconv.Itoa(nReq), strconv.Itoa(len(distinctReq)),
		minT.Format(time.RFC3339), maxT.Format(time.RFC3339),
		strconv.FormatFloat(float64(totalSum)/float64(totalN), 'g', -1, 64), strconv.FormatInt(totalSum, 10)}
	for i := range want {
		if i == 5 { // avg: float sums may differ in the last bits by order
			g, _ := strconv.ParseFloat(row[i], 64)
			if math.Abs(g-float64(totalSum)/float64(totalN)) > 1e-9 {
				t.Errorf("avg = %s, want %s", row[i], want[i])
			}
			continue
		}
		if row[i] != want[i] {
			t.Errorf("aggregate %d = %s, want %s", i, row[i], want[i])
		}
	}
	// Aggregates over no rows: count 0, others NULL.
	row = one("SELECT count(*), count(key), sum(bytessent), avg(bytessent), min(key), max(bytessent), approx_distinct(key), approx_percentile(bytessent, 0.5) FROM logs WHERE operation = 'NO.SUCH.OP'")
	if strings.Join(row, ",") != "0,0,NULL,NULL,NULL,NULL,0,NULL" {
		t.Errorf("empty aggregates = %v", row)
	}
	// A grouped query over no rows has no rows.
	c, _ := runQuery(t, "SELECT operation, count(*) FROM logs WHERE 1 = 0 GROUP BY operation", data, 2, Options{})
	if len(c.rows) != 0 {
		t.Errorf("empty GROUP BY gave %v", c.rows)
	}
	// approx_distinct: HyperLogLog, documented standard error ~1.6%.
	ids := map[string]bool{}
	for i := range recs {
		ids[recs[i].RequestID] = true
	}
	row = one("SELECT approx_distinct(requestid), count(DISTINCT requestid) FROM logs")
	got, _ := strconv.Atoi(row[0])
	if row[1] != strconv.Itoa(len(ids)) {
		t.Errorf("count(DISTINCT requestid) = %s, want %d", row[1], len(ids))
	}
	if e := math.Abs(float64(got)-float64(len(ids))) / float64(len(ids)); e > 0.05 {
		t.Errorf("approx_distinct = %d, exact %d (error %.1f%%)", got, len(ids), 100*e)
	}
	// approx_percentile: within 1% relative error of the exact value at the
	// nearest rank.
	for _, p := range []float64{0.01, 0.5, 0.9, 0.99, 1} {
		row = one("SELECT approx_percentile(objectsize, " + strconv.FormatFloat(p, 'f', -1, 64) + ") FROM logs")
		got, _ := strconv.ParseFloat(row[0], 64)
		rank := int(math.Ceil(p*float64(len(sizes)))) - 1
		exact := float64(sizes[max(rank, 0)])
		if math.Abs(got-exact) > 0.01*exact+0.5 {
			t.Errorf("approx_percentile(objectsize, %v) = %v, exact %v", p, got, exact)
		}
	}
}

// opCount is an operation and its number of requests.
type opCount struct {
	k string
	n int
}

// opsByCount returns recs' operations with their request counts, the most
// requested first, ties by name.
func opsByCount(recs []gen.Record) []opCount {
	counts := map[string]int{}
	for i := range recs {
		counts[recs[i].Operation]++
	}
	var all []opCount
	for k, n := range counts {
		all = append(all, opCount{k, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	return all
}

func TestGroupingOrderingLimit(t *testing.T) {
	recs, data := fixture(t, 4, 8, 300)
	all := opsByCount(recs)
	render := func(list []opCount) string {
		var s []string
		for _, x := range list {
			s = append(s, x.k+"="+strconv.Itoa(x.n))
		}
		return strings.Join(s, " ")
	}
	rows := func(c *capture) string {
		var s []string
		for _, r := range c.rows {
			s = append(s, r[0]+"="+r[1])
		}
		return strings.Join(s, " ")
	}
	for _, q := range []string{
		"SELECT operation, count(*) AS n FROM logs GROUP BY operation ORDER BY n DESC, operation LIMIT 5",
		"SELECT operation, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT 5",
		"SELECT operation, count(*) FROM logs GROUP BY operation ORDER BY count(*) DESC, operation LIMIT 5",
	} {
		for _, w := range []int{1, 4} {
			c, _ := runQuery(t, q, data, w, Options{})
			if g, wnt := rows(c), render(all[:5]); g != wnt {
				t.Errorf("%s (workers %d):\n got %s\nwant %s", q, w, g, wnt)
			}
		}
	}
	// HAVING.
	var having []opCount
	for _, x := range all {
		if x.n >= 50 {
			having = append(having, x)
		}
	}
	for _, q := range []string{
		"SELECT operation, count(*) FROM logs GROUP BY operation HAVING count(*) >= 50 ORDER BY 2 DESC, 1",
		"SELECT operation, count(*) AS n FROM logs GROUP BY operation HAVING n >= 50 ORDER BY n + 0 DESC, 1",
	} {
		c, _ := runQuery(t, q, data, 2, Options{})
		if g, w := rows(c), render(having); g != w || len(having) == 0 {
			t.Errorf("HAVING: got %s, want %s", g, w)
		}
	}
	// DISTINCT.
	c, _ := runQuery(t, "SELECT DISTINCT operation FROM logs ORDER BY operation", data, 3, Options{})
	var ops []string
	for _, x := range all {
		ops = append(ops, x.k)
	}
	sort.Strings(ops)
	var got []string
	for _, r := range c.rows {
		got = append(got, r[0])
	}
	if strings.Join(got, ",") != strings.Join(ops, ",") {
		t.Errorf("DISTINCT: got %v, want %v", got, ops)
	}
	// ORDER BY a column with NULLs, top-N vs the full order; NULLS FIRST.
	var sizes []string
	nulls := 0
	for i := range recs {
		if v, ok := recs[i].Int(parse.ObjectSize); ok {
			sizes = append(sizes, strconv.FormatInt(v, 10))
		} else {
			nulls++
		}
	}
	sort.Slice(sizes, func(i, j int) bool {
		a, _ := strconv.ParseInt(sizes[i], 10, 64)
		b, _ := strconv.ParseInt(sizes[j], 10, 64)
		return a > b
	})
	c, _ = runQuery(t, "SELECT objectsize FROM logs ORDER BY objectsize DESC LIMIT 20", data, 3, Options{})
	got = got[:0]
	for _, r := range c.rows {
		got = append(got, r[0])
	}
	if strings.Join(got, ",") != strings.Join(sizes[:20], ",") {
		t.Errorf("top 20 sizes: got %v, want %v", got, sizes[:20])
	}
	c, _ = runQuery(t, "SELECT objectsize FROM logs ORDER BY objectsize NULLS FIRST", data, 3, Options{})
	if len(c.rows) != len(recs) || nulls == 0 || c.rows[nulls-1][0] != "NULL" || c.rows[nulls][0] == "NULL" {
		t.Errorf("NULLS FIRST: %d rows, %d nulls expected first", len(c.rows), nulls)
	}
	c, _ = runQuery(t, "SELECT objectsize FROM logs ORDER BY objectsize", data, 3, Options{})
	if c.rows[len(c.rows)-1][0] != "NULL" || c.rows[0][0] == "NULL" {
		t.Errorf("default ordering must put NULLs last")
	}
	// ORDER BY an expression that is not selected.
	type sent struct {
		n  int64
		id string
	}
	var bySent []sent
	for i := range recs {
		if v, ok := recs[i].Int(parse.BytesSent); ok {
			bySent = append(bySent, sent{v, recs[i].RequestID})
		}
	}
	sort.Slice(bySent, func(i, j int) bool {
		if bySent[i].n != bySent[j].n {
			return bySent[i].n > bySent[j].n
		}
		return bySent[i].id < bySent[j].id
	})
	c, _ = runQuery(t, "SELECT requestid FROM logs ORDER BY bytessent DESC, requestid LIMIT 6", data, 3, Options{})
	got = got[:0]
	for _, r := range c.rows {
		got = append(got, r[0])
	}
	var wantIDs []string
	for _, s := range bySent[:6] {
		wantIDs = append(wantIDs, s.id)
	}
	if strings.Join(got, ",") != strings.Join(wantIDs, ",") {
		t.Errorf("ORDER BY hidden key: got %v, want %v", got, wantIDs)
	}
	// LIMIT without ORDER BY streams and stops.
	c, _ = runQuery(t, "SELECT requestid FROM logs LIMIT 7", data, 3, Options{})
	if len(c.rows) != 7 {
		t.Errorf("LIMIT 7 gave %d rows", len(c.rows))
	}
	c, _ = runQuery(t, "SELECT requestid FROM logs LIMIT 0", data, 3, Options{})
	if len(c.rows) != 0 || !c.ended {
		t.Errorf("LIMIT 0 gave %d rows", len(c.rows))
	}
}

// TestParallelSameAsSerial: results do not depend on the number of
// workers (ordering aside).
func TestParallelSameAsSerial(t *testing.T) {
	_, data := fixture(t, 9, 6, 400)
	for _, q := range []string{
		"SELECT requester, sigv, count(*), sum(bytessent), count(DISTINCT remoteip), min(key), max(requestdatetime) FROM logs GROUP BY requester, sigv",
		"SELECT requestid, key FROM logs WHERE operation LIKE '%PUT%'",
		"SELECT approx_distinct(key), approx_percentile(totaltime, 0.9) FROM logs",
	} {
		a, _ := runQuery(t, q, data, 1, Options{})
		b, _ := runQuery(t, q, data, 4, Options{})
		ka, kb := keyed(a.rows, seq(len(a.cols))...), keyed(b.rows, seq(len(b.cols))...)
		if strings.Join(ka, "\n") != strings.Join(kb, "\n") || len(ka) == 0 {
			t.Errorf("%s: 1 worker and 4 workers differ (%d vs %d rows)", q, len(ka), len(kb))
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestWindow(t *testing.T) {
	f := func(where, from, to string) {
		t.Helper()
		p, err := Compile("SELECT * FROM logs WHERE "+where, Options{})
		if err != nil {
			t.Fatal(err)
		}
		w := p.Window()
		g := func(x time.Time) string {
			if x.IsZero() {
				return ""
			}
			return x.Format(time.RFC3339)
		}
		if g(w.From) != from || g(w.To) != to {
			t.Errorf("%s: window [%s, %s], want [%s, %s]", where, g(w.From), g(w.To), from, to)
		}
	}
	f("parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2019-07-01:00:42:42','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2019-07-02:00:00:00','yyyy-MM-dd:HH:mm:ss')",
		"2019-07-01T00:42:42Z", "2019-07-02T00:00:00Z")
	f("requestdatetime >= TIMESTAMP '2019-07-01 00:00:00' AND requestdatetime < TIMESTAMP '2019-07-03 00:00:00'", "2019-07-01T00:00:00Z", "2019-07-02T23:59:59Z")
	f("requestdatetime > '2019-07-01'", "2019-07-01T00:00:01Z", "")
	f("TIMESTAMP '2019-07-01 00:00:00' >= requestdatetime", "", "2019-07-01T00:00:00Z")
	f("timestamp = '2024/03/01'", "2024-03-01T00:00:00Z", "2024-03-01T23:59:59Z")
	f("timestamp BETWEEN '2024/03/01' AND '2024/03/07'", "2024-03-01T00:00:00Z", "2024-03-07T23:59:59Z")
	f("key = 'x' AND requestdatetime <= TIMESTAMP '2020-01-01 00:00:00' AND requestdatetime <= TIMESTAMP '2019-01-01 00:00:00'", "", "2019-01-01T00:00:00Z")
	f("key = 'x' OR requestdatetime <= TIMESTAMP '2020-01-01 00:00:00'", "", "") // not a conjunct
	f("NOT requestdatetime <= TIMESTAMP '2020-01-01 00:00:00'", "", "")
}

func TestErrors(t *testing.T) {
	// f checks the error names the position of tok (its first occurrence
	// in sql, or the end when tok is "") and says msg.
	f := func(sql, tok, msg string) {
		t.Helper()
		_, err := Compile(sql, Options{})
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("%s: error %v, want a *query.Error", sql, err)
			return
		}
		idx := len(sql)
		if tok != "" {
			idx = strings.Index(sql, tok)
		}
		line := 1 + strings.Count(sql[:idx], "\n")
		col := idx - strings.LastIndex(sql[:idx], "\n")
		if qe.Line != line || qe.Column != col || !strings.Contains(qe.Error(), msg) || tok != "" && !strings.HasPrefix(tok, qe.Token) {
			t.Errorf("%s:\n got %v (token %q)\nwant line %d:%d at %q: …%s…", sql, err, qe.Token, line, col, tok, msg)
		}
	}
	f("SELECT reqester FROM t", "reqester", `unknown column "reqester" (did you mean "requester"?)`)
	f("SELECT *\nFROM t\nWHERE RequestDateTme > 1", "RequestDateTme", `did you mean "requestdatetime"`)
	f("SELECT xyzzyplugh FROM t", "xyzzyplugh", `unknown column "xyzzyplugh"`)
	f("SELECT * FROM t WHERE", "", "unexpected end of query")
	f("SELECT * FROM t WHERE key = 'abc", "'abc", "unterminated string")
	f("SELECT sum(key) FROM t", "key", "sum needs a number")
	f("SELECT * FROM t WHERE count(*) > 1", "count", "not allowed in WHERE")
	f("SELECT requester, count(*) FROM t", "requester", "must appear in GROUP BY")
	f("SELECT * FROM t LIMIT -1", "-1", "non-negative integer")
	f("SELECT foo(1) FROM t", "foo", "unknown function foo")
	f("SELECT * FROM t WHERE key = 1", "=", "cannot compare varchar with bigint")
	f("SELECT parse_datetime(key, 'qq') FROM t", "'qq'", "unsupported parse_datetime format")
	f("SELECT * FROM t ORDER BY", "", "unexpected end of query")
	f("SELECT * FROM t WHERE key ~ 'a'", "~", "unexpected character")
	f("SELECT 1 FROM t x y", "y", "after the end of the statement")
	f("SELECT FROM t", "FROM", "unexpected keyword")
	f("SELECT * t", "t", "expected FROM")
	f("SELECT * FROM t WHERE key IS 'x'", "'x'", "expected NULL")
	f("SELECT * FROM t WHERE key LIKE 'a' AND", "", "unexpected end")
	f("SELECT * FROM t WHERE key = 'a' AND operation", "operation", "expected a boolean expression")
	f("SELECT regexp_like(key, '(') FROM t", "'('", "bad regular expression")
	f("SELECT date_trunc('fortnight', requestdatetime) FROM t", "'fortnight'", "date_trunc's unit")
	f("SELECT approx_percentile(bytessent, 2) FROM t", "2)", "between 0 and 1")
	f("SELECT count(count(*)) FROM t", "count(*)", "not allowed inside another aggregate")
	f("SELECT * FROM t WHERE requestdatetime > '2019-13-45'", "'2019-13-45'", "cannot read '2019-13-45' as a timestamp")
	f("SELECT key FROM t GROUP BY 3", "3", "GROUP BY position 3")
	f("SELECT * FROM t GROUP BY key", "*", `column "bucketowner" must appear in GROUP BY`)
	f("SELECT lower(1) FROM t", "1", "lower's argument 1 must be varchar")
	f("SELECT * FROM t WHERE requestdatetime > INTERVAL '1' FORTNIGHT", "FORTNIGHT", "interval unit")
	f("SELECT * FROM", "", "expected a table name")
}

// TestSources: a bare table name means the SOURCE arguments; a quoted
// FROM names the source itself.
func TestSources(t *testing.T) {
	p, _ := Compile("SELECT * FROM s3_access_logs_db.mybucket_logs", Options{})
	if s, err := p.Sources([]string{"a", "b"}); err != nil || strings.Join(s, ",") != "a,b" {
		t.Errorf("table: %v %v", s, err)
	}
	if _, err := p.Sources(nil); err == nil {
		t.Error("table without SOURCE arguments: no error")
	}
	p, _ = Compile("SELECT * FROM 's3://bucket/logs/'", Options{})
	if s, err := p.Sources(nil); err != nil || strings.Join(s, ",") != "s3://bucket/logs/" {
		t.Errorf("quoted: %v %v", s, err)
	}
	if _, err := p.Sources([]string{"x"}); err == nil {
		t.Error("quoted FROM and SOURCE arguments: no error")
	}
}

// TestRejects: malformed lines are counted and reported with their
// object:line, and --strict turns the first into an error.
func TestRejects(t *testing.T) {
	recs, _ := fixture(t, 2, 1, 5)
	var data []byte
	for i := range recs {
		data = recs[i].AppendLine(data)
		data = append(data, '\n')
		if i == 1 {
			data = append(data, "this is not a log line\n\n"...)
		}
	}
	c, st := runQuery(t, "SELECT count(*) FROM logs", data, 2, Options{})
	if c.rows[0][0] != strconv.Itoa(len(recs)) || st.Rejected.Load() != 1 || st.Lines.Load() != int64(len(recs)+1) {
		t.Errorf("count %v, rejected %d, lines %d", c.rows, st.Rejected.Load(), st.Lines.Load())
	}
	_ = gen.Null
}

// TestDateBounds: a DATE bound on requestdatetime prunes and pushes down
// like a TIMESTAMP one.
func TestDateBounds(t *testing.T) {
	p, err := Compile("SELECT count(*) FROM logs WHERE requestdatetime >= DATE '2024-03-02' AND requestdatetime < current_date", Options{Now: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	w := p.Window()
	if w.From != time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC) || w.To != time.Date(2024, 3, 4, 23, 59, 59, 0, time.UTC) {
		t.Errorf("window %v", w)
	}
	if ex := p.Explain(); strings.Count(ex, "pushed down:") != 2 {
		t.Errorf("DATE bounds not pushed down:\n%s", ex)
	}
	recs, data := fixture(t, 41, 4, 300)
	n := 0
	for i := range recs {
		if d := recs[i].Time; !d.Before(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)) && d.Before(time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)) {
			n++
		}
	}
	c, _ := runQuery(t, "SELECT count(*) FROM logs WHERE requestdatetime >= DATE '2024-03-02' AND requestdatetime < current_date", data, 2, Options{Now: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)})
	if c.rows[0][0] != strconv.Itoa(n) || n == 0 {
		t.Errorf("count %v, want %d", c.rows, n)
	}
}

// TestPartitionColumnOverLogs: over log objects dt is the request's UTC
// day, and a bound on it is a time window, as over converted output.
func TestPartitionColumnOverLogs(t *testing.T) {
	p, err := Compile("SELECT count(*) FROM logs WHERE dt = '2024-03-02'", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Window(); w.From != time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC) || w.To != time.Date(2024, 3, 2, 23, 59, 59, 0, time.UTC) {
		t.Errorf("window %v", w)
	}
	recs, data := fixture(t, 43, 4, 300)
	days := map[string]int{}
	for i := range recs {
		days[recs[i].Time.Format(time.DateOnly)]++
	}
	c, _ := runQuery(t, "SELECT dt, count(*) FROM logs GROUP BY dt", data, 2, Options{})
	if len(c.rows) != len(days) || len(days) < 2 {
		t.Fatalf("got %v, want %v", c.rows, days)
	}
	for _, r := range c.rows {
		if strconv.Itoa(days[r[0]]) != r[1] {
			t.Errorf("dt %s: %s rows, want %d", r[0], r[1], days[r[0]])
		}
	}
	c, _ = runQuery(t, "SELECT count(*) FROM logs WHERE dt = '2024-03-02'", data, 2, Options{})
	if c.rows[0][0] != strconv.Itoa(days["2024-03-02"]) {
		t.Errorf("dt = '2024-03-02': %v, want %d", c.rows, days["2024-03-02"])
	}
}
