package pipeline

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
)

type connKey struct{}

// TestAttemptsSent: when the HTTP client itself sends a GET again (a
// reused connection closed before the answer), the error of an object that
// fails after its attempts says how many requests were sent, and that is
// what the server saw.
func TestAttemptsSent(t *testing.T) {
	s3test.Isolate(t, "test", "test")
	be := s3mem.New()
	be.CreateBucket("bkt")
	body := "x\n"
	be.PutObject("bkt", "logs/bad", map[string]string{}, strings.NewReader(body), int64(len(body)), nil)
	fake := gofakes3.New(be).Server()
	var seen atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/logs/bad") {
			fake.ServeHTTP(w, r)
			return
		}
		seen.Add(1)
		if n := r.Context().Value(connKey{}).(*atomic.Int64).Add(1); n > 1 {
			// A reused connection: close it without an answer, which
			// the HTTP client retries on its own.
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		writeS3Error(w, http.StatusServiceUnavailable, "SlowDown")
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, new(atomic.Int64))
	}
	srv.Start()
	defer srv.Close()
	cfg := Config{AWS: awsconf.Options{Endpoint: srv.URL}, Concurrency: 1, Workers: 1, MaxAttempts: 3, RetryBase: time.Millisecond}
	_, err := Run(context.Background(), cfg, []string{"s3://bkt/logs/"}, newRecorder())
	if err == nil {
		t.Fatal("an object that always fails did not fail the run")
	}
	m := regexp.MustCompile(`failed after 3 attempts \((\d+) requests sent\)`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error %q does not say how many requests were sent", err)
	}
	t.Logf("%v", err)
	if n, _ := strconv.Atoi(m[1]); int64(n) != seen.Load() || n <= 3 {
		t.Errorf("the error says %d requests, the server saw %d (for 3 attempts)", n, seen.Load())
	}
}
