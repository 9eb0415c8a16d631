package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
)

// runPeak runs bin with args under `ulimit -n nofile` (0: the test's own
// limit) and returns its stdout, stderr and peak resident memory; a
// non-zero exit fails the test. The peak is the child's VmHWM, sampled
// from /proc while it runs: the kernel's rusage would not do, because a
// process started from this test (which holds the in-process S3 server's
// objects) inherits this process's high-water mark through exec.
func runPeak(t *testing.T, bin string, nofile int, args ...string) (string, string, int64) {
	t.Helper()
	script := `exec "$0" "$@"`
	if nofile > 0 {
		script = fmt.Sprintf("ulimit -n %d && %s", nofile, script)
	}
	cmd := exec.Command("bash", append([]string{"-c", script, bin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if hwm := memstat.ProcStatus(status, "VmHWM"); hwm > peak {
			peak = hwm
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("s3logs %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			return stdout.String(), stderr.String(), peak
		case <-tick.C:
		}
	}
}

// sumCounts sums the second column of a query's CSV output (a count per
// group), after its header.
func sumCounts(t *testing.T, out string) int {
	t.Helper()
	total := 0
	for _, row := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		_, n, _ := strings.Cut(row, ",")
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		total += v
	}
	return total
}

// TestMemoryBoundS3 reads 3 MB log objects from S3 with the built binary
// under --max-memory 512MiB and 256 requests in flight (768 MB of objects
// if each held one): a GROUP BY and a convert keep their peak resident
// memory under 512 MiB and give the whole answer; with `ulimit -n 64` the
// same commands still work (requests in flight are capped by the open-file
// limit).
func TestMemoryBoundS3(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 600 MB through the binary")
	}
	ep := s3test.Endpoint(t, nil)
	ctx := context.Background()
	bucket := fmt.Sprintf("s3logs-mem-%d", time.Now().UnixNano())
	const objects, size = 200, 3 << 20
	var blocks [8][]byte
	lines := 0
	for i := range blocks {
		blocks[i] = gen.Block(int64(i), size)
	}
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: ep}, "s3://"+bucket+"/logs/")
	if err != nil {
		t.Fatal(err)
	}
	put, wait := up.Async(ctx, 8)
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range objects {
		b := blocks[i%len(blocks)]
		lines += bytes.Count(b, []byte{'\n'})
		key := t0.Add(time.Duration(i)*29*time.Minute).Format("2006-01-02-15-04-05") + fmt.Sprintf("-%016X", i)
		if err := put(ctx, key, b); err != nil {
			break
		}
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	bin := s3logsBinary(t)
	src := "s3://" + bucket + "/logs/"
	const limit = 512 << 20
	common := []string{"--endpoint", ep, "--max-memory", "512MiB", "--concurrency", "256", "--no-progress"}

	q := "SELECT operation, count(*) AS n FROM logs GROUP BY operation ORDER BY operation"
	var answers []string
	for _, nofile := range []int{0, 64} {
		out, stderr, peak := runPeak(t, bin, nofile, append(append([]string{"query", "--format", "csv"}, common...), q, src)...)
		t.Logf("query, ulimit -n %d: peak RSS %d MiB", nofile, peak>>20)
		if peak >= limit {
			t.Errorf("query, ulimit -n %d: peak RSS %d MiB, over --max-memory 512MiB\n%s", nofile, peak>>20, stderr)
		}
		if total := sumCounts(t, out); total != lines {
			t.Errorf("query, ulimit -n %d: counts sum to %d, the objects hold %d lines", nofile, total, lines)
		}
		answers = append(answers, out)
	}
	if answers[0] != answers[1] {
		t.Errorf("ulimit -n 64 changed the answer:\n%s\nvs\n%s", answers[1], answers[0])
	}

	for _, nofile := range []int{0, 64} {
		dir := t.TempDir()
		_, stderr, peak := runPeak(t, bin, nofile, append(append([]string{"convert"}, common...), src, "--out", dir)...)
		t.Logf("convert, ulimit -n %d: peak RSS %d MiB", nofile, peak>>20)
		if peak >= limit {
			t.Errorf("convert, ulimit -n %d: peak RSS %d MiB, over --max-memory 512MiB\n%s", nofile, peak>>20, stderr)
		}
		got := countOutput(t, dir)
		if len(got) != lines {
			t.Errorf("convert, ulimit -n %d: %d rows, the objects hold %d lines", nofile, len(got), lines)
		}
		for k, n := range got {
			if n != 1 {
				t.Errorf("convert: %s written %d times", k, n)
				break
			}
		}
	}
}

// TestMemoryBoundLocalFile reads one local file four times larger than
// --max-memory 64MiB with the built binary: the file is mapped a chunk at
// a time (pipeline.readMapped), and the peak resident memory, mapped pages
// included, stays under the limit while the answer is whole.
func TestMemoryBoundLocalFile(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 256 MB through the binary")
	}
	const limit = 64 << 20
	p := t.TempDir() + "/big.log"
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for i := range 4 {
		b := gen.Block(int64(i), limit)
		lines += bytes.Count(b, []byte{'\n'})
		for len(b) > 0 { // in 1 MiB writes, as a log shipper appends (see TestMappedMemoryBound)
			n := min(len(b), 1<<20)
			if _, err := f.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	bin := s3logsBinary(t)
	q := "SELECT operation, count(*) AS n FROM logs GROUP BY operation"
	out, stderr, peak := runPeak(t, bin, 0, "query", "--format", "csv", "--max-memory", "64MiB", "--no-progress", q, p)
	t.Logf("query of a 256 MiB file: peak RSS %d MiB", peak>>20)
	if peak >= limit {
		t.Errorf("peak RSS %d MiB, over --max-memory 64MiB\n%s", peak>>20, stderr)
	}
	if total := sumCounts(t, out); total != lines {
		t.Errorf("counts sum to %d, the file holds %d lines", total, lines)
	}
}
