package query

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// runBlock runs p over one in-memory block on the calling goroutine,
// through the record stage without I/O: for fuzzing and benchmarks.
func runBlock(p *Plan, data []byte, out RowWriter) error {
	if p.root != nil {
		// An operator tree: its scans read the block as standard input.
		_, err := p.Run(context.Background(), pipelineConfig(data, 1), []string{"-"}, out, RunOptions{})
		return err
	}
	if err := out.Begin(p.cols); err != nil {
		return err
	}
	if p.limit == 0 {
		return out.End()
	}
	r := p.newRun(out, RunOptions{}, 1, false)
	defer r.spill.close()
	_, err := pipeline.RunBlock(pipeline.Config{Prefilter: p.prefilter()}, "block", data, r)
	if err != nil && !errors.Is(err, errLimit) {
		return err
	}
	if err := r.finish(); err != nil {
		return err
	}
	return out.End()
}

// seedQueries are valid queries covering the grammar, used as fuzz seeds
// and as material for the malformed-SQL test.
var seedQueries = []string{
	"SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation like '%DELETE%';",
	"SELECT requester, Sigv, Count(Sigv) as SigCount FROM s3_access_logs_db.mybucket_logs GROUP BY requester, Sigv;",
	"SELECT SUM(bytessent) AS uploadTotal, SUM(objectsize) AS downloadTotal, SUM(bytessent + objectsize) AS Total FROM s3_access_logs_db.mybucket_logs WHERE RemoteIP='1.2.3.4' AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2017-02-18','yyyy-MM-dd') AND parse_datetime('2017-03-18','yyyy-MM-dd');",
	"SELECT * FROM s3_access_logs_db WHERE Requester IS NULL AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2019-07-01:00:42:42','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2019-07-02:00:42:42','yyyy-MM-dd:HH:mm:ss')",
	"SELECT DISTINCT operation, date_trunc('hour', requestdatetime) AS h FROM 'logs/' WHERE httpstatus NOT IN (200, 204) OR errorcode IS NOT NULL ORDER BY h DESC NULLS FIRST, 1 LIMIT 10",
	"SELECT key, count(*) n, approx_distinct(remoteip), approx_percentile(totaltime, 0.99) FROM t WHERE requestdatetime > now() - INTERVAL '7' DAY GROUP BY key HAVING count(*) > 1 ORDER BY n DESC",
	"SELECT CASE WHEN httpstatus >= 500 THEN 'error' ELSE lower(operation) END, CAST(bytessent AS double) / 2, coalesce(key, '-') || url_decode(key) FROM t WHERE regexp_like(useragent, '^aws-cli') AND NOT key LIKE 'a!_%' ESCAPE '!'",
	"SELECT count(DISTINCT requester), min(timestamp), max(log_line), avg(totaltime) FROM t WHERE timestamp BETWEEN '2024/03/01' AND '2024/03/07' AND length(key) > -3 * (2 + 1)",
	// The grammar of SPEC §4 beyond AWS's examples.
	"WITH d AS (SELECT key, requestdatetime AS t FROM logs WHERE operation = 'REST.DELETE.OBJECT'), u AS (SELECT key, count(*) AS n FROM logs WHERE operation = 'REST.PUT.OBJECT' GROUP BY key) SELECT d.key, d.t, coalesce(u.n, 0) FROM d LEFT JOIN u ON d.key = u.key ORDER BY d.t DESC LIMIT 10;",
	"SELECT operation, count(*) FROM logs WHERE httpstatus LIKE '5%' GROUP BY 1 UNION ALL SELECT 'total', count(*) FROM logs WHERE turnaroundtime != '-' ORDER BY 2 DESC",
	"SELECT remoteip, n, rank() OVER (ORDER BY n DESC) AS r, sum(n) OVER (PARTITION BY substr(remoteip, 1, 3) ORDER BY n ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM (SELECT remoteip, count(*) AS n FROM logs GROUP BY remoteip) t",
	"SELECT split_part(key, '/', 1) AS prefix, count(*) FILTER (WHERE requester = '-') AS anonymous, sum(bytessent) / 1073741824.0 AS gb FROM logs WHERE requestdatetime > current_timestamp - INTERVAL '7' DAY GROUP BY 1 HAVING count(*) > 1",
	"SELECT date_format(requestdatetime, '%Y-%m-%d'), date_diff('hour', DATE '2024-03-01', requestdatetime), extract(hour FROM requestdatetime), position('/' IN key), regexp_extract(useragent, '^([^/]+)', 1), CAST(httpstatus AS varchar) || '!', TRY_CAST(key AS bigint) FROM logs WHERE remoteip IN (SELECT remoteip FROM logs WHERE httpstatus = 403) OFFSET 1 LIMIT 5",
	"SELECT a.requestid FROM logs a JOIN logs b USING (requestid) CROSS JOIN (SELECT 1.50 AS x) c WHERE a.operation < b.operation AND EXISTS (SELECT 1) AND c.x > (SELECT 1e0)",
	"SELECT DISTINCT CASE httpstatus WHEN 200 THEN 'ok' ELSE 'other' END, lag(key, 1, '-') OVER (PARTITION BY requester ORDER BY requestdatetime), url_extract_parameter(request_uri, 'x-id') FROM logs INTERSECT SELECT 'ok', key, NULL FROM logs",
}

// FuzzCompile: no SQL text makes Compile panic, errors carry a position,
// and a plan that compiles runs over a real line without panicking.
func FuzzCompile(f *testing.F) {
	for _, q := range seedQueries {
		f.Add(q)
	}
	data := []byte(awsLine + "\n" + awsLine + "\n")
	f.Fuzz(func(t *testing.T, sql string) {
		p, err := Compile(sql, Options{})
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) || qe.Line < 1 || qe.Column < 1 {
				t.Fatalf("%q: error without a position: %v", sql, err)
			}
			return
		}
		_ = p.Explain()
		if err := runBlock(p, data, &capture{}); err != nil {
			t.Fatalf("%q: run: %v", sql, err)
		}
	})
}

// TestMalformedSQL: every truncation, every token deletion and random byte
// edits of valid queries give an error or a plan, never a panic.
func TestMalformedSQL(t *testing.T) {
	data := []byte(awsLine + "\n")
	try := func(sql string) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic on %q: %v", sql, r)
			}
		}()
		p, err := Compile(sql, Options{})
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("%q: %T error %v", sql, err, err)
			}
			return
		}
		if err := runBlock(p, data, &capture{}); err != nil {
			t.Fatalf("%q: run: %v", sql, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("'\"()*,;.=<>!-+/%|aZ0 \n\x00\xff")
	for _, q := range seedQueries {
		for i := range len(q) {
			try(q[:i])
		}
		toks, err := lex(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			if tk.kind == tEOF {
				continue
			}
			at := strings.Index(q, tk.raw)
			try(q[:at] + q[at+len(tk.raw):])
		}
		for range 200 {
			b := []byte(q)
			for range 1 + rng.IntN(3) {
				i := rng.IntN(len(b))
				switch rng.IntN(3) {
				case 0:
					b[i] = alphabet[rng.IntN(len(alphabet))]
				case 1:
					b = append(b[:i], b[i+1:]...)
				default:
					b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
				}
			}
			try(string(b))
		}
	}
	try(strings.Repeat("(", 100000))
	try("SELECT " + strings.Repeat("-", 100000) + "1 FROM t")
	try("SELECT " + strings.Repeat("NOT ", 100000) + "true FROM t")
	try("SELECT 1 FROM t WHERE " + strings.Repeat("1 = 1 AND ", 2000) + "true")
}

// TestPushdownProperty: for random WHERE clauses, the prefilter and raw
// field checks select exactly the rows a plain evaluation after a full
// parse selects.
func TestPushdownProperty(t *testing.T) {
	recs, data := fixture(t, 21, 4, 300)
	rng := rand.New(rand.NewPCG(7, 9))
	pick := func(f parse.Field) string {
		for range 20 {
			if v, ok := recs[rng.IntN(len(recs))].Value(f); ok {
				return v
			}
		}
		return "x"
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	strCols := map[string]parse.Field{
		"operation": parse.Operation, "key": parse.Key, "requester": parse.Requester, "sigv": parse.SigV,
		"remoteip": parse.RemoteIP, "errorcode": parse.ErrorCode, "useragent": parse.UserAgent, "bucket": parse.Bucket,
		"versionid": parse.VersionID, "tlsversion": parse.TLSVersion,
	}
	var names []string
	for n := range strCols {
		names = append(names, n)
	}
	intCols := []string{"httpstatus", "bytessent", "objectsize", "totaltime"}
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	term := func() string {
		c := names[rng.IntN(len(names))]
		v := pick(strCols[c])
		switch rng.IntN(11) {
		case 0:
			return c + " = " + quote(v)
		case 1:
			return quote(v) + " " + ops[rng.IntN(len(ops))] + " " + c
		case 2:
			return c + " IS NULL"
		case 3:
			return c + " IS NOT NULL"
		case 4:
			i := rng.IntN(len(v))
			return c + " LIKE " + quote("%"+v[i:min(len(v), i+1+rng.IntN(6))]+"%")
		case 5:
			return c + " NOT LIKE " + quote(v[:rng.IntN(len(v)+1)]+"%")
		case 6:
			return c + " IN (" + quote(v) + ", " + quote(pick(strCols[c])) + ")"
		case 7:
			return intCols[rng.IntN(len(intCols))] + " " + ops[rng.IntN(len(ops))] + " " + fmt.Sprint(rng.IntN(3000))
		case 8:
			d1, d2 := 1+rng.IntN(7), 1+rng.IntN(7)
			return fmt.Sprintf("parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-03-%02d:%02d:00:00','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2024-03-%02d','yyyy-MM-dd')", min(d1, d2), rng.IntN(24), max(d1, d2))
		case 9:
			return fmt.Sprintf("timestamp %s '2024/03/%02d'", ops[rng.IntN(len(ops))], 1+rng.IntN(7))
		default:
			return c + " " + ops[rng.IntN(len(ops))] + " " + quote(v)
		}
	}
	nonEmpty := 0
	for i := range 250 {
		var parts []string
		for range 1 + rng.IntN(3) {
			tm := term()
			switch rng.IntN(6) {
			case 0:
				tm = "NOT (" + tm + ")"
			case 1:
				tm = "(" + tm + " OR " + term() + ")"
			}
			parts = append(parts, tm)
		}
		q := "SELECT log_line, requestid FROM logs WHERE " + strings.Join(parts, " AND ")
		a, _ := runQuery(t, q, data, 2, Options{NoPushdown: true})
		b, _ := runQuery(t, q, data, 2, Options{})
		ka, kb := keyed(a.rows, 0, 1), keyed(b.rows, 0, 1)
		if strings.Join(ka, ",") != strings.Join(kb, ",") {
			t.Fatalf("case %d: %s\n plain %d rows, pushdown %d rows", i, q, len(ka), len(kb))
		}
		if len(ka) > 0 {
			nonEmpty++
		}
	}
	// The property is only tested where predicates select something.
	if nonEmpty < 50 {
		t.Errorf("only %d of 250 random predicates matched any row", nonEmpty)
	}
	t.Logf("%d of 250 predicates matched rows", nonEmpty)
	_ = gen.Null
}
