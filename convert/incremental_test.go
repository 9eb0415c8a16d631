package convert

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// listCounter counts the ListObjectsV2 requests a server receives for one
// bucket.
func listCounter(bucket string, n *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" && strings.HasPrefix(r.URL.Path, "/"+bucket) {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
}

// putLogs writes the generated objects of cfg under s3://bucket/ and adds
// their records to want by "key:line".
func putLogs(t *testing.T, aws awsconf.Options, bucket string, cfg gen.Config, want map[string]int) {
	t.Helper()
	ctx := context.Background()
	up, err := pipeline.NewUploader(ctx, aws, "s3://"+bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(ctx, cfg, up.Put); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		for i := range o.Records {
			want[fmt.Sprintf("%s:%d", o.Key, i+1)] = 1
		}
	}
}

// TestIncrementalListing: a re-run with nothing new sends at most two
// LIST requests to the source bucket however many objects were converted
// (it lists from the newest key time converted, less the lateness: one
// page to see the key layout, then the keys after the floor, a page that
// also shows nothing follows them), reads no object, and a re-run after
// new objects arrived reads only those.
func TestIncrementalListing(t *testing.T) {
	var lists atomic.Int64
	aws := awsconf.Options{Endpoint: s3test.Server(t, listCounter("src", &lists))}
	want := map[string]int{}
	// Logs up to now, as a re-run sees them: listing goes to tomorrow.
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(-62 * 24 * time.Hour)
	putLogs(t, aws, "src", gen.Config{Seed: 1, Objects: 2500, LinesPerObject: 2, Start: start, Span: 60 * 24 * time.Hour, Prefix: "logs/", TrapRate: -1}, want)
	ctx := context.Background()
	d, _ := sink.NewLocalDestination(t.TempDir())
	pcfg := pipeline.Config{Workers: 2, AWS: aws}
	run := func() *Result {
		t.Helper()
		lists.Store(0)
		res, err := Convert(ctx, d, Options{}, pcfg, []string{"s3://src/logs/"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run()
	if r := res.Stats.Read.Load(); r != 2500 {
		t.Fatalf("first run read %d objects, want 2500", r)
	}
	t.Logf("first run: %d LIST requests", lists.Load())
	if lists.Load() < 3 {
		t.Fatalf("the first run sent %d LIST requests: the test needs more than a page of keys", lists.Load())
	}
	res = run()
	if n, r := lists.Load(), res.Stats.Read.Load(); n > 2 || r != 0 {
		t.Errorf("re-run with nothing new: %d LIST requests, %d objects read; want at most 2 and none", n, r)
	}
	// New objects, delivered after the newest converted one (a day after
	// the records' span, as gen delivers up to a day late).
	putLogs(t, aws, "src", gen.Config{Seed: 2, Objects: 7, LinesPerObject: 3, Start: start.Add(61 * 24 * time.Hour), Span: time.Hour, Prefix: "logs/", TrapRate: -1}, want)
	res = run()
	if n, r := lists.Load(), res.Stats.Read.Load(); n > 2 || r != 7 {
		t.Errorf("re-run with 7 new objects: %d LIST requests, %d objects read; want at most 2 and 7 (%s)", n, r, res.Stats.Summary())
	}
	_, rows, _ := outputState(t, d)
	if len(rows) != len(want) {
		t.Errorf("%d records in the output, want %d", len(rows), len(want))
	}
	for k, n := range rows {
		if n != 1 || want[k] != 1 {
			t.Fatalf("%s: %d rows (generated: %d)", k, n, want[k])
		}
	}
	// The manifest stays small: the objects below the floor are compacted
	// away, and the checkpoint names only the last day's.
	m, err := ReadManifest(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.st.complete); n > 200 {
		t.Errorf("the manifest names %d complete objects of 2507; want only those above the floor", n)
	}
}
