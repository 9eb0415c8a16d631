package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConvertSkipFailed: convert --skip-failed lists a damaged .gz (cut
// part way, spanning several blocks) once, converts the rest and nothing
// of the damaged object, and a re-run converts nothing twice. Without it,
// convert fails naming the object once, as an interrupted run: what it
// committed is counted once.
func TestConvertSkipFailed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	os.MkdirAll(dir, 0o755)
	good := filepath.Join(dir, "2024-03-01-00-00-00-GOOD000000000000")
	bad := filepath.Join(dir, "2024-03-01-00-10-00-TRUNCATED0000000.gz")
	goodRecs := goodAndTruncated(t, good, bad, 51, 3000)
	check := func(out string, wantRows int, damaged bool) {
		t.Helper()
		got := countOutput(t, out)
		for k := range got {
			if !damaged && strings.Contains(k, "TRUNCATED") {
				t.Fatalf("the damaged object contributed %s", k)
			}
		}
		if wantRows >= 0 && len(got) != wantRows {
			t.Errorf("%d records converted, want %d", len(got), wantRows)
		}
		for k, n := range got {
			if n != 1 {
				t.Errorf("%s: %d rows", k, n)
			}
		}
		if !damaged {
			// The rows are the good object's lines, each once: lines 1…N
			// of the object named good.
			for i := 1; i <= len(goodRecs); i++ {
				if k := fmt.Sprintf("%s:%d", good, i); got[k] != 1 {
					t.Fatalf("%s: %d rows, want 1 (of %d rows: %v…)", k, got[k], len(got), firstKeys(got, 3))
				}
			}
		}
	}

	out := t.TempDir()
	code, _, stderr := runBinary(t, nil, "convert", "--no-progress", "--workers", "2", "--commit-every", "256KiB", dir, "--out", out)
	if code != 1 || strings.Count(stderr, "TRUNCATED") != 1 {
		t.Errorf("without --skip-failed: exit %d, want 1 and the damaged object named once:\n%s", code, stderr)
	}
	check(out, -1, true)

	out = t.TempDir()
	for run := range 2 {
		code, _, stderr := runBinary(t, nil, "convert", "--no-progress", "--skip-failed", "--workers", "2", "--commit-every", "256KiB", dir, "--out", out)
		if code != 0 || strings.Count(stderr, "TRUNCATED") != 1 || !strings.Contains(stderr, "warning: 1 objects failed") {
			t.Errorf("run %d: exit %d, want 0 and a warning naming the damaged object once:\n%s", run, code, stderr)
		}
		check(out, len(goodRecs), false)
	}
}

// firstKeys returns up to n of m's keys, sorted, for a failure message.
func firstKeys(m map[string]int, n int) []string {
	keys := slices.Sorted(maps.Keys(m))
	return keys[:min(n, len(keys))]
}
