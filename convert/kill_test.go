package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// killChild is what TestKillChild runs in a child process.
type killChild struct {
	Dest     string
	Endpoint string
	Src      string
	Lease    time.Duration
}

// TestKillChild is not a test: TestKillConcurrent runs the test binary as
// a conversion through it, to kill it with SIGKILL.
func TestKillChild(t *testing.T) {
	cfg := os.Getenv("S3LOGS_KILL_CHILD")
	if cfg == "" {
		return
	}
	var k killChild
	if err := json.Unmarshal([]byte(cfg), &k); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	d, err := sink.OpenDestination(ctx, k.Dest, awsconf.Options{Endpoint: k.Endpoint})
	if err == nil {
		opts := Options{CommitBytes: 160 << 10, TargetFileSize: 512 << 10, RowGroupRows: 2000, ckptEvery: 4, Lease: k.Lease}
		_, err = Convert(ctx, d, opts, pipeline.Config{Workers: 2, Concurrency: 2, BlockSize: 32 << 10}, []string{k.Src})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestKillConcurrent runs two conversions of the same sources into one
// destination at once, again and again, killing each with SIGKILL at a
// random moment. After each round no file is visible that the manifest
// does not count and no record is visible twice; a final run then leaves
// every record exactly once (rows = distinct (log_object, log_line) =
// records generated), the visible files exactly the manifest's, no
// unfinished upload and no run directory or heartbeat.
func TestKillConcurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conversion in child processes many times")
	}
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 80, 24, 1000)
	for _, td := range testDests(t, true) {
		t.Run(td.name, func(t *testing.T) {
			dl := td.make(t)
			loc, ep, open := dl.loc, dl.endpoint, dl.open
			lease := 2 * time.Second
			child := func(loc string, kill time.Duration) (killed bool, out string) {
				cfg, _ := json.Marshal(killChild{Dest: loc, Endpoint: ep, Src: src, Lease: lease})
				cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
				cmd.Env = append(os.Environ(), "S3LOGS_KILL_CHILD="+string(cfg))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waited := make(chan error, 1)
				go func() { waited <- cmd.Wait() }()
				select {
				case err := <-waited:
					if err != nil {
						t.Errorf("a conversion failed on its own: %v: %s", err, stderr.String())
					}
					return false, stderr.String()
				case <-time.After(kill):
					cmd.Process.Signal(syscall.SIGKILL)
					err := <-waited
					return err != nil, stderr.String()
				}
			}
			// How long a whole conversion takes here, elsewhere: two runs
			// share the work, so kills land in its first half.
			t0 := time.Now()
			child(td.make(t).loc, 10*time.Minute)
			whole := time.Since(t0)
			var kills atomic.Int64
			for round := range 6 {
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() {
						if k, _ := child(loc, time.Duration(rand.Int64N(int64(whole/2)))+20*time.Millisecond); k {
							kills.Add(1)
						}
					})
				}
				wg.Wait()
				checkPartial(t, open())
				if t.Failed() {
					t.Fatalf("after round %d", round)
				}
			}
			if kills.Load() == 0 {
				t.Fatal("no conversion was killed: the data set is too small")
			}
			// A killed S3 run seems alive until its lease is over (and a
			// second of slack, and a second of LastModified resolution).
			if ep != "" {
				time.Sleep(lease + 2500*time.Millisecond)
			}
			if k, out := child(loc, 10*time.Minute); k {
				t.Fatalf("final run: %s", out)
			}
			checkFinal(t, open(), want)
			t.Logf("%d of 12 runs killed (a whole run takes %v)", kills.Load(), whole.Round(time.Millisecond))
		})
	}
}
