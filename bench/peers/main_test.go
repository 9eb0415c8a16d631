package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAgree runs the correctness half of the harness on 1 MB: s3logs and
// DuckDB must give the same answers, over the text and over its
// converted lake (read_parquet), and no speed is printed.
func TestAgree(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), 1e6, 1, true, t.TempDir(), "", false, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "check: 12 passed, 0 failed") || strings.Contains(s, "MB/s") {
		t.Errorf("unexpected output:\n%s", s)
	}
}

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		a, b []string
		want string // substring; "" means equal
	}{
		{nil, nil, ""},
		{[]string{"x|1", "y|2"}, []string{"y|2", "x|1"}, ""},
		{[]string{"x|1", "x|1"}, []string{"x|1"}, "only s3logs: x|1"},
		{[]string{"x|1"}, []string{"x|2"}, "only DuckDB: x|2"},
		{[]string{"NULL|3"}, []string{}, "1 vs 0 rows"},
	} {
		got := diff(c.a, c.b)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("diff(%q, %q) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
