package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s3logs/s3logs/parse"
)

// A valid record, and one with a doubled separator (kept with a warning).
const (
	goodLine   = `79a5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT photos/cat.jpg "GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1" 200 - 113 4096 7 5 "https://example.com/" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2`
	spacedLine = `79a5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3  arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.PUT.OBJECT photos/cat.jpg "GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1" 200 - 113 4096 7 5 "https://example.com/" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2`
)

// recorder is a Consumer that records what the stage hands it: each
// committed object's lines, and the objects dropped.
type recorder struct {
	mu        sync.Mutex
	committed map[string][]int64
	dropped   map[string]int
	commits   map[*recPart]int
}

type recPart struct {
	obj   string
	lines []int64
}

func newRecorder() *recorder {
	return &recorder{committed: map[string][]int64{}, dropped: map[string]int{}, commits: map[*recPart]int{}}
}

func (c *recorder) NewPart(_ int, o *Object, _ bool) Part { return &recPart{obj: o.Name} }

func (c *recorder) Commit(_ int, p Part) error {
	rp := p.(*recPart)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits[rp]++
	c.committed[rp.obj] = append(c.committed[rp.obj], rp.lines...)
	return nil
}

func (c *recorder) Drop(p Part) {
	c.mu.Lock()
	c.dropped[p.(*recPart).obj]++
	c.mu.Unlock()
}

func (p *recPart) Records(sc *parse.Scanner) error {
	for sc.Scan() {
		p.lines = append(p.lines, sc.LineNumber())
	}
	return nil
}

func (p *recPart) EndChunk(int64, int64, int) error { return nil }

// writeLog writes n copies of goodLine, with extra lines (line number →
// content) in between, and returns the path.
func writeLog(t *testing.T, dir, name string, n int, extra map[int]string) string {
	t.Helper()
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		if s, ok := extra[i]; ok {
			b.WriteString(s)
		} else {
			b.WriteString(goodLine)
		}
		b.WriteByte('\n')
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStageWholeObjects: every record of every object read to its end is
// committed exactly once, each part once, whatever the block size and
// number of workers; a failed object (SkipFailed) is dropped and commits
// nothing, though some of its blocks went through the workers.
func TestStageWholeObjects(t *testing.T) {
	dir := t.TempDir()
	a := writeLog(t, dir, "a.log", 500, nil)
	b := writeLog(t, dir, "b.log", 30, nil)
	empty := writeLog(t, dir, "empty.log", 0, nil)
	var full bytes.Buffer
	zw := gzip.NewWriter(&full)
	for range 3000 {
		fmt.Fprintln(zw, goodLine)
	}
	zw.Close()
	bad := filepath.Join(dir, "bad.log.gz")
	if err := os.WriteFile(bad, full.Bytes()[:full.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bs := range []int{2 << 10, 64 << 10, 1 << 20} {
		for _, workers := range []int{1, 3} {
			c := newRecorder()
			st, err := Run(context.Background(), Config{BlockSize: bs, Workers: workers, SkipFailed: true}, []string{a, b, empty, bad}, c)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("block %d, %d workers", bs, workers)
			for obj, n := range map[string]int{a: 500, b: 30} {
				lines := c.committed[obj]
				seen := map[int64]bool{}
				for _, l := range lines {
					seen[l] = true
				}
				if len(lines) != n || len(seen) != n {
					t.Errorf("%s: %s: %d lines committed (%d distinct), want %d", name, obj, len(lines), len(seen), n)
				}
			}
			if len(c.committed[bad]) != 0 || st.Read.Load() != 3 {
				t.Errorf("%s: failed object committed %d lines; %d objects read", name, len(c.committed[bad]), st.Read.Load())
			}
			if f := st.Failed(); len(f) != 1 || f[0] != bad {
				t.Errorf("%s: failed %v", name, f)
			}
			if _, ok := c.committed[empty]; !ok && c.dropped[empty] == 0 {
				// An empty object is read whole: committed, with no lines.
				found := false
				for p := range c.commits {
					found = found || p.obj == empty
				}
				if !found {
					t.Errorf("%s: the empty object was never committed", name)
				}
			}
			for p, n := range c.commits {
				if n != 1 {
					t.Errorf("%s: part of %s committed %d times", name, p.obj, n)
				}
			}
			if bs == 2<<10 && c.dropped[bad] == 0 {
				t.Errorf("%s: no part of the failed object was dropped: it never reached the workers", name)
			}
		}
	}
}

// TestStagePolicy: counting, the rejects file, warnings, the prefilter,
// objects whose every line is rejected, and --strict.
func TestStagePolicy(t *testing.T) {
	dir := t.TempDir()
	mixed := writeLog(t, dir, "mixed.log", 40, map[int]string{
		5: "garbage", 6: "\t", 7: "", 8: spacedLine, 20: "\x00\x01 binary", 30: strings.Repeat("y", 5000),
	})
	pq := filepath.Join(dir, "x.parquet")
	os.WriteFile(pq, []byte("PAR1\x15\x04garbage\nmore\nPAR1"), 0o644)
	var rejects bytes.Buffer
	c := newRecorder()
	cfg := Config{Workers: 2, BlockSize: 1 << 10, MaxLineSize: 4096, Rejects: &rejects}
	st, err := Run(context.Background(), cfg, []string{mixed, pq}, c)
	if err != nil {
		t.Fatal(err)
	}
	// mixed: 38 non-blank lines, 3 rejected (garbage, binary, too long);
	// x.parquet: 3 lines, all rejected.
	if st.Lines.Load() != 38+3 || st.Rejected.Load() != 3+3 || st.Warnings.Load() != 1 || st.Unparsed.Load() != 0 {
		t.Errorf("lines %d rejected %d warnings %d unparsed %d; want 41, 6, 1, 0", st.Lines.Load(), st.Rejected.Load(), st.Warnings.Load(), st.Unparsed.Load())
	}
	if len(c.committed[mixed]) != 35 {
		t.Errorf("%d records of mixed.log, want 35", len(c.committed[mixed]))
	}
	for _, loc := range []string{mixed + ":5:", mixed + ":20:", mixed + ":30:", pq + ":1:", pq + ":2:", pq + ":3:"} {
		if !strings.Contains(rejects.String(), "\n"+loc) && !strings.HasPrefix(rejects.String(), loc) {
			t.Errorf("rejects file lacks %s:\n%s", loc, rejects.String())
		}
	}
	if ar := st.AllRejected(); len(ar) != 1 || ar[0].Name != pq || !strings.Contains(ar[0].Cause, "Parquet") {
		t.Errorf("all-rejected objects %+v; want %s, as Parquet", ar, pq)
	}

	// The prefilter skips lines unparsed, unless rejects are written.
	pre := &parse.Prefilter{Contains: [][]byte{[]byte("REST.PUT.OBJECT")}}
	c = newRecorder()
	st, err = Run(context.Background(), Config{Workers: 2, Prefilter: pre}, []string{mixed}, c)
	if err != nil {
		t.Fatal(err)
	}
	if st.Unparsed.Load() != 37 || st.Rejected.Load() != 0 || len(c.committed[mixed]) != 1 {
		t.Errorf("prefilter: unparsed %d rejected %d records %d; want 37, 0, 1", st.Unparsed.Load(), st.Rejected.Load(), len(c.committed[mixed]))
	}
	st, err = Run(context.Background(), Config{Workers: 2, Prefilter: pre, Rejects: &bytes.Buffer{}}, []string{mixed}, newRecorder())
	if err != nil || st.Unparsed.Load() != 0 || st.Rejected.Load() != 3 {
		t.Errorf("prefilter with rejects: %v, unparsed %d rejected %d; want every line parsed", err, st.Unparsed.Load(), st.Rejected.Load())
	}

	// Strict: the first malformed line fails the run.
	_, err = Run(context.Background(), Config{Workers: 1, Strict: true}, []string{mixed}, newRecorder())
	var pe *parse.ParseError
	if !errors.As(err, &pe) || pe.Object != mixed || pe.Line != 5 {
		t.Errorf("strict: %v, want the ParseError of %s:5", err, mixed)
	}
}

// TestRunBlock: the block runner applies the same policy.
func TestRunBlock(t *testing.T) {
	data := []byte(goodLine + "\nbad\n" + spacedLine + "\n")
	c := newRecorder()
	st, err := RunBlock(Config{}, "blk", data, c)
	if err != nil || st.Lines.Load() != 3 || st.Rejected.Load() != 1 || st.Warnings.Load() != 1 || len(c.committed["blk"]) != 2 {
		t.Errorf("RunBlock: %v, lines %d rejected %d warnings %d records %v", err, st.Lines.Load(), st.Rejected.Load(), st.Warnings.Load(), c.committed)
	}
}
