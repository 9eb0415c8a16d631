package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

func runQueryCmd(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	code = run(context.Background(), e, append([]string{"query"}, args...))
	return code, out.String(), errb.String()
}

// queryFixture writes generated log objects under a temporary directory
// (simple layout, keys are delivery times) and returns the records.
func queryFixture(t *testing.T) (string, []gen.Record) {
	t.Helper()
	dir := t.TempDir()
	objs, err := gen.All(gen.Config{Seed: 8, Objects: 6, LinesPerObject: 150})
	if err != nil {
		t.Fatal(err)
	}
	var recs []gen.Record
	for _, o := range objs {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, o.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, o.Records...)
	}
	return dir, recs
}

func TestQueryCommand(t *testing.T) {
	dir, recs := queryFixture(t)

	// CSV (the default off a terminal): header with aliases, NULL empty.
	code, out, stderr := runQueryCmd("", "SELECT requester, Sigv, Count(Sigv) as SigCount FROM s3_access_logs_db.mybucket_logs GROUP BY requester, Sigv;", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "requester,sigv,SigCount" {
		t.Errorf("header %v", rows[0])
	}
	want := map[string]int{}
	for i := range recs {
		r := &recs[i]
		sig, ok := r.Value(parse.SigV)
		k := r.Requester + "|" + sig
		want[k] += 0
		if ok {
			want[k]++
		}
	}
	got := map[string]int{}
	for _, r := range rows[1:] {
		n, _ := strconv.Atoi(r[2])
		got[r[0]+"|"+r[1]] = n
	}
	if len(got) != len(want) || len(want) < 3 {
		t.Errorf("%d groups, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("group %q: %d, want %d", k, got[k], n)
		}
	}
	if !strings.Contains(stderr, strconv.Itoa(len(recs))+" lines") {
		t.Errorf("summary %q does not count %d lines", stderr, len(recs))
	}

	// JSON lines: NULL is null, timestamps RFC 3339, numbers are numbers;
	// the source named in FROM; --quiet.
	q := "SELECT requestdatetime AS t, requester, bytessent FROM '" + dir + "' WHERE Requester IS NULL ORDER BY t"
	code, out, stderr = runQueryCmd("", "--format", "json", "--quiet", q)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet printed %q", stderr)
	}
	var wantTimes []string
	for i := range recs {
		if recs[i].Requester == "" {
			wantTimes = append(wantTimes, recs[i].Time.Format(time.RFC3339))
		}
	}
	sort.Strings(wantTimes)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(wantTimes) || len(wantTimes) == 0 {
		t.Fatalf("%d JSON lines, want %d", len(lines), len(wantTimes))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		if m["t"] != wantTimes[i] || m["requester"] != nil {
			t.Errorf("line %d: %v, want t=%s requester=null", i, m, wantTimes[i])
		}
		if v, ok := m["bytessent"]; ok && v != nil {
			if _, isNum := v.(float64); !isNum {
				t.Errorf("bytessent %v is not a number", v)
			}
		}
	}

	// stdin, --out, and a time window from WHERE.
	var all bytes.Buffer
	for i := range recs {
		all.Write(recs[i].AppendLine(nil))
		all.WriteByte('\n')
	}
	outFile := filepath.Join(t.TempDir(), "n.csv")
	code, _, stderr = runQueryCmd(all.String(), "--out", outFile, "SELECT count(*) AS n FROM logs WHERE timestamp = '2024/03/02'", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n := 0
	for i := range recs {
		if recs[i].Time.Format("2006/01/02") == "2024/03/02" {
			n++
		}
	}
	if b, _ := os.ReadFile(outFile); string(b) != "n\n"+strconv.Itoa(n)+"\n" {
		t.Errorf("--out file %q, want n=%d", b, n)
	}

	// --explain prints the plan and lists without reading.
	code, out, stderr = runQueryCmd("", "--explain", "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation like '%DELETE%' AND timestamp = '2024/03/02'", dir)
	if code != 0 {
		t.Fatalf("explain exit %d: %s", code, stderr)
	}
	for _, s := range []string{`line contains "images/picture.jpg" and "DELETE"`, "pushed down:", "time window:     [2024-03-02T00:00:00Z, 2024-03-02T23:59:59Z]", "6 listed"} {
		if !strings.Contains(out, s) {
			t.Errorf("explain output lacks %q:\n%s", s, out)
		}
	}
}

func TestQueryCommandErrors(t *testing.T) {
	dir, _ := queryFixture(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"SELECT reqester FROM t", dir}, 2, `line 1:8: unknown column "reqester" (did you mean "requester"?)`},
		{[]string{"SELECT * FROM t WHERE", dir}, 2, "line 1:22:"},
		{[]string{"SELECT * FROM s3_access_logs_db"}, 2, "no source"},
		{[]string{"SELECT * FROM '" + dir + "'", dir}, 2, "use one"},
		{[]string{}, 2, "missing SQL"},
		{[]string{"--format", "xml", "SELECT 1 FROM t", dir}, 2, "unknown format"},
		{[]string{"--shard", "3/2", "SELECT 1 FROM t", dir}, 2, "--shard"},
		{[]string{"SELECT count(*) FROM t", filepath.Join(dir, "no-such-file")}, 1, "no-such-file"},
	} {
		code, _, stderr := runQueryCmd("", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

func TestQueryRejectsAndStrict(t *testing.T) {
	_, recs := queryFixture(t)
	input := string(recs[0].AppendLine(nil)) + "\nnot a log line at all\n" + string(recs[1].AppendLine(nil)) + "\n"
	rej := filepath.Join(t.TempDir(), "rejects.txt")
	code, out, stderr := runQueryCmd(input, "--rejects", rej, "SELECT count(*) FROM t", "-")
	if code != 0 || out != "count(*)\n2\n" {
		t.Fatalf("exit %d, out %q: %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "1 rejected") {
		t.Errorf("summary %q does not count the reject", stderr)
	}
	b, _ := os.ReadFile(rej)
	if !strings.HasPrefix(string(b), "-:2:") || !strings.Contains(string(b), "not a log line at all") {
		t.Errorf("rejects file %q, want object:line:column and the line", b)
	}
	code, _, stderr = runQueryCmd(input, "--strict", "SELECT count(*) FROM t", "-")
	if code != 1 || !strings.Contains(stderr, "-:2:") {
		t.Errorf("--strict: exit %d, %q", code, stderr)
	}
}

func TestQueryParquetOutput(t *testing.T) {
	dir, recs := queryFixture(t)
	for _, f := range []string{"parquet", "arrow"} {
		p := filepath.Join(t.TempDir(), "out."+f)
		code, _, stderr := runQueryCmd("", "--format", f, "--out", p, "SELECT httpstatus, count(*) AS n, max(requestdatetime) AS last FROM t GROUP BY httpstatus", dir)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, stderr)
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 8 {
			t.Fatalf("%s: %d bytes, %v", f, len(b), err)
		}
		magic := map[string]string{"parquet": "PAR1", "arrow": "ARROW1"}[f]
		if !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("%s output does not start with %q", f, magic)
		}
	}
	_ = recs
}

// TestQueryS3 runs a time-bounded query against an in-process S3 server:
// the answer is exact and objects outside the window are never read.
func TestQueryS3(t *testing.T) {
	endpoint := s3test.Server(t, nil)
	ctx := context.Background()
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: endpoint}, "s3://logbucket/")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(gen.Config{Seed: 12, Objects: 14, LinesPerObject: 80, Prefix: "logs/"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range objs {
		if err := up.Put(ctx, o.Key, o.Bytes()); err != nil {
			t.Fatal(err)
		}
		for _, r := range o.Records {
			if r.Time.Format("2006/01/02") == "2024/03/03" {
				n++
			}
		}
	}
	q := "SELECT count(*) AS n FROM 's3://logbucket/logs/' WHERE timestamp = '2024/03/03'"
	code, out, stderr := runQueryCmd("", "--endpoint", endpoint, q)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "n\n"+strconv.Itoa(n)+"\n" || n == 0 {
		t.Errorf("got %q, want n=%d", out, n)
	}
	// Listing starts after the window's start and objects delivered after
	// its end (plus lateness) are skipped: fewer than 14 objects are read.
	var read int
	if _, err := fmt.Sscanf(strings.TrimPrefix(stderr, "s3logs query: "), "%d objects read", &read); err != nil || read == 0 || read >= len(objs) {
		t.Errorf("summary %q: want between 1 and %d objects read", stderr, len(objs)-1)
	}
}
