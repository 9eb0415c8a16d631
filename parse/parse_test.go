package parse

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A 24-field record as AWS documents it, with every field distinct.
const base = `79a5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT photos/cat.jpg "GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1" 200 - 113 4096 7 5 "https://example.com/" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2`

// want lists expected field values; "" means the record must not have the
// field, "-" that it is present and absent (NULL).
type want map[Field]string

func check(t *testing.T, line string, w want) *Record {
	t.Helper()
	var r Record
	if err := r.Parse([]byte(line)); err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	for f, v := range w {
		got := r.Bytes(f)
		if v == "" {
			if got != nil {
				t.Errorf("%v = %q, want missing", f, got)
			}
			continue
		}
		if string(got) != v {
			t.Errorf("%v = %q, want %q", f, got, v)
		}
		if _, ok := r.Value(f); ok == (v == "-") {
			t.Errorf("%v: Value ok = %v for %q", f, ok, v)
		}
	}
	return &r
}

func reject(t *testing.T, line string, f Field, reason string) {
	t.Helper()
	var r Record
	err := r.Parse([]byte(line))
	if err == nil {
		t.Fatalf("Parse(%q) accepted: requester %q ua %q", line, r.Bytes(Requester), r.Bytes(UserAgent))
	}
	pe := err.(*ParseError)
	if pe.Field != f || !strings.Contains(pe.Reason, reason) {
		t.Errorf("Parse(%q) = %v, want field %v and reason containing %q", line, err, f, reason)
	}
	if pe.Column < 1 || pe.Column > len(line)+1 {
		t.Errorf("column %d outside the line", pe.Column)
	}
}

func TestAllFields(t *testing.T) {
	r := check(t, base, want{
		BucketOwner: "79a5", Bucket: "awsexamplebucket1", Time: "06/Feb/2019:00:00:38 +0000",
		RemoteIP: "192.0.2.3", Requester: "arn:aws:iam::123456789012:user/alice", RequestID: "3E57427F3EXAMPLE",
		Operation: "REST.GET.OBJECT", Key: "photos/cat.jpg", RequestURI: "GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1",
		HTTPStatus: "200", ErrorCode: "-", BytesSent: "113", ObjectSize: "4096", TotalTime: "7", TurnAroundTime: "5",
		Referer: "https://example.com/", UserAgent: "S3Console/0.4", VersionID: "-", HostID: "s9lzHYrFp76ZVxRcpX9=",
		SigV: "SigV4", CipherSuite: "ECDHE-RSA-AES128-GCM-SHA256", AuthType: "AuthHeader",
		HostHeader: "awsexamplebucket1.s3.us-west-1.amazonaws.com", TLSVersion: "TLSv1.2",
		AccessPointARN: "", ACLRequired: "", SourceRegion: "",
	})
	if r.NumFields() != 24 || r.Extra() != 0 {
		t.Errorf("fields %d extra %d", r.NumFields(), r.Extra())
	}
	if got := r.Time(); !got.Equal(time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC)) {
		t.Errorf("Time = %v", got)
	}
	if v, ok := r.Int(BytesSent); !ok || v != 113 {
		t.Errorf("BytesSent = %d %v", v, ok)
	}
	if _, ok := r.Int(ErrorCode); ok {
		t.Error("Int of an absent field is ok")
	}
	m, tg, p, ok := r.RequestLine()
	if !ok || string(m) != "GET" || string(tg) != "/awsexamplebucket1/photos/cat.jpg" || string(p) != "HTTP/1.1" {
		t.Errorf("RequestLine = %q %q %q %v", m, tg, p, ok)
	}
}

func TestFieldCounts(t *testing.T) {
	f17 := strings.SplitN(base, ` - s9lz`, 2)[0][:len(strings.SplitN(base, ` - s9lz`, 2)[0])]
	r := check(t, f17, want{UserAgent: "S3Console/0.4", VersionID: ""})
	if r.NumFields() != 17 {
		t.Errorf("17-field record has %d", r.NumFields())
	}
	r = check(t, f17+" 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", want{VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", HostID: ""})
	if r.NumFields() != 18 {
		t.Errorf("18-field record has %d", r.NumFields())
	}
	r = check(t, base+" arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP", want{AccessPointARN: "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP"})
	if r.NumFields() != 25 {
		t.Errorf("25: %d", r.NumFields())
	}
	r = check(t, base+" - Yes", want{AccessPointARN: "-", ACLRequired: "Yes"})
	if r.NumFields() != 26 {
		t.Errorf("26: %d", r.NumFields())
	}
	r = check(t, base+" - - us-east-1", want{ACLRequired: "-", SourceRegion: "us-east-1"})
	if r.NumFields() != 27 || r.Extra() != 0 {
		t.Errorf("27: %d %d", r.NumFields(), r.Extra())
	}
	r = check(t, base+" - - us-east-1 Future1 Future2", want{SourceRegion: "us-east-1"})
	if r.NumFields() != 27 || r.Extra() != 2 || string(r.ExtraBytes()) != "Future1 Future2" {
		t.Errorf("extra: %d %d %q", r.NumFields(), r.Extra(), r.ExtraBytes())
	}
}

// Many unknown trailing fields are all counted, on the fast path and on
// the slow one (here forced by a quote inside the user agent).
func TestManyTrailingFields(t *testing.T) {
	extra := strings.Repeat(" x", 100)
	for _, line := range []string{
		base + " - - us-east-1" + extra,
		strings.Replace(base, `"S3Console/0.4"`, `"a "b" c"`, 1) + " - - us-east-1" + extra,
	} {
		var r Record
		if err := r.Parse([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if r.NumFields() != 27 || r.Extra() != 100 {
			t.Errorf("fields %d, extra %d; want 27 and 100", r.NumFields(), r.Extra())
		}
	}
}

func TestLineHygiene(t *testing.T) {
	check(t, base+"\r", want{TLSVersion: "TLSv1.2"})
	check(t, base+" ", want{TLSVersion: "TLSv1.2"})
	check(t, base+" \r\n", want{TLSVersion: "TLSv1.2"})
	// Raw bytes that are not UTF-8, and DEL, are kept as they are.
	r := check(t, strings.Replace(base, "cat.jpg HTTP", "c\x7f\xff\xfet.jpg HTTP", 1), want{})
	if !bytes.Contains(r.Bytes(RequestURI), []byte("c\x7f\xff\xfet.jpg")) {
		t.Errorf("raw bytes changed: %q", r.Bytes(RequestURI))
	}
}

func TestQuoteInsideRequestLine(t *testing.T) {
	line := strings.Replace(base, `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1"`, `"GET /" HTTP/1.1"`, 1)
	check(t, line, want{RequestURI: `GET /" HTTP/1.1`, HTTPStatus: "200"})
	// A quote followed by a space inside the request line, not before a status.
	line = strings.Replace(base, `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1"`, `"GET /a" b.jpg HTTP/1.1"`, 1)
	check(t, line, want{RequestURI: `GET /a" b.jpg HTTP/1.1`, HTTPStatus: "200"})
}

func TestQuotesInsideUserAgent(t *testing.T) {
	for _, ua := range []string{
		`pip/19.1 {"ci":null,"cpu":"x86_64","distro":{"name":"CentOS Linux","version":"7"}}`,
		`"Mozilla/5.0 (Windows NT 10.0)`,   // starts with ""
		`Mozilla/5.0 Safari/604.1"`,        // ends with ""
		`() { :;}; echo; echo "x"`,         // Shellshock
		`say "hello" world "again" please`, // quote followed by a space inside
	} {
		line := strings.Replace(base, `"S3Console/0.4"`, `"`+ua+`"`, 1)
		check(t, line, want{UserAgent: ua, VersionID: "-", SigV: "SigV4", TLSVersion: "TLSv1.2"})
		// And as the last field of an 18-field record.
		short := strings.SplitN(line, ` s9lz`, 2)[0]
		check(t, short, want{UserAgent: ua, VersionID: "-", HostID: ""})
	}
}

func TestQuotesInsideReferrer(t *testing.T) {
	shock := `() { :;}; echo; echo "x"`
	line := strings.Replace(base, `"https://example.com/" "S3Console/0.4"`, `"`+shock+`" "`+shock+`"`, 1)
	check(t, line, want{Referer: shock, UserAgent: shock, TLSVersion: "TLSv1.2"})
	// Policy: a referrer followed by a stray quote keeps it.
	line = strings.Replace(base, `"https://example.com/"`, `"https://example.com/?id=452""`, 1)
	check(t, line, want{Referer: `https://example.com/?id=452"`, UserAgent: "S3Console/0.4"})
}

func TestEmptyValues(t *testing.T) {
	// Bare - where quoted fields belong (REST.COPY.OBJECT_GET, BATCH.DELETE.OBJECT).
	line := `36c1 jsoriano-s3-test [10/Sep/2019:15:11:07 +0000] 89.160.20.156 arn:aws:iam::123456:user/test@elastic.co 8CD7A4A71E2E5C9E BATCH.DELETE.OBJECT jolokia-war-1.5.0.war - 204 - - 344017 - - - - - IeDW5I3wefFxU8iH= SigV4 ECDHE-RSA-AES128-SHA AuthHeader s3.eu-central-1.amazonaws.com TLSv1.2`
	r := check(t, line, want{RequestURI: "-", HTTPStatus: "204", Referer: "-", UserAgent: "-", ObjectSize: "344017", TotalTime: "-"})
	if _, _, _, ok := r.RequestLine(); ok {
		t.Error("RequestLine of a bare - is ok")
	}
	// Lifecycle: "-" request line, - remote IP, AmazonS3 requester, all trailing -.
	line = `b854 flow-log-test [25/Mar/2025:19:28:02 +0000] - AmazonS3 366DB3C4B325AB11 S3.EXPIRE.OBJECT 0/chum/state.sst "-" - - - 317 - - "-" "-" qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij DMlPb9al4CvVBck150Cg+BrffhbT9/B - - - - - - -`
	r = check(t, line, want{RemoteIP: "-", Requester: "AmazonS3", RequestURI: "-", HTTPStatus: "-", Referer: "-", UserAgent: "-",
		VersionID: "qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij", HostID: "DMlPb9al4CvVBck150Cg+BrffhbT9/B", SigV: "-", ACLRequired: "-"})
	if r.NumFields() != 26 {
		t.Errorf("lifecycle record has %d fields", r.NumFields())
	}
	if _, ok := r.Int(HTTPStatus); ok {
		t.Error("status - converts")
	}
}

func TestRequesterWithSpaces(t *testing.T) {
	oai := "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID"
	line := strings.Replace(base, "arn:aws:iam::123456789012:user/alice", oai, 1)
	check(t, line, want{Requester: oai, RequestID: "3E57427F3EXAMPLE", Operation: "REST.GET.OBJECT", Key: "photos/cat.jpg"})
}

func TestHostIDInTwoTokens(t *testing.T) {
	line := strings.Replace(base, "s9lzHYrFp76ZVxRcpX9=", "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6J=", 1)
	check(t, line, want{HostID: "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6J=", SigV: "SigV4", AuthType: "AuthHeader", TLSVersion: "TLSv1.2"})
}

func TestOperationsAndIDs(t *testing.T) {
	line := strings.Replace(base, "REST.GET.OBJECT", "S3.COMPUTE.OBJECT.CHECKSUM", 1)
	check(t, line, want{Operation: "S3.COMPUTE.OBJECT.CHECKSUM"})
	line = strings.Replace(base, "REST.GET.OBJECT", "SOAP.CreateBucket", 1)
	check(t, line, want{Operation: "SOAP.CreateBucket"})
	line = strings.Replace(base, "3E57427F3EXAMPLE", "5b2a3f6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", 1)
	check(t, line, want{RequestID: "5b2a3f6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"})
}

func TestIPv6AndHugeNumbers(t *testing.T) {
	line := strings.Replace(base, "192.0.2.3", "2001:db8::ff00:42:8329", 1)
	line = strings.Replace(line, " 113 4096 ", " 9898557440 422868123111 ", 1)
	r := check(t, line, want{RemoteIP: "2001:db8::ff00:42:8329"})
	if v, _ := r.Int(BytesSent); v != 9898557440 {
		t.Errorf("BytesSent = %d", v)
	}
	if v, _ := r.Int(ObjectSize); v != 422868123111 {
		t.Errorf("ObjectSize = %d", v)
	}
}

func TestTimeOffsets(t *testing.T) {
	line := strings.Replace(base, "+0000", "+0200", 1)
	r := check(t, line, want{})
	if !r.Time().Equal(time.Date(2019, 2, 5, 22, 0, 38, 0, time.UTC)) {
		t.Errorf("+0200: %v", r.Time())
	}
	line = strings.Replace(base, "06/Feb/2019:00:00:38 +0000", "29/Feb/2020:23:59:59 -0130", 1)
	r = check(t, line, want{})
	if !r.Time().Equal(time.Date(2020, 3, 1, 1, 29, 59, 0, time.UTC)) {
		t.Errorf("-0130: %v", r.Time())
	}
	// Checked against time.Parse over many dates.
	for d := time.Date(1999, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2031; d = d.Add(97*time.Hour + 13*time.Minute + 7*time.Second) {
		s := d.Format(TimeLayout)
		v, ok := parseTimeFixed([]byte(s))
		if !ok || v != d.Unix() {
			t.Fatalf("parseTimeFixed(%q) = %d %v, want %d", s, v, ok, d.Unix())
		}
	}
}

func TestRejects(t *testing.T) {
	// Truncated after the status.
	reject(t, base[:strings.Index(base, " 200 ")+4], ErrorCode, "truncated")
	reject(t, base[:40], Time, "")
	// Two records spliced: the first cut in its requester.
	cut := base[:strings.Index(base, "user/alice")-3]
	reject(t, cut+base, Time, "spliced")
	// Host Id glued to the signature version: every later field shifts.
	reject(t, strings.Replace(base, "= SigV4", "=SigV4", 1), SigV, "shifted")
	reject(t, strings.Replace(base, " 200 ", " OK ", 1), HTTPStatus, "not a 3-digit status")
	reject(t, strings.Replace(base, " 113 ", " 1x3 ", 1), BytesSent, "not a number")
	reject(t, strings.Replace(base, "AuthHeader", "Bearer", 1), AuthType, "not AuthHeader")
	reject(t, strings.Replace(base, "TLSv1.2", "SSLv3", 1), TLSVersion, "not a TLS version")
	reject(t, strings.Replace(base, "[06/Feb/2019:00:00:38 +0000]", "[31/Feb/2019:00:00:38 +0000]", 1), Time, "malformed time")
	reject(t, strings.Replace(base, "REST.GET.OBJECT", "GET", 1), Operation, "not an operation")
	reject(t, strings.Replace(base, `"S3Console/0.4"`, `S3Console/0.4`, 1), UserAgent, "expected a quoted")
	reject(t, strings.Replace(base, `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1"`, `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1`, 1), RequestURI, "no closing quote")
	reject(t, "garbage", Bucket, "truncated")
	reject(t, "\x00\x01\x02 \xff\xfe [", Time, "")
}

// corpus holds 95 real lines from public sources and 4 broken ones, with
// their provenance (real_samples_provenance.md).
var corpus = filepath.Join("testdata", "real")

func TestRealCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus, "real_samples.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := NewScanner(f)
	s.OnReject(func(e *ParseError, line []byte) { t.Errorf("rejected: %v\n%s", e, line) })
	n := 0
	for s.Scan() {
		r := s.Record()
		n++
		// Cross-checks that do not depend on the splitting: every record's
		// time is a plausible date, and the fields after the User-Agent hold
		// no quote.
		if y := r.Time().Year(); y < 2006 || y > 2030 {
			t.Errorf("line %d: year %d", s.LineNumber(), y)
		}
		for f := VersionID; int(f) < r.NumFields(); f++ {
			if bytes.IndexByte(r.Bytes(f), '"') >= 0 {
				t.Errorf("line %d: quote in %v", s.LineNumber(), f)
			}
		}
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	if n != 95 || s.Rejected() != 0 {
		t.Errorf("parsed %d of 95 real lines, %d rejected", n, s.Rejected())
	}
	t.Logf("corpus: %d/95 real lines parsed", n)
}

// TestRealCorpusFields pins down the lines whose traps are named in the
// provenance notes, with values read off the file by hand.
func TestRealCorpusFields(t *testing.T) {
	lines := readLines(t, "real_samples.log")
	f := func(n int, w want) { t.Helper(); check(t, lines[n-1], w) }
	f(14, want{ACLRequired: "Yes"}) // trailing space
	f(18, want{SourceRegion: "us-east-1"})
	f(27, want{HTTPStatus: "-"})
	f(28, want{Operation: "S3.EXPIRE.OBJECT", Requester: "AmazonS3", RequestURI: "-", RemoteIP: "-"})
	f(29, want{RequestURI: "OPTIONS * HTTP/1.0"})
	f(34, want{SourceRegion: "us-east-1"})
	f(39, want{RequestURI: `GET /" HTTP/1.1`, Key: "%2522", Referer: "referer test", SigV: "-"})
	f(40, want{UserAgent: `Mozilla/5.0 (iPad; CPU OS 13_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.1 Mobile/15E148 Safari/604.1"`, VersionID: "-", HostID: "someIDstring"})
	f(41, want{Referer: `() { :;}; echo; echo "masked"`, UserAgent: `() { :;}; echo; echo "masked"`, AccessPointARN: "-"})
	f(52, want{Operation: "REST.COPY.OBJECT_GET", RequestURI: "-", Referer: "-", UserAgent: "-"})
	f(58, want{VersionID: "-", HostID: ""})
	f(78, want{HostID: "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc=", SigV: "SigV4"})
	f(80, want{Operation: "S3.RESTORE.OBJECT", VersionID: "-", HostID: ""})
	f(81, want{TLSVersion: "TLSv1"})
	f(91, want{UserAgent: `"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36`})
	f(94, want{UserAgent: "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.8.0.9) Gecko/20061206 Firefox/1.5.0.9", VersionID: ""})
	var r Record
	r.Parse([]byte(lines[57]))
	if r.Extra() != 3 {
		t.Errorf("line 58: %d unknown trailing fields, want 3", r.Extra())
	}
	r.Parse([]byte(lines[90]))
	if v, _ := r.Int(ObjectSize); v != 422868123111 {
		t.Errorf("line 91 object size %d", v)
	}
	r.Parse([]byte(lines[28]))
	if !r.Time().Equal(time.Date(2021, 2, 9, 12, 48, 42, 0, time.UTC)) {
		t.Errorf("line 29 (+0200) time %v", r.Time())
	}
}

func TestRealCorpusInvalid(t *testing.T) {
	lines := readLines(t, "real_samples_invalid.log")
	var r Record
	// Line 1: referrer with a stray quote; accepted by policy (see package doc).
	if err := r.Parse([]byte(lines[0])); err != nil || string(r.Bytes(Referer)) != `http://kerkdienstgemist.nl/mp3/recorder.php?id=452"` {
		t.Errorf("line 1: %v %q", err, r.Bytes(Referer))
	}
	for i, reason := range map[int]string{1: "spliced", 2: "truncated", 3: "shifted"} {
		err := r.Parse([]byte(lines[i]))
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("line %d: %v, want a %s reject", i+1, err, reason)
		}
	}
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(corpus, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestTolerance: records from the wild with a doubled separator or an odd
// token in a late optional field are kept, with their values where they
// belong and a warning (SPEC §3, FORMAT.md trap 11); a request is never
// dropped for them. Truncated, spliced and shifted lines are still rejected.
func TestTolerance(t *testing.T) {
	const full = base + ` arn:aws:s3:us-west-1:123456789012:accesspoint/ap1 Yes us-east-1`
	f := func(line string, w want, warn Warning) {
		t.Helper()
		r := check(t, line, w)
		if r.Warnings() != warn {
			t.Errorf("warnings %q, want %q", r.Warnings(), warn)
		}
	}
	// Well-formed: no warning.
	f(full, want{ACLRequired: "Yes", SourceRegion: "us-east-1"}, 0)
	// A 27-field line whose aclRequired slot holds an unexpected token.
	f(strings.Replace(full, " Yes ", " test2 ", 1), want{ACLRequired: "test2", SourceRegion: "us-east-1", TLSVersion: "TLSv1.2"}, WarnOddValue)
	// Odd Access Point ARN and source region values.
	f(strings.Replace(full, "arn:aws:s3:us-west-1:123456789012:accesspoint/ap1", "ap1", 1), want{AccessPointARN: "ap1", ACLRequired: "Yes"}, WarnOddValue)
	f(strings.Replace(full, " us-east-1", " unknown", 1), want{SourceRegion: "unknown"}, WarnOddValue)
	// Two spaces between the remote IP and the requester.
	f(strings.Replace(base, "192.0.2.3 arn:", "192.0.2.3  arn:", 1),
		want{RemoteIP: "192.0.2.3", Requester: "arn:aws:iam::123456789012:user/alice", RequestID: "3E57427F3EXAMPLE", SigV: "SigV4"}, WarnSpacing)
	// Doubled separators around quoted fields, numbers and the tail; a
	// double space inside a quoted field is content.
	f(strings.NewReplacer(`HTTP/1.1" 200`, `HTTP/1.1"  200`, ` 113 `, `   113 `, `"S3Console/0.4" -`, `"S3Console/0.4"  -`, ` SigV4 `, `  SigV4 `).Replace(base),
		want{HTTPStatus: "200", BytesSent: "113", UserAgent: "S3Console/0.4", VersionID: "-", SigV: "SigV4", CipherSuite: "ECDHE-RSA-AES128-GCM-SHA256"}, WarnSpacing)
	f(strings.Replace(base, `"S3Console/0.4"`, `"S3Console/0.4  (x)"`, 1), want{UserAgent: "S3Console/0.4  (x)"}, 0)
	// Both at once.
	f(strings.Replace(strings.Replace(full, " Yes ", " test2 ", 1), "] 192", "]  192", 1), want{RemoteIP: "192.0.2.3", ACLRequired: "test2"}, WarnSpacing|WarnOddValue)
	// Still rejected: a line starting with a space, truncated, shifted.
	reject(t, " "+base, BucketOwner, "starts with a space")
	reject(t, base[:strings.Index(base, " 200 ")+4], ErrorCode, "truncated")
	reject(t, strings.Replace(base, "s9lzHYrFp76ZVxRcpX9= SigV4", "s9lzHYrFp76ZVxRcpX9=SigV4", 1), SigV, "shifted")
}

func TestPeekTime(t *testing.T) {
	f := func(line string, want int64, wantOK bool) {
		t.Helper()
		got, ok := PeekTime([]byte(line))
		if ok != wantOK || ok && got != want {
			t.Errorf("PeekTime(%.40q) = %d, %v; want %d, %v", line, got, ok, want, wantOK)
		}
	}
	var r Record
	if err := r.Parse([]byte(base)); err != nil {
		t.Fatal(err)
	}
	f(base, r.Unix(), true)
	f(strings.Replace(base, "+0000", "+0200", 1), r.Unix()-7200, true)
	f("garbage", 0, false)
	f("a b [06/Feb/2019:00:00:38 +0000", 0, false)
	f("a b [06/Xyz/2019:00:00:38 +0000] c", 0, false)
}

func TestScannerBlankAndPrefilter(t *testing.T) {
	in := base + "\n\t\n \r\n\n" + "garbage\n" + strings.Replace(base, "REST.GET.OBJECT", "REST.PUT.OBJECT", 1) + "\r\n"
	s := NewBlockScanner([]byte(in))
	n := 0
	for s.Scan() {
		n++
	}
	if n != 2 || s.Lines() != 3 || s.Rejected() != 1 || s.Skipped() != 0 {
		t.Errorf("%d records, %d lines, %d rejected, %d skipped; want 2, 3, 1, 0", n, s.Lines(), s.Rejected(), s.Skipped())
	}
	s = NewBlockScanner([]byte(in))
	s.SetPrefilter(&Prefilter{Contains: [][]byte{[]byte("PUT")}})
	var lines []int64
	for s.Scan() {
		lines = append(lines, s.LineNumber())
	}
	if len(lines) != 1 || lines[0] != 6 || s.Lines() != 3 || s.Rejected() != 0 || s.Skipped() != 2 {
		t.Errorf("records at %v, %d lines, %d rejected, %d skipped; want [6], 3, 0, 2", lines, s.Lines(), s.Rejected(), s.Skipped())
	}
}

func TestRequestLineParts(t *testing.T) {
	f := func(uri, method, target, proto string, hasTarget, hasProto bool) {
		t.Helper()
		var r Record
		if err := r.Parse([]byte(strings.Replace(base, `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1"`, uri, 1))); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second call reads the cached split
			m, tg, p, ok := r.RequestLine()
			if !ok || string(m) != method || string(tg) != target || string(p) != proto || (tg != nil) != hasTarget || (p != nil) != hasProto {
				t.Errorf("%s: RequestLine = %q %q %q %v", uri, m, tg, p, ok)
			}
		}
	}
	f(`"GET /a HTTP/1.1"`, "GET", "/a", "HTTP/1.1", true, true)
	f(`"GET /a b HTTP/1.0"`, "GET", "/a b", "HTTP/1.0", true, true)
	f(`"GET /x"`, "GET", "/x", "", true, false)
	f(`"OPTIONS"`, "OPTIONS", "", "", false, false)
	f(`"GET  HTTP/1.1"`, "GET", "", "HTTP/1.1", true, true)
}
