package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/creack/pty"
	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
)

// TestMain makes the test binary the s3logs command too, so that the
// scripts under testdata/script run "exec s3logs ..." as a user does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"s3logs": main})
}

// TestScripts runs one script per CLI behaviour (testdata/script/*.txtar):
// the command lines a user types, with their stdout, stderr and exit
// status. Each script gets:
//
//   - an AWS environment that reaches nothing but its own S3 server: test
//     credentials, no config or credentials files, no instance metadata;
//   - $S3, an in-process S3 server of its own (http://127.0.0.1:PORT), and
//     $S3HOST, the same server as http://localhost:PORT, where only
//     path-style addressing works (bucket.localhost does not resolve).
//     Buckets must be made (mkbucket) as on S3; see scriptS3 for the
//     buckets "denied", "slow" and "basic";
//   - $EXAMPLES, the example logs of the repository.
//
// The commands below extend the script language: exits, capture, expand,
// mkbucket, compress, pty.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples/logs")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			srv := httptest.NewServer(scriptS3(s3test.Handler(false)))
			e.Defer(srv.Close)
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			for k, v := range map[string]string{
				"S3":                          srv.URL,
				"S3HOST":                      "http://localhost:" + port,
				"EXAMPLES":                    examples,
				"AWS_ACCESS_KEY_ID":           "test",
				"AWS_SECRET_ACCESS_KEY":       "test",
				"AWS_REGION":                  "us-east-1",
				"AWS_CONFIG_FILE":             os.DevNull,
				"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
				"AWS_EC2_METADATA_DISABLED":   "true",
			} {
				e.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkbucket": cmdMkbucket,
			"s3cp":     cmdS3cp,
			"compress": cmdCompress,
			"pty":      cmdPty,
			"exits":    cmdExits,
			"capture":  cmdCapture,
			"expand":   cmdExpand,
		},
	})
}

// scriptS3 wraps the scripts' S3 server: the bucket "denied" refuses every
// request as S3 does without permission, "slow" answers after 100 ms, and
// "basic" does not implement bucket logging, as some S3-compatible servers
// do not.
func scriptS3(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch bucket {
		case "denied":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`)
			return
		case "slow":
			time.Sleep(100 * time.Millisecond)
		case "basic":
			if _, ok := r.URL.Query()["logging"]; ok {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusNotImplemented)
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message><RequestId>R</RequestId></Error>`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// exits N PROG ARGS... runs PROG as exec does and checks that its exit
// status is N (exec and ! exec tell only zero from non-zero).
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG ARGS...")
	}
	err := ts.Exec(args[1], args[2:]...)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if fmt.Sprint(code) != args[0] {
		ts.Fatalf("%s: exit status %d, want %s", args[1], code, args[0])
	}
}

// capture stdout|stderr REGEXP NAME sets $NAME to the first submatch of
// REGEXP in the last command's output, so that a later line can compare
// two commands' answers.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 || args[0] != "stdout" && args[0] != "stderr" {
		ts.Fatalf("usage: capture stdout|stderr REGEXP NAME")
	}
	m := regexp.MustCompile("(?m)" + args[1]).FindStringSubmatch(ts.ReadFile(args[0]))
	if len(m) < 2 {
		ts.Fatalf("capture: no match for %q in %s", args[1], args[0])
	}
	ts.Setenv(args[2], m[1])
}

// expand SRC DST writes SRC to DST with $VARs replaced by their values
// (for configuration files that name the script's S3 server).
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand SRC DST")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o644))
}

// scriptClient is an S3 client for the script's server, with the test
// credentials (not the test process's environment).
func scriptClient(ts *testscript.TestScript) *s3.Client {
	o := awsconf.Options{Endpoint: ts.Getenv("S3"), Region: "us-east-1"}
	cfg, err := awsconf.Load(context.Background(), o)
	ts.Check(err)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	return awsconf.S3(cfg, o)
}

// s3cp FILE s3://bucket/key uploads FILE to the script's S3 server.
func cmdS3cp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: s3cp FILE s3://bucket/key")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(args[1], "s3://"), "/")
	if !ok {
		ts.Fatalf("s3cp: %s: want s3://bucket/key", args[1])
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	_, err = scriptClient(ts).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	ts.Check(err)
}

// mkbucket NAME... creates buckets on the script's S3 server.
func cmdMkbucket(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: mkbucket NAME...")
	}
	c := scriptClient(ts)
	for _, b := range args {
		_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)})
		ts.Check(err)
	}
}

// compress gzip|zstd SRC DST writes SRC compressed to DST (so a script can
// make compressed objects with any name).
func cmdCompress(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: compress gzip|zstd SRC DST")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	var buf bytes.Buffer
	switch args[0] {
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		ts.Check(zw.Close())
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		ts.Check(err)
		zw.Write(data)
		ts.Check(zw.Close())
	default:
		ts.Fatalf("compress: unknown codec %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), buf.Bytes(), 0o644))
}

// pty [-int REGEXP] FILE PROG ARGS... runs PROG with its standard input,
// output and error on a pseudo-terminal, as in a terminal window, and
// writes everything the terminal received to FILE. With -int, once the
// output matches REGEXP it types Ctrl-C (the terminal sends SIGINT). The
// exit status counts as exec's does.
func cmdPty(ts *testscript.TestScript, neg bool, args []string) {
	var interrupt *regexp.Regexp
	if len(args) > 1 && args[0] == "-int" {
		interrupt = regexp.MustCompile(args[1])
		args = args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("usage: pty [-int REGEXP] FILE PROG ARGS...")
	}
	out := ts.MkAbs(args[0])
	path, err := exec.LookPath(args[1])
	ts.Check(err)
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = scriptEnv(ts)
	ptmx, tty, err := pty.Open()
	ts.Check(err)
	defer ptmx.Close()
	ts.Check(pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	ts.Check(cmd.Start())
	tty.Close()

	var mu sync.Mutex
	var got bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		sent := false
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			got.Write(buf[:n])
			if interrupt != nil && !sent && interrupt.Match(got.Bytes()) {
				ptmx.Write([]byte{3}) // Ctrl-C
				sent = true
			}
			mu.Unlock()
			if err != nil { // EIO once the program and its children are gone
				return
			}
		}
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var runErr error
	select {
	case runErr = <-waitErr:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		ts.Fatalf("pty: %s did not finish in 2 minutes", args[1])
	}
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
	}
	mu.Lock()
	ts.Check(os.WriteFile(out, got.Bytes(), 0o644))
	mu.Unlock()
	var ee *exec.ExitError
	switch {
	case runErr != nil && !errors.As(runErr, &ee):
		ts.Fatalf("pty: %v", runErr)
	case runErr != nil && !neg:
		ts.Fatalf("pty: %s: %v", args[1], runErr)
	case runErr == nil && neg:
		ts.Fatalf("pty: %s unexpectedly succeeded", args[1])
	}
}

// scriptEnv is the script's environment, for commands run outside exec.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "WORK", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
		"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "TERM"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}
