package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/s3logs/s3logs/gen"
)

// badFile builds a log file from valid records and damaged lines, and
// remembers which line numbers are which, so expected answers are known
// without running the code under test.
type badFile struct {
	buf     bytes.Buffer
	line    int
	valid   int
	rejects []int // line numbers that must be rejected
	recs    []gen.Record
	next    int
}

func newBadFile(t *testing.T) *badFile {
	objs, err := gen.All(gen.Config{Seed: 77, Objects: 1, LinesPerObject: 40})
	if err != nil {
		t.Fatal(err)
	}
	return &badFile{recs: objs[0].Records}
}

// rec appends n valid records, after editing each with mod (if not nil).
func (b *badFile) rec(n int, mod func(*gen.Record)) *badFile {
	for range n {
		r := b.recs[b.next%len(b.recs)]
		b.next++
		if mod != nil {
			mod(&r)
		}
		b.buf.Write(r.AppendLine(nil))
		b.buf.WriteByte('\n')
		b.line++
		b.valid++
	}
	return b
}

// bad appends one line that must be rejected (without its newline when
// last is true).
func (b *badFile) bad(line []byte, last bool) *badFile {
	b.buf.Write(line)
	if !last {
		b.buf.WriteByte('\n')
	}
	b.line++
	b.rejects = append(b.rejects, b.line)
	return b
}

// garbage returns n deterministic random bytes without a newline.
func garbage(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]byte, n)
	for i := range out {
		c := byte(r.UintN(256))
		if c == '\n' {
			c = 0xfe
		}
		out[i] = c
	}
	return out
}

// rejectLocations reads a --rejects file: each reject is its
// "object:line:column: field: reason" line followed by the raw line.
// It returns "object:line" of each, and the error lines.
func rejectLocations(t *testing.T, path, object string) (locs []string, msgs []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		msg := lines[i]
		rest, ok := strings.CutPrefix(msg, object+":")
		if !ok {
			t.Fatalf("reject %q does not start with %s:", msg, object)
		}
		n, _, _ := strings.Cut(rest, ":")
		locs = append(locs, object+":"+n)
		msgs = append(msgs, msg)
	}
	return locs, msgs
}

func runCapture(stdin string, args ...string) (code int, stdout, stderr string) {
	return runQueryCmd(stdin, args...)
}

// assertClean checks that an error output is one line and holds no trace
// of a panic.
func assertClean(t *testing.T, what, stderr string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic", "runtime error", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("%s: stderr holds %q:\n%s", what, bad, stderr)
		}
	}
}

// TestBadBytes feeds damaged files to "s3logs query": each valid record is
// counted, each damaged line is counted as a reject and written to
// --rejects with its object:line, and nothing panics.
func TestBadBytes(t *testing.T) {
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), garbage(9, 3000)...)
	type tc struct {
		name string
		file *badFile
		// raw content instead of file, with rejects = its non-blank lines
		raw []byte
	}
	cases := []tc{
		{name: "binary", file: newBadFile(t).rec(3, nil).bad(garbage(1, 4096), false).rec(2, nil).bad(garbage(2, 100), true)},
		{name: "nul", file: newBadFile(t).rec(2, nil).bad(make([]byte, 300), false).rec(1, nil).bad([]byte("\x00\x00 \x00"), false).rec(1, nil)},
		{name: "utf8", file: newBadFile(t).rec(2, func(r *gen.Record) {
			// Bytes are bytes (FORMAT.md): invalid UTF-8 inside fields is data.
			r.UserAgent = "Mozilla\xff\xfe/5.0 \xc3("
			r.Key = "caf\xe9.jpg"
		}).bad([]byte("\xff\xfe\xfd\xfc \xc3\x28 \xa0\xa1"), false).rec(3, nil)},
		{name: "json", raw: []byte("{\"Records\": [\n  {\"eventName\": \"GetObject\", \"size\": 12}\n]}\n\n")},
		{name: "png", raw: png},
		{name: "empty", raw: []byte{}},
		{name: "blank", raw: []byte("\n\n  \r\n")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".log")
			var content []byte
			var valid int
			var rejLines []int
			if c.file != nil {
				content, valid, rejLines = c.file.buf.Bytes(), c.file.valid, c.file.rejects
			} else {
				content = c.raw
				for i, l := range bytes.Split(c.raw, []byte("\n")) {
					if len(bytes.Trim(l, " \r\t")) > 0 {
						rejLines = append(rejLines, i+1)
					}
				}
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			rej := filepath.Join(dir, c.name+".rejects")
			code, out, stderr := runCapture("", "--workers", "2", "--rejects", rej, "SELECT count(*) AS n FROM t", path)
			assertClean(t, c.name, stderr)
			if code != 0 || out != "n\n"+strconv.Itoa(valid)+"\n" {
				t.Fatalf("exit %d, out %q, want n=%d; stderr %s", code, out, valid, stderr)
			}
			if !strings.Contains(stderr, fmt.Sprintf(", %d rejected,", len(rejLines))) {
				t.Errorf("summary %q does not report %d rejected", stderr, len(rejLines))
			}
			locs, _ := rejectLocations(t, rej, path)
			var want []string
			for _, l := range rejLines {
				want = append(want, fmt.Sprintf("%s:%d", path, l))
			}
			if strings.Join(locs, " ") != strings.Join(want, " ") {
				t.Errorf("rejects at %v, want %v", locs, want)
			}
			if len(rejLines) == 0 {
				return
			}
			// --strict stops at the first reject, naming it.
			code, out, stderr = runCapture("", "--workers", "1", "--strict", "SELECT count(*) AS n FROM t", path)
			assertClean(t, c.name+" --strict", stderr)
			if code != 1 || !strings.Contains(stderr, want[0]+":") || strings.Contains(out, "\n0\n") || strings.Count(out, "\n") > 1 {
				t.Errorf("--strict: exit %d, out %q, stderr %q; want exit 1 naming %s and no count", code, out, stderr, want[0])
			}
		})
	}
}

// writeLongLine writes n bytes of 'a' to f in 1 MiB pieces, so the test
// itself never holds the long line.
func writeLongLine(t *testing.T, f *os.File, n int) {
	piece := bytes.Repeat([]byte("a"), 1<<20)
	for n > 0 {
		k := min(n, len(piece))
		if _, err := f.Write(piece[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
}

// TestHugeLine: a 50 MB line (in the middle of a file, and at its end
// without a newline) is one reject naming the line cap; the valid lines
// around it are counted; the run never holds the line in memory.
func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB of test files")
	}
	const huge = 50 << 20
	dir := t.TempDir()
	fx := newBadFile(t)
	line := func(r gen.Record) string { return string(r.AppendLine(nil)) + "\n" }
	for _, c := range []struct {
		name     string
		before   int  // valid lines before the long line
		after    int  // valid lines after it
		trailing bool // long line ends the file without newline
	}{
		{"middle", 3, 4, false},
		{"end", 5, 0, true},
	} {
		path := filepath.Join(dir, c.name+".log")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.before {
			f.WriteString(line(fx.recs[i]))
		}
		writeLongLine(t, f, huge)
		if !c.trailing {
			f.WriteString("\n")
		}
		for i := range c.after {
			f.WriteString(line(fx.recs[10+i]))
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		rej := filepath.Join(dir, c.name+".rejects")
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		code, out, stderr := runCapture("", "--workers", "2", "--rejects", rej, "SELECT count(*) AS n FROM t", path)
		runtime.ReadMemStats(&m1)
		assertClean(t, c.name, stderr)
		if want := c.before + c.after; code != 0 || out != "n\n"+strconv.Itoa(want)+"\n" {
			t.Errorf("%s: exit %d, out %q, want n=%d; %s", c.name, code, out, want, stderr)
		}
		if !strings.Contains(stderr, ", 1 rejected,") {
			t.Errorf("%s: summary %q, want 1 rejected", c.name, stderr)
		}
		locs, msgs := rejectLocations(t, rej, path)
		wantLoc := fmt.Sprintf("%s:%d", path, c.before+1)
		if len(locs) != 1 || locs[0] != wantLoc || !strings.Contains(msgs[0], "longer than 1048576 bytes") {
			t.Errorf("%s: rejects %v %q, want one at %s naming the 1048576-byte line cap", c.name, locs, msgs, wantLoc)
		}
		// Bounded memory: far less was allocated than the line's size (a
		// reader that buffered the line would allocate at least 50 MB).
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > huge/2 {
			t.Errorf("%s: the run allocated %d MB for a %d MB line", c.name, alloc>>20, huge>>20)
		}
		// --strict stops at the over-long line too.
		code, out, stderr = runCapture("", "--workers", "1", "--strict", "SELECT count(*) AS n FROM t", path)
		if code != 1 || !strings.Contains(stderr, wantLoc+":") || !strings.Contains(stderr, "longer than 1048576 bytes") || out != "n\n" && out != "" {
			t.Errorf("%s --strict: exit %d, out %q, stderr %q; want exit 1 naming %s and the line cap", c.name, code, out, stderr, wantLoc)
		}
	}
}

// TestTruncatedCompressed: a truncated or corrupt .gz/.zst object is a
// failure of the run (exit 1, object named), never a silently smaller
// answer; --skip-failed turns it into a warning naming the object.
func TestTruncatedCompressed(t *testing.T) {
	dir := t.TempDir()
	fx := newBadFile(t).rec(40, nil)
	plain := fx.buf.Bytes()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	var zs bytes.Buffer
	ze, _ := zstd.NewWriter(&zs)
	ze.Write(plain)
	ze.Close()
	good := filepath.Join(dir, "good.log")
	os.WriteFile(good, plain, 0o644)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"truncated.gz", gz.Bytes()[:gz.Len()/2]},
		{"notrailer.gz", gz.Bytes()[:gz.Len()-4]},
		{"truncated.zst", zs.Bytes()[:zs.Len()/2]},
		{"notgzip.gz", plain[:200]},
		{"notzstd.zst", plain[:200]},
		{"empty.gz", nil},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCapture("", "--workers", "2", "SELECT count(*) AS n FROM t", good, path)
		assertClean(t, c.name, stderr)
		if code != 1 || !strings.Contains(stderr, path) || strings.Contains(out, "\n") && out != "n\n" {
			t.Errorf("%s: exit %d, out %q, stderr %q; want exit 1 naming the object and no answer", c.name, code, out, stderr)
		}
		code, out, stderr = runCapture("", "--workers", "2", "--skip-failed", "SELECT count(*) AS n FROM t", good, path)
		if code != 0 || out != "n\n"+strconv.Itoa(fx.valid)+"\n" || !strings.Contains(stderr, "1 objects failed") || !strings.Contains(stderr, "  "+path+": ") {
			t.Errorf("%s --skip-failed: exit %d, out %q, stderr %q; want the good file's %d and a warning naming the object", c.name, code, out, stderr, fx.valid)
		}
	}
}

// TestSourceKinds: a source named explicitly is read whether it is a
// symlink or a FIFO (bash's <(zcat ...)), not silently skipped; inside a
// walked directory only regular files are read.
func TestSourceKinds(t *testing.T) {
	dir := t.TempDir()
	fx := newBadFile(t).rec(7, nil)
	real := filepath.Join(dir, "real.log")
	if err := os.WriteFile(real, fx.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.log")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(fx.buf.Bytes())
			f.Close()
		}
	}()
	for _, src := range []string{link, fifo} {
		code, out, stderr := runCapture("", "SELECT count(*) AS n FROM t", src)
		if code != 0 || out != "n\n7\n" {
			t.Errorf("%s: exit %d, out %q, want n=7: %s", src, code, out, stderr)
		}
	}
}
