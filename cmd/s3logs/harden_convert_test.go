package main

import (
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/sink"
)

// filesOutsideManifest lists files under out, outside the manifest
// directory, that the manifest does not name.
func filesOutsideManifest(t *testing.T, out string) []string {
	t.Helper()
	d, err := sink.NewLocalDestination(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := convert.ReadManifest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	var stray []string
	filepath.WalkDir(out, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, convert.ManifestDir+"/") {
			return nil
		}
		if !m.Has(rel) {
			stray = append(stray, rel)
		}
		return nil
	})
	return stray
}

// TestConvertInterrupted: SIGINT during a conversion ends it with status
// 1 and a summary; the destination holds only files its manifest names;
// a re-run completes it with every record exactly once.
func TestConvertInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a data set and runs the command twice")
	}
	for attempt, objects := 0, 40; ; attempt, objects = attempt+1, objects*2 {
		src, out := filepath.Join(t.TempDir(), "logs"), t.TempDir()
		if _, err := gen.WriteDir(context.Background(), gen.Config{Seed: 9, Objects: objects, LinesPerObject: 1500}, src); err != nil {
			t.Fatal(err)
		}
		args := []string{"convert", src, "--out", out, "--workers", "2", "--concurrency", "2",
			"--commit-every", "200KiB", "--target-file-size", "1MiB", "--row-group-size", "5000"}
		c := startChild(t, nil, args...)
		<-c.ready
		caught := false
		deadline := time.Now().Add(60 * time.Second)
	poll:
		for time.Now().Before(deadline) {
			select {
			case <-c.done:
				break poll
			default:
			}
			if ents, _ := os.ReadDir(filepath.Join(out, filepath.FromSlash(convert.LogDir))); len(ents) >= 2 {
				caught = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !caught {
			if attempt < 2 {
				continue // finished before the interrupt: more data
			}
			t.Fatalf("conversion of %d objects was never caught mid-run", objects)
		}
		stderr := c.interrupt(t, os.Interrupt)
		assertClean(t, "interrupted convert", stderr)
		if !strings.Contains(stderr, "objects read") || !strings.Contains(stderr, "s3logs convert: interrupted") {
			t.Errorf("stderr %q: want the run summary and the interruption", stderr)
		}
		t.Logf("interrupted: %s", stderr)
		if stray := filesOutsideManifest(t, out); len(stray) > 0 {
			t.Errorf("after SIGINT the destination holds files its manifest does not name: %v", stray)
		}
		// The interrupted run's rows are each in the output at most once,
		// and a re-run completes it exactly once.
		for k, n := range countOutput(t, out) {
			if n != 1 {
				t.Fatalf("%s: %d rows after the interrupted run", k, n)
			}
		}
		e := &env{stdout: &strings.Builder{}, stderr: &strings.Builder{}}
		if code := run(context.Background(), e, append(args, "--quiet")); code != 0 {
			t.Fatalf("re-run: exit %d: %s", code, e.stderr)
		}
		want, got := sourceLines(t, src), countOutput(t, out)
		if len(want) != len(got) {
			t.Errorf("after the re-run %d distinct records in the output, want %d", len(got), len(want))
		}
		for k := range want {
			if got[k] != 1 {
				t.Fatalf("%s: %d rows after the re-run, want 1", k, got[k])
			}
		}
		if stray := filesOutsideManifest(t, out); len(stray) > 0 {
			t.Errorf("after the re-run: files outside the manifest: %v", stray)
		}
		return
	}
}

// TestConvertStaysInOut: whatever the records hold (keys with "../",
// absolute paths), convert writes nothing outside --out.
func TestConvertStaysInOut(t *testing.T) {
	root := t.TempDir()
	src, out := filepath.Join(root, "src"), filepath.Join(root, "out")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(gen.Config{Seed: 5, Objects: 1, LinesPerObject: 30})
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i, r := range objs[0].Records {
		switch i % 3 {
		case 0:
			r.Key = "../../../../escape"
			r.Bucket = "../../escape-bucket"
		case 1:
			r.Key = "/etc/passwd"
			r.Bucket = "/tmp"
		}
		b = append(r.AppendLine(b), '\n')
	}
	if err := os.WriteFile(filepath.Join(src, "2024-03-01-00-00-00-AAAA"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := &env{stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	if code := run(context.Background(), e, []string{"convert", src, "--out", out, "--quiet"}); code != 0 {
		t.Fatalf("exit %d: %s", code, e.stderr)
	}
	filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() && !strings.HasPrefix(p, src+"/") && !strings.HasPrefix(p, out+"/") {
			t.Errorf("convert wrote %s outside --out", p)
		}
		return nil
	})
	if n := len(countOutput(t, out)); n != len(objs[0].Records) {
		t.Errorf("%d records in the output, want %d", n, len(objs[0].Records))
	}
}

// BenchmarkConvertMemory converts generated logs (about 1 GB by default,
// S3LOGS_MEMBENCH_MB to change) with two workers and reports the peak
// live heap, which must stay under the bound the README states
// (convertMemoryBound) whatever the input size. Measured 2026-11 with
// 64 MiB row groups: 289, 345 and 285 MB for 430 MB, 860 MB and 2 GB.
func BenchmarkConvertMemory(b *testing.B) {
	mb := 1000
	if s := os.Getenv("S3LOGS_MEMBENCH_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	// Extra convert flags, e.g. S3LOGS_MEMBENCH_ARGS="--row-group-size 16MiB".
	extra := strings.Fields(os.Getenv("S3LOGS_MEMBENCH_ARGS"))
	src := filepath.Join(b.TempDir(), "logs")
	const lines = 10000 // ~6 MB per object
	if _, err := gen.WriteDir(context.Background(), gen.Config{Seed: 11, Objects: max(1, mb/6), LinesPerObject: lines}, src); err != nil {
		b.Fatal(err)
	}
	var size int64
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			size += fi.Size()
		}
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	for range b.N {
		out := b.TempDir()
		var errb strings.Builder
		peak = max(peak, memstat.During(func() {
			if code := run(context.Background(), &env{stdout: io.Discard, stderr: &errb}, append([]string{"convert", src, "--out", out, "--quiet", "--workers", "2"}, extra...)); code != 0 {
				b.Fatalf("exit %d: %s", code, errb.String())
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	if peak > convertMemoryBound {
		b.Fatalf("peak live heap %d MB over %d MB of logs; the documented bound is %d MB", peak>>20, size>>20, convertMemoryBound>>20)
	}
}

// convertMemoryBound is the peak heap the README promises for convert
// with default settings and two workers.
const convertMemoryBound = 512 << 20

// TestConvertBadBytes: convert counts damaged lines as rejects and writes
// every valid record; a truncated .gz fails the run naming the object.
func TestConvertBadBytes(t *testing.T) {
	src := t.TempDir()
	fx := newBadFile(t).rec(5, nil).bad(garbage(3, 2000), false).rec(4, nil).bad(make([]byte, 64), false).rec(2, nil)
	good := filepath.Join(src, "2024-03-01-00-00-00-AAAA")
	if err := os.WriteFile(good, fx.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	e := &env{stdout: io.Discard, stderr: &strings.Builder{}}
	code := run(context.Background(), e, []string{"convert", src, "--out", out})
	stderr := e.stderr.(*strings.Builder).String()
	assertClean(t, "convert damaged", stderr)
	if code != 0 || !strings.Contains(stderr, ", 2 rejected,") {
		t.Fatalf("exit %d, stderr %q; want 0 and 2 rejected", code, stderr)
	}
	got := countOutput(t, out)
	if len(got) != fx.valid {
		t.Errorf("%d records converted, want %d", len(got), fx.valid)
	}
	for _, l := range fx.rejects {
		if _, ok := got[good+":"+strconv.Itoa(l)]; ok {
			t.Errorf("rejected line %d is in the output", l)
		}
	}
	// A truncated .gz: exit 1 naming it.
	var gz strings.Builder
	zw := gzip.NewWriter(&gz)
	zw.Write(fx.buf.Bytes())
	zw.Close()
	trunc := filepath.Join(src, "2024-03-01-01-00-00-BBBB.gz")
	os.WriteFile(trunc, []byte(gz.String()[:gz.Len()/2]), 0o644)
	e = &env{stdout: io.Discard, stderr: &strings.Builder{}}
	out2 := t.TempDir()
	code = run(context.Background(), e, []string{"convert", src, "--out", out2})
	stderr = e.stderr.(*strings.Builder).String()
	assertClean(t, "convert truncated", stderr)
	if code != 1 || !strings.Contains(stderr, trunc) {
		t.Errorf("truncated .gz: exit %d, stderr %q; want 1 naming %s", code, stderr, trunc)
	}
	if stray := filesOutsideManifest(t, out2); len(stray) > 0 {
		t.Errorf("after the failed run the destination holds files its manifest does not name: %v", stray)
	}
	for k, n := range countOutput(t, out2) {
		if strings.HasPrefix(k, trunc+":") || n != 1 {
			t.Errorf("after the failed run: %s has %d rows (a failed object must not be committed)", k, n)
		}
	}
}
