package main

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/s3test"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
)

// gen --out s3:// uploads exactly the objects gen makes, through the real
// SDK client, to an in-process S3 server.
func TestGenToS3(t *testing.T) {
	endpoint := s3test.Server(t, nil)
	var stderr bytes.Buffer
	e := &env{stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: &stderr}
	args := []string{"gen", "--out", "s3://genbucket/logs/", "--endpoint", endpoint, "--objects", "5", "--lines", "20", "--seed", "7"}
	if code := run(context.Background(), e, args); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	opts := awsconf.Options{Endpoint: endpoint}
	cfg, err := awsconf.Load(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	client := awsconf.S3(cfg, opts)
	want, err := gen.All(gen.Config{Seed: 7, Objects: 5, LinesPerObject: 20, Start: mustDay(t, "2024-03-01"), Span: 7 * 24 * time.Hour,
		SourceAccount: "123456789012", SourceRegion: "us-east-1", Buckets: []string{"amzn-s3-demo-bucket1"}, TrapRate: gen.DefaultTrapRate})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range want {
		out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("genbucket"), Key: aws.String("logs/" + o.Key)})
		if err != nil {
			t.Fatalf("object %s: %v", o.Key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, o.Bytes()) {
			t.Errorf("object %s differs from gen's", o.Key)
		}
	}
	list, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("genbucket")})
	if err != nil || len(list.Contents) != len(want) {
		t.Fatalf("bucket holds %d objects, want %d (%v)", len(list.Contents), len(want), err)
	}
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
