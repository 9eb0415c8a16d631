package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunLocalBlocks checks that every line of every file reaches the
// workers exactly once with its right line number, for block sizes that
// cut lines anywhere, plain and gzipped, and that ObjectDone fires once per
// object after its last chunk.
func TestRunLocalBlocks(t *testing.T) {
	dir := t.TempDir()
	want := map[string]bool{}
	for f := range 5 {
		var b bytes.Buffer
		for l := 1; l <= 200+f*37; l++ {
			fmt.Fprintf(&b, "file%d line %d %s\n", f, l, strings.Repeat("x", (l*7)%90))
			want[fmt.Sprintf("f%d:%d:file%d line %d", f, l, f, l)] = true
		}
		name := filepath.Join(dir, "sub", fmt.Sprintf("f%d", f))
		os.MkdirAll(filepath.Dir(name), 0o755)
		data := b.Bytes()
		if f%2 == 1 {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
			name += ".gz"
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, bs := range []int{64, 100, 1000, 1 << 20} {
		var mu sync.Mutex
		got := map[string]int{}
		done := map[string]int{}
		cfg := Config{BlockSize: bs, Workers: 3, Concurrency: 2}
		objectDone := func(o *Object) {
			mu.Lock()
			done[o.Name]++
			mu.Unlock()
		}
		stats, err := runRawDone(context.Background(), cfg, []string{dir}, func(w int, c *Chunk) error {
			lines := strings.Split(strings.TrimSuffix(string(c.Data), "\n"), "\n")
			f := strings.TrimSuffix(filepath.Base(c.Object.Name), ".gz")
			mu.Lock()
			defer mu.Unlock()
			for i, l := range lines {
				fields := strings.Fields(l)
				got[fmt.Sprintf("%s:%d:%s %s %s", f, c.FirstLine+int64(i), fields[0], fields[1], fields[2])]++
				if done[c.Object.Name] > 0 {
					t.Errorf("chunk of %s after ObjectDone", c.Object.Name)
				}
			}
			return nil
		}, objectDone)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("block %d: got %d distinct lines, want %d", bs, len(got), len(want))
		}
		for k, n := range got {
			if !want[k] || n != 1 {
				t.Fatalf("block %d: line %q seen %d times (wanted: %v)", bs, k, n, want[k])
			}
		}
		if len(done) != 5 {
			t.Fatalf("block %d: read %d objects, done %v", bs, stats.Read.Load(), done)
		}
		for k, n := range done {
			if n != 1 {
				t.Fatalf("ObjectDone(%s) called %d times", k, n)
			}
		}
	}
}

func TestParseKey(t *testing.T) {
	ts := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	f := func(key string, layout Layout, tm string, eventDay bool, prefix string) {
		t.Helper()
		k, ok := ParseKey(key)
		if layout == LayoutUnknown {
			if ok {
				t.Errorf("ParseKey(%q) = %+v, want no match", key, k)
			}
			return
		}
		if !ok || k.Layout != layout || !k.Time.Equal(ts(tm)) || k.EventDay != eventDay || k.Prefix != prefix {
			t.Errorf("ParseKey(%q) = %+v %v", key, k, ok)
		}
	}
	f("logs/2024-03-01-13-05-59-0123456789ABCDEF", LayoutSimple, "2024-03-01T13:05:59Z", false, "logs/")
	f("2019-02-06-00-00-38-AAAAAAAAAAAAAAAA", LayoutSimple, "2019-02-06T00:00:38Z", false, "")
	f("mylogs2019-02-06-00-00-38-AAAAAAAAAAAAAAAA", LayoutSimple, "2019-02-06T00:00:38Z", false, "mylogs")
	f("logs/123456789012/us-east-1/src/2024/03/01/2024-03-01-00-00-00-0123456789ABCDEF", LayoutPartitioned, "2024-03-01T00:00:00Z", true, "logs/123456789012/us-east-1/src/")
	f("123456789012/eu-west-1/b/2024/03/01/2024-03-01-17-20-00-0123456789ABCDEF", LayoutPartitioned, "2024-03-01T17:20:00Z", false, "123456789012/eu-west-1/b/")
	// Date directories that do not match the file's date: simple.
	f("x/123456789012/eu-west-1/b/2024/03/02/2024-03-01-17-20-00-0123456789ABCDEF", LayoutSimple, "2024-03-01T17:20:00Z", false, "x/123456789012/eu-west-1/b/2024/03/02/")
	f("logs/access.log", LayoutUnknown, "", false, "")
	f("logs/2024-13-01-00-00-00-X", LayoutUnknown, "", false, "")
	f("logs/2024-03-01-00-00-00-", LayoutUnknown, "", false, "")
}

func TestWindowSkip(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse("2006-01-02T15", s); return v }
	w := Window{From: day("2024-03-05T12"), To: day("2024-03-06T12")}
	f := func(k KeyInfo, want bool) {
		t.Helper()
		if got := w.Skip(k, 24*time.Hour); got != want {
			t.Errorf("Skip(%+v) = %v, want %v", k, got, want)
		}
	}
	f(KeyInfo{}, false)
	f(KeyInfo{Layout: LayoutSimple, Time: day("2024-03-05T11")}, true)
	f(KeyInfo{Layout: LayoutSimple, Time: day("2024-03-05T13")}, false)
	f(KeyInfo{Layout: LayoutSimple, Time: day("2024-03-07T11")}, false) // within lateness
	f(KeyInfo{Layout: LayoutSimple, Time: day("2024-03-07T13")}, true)
	f(KeyInfo{Layout: LayoutPartitioned, EventDay: true, Time: day("2024-03-05T00")}, false) // day overlaps from
	f(KeyInfo{Layout: LayoutPartitioned, EventDay: true, Time: day("2024-03-04T00")}, true)
	f(KeyInfo{Layout: LayoutPartitioned, EventDay: true, Time: day("2024-03-06T00")}, false)
	f(KeyInfo{Layout: LayoutPartitioned, EventDay: true, Time: day("2024-03-07T00")}, true)
}

func TestShardOfCovers(t *testing.T) {
	var names []string
	for i := range 1000 {
		names = append(names, fmt.Sprintf("logs/2024-03-01-00-00-%02d-%016X", i%60, i))
	}
	counts := make([]int, 7)
	for _, n := range names {
		counts[ShardOf(n, 7)]++
	}
	sort.Ints(counts)
	if counts[0] < 100 {
		t.Errorf("uneven shards: %v", counts)
	}
}
