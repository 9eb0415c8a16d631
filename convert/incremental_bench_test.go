package convert

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// BenchmarkIncrementalStart measures the start of an incremental re-run
// with nothing new, after a first run converted n log objects from an S3
// source (gofakes3 in process, simple key layout, 1000 objects a day, two
// records each): the time of the whole re-run, the peak heap above the
// heap before it, the LIST requests it sends to the source and the
// manifest bytes it reads. The sizes are 10,000 and 100,000 objects, or
// those of S3LOGS_BENCH_OBJECTS (comma-separated, e.g. 10000,1000000).
//
//	go test ./convert -run '^$' -bench IncrementalStart -benchtime 10x
func BenchmarkIncrementalStart(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if env := os.Getenv("S3LOGS_BENCH_OBJECTS"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("S3LOGS_BENCH_OBJECTS: bad size %q", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) { benchIncremental(b, n) })
	}
}

func benchIncremental(b *testing.B, n int) {
	s3test.Isolate(b, "test", "test")
	be := s3mem.New()
	if err := be.CreateBucket("src"); err != nil {
		b.Fatal(err)
	}
	// The keys end now, as a re-run sees them (listing goes to tomorrow).
	start := time.Now().UTC().Add(-time.Duration(n) * (24 * time.Hour / 1000))
	var body []byte
	for i := range n {
		t := start.Add(time.Duration(i) * (24 * time.Hour / 1000))
		key := fmt.Sprintf("logs/%s-%016X", t.Format("2006-01-02-15-04-05"), i)
		body = body[:0]
		for j := range 2 {
			body = fmt.Appendf(body, "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [%s] 192.0.2.3 - %016X%d REST.GET.OBJECT photos/puppy.jpg \"GET /photos/puppy.jpg HTTP/1.1\" 200 - 2662992 3462992 70 10 \"-\" \"curl/7.15.1\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -\n",
				t.Add(-time.Minute).Format("02/Jan/2006:15:04:05 -0700"), i, j)
		}
		if _, err := be.PutObject("src", key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
			b.Fatal(err)
		}
	}
	var lists, gets atomic.Int64
	h := gofakes3.New(be).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Query().Get("list-type") == "2" {
				lists.Add(1)
			} else {
				gets.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	pcfg := pipeline.Config{AWS: awsconf.Options{Endpoint: srv.URL}}
	d, err := sink.NewLocalDestination(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	res, err := Convert(ctx, d, Options{}, pcfg, []string{"s3://src/logs/"})
	if err != nil {
		b.Fatal(err)
	}
	if int(res.Stats.Read.Load()) != n {
		b.Fatalf("first run read %d objects, want %d", res.Stats.Read.Load(), n)
	}
	b.Logf("first run: %d objects, %d rows in %v, %d LIST requests", n, res.Rows, time.Since(t0).Round(time.Millisecond), lists.Load())
	m, err := ReadManifest(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	manifestBytes := m.st.ckptBytes + m.st.tailBytes

	var peak uint64
	var listed, got int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer() // the collection of the server's objects is not the run's
		runtime.GC()
		b.StartTimer()
		base := memstat.Heap()
		hp := memstat.Start()
		lists.Store(0)
		gets.Store(0)
		res, err := Convert(ctx, d, Options{}, pcfg, []string{"s3://src/logs/"})
		p := hp.Stop()
		if err != nil {
			b.Fatal(err)
		}
		if res.Stats.Read.Load() != 0 || res.Rows != 0 {
			b.Fatalf("re-run read %d objects, wrote %d rows", res.Stats.Read.Load(), res.Rows)
		}
		listed, got = lists.Load(), gets.Load()
		if p > base {
			peak = max(peak, p-base)
		}
	}
	b.ReportMetric(float64(listed), "LISTs/op")
	b.ReportMetric(float64(got), "GETs/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(manifestBytes)/1024, "manifest-KB")
}
