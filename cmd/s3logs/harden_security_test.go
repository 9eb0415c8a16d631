package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestOutNoClobber: query and report refuse to replace an existing --out
// or --rejects file without --force (exit 2, file untouched); with --force
// the result replaces it, readable like a file os.Create makes.
func TestOutNoClobber(t *testing.T) {
	dir, recs := queryFixture(t)
	outDir := t.TempDir()
	existing := filepath.Join(outDir, "result.csv")
	if err := os.WriteFile(existing, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(outDir, "fresh.csv")
	for _, args := range [][]string{
		{"query", "--out", existing, "SELECT count(*) AS n FROM t", dir},
		{"query", "--out", fresh, "--rejects", existing, "SELECT count(*) AS n FROM t", dir},
		{"report", "--out", existing, "--format", "json", dir},
		{"report", "--out", fresh, "--rejects", existing, dir},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
		if code != 2 || !strings.Contains(errb.String(), existing+": file exists (--force overwrites it)") {
			t.Errorf("%q: exit %d, %q; want 2 naming the existing file", args, code, errb.String())
		}
		if b, _ := os.ReadFile(existing); string(b) != "precious\n" {
			t.Errorf("%q changed the existing file to %q", args, b)
		}
		if _, err := os.Stat(fresh); err == nil {
			t.Errorf("%q wrote %s though it failed", args, fresh)
		}
	}
	code, _, stderr := runQueryCmd("", "--force", "--out", existing, "SELECT count(*) AS n FROM t", dir)
	if code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(existing)
	if string(b) != "n\n"+strconv.Itoa(len(recs))+"\n" {
		t.Errorf("--force: %s holds %q, want n=%d", existing, b, len(recs))
	}
	if fi, err := os.Stat(existing); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("--out file mode %v, %v; want 0644", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(outDir)
	if len(ents) != 1 {
		t.Errorf("output directory holds %d entries, want only result.csv (no temporary files)", len(ents))
	}
}

// TestOutTempPrivate: while a query runs, its result is in a temporary
// file only the user can read, beside --out; --out appears at the end.
func TestOutTempPrivate(t *testing.T) {
	_, recs := queryFixture(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "rows.csv")
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(context.Background(), &env{stdin: pr, stdout: io.Discard, stderr: &errb}, []string{"query", "--out", out, "SELECT requestid FROM t", "-"})
	}()
	pw.Write(append(recs[0].AppendLine(nil), '\n'))
	var tmp os.FileInfo
	for deadline := time.Now().Add(30 * time.Second); tmp == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ents, _ := os.ReadDir(outDir)
		for _, e := range ents {
			if e.Name() == "rows.csv" {
				t.Fatal("--out exists before the query finished")
			}
			tmp, _ = e.Info()
		}
	}
	if tmp == nil {
		t.Fatal("no temporary result file appeared")
	}
	if tmp.Mode().Perm() != 0o600 || !strings.HasPrefix(tmp.Name(), ".rows.csv.tmp") {
		t.Errorf("temporary file %s has mode %v, want a private .rows.csv.tmp* file", tmp.Name(), tmp.Mode())
	}
	pw.Write(append(recs[1].AppendLine(nil), '\n'))
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, _ := os.ReadFile(out)
	if want := "requestid\n" + recs[0].RequestID + "\n" + recs[1].RequestID + "\n"; string(b) != want {
		t.Errorf("--out holds %q, want %q", b, want)
	}
}

// TestTLSVerified: an https endpoint with a certificate no trusted CA
// signed is refused (exit 1, a certificate error), not silently trusted.
func TestTLSVerified(t *testing.T) {
	fakeCreds(t)
	t.Setenv("AWS_CA_BUNDLE", "")
	var reached, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	code, out, stderr := runQueryCmd("", "--endpoint", srv.URL, "SELECT count(*) FROM t", "s3://bucket/logs/")
	if code != 1 || out != "" || !strings.Contains(stderr, "certificate") {
		t.Errorf("self-signed endpoint: exit %d, out %q, stderr %q; want exit 1 with a certificate error", code, out, stderr)
	}
	if reached.Load() > 0 {
		t.Error("a request reached the untrusted server")
	}
	// A certificate error is final: not retried with backoff.
	if n := conns.Load(); n > 2 {
		t.Errorf("%d connections to the untrusted server, want the certificate error not retried", n)
	}
	oneLineError(t, "self-signed endpoint", stderr, "query", "s3://bucket/logs/")
}

// TestRejectsFileLifetime: a run that fails before any reject leaves no
// empty --rejects file (which would block the next run without --force);
// a strict run that fails on a reject keeps it, naming the line.
func TestRejectsFileLifetime(t *testing.T) {
	dir := t.TempDir()
	rej := filepath.Join(dir, "rejects.txt")
	code, _, _ := runQueryCmd("", "--rejects", rej, "SELECT count(*) FROM t", filepath.Join(dir, "missing.log"))
	if _, err := os.Stat(rej); code != 1 || err == nil {
		t.Errorf("failed run: exit %d, rejects file stat %v; want exit 1 and no file", code, err)
	}
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte("not a log line\n"), 0o644)
	code, _, _ = runQueryCmd("", "--strict", "--rejects", rej, "SELECT count(*) FROM t", bad)
	b, _ := os.ReadFile(rej)
	if code != 1 || !strings.HasPrefix(string(b), bad+":1:") {
		t.Errorf("--strict: exit %d, rejects %q; want exit 1 and the line named", code, b)
	}
}
