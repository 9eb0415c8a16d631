package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
)

// TestS3ConvertEndToEnd converts log objects from a real S3-compatible
// server (versitygw) to Parquet on the same server, reads the Parquet back
// with parquet-go (an independent reader), and re-runs: every generated
// record is in the output exactly once, and the second run converts
// nothing.
func TestS3ConvertEndToEnd(t *testing.T) {
	ep := s3test.External(t) // versitygw under .ci/test
	ctx := context.Background()
	bucket := fmt.Sprintf("s3logs-e2e-convert-%d", time.Now().UnixNano())
	cfg := gen.Config{Seed: 5, Objects: 30, LinesPerObject: 40, Prefix: "logs/", Span: 3 * 24 * time.Hour, TrapRate: 0.02}
	objs, err := gen.All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: ep}, "s3://"+bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(ctx, cfg, up.Put); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, o := range objs {
		for i := range o.Records {
			want[fmt.Sprintf("%s:%d", o.Key, i+1)]++
		}
	}

	src, dst := "s3://"+bucket+"/logs/", "s3://"+bucket+"/parquet/"
	cli(t, "convert", src, "--out", dst, "--no-progress")

	opts := awsconf.Options{Endpoint: ep}
	acfg, err := awsconf.Load(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	client := awsconf.S3(acfg, opts)
	got := map[string]int{}
	files := 0
	var token *string
	for {
		page, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("parquet/"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !strings.HasSuffix(key, ".parquet") {
				continue
			}
			if !strings.Contains(key, "/dt=") {
				t.Errorf("%s is not in a dt= partition", key)
			}
			files++
			obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			countParquetRows(t, key, data, got)
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		token = page.NextContinuationToken
	}
	if files == 0 || len(got) != len(want) {
		t.Fatalf("%d files with %d distinct records, want %d records", files, len(got), len(want))
	}
	for k, n := range got {
		if want[k] != 1 || n != 1 {
			t.Fatalf("record %s appears %d times (generated: %d)", k, n, want[k])
		}
	}

	// A second run reads no log object: they are all in the manifest.
	_, stderr := cli(t, "convert", src, "--out", dst, "--no-progress")
	if m := summaryRead.FindStringSubmatch(stderr); m == nil || atoi(t, m[1]) != 0 {
		t.Errorf("re-run summary %q: want 0 objects read", stderr)
	}
}
