package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/report"
)

func runReportCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code = run(context.Background(), e, append([]string{"report"}, args...))
	return code, out.String(), errb.String()
}

func reportJSON(t *testing.T, args ...string) *report.Report {
	t.Helper()
	code, out, stderr := runReportCmd(append(args, "--format", "json", "--quiet")...)
	if code != 0 {
		t.Fatalf("report %v: exit %d: %s", args, code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report %v: %v\n%.300s", args, err, out)
	}
	return &r
}

// exampleRecordsOn counts the example records whose request time starts
// with the day (as logged, e.g. "02/Mar/2024"), by reading the lines
// directly.
func exampleRecordsOn(t *testing.T, days ...string) int64 {
	t.Helper()
	files, err := filepath.Glob("../../examples/logs/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("example logs: %v", err)
	}
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			for _, d := range days {
				if strings.Contains(l, " ["+d+":") {
					n++
				}
			}
		}
	}
	return n
}

func TestReportCommandLocal(t *testing.T) {
	const src = "../../examples/logs/"
	all := reportJSON(t, src)
	if all.Records != 2204 || all.Objects != 24 {
		t.Errorf("records %d objects %d, want 2204 and 24 (examples/README.md)", all.Records, all.Objects)
	}
	for _, s := range all.Sections {
		if s.ID == report.SecSigV2 {
			if len(s.Tables[0].Rows) != 1 || s.Tables[0].Rows[0][0] != "arn:aws:iam::123456789012:user/legacy-backup" ||
				s.Tables[0].Rows[0][1] != float64(143) {
				t.Errorf("SigV2 = %v, want legacy-backup with 143 (examples/README.md)", s.Tables[0].Rows)
			}
		}
	}

	day2 := exampleRecordsOn(t, "02/Mar/2024")
	if r := reportJSON(t, src, "--from", "2024-03-02", "--to", "2024-03-02"); r.Records != day2 || day2 == 0 {
		t.Errorf("--from/--to 2024-03-02: %d records, want %d", r.Records, day2)
	}
	if r := reportJSON(t, src, "--from", "2024-03-02T00:00:00Z", "--to", "2024-03-03T00:00:00Z"); r.Records != day2 {
		t.Errorf("--from/--to RFC 3339: %d records, want %d", r.Records, day2)
	}
	day3 := exampleRecordsOn(t, "03/Mar/2024")
	r := reportJSON(t, src, "--since", "24h", "--now", "2024-03-03T23:59:59Z")
	if r.Records != day3 {
		t.Errorf("--since 24h: %d records, want %d", r.Records, day3)
	}
	if !r.Generated.Equal(time.Date(2024, 3, 3, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("generated %v, want --now", r.Generated)
	}
	if r := reportJSON(t, src, "--since", "2d", "--now", "2024-03-03T23:59:59Z"); r.Records != day2+day3 {
		t.Errorf("--since 2d: %d records, want %d", r.Records, day2+day3)
	}

	// --out picks the format from the extension; the default is HTML.
	dir := t.TempDir()
	for _, c := range []struct{ name, marker string }{
		{"r.html", "<!DOCTYPE html>"}, {"r.md", "# S3 access log report"}, {"r.json", `"sections"`}, {"r.out", "<!DOCTYPE html>"},
	} {
		p := filepath.Join(dir, c.name)
		if code, _, stderr := runReportCmd(src, "--out", p); code != 0 {
			t.Fatalf("--out %s: exit %d: %s", c.name, code, stderr)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.marker) {
			t.Errorf("--out %s lacks %q", c.name, c.marker)
		}
	}
	if code, out, _ := runReportCmd(src, "--quiet", "--format", "md", "--top", "3"); code != 0 || !strings.Contains(out, "Top 3 of ") {
		t.Errorf("--top 3: exit %d, output lacks \"Top 3 of\"", code)
	}
}

func TestReportCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"x", "--since", "90d", "--from", "2024-03-01"},
		{"x", "--since", "ninety"},
		{"x", "--since", "-5d"},
		{"x", "--from", "yesterday"},
		{"x", "--from", "2024-03-02", "--to", "2024-03-01"},
		{"x", "--format", "pdf"},
		{"x", "--top", "0"},
		{"x", "--now", "soon"},
	} {
		if code, _, stderr := runReportCmd(args...); code != 2 {
			t.Errorf("report %q: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if code, _, _ := runReportCmd(filepath.Join(t.TempDir(), "missing")); code != 1 {
		t.Errorf("missing source: exit %d, want 1", code)
	}
}

func TestParseSince(t *testing.T) {
	f := func(in string, want time.Duration, ok bool) {
		t.Helper()
		got, err := parseSince(in)
		if (err == nil) != ok || got != want {
			t.Errorf("parseSince(%q) = %v, %v; want %v, ok %v", in, got, err, want, ok)
		}
	}
	f("90d", 90*24*time.Hour, true)
	f("36h", 36*time.Hour, true)
	f("1d12h", 36*time.Hour, true)
	f("2h30m", 150*time.Minute, true)
	f("0d", 0, false)
	f("d", 0, false)
	f("-1d", 0, false)
	f("1dx", 0, false)
	f("", 0, false)
}

// TestReportCommandS3 reports on log objects in an in-process S3 fake and
// expects the same sections as for the same files on disk.
func TestReportCommandS3(t *testing.T) {
	endpoint := s3test.Server(t, nil)
	ctx := context.Background()
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: endpoint}, "s3://log-bucket/logs/")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../examples/logs/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := up.Put(ctx, filepath.Base(f), b); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--from", "2024-03-02", "--to", "2024-03-03", "--now", "2024-03-04T00:00:00Z"}
	local := reportJSON(t, append([]string{"../../examples/logs/"}, args...)...)
	remote := reportJSON(t, append([]string{"s3://log-bucket/logs/", "--endpoint", endpoint}, args...)...)
	if remote.Records == 0 || remote.Records != local.Records || remote.Objects != local.Objects {
		t.Errorf("S3: %d records in %d objects, local: %d in %d", remote.Records, remote.Objects, local.Records, local.Objects)
	}
	lj, _ := json.Marshal(local.Sections)
	rj, _ := json.Marshal(remote.Sections)
	if !bytes.Equal(lj, rj) {
		t.Errorf("S3 report sections differ from the local report's")
	}
}
