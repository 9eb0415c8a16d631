package pipeline

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/s3logs/s3logs/internal/awsconf"
)

// faultProxy sits in front of an S3 server and breaks a seeded random share
// of GET requests (listings and object reads): 503 SlowDown, 500, a reset
// connection, or a body cut short of its declared Content-Length. Keys in
// broken always fail with 500.
type faultProxy struct {
	next    http.Handler
	rate    float64
	on      atomic.Bool
	broken  map[string]bool
	mu      sync.Mutex
	rnd     *rand.Rand
	injects [4]atomic.Int64
}

func newFaultProxy(next http.Handler, seed uint64, rate float64) *faultProxy {
	return &faultProxy{next: next, rate: rate, rnd: rand.New(rand.NewPCG(seed, seed)), broken: map[string]bool{}}
}

const (
	faultSlowDown = iota
	fault500
	faultReset
	faultTruncate
)

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.on.Load() || r.Method != http.MethodGet {
		p.next.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	for k := range p.broken {
		if strings.HasSuffix(r.URL.Path, "/"+k) {
			p.mu.Unlock()
			writeS3Error(w, 500, "InternalError")
			return
		}
	}
	rate := p.rate
	fault := -1
	if p.rnd.Float64() < rate {
		fault = p.rnd.IntN(4)
	}
	p.mu.Unlock()
	if fault >= 0 {
		p.injects[fault].Add(1)
	}
	switch fault {
	case faultSlowDown:
		writeS3Error(w, 503, "SlowDown")
	case fault500:
		writeS3Error(w, 500, "InternalError")
	case faultReset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
	case faultTruncate:
		rec := httptest.NewRecorder()
		p.next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		// The server closes the connection after a short write.
		w.Write(body[:len(body)/2])
	default:
		p.next.ServeHTTP(w, r)
	}
}

func writeS3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>x</RequestId></Error>`, code)
}

// TestS3Faults checks that throttling, 5xx, resets and truncated bodies
// are retried to exactly the fault-free answer, for whole-object and
// streamed reads, and that an object that always fails fails the run with
// its key named, or is listed with SkipFailed.
func TestS3Faults(t *testing.T) {
	var proxy *faultProxy
	ep := fakeS3(t, func(h http.Handler) http.Handler {
		proxy = newFaultProxy(h, 42, 0.3)
		return proxy
	})
	var objs []testObject
	for i := range 300 {
		key := fmt.Sprintf("2024-02-01-%02d-%02d-00-%04X", i/60, i%60, i)
		if i%50 == 3 {
			key += ".gz"
		}
		objs = append(objs, makeObject(key, 1+i%40))
	}
	upload(t, ep, "s3://f/logs/", objs)
	wantAll := want("logs/", objs, nil)
	proxy.on.Store(true)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"whole", Config{Concurrency: 16}},
		{"streamed", Config{Concurrency: 16, MaxBuffered: 4 << 10, BlockSize: 1024}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.AWS = awsconf.Options{Endpoint: ep}
			c.cfg.MaxAttempts = 20
			c.cfg.RetryBase = 1e6 // 1 ms
			got, stats, err := collect(t, c.cfg, "s3://f/logs/")
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, c.name, got, wantAll)
			if stats.Retries.Load() == 0 {
				t.Error("no retries counted")
			}
		})
	}
	for i := range proxy.injects {
		if proxy.injects[i].Load() == 0 {
			t.Errorf("fault %d never injected", i)
		}
	}

	bad := objs[77].key
	proxy.mu.Lock()
	proxy.broken[bad] = true
	proxy.rate = 0
	proxy.mu.Unlock()
	cfg := Config{AWS: awsconf.Options{Endpoint: ep}, MaxAttempts: 3, RetryBase: 1e6}
	_, _, err := collect(t, cfg, "s3://f/logs/")
	if err == nil || !strings.Contains(err.Error(), "logs/"+bad) {
		t.Fatalf("broken object: err = %v, want one naming logs/%s", err, bad)
	}
	cfg.SkipFailed = true
	got, stats, err := collect(t, cfg, "s3://f/logs/")
	if err != nil {
		t.Fatal(err)
	}
	if f := stats.Failed(); len(f) != 1 || f[0] != "logs/"+bad {
		t.Errorf("Failed() = %v, want [logs/%s]", f, bad)
	}
	sameLines(t, "skip-failed", got, want("logs/", objs, func(o testObject) bool { return o.key != bad }))
}
