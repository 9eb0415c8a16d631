package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/logging/loggingtest"
)

const testAccount = "111122223333"

// runCmd runs one s3logs command line in-process against srv.
func runCmd(t *testing.T, srv *loggingtest.Server, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	args = append(args, "--endpoint", srv.URL)
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func fakeAWS(t *testing.T) *loggingtest.Server {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	// awsconf's own HTTP client cannot take a custom CA bundle; the fake
	// server is plain HTTP anyway.
	t.Setenv("AWS_CA_BUNDLE", "")
	s := loggingtest.New()
	t.Cleanup(s.Close)
	// Without --account the CLI asks STS; keep that call on the fake too.
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL)
	s.AddBucket("web", "us-east-1")
	s.AddBucket("data", "eu-central-1")
	s.AddBucket("old", "eu-central-1")
	s.AddBucket("elsewhere", "eu-central-1")
	s.SetLogging("old", &loggingtest.Logging{TargetBucket: "elsewhere", TargetPrefix: "o/", Format: "partitioned", DateSource: "EventTime"})
	return s
}

func TestEnableCLI(t *testing.T) {
	s := fakeAWS(t)
	usTarget, euTarget := testAccount+"-s3-access-logs-us-east-1", testAccount+"-s3-access-logs-eu-central-1"

	code, out, errOut := runCmd(t, s, "enable", "--dry-run", "--account", testAccount, "--expire-after", "365d", "--key-format", "partitioned")
	if code != 0 {
		t.Fatalf("dry run exit %d: %s", code, errOut)
	}
	if w := s.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote %+v", w)
	}
	for _, want := range [][]string{
		{"BUCKET", "REGION", "LOGGING BUCKET", "PREFIX", "KEY FORMAT", "ACTION"},
		{"data", "eu-central-1", euTarget, "data/", "partitioned(EventTime)", "enable"},
		{"web", "us-east-1", usTarget, "web/", "partitioned(EventTime)", "enable"},
		{"old", "eu-central-1", "-", "-", "-", "skip:", "s3://elsewhere/o/"},
		{usTarget, "us-east-1", "create", "put policy", "expire after 365d"},
		{euTarget, "eu-central-1", "create", "put policy (delivery for 2 buckets)"}, // data and elsewhere, not old
	} {
		if !hasLine(out, want...) {
			t.Errorf("dry run output lacks a line with %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "dry run: nothing was changed") {
		t.Errorf("dry run output:\n%s", out)
	}

	code, out, errOut = runCmd(t, s, "enable", "--account", testAccount, "--expire-after", "365", "--key-format", "partitioned")
	if code != 0 {
		t.Fatalf("enable exit %d: %s\n%s", code, errOut, out)
	}
	for bucket, target := range map[string]string{"web": usTarget, "data": euTarget, "elsewhere": euTarget} {
		b, _ := s.Get(bucket)
		if b.Logging == nil || b.Logging.TargetBucket != target || b.Logging.TargetPrefix != bucket+"/" || b.Logging.Format != "partitioned" || b.Logging.DateSource != "EventTime" {
			t.Errorf("%s logging %+v", bucket, b.Logging)
		}
	}
	if !strings.Contains(out, "3 enabled, 0 updated, 0 unchanged, 1 skipped, 0 failed") {
		t.Errorf("enable output:\n%s", out)
	}
	// The logging buckets were created through clients of their regions.
	for _, c := range s.Calls() {
		if c.Op == "CreateBucket" && (c.Bucket == euTarget) != (c.Region == "eu-central-1") {
			t.Errorf("CreateBucket %s signed for %s", c.Bucket, c.Region)
		}
	}

	before := len(s.Writes())
	code, out, errOut = runCmd(t, s, "enable", "--account", testAccount, "--expire-after", "365d", "--key-format", "partitioned")
	if code != 0 || !strings.Contains(out, "nothing to change") || !strings.Contains(out, "0 enabled, 0 updated, 3 unchanged, 3 skipped, 0 failed") {
		t.Errorf("second enable exit %d:\n%s%s", code, out, errOut)
	}
	if len(s.Writes()) != before {
		t.Errorf("second enable wrote %+v", s.Writes()[before:])
	}

	code, out, errOut = runCmd(t, s, "status", "--account", testAccount)
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	for _, want := range [][]string{
		{"BUCKET", "REGION", "LOGGING", "TARGET BUCKET", "TARGET PREFIX", "KEY FORMAT"},
		{"web", "us-east-1", "on", usTarget, "web/", "partitioned(EventTime)"},
		{"old", "eu-central-1", "on", "elsewhere", "o/", "partitioned(EventTime)"},
		{usTarget, "us-east-1", "off"},
		{"s3logs query", "s3://" + usTarget + "/web/" + testAccount + "/us-east-1/web/"},
		{"s3logs convert", "s3://elsewhere/o/" + testAccount + "/eu-central-1/old/"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("status output lacks a line with %q:\n%s", want, out)
		}
	}
}

func TestEnableCLIFailureAndSimpleStatus(t *testing.T) {
	s := fakeAWS(t)
	s.Fail("PutBucketLogging", "data", "AccessDenied")
	code, out, errOut := runCmd(t, s, "enable", "--account", testAccount, "--buckets", "web,data")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	if !hasLine(out, "data: FAILED", "AccessDenied") || !hasLine(out, "web: enabled") || !strings.Contains(errOut, "1 of 2") {
		t.Errorf("output:\n%s\nstderr:\n%s", out, errOut)
	}
	if b, _ := s.Get("web"); b.Logging == nil || b.Logging.Format != "simple" {
		t.Errorf("web logging %+v", b.Logging)
	}
	// No --account: it comes from STS, which the fake answers.
	s.SetAccount("444455556666")
	if code, out, errOut := runCmd(t, s, "enable", "--buckets", "old", "--force", "--dry-run"); code != 0 ||
		!hasLine(out, "old", "eu-central-1", "444455556666-s3-access-logs-eu-central-1", "old/", "simple", "update") {
		t.Errorf("account from STS: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, s, "status", "--buckets", "web")
	target := testAccount + "-s3-access-logs-us-east-1"
	if code != 0 || !hasLine(out, "web", "on", target, "web/", "simple") || !hasLine(out, "s3logs query", "s3://"+target+"/web/") {
		t.Errorf("status exit %d:\n%s%s", code, out, errOut)
	}
	s.Fail("GetBucketLogging", "data", "AccessDenied")
	if code, out, errOut := runCmd(t, s, "status", "--buckets", "web,data"); code != 1 || !hasLine(out, "data", "error") || !hasLine(errOut, "data:", "AccessDenied") {
		t.Errorf("status with a failing bucket: exit %d\n%s", code, out)
	}
}

func TestEnableCLIBadFlags(t *testing.T) {
	s := fakeAWS(t)
	for _, args := range [][]string{
		{"enable", "--account", testAccount, "--expire-after", "1y"},
		{"enable", "--account", testAccount, "--expire-after", "-3d"},
		{"enable", "--account", testAccount, "--key-format", "hive"},
		{"enable", "--account", testAccount, "--partition-date", "yesterday"},
		{"enable", "--account", "abc"},
		{"enable", "--account", testAccount, "--target-bucket-pattern", "{acct}-logs"},
		{"enable", "--account", testAccount, "--target-bucket-pattern", "logs"}, // one name for two regions
		{"enable", "--account", testAccount, "extra"},
		{"enable", "--nope"},
		{"status", "--concurrency", "0"},
	} {
		if code, out, errOut := runCmd(t, s, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
	if w := s.Writes(); len(w) != 0 {
		t.Errorf("bad flags wrote %+v", w)
	}
}

// hasLine reports whether some line of out contains every one of parts, in
// order.
func hasLine(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
