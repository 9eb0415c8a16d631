package convert

import (
	"compress/gzip"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/filetest"
	"github.com/s3logs/s3logs/sink"

	"github.com/s3logs/s3logs/pipeline"
)

// fixture is one generated log record with the values each output column
// must hold, built independently of the parser.
type fixture struct {
	line string
	want map[string]any // column → expected value; absent means NULL
}

// genRecords returns n records from seed covering the format's traps:
// NULL in every nullable field, old short records, sizes over 32 bits, a
// quote-laden user agent, a requester with spaces, invalid UTF-8, times
// across several days and hours.
func genRecords(seed int64, n int) []fixture {
	rng := rand.New(rand.NewSource(seed))
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	start := time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)
	out := make([]fixture, n)
	for i := range out {
		w := map[string]any{}
		var f []string
		str := func(col, v string) { // a plain field; "-" is NULL
			f = append(f, v)
			if v != "-" {
				w[col] = strings.ToValidUTF8(v, "\uFFFD")
			}
		}
		num := func(col string, v int64, null bool, i32 bool) {
			if null {
				f = append(f, "-")
				return
			}
			f = append(f, fmt.Sprint(v))
			if i32 {
				w[col] = int32(v)
			} else {
				w[col] = v
			}
		}
		quoted := func(col, v string, null bool) {
			if null {
				f = append(f, pick(`"-"`, "-"))
				return
			}
			f = append(f, `"`+v+`"`)
			w[col] = strings.ToValidUTF8(v, "\uFFFD")
		}
		str("bucketowner", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")
		str("bucket", pick("awsexamplebucket1", "logs-bucket"))
		ts := start.Add(time.Duration(rng.Intn(3*24*3600)) * time.Second)
		f = append(f, "["+ts.Format("02/Jan/2006:15:04:05 -0700")+"]")
		w["requestdatetime"] = ts.UnixMicro()
		str("remoteip", pick("192.0.2.3", "2001:db8::1", "-"))
		requester := pick("-", "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID")
		str("requester", requester)
		str("requestid", fmt.Sprintf("3E57427F3EXAMPL%d", i))
		op := pick("REST.GET.OBJECT", "REST.PUT.OBJECT", "S3.EXPIRE.OBJECT", "BATCH.DELETE.OBJECT")
		str("operation", op)
		key := pick("photos/2019/08/puppy.jpg", "-", "a%20b/caf\xc3\xa9", "bad\xffkey")
		str("key", key)
		method, target := pick("GET", "PUT", "HEAD"), "/"+pick("puppy.jpg", "x?versionId=1", "a b")
		nullReq := op == "S3.EXPIRE.OBJECT" || rng.Intn(10) == 0
		quoted("request_uri", method+" "+target+" HTTP/1.1", nullReq)
		if !nullReq {
			w["requesturi_operation"], w["requesturi_key"], w["requesturi_httpprotoversion"] = method, target, "HTTP/1.1"
		}
		num("httpstatus", int64(pick2(rng, 200, 404, 503)), rng.Intn(8) == 0, true)
		str("errorcode", pick("-", "NoSuchKey", "SlowDown"))
		num("bytessent", rng.Int63n(1<<40), rng.Intn(5) == 0, false)
		num("objectsize", 422868123111, rng.Intn(5) == 0, false)
		num("totaltime", rng.Int63n(5000), rng.Intn(9) == 0, false)
		num("turnaroundtime", rng.Int63n(100), rng.Intn(9) == 0, false)
		quoted("referrer", pick("http://www.example.com/webservice/", "http://x/?q=\xe2\x28\xa1"), rng.Intn(2) == 0)
		quoted("useragent", pick("curl/7.15.1", `{"app":"x","v":"1"}`, `() { :;}; echo; echo "x"`, "aws-cli/2.0 \x7f"), rng.Intn(6) == 0)
		nf := []int{17, 18, 24, 25, 26, 27, 27, 27}[rng.Intn(8)]
		more := []func(){
			func() { str("versionid", pick("-", "3HL4kqtJvjVBH40Nrjfkd")) },
			func() { str("hostid", "cDOUMBUMXAQ7NomLbVX3Apcsqmo7yXlVXG8BGaHT2q6Nt/a9rU9Byo0i8q9Nyv1aIKZn8/p+v9g=") },
			func() { str("sigv", pick("SigV4", "SigV2", "-")) },
			func() { str("ciphersuite", pick("ECDHE-RSA-AES128-GCM-SHA256", "-")) },
			func() { str("authtype", pick("AuthHeader", "QueryString", "-")) },
			func() { str("endpoint", "awsexamplebucket1.s3.us-west-1.amazonaws.com") },
			func() { str("tlsversion", pick("TLSv1.2", "TLSv1.3", "-")) },
			func() { str("accesspointarn", pick("-", "arn:aws:s3:us-east-1:123456789012:accesspoint/example-AP")) },
			func() { str("aclrequired", pick("-", "Yes")) },
			func() { str("sourceregion", pick("-", "us-east-1")) },
		}
		for _, m := range more[:nf-17] {
			m()
		}
		out[i] = fixture{line: strings.Join(f, " "), want: w}
	}
	return out
}

func pick2(rng *rand.Rand, xs ...int) int { return xs[rng.Intn(len(xs))] }

// writeObjects writes objects of fixtures under dir (odd ones gzipped) and
// returns the expected rows by "object:line".
func writeObjects(t testing.TB, dir string, seed int64, objects, lines int) map[string]map[string]any {
	t.Helper()
	return writeObjectsAt(t, dir, seed, objects, lines, func(o int) string { return fmt.Sprintf("2024-03-0%d-10-00-00", 1+o%3) })
}

// writeObjectsAt is writeObjects with the key time of object o from stamp
// (YYYY-mm-DD-HH-MM-SS).
func writeObjectsAt(t testing.TB, dir string, seed int64, objects, lines int, stamp func(o int) string) map[string]map[string]any {
	t.Helper()
	want := map[string]map[string]any{}
	for o := range objects {
		recs := genRecords(seed+int64(o), lines)
		name := filepath.Join(dir, fmt.Sprintf("%s-%016X", stamp(o), seed*1000+int64(o)))
		var b strings.Builder
		for i, r := range recs {
			if i == 3 {
				b.WriteString("this is not a log line\n") // a reject, line 4
			}
			b.WriteString(r.line)
			b.WriteString("\n")
		}
		if o%2 == 1 {
			name += ".gz"
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if o%2 == 1 {
			zw := gzip.NewWriter(f)
			zw.Write([]byte(b.String()))
			zw.Close()
		} else {
			f.WriteString(b.String())
		}
		f.Close()
		for i, r := range recs {
			line := int64(i + 1)
			if i >= 3 {
				line++
			}
			r.want["log_object"] = name
			r.want["log_line"] = line
			want[fmt.Sprintf("%s:%d", name, line)] = r.want
		}
	}
	return want
}

// readOutput reads every file the manifest at dir names with the
// independent reader and returns rows by "object:line", counting
// duplicates, and checks each file sits in the partition of its rows.
func readOutput(t testing.TB, dir string, format sink.Format) (map[string]map[string]any, map[string]int) {
	t.Helper()
	d, err := sink.NewLocalDestination(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]any{}
	count := map[string]int{}
	for _, f := range m.Files() {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		var cols []filetest.Column
		var vals [][]filetest.Value
		if format == sink.Arrow {
			cols, vals = filetest.ReadArrow(t, data)
		} else {
			cols, vals = filetest.ReadParquet(t, data)
		}
		if int64(len(vals)) != f.Rows {
			t.Errorf("%s: %d rows, manifest says %d", f.Name, len(vals), f.Rows)
		}
		for _, v := range vals {
			row := map[string]any{}
			for i, c := range cols {
				if v[i] != nil {
					row[c.Name] = v[i]
				}
			}
			k := fmt.Sprintf("%s:%d", row["log_object"], row["log_line"])
			rows[k] = row
			count[k]++
			day := time.UnixMicro(row["requestdatetime"].(int64)).UTC().Format("2006-01-02")
			if !strings.HasPrefix(f.Name, "dt="+day+"/") {
				t.Errorf("%s holds a row of %s", f.Name, day)
			}
		}
	}
	return rows, count
}

func TestConvertRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 1, 4, 700)
	for _, tc := range []struct {
		name      string
		format    sink.Format
		dictLimit int
	}{
		{"parquet", sink.Parquet, 0},
		{"arrow", sink.Arrow, 0},
		{"parquet-dictionary-overflow", sink.Parquet, 200}, // dictionary columns written plain once their values exceed 200 bytes
	} {
		format := tc.format
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			d, _ := sink.NewLocalDestination(out)
			// Small row groups, files and commits so that every mechanism runs.
			res, err := Convert(context.Background(), d, Options{Format: format, RowGroupRows: 97, TargetFileSize: 64 << 10, CommitBytes: 200 << 10, dictLimit: tc.dictLimit},
				pipeline.Config{Workers: 3, BlockSize: 32 << 10}, []string{src})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stats.Rejected.Load() != 4 || res.Rows != int64(len(want)) || res.Objects != 4 {
				t.Errorf("rejected %d rows %d objects %d, want 4, %d, 4", res.Stats.Rejected.Load(), res.Rows, res.Objects, len(want))
			}
			got, count := readOutput(t, out, format)
			if len(got) != len(want) {
				t.Errorf("got %d rows, want %d", len(got), len(want))
			}
			for k, n := range count {
				if n != 1 {
					t.Errorf("%s appears %d times", k, n)
				}
			}
			bad := 0
			for k, w := range want {
				if g := got[k]; !reflect.DeepEqual(g, w) && bad < 5 {
					bad++
					t.Errorf("%s:\n got %v\nwant %v", k, g, w)
				}
			}
		})
	}
}

// TestParquetTypes checks the physical and logical types and nullability
// of every column as parquet-go reads them.
func TestParquetTypes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	writeObjects(t, src, 2, 1, 20)
	out := t.TempDir()
	d, _ := sink.NewLocalDestination(out)
	if _, err := Convert(context.Background(), d, Options{PartitionBy: None}, pipeline.Config{Workers: 1}, []string{src}); err != nil {
		t.Fatal(err)
	}
	m, _ := ReadManifest(context.Background(), d)
	files := m.Files()
	if len(files) != 1 || strings.Contains(files[0].Name, "/") {
		t.Fatalf("files %v, want one at the root", files)
	}
	cols, _ := filetest.ReadParquetFile(t, filepath.Join(out, files[0].Name))
	want := map[string]string{
		"requestdatetime": "required INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)",
		"httpstatus":      "optional INT32 INT(32,true)",
		"bytessent":       "optional INT64 INT(64,true)",
		"objectsize":      "optional INT64 INT(64,true)",
		"totaltime":       "optional INT64 INT(64,true)",
		"turnaroundtime":  "optional INT64 INT(64,true)",
		"log_line":        "required INT64 INT(64,true)",
		"log_object":      "required BYTE_ARRAY STRING",
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
		req := "optional"
		if !c.Optional {
			req = "required"
		}
		got := req + " " + c.Physical + " " + c.Logical
		w, ok := want[c.Name]
		if !ok {
			w = "optional BYTE_ARRAY STRING"
		}
		if !strings.EqualFold(got, w) {
			t.Errorf("%s: %s, want %s", c.Name, got, w)
		}
	}
	wantNames := []string{"bucketowner", "bucket", "requestdatetime", "remoteip", "requester", "requestid", "operation", "key",
		"request_uri", "requesturi_operation", "requesturi_key", "requesturi_httpprotoversion", "httpstatus", "errorcode",
		"bytessent", "objectsize", "totaltime", "turnaroundtime", "referrer", "useragent", "versionid", "hostid", "sigv",
		"ciphersuite", "authtype", "endpoint", "tlsversion", "accesspointarn", "aclrequired", "sourceregion", "log_object", "log_line"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("columns %v\nwant %v", names, wantNames)
	}
}

// TestConvertIncremental converts, adds objects, converts again: only the
// new objects are read and every record is there once. An object that
// arrives later than --lateness after the newest converted one is not
// read (SPEC §6: a re-run lists keys after the newest converted, less
// lateness).
func TestConvertIncremental(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 10, 3, 300) // 2024-03-01..03 at 10:00
	out := t.TempDir()
	d, _ := sink.NewLocalDestination(out)
	opts := Options{CommitBytes: 50 << 10}
	res, err := Convert(context.Background(), d, opts, pipeline.Config{Workers: 2, BlockSize: 16 << 10}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Stats.Read.Load(); r != 3 {
		t.Errorf("first run read %d objects, want 3", r)
	}
	// New: one after the newest, one late but within the lateness (24h),
	// and one later than that, which is not converted.
	stamps := []string{"2024-03-03-12-00-00", "2024-03-02-12-00-00"}
	for k, v := range writeObjectsAt(t, src, 20, 2, 250, func(o int) string { return stamps[o] }) {
		want[k] = v
	}
	writeObjectsAt(t, src, 30, 1, 50, func(int) string { return "2024-03-01-12-00-00" })
	res, err = Convert(context.Background(), d, opts, pipeline.Config{Workers: 2, BlockSize: 16 << 10}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	// Listed from the floor, 2024-03-02 10:00: the objects of 03-01 (one
	// converted, one new and too late) are skipped by key time, the one of
	// 03-02 10:00 and 03-03 10:00 are complete already.
	if r, s, k := res.Stats.Read.Load(), res.Stats.SkippedDone.Load(), res.Stats.SkippedTime.Load(); r != 2 || s != 2 || k != 2 {
		t.Errorf("second run read %d objects, skipped %d done and %d by key time, want 2, 2 and 2", r, s, k)
	}
	res, err = Convert(context.Background(), d, opts, pipeline.Config{Workers: 2}, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Stats.Read.Load(); r != 0 || res.Files != 0 {
		t.Errorf("third run read %d objects and wrote %d files, want none", r, res.Files)
	}
	_, count := readOutput(t, out, sink.Parquet)
	if len(count) != len(want) {
		t.Errorf("%d distinct rows, want %d", len(count), len(want))
	}
	for k := range want {
		if count[k] != 1 {
			t.Errorf("%s appears %d times", k, count[k])
		}
	}
}
