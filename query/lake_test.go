package query

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// lakeData generates four days of logs into a directory and converts
// them to Parquet partitioned by day, in small row groups so that
// statistics have something to prune. It returns both directories.
func lakeData(t *testing.T, opts convert.Options) (logs, lake string) {
	t.Helper()
	dir := t.TempDir()
	logs = filepath.Join(dir, "logs")
	cfg := gen.Config{Seed: 17, Objects: 30, LinesPerObject: 200, TrapRate: 0.03,
		Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Span: 4 * 24 * time.Hour}
	if _, err := gen.WriteDir(context.Background(), cfg, logs); err != nil {
		t.Fatal(err)
	}
	lake = filepath.Join(dir, "lake")
	dest, err := sink.NewLocalDestination(lake)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(context.Background(), dest, opts, pipeline.Config{}, []string{logs}); err != nil {
		t.Fatal(err)
	}
	return logs, lake
}

// runOn runs sql over sources and returns its rows as text. Log objects
// are read with a lateness of a year, so that none holding a record of a
// time window is skipped by its key time (converted output has every
// record in the partition of its own time).
func runOn(t *testing.T, sql string, o RunOptions, sources ...string) ([]string, *pipeline.Stats) {
	t.Helper()
	p, err := Compile(sql, Options{Now: time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("Compile(%q): %v", sql, err)
	}
	c := &capture{}
	st, err := p.Run(context.Background(), pipeline.Config{Workers: 3, Lateness: 365 * 24 * time.Hour}, sources, c, o)
	if err != nil {
		t.Fatalf("Run(%q) over %v: %v", sql, sources, err)
	}
	var rows []string
	for _, r := range c.rows {
		rows = append(rows, strings.Join(r, "|"))
	}
	return rows, st
}

// lakeQueries exercise every kind of scan and every kind of pushed-down
// term over converted output: each must answer as over the text.
var lakeQueries = []string{
	"SELECT count(*) FROM logs",
	"SELECT * FROM logs WHERE requester = 'arn:aws:iam::123456789012:user/alice' ORDER BY log_object, log_line LIMIT 50",
	"SELECT requestdatetime, remoteip, requester, key FROM logs WHERE operation LIKE '%DELETE%'",
	"SELECT key, count(*) FROM logs WHERE operation IN ('REST.PUT.OBJECT', 'REST.COPY.OBJECT') GROUP BY key",
	"SELECT count(*) FROM logs WHERE requester IS NULL",
	"SELECT count(*), sum(bytessent) FROM logs WHERE requester IS NOT NULL AND sigv = 'SigV2'",
	"SELECT httpstatus, count(*) FROM logs WHERE httpstatus LIKE '4%' GROUP BY httpstatus",
	"SELECT count(*) FROM logs WHERE httpstatus = '403'",
	"SELECT count(*) FROM logs WHERE httpstatus >= 500",
	"SELECT count(*) FROM logs WHERE httpstatus BETWEEN 300 AND 404",
	"SELECT count(*) FROM logs WHERE bytessent > 1000000",
	"SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-03 00:00:00' GROUP BY remoteip",
	"SELECT count(*) FROM logs WHERE requestdatetime BETWEEN TIMESTAMP '2024-03-02 07:00:00' AND TIMESTAMP '2024-03-02 19:00:00'",
	"SELECT count(*) FROM logs WHERE timestamp = '2024/03/03'",
	"SELECT count(*) FROM logs WHERE timestamp BETWEEN '2024/03/02' AND '2024/03/03'",
	"SELECT dt, count(*) FROM logs WHERE dt >= '2024-03-02' GROUP BY dt",
	"SELECT count(*) FROM logs WHERE requestdatetime >= DATE '2024-03-03'",
	"SELECT substr(requestdatetime, 1, 14) AS hour, count(*) FROM logs GROUP BY 1",
	"SELECT count(*) FROM logs WHERE requestdatetime LIKE '02/Mar/2024:1%'",
	"SELECT requesturi_operation, requesturi_httpprotoversion, count(*) FROM logs GROUP BY 1, 2",
	"SELECT requesturi_key FROM logs WHERE key LIKE 'images/%' AND requesturi_operation = 'GET' ORDER BY requesturi_key LIMIT 20",
	"SELECT count(*) FROM logs WHERE request_uri LIKE '%X-Amz-Credential%'",
	"SELECT log_object, max(log_line) FROM logs GROUP BY log_object",
	"SELECT count(DISTINCT requestid), approx_distinct(remoteip) FROM logs",
	"SELECT useragent, count(*) AS n FROM logs GROUP BY useragent ORDER BY n DESC, useragent LIMIT 5",
	"SELECT count(*) FROM logs WHERE errorcode = 'NoSuchKey' OR errorcode = 'AccessDenied'",
	"SELECT count(*) FROM logs WHERE tlsversion IN ('TLSv1', 'TLSv1.1') OR ciphersuite IS NULL",
	"SELECT count(*) FROM logs WHERE requester = '-'",
	"SELECT count(*) FROM logs WHERE totaltime != '-' AND turnaroundtime > 50",
	"SELECT bucket, bucket_name, hostheader, count(*) FROM logs GROUP BY 1, 2, 3",
	"SELECT a.requester, count(*) FROM logs a JOIN (SELECT DISTINCT requester FROM logs WHERE sigv = 'SigV2') b ON a.requester = b.requester GROUP BY a.requester",
	"WITH d AS (SELECT requester, key FROM logs WHERE operation = 'REST.DELETE.OBJECT') SELECT count(*) FROM d WHERE key IN (SELECT key FROM logs WHERE operation = 'REST.PUT.OBJECT')",
	"SELECT key, requester, row_number() OVER (PARTITION BY requester ORDER BY requestdatetime, log_object, log_line) AS rn FROM logs WHERE operation = 'REST.DELETE.OBJECT'",
	"SELECT operation FROM logs WHERE httpstatus = 200 UNION SELECT errorcode FROM logs WHERE httpstatus = 404",
	"SELECT count(*) FROM logs WHERE key = 'no/such/key/at/all'",
	"SELECT count(*) FROM logs WHERE requestdatetime > TIMESTAMP '2030-01-01 00:00:00'",
	// Aggregates fed from the columns' values (part.feedLake), and some
	// that are not.
	"SELECT requester, sigv, count(bytessent), sum(objectsize), min(totaltime), max(turnaroundtime), avg(httpstatus), min(requestdatetime), max(requestdatetime), count(*) FROM logs GROUP BY requester, sigv",
	"SELECT operation, count(DISTINCT httpstatus), sum(bytessent), approx_percentile(totaltime, 0.5) FROM logs WHERE key LIKE 'images/%' GROUP BY operation",
	"SELECT remoteip FROM logs WHERE operation = 'REST.GET.OBJECT' GROUP BY remoteip",
	"SELECT errorcode, sum(bytessent) FILTER (WHERE httpstatus >= 400), max(httpstatus || ''), count(requester) FROM logs GROUP BY errorcode",
	"SELECT requester, sum(bytessent) FROM logs WHERE requestdatetime < TIMESTAMP '2024-03-03 00:00:00' AND operation LIKE '%GET%' GROUP BY requester",
	"SELECT count(*) FROM logs WHERE key LIKE '%.jpg' AND operation = 'REST.GET.OBJECT'",
}

// TestLakeAnswersAsText runs every query of lakeQueries over the text logs
// and over their converted lake: the answers must be the same rows.
func TestLakeAnswersAsText(t *testing.T) {
	logs, lake := lakeData(t, convert.Options{RowGroupRows: 400})
	nonEmpty := 0
	for _, sql := range lakeQueries {
		want, _ := runOn(t, sql, RunOptions{}, logs)
		got, _ := runOn(t, sql, RunOptions{}, lake)
		if !strings.Contains(sql, " LIMIT ") { // the rows of a query without ORDER BY ... LIMIT come in any order
			slices.Sort(want)
			slices.Sort(got)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s\n%s", sql, rowDiff(got, want))
		}
		if len(want) > 0 && want[0] != "0" {
			nonEmpty++
		}
	}
	if nonEmpty < len(lakeQueries)-3 {
		t.Errorf("only %d of %d queries have a non-trivial answer: the data does not exercise them", nonEmpty, len(lakeQueries))
	}
}

// TestLakePrunes checks that a time window skips partitions and that a
// selective term reads fewer rows than the lake holds, with the answer
// unchanged.
func TestLakePrunes(t *testing.T) {
	logs, lake := lakeData(t, convert.Options{RowGroupRows: 200})
	sql := "SELECT count(*) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 06:00:00' AND requestdatetime < TIMESTAMP '2024-03-02 09:00:00'"
	want, _ := runOn(t, sql, RunOptions{}, logs)
	got, st := runOn(t, sql, RunOptions{}, lake)
	if !slices.Equal(got, want) || want[0] == "0" {
		t.Fatalf("lake %v, text %v", got, want)
	}
	all, total := runOn(t, "SELECT count(*) FROM logs", RunOptions{}, lake)
	if st.SkippedTime.Load() == 0 || st.Lines.Load() >= total.Lines.Load()/4 {
		t.Errorf("a 3-hour window skipped %d files and read %d of %s rows", st.SkippedTime.Load(), st.Lines.Load(), all[0])
	}
}

// rowDiff describes how the lake's rows differ from the text's.
func rowDiff(lake, text []string) string {
	var d []string
	for i := 0; i < max(len(lake), len(text)) && len(d) < 6; i++ {
		var l, x string
		if i < len(lake) {
			l = lake[i]
		}
		if i < len(text) {
			x = text[i]
		}
		if l != x {
			d = append(d, fmt.Sprintf("row %d: lake %q, text %q", i, l, x))
		}
	}
	return fmt.Sprintf("lake %d rows, text %d rows; %s", len(lake), len(text), strings.Join(d, "; "))
}

// TestLakeArgs checks which plans feed their aggregates from converted
// output's column values (Plan.lakeArgs): plain integer and time columns
// and count(*), not expressions, string views or string columns.
func TestLakeArgs(t *testing.T) {
	f := func(sql string, want bool) {
		t.Helper()
		p, err := Compile(sql, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.lakeArgs() != nil; got != want {
			t.Errorf("%s: lakeArgs %v, want %v", sql, got, want)
		}
	}
	f("SELECT remoteip, sum(bytessent) FROM logs GROUP BY remoteip", true)
	f("SELECT remoteip, count(*), min(requestdatetime), avg(httpstatus) FROM logs GROUP BY remoteip", true)
	f("SELECT remoteip FROM logs GROUP BY remoteip", true)
	f("SELECT remoteip, count(DISTINCT objectsize) FROM logs GROUP BY remoteip", true)
	f("SELECT remoteip, sum(bytessent + 1) FROM logs GROUP BY remoteip", false)
	f("SELECT remoteip, max(httpstatus || '') FROM logs GROUP BY remoteip", false)
	f("SELECT remoteip, count(requester) FROM logs GROUP BY remoteip", false)
	f("SELECT remoteip, max_by(key, bytessent) FROM logs GROUP BY remoteip", false)
	f("SELECT remoteip, max(log_line) FROM logs GROUP BY remoteip", false)
	f("SELECT remoteip, bytessent FROM logs", false)
}
