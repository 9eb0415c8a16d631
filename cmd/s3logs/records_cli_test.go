package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/filetest"
	"github.com/s3logs/s3logs/internal/s3test"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// s3logsBinary builds the s3logs command once per test run and returns
// its path: these tests drive the binary as a user does.
func s3logsBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "s3logs-bin-*")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "s3logs")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runBinary runs the built s3logs with args and returns its exit status,
// stdout and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(s3logsBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

var summaryCounts = regexp.MustCompile(`(\d+) lines(?: \([^)]*\))?, (\d+) rejected`)

// lineCounts returns the "N lines, K rejected" of a command's summary.
func lineCounts(t *testing.T, what, stderr string) (lines, rejected int) {
	t.Helper()
	m := summaryCounts.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("%s: no summary in stderr:\n%s", what, stderr)
	}
	lines, _ = strconv.Atoi(m[1])
	rejected, _ = strconv.Atoi(m[2])
	return lines, rejected
}

// sortedRejects returns the sorted object:line of each entry of a
// --rejects file for object.
func sortedRejects(t *testing.T, path, object string) []string {
	t.Helper()
	locs, _ := rejectLocations(t, path, object)
	sort.Strings(locs)
	return locs
}

// TestRecordStageAgrees: on one input mixing valid lines with garbage, a
// tab-only line, a blank line, a 2 MiB line and binary bytes, query,
// convert and report count the same lines and rejects and write the same
// rejected lines; convert --strict exits 1, publishes nothing and leaves
// the bad line in --rejects.
func TestRecordStageAgrees(t *testing.T) {
	dir := t.TempDir()
	objs, err := gen.All(gen.Config{Seed: 21, Objects: 1, LinesPerObject: 400, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	valid := strings.Split(strings.TrimSuffix(string(objs[0].Bytes()), "\n"), "\n")
	input := filepath.Join(dir, "mixed.log")
	var b bytes.Buffer
	var wantRejects []string
	line := 0
	add := func(s string, bad bool) {
		line++
		b.WriteString(s)
		b.WriteByte('\n')
		if bad {
			wantRejects = append(wantRejects, fmt.Sprintf("%s:%d", input, line))
		}
	}
	for i, v := range valid {
		add(v, false)
		switch i {
		case 50:
			add("this is not a log record", true)
		case 100:
			add("\t", false) // blank: not a line, not a reject
		case 150:
			add("", false)
		case 200:
			add(strings.Repeat("x", 2<<20), true) // over the 1 MiB line cap
		case 250:
			add("\x00\x01\x02\xff\xfe binary \x7f\x80", true)
		}
	}
	if err := os.WriteFile(input, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sort.Strings(wantRejects)
	wantLines := len(valid) + len(wantRejects)

	check := func(what string, code int, stderr, rejects string) {
		t.Helper()
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, code, stderr)
		}
		lines, rej := lineCounts(t, what, stderr)
		if lines != wantLines || rej != len(wantRejects) {
			t.Errorf("%s: %d lines, %d rejected; want %d, %d", what, lines, rej, wantLines, len(wantRejects))
		}
		if got := sortedRejects(t, rejects, input); strings.Join(got, " ") != strings.Join(wantRejects, " ") {
			t.Errorf("%s: rejects at %v, want %v", what, got, wantRejects)
		}
	}
	qr := filepath.Join(dir, "q.rejects")
	code, out, stderr := runBinary(t, nil, "query", "--no-progress", "--rejects", qr, "SELECT count(*) AS n FROM logs", input)
	check("query", code, stderr, qr)
	if out != fmt.Sprintf("n\n%d\n", len(valid)) {
		t.Errorf("query: %q, want %d records", out, len(valid))
	}
	cr := filepath.Join(dir, "c.rejects")
	code, _, stderr = runBinary(t, nil, "convert", "--no-progress", "--rejects", cr, input, "--out", filepath.Join(dir, "pq"))
	check("convert", code, stderr, cr)
	if n := countParquetRowsIn(t, filepath.Join(dir, "pq")); n != len(valid) {
		t.Errorf("convert wrote %d rows, want %d", n, len(valid))
	}
	rr := filepath.Join(dir, "r.rejects")
	code, _, stderr = runBinary(t, nil, "report", "--no-progress", "--rejects", rr, input, "--out", filepath.Join(dir, "r.html"))
	check("report", code, stderr, rr)

	// convert --strict: exit 1, nothing published, the line in --rejects.
	sr := filepath.Join(dir, "s.rejects")
	strictOut := filepath.Join(dir, "strict")
	code, _, stderr = runBinary(t, nil, "convert", "--no-progress", "--strict", "--rejects", sr, input, "--out", strictOut)
	// Workers run in parallel: the run stops at the first malformed line
	// one of them meets, and others met meanwhile are written too.
	got := sortedRejects(t, sr, input)
	if code != 1 || !strings.Contains(stderr, "--strict") || len(got) == 0 || !strings.Contains(stderr, got[0]+":") && !strings.Contains(stderr, got[len(got)-1]+":") {
		t.Errorf("convert --strict: exit %d, stderr %q, rejects %v; want exit 1 naming a rejected line", code, stderr, got)
	}
	for _, l := range got {
		if !slices.Contains(wantRejects, l) {
			t.Errorf("convert --strict: rejected %s, which is valid", l)
		}
	}
	filepath.WalkDir(strictOut, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("convert --strict published %s", p)
		}
		return nil
	})
}

// countParquetRowsIn counts the rows of every Parquet file under dir with
// an independent reader.
func countParquetRowsIn(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "/.") {
			_, rows := filetest.ReadParquetFile(t, p)
			n += len(rows)
		}
		return nil
	})
	return n
}

// groupCounts is GROUP BY requester, sigv computed from the generated
// records: the independent answer.
func groupCounts(recs []gen.Record) string {
	m := map[string]int{}
	for _, r := range recs {
		req, sig := r.Requester, r.SigV
		if req == "-" {
			req = ""
		}
		if sig == "-" || r.NumFields > 0 && r.NumFields < 20 {
			sig = ""
		}
		m[req+","+sig]++
	}
	var rows []string
	for k, n := range m {
		rows = append(rows, fmt.Sprintf("%s,%d", k, n))
	}
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

func sortedCSV(out string) string {
	rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

// damagedAnswers checks, for sources holding the good records and one
// damaged object, that query --skip-failed gives exactly the answer over
// the good records for a count, a GROUP BY and --out Parquet, and names
// the damaged object.
func damagedAnswers(t *testing.T, env []string, good []gen.Record, damaged string, sources ...string) {
	t.Helper()
	q := func(args ...string) (int, string, string) {
		return runBinary(t, env, append(append([]string{"query", "--no-progress", "--skip-failed"}, args...), sources...)...)
	}
	code, out, stderr := q("SELECT count(*) AS n FROM logs")
	if code != 0 || out != fmt.Sprintf("n\n%d\n", len(good)) || !strings.Contains(stderr, damaged) {
		t.Errorf("count: exit %d, %q; want %d records and a warning naming %s\n%s", code, out, len(good), damaged, stderr)
	}
	code, out, stderr = q("SELECT requester, sigv, count(*) AS n FROM logs GROUP BY requester, sigv")
	if code != 0 || sortedCSV(out) != groupCounts(good) {
		t.Errorf("group by: exit %d\n%s\nwant\n%s\n%s", code, sortedCSV(out), groupCounts(good), stderr)
	}
	pq := filepath.Join(t.TempDir(), "x.parquet")
	code, _, stderr = q("--format", "parquet", "--out", pq, "SELECT log_object, log_line FROM logs")
	if code != 0 {
		t.Fatalf("--out parquet: exit %d\n%s", code, stderr)
	}
	_, rows := filetest.ReadParquetFile(t, pq)
	if len(rows) != len(good) {
		t.Errorf("--out parquet: %d rows, want %d", len(rows), len(good))
	}
	for _, r := range rows {
		if obj, _ := r[0].(string); strings.Contains(obj, damaged) {
			t.Fatalf("--out parquet holds a row of the failed object: %v", r)
		}
	}
}

// multiBlockObject returns generated objects with enough records that one
// of them spans many 1 MiB blocks once concatenated.
func multiBlockObject(t *testing.T, seed int64, lines int) ([]gen.Record, []byte) {
	t.Helper()
	objs, err := gen.All(gen.Config{Seed: seed, Objects: 1, LinesPerObject: lines, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	return objs[0].Records, objs[0].Bytes()
}

// goodAndTruncated writes a generated object of goodLines lines (seed) to
// good and one of 12,000 lines, gzipped and cut at 70 %, to bad: a damaged
// object spanning several blocks. It returns good's records.
func goodAndTruncated(t *testing.T, good, bad string, seed int64, goodLines int) []gen.Record {
	t.Helper()
	goodRecs, goodData := multiBlockObject(t, seed, goodLines)
	_, badData := multiBlockObject(t, seed+1, 12000)
	if err := os.WriteFile(good, goodData, 0o644); err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(badData)
	zw.Close()
	if err := os.WriteFile(bad, z.Bytes()[:z.Len()*7/10], 0o644); err != nil {
		t.Fatal(err)
	}
	if len(badData) < 3<<20 {
		t.Fatalf("damaged object of %d bytes spans too few blocks", len(badData))
	}
	return goodRecs
}

// TestSkipFailedTruncatedGzip: a .gz cut in the middle, spanning several
// blocks, contributes nothing with --skip-failed — not the lines read
// before the damage.
func TestSkipFailedTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	bad := filepath.Join(dir, "truncated.log.gz")
	goodRecs := goodAndTruncated(t, good, bad, 31, 2000)
	damagedAnswers(t, nil, goodRecs, "truncated.log.gz", good, bad)
}

// TestSkipFailedS3PartWay: an S3 object whose body breaks part way on
// every attempt (after some of its blocks went through the workers)
// contributes nothing with --skip-failed.
func TestSkipFailedS3PartWay(t *testing.T) {
	var broken, cut atomic.Int64
	endpoint := s3test.Server(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "broken") {
				h.ServeHTTP(w, r)
				return
			}
			if broken.Add(1) > 1 {
				http.Error(w, "injected failure", http.StatusInternalServerError)
				return
			}
			// The first GET sends 60% of the body and cuts the connection.
			h.ServeHTTP(&bodyCutter{ResponseWriter: w, limit: cut.Load()}, r)
		})
	})
	env := []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
	goodRecs, goodData := multiBlockObject(t, 41, 3000)
	_, badData := multiBlockObject(t, 42, 30000)
	if len(badData) <= 8<<20 {
		// Smaller objects are read whole before any of their blocks
		// reaches a worker: the failure must come part way.
		t.Fatalf("broken object of %d bytes is read whole", len(badData))
	}
	cut.Store(int64(len(badData)) * 6 / 10)
	put := func(key string, data []byte) {
		req, _ := http.NewRequest(http.MethodPut, endpoint+"/logs/"+key, bytes.NewReader(data))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("put %s: %v %v", key, err, resp)
		}
		resp.Body.Close()
	}
	put("2024-03-01-00-00-00-GOOD000000000000", goodData)
	put("2024-03-01-00-10-00-broken0000000000", badData)
	env = append(env, "AWS_MAX_ATTEMPTS=2")
	damagedAnswers(t, env, goodRecs, "broken", "--endpoint", endpoint, "s3://logs/")
	if broken.Load() < 2 {
		t.Errorf("the broken object was fetched %d times: no retry happened", broken.Load())
	}
	// Rows streamed to stdout cannot be taken back: the warning says how
	// many of the failed object's were printed.
	broken.Store(0)
	code, out, stderr := runBinary(t, env, "query", "--no-progress", "--skip-failed", "--endpoint", endpoint,
		"SELECT log_object FROM logs", "s3://logs/")
	printed := strings.Count(out, "broken")
	note := regexp.MustCompile(`(\d+) rows of it were written before it failed`).FindStringSubmatch(stderr)
	if code != 0 || printed == 0 || note == nil || note[1] != strconv.Itoa(printed) {
		t.Errorf("streaming: exit %d, %d rows of the broken object printed, stderr %q; want a warning counting them", code, printed, stderr)
	}
}

// bodyCutter passes the first limit bytes of a response body through,
// then panics with http.ErrAbortHandler, which cuts the connection.
type bodyCutter struct {
	http.ResponseWriter
	limit, sent int64
}

func (b *bodyCutter) Write(p []byte) (int, error) {
	if b.limit > 0 && b.sent+int64(len(p)) > b.limit {
		n, _ := b.ResponseWriter.Write(p[:b.limit-b.sent])
		b.sent += int64(n)
		if f, ok := b.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	n, err := b.ResponseWriter.Write(p)
	b.sent += int64(n)
	return n, err
}

var _ io.Writer = (*bodyCutter)(nil)
