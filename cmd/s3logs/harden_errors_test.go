package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3logs/s3logs/internal/s3test"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// secretKey is the secret access key the tests put in the environment; it
// must never appear in any output.
const secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEYZZ"

// fakeCreds points the AWS SDK at recognisable test credentials and no
// shared config.
func fakeCreds(t *testing.T) {
	s3test.Isolate(t, "AKIAHARDENTESTKEY000", secretKey)
}

// oneLineError checks that stderr is a single "s3logs CMD: ..." line
// holding want, with no stack trace and no secret.
func oneLineError(t *testing.T, what, stderr, cmd string, want ...string) {
	t.Helper()
	assertClean(t, what, stderr)
	// A run that started prints its summary line first.
	if i := strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n"); i >= 0 && strings.Contains(stderr[:i], " objects read") {
		stderr = stderr[i+1:]
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "s3logs "+cmd+": ") {
		t.Errorf("%s: stderr is not one %q line: %q", what, "s3logs "+cmd+": ", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr %q lacks %q", what, stderr, w)
		}
	}
}

var sqlPos = regexp.MustCompile(`line \d+:\d+`)

// TestBadQueries: malformed SQL, unknown names and type errors exit 2 with
// one line that names the position in the SQL.
func TestBadQueries(t *testing.T) {
	dir, _ := queryFixture(t)
	f := func(sql string, want ...string) {
		t.Helper()
		code, out, stderr := runQueryCmd("", sql, dir)
		if code != 2 || out != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and no output", sql, code, out)
		}
		oneLineError(t, sql, stderr, "query", want...)
		if !sqlPos.MatchString(stderr) {
			t.Errorf("%q: %q names no line:column", sql, stderr)
		}
	}
	// Syntax.
	f("SELEC * FROM t")
	f("SELECT FROM t")
	f("SELECT * FROM")
	f("SELECT * FROM t WHERE (key = 'a'")
	f("SELECT * FROM t WHERE key = 'unterminated")
	f("SELECT count(* FROM t")
	f("SELECT * FROM t GROUP BY")
	f("SELECT * FROM t ORDER BY key DESCENDING")
	f("SELECT * FROM t LIMIT x")
	f("SELECT * FROM t LIMIT -1")
	f("SELECT * FROM t WHERE httpstatus IN ()")
	f("SELECT * FROM t WHERE key LIKE")
	f("SELECT * FROM t; SELECT 1 FROM t")
	f("SELECT 1 + FROM t")
	f("SELECT * FROM t WHERE key = \x00")
	f("SELECT * FROM t WHERE key = 'a' AND AND key = 'b'")
	f("SELECT * FROM t WHERE requestdatetime > TIMESTAMP 'yesterday'")
	f("SELECT * FROM t WHERE requestdatetime > now() - INTERVAL '1' FORTNIGHT")
	// Names.
	f("SELECT reqester FROM t", `unknown column "reqester"`, `did you mean "requester"`)
	f("SELECT count(*) FROM t WHERE HTTPStatuss = 200", `did you mean "httpstatus"`)
	f("SELECT foo(key) FROM t", "foo")
	f("SELECT key FROM t GROUP BY nosuch", "nosuch")
	// Types.
	// (A typed column meets a string as its logged text, SPEC §4; a
	// computed number does not.)
	f("SELECT * FROM t WHERE bytessent + 1 = 'abc'", "bytessent")
	f("SELECT sum(key) FROM t", "sum")
	f("SELECT avg(requester) FROM t", "avg")
	f("SELECT * FROM t WHERE key + 1 > 2")
	f("SELECT * FROM t WHERE key")
	f("SELECT * FROM t WHERE lower(httpstatus + 1) = 'a'")
	f("SELECT approx_percentile(bytessent, 2) FROM t")
	f("SELECT key, count(*) FROM t")
	f("SELECT parse_datetime(key, 'no such pattern QQQ') FROM t")
}

// TestBadFlags: bad flag values exit 2 with one line naming the flag.
func TestBadFlags(t *testing.T) {
	dir, _ := queryFixture(t)
	f := func(flag, value string) {
		t.Helper()
		code, out, stderr := runQueryCmd("", flag, value, "SELECT count(*) FROM t", dir)
		if code != 2 || out != "" {
			t.Errorf("%s %s: exit %d, stdout %q; want 2", flag, value, code, out)
		}
		oneLineError(t, flag+" "+value, stderr, "query", strings.TrimLeft(flag, "-"))
	}
	for _, v := range []string{"x", "-1h", "5", "1y", ""} {
		f("--lateness", v)
	}
	for _, v := range []string{"3/2", "x", "0/0", "-1/2", "1/", "/2", "2/2", "1/2/3", "a/b"} {
		f("--shard", v)
	}
	f("--workers", "-1")
	f("--workers", "many")
	f("--concurrency", "-3")
	f("--format", "xml")
	f("--no-such-flag", "1")
	f("--endpoint", "://bad")
	f("--endpoint", "localhost:9000")
	f("--endpoint", "ftp://host/")
	f("--max-groups", "0")
	f("--max-memory", "lots")
	f("--max-memory", "10MiB")
	f("--list-concurrency", "-1")
	f("--inventory", "s3://inv/")
	f("--inventory", "manifest.json")
	f("--inventory", "s3:///x/manifest.json")
	// A source that names nothing.
	for _, src := range []string{"s3://", "s3:///logs/"} {
		code, _, stderr := runQueryCmd("", "SELECT count(*) FROM t", src)
		if code != 2 {
			t.Errorf("source %q: exit %d, want 2", src, code)
		}
		oneLineError(t, src, stderr, "query", src, "no bucket")
	}
}

// TestBadSources: a missing path and a missing bucket are runtime
// failures (exit 1) naming them; access denied names the bucket; no
// credential ever appears in any output, also with --explain.
func TestBadSources(t *testing.T) {
	fakeCreds(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "logs")
	code, out, stderr := runQueryCmd("", "SELECT count(*) FROM t", missing)
	if code != 1 || out != "" {
		t.Errorf("missing path: exit %d, stdout %q", code, out)
	}
	oneLineError(t, "missing path", stderr, "query", missing)
	code, _, stderr = runQueryCmd("", "SELECT count(*) FROM '"+missing+"'")
	if code != 1 {
		t.Errorf("missing path in FROM: exit %d", code)
	}
	oneLineError(t, "missing path in FROM", stderr, "query", missing)

	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	var denied atomic.Int64
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		denied.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>`))
	}))
	defer deny.Close()
	for _, c := range []struct {
		name     string
		endpoint string
		args     []string
		want     []string
	}{
		{"missing bucket", fake.URL, []string{"SELECT count(*) FROM t", "s3://no-such-bucket/logs/"}, []string{"s3://no-such-bucket/logs/", "NoSuchBucket"}},
		{"missing bucket in FROM", fake.URL, []string{"SELECT count(*) FROM 's3://no-such-bucket/x/' WHERE timestamp = '2024/03/01'"}, []string{"s3://no-such-bucket/", "NoSuchBucket"}},
		{"access denied", deny.URL, []string{"SELECT count(*) FROM t", "s3://secret-bucket/logs/"}, []string{"s3://secret-bucket/logs/", "AccessDenied"}},
		{"access denied --explain", deny.URL, []string{"--explain", "SELECT count(*) FROM t", "s3://secret-bucket/logs/"}, []string{"s3://secret-bucket/logs/", "AccessDenied"}},
	} {
		denied.Store(0)
		code, out, stderr := runQueryCmd("", append([]string{"--endpoint", c.endpoint}, c.args...)...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1; %s", c.name, code, stderr)
		}
		oneLineError(t, c.name, stderr, "query", c.want...)
		for _, s := range []string{secretKey, "AKIAHARDENTESTKEY000", "Signature=", "Credential="} {
			if strings.Contains(out+stderr, s) {
				t.Errorf("%s: output holds %q:\n%s%s", c.name, s, out, stderr)
			}
		}
		// Access denied is final: not retried 8 times with backoff.
		if c.endpoint == deny.URL && denied.Load() > 2 {
			t.Errorf("%s: %d requests for an AccessDenied answer, want it not retried", c.name, denied.Load())
		}
	}
}

// TestMaxGroupsFlag: a GROUP BY with more distinct keys than --max-groups
// fails with exit 1 and a message saying what to do, writing no result.
func TestMaxGroupsFlag(t *testing.T) {
	dir, recs := queryFixture(t)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.RequestID] = true
	}
	out := filepath.Join(t.TempDir(), "groups.csv")
	code, stdout, stderr := runQueryCmd("", "--max-groups", "50", "--out", out, "SELECT requestid, count(*) FROM t GROUP BY requestid", dir)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1", code, stdout)
	}
	oneLineError(t, "--max-groups 50", stderr, "query", "more than 50 groups", "--max-groups")
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written by a failed query", out)
	}
	code, stdout, _ = runQueryCmd("", "--max-groups", "-1", "SELECT requestid, count(*) FROM t GROUP BY requestid", dir)
	if code != 0 || strings.Count(stdout, "\n") != len(ids)+1 {
		t.Errorf("--max-groups -1: exit %d, %d lines; want %d groups", code, strings.Count(stdout, "\n"), len(ids))
	}
	code, _, stderr = runQueryCmd("", "--max-groups", "0", "SELECT 1 FROM t", dir)
	if code != 2 {
		t.Errorf("--max-groups 0: exit %d, want 2", code)
	}
	oneLineError(t, "--max-groups 0", stderr, "query", "--max-groups")
}
