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
)

// fakeS3 starts gofakes3 on loopback, optionally behind wrap, and returns
// the AWS options that reach it.
func fakeS3(t testing.TB, wrap func(http.Handler) http.Handler) awsconf.Options {
	t.Helper()
	return awsconf.Options{Endpoint: s3test.Server(t, wrap)}
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
