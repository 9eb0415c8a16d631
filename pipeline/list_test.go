package pipeline

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
)

// layoutObjects returns test log objects of one layout over six days from
// 2024-03-01, a few thousand, and a few names that fit no layout.
func layoutObjects(layout Layout) []testObject {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var objs []testObject
	switch layout {
	case LayoutSimple:
		for i := range 6000 {
			kt := t0.Add(time.Duration(i) * 86 * time.Second)
			objs = append(objs, makeObject(kt.Format(keyStamp)+fmt.Sprintf("-%016X", i), 1))
		}
	case LayoutPartitioned:
		// Bucket a with EventTime dates (every key of a day at
		// 00-00-00), bucket b with DeliveryTime ones.
		for i := range 3000 {
			d := t0.AddDate(0, 0, i%6)
			objs = append(objs, makeObject("111122223333/us-east-1/a/"+d.Format("2006/01/02/")+d.Format(keyStamp)+fmt.Sprintf("-%016X", i), 1))
			kt := t0.Add(time.Duration(i) * 172 * time.Second)
			objs = append(objs, makeObject("111122223333/eu-west-1/b/"+kt.Format("2006/01/02/")+kt.Format(keyStamp)+fmt.Sprintf("-%016X", i), 1))
		}
	}
	return append(objs, makeObject("README", 1), makeObject("notes/todo", 2))
}

// TestListScaleOut lists a few thousand objects of each layout, behind a
// proxy that counts requests and holds each LIST for 10 ms, with pages of
// 100 keys (so the counts are those of a hundred thousand objects in
// S3's pages of 1000): an unbounded run keeps several LIST requests in
// flight and reads every object once; four shards together read every
// object exactly once, each a part, and send at most 1.5 times the LIST
// requests of one run; the same holds in a bounded window.
func TestListScaleOut(t *testing.T) {
	counter := (*s3test.Counter)(nil)
	ep := s3test.Endpoint(t, func(h http.Handler) http.Handler {
		counter = s3test.NewCounter(h)
		counter.ListLatency = 10 * time.Millisecond
		return counter
	})
	bucket := fmt.Sprintf("s3logs-list-%d", time.Now().UnixNano())
	for _, layout := range []Layout{LayoutSimple, LayoutPartitioned} {
		t.Run(layout.String(), func(t *testing.T) {
			objs := layoutObjects(layout)
			prefix := layout.String() + "/"
			upload(t, ep, "s3://"+bucket+"/"+prefix, objs)
			src := "s3://" + bucket + "/" + prefix
			base := Config{AWS: awsconf.Options{Endpoint: ep}, ListConcurrency: 8, pageKeys: 100}

			for _, c := range []struct {
				name string
				w    Window
			}{
				{"unbounded", Window{}},
				{"window", Window{From: time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)}},
			} {
				t.Run(c.name, func(t *testing.T) {
					cfg := base
					cfg.Window, cfg.Lateness = c.w, time.Hour
					keep := func(o testObject) bool {
						k, ok := ParseKey(o.key)
						return !ok || !c.w.Skip(k, time.Hour)
					}
					wantLines := want(prefix, objs, keep)
					counter.Reset()
					got, stats, err := collect(t, cfg, src)
					if err != nil {
						t.Fatal(err)
					}
					sameLines(t, "one run", got, wantLines)
					one := counter.Counts()
					if c.w.Bounded() {
						if one.PeakLists < 2 {
							t.Errorf("at most %d LIST request in flight", one.PeakLists)
						}
					} else if one.PeakLists < 3 {
						t.Errorf("at most %d LIST requests in flight, want several", one.PeakLists)
					}
					readOnce(t, "one run", one, bucket, prefix, objs, keep)
					t.Logf("one run: %d LIST (at most %d at once), %d GET; %d listed, %d read", one.Lists, one.PeakLists, one.Gets, stats.Listed.Load(), stats.Read.Load())

					var all []string
					var lists int
					sum := s3test.Counts{GetsByPath: map[string]int{}}
					for i := range 4 {
						counter.Reset()
						cfg.Shard, cfg.Shards = i, 4
						got, stats, err := collect(t, cfg, src)
						if err != nil {
							t.Fatal(err)
						}
						n := counter.Counts()
						t.Logf("shard %d/4: %d LIST, %d GET; %d listed, %d read", i, n.Lists, n.Gets, stats.Listed.Load(), stats.Read.Load())
						if stats.Read.Load() == 0 {
							t.Errorf("shard %d/4 read nothing", i)
						}
						lists += n.Lists
						for k, v := range n.GetsByPath {
							sum.GetsByPath[k] += v
						}
						all = append(all, got...)
					}
					sort.Strings(all)
					sameLines(t, "4 shards", all, wantLines)
					readOnce(t, "4 shards", sum, bucket, prefix, objs, keep)
					t.Logf("4 shards: %d LIST, one run %d (%.2fx)", lists, one.Lists, float64(lists)/float64(one.Lists))
					if float64(lists) > 1.5*float64(one.Lists) {
						t.Errorf("4 shards sent %d LIST requests, one run %d: more than 1.5x", lists, one.Lists)
					}
				})
			}
		})
	}
}

// readOnce checks that the objects keep selects were each read exactly
// once and no other object was read.
func readOnce(t *testing.T, what string, n s3test.Counts, bucket, prefix string, objs []testObject, keep func(testObject) bool) {
	t.Helper()
	wantPaths := map[string]bool{}
	for _, o := range objs {
		if keep(o) {
			wantPaths["/"+bucket+"/"+prefix+o.key] = true
		}
	}
	var bad []string
	for p := range wantPaths {
		if g := n.GetsByPath[p]; g != 1 {
			bad = append(bad, fmt.Sprintf("%s read %d times", p, g))
		}
	}
	for p, g := range n.GetsByPath {
		if !wantPaths[p] {
			bad = append(bad, fmt.Sprintf("%s read %d times, want none", p, g))
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("%s: %d objects read wrongly, e.g. %s", what, len(bad), strings.Join(bad[:min(5, len(bad))], "; "))
	}
}

// TestListBoundaries lists names that sit on and around the boundary
// strings the listing cuts at, names that fit no layout before, inside and
// after the time-ordered keys, and layouts in subdirectories, with pages
// of 7 keys so that ranges are cut and continued: one run and three
// shards, with and without a window, each read every name they must
// exactly once.
func TestListBoundaries(t *testing.T) {
	ep := fakeS3(t, nil)
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var objs []testObject
	for i := range 300 {
		kt := t0.Add(time.Duration(i) * 17 * time.Minute)
		objs = append(objs, makeObject(kt.Format(keyStamp)+fmt.Sprintf("-%04X", i), 1))
		if i%50 == 0 {
			objs = append(objs, makeObject(kt.Format(keyStamp)+fmt.Sprintf("-%04X.gz", i), 1))
		}
	}
	for _, k := range []string{
		"-early", ".hidden", "0notes", "2024-03-02", "2024-03-02-00", "2024-03-02-00/x", "2024-03-02-0", "2024-03-02-01",
		"2024-13-45-00-00-00-BAD", "9zzz", ":colon", "README", "zz/last",
		"sub/2024-03-01-05-00-00-AAAA", "sub/2024-03-03-05-00-00-BBBB",
		"parts/111122223333/us-east-1/b/2024/03/02/2024-03-02-00-00-00-CCCC",
		"parts/111122223333/us-east-1/b/2024/03/02x", "parts/111122223333/us-east-1/b/junk",
		"parts/111122223333/us-east-1/b/2024/03/04/2024-03-04-00-00-00-DDDD",
	} {
		objs = append(objs, makeObject(k, 1))
	}
	upload(t, ep, "s3://edge/logs/", objs)
	for _, w := range []Window{{}, {From: time.Date(2024, 3, 2, 3, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 3, 12, 0, 0, 0, time.UTC)}} {
		cfg := Config{AWS: awsconf.Options{Endpoint: ep}, Window: w, Lateness: time.Hour, ListConcurrency: 4, pageKeys: 7}
		whole, _, err := collect(t, cfg, "s3://edge/logs/")
		if err != nil {
			t.Fatal(err)
		}
		keep := func(o testObject) bool { return true }
		if w.Bounded() {
			// Log keys by the window; names that fit no layout are read,
			// but for those in the time-ordered ranges outside the window
			// and those outside a partitioned bucket's days (S3 writes
			// none there).
			skipped := map[string]bool{"0notes": true, "2024-03-02": true, "2024-03-02-00": true, "2024-03-02-00/x": true,
				"2024-03-02-0": true, "2024-03-02-01": true, "2024-13-45-00-00-00-BAD": true, "9zzz": true,
				"parts/111122223333/us-east-1/b/junk": true}
			keep = func(o testObject) bool {
				if k, ok := ObjectKey(o.key); ok {
					return !w.Skip(k, time.Hour)
				}
				return !skipped[o.key]
			}
		}
		sameLines(t, fmt.Sprintf("one run, window %v", w), whole, want("logs/", objs, keep))
		var all []string
		for i := range 3 {
			cfg.Shard, cfg.Shards = i, 3
			got, _, err := collect(t, cfg, "s3://edge/logs/")
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, got...)
		}
		sort.Strings(all)
		sameLines(t, fmt.Sprintf("3 shards, window %v", w), all, whole)
	}
}
