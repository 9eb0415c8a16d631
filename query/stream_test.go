package query

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
)

// streamDir writes log objects to a directory: good ones, each read in
// several blocks of 16 KiB, and, when truncated is set, a .gz cut short
// that spans many blocks and fails part way. It returns the directory
// and "requestid|line" of the good objects' records.
func streamDir(t *testing.T, truncated bool) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var want []string
	for i := range 3 {
		objs, err := gen.All(gen.Config{Seed: int64(60 + i), Objects: 1, LinesPerObject: 600, TrapRate: -1})
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range objs[0].Records {
			want = append(want, fmt.Sprintf("%s|%d", r.RequestID, j+1))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("good%d.log", i)), objs[0].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if truncated {
		objs, err := gen.All(gen.Config{Seed: 69, Objects: 1, LinesPerObject: 6000, TrapRate: -1})
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(objs[0].Bytes())
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, "truncated.log.gz"), z.Bytes()[:z.Len()*7/10], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	return dir, want
}

// streamRows runs sql over dir with 3 workers and small blocks, writing
// to format ("capture" for a RowWriter that is no rowEncoder), and
// returns its rows sorted, the header dropped.
func streamRows(t *testing.T, sql, format, dir string, skipFailed bool, o RunOptions) ([]string, *pipeline.Stats, error) {
	t.Helper()
	p, err := Compile(sql, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{Workers: 3, BlockSize: 16 << 10, SkipFailed: skipFailed}
	if format == "capture" {
		c := &capture{}
		st, err := p.Run(context.Background(), cfg, []string{dir}, c, o)
		return sortedRows(c), st, err
	}
	var b bytes.Buffer
	w, err := NewWriter(format, &b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Run(context.Background(), cfg, []string{dir}, w, o)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")[1:] // the CSV header
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, ",", "|")
	}
	slices.Sort(lines)
	return lines, st, err
}

// streamModes are the ways a streaming query's rows reach the writer:
// encoded on the workers (csv) or written under the lock (capture),
// as found (Live, or no SkipFailed) or held until their object is whole.
var streamModes = []struct {
	name       string
	format     string
	skipFailed bool
	o          RunOptions
}{
	{"csv held", "csv", true, RunOptions{}},
	{"csv direct", "csv", false, RunOptions{}},
	{"csv live", "csv", true, RunOptions{Live: true}},
	{"capture held", "capture", true, RunOptions{}},
	{"capture direct", "capture", false, RunOptions{}},
}

// TestStreamLimitExact: under concurrency, LIMIT n writes exactly n of
// the rows, each a row of the logs and none twice, whichever way rows
// reach the writer.
func TestStreamLimitExact(t *testing.T) {
	dir, all := streamDir(t, false)
	for _, m := range streamModes {
		for _, n := range []int{1, 7, 500, len(all) - 1, len(all), len(all) + 5} {
			got, _, err := streamRows(t, fmt.Sprintf("SELECT requestid, log_line FROM logs LIMIT %d", n), m.format, dir, m.skipFailed, m.o)
			if err != nil {
				t.Fatalf("%s LIMIT %d: %v", m.name, n, err)
			}
			if want := min(n, len(all)); len(got) != want {
				t.Errorf("%s LIMIT %d: %d rows, want %d", m.name, n, len(got), want)
			}
			for i, r := range got {
				if _, ok := slices.BinarySearch(all, r); !ok || i > 0 && got[i-1] == r {
					t.Fatalf("%s LIMIT %d: row %q is not one of the logs' rows or is there twice", m.name, n, r)
				}
			}
		}
	}
}

// TestStreamSkipFailed: with SkipFailed, a .gz that fails part way
// (after some of its blocks reached the workers) adds no row unless the
// rows are Live, where those written are noted; without SkipFailed the
// run fails.
func TestStreamSkipFailed(t *testing.T) {
	dir, want := streamDir(t, true)
	for _, m := range streamModes {
		got, st, err := streamRows(t, "SELECT requestid, log_line FROM logs", m.format, dir, m.skipFailed, m.o)
		if !m.skipFailed {
			if err == nil {
				t.Errorf("%s: no error with a failed object and no SkipFailed", m.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		failed := st.FailedObjects()
		if len(failed) != 1 || !strings.HasSuffix(failed[0].Name, "truncated.log.gz") {
			t.Fatalf("%s: failed %v, want the truncated object", m.name, failed)
		}
		if m.o.Live {
			// Rows written before the object failed stay, and are noted.
			if len(got) < len(want) || len(got) > len(want) && failed[0].Note == "" {
				t.Errorf("%s: %d rows (note %q), want the good objects' %d and any of the failed one's noted", m.name, len(got), failed[0].Note, len(want))
			}
			continue
		}
		check(t, m.name+": rows with a failed object skipped", got, want)
	}
}

// failingWriter fails every write once after bytes have been written.
type failingWriter struct{ left int }

var errOutput = errors.New("output closed")

func (f *failingWriter) Write(b []byte) (int, error) {
	if f.left -= len(b); f.left < 0 {
		return 0, errOutput
	}
	return len(b), nil
}

// failingRows is a RowWriter (no rowEncoder) whose WriteRow fails after
// rows rows.
type failingRows struct{ rows int }

func (f *failingRows) Begin([]ResultColumn) error { return nil }
func (f *failingRows) End() error                 { return nil }
func (f *failingRows) WriteRow([]Value) error {
	if f.rows--; f.rows < 0 {
		return errOutput
	}
	return nil
}

// TestStreamWriteError: a write to the output that fails ends the run
// with that error (it does not hang, nor pass for a full answer),
// whichever way rows reach the writer.
func TestStreamWriteError(t *testing.T) {
	dir, _ := streamDir(t, false)
	p, err := Compile("SELECT * FROM logs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range streamModes {
		var w RowWriter = &failingRows{rows: 100}
		if m.format != "capture" {
			w, _ = NewWriter(m.format, &failingWriter{left: 100 << 10})
		}
		cfg := pipeline.Config{Workers: 3, BlockSize: 16 << 10, SkipFailed: m.skipFailed}
		if _, err := p.Run(context.Background(), cfg, []string{dir}, w, m.o); !errors.Is(err, errOutput) {
			t.Errorf("%s: Run = %v, want the output's error", m.name, err)
		}
	}
}

// TestHoldRows: a streaming query's part of an object read in several
// chunks holds its rows only with SkipFailed and without Live.
func TestHoldRows(t *testing.T) {
	p, err := Compile("SELECT key FROM logs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	agg, err := Compile("SELECT count(*) FROM logs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(p *Plan, skipFailed, live, direct bool) {
		t.Helper()
		r := p.newRun(&capture{}, RunOptions{Live: live}, 1, skipFailed)
		pt := r.NewPart(0, &pipeline.Object{Name: "o"}, false).(*part)
		if pt.direct != direct {
			t.Errorf("SkipFailed %v, Live %v, agg %v: direct part %v, want %v", skipFailed, live, p.agg, pt.direct, direct)
		}
	}
	f(p, false, false, true)
	f(p, false, true, true)
	f(p, true, true, true)
	f(p, true, false, false)
	f(agg, false, false, false) // an aggregate's part is merged at Commit
}
