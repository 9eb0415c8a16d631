package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
)

// TestHardenChild is not a test: the interruption tests run the test
// binary through it as the s3logs command, with the same signal handling
// as main, and "child ready" on stderr once signals are caught.
func TestHardenChild(t *testing.T) {
	args := os.Getenv("S3LOGS_HARDEN_CHILD")
	if args == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	os.Stderr.WriteString("child ready\n")
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	code := run(ctx, e, strings.Split(args, "\x1f"))
	stop()
	os.Exit(code)
}

// child is a running s3logs command.
type child struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	ready  chan struct{}
	done   chan error
}

func startChild(t *testing.T, stdin io.Reader, args ...string) *child {
	t.Helper()
	c := &child{ready: make(chan struct{}), done: make(chan error, 1)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestHardenChild$")
	c.cmd.Env = append(os.Environ(), "S3LOGS_HARDEN_CHILD="+strings.Join(args, "\x1f"))
	c.cmd.Stdin = stdin
	c.cmd.Stdout = &c.stdout
	errPipe, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderrDone sync.WaitGroup
	stderrDone.Add(1)
	go func() {
		defer stderrDone.Done()
		sc := bufio.NewScanner(errPipe)
		once := false
		for sc.Scan() {
			if !once && sc.Text() == "child ready" {
				once = true
				close(c.ready)
				continue
			}
			c.mu.Lock()
			c.stderr.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
		}
		if !once {
			close(c.ready)
		}
	}()
	go func() {
		stderrDone.Wait()
		c.done <- c.cmd.Wait()
	}()
	t.Cleanup(func() { c.cmd.Process.Kill() })
	return c
}

// interrupt sends sig and waits for the command to end: it must exit by
// itself (not die of the signal) with status 1. The deadline is a
// liveness bound, far above the time a prompt exit takes.
func (c *child) interrupt(t *testing.T, sig os.Signal) string {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("after %v: %v, want exit status 1", sig, err)
		}
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("still running a minute after %v", sig)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// TestInterruptStdin: a query reading stdin that never ends stops on
// SIGINT, says so, prints the summary, and writes no --out file.
func TestInterruptStdin(t *testing.T) {
	objs, err := gen.All(gen.Config{Seed: 3, Objects: 1, LinesPerObject: 50})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "result.csv")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	c := startChild(t, pr, "query", "--out", out, "SELECT count(*) FROM t", "-")
	pr.Close()
	pw.Write(objs[0].Bytes()) // lines, then nothing: the pipe stays open
	<-c.ready
	time.Sleep(300 * time.Millisecond) // let it reach the blocking read
	stderr := c.interrupt(t, os.Interrupt)
	if !strings.Contains(stderr, "objects read") || !strings.Contains(stderr, "interrupted") || !strings.Contains(stderr, out+" not written") {
		t.Errorf("stderr %q: want the summary and an interruption message naming %s", stderr, out)
	}
	assertClean(t, "interrupted query", stderr)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("%s left in the output directory", e.Name())
	}
}

// TestInterruptS3: SIGTERM during a query whose GETs never answer stops
// the downloads promptly.
func TestInterruptS3(t *testing.T) {
	fakeCreds(t)
	backend := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server()
	var once sync.Once
	getting := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 {
			once.Do(func() { close(getting) })
			<-r.Context().Done() // a GET that never answers
			return
		}
		backend.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: srv.URL}, "s3://slow/")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(gen.Config{Seed: 4, Objects: 5, LinesPerObject: 20, Prefix: "logs/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := up.Put(ctx, o.Key, o.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	c := startChild(t, nil, "query", "--endpoint", srv.URL, "SELECT count(*) FROM 's3://slow/logs/'")
	select {
	case <-getting:
	case err := <-c.done:
		t.Fatalf("ended before any GET: %v: %s", err, c.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("no GET within a minute")
	}
	stderr := c.interrupt(t, syscall.SIGTERM)
	// Downloads start with the first page of listing, so the interrupt may
	// come before all 5 objects were listed.
	if !regexp.MustCompile(`0 objects read \([1-5] listed`).MatchString(stderr) || !strings.Contains(stderr, "interrupted") {
		t.Errorf("stderr %q: want a summary with 1 to 5 listed, 0 read, and the interruption", stderr)
	}
	assertClean(t, "interrupted S3 query", stderr)
	if c.stdout.Len() != 0 && c.stdout.String() != "count(*)\n" {
		t.Errorf("stdout %q: want no answer", c.stdout.String())
	}
}
