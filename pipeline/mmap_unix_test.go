//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/parse"
)

// TestMappedSameAsRead: a plain local file, which is mapped, gives the same
// records, line numbers, counts and rejects file as the same bytes
// gzipped, which are read, whatever the block size, the line limit and
// the number of workers: lines longer than a block, longer than the limit
// (in the middle and at the end), blank and malformed lines, and a last
// line without a line end.
func TestMappedSameAsRead(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	for i := 1; i <= 3000; i++ {
		switch {
		case i%500 == 7:
			b.WriteString(strings.Repeat("y", 5000)) // over the limit
		case i%300 == 11:
			b.WriteString(goodLine[:40] + strings.Repeat("z", 3000)) // over a block, under the limit
		case i%97 == 3:
			b.WriteString("garbage line")
		case i%89 == 5:
			b.WriteString("")
		case i%7 == 0:
			b.WriteString(spacedLine)
		default:
			b.WriteString(goodLine)
		}
		b.WriteByte('\n')
	}
	for _, tail := range []string{goodLine, strings.Repeat("w", 9000)} {
		data := append(slices.Clip(b.Bytes()), tail...) // no final line end
		plain, gz := writePlainAndGzip(t, dir, data)
		if f := openMapped(plain); f == nil {
			t.Fatal("the plain file is not mapped")
		} else {
			f.close()
		}
		if openMapped(gz) != nil {
			t.Fatal("the gzip file is mapped")
		}
		for _, bs := range []int{1 << 10, 4 << 10, 64 << 10, 1 << 20} {
			for _, workers := range []int{1, 3} {
				name := fmt.Sprintf("tail %d bytes, block %d, %d workers", len(tail), bs, workers)
				run := func(src string) (lines []int64, counts [5]int64, rejects string) {
					var rej bytes.Buffer
					c := newRecorder()
					st, err := Run(context.Background(), Config{BlockSize: bs, Workers: workers, MaxLineSize: 4096, Rejects: &rej}, []string{src}, c)
					if err != nil {
						t.Fatalf("%s: %s: %v", name, src, err)
					}
					lines = slices.Sorted(slices.Values(c.committed[src]))
					counts = [5]int64{st.Lines.Load(), st.Rejected.Load(), st.Warnings.Load(), st.Bytes.Load(), st.Read.Load()}
					// Rejects come in the order workers meet them.
					entries := strings.Split("\n"+strings.TrimSuffix(strings.ReplaceAll(rej.String(), src+":", "OBJ:"), "\n"), "\nOBJ:")
					slices.Sort(entries)
					return lines, counts, strings.Join(entries, "\n--\n")
				}
				ml, mc, mr := run(plain)
				rl, rc, rr := run(gz)
				if len(ml) < 2500 || mc[1] < 30 {
					t.Fatalf("%s: %d records, %d rejects: the test data is not what it should be", name, len(ml), mc[1])
				}
				if !slices.Equal(ml, rl) {
					t.Errorf("%s: mapped gives %d records, read %d", name, len(ml), len(rl))
				}
				if mc != rc {
					t.Errorf("%s: mapped counts (lines, rejected, warnings, bytes, read) %v, read %v", name, mc, rc)
				}
				if mr != rr {
					t.Errorf("%s: rejects differ:\nmapped:\n%.2000s\nread:\n%.2000s", name, mr, rr)
				}
			}
		}
	}
}

// truncater is a Consumer whose first chunk of the object named victim
// (its chunk scanned at-th, when at > 1) truncates that file to to bytes,
// then goes on reading it.
type truncater struct {
	*recorder
	victim   string
	to       int64
	at       int
	relative bool // scanned before the lines are known (RelativeLines)
	mu       sync.Mutex
	calls    int // the victim's chunks whose scan started
}

func (c *truncater) RelativeLines() bool { return c.relative }

func (c *truncater) NewPart(w int, o *Object, whole bool) Part {
	p := c.recorder.NewPart(w, o, whole)
	if o.Name == c.victim {
		return &truncPart{Part: p, c: c}
	}
	return p
}

type truncPart struct {
	Part
	c *truncater
}

func (p *truncPart) Records(sc *parse.Scanner) error {
	p.c.mu.Lock()
	if p.c.calls++; p.c.calls == max(p.c.at, 1) {
		if err := os.Truncate(p.c.victim, p.c.to); err != nil {
			panic(err)
		}
	}
	p.c.mu.Unlock()
	return p.Part.Records(sc)
}

func (c *truncater) Commit(w int, p Part) error {
	if tp, ok := p.(*truncPart); ok {
		p = tp.Part
	}
	return c.recorder.Commit(w, p)
}

func (c *truncater) Drop(p Part) {
	if tp, ok := p.(*truncPart); ok {
		p = tp.Part
	}
	c.recorder.Drop(p)
}

// TestMappedTruncated: a mapped file that shrinks while it is read (its
// pages past the new end raise SIGBUS) fails the run with ErrFileChanged
// naming it, not a crash; with SkipFailed it is a failed object whose
// records are dropped, and the other files are read whole. Cut to half,
// the reader meets the fault ahead of the workers; cut to nothing, the
// worker scanning the first chunk meets it too.
func TestMappedTruncated(t *testing.T) {
	dir := t.TempDir()
	other := writeLog(t, dir, "other.log", 2000, nil)
	for _, c := range []struct {
		skip, relative bool
		to             int64
	}{{false, false, 7 << 20}, {true, false, 7 << 20}, {false, false, 0}, {true, false, 0}, {false, true, 7 << 20}, {true, true, 7 << 20}, {true, true, 0}} {
		skip := c.skip
		victim := writeLog(t, dir, "victim.log", 40000, nil) // ~14 MB
		c := &truncater{recorder: newRecorder(), victim: victim, to: c.to, relative: c.relative}
		cfg := Config{BlockSize: 64 << 10, Workers: 2, Concurrency: 1, SkipFailed: skip}
		st, err := Run(context.Background(), cfg, []string{victim, other}, c)
		if !skip {
			if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), victim) {
				t.Errorf("err = %v; want ErrFileChanged naming %s", err, victim)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SkipFailed: %v", err)
		}
		if f := st.FailedObjects(); len(f) != 1 || f[0].Name != victim || !errors.Is(f[0].Err, ErrFileChanged) {
			t.Errorf("failed objects %+v; want %s with ErrFileChanged", f, victim)
		}
		if n := len(c.committed[victim]); n != 0 {
			t.Errorf("%d records of the truncated file committed", n)
		}
		if n := len(c.committed[other]); n != 2000 {
			t.Errorf("%d records of the other file, want 2000", n)
		}
		if st.Read.Load() != 1 {
			t.Errorf("%d objects read, want 1", st.Read.Load())
		}
	}
}

// rssPart records the largest RssFile seen at the start of a chunk.
type rssPart struct {
	mu   *sync.Mutex
	peak *int64
}

func (p rssPart) Records(sc *parse.Scanner) error {
	r := memstat.ProcStatus("/proc/self/status", "RssFile")
	p.mu.Lock()
	*p.peak = max(*p.peak, r)
	p.mu.Unlock()
	for sc.Scan() {
	}
	return nil
}

func (rssPart) EndChunk(int64, int64, int) error { return nil }

type rssConsumer struct{ p rssPart }

func (c rssConsumer) NewPart(int, *Object, bool) Part { return c.p }
func (rssConsumer) Commit(int, Part) error            { return nil }
func (rssConsumer) Drop(Part)                         {}

// TestMappedMemoryBound: the pages of a mapped file leave the resident set
// as its chunks are done, so reading a file much larger than the block
// buffers keeps the resident file-backed memory near what the buffers
// would hold.
func TestMappedMemoryBound(t *testing.T) {
	if memstat.ProcStatus("/proc/self/status", "RssFile") == 0 {
		t.Skip("no RssFile in /proc/self/status")
	}
	const size = 96 << 20
	p := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// In 1 MiB writes, as a log shipper appends: the page cache then holds
	// the file in large folios, which a whole-file mapping with
	// MADV_DONTNEED behind the chunks does not keep bounded.
	for b := gen.Block(3, size); len(b) > 0; b = b[min(len(b), 1<<20):] {
		if _, err := f.Write(b[:min(len(b), 1<<20)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var peak int64
	base := memstat.ProcStatus("/proc/self/status", "RssFile")
	// 8 blocks of 256 KiB in flight: 2 MiB.
	st, err := Run(context.Background(), Config{BlockSize: 256 << 10, Workers: 2, Concurrency: 4}, []string{p}, rssConsumer{rssPart{&mu, &peak}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes.Load() < size*9/10 {
		t.Fatalf("read %d bytes of %d", st.Bytes.Load(), size)
	}
	grew := peak - base
	t.Logf("RssFile: %d MiB before, peak %d MiB while reading %d MiB", base>>20, peak>>20, size>>20)
	if grew > 24<<20 {
		t.Errorf("resident file-backed memory grew by %d MiB while reading a %d MiB file with 2 MiB of blocks", grew>>20, size>>20)
	}
}

// TestMappedTruncatedHeldRejects: a mapped file that shrinks while a
// chunk scanned before its lines are known (RelativeLines) is read, after
// that chunk held some rejects (numbered in the chunk), is a failed object
// with SkipFailed; its held rejects are not left with the worker, to be
// written with the next chunk's (another object's) line numbers. Every
// line the rejects file names is a rejected line of the original file.
func TestMappedTruncatedHeldRejects(t *testing.T) {
	dir := t.TempDir()
	other := writeLog(t, dir, "other.log", 3000, nil)
	const bs = 64 << 10
	// Good lines to 4 KiB before the first block's end, then 13 KB of
	// malformed lines across it, then good lines.
	good := (bs - 4<<10) / (len(goodLine) + 1)
	extra := map[int]string{}
	for i := good + 1; i <= good+1000; i++ {
		extra[i] = fmt.Sprintf("garbage %d", i)
	}
	for range 5 {
		victim := writeLog(t, dir, "victim.log", 4000, extra)
		c := &truncater{recorder: newRecorder(), victim: victim, to: bs + 16<<10, at: 2, relative: true}
		var rej bytes.Buffer
		cfg := Config{BlockSize: bs, Workers: 1, Concurrency: 1, SkipFailed: true, Rejects: &rej}
		st, err := Run(context.Background(), cfg, []string{victim, other}, c)
		if err != nil {
			t.Fatalf("SkipFailed: %v", err)
		}
		if f := st.FailedObjects(); len(f) != 1 || f[0].Name != victim {
			t.Fatalf("failed objects %+v; want %s", f, victim)
		}
		ls := strings.Split(strings.TrimSuffix(rej.String(), "\n"), "\n")
		for i := 0; i+1 < len(ls); i += 2 {
			var line int
			head := strings.TrimPrefix(ls[i], victim+":")
			if _, err := fmt.Sscanf(head, "%d:", &line); err != nil {
				t.Fatalf("rejects file: %q", ls[i])
			}
			if want := fmt.Sprintf("garbage %d", line); ls[i+1] != want {
				t.Errorf("rejects file names line %d for %q", line, ls[i+1])
			}
		}
	}
}

// TestMappedTruncatedStrict: under --strict, a malformed line in a chunk
// scanned first (RelativeLines) ends the run with its parse error, naming
// the line, even when the file shrinks under the rest of that chunk: the
// stopped scan does not read past the reject to count lines the run will
// not use (that read faulted, and the error was kept by the worker for
// its next chunk, another object's, or lost).
func TestMappedTruncatedStrict(t *testing.T) {
	dir := t.TempDir()
	other := writeLog(t, dir, "other.log", 3000, nil)
	const bs = 64 << 10
	// The first malformed line early in the second block, which is cut
	// short by the truncation 16 KiB into it.
	at := (bs+4<<10)/(len(goodLine)+1) + 1
	for range 5 {
		victim := writeLog(t, dir, "victim.log", 4000, map[int]string{at: "garbage"})
		c := &truncater{recorder: newRecorder(), victim: victim, to: bs + 16<<10, at: 2, relative: true}
		cfg := Config{BlockSize: bs, Workers: 1, Concurrency: 1, SkipFailed: true, Strict: true}
		_, err := Run(context.Background(), cfg, []string{victim, other}, c)
		var pe *parse.ParseError
		if !errors.As(err, &pe) || pe.Object != victim || pe.Line != int64(at) {
			t.Fatalf("strict: %v; want the parse error of %s line %d", err, victim, at)
		}
	}
}
