package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
)

func runBenchCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code = run(context.Background(), e, append([]string{"bench"}, args...))
	return code, out.String(), errb.String()
}

func TestBenchTable(t *testing.T) {
	code, out, stderr := runBenchCmd("--lines", "500")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"floor", "scan", "decode", "filter", "group-by", "parquet-zstd", "arrow"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 9 && f[0] == name {
				found = true
			}
		}
		if !found {
			t.Errorf("no table row for %s in\n%s", name, out)
		}
	}
	if !strings.Contains(out, "500 lines") {
		t.Errorf("table does not report the 500 input lines:\n%s", out)
	}
}

func TestBenchJSON(t *testing.T) {
	const n = 400
	// Own files as input: the records' structured truth says how many
	// deletes and which requester/sigv groups there are.
	objs, err := gen.All(gen.Config{Seed: 9, Objects: 2, LinesPerObject: n / 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	lines, deletes := 0, 0
	groups := map[[2]string]bool{}
	for i, o := range objs {
		p := filepath.Join(dir, "obj"+string(rune('a'+i)))
		if err := os.WriteFile(p, o.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		for _, r := range o.Records {
			if r.Trap != gen.TrapNone {
				continue // a trap may be a malformed line: not counted here
			}
			lines++
			if strings.Contains(r.Operation, "DELETE") {
				deletes++
			}
			groups[[2]string{r.Requester, r.SigV}] = true
		}
	}
	cpu := filepath.Join(dir, "cpu.out")
	mem := filepath.Join(dir, "mem.out")
	code, out, stderr := runBenchCmd(append([]string{"--json", "--cpuprofile", cpu, "--memprofile", mem}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	total := 0
	for _, o := range objs {
		total += len(o.Records)
	}
	if rep.Lines != int64(total) {
		t.Errorf("lines = %d, want %d", rep.Lines, total)
	}
	stages := map[string]benchStage{}
	for _, s := range rep.Stages {
		stages[s.Name] = s
		if s.MBps1 <= 0 || s.MBpsN <= 0 || s.LinesPerS1 <= 0 {
			t.Errorf("%s: non-positive throughput %+v", s.Name, s)
		}
	}
	if len(stages) != len(benchStageNames) {
		t.Errorf("stages %v, want %v", rep.Stages, benchStageNames)
	}
	// Every stage that parses must see at least the ordinary records and
	// at most every line.
	for _, name := range []string{"scan", "decode", "filter", "group-by", "parquet-zstd", "arrow"} {
		if s := stages[name]; s.Lines < int64(lines) || s.Lines > int64(total) {
			t.Errorf("%s saw %d lines, want between %d and %d", name, s.Lines, lines, total)
		}
	}
	if s := stages["filter"]; s.Rows < int64(deletes) {
		t.Errorf("filter found %d rows, want at least the %d ordinary deletes", s.Rows, deletes)
	}
	if s := stages["group-by"]; s.Rows < int64(len(groups)) {
		t.Errorf("group-by has %d groups, want at least %d", s.Rows, len(groups))
	}
	for _, name := range []string{"parquet-zstd", "arrow"} {
		if s := stages[name]; s.Rows != s.Lines || s.OutBytes <= 0 {
			t.Errorf("%s wrote %d rows (%d bytes) for %d lines", name, s.Rows, s.OutBytes, s.Lines)
		}
	}
	for _, p := range []string{cpu, mem} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s not written: %v", p, err)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--size", "lots"},
		{"--lines", "-3"},
		{"--reps", "0"},
		{"--stages", "scan,warp"},
	} {
		if code, _, stderr := runBenchCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if code, _, _ := runBenchCmd(filepath.Join(t.TempDir(), "missing")); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
