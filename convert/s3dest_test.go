package convert

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
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
	d, err := sink.OpenDestination(ctx, "s3://out-bucket/conv/", aws)
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
	got, count := readOutput(t, local, sink.Parquet)
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
