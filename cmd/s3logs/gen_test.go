package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
)

func runGenCmd(args ...string) (code int, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code = run(context.Background(), e, append([]string{"gen"}, args...))
	return code, errb.String()
}

func TestGenCommand(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runGenCmd("--out", dir, "--seed", "3", "--objects", "4", "--lines", "30",
		"--start", "2023-05-01", "--days", "2", "--layout", "partitioned", "--partition-date", "delivery",
		"--prefix", "logs/", "--buckets", "web,assets", "--traps", "0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The command must write exactly what the library describes for the
	// same settings.
	objs, err := gen.All(gen.Config{Seed: 3, Objects: 4, LinesPerObject: 30,
		Start: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), Span: 48 * time.Hour,
		Layout: gen.Partitioned, PartitionDate: gen.DeliveryTime, Prefix: "logs/",
		Buckets: []string{"web", "assets"}, TrapRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, o := range objs {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(o.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, o.Bytes()) {
			t.Errorf("%s differs from gen's object", o.Key)
		}
		lines += len(o.Records)
	}
	if !strings.Contains(stderr, "4 objects, "+strconv.Itoa(lines)+" lines") {
		t.Errorf("summary %q does not say 4 objects, %d lines", stderr, lines)
	}

	for _, bad := range [][]string{
		{},                                  // no --out
		{"--out", "s3://"},                  // no bucket
		{"--out", dir, "--layout", "fancy"}, // unknown layout
		{"--out", dir, "--start", "yesterday"},
		{"--out", dir, "--days", "0"},
		{"--out", dir, "--traps", "1.5"},
		{"--out", dir, "--buckets", "a,,b"},
		{"--out", dir, "--partition-date", "now"},
		{"--out", dir, "--objects", "-1"},
		{"--out", dir, "extra"},
	} {
		if code, stderr := runGenCmd(bad...); code != 2 || !strings.Contains(stderr, "s3logs gen: ") {
			t.Errorf("gen %v: exit %d, %q; want a usage error (2)", bad, code, stderr)
		}
	}
}
