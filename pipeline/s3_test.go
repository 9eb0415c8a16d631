package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/s3test"

	"github.com/aws/smithy-go"

	"github.com/s3logs/s3logs/internal/awsconf"
)

// fakeS3 starts an in-process S3 server (gofakes3, memory backend), with
// wrap (when set) in front of it, and points the SDK's default credential
// chain at test credentials. It returns the endpoint URL.
func fakeS3(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return s3test.Server(t, wrap)
}

// testObject is one generated log object: its key and its lines.
type testObject struct {
	key   string
	lines []string
}

func (o testObject) data() []byte {
	var b bytes.Buffer
	for _, l := range o.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if strings.HasSuffix(o.key, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b.Bytes())
		zw.Close()
		return z.Bytes()
	}
	return b.Bytes()
}

// makeObject builds an object under key with n distinct lines (of varying
// length, some long enough to span blocks).
func makeObject(key string, n int) testObject {
	o := testObject{key: key}
	for i := range n {
		o.lines = append(o.lines, fmt.Sprintf("%s line %d %s", key, i+1, strings.Repeat("y", (i*37)%300)))
	}
	return o
}

func upload(t testing.TB, endpoint, dest string, objs []testObject) {
	t.Helper()
	ctx := context.Background()
	u, err := NewUploader(ctx, awsconf.Options{Endpoint: endpoint}, dest)
	if err != nil {
		t.Fatal(err)
	}
	if !u.CreateBucket {
		t.Fatal("CreateBucket is off with an endpoint override")
	}
	put, wait := u.Async(ctx, 16)
	for _, o := range objs {
		if err := put(ctx, o.key, o.data()); err != nil {
			break
		}
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

// result is what a run delivered: "object\tlineno\tline" for every line,
// sorted, so runs compare as multisets.
func collect(t testing.TB, cfg Config, sources ...string) ([]string, *Stats, error) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	stats, err := runRaw(context.Background(), cfg, sources, func(_ int, c *Chunk) error {
		lines := strings.Split(strings.TrimSuffix(string(c.Data), "\n"), "\n")
		mu.Lock()
		defer mu.Unlock()
		for i, l := range lines {
			got = append(got, fmt.Sprintf("%s\t%d\t%s", c.Object.Name, c.FirstLine+int64(i), l))
		}
		return nil
	})
	sort.Strings(got)
	return got, stats, err
}

// want is the expected result for objects under prefix, computed from the
// generated objects themselves.
func want(prefix string, objs []testObject, keep func(testObject) bool) []string {
	var out []string
	for _, o := range objs {
		if keep != nil && !keep(o) {
			continue
		}
		for i, l := range o.lines {
			out = append(out, fmt.Sprintf("%s%s\t%d\t%s", prefix, o.key, i+1, l))
		}
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: line %d is %q, want %q", what, i, got[i], want[i])
		}
	}
}

// TestS3ReadsEverything reads a prefix with more than one listing page,
// small, gzipped and streamed objects, through the real SDK client.
func TestS3ReadsEverything(t *testing.T) {
	var counter *s3test.Counter
	ep := fakeS3(t, func(h http.Handler) http.Handler {
		counter = s3test.NewCounter(h)
		return counter
	})
	var objs []testObject
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1100 {
		key := t0.Add(time.Duration(i)*time.Minute).Format(keyStamp) + fmt.Sprintf("-%016X", i)
		if i%100 == 7 {
			key += ".gz"
		}
		objs = append(objs, makeObject(key, 1+i%5))
	}
	objs = append(objs, makeObject("big-object", 3000), makeObject("sub/dir/other", 3))
	upload(t, ep, "s3://logs/in/", objs)
	upload(t, ep, "s3://logs/elsewhere/", []testObject{makeObject("not-me", 2)})

	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"default", Config{}},
		{"streamed", Config{MaxBuffered: 16 << 10, BlockSize: 4096, Concurrency: 8}},
		{"one-at-a-time", Config{Concurrency: 1, Workers: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.AWS = awsconf.Options{Endpoint: ep}
			counter.Reset()
			got, stats, err := collect(t, c.cfg, "s3://logs/in/")
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, c.name, got, want("in/", objs, nil))
			if n := stats.Listed.Load(); n != int64(len(objs)) {
				t.Errorf("listed %d, want %d", n, len(objs))
			}
			if n := stats.Read.Load(); n != int64(len(objs)) {
				t.Errorf("read %d, want %d", n, len(objs))
			}
			// One GET per object, and the run counts what it sent.
			n := counter.Counts()
			if n.Gets != len(objs) {
				t.Errorf("%d GETs, want %d", n.Gets, len(objs))
			}
			for _, o := range objs {
				if g := n.GetsByPath["/logs/in/"+o.key]; g != 1 {
					t.Errorf("%s read %d times", o.key, g)
				}
			}
			if got := stats.Requests.Load(); got != int64(n.Lists+n.Gets) {
				t.Errorf("stats count %d requests, the server saw %d LIST and %d GET", got, n.Lists, n.Gets)
			}
		})
	}
}

// TestS3Pruning checks that a time-bounded run lists only the objects of
// its window, for both key layouts, and reads the same records as an
// unbounded run filtered by key time.
func TestS3Pruning(t *testing.T) {
	ep := fakeS3(t, nil)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var simple, parted []testObject
	for i := range 24 * 20 { // hourly for 20 days
		kt := t0.Add(time.Duration(i)*time.Hour + 17*time.Second)
		simple = append(simple, makeObject(kt.Format(keyStamp)+fmt.Sprintf("-%04d", i), 2))
		for _, acct := range []string{"111122223333/us-east-1/a/", "444455556666/eu-west-1/b/"} {
			parted = append(parted, makeObject(acct+kt.Format("2006/01/02/")+kt.Format(keyStamp)+fmt.Sprintf("-%04d", i), 1))
		}
	}
	// Keys that match no layout are always read.
	junk := []testObject{makeObject("README", 1), makeObject("-early", 1)}
	simple = append(simple, junk...)
	upload(t, ep, "s3://b/simple/", simple)
	upload(t, ep, "s3://b/parted/", parted)
	upload(t, ep, "s3://b/", []testObject{makeObject("outside/2024-01-05-00-00-00-X", 1)})

	w := Window{From: time.Date(2024, 1, 5, 10, 30, 0, 0, time.UTC), To: time.Date(2024, 1, 6, 4, 0, 0, 0, time.UTC)}
	lateness := 3 * time.Hour
	end := w.To.Add(lateness)
	inWindow := func(o testObject) bool {
		k, ok := ParseKey(o.key)
		return !ok || !k.Time.Before(w.From) && !k.Time.After(end)
	}
	count := func(objs []testObject, f func(testObject) bool) (n int64) {
		for _, o := range objs {
			if f(o) {
				n++
			}
		}
		return n
	}
	// The partitioned layout lists whole days from From's day to end's day.
	inDays := func(o testObject) bool {
		k, _ := ParseKey(o.key)
		return !k.Time.Before(time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)) && k.Time.Before(time.Date(2024, 1, 7, 0, 0, 0, 0, time.UTC))
	}
	for _, c := range []struct {
		src                     string
		prefix                  string
		objs                    []testObject
		listed, skipped, readCt int64
	}{
		{"s3://b/simple/", "simple/", simple, count(simple, inWindow), 0, count(simple, inWindow)},
		{"s3://b/parted/", "parted/", parted, count(parted, inDays), count(parted, inDays) - count(parted, inWindow), count(parted, inWindow)},
	} {
		t.Run(c.prefix, func(t *testing.T) {
			cfg := Config{AWS: awsconf.Options{Endpoint: ep}, Window: w, Lateness: lateness}
			got, stats, err := collect(t, cfg, c.src)
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, c.src, got, want(c.prefix, c.objs, inWindow))
			if n := stats.Listed.Load(); n != c.listed {
				t.Errorf("listed %d, want %d", n, c.listed)
			}
			if n := stats.SkippedTime.Load(); n != c.skipped {
				t.Errorf("skipped %d, want %d", n, c.skipped)
			}
			if n := stats.Read.Load(); n != c.readCt {
				t.Errorf("read %d, want %d", n, c.readCt)
			}
			if c.listed >= int64(len(c.objs))/4 {
				t.Fatalf("test window too wide: %d of %d", c.listed, len(c.objs))
			}
		})
	}
	// A prefix without its trailing slash is the same directory.
	got, stats, err := collect(t, Config{AWS: awsconf.Options{Endpoint: ep}, Window: w, Lateness: lateness}, "s3://b/simple")
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "no slash", got, want("simple/", simple, inWindow))
	if n := stats.Listed.Load(); n != count(simple, inWindow) {
		t.Errorf("no slash: listed %d, want %d", n, count(simple, inWindow))
	}

	// A source inside the partitioned layout lists only its days.
	for _, src := range []string{"s3://b/parted/111122223333/", "s3://b/parted/111122223333/us-east-1/", "s3://b/parted/111122223333/us-east-1/a/"} {
		one := func(o testObject) bool { return strings.HasPrefix(o.key, "111122223333/") }
		got, stats, err := collect(t, Config{AWS: awsconf.Options{Endpoint: ep}, Window: w, Lateness: lateness}, src)
		if err != nil {
			t.Fatal(err)
		}
		sameLines(t, src, got, want("parted/", parted, func(o testObject) bool { return one(o) && inWindow(o) }))
		if n, want := stats.Listed.Load(), count(parted, func(o testObject) bool { return one(o) && inDays(o) }); n != want {
			t.Errorf("%s: listed %d, want %d", src, n, want)
		}
	}

	// From the bucket's root, the layouts are found under their
	// directories; the object outside both is read.
	cfg := Config{AWS: awsconf.Options{Endpoint: ep}, Window: w, Lateness: lateness}
	got, stats, err = collect(t, cfg, "s3://b/")
	if err != nil {
		t.Fatal(err)
	}
	// outside/… is a simple key before the window: the listing jumps past it.
	all := append(want("simple/", simple, inWindow), want("parted/", parted, inWindow)...)
	sort.Strings(all)
	sameLines(t, "root", got, all)
	if n, max := stats.Listed.Load(), count(simple, inWindow)+count(parted, inDays); n != max {
		t.Errorf("root: listed %d, want %d", n, max)
	}
}

// TestS3Shards checks that N sharded runs together read every object
// exactly once, and that each shard gets a part (shards own whole days:
// the objects span twelve).
func TestS3Shards(t *testing.T) {
	ep := fakeS3(t, nil)
	var objs []testObject
	t0 := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		objs = append(objs, makeObject(t0.Add(time.Duration(i)*87*time.Minute).Format(keyStamp)+fmt.Sprintf("-%04X", i), 1+i%3))
	}
	objs = append(objs, makeObject("README", 2), makeObject("notes/x", 1))
	upload(t, ep, "s3://s/p/", objs)
	var all []string
	for i := range 3 {
		cfg := Config{AWS: awsconf.Options{Endpoint: ep}, Shard: i, Shards: 3}
		got, stats, err := collect(t, cfg, "s3://s/p/")
		if err != nil {
			t.Fatal(err)
		}
		if stats.Read.Load() == 0 || stats.Read.Load() == int64(len(objs)) {
			t.Errorf("shard %d read %d of %d objects", i, stats.Read.Load(), len(objs))
		}
		all = append(all, got...)
	}
	sort.Strings(all)
	sameLines(t, "shards", all, want("p/", objs, nil))
}

func TestParseS3URL(t *testing.T) {
	f := func(in, bucket, prefix string, ok bool) {
		t.Helper()
		b, p, err := ParseS3URL(in)
		if (err == nil) != ok || b != bucket || p != prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", in, b, p, err)
		}
	}
	f("s3://bucket/prefix/", "bucket", "prefix/", true)
	f("s3://bucket", "bucket", "", true)
	f("s3://bucket/", "bucket", "", true)
	f("s3://b/a/b/c", "b", "a/b/c", true)
	f("s3:///x", "", "", false)
	f("/local", "", "", false)
}

func TestRetryable(t *testing.T) {
	f := func(err error, want bool) {
		t.Helper()
		if got := retryable(err); got != want {
			t.Errorf("retryable(%v) = %v, want %v", err, got, want)
		}
	}
	f(nil, false)
	f(context.Canceled, false)
	f(fmt.Errorf("x: %w", context.DeadlineExceeded), false)
	f(io.ErrUnexpectedEOF, true)
	f(fmt.Errorf("read: %w", errShortBody), true)
	f(fmt.Errorf("get: %w", errStalled), true)
	f(&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true)
	f(&smithy.GenericAPIError{Code: "SlowDown"}, true)
	f(&smithy.GenericAPIError{Code: "AccessDenied"}, false)
	f(&smithy.GenericAPIError{Code: "NoSuchKey"}, false)
	f(errors.New("something else"), false)
}

func TestPartitionDepth(t *testing.T) {
	f := func(p string, want int) {
		t.Helper()
		if got := partitionDepth(p); got != want {
			t.Errorf("partitionDepth(%q) = %d, want %d", p, got, want)
		}
	}
	f("", 0)
	f("logs/", 0)
	f("123456789012/", 1)
	f("logs/123456789012/", 1)
	f("logs/123456789012/us-east-1/", 2)
	f("logs/123456789012/us-east-1/bucket/", 3)
	f("logs/123456789012/us-east-1/bucket/2024/", 0)
	f("logs/123456789012/us-east-1/bucket", 0)
	f("logs/12345678901/", 0)
}

// TestS3LargerThanListed: an object that has grown since it was listed
// (here a proxy shrinks every size in the listings to 10 bytes) is not
// read whole into a buffer the size of its listing, beyond the budget of
// whole objects: it is read again as a stream, and read completely.
func TestS3LargerThanListed(t *testing.T) {
	var counter *s3test.Counter
	sizes := regexp.MustCompile(`<Size>[0-9]+</Size>`)
	ep := fakeS3(t, func(h http.Handler) http.Handler {
		counter = s3test.NewCounter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("list-type") != "2" {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := sizes.ReplaceAll(rec.Body.Bytes(), []byte("<Size>10</Size>"))
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
		}))
		return counter
	})
	var objs []testObject
	for i := range 20 {
		objs = append(objs, makeObject(fmt.Sprintf("2024-03-01-00-00-%02d-%04X", i, i), 50+i))
	}
	upload(t, ep, "s3://grown/p/", objs)
	counter.Reset()
	got, stats, err := collect(t, Config{AWS: awsconf.Options{Endpoint: ep}}, "s3://grown/p/")
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "grown objects", got, want("p/", objs, nil))
	if n := counter.Counts(); n.Gets != 2*len(objs) || stats.Read.Load() != int64(len(objs)) {
		t.Errorf("%d GETs for %d objects (%d read), want two each: the whole-object GET given up, then a stream", n.Gets, len(objs), stats.Read.Load())
	}
}
