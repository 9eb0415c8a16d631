package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
)

// TestInventoryFlag: query --inventory reads a prefix from an S3 Inventory
// report (gzipped CSV, generated here) and answers as listing does, shard
// by shard, without a LIST request.
func TestInventoryFlag(t *testing.T) {
	var counter *s3test.Counter
	ep := s3test.Endpoint(t, func(h http.Handler) http.Handler {
		counter = s3test.NewCounter(h)
		return counter
	})
	ctx := context.Background()
	bucket := fmt.Sprintf("s3logs-invflag-%d", time.Now().UnixNano())
	cfg := gen.Config{Seed: 5, Objects: 40, LinesPerObject: 20, Prefix: "logs/", Span: 6 * 24 * time.Hour, TrapRate: -1}
	objs, err := gen.All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: ep}, "s3://"+bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	if _, err := gen.Write(ctx, cfg, func(ctx context.Context, key string, data []byte) error {
		sizes[key] = len(data)
		return up.Put(ctx, key, data)
	}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, o := range objs {
		if err := s3test.WriteInventoryCSV(zw, bucket, url.QueryEscape(o.Key), strconv.Itoa(sizes[o.Key])); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	if err := up.Put(ctx, "inv/data/0.csv.gz", b.Bytes()); err != nil {
		t.Fatal(err)
	}
	m, err := s3test.InventoryManifest(bucket, bucket, "CSV", "Bucket, Key, Size", []s3test.InventoryFile{{Key: "inv/data/0.csv.gz", Size: b.Len()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Put(ctx, "inv/manifest.json", m); err != nil {
		t.Fatal(err)
	}
	src := "s3://" + bucket + "/logs/"
	inv := "s3://" + bucket + "/inv/manifest.json"
	q := "SELECT log_object, count(*) AS n, sum(bytessent) AS b FROM logs GROUP BY log_object ORDER BY log_object"
	for _, shard := range []string{"", "0/3", "1/3", "2/3"} {
		args := []string{"query", "--format", "csv", "--endpoint", ep}
		if shard != "" {
			args = append(args, "--shard", shard)
		}
		listed, _ := cli(t, append(args, q, src)...)
		counter.Reset()
		fromInv, _ := cli(t, append(args, "--inventory", inv, q, src)...)
		if n := counter.Counts().Lists; n != 0 {
			t.Errorf("shard %q: %d LIST requests with --inventory", shard, n)
		}
		if fromInv != listed {
			t.Errorf("shard %q: from the inventory\n%s\nby listing\n%s", shard, fromInv, listed)
		}
		if rows := strings.Count(listed, "\n") - 1; shard == "" && rows != len(objs) {
			t.Errorf("%d objects in the answer, want %d", rows, len(objs))
		}
	}
}
