package pipeline

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
)

// TestS3Objects lists and reads by range through the real SDK against the
// in-process S3 server, with no more requests in flight than Concurrency.
func TestS3Objects(t *testing.T) {
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	var ranges []string
	endpoint := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if rg := r.Header.Get("Range"); rg != "" {
				mu.Lock()
				ranges = append(ranges, rg)
				mu.Unlock()
				// Held, so that reads beyond the bound would overlap.
				time.Sleep(5 * time.Millisecond)
			}
			// The request leaves the count before any of its response is
			// sent: counted after the handler returned, a response the
			// client had read whole could free its slot for the next
			// request before the decrement, and three would show.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			inFlight.Add(-1)
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	upload(t, endpoint, "s3://lake/out/", []testObject{{key: "dt=2024-03-01/a.parquet", lines: []string{string(data[:len(data)-1])}},
		{key: "dt=2024-03-02/b.parquet", lines: []string{"b"}}, {key: "_manifest/x.json", lines: []string{"{}"}}})
	// The uploads above run concurrently and are not the code under test.
	most.Store(0)
	ctx := context.Background()
	stats := &Stats{}
	o, err := OpenS3Objects(ctx, Config{Concurrency: 2, AWS: awsconf.Options{Endpoint: endpoint}}, "s3://lake/out/", stats)
	if err != nil {
		t.Fatal(err)
	}
	if o.Bucket() != "lake" || o.Prefix() != "out/" {
		t.Errorf("bucket %q prefix %q", o.Bucket(), o.Prefix())
	}
	var keys []string
	err = o.List(ctx, "out/", func(key string, size int64) (bool, error) {
		keys = append(keys, key)
		if key == "out/dt=2024-03-01/a.parquet" && size != int64(len(data)) {
			t.Errorf("size of %s: %d, want %d", key, size, len(data))
		}
		return true, nil
	})
	if err != nil || len(keys) != 3 || keys[0] != "out/_manifest/x.json" {
		t.Fatalf("List: %v %q", err, keys)
	}
	keys = keys[:0]
	o.List(ctx, "out/", func(key string, size int64) (bool, error) { keys = append(keys, key); return false, nil })
	if len(keys) != 1 {
		t.Errorf("List went on after fn returned false: %q", keys)
	}

	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 7)
			off := int64(i * 13)
			if errs[i] = o.ReadAt(ctx, "out/dt=2024-03-01/a.parquet", p, off); errs[i] == nil && !bytes.Equal(p, data[off:off+7]) {
				errs[i] = errors.New("wrong bytes " + string(p))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d requests in flight, want Concurrency's 2", m)
	}
	mu.Lock()
	if len(ranges) != 20 || ranges[0][:6] != "bytes=" {
		t.Errorf("ranged GETs: %q", ranges)
	}
	mu.Unlock()
	if n := stats.Requests.Load(); n != 22 {
		t.Errorf("%d requests counted, want 2 LISTs and 20 GETs", n)
	}
	err = o.ReadAt(ctx, "out/dt=2024-03-01/a.parquet", make([]byte, 10), int64(len(data)-5))
	if !errors.Is(err, ErrPastEnd) || stats.Retries.Load() != 0 {
		t.Errorf("reading past the end: %v", err)
	}
}
