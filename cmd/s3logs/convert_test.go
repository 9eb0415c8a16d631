package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/filetest"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/sink"
)

// TestConvertChild is not a test: TestConvertKilled runs the test binary
// as the s3logs command through it.
func TestConvertChild(t *testing.T) {
	args := os.Getenv("S3LOGS_CONVERT_CHILD")
	if args == "" {
		return
	}
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(run(context.Background(), e, strings.Split(args, "\x1f")))
}

// sourceLines returns "object:line" of every valid record under dir, read
// with the parser directly.
func sourceLines(t *testing.T, dir string) map[string]int {
	t.Helper()
	want := map[string]int{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := parse.NewScanner(f)
		for sc.Scan() {
			want[fmt.Sprintf("%s:%d", p, sc.LineNumber())] = 0
		}
		return nil
	})
	return want
}

// countOutput counts rows per "log_object:log_line" in the files the
// manifest at out names, read with parquet-go.
func countOutput(t *testing.T, out string) map[string]int {
	t.Helper()
	d, err := sink.NewLocalDestination(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := convert.ReadManifest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, mf := range m.Files() {
		data, err := os.ReadFile(filepath.Join(out, mf.Name))
		if err != nil {
			t.Fatal(err)
		}
		countParquetRows(t, mf.Name, data, got)
	}
	// Every file in the output is named by the manifest.
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "/.s3logs/") {
			rel, _ := filepath.Rel(out, p)
			if !m.Has(filepath.ToSlash(rel)) {
				t.Errorf("%s is in the output but not in the manifest", rel)
			}
		}
		return nil
	})
	return got
}

// countParquetRows reads a Parquet file with parquet-go, an independent
// reader, and adds one to got["log_object:log_line"] for each of its rows.
func countParquetRows(t *testing.T, name string, data []byte, got map[string]int) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	obj, okO := f.Schema().Lookup("log_object")
	line, okL := f.Schema().Lookup("log_line")
	if !okO || !okL {
		t.Fatalf("%s: no log_object/log_line", name)
	}
	r := parquet.NewReader(f)
	defer r.Close()
	rows := make([]parquet.Row, 256)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			var o string
			var l int64
			for _, v := range row {
				switch v.Column() {
				case obj.ColumnIndex:
					o = string(v.ByteArray())
				case line.ColumnIndex:
					l = v.Int64()
				}
			}
			got[fmt.Sprintf("%s:%d", o, l)]++
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestConvertKilled kills a conversion with SIGKILL after its first
// commit, runs it again, and checks every source record is in the output
// exactly once.
func TestConvertKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a data set and runs the command twice")
	}
	for attempt, objects := 0, 40; ; attempt, objects = attempt+1, objects*2 {
		src, out := filepath.Join(t.TempDir(), "logs"), t.TempDir()
		if _, err := gen.WriteDir(context.Background(), gen.Config{Seed: 7, Objects: objects, LinesPerObject: 1500}, src); err != nil {
			t.Fatal(err)
		}
		args := []string{"convert", src, "--out", out, "--workers", "2", "--concurrency", "2",
			"--commit-every", "200KiB", "--target-file-size", "1MiB", "--row-group-size", "5000", "--quiet"}
		cmd := exec.Command(os.Args[0], "-test.run=^TestConvertChild$")
		cmd.Env = append(os.Environ(), "S3LOGS_CONVERT_CHILD="+strings.Join(args, "\x1f"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		killed := false
		deadline := time.Now().Add(60 * time.Second)
	poll:
		for time.Now().Before(deadline) {
			select {
			case <-waited:
				break poll
			default:
			}
			ents, _ := os.ReadDir(filepath.Join(out, filepath.FromSlash(convert.LogDir)))
			if len(ents) >= 2 {
				cmd.Process.Signal(syscall.SIGKILL)
				if err := <-waited; err == nil {
					break poll // it finished before the kill
				}
				killed = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !killed {
			if attempt < 2 {
				continue // finished before the kill: more data
			}
			t.Fatalf("conversion of %d objects was never caught mid-run: %s", objects, stderr.String())
		}
		ents, _ := os.ReadDir(filepath.Join(out, filepath.FromSlash(convert.LogDir)))
		var stdout, errb bytes.Buffer
		e := &env{stdout: &stdout, stderr: &errb}
		if code := run(context.Background(), e, args[:len(args)-1]); code != 0 {
			t.Fatalf("re-run: exit %d: %s", code, errb.String())
		}
		want := sourceLines(t, src)
		got := countOutput(t, out)
		if len(want) == 0 {
			t.Fatal("no source records")
		}
		filetest.ExactlyOnce(t, want, got, 10)
		t.Logf("%d records, killed after %d commits; re-run: %s", len(want), len(ents), strings.TrimSpace(errb.String()))
		return
	}
}

func TestConvertUsage(t *testing.T) {
	src := t.TempDir()
	f := func(want int, args ...string) {
		t.Helper()
		var o, e bytes.Buffer
		if code := run(context.Background(), &env{stdout: &o, stderr: &e}, args); code != want {
			t.Errorf("%q: exit %d, want %d: %s", args, code, want, e.String())
		}
	}
	f(2, "convert", src)
	f(2, "convert", "--out", t.TempDir())
	f(2, "convert", src, "--out", t.TempDir(), "--format", "csv")
	f(2, "convert", src, "--out", t.TempDir(), "--format", "arrow", "--compression", "snappy")
	f(2, "convert", src, "--out", t.TempDir(), "--partition-by", "week")
	f(2, "convert", src, "--out", t.TempDir(), "--target-file-size", "big")
	f(2, "convert", src, "--out", t.TempDir(), "--from", "yesterday")
	f(2, "convert", src, "--out", t.TempDir(), "--from", "2024-03-02", "--to", "2024-03-01")
	f(1, "convert", src, "--out", t.TempDir(), "--quiet") // no log objects in src
	f(0, "schema")
	f(2, "schema", "--ddl", "athena") // no --location
	f(0, "schema", "--ddl", "athena", "--location", "s3://b/p/")
	f(2, "schema", "--ddl", "mysql")
}

func TestParseSize(t *testing.T) {
	f := func(in string, want int64) {
		t.Helper()
		got, err := parseSize(in)
		if want < 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", in, got)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	f("256MiB", 256<<20)
	f("1GiB", 1<<30)
	f("10MB", 10_000_000)
	f("4096", 4096)
	f("1.5K", 1536)
	f("0", -1)
	f("MiB", -1)
	f("3XB", -1)
}
