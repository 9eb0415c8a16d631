package sink

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
)

// fakeS3 starts gofakes3 on loopback, optionally behind wrap, and returns
// the AWS options that reach it.
func fakeS3(t testing.TB, wrap func(http.Handler) http.Handler) awsconf.Options {
	t.Helper()
	return awsconf.Options{Endpoint: s3test.Server(t, wrap)}
}

// TestS3Destination converts to an S3 prefix, reads the files back from
// the server, and re-runs: nothing is converted twice.
func TestS3Destination(t *testing.T) {
	aws := fakeS3(t, nil)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 40, 3, 300)
	d, err := OpenDestination(ctx, "s3://out-bucket/conv/", aws)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert(ctx, d, Options{CommitBytes: 64 << 10}, pipeline.Config{Workers: 2, BlockSize: 16 << 10}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != int64(len(want)) {
		t.Errorf("wrote %d rows, want %d", res.Rows, len(want))
	}
	// Copy the output down and read it like a local one.
	local := t.TempDir()
	names, err := d.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, err := d.ReadFile(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(local, filepath.FromSlash(n))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	got, count := readOutput(t, local, Parquet)
	if len(got) != len(want) {
		t.Errorf("read %d rows, want %d", len(got), len(want))
	}
	for k := range want {
		if count[k] != 1 {
			t.Errorf("%s: %d rows", k, count[k])
		}
	}
	res, err = Convert(ctx, d, Options{}, pipeline.Config{Workers: 2}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Read.Load() != 0 || res.Files != 0 {
		t.Errorf("re-run read %d objects, wrote %d files; want none", res.Stats.Read.Load(), res.Files)
	}
}

// TestS3Multipart publishes a file larger than a part, and checks that a
// failed completion aborts the upload and leaves no object.
func TestS3Multipart(t *testing.T) {
	var fail atomic.Bool
	aws := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() && r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
				http.Error(w, "injected failure", http.StatusBadRequest)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	d, err := OpenDestination(ctx, "s3://mp-bucket/x", aws)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, S3PartSize*2+12345)
	rand.Read(data)
	tmp := filepath.Join(t.TempDir(), "f")
	os.WriteFile(tmp, data, 0o644)
	if err := d.Publish(ctx, tmp, "dt=2024-01-01/big.parquet"); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadFile(ctx, "dt=2024-01-01/big.parquet")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("local file kept after publishing: %v", err)
	}
	fail.Store(true)
	os.WriteFile(tmp, data, 0o644)
	if err := d.Publish(ctx, tmp, "dt=2024-01-01/failed.parquet"); err == nil {
		t.Fatal("a failed completion was not reported")
	}
	names, _ := d.List(ctx, "")
	for _, n := range names {
		if strings.Contains(n, "failed") {
			t.Errorf("a failed upload left %s", n)
		}
	}
}
