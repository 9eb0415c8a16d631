package conformance

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
)

var (
	statusFile = flag.String("status", "", "write the pass/fail table grouped by cause to `FILE` (STATUS.md)")
	keepDir    = flag.String("keep", "", "write the generated log and the s3logs binary to `DIR` and keep them, to reproduce a failure by hand")
)

// Now is the clock of the queries that read it (--now for s3logs; the
// DuckDB translations write it as a literal).
const Now = "2026-03-06T12:00:00Z"

// dataConfig generates the suite's logs: a week of March 2026 (27-field
// records, so sourceregion is logged), two buckets, no trap lines (DuckDB's
// CSV reader cannot read a quote inside a quoted field), about 6 MB.
var dataConfig = gen.Config{
	Seed:           13,
	Objects:        40,
	LinesPerObject: 400,
	Start:          time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	Span:           7 * 24 * time.Hour,
	Buckets:        []string{"amzn-s3-demo-bucket1", "amzn-s3-demo-bucket2"},
	TrapRate:       -1,
}

// env is what every query runs against.
type env struct {
	bin     string // the s3logs binary built from the repository
	logFile string // the generated log text, one file
	lakeDir string // logFile converted by s3logs convert (SPEC §8)
	lines   int64
	oracle  *Oracle
}

// sources are what each query reads, in turn: the log text and its
// converted lake. Each answer is compared with the oracle's over the
// text, so the lake answers as the text does.
var sources = []struct {
	name string
	path func(*env) string
}{
	{"text", func(e *env) string { return e.logFile }},
	{"lake", func(e *env) string { return e.lakeDir }},
}

var suite *env

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "s3logs-conformance-")
	if *keepDir != "" {
		dir, err = *keepDir, os.MkdirAll(*keepDir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		e, err := setup(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "conformance setup:", err)
			return 1
		}
		defer e.oracle.Close()
		suite = e
		return m.Run()
	}()
	if *keepDir == "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func setup(dir string) (*env, error) {
	ctx := context.Background()
	e := &env{bin: filepath.Join(dir, "s3logs"), logFile: filepath.Join(dir, "access.log"), lakeDir: filepath.Join(dir, "lake")}
	// One file whose name matches no key layout, so that no object is ever
	// skipped by key time: both engines see every line.
	var buf bytes.Buffer
	err := gen.Generate(dataConfig, func(o gen.Object) error {
		buf.Write(o.Bytes())
		e.lines += int64(len(o.Records))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(e.logFile, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/s3logs")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building s3logs: %v\n%s", err, out)
	}
	conv := exec.Command(e.bin, "convert", e.logFile, "--out", e.lakeDir, "--quiet", "--no-progress")
	if out, err := conv.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("converting the log to a lake: %v\n%s", err, out)
	}
	o, err := OpenOracle(ctx, e.logFile)
	if err != nil {
		return nil, err
	}
	n, err := o.Rows(ctx)
	if err == nil && n != e.lines {
		err = fmt.Errorf("DuckDB read %d lines of %d", n, e.lines)
	}
	if err != nil {
		o.Close()
		return nil, err
	}
	e.oracle = o
	return e, nil
}

// outcome is one query's result, for the status table.
type outcome struct {
	q      Query
	pass   bool
	stage  string // "s3logs" (it failed to run), "answer" (it ran, answers differ), "oracle"
	source string // the source it failed over ("text", "lake")
	detail string // the first error line, or the first line of the difference
}

func TestConformance(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "queries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ParseQueries(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 70 {
		t.Errorf("the suite holds %d queries; issue 13 asks for at least 60 and this suite for 70", len(qs))
	}
	var outcomes []outcome
	for _, q := range qs {
		o := outcome{q: q}
		t.Run(q.ID, func(t *testing.T) {
			o = runOne(t, q)
		})
		outcomes = append(outcomes, o)
	}
	if *statusFile != "" {
		if err := os.WriteFile(*statusFile, []byte(statusReport(outcomes, suite.lines)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runOne checks q over each source in turn (a subtest each); its outcome
// is the first failure, or a pass when every source answers as the oracle.
func runOne(t *testing.T, q Query) outcome {
	ctx := context.Background()
	o := outcome{q: q}
	want, err := suite.oracle.Query(ctx, q.DuckDB)
	if err != nil {
		o.stage, o.detail = "oracle", firstLine(err.Error())
		t.Fatalf("%s (line %d): the DuckDB translation fails: %v", q.ID, q.Line, err)
	}
	if trivial(want) {
		o.stage, o.detail = "oracle", "the oracle's answer is empty: change the literals"
		t.Fatalf("%s (line %d): the DuckDB answer is empty or all NULL/0, so the query proves nothing: %d rows", q.ID, q.Line, len(want.Rows))
	}
	o.pass = true
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			stage, detail := checkOne(ctx, t, q, want, src.path(suite))
			if stage != "" && o.pass {
				o.pass, o.stage, o.source, o.detail = false, stage, src.name, detail
			}
		})
	}
	return o
}

// checkOne runs q over one source and compares its answer with want; it
// returns the stage and first line of a failure, "" for a pass.
func checkOne(ctx context.Context, t *testing.T, q Query, want Result, source string) (stage, detail string) {
	got, stderr, err := runS3logs(ctx, q, source)
	if err != nil {
		detail = firstLine(stderr)
		if detail == "" {
			detail = err.Error()
		}
		t.Errorf("%s (line %d, %s) over %s: s3logs fails: %v\n%s\nquery:\n%s", q.ID, q.Line, q.Source, source, err, strings.TrimSpace(stderr), q.SQL)
		return "s3logs", detail
	}
	if d := Compare(got, want, q.Order, q.Limit); d != "" {
		t.Errorf("%s (line %d, %s) over %s: s3logs and DuckDB disagree: %s\nquery:\n%s", q.ID, q.Line, q.Source, source, d, q.SQL)
		return "answer", firstLine(d)
	}
	return "", ""
}

// trivial reports an answer with no rows, or only NULL and zero values.
func trivial(r Result) bool {
	for _, row := range r.Rows {
		for _, v := range row {
			if v != "" && v != "0" {
				return false
			}
		}
	}
	return true
}

// runS3logs runs the query unchanged through the binary over source, as
// a user would.
func runS3logs(ctx context.Context, q Query, source string) (Result, string, error) {
	args := []string{"query", "--format", "csv", "--no-progress"}
	if q.NeedsNow() {
		args = append(args, "--now", Now)
	}
	args = append(args, q.SQL, source)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, stderr.String(), err
	}
	r := csv.NewReader(&stdout)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return Result{}, stderr.String(), fmt.Errorf("reading the CSV: %w", err)
	}
	if len(recs) == 0 {
		return Result{}, stderr.String(), errors.New("no CSV header")
	}
	return Result{Cols: recs[0], Rows: recs[1:]}, stderr.String(), nil
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
