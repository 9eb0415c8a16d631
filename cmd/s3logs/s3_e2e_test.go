package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
)

// cli runs one s3logs command line in-process and returns stdout and
// stderr; a non-zero exit fails the test.
func cli(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	if code := run(context.Background(), e, args); code != 0 {
		t.Fatalf("s3logs %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String()
}

var (
	explainObjects = regexp.MustCompile(`objects:\s+(\d+) listed, (\d+) skipped by key time`)
	summaryRead    = regexp.MustCompile(`(\d+) objects read`)
)

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestS3EndToEnd runs s3logs query over generated log objects uploaded to
// a real S3-compatible server (versitygw), for both key layouts: the
// answers equal those over the same files on disk; a time-bounded query
// lists only the objects of its window; N shards cover every object once.
func TestS3EndToEnd(t *testing.T) {
	ep := s3test.External(t) // versitygw under .ci/test
	ctx := context.Background()
	bucket := fmt.Sprintf("s3logs-e2e-%d", time.Now().UnixNano())
	for _, layout := range []gen.Layout{gen.Simple, gen.Partitioned} {
		t.Run(layout.String(), func(t *testing.T) {
			cfg := gen.Config{
				Seed: 11, Objects: 150, LinesPerObject: 30, Layout: layout, Prefix: "logs/",
				Span: 8 * 24 * time.Hour, TrapRate: -1,
			}
			objs, err := gen.All(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := gen.WriteDir(ctx, cfg, dir); err != nil {
				t.Fatal(err)
			}
			up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: ep}, "s3://"+bucket+"/"+layout.String()+"/")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := gen.Write(ctx, cfg, up.Put); err != nil {
				t.Fatal(err)
			}
			src := "s3://" + bucket + "/" + layout.String() + "/logs/"
			local := filepath.Join(dir, "logs")

			// The same answer from S3 as from disk, and the right one.
			q := "SELECT operation, httpstatus, count(*) AS n, sum(bytessent) AS b FROM logs GROUP BY operation, httpstatus ORDER BY operation, httpstatus"
			fromS3, errS3 := cli(t, "query", "--format", "csv", q, src)
			fromDisk, _ := cli(t, "query", "--format", "csv", q, local)
			if fromS3 != fromDisk {
				t.Fatalf("S3 and disk differ:\n%s\nvs\n%s", fromS3, fromDisk)
			}
			if m := summaryRead.FindStringSubmatch(errS3); m == nil || atoi(t, m[1]) != len(objs) {
				t.Errorf("summary %q: want %d objects read", errS3, len(objs))
			}
			total := 0
			for _, o := range objs {
				total += len(o.Records)
			}
			out, _ := cli(t, "query", "--format", "csv", "SELECT count(*) AS n FROM logs", src)
			if out != fmt.Sprintf("n\n%d\n", total) {
				t.Errorf("count over S3 = %q, want %d", out, total)
			}

			// A one-day query lists only the objects its window can need
			// (default lateness 24h) and counts that day's records.
			day := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
			from, to := day, day.Add(24*time.Hour-time.Second)
			end := to.Add(24 * time.Hour)
			// records counts the day's records in the objects kept;
			// allRecords also those delivered more than lateness late.
			var listed, kept, records, allRecords int
			for _, o := range objs {
				keep := false
				switch {
				case layout == gen.Simple && !o.Time.Before(from) && !o.Time.After(end):
					listed++
					keep = true
				case layout == gen.Partitioned && !o.Time.Before(day) && o.Time.Before(day.Add(48*time.Hour)):
					// Event-day partitions: the days from From to To+lateness.
					listed++
					keep = o.Time.Equal(day)
				}
				if keep {
					kept++
				}
				for _, r := range o.Records {
					if !r.Time.Before(from) && !r.Time.After(to) {
						allRecords++
						if keep {
							records++
						}
					}
				}
			}
			if listed == 0 || listed > len(objs)/2 || records == 0 {
				t.Fatalf("bad test data: %d of %d objects in the window, %d records", listed, len(objs), records)
			}
			dq := "SELECT count(*) AS n FROM logs WHERE timestamp = '2024/03/04'"
			out, _ = cli(t, "query", "--explain", dq, src)
			m := explainObjects.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("--explain printed no object counts:\n%s", out)
			}
			if got := atoi(t, m[1]); got != listed {
				t.Errorf("--explain: %d listed, want %d", got, listed)
			}
			if got := atoi(t, m[2]); got != listed-kept {
				t.Errorf("--explain: %d skipped by key time, want %d", got, listed-kept)
			}
			out, errOut := cli(t, "query", "--format", "csv", dq, src)
			if out != fmt.Sprintf("n\n%d\n", records) {
				t.Errorf("one-day count over S3 = %q, want %d", out, records)
			}
			if m := summaryRead.FindStringSubmatch(errOut); m == nil || atoi(t, m[1]) != kept {
				t.Errorf("one-day summary %q: want %d objects read", errOut, kept)
			}
			out, _ = cli(t, "query", "--format", "csv", "--lateness", "10000h", dq, src)
			if out != fmt.Sprintf("n\n%d\n", allRecords) {
				t.Errorf("one-day count with long lateness = %q, want %d", out, allRecords)
			}

			// Through a proxy that throttles, fails, resets and truncates
			// a third of the GETs: the same answer, and the retries show.
			fp := newFaultProxy(t, ep, 0.3)
			fromFaulty, _ := cli(t, "query", "--format", "csv", "--endpoint", fp.URL, "--concurrency", "16", q, src)
			if fromFaulty != fromS3 {
				t.Fatalf("through faults:\n%s\nwant\n%s", fromFaulty, fromS3)
			}
			if fp.injected() == 0 {
				t.Fatal("no fault injected")
			}

			// Shards: every object in exactly one shard.
			pq := "SELECT log_object, count(*) AS n FROM logs GROUP BY log_object ORDER BY log_object"
			whole, _ := cli(t, "query", "--format", "csv", pq, src)
			var parts []string
			for i := range 3 {
				out, _ := cli(t, "query", "--format", "csv", "--shard", fmt.Sprintf("%d/3", i), pq, src)
				rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
				if len(rows) == 0 || len(rows) == len(objs) {
					t.Errorf("shard %d/3 has %d of %d objects", i, len(rows), len(objs))
				}
				parts = append(parts, rows...)
			}
			sort.Strings(parts)
			wantRows := strings.Split(strings.TrimSpace(whole), "\n")[1:]
			if len(wantRows) != len(objs) {
				t.Fatalf("unsharded run has %d objects, want %d", len(wantRows), len(objs))
			}
			if strings.Join(parts, "\n") != strings.Join(wantRows, "\n") {
				t.Errorf("shards together differ from one run:\n%v\nvs\n%v", parts, wantRows)
			}
		})
	}
}

// faultProxy is a reverse proxy on loopback in front of the S3 server that
// breaks a seeded random share of GET requests: 503 SlowDown, 500, a reset
// connection, or a body cut short of its Content-Length.
type faultProxy struct {
	URL  string
	mu   sync.Mutex
	rnd  *rand.Rand
	rate float64
	n    int
}

func newFaultProxy(t *testing.T, endpoint string, rate float64) *faultProxy {
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &faultProxy{rnd: rand.New(rand.NewPCG(7, 7)), rate: rate}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault := -1
		if r.Method == http.MethodGet {
			p.mu.Lock()
			if p.rnd.Float64() < p.rate {
				fault = p.rnd.IntN(4)
				p.n++
			}
			p.mu.Unlock()
		}
		switch fault {
		case 0, 1:
			code, status := "SlowDown", 503
			if fault == 1 {
				code, status = "InternalError", 500
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, code)
		case 2:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		case 3:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body[:len(body)/2]) // the server then closes the connection
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *faultProxy) injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
