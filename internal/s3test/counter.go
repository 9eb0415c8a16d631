package s3test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Counter is an http.Handler in front of an S3 server that counts the
// requests passing through it by kind, the most LIST requests it saw in
// flight at once, and the GETs of each object; it can hold requests for a
// latency first. It is safe for concurrent use.
type Counter struct {
	next http.Handler
	// ListLatency and GetLatency, when set, hold each ListObjectsV2
	// request and each other GET before it is served.
	ListLatency, GetLatency time.Duration

	mu             sync.Mutex
	lists, gets    int
	others         int
	inFlight, peak int
	getsByKey      map[string]int
}

// NewCounter returns a Counter serving next.
func NewCounter(next http.Handler) *Counter {
	return &Counter{next: next, getsByKey: map[string]int{}}
}

// ServeHTTP counts r and serves it. Requests are path-style
// (/bucket/key), as the SDK sends them to a custom endpoint.
func (c *Counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isList := r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2"
	isGet := r.Method == http.MethodGet && !isList && strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/") >= 1
	c.mu.Lock()
	switch {
	case isList:
		c.lists++
		c.inFlight++
		c.peak = max(c.peak, c.inFlight)
	case isGet:
		c.gets++
		c.getsByKey[r.URL.Path]++
	default:
		c.others++
	}
	c.mu.Unlock()
	if isList {
		time.Sleep(c.ListLatency)
		defer func() {
			c.mu.Lock()
			c.inFlight--
			c.mu.Unlock()
		}()
	} else if isGet {
		time.Sleep(c.GetLatency)
	}
	c.next.ServeHTTP(w, r)
}

// Counts is what a Counter saw.
type Counts struct {
	Lists, Gets, Others int
	// PeakLists is the most LIST requests in flight at once.
	PeakLists int
	// GetsByPath counts the GETs of each object by its path, /bucket/key.
	GetsByPath map[string]int
}

// Counts returns what c saw since the last Reset.
func (c *Counter) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.getsByKey))
	for k, v := range c.getsByKey {
		m[k] = v
	}
	return Counts{Lists: c.lists, Gets: c.gets, Others: c.others, PeakLists: c.peak, GetsByPath: m}
}

// Reset zeroes the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lists, c.gets, c.others, c.peak = 0, 0, 0, 0
	c.getsByKey = map[string]int{}
}

// Endpoint returns an S3 endpoint for a test, behind wrap when it is not
// nil: the server S3LOGS_TEST_ENDPOINT names (versitygw, which .ci/test
// starts) through a reverse proxy on loopback, with the credentials of
// the environment; else an in-process server (Server). It names which in
// the test log.
func Endpoint(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	ep := os.Getenv("S3LOGS_TEST_ENDPOINT")
	if ep == "" {
		t.Log("S3 server: in-process gofakes3 (S3LOGS_TEST_ENDPOINT is not set)")
		return Server(t, wrap)
	}
	t.Logf("S3 server: %s", ep)
	Isolate(t, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"))
	target, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	var h http.Handler = rp
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
