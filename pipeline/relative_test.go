package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/s3logs/s3logs/parse"
)

// relRecorder is a recorder whose parts may read line numbers relative to
// the chunk (RelativeLines). It keeps the chunks' spans of lines
// (EndChunk) and counts the records outside their chunk's span.
type relRecorder struct {
	*recorder
	mu    sync.Mutex
	spans map[string][][2]int64
	// outside counts records numbered outside their chunk's span.
	outside int
	// absolute: the stage gives the object's line numbers (a
	// prefilter's string: the lines are counted first).
	absolute bool
	// panicAt, when set, makes a part panic at its chunk's record with
	// that relative line number (failAt: return an error instead), in
	// every chunk but an object's first.
	panicAt, failAt int64
}

func newRelRecorder() *relRecorder {
	return &relRecorder{recorder: newRecorder(), spans: map[string][][2]int64{}}
}

func (c *relRecorder) RelativeLines() bool { return true }

type relPart struct {
	*recPart
	c       *relRecorder
	pending []int64
}

func (c *relRecorder) NewPart(w int, o *Object, whole bool) Part {
	return &relPart{recPart: c.recorder.NewPart(w, o, whole).(*recPart), c: c}
}

func (c *relRecorder) Commit(w int, p Part) error { return c.recorder.Commit(w, p.(*relPart).recPart) }
func (c *relRecorder) Drop(p Part)                { c.recorder.Drop(p.(*relPart).recPart) }

var errPartFailed = errors.New("the part failed")

func (p *relPart) Records(sc *parse.Scanner) error {
	p.pending = p.pending[:0]
	for sc.Scan() {
		n := sc.LineNumber()
		// A chunk past the object's first has lines numbered from 1 too.
		if len(p.lines) > 0 && n == p.c.panicAt {
			var xs []int
			_ = xs[len(xs)-1]
		}
		if len(p.lines) > 0 && n == p.c.failAt {
			return errPartFailed
		}
		p.pending = append(p.pending, n)
	}
	return nil
}

func (p *relPart) EndChunk(first, last int64, _ int) error {
	p.c.mu.Lock()
	for _, n := range p.pending {
		if n < first || n > last {
			p.c.outside++
		}
	}
	p.lines = append(p.lines, p.pending...)
	p.pending = p.pending[:0]
	p.c.spans[p.obj] = append(p.c.spans[p.obj], [2]int64{first, last})
	p.c.mu.Unlock()
	return nil
}

// rejectHeads returns the "object:line:column: field: reason" lines of a
// rejects file, sorted (the rejected line follows each).
func rejectHeads(t *testing.T, rejects string) []string {
	t.Helper()
	ls := strings.Split(strings.TrimSuffix(rejects, "\n"), "\n")
	if rejects == "" {
		return nil
	}
	if len(ls)%2 != 0 {
		t.Fatalf("rejects file of %d lines", len(ls))
	}
	var out []string
	for i := 0; i < len(ls); i += 2 {
		out = append(out, ls[i])
	}
	slices.Sort(out)
	return out
}

// relativeLog is a log of n lines mixing records, malformed lines, blank
// lines, lines over the line limit (4096) and lines over a small block.
func relativeLog(n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		switch {
		case i%500 == 7:
			b.WriteString(strings.Repeat("y", 5000)) // over the limit
		case i%701 == 3:
			b.WriteString(goodLine[:40] + strings.Repeat("z", 3000)) // over a small block
		case i%89 == 5:
		case i%97 == 3:
			b.WriteString(" \t ")
		case i%37 == 1:
			b.WriteString(fmt.Sprintf("garbage %d", i))
		case i%13 == 0:
			b.WriteString(spacedLine) // REST.PUT.OBJECT, with a warning
		default:
			b.WriteString(goodLine)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestRelativeLines: a consumer that reads no line numbers has its chunks
// scanned before their lines are counted, yet the records, the chunks'
// spans, the rejects file, --strict's error and the counts are those of
// one serial scan of the whole file,
// whatever the block size and number of workers, mapped or read, with or
// without a prefilter (whose string keeps the lines counted first); and
// the same as a consumer that reads them.
func TestRelativeLines(t *testing.T) {
	const n = 4000
	data := relativeLog(n)
	plain, gz := writePlainAndGzip(t, t.TempDir(), data)
	pre := &parse.Prefilter{Contains: [][]byte{[]byte("REST.PUT.OBJECT")}}
	for _, src := range []string{plain, gz} {
		for _, prefilter := range []*parse.Prefilter{nil, pre} {
			// The truth: the whole file as one block, on one goroutine.
			var trueRej bytes.Buffer
			truth := newRecorder()
			tst, err := RunBlock(Config{MaxLineSize: 4096, Rejects: &trueRej}, src, data, truth)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(truth.committed[src]))
			wantRej := rejectHeads(t, trueRej.String())
			if len(wantRej) < 100 {
				t.Fatalf("only %d rejects", len(wantRej))
			}
			if prefilter != nil {
				ptruth := newRecorder()
				if tst, err = RunBlock(Config{MaxLineSize: 4096, Prefilter: prefilter}, src, data, ptruth); err != nil {
					t.Fatal(err)
				}
				want = slices.Sorted(slices.Values(ptruth.committed[src]))
			}
			for _, bs := range []int{1 << 10, 4 << 10, 64 << 10} {
				for _, workers := range []int{1, 3, 8} {
					name := fmt.Sprintf("%s, prefilter %v, block %d, %d workers", filepath.Base(src), prefilter != nil, bs, workers)
					cfg := Config{BlockSize: bs, Workers: workers, MaxLineSize: 4096, Prefilter: prefilter}
					c := newRelRecorder()
					c.absolute = prefilter != nil
					st, err := Run(context.Background(), cfg, []string{src}, c)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					// Numbered in the object when counted first, else in
					// their chunks.
					if got := slices.Sorted(slices.Values(c.committed[src])); c.absolute && !slices.Equal(got, want) || len(got) != len(want) || c.outside > 0 {
						t.Errorf("%s: %d records, want %d, %d outside their chunk (first difference near %v)", name, len(got), len(want), c.outside, firstDiff(got, want))
					}
					for _, f := range []struct {
						name      string
						got, want int64
					}{
						{"lines", st.Lines.Load(), tst.Lines.Load()},
						{"rejected", st.Rejected.Load(), tst.Rejected.Load()},
						{"unparsed", st.Unparsed.Load(), tst.Unparsed.Load()},
						{"warnings", st.Warnings.Load(), tst.Warnings.Load()},
					} {
						if f.got != f.want {
							t.Errorf("%s: %s %d, want %d", name, f.name, f.got, f.want)
						}
					}
					checkSpans(t, name, c.spans[src], data, c.absolute)
					if prefilter != nil {
						continue // off with rejects and strict
					}
					// The rejects file, with relative lines and without.
					for _, relative := range []bool{true, false} {
						var rej bytes.Buffer
						cfg.Rejects = &rej
						var cons Consumer = newRecorder()
						if relative {
							cons = newRelRecorder()
						}
						if _, err := Run(context.Background(), cfg, []string{src}, cons); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if got := rejectHeads(t, rej.String()); !slices.Equal(got, wantRej) {
							t.Errorf("%s, relative %v: rejects %d, want %d (first difference near %q)", name, relative, len(got), len(wantRej), firstDiff(got, wantRej))
						}
					}
					// --strict: the error is one of the malformed lines,
					// with its place, and the rejects file holds at most
					// one per worker.
					for _, rejects := range []bool{false, true} {
						var rej bytes.Buffer
						cfg.Rejects = nil
						if rejects {
							cfg.Rejects = &rej
						}
						cfg.Strict = true
						_, err := Run(context.Background(), cfg, []string{src}, newRelRecorder())
						cfg.Strict = false
						var pe *parse.ParseError
						if !errors.As(err, &pe) {
							t.Fatalf("%s: strict: %v, want a ParseError", name, err)
						}
						if _, ok := slices.BinarySearch(wantRej, pe.Error()); !ok {
							t.Errorf("%s: strict: %v, not a line the serial scan rejects", name, err)
						}
						if got := rejectHeads(t, rej.String()); len(got) > workers || rejects && len(got) == 0 {
							t.Errorf("%s: strict: %d lines in the rejects file", name, len(got))
						}
					}
				}
			}
		}
	}
}

// firstDiff returns the first element where a and b differ.
func firstDiff[T comparable](a, b []T) any {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return [2]T{a[i], b[i]}
		}
	}
	if len(a) > len(b) {
		return a[len(b)]
	}
	if len(b) > len(a) {
		return b[len(a)]
	}
	return nil
}

// checkSpans checks the chunks' spans of lines (EndChunk). In the object
// (absolute): disjoint, and covering every line of data but those over
// the line limit (rejected by the reader, not in a chunk of lines).
// Relative: each from 1, as many lines in all.
func checkSpans(t *testing.T, name string, spans [][2]int64, data []byte, absolute bool) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if !absolute {
		var n, long int64
		for _, s := range spans {
			if s[0] != 1 || s[1] < 1 {
				t.Fatalf("%s: span %v", name, s)
			}
			n += s[1]
		}
		for _, l := range lines {
			if len(l) > 4096 {
				long++
			}
		}
		// A line over the limit is in a chunk when the block holds it.
		if n < int64(len(lines))-long || n > int64(len(lines)) {
			t.Fatalf("%s: spans of %d lines, want %d, or up to %d more", name, n, int64(len(lines))-long, long)
		}
		return
	}
	slices.SortFunc(spans, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	next := int64(1)
	for _, s := range spans {
		for ; next < s[0]; next++ {
			if len(lines[next-1]) <= 4096 {
				t.Fatalf("%s: line %d (%.20q) is in no chunk (spans %v)", name, next, lines[next-1], spans)
			}
		}
		if s[0] != next || s[1] < s[0] {
			t.Fatalf("%s: span %v after line %d", name, s, next-1)
		}
		next = s[1] + 1
	}
	if next != int64(len(lines))+1 {
		t.Fatalf("%s: spans end at line %d, want %d", name, next-1, len(lines))
	}
}

// TestRelativeStrictOne: with one malformed line, --strict names it
// exactly, whatever the chunks and workers.
func TestRelativeStrictOne(t *testing.T) {
	dir := t.TempDir()
	for _, at := range []int{1, 2, 777, 2999, 3000} {
		src := writeLog(t, dir, fmt.Sprintf("one%d.log", at), 3000, map[int]string{at: "garbage"})
		for _, bs := range []int{1 << 10, 8 << 10} {
			for _, workers := range []int{2, 5} {
				var rej bytes.Buffer
				cfg := Config{BlockSize: bs, Workers: workers, Strict: true, Rejects: &rej}
				_, err := Run(context.Background(), cfg, []string{src}, newRelRecorder())
				var pe *parse.ParseError
				if !errors.As(err, &pe) || pe.Line != int64(at) || pe.Object != src {
					t.Errorf("line %d, block %d, %d workers: %v", at, bs, workers, err)
				}
				if loc := fmt.Sprintf("%s:%d:", src, at); !strings.HasPrefix(rej.String(), loc) || strings.Count(rej.String(), "\n") != 2 {
					t.Errorf("line %d, block %d, %d workers: rejects file %q", at, bs, workers, rej.String())
				}
			}
		}
	}
}

// TestRelativeManyRejects: a chunk of lines that are all rejected holds
// more than maxHeld bytes of them: past that the worker waits for the
// chunk's first line and writes them as they come, still in order and
// with their lines.
func TestRelativeManyRejects(t *testing.T) {
	dir := t.TempDir()
	extra := map[int]string{}
	for i := 1; i <= 20000; i++ {
		if i%3 != 0 {
			extra[i] = fmt.Sprintf("garbage line %d %s", i, strings.Repeat("x", 40))
		}
	}
	src := writeLog(t, dir, "bad.log", 20000, extra)
	for _, workers := range []int{1, 4} {
		var rej bytes.Buffer
		cfg := Config{BlockSize: 1 << 20, Workers: workers, Rejects: &rej}
		c := newRelRecorder()
		st, err := Run(context.Background(), cfg, []string{src}, c)
		if err != nil {
			t.Fatal(err)
		}
		heads := strings.Split(strings.TrimSuffix(rej.String(), "\n"), "\n")
		if len(heads) != 2*len(extra) || st.Rejected.Load() != int64(len(extra)) {
			t.Fatalf("%d workers: %d lines in the rejects file, %d rejected; want %d", workers, len(heads), st.Rejected.Load(), 2*len(extra))
		}
		// Each with its own line; in order on one worker.
		var order []int
		for i := 0; i < len(heads); i += 2 {
			var line, col int
			var rest string
			if _, err := fmt.Sscanf(strings.TrimPrefix(heads[i], src+":"), "%d:%d:%s", &line, &col, &rest); err != nil {
				t.Fatalf("%q: %v", heads[i], err)
			}
			if want := fmt.Sprintf("garbage line %d ", line); !strings.HasPrefix(heads[i+1], want) {
				t.Fatalf("%d workers: line %d is %q", workers, line, heads[i+1])
			}
			order = append(order, line)
		}
		if got := len(c.committed[src]); got != 20000-len(extra) {
			t.Errorf("%d workers: %d records", workers, got)
		}
		if workers == 1 && !slices.IsSorted(order) {
			t.Errorf("one worker: rejects out of order")
		}
	}
}

// TestRelativeFailures: a part that panics or fails in the middle of a
// chunk, scanned before its lines are known, ends the run with its error:
// the next chunk's worker, waiting for the failed chunk's count, is not
// left waiting.
func TestRelativeFailures(t *testing.T) {
	dir := t.TempDir()
	src := writeLog(t, dir, "a.log", 5000, nil)
	for _, workers := range []int{2, 6} {
		c := newRelRecorder()
		c.panicAt = 3
		_, err := Run(context.Background(), Config{BlockSize: 4 << 10, Workers: workers}, []string{src}, c)
		if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "in its chunk") {
			t.Errorf("%d workers: panic: %v", workers, err)
		}
		c = newRelRecorder()
		c.failAt = 3
		_, err = Run(context.Background(), Config{BlockSize: 4 << 10, Workers: workers}, []string{src}, c)
		if !errors.Is(err, errPartFailed) {
			t.Errorf("%d workers: fail: %v", workers, err)
		}
	}
}

// TestRelativeSparseRejects: rejects in a few chunks only, the chunks
// between them resolved without waiting (lineMark.after), are written
// with their lines in the object.
func TestRelativeSparseRejects(t *testing.T) {
	dir := t.TempDir()
	bad := []int{3, 1200, 1201, 2500, 5999}
	extra := map[int]string{}
	var want []string
	src := filepath.Join(dir, "sparse.log")
	for _, i := range bad {
		extra[i] = "garbage"
		want = append(want, fmt.Sprintf("%s:%d:", src, i))
	}
	writeLog(t, dir, "sparse.log", 6000, extra)
	for _, bs := range []int{1 << 10, 16 << 10} {
		for _, workers := range []int{1, 2, 7} {
			var rej bytes.Buffer
			cfg := Config{BlockSize: bs, Workers: workers, Rejects: &rej}
			if _, err := Run(context.Background(), cfg, []string{src}, newRelRecorder()); err != nil {
				t.Fatal(err)
			}
			heads := rejectHeads(t, rej.String())
			var got []string
			for _, h := range heads {
				got = append(got, h[:len(src)+1+strings.Index(h[len(src)+1:], ":")+1])
			}
			if !slices.Equal(sortedStrings(got), sortedStrings(want)) {
				t.Errorf("block %d, %d workers: rejects at %v, want %v", bs, workers, got, want)
			}
		}
	}
}

func sortedStrings(s []string) []string { return slices.Sorted(slices.Values(s)) }
