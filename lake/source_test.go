package lake

import (
	"compress/gzip"
	"context"
	"errors"

	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// TestDetect tells converted output from log objects by layout and
// content, whatever the names say.
func TestDetect(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 3, Objects: 3, LinesPerObject: 50})
	lake := filepath.Join(dir, "lake")
	convertTo(t, logs, lake, convert.Options{})
	flat := filepath.Join(dir, "flat")
	convertTo(t, logs, flat, convert.Options{PartitionBy: convert.None})
	// A directory of Parquet files without manifest or partitions, named
	// like log objects.
	bare := filepath.Join(dir, "bare")
	os.MkdirAll(bare, 0o755)
	var one string
	filepath.WalkDir(lake, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && one == "" {
			one = p
		}
		return err
	})
	data, _ := os.ReadFile(one)
	os.WriteFile(filepath.Join(bare, "2024-03-01-00-00-00-0123456789ABCDEF"), data, 0o644)
	// A gzipped log object named .parquet.
	gz := filepath.Join(dir, "gz.parquet")
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	logData, _ := os.ReadDir(logs)
	b, _ := os.ReadFile(filepath.Join(logs, logData[0].Name()))
	zw.Write(b)
	zw.Close()
	f.Close()

	ctx := context.Background()
	for _, c := range []struct {
		src  string
		want bool
	}{
		{logs, false}, {lake, true}, {flat, true}, {bare, true}, {one, true},
		{filepath.Join(bare, "2024-03-01-00-00-00-0123456789ABCDEF"), true},
		{gz, false}, {"-", false}, {filepath.Join(dir, "nonexistent"), false},
	} {
		got, err := Detect(ctx, pipeline.Config{}, c.src)
		if err != nil || got != c.want {
			t.Errorf("Detect(%s) = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
	if _, err := DetectAll(ctx, pipeline.Config{}, []string{lake, logs}); !errors.Is(err, ErrMixed) {
		t.Errorf("a lake and log objects together: %v, want ErrMixed", err)
	}
}

// TestManifestOnly: where a manifest is present only the files it names
// are read — a file a killed convert left behind is not — and a named
// file that is missing fails the run, or with SkipFailed is listed and
// the answer is over the others.
func TestManifestOnly(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 5, Objects: 8, LinesPerObject: 200})
	lake := filepath.Join(dir, "lake")
	convertTo(t, logs, lake, convert.Options{})
	count := func(cfg pipeline.Config) (int, *pipeline.Stats, error) {
		c := newCollector()
		st, err := Run(context.Background(), cfg, []string{lake}, c, Scan{TimeText: true})
		return len(c.rows), st, err
	}
	text := newCollector()
	if _, err := pipeline.Run(context.Background(), pipeline.Config{}, []string{logs}, text); err != nil {
		t.Fatal(err)
	}
	want := len(text.rows)
	if got, _, err := count(pipeline.Config{}); err != nil || got != want || want < 1000 {
		t.Fatalf("%d rows, %v; want the text's %d", got, err, want)
	}
	files := lakeFiles(lake)
	if len(files) < 2 {
		t.Fatalf("%d files", len(files))
	}
	// A stray copy of a file, which no manifest entry names.
	data, _ := os.ReadFile(files[0])
	if err := os.WriteFile(filepath.Join(filepath.Dir(files[0]), "part-stray-0-1.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _, err := count(pipeline.Config{}); err != nil || got != want {
		t.Errorf("with a stray file: %d rows, %v; want %d (the stray file unread)", got, err, want)
	}
	// A named file gone.
	gone := files[1]
	pf, err := file.OpenParquetFile(gone, false)
	if err != nil {
		t.Fatal(err)
	}
	goneRows := int(pf.NumRows())
	pf.Close()
	if goneRows == 0 {
		t.Fatalf("%s holds no rows", gone)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if _, _, err := count(pipeline.Config{}); err == nil || !strings.Contains(err.Error(), "the manifest names it but it is not there") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a named file missing: %v", err)
	}
	got, st, err := count(pipeline.Config{SkipFailed: true})
	if err != nil || got != want-goneRows {
		t.Errorf("SkipFailed: %d rows, %v; want %d (%d less the %d of the file gone)", got, err, want-goneRows, want, goneRows)
	}
	if f := st.Failed(); len(f) != 1 || f[0] != gone {
		t.Errorf("failed objects %q, want [%s]", f, gone)
	}
}

// TestS3Lake converts to an S3 prefix and reads it there: the same rows
// as locally, with ranged GETs only, each file's footer read first, and
// no more requests in flight than Concurrency.
func TestS3Lake(t *testing.T) {
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	var gets []string // key and range of each GET of a data file, in order
	endpoint := s3test.Server(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".parquet") {
				mu.Lock()
				gets = append(gets, r.URL.Path+" "+r.Header.Get("Range"))
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	aws := awsconf.Options{Endpoint: endpoint}
	ctx := context.Background()
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 9, Objects: 10, LinesPerObject: 200})
	d, err := sink.OpenDestination(ctx, "s3://lake-bucket/out/", aws)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(ctx, d, convert.Options{RowGroupRows: 300}, pipeline.Config{Workers: 2}, []string{logs}); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "local")
	convertTo(t, logs, local, convert.Options{RowGroupRows: 300})
	text := newCollector()
	if _, err := pipeline.Run(ctx, pipeline.Config{}, []string{logs}, text); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	gets = nil
	mu.Unlock()
	most.Store(0)
	cfg := pipeline.Config{AWS: aws, Concurrency: 3}
	if ok, err := Detect(ctx, cfg, "s3://lake-bucket/out/"); !ok || err != nil {
		t.Fatalf("Detect: %v %v", ok, err)
	}
	s3rows := newCollector()
	st, err := Run(ctx, cfg, []string{"s3://lake-bucket/out/"}, s3rows, Scan{TimeText: true})
	if err != nil {
		t.Fatal(err)
	}
	// log_object is the text's path in both; compare as over the text.
	sameRows(t, "s3", s3rows.rows, text.rows)
	if m := most.Load(); m > 3+1 { // the manifest is read with its own client
		t.Errorf("%d requests in flight, Concurrency is 3", m)
	}
	mu.Lock()
	got := append([]string(nil), gets...)
	mu.Unlock()
	seen := map[string]bool{}
	for _, g := range got {
		path, rng, _ := strings.Cut(g, " ")
		if !strings.HasPrefix(rng, "bytes=") {
			t.Fatalf("a GET without a range: %s", g)
		}
		if !seen[path] {
			seen[path] = true
			// The first read of a file is its tail: the footer.
			a, b, _ := strings.Cut(strings.TrimPrefix(rng, "bytes="), "-")
			lo, _ := strconv.ParseInt(a, 10, 64)
			hi, _ := strconv.ParseInt(b, 10, 64)
			size := fileSize(t, ctx, d, strings.TrimPrefix(path, "/lake-bucket/out/"))
			if hi != size-1 || lo > size-8 {
				t.Errorf("first GET of %s is %s, not its footer (size %d)", path, rng, size)
			}
		}
	}
	if len(seen) == 0 || st.Requests.Load() == 0 {
		t.Errorf("GETs of %d files, %d requests counted", len(seen), st.Requests.Load())
	}
}

func fileSize(t *testing.T, ctx context.Context, d sink.Destination, name string) int64 {
	b, err := d.ReadFile(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b))
}
