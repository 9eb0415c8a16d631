package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
)

// convert --where keeps exactly the records the expression matches,
// computed here from the generator's structured records, and a time bound
// in the expression prunes objects by key time without losing any.
func TestConvertWhere(t *testing.T) {
	src := t.TempDir()
	cfg := gen.Config{Seed: 11, Objects: 12, LinesPerObject: 40, Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		Span: 4 * 24 * time.Hour, Buckets: []string{"b1"}, TrapRate: -1}
	if _, err := gen.WriteDir(context.Background(), cfg, src); err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	want := map[string]int{}
	for _, o := range objs {
		for i, r := range o.Records {
			if strings.Contains(r.Operation, "GET") && r.HTTPStatus == 200 && !r.Time.Before(from) {
				want[fmt.Sprintf("%s:%d", filepath.Join(src, filepath.FromSlash(o.Key)), i+1)]++
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the generated data has no matching record; the test proves nothing")
	}
	out := t.TempDir()
	var o, e bytes.Buffer
	args := []string{"convert", src, "--out", out, "--where",
		"operation LIKE '%GET%' AND httpstatus = 200 AND requestdatetime >= TIMESTAMP '2024-03-02 00:00:00'"}
	if code := run(context.Background(), &env{stdout: &o, stderr: &e}, args); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	got := countOutput(t, out)
	if len(got) != len(want) {
		t.Errorf("converted %d records, want %d", len(got), len(want))
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("record %s converted %d times, want once", k, got[k])
		}
	}
	if !strings.Contains(e.String(), "skipped by key time") {
		t.Errorf("summary does not report objects skipped by key time: %s", e.String())
	}

	// Errors in the expression are usage errors with a position in it.
	e.Reset()
	code := run(context.Background(), &env{stdout: &o, stderr: &e}, []string{"convert", src, "--out", t.TempDir(), "--where", "opration = 'x'"})
	if code != 2 || !strings.Contains(e.String(), "line 1:1") || !strings.Contains(e.String(), "operation") {
		t.Errorf("bad --where: exit %d, %s", code, e.String())
	}
}
