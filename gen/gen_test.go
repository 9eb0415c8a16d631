package gen

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/parse"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func concat(t *testing.T, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := Generate(cfg, func(o Object) error {
		buf.WriteString(o.Key)
		buf.WriteByte('\n')
		buf.Write(o.Bytes())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Objects: 6, LinesPerObject: 50, TrapRate: 0.05,
		Buckets: []string{"b1", "b2"}, Layout: Partitioned}
	a, b := concat(t, cfg), concat(t, cfg)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	cfg.Seed = 43
	if c := concat(t, cfg); bytes.Equal(a, c) {
		t.Fatal("different seeds, same output")
	}
	if !bytes.Equal(Lines(7, 300), Lines(7, 300)) || bytes.Equal(Lines(7, 300), Lines(8, 300)) {
		t.Fatal("Lines is not a function of its seed")
	}
	if n := bytes.Count(Lines(7, 300), []byte{'\n'}); n != 300 {
		t.Fatalf("Lines(7, 300) has %d lines", n)
	}
	blk := Block(3, 100_000)
	if len(blk) < 100_000 || len(blk) > 100_000+20_000 || blk[len(blk)-1] != '\n' {
		t.Fatalf("Block(3, 100000): %d bytes, last byte %q", len(blk), blk[len(blk)-1])
	}
}

// Key layouts of SPEC §5, written out independently of the generator.
var (
	simpleKey  = regexp.MustCompile(`^logs/(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-F]{16}$`)
	partKey    = regexp.MustCompile(`^p/(\d{12})/([a-z0-9-]+)/([a-z0-9.-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-F]{16}$`)
	keyTimeFmt = "2006-01-02-15-04-05"
)

func TestKeys(t *testing.T) {
	start := time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC)
	span := 3 * 24 * time.Hour
	for _, tc := range []struct {
		layout Layout
		pd     PartitionDate
		prefix string
	}{
		{Simple, EventTime, "logs/"},
		{Partitioned, EventTime, "p/"},
		{Partitioned, DeliveryTime, "p/"},
	} {
		cfg := Config{Seed: 5, Objects: 30, LinesPerObject: 40, Start: start, Span: span,
			Layout: tc.layout, PartitionDate: tc.pd, Prefix: tc.prefix,
			SourceAccount: "111122223333", SourceRegion: "eu-west-1", Buckets: []string{"alpha", "beta.logs", "gamma"}}
		objs, err := All(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 30 {
			t.Fatalf("%d objects", len(objs))
		}
		seen := map[string]bool{}
		buckets := map[string]int{}
		for _, o := range objs {
			if seen[o.Key] {
				t.Errorf("duplicate key %s", o.Key)
			}
			seen[o.Key] = true
			buckets[o.Bucket]++
			newest, oldest := o.Records[len(o.Records)-1].Time, o.Records[0].Time
			var kt time.Time
			if tc.layout == Simple {
				m := simpleKey.FindStringSubmatch(o.Key)
				if m == nil {
					t.Fatalf("simple key %q does not match the layout", o.Key)
				}
				kt, err = time.Parse(keyTimeFmt, o.Key[5:24])
			} else {
				m := partKey.FindStringSubmatch(o.Key)
				if m == nil {
					t.Fatalf("partitioned key %q does not match the layout", o.Key)
				}
				if m[1] != "111122223333" || m[2] != "eu-west-1" || m[3] != o.Bucket {
					t.Errorf("%s: account/region/bucket %v, want bucket %s", o.Key, m[1:4], o.Bucket)
				}
				if m[4] != m[7] || m[5] != m[8] || m[6] != m[9] {
					t.Errorf("%s: directory date differs from file date", o.Key)
				}
				name := o.Key[strings.LastIndexByte(o.Key, '/')+1:]
				kt, err = time.Parse(keyTimeFmt, name[:19])
			}
			if err != nil {
				t.Fatal(err)
			}
			if !kt.Equal(o.Time) {
				t.Errorf("%s: Object.Time %v, key says %v", o.Key, o.Time, kt)
			}
			if tc.layout == Partitioned && tc.pd == EventTime {
				if kt.Hour()+kt.Minute()+kt.Second() != 0 {
					t.Errorf("%s: EventTime key not at 00-00-00", o.Key)
				}
				for _, r := range o.Records {
					if r.Time.Before(kt) || !r.Time.Before(kt.Add(24*time.Hour)) {
						t.Errorf("%s: record at %v outside the key's day", o.Key, r.Time)
					}
				}
			} else if kt.Before(newest) || kt.Sub(newest) < time.Minute || kt.Sub(newest) > 48*time.Hour {
				t.Errorf("%s: key time %v vs newest record %v", o.Key, kt, newest)
			}
			for i, r := range o.Records {
				if r.Bucket != o.Bucket {
					t.Errorf("%s: record of bucket %s", o.Key, r.Bucket)
				}
				if i > 0 && r.Time.Before(o.Records[i-1].Time) {
					t.Errorf("%s: records out of order at %d", o.Key, i)
				}
				if r.Time.Before(start) || !r.Time.Before(start.Add(span)) || r.Time.Nanosecond() != 0 || r.Time.Location() != time.UTC {
					t.Errorf("%s: record time %v outside [start, start+span) or not whole UTC seconds", o.Key, r.Time)
				}
			}
			_ = oldest
		}
		if len(buckets) != 3 || buckets["alpha"] != 10 {
			t.Errorf("objects per bucket %v, want 10 each", buckets)
		}
	}
}

// want returns field f of r as the parser should see it, from the typed
// fields, written independently of Record.Value.
func want(r *Record, f parse.Field) (string, bool) {
	num := func(v int64) (string, bool) {
		if v == Null {
			return "", false
		}
		return strconv.FormatInt(v, 10), true
	}
	str := func(s string) (string, bool) { return s, s != "" }
	if int(f) >= r.NumFields {
		return "", false
	}
	switch f {
	case parse.BucketOwner:
		return str(r.BucketOwner)
	case parse.Bucket:
		return str(r.Bucket)
	case parse.Time:
		return r.Time.Format(parse.TimeLayout), true
	case parse.RemoteIP:
		return str(r.RemoteIP)
	case parse.Requester:
		return str(r.Requester)
	case parse.RequestID:
		return str(r.RequestID)
	case parse.Operation:
		return str(r.Operation)
	case parse.Key:
		return str(r.Key)
	case parse.RequestURI:
		return str(r.RequestURI)
	case parse.HTTPStatus:
		return num(int64(r.HTTPStatus))
	case parse.ErrorCode:
		return str(r.ErrorCode)
	case parse.BytesSent:
		return num(r.BytesSent)
	case parse.ObjectSize:
		return num(r.ObjectSize)
	case parse.TotalTime:
		return num(r.TotalTime)
	case parse.TurnAroundTime:
		return num(r.TurnAroundTime)
	case parse.Referer:
		return str(r.Referer)
	case parse.UserAgent:
		return str(r.UserAgent)
	case parse.VersionID:
		return str(r.VersionID)
	case parse.HostID:
		return str(r.HostID)
	case parse.SigV:
		return str(r.SigV)
	case parse.CipherSuite:
		return str(r.CipherSuite)
	case parse.AuthType:
		return str(r.AuthType)
	case parse.HostHeader:
		return str(r.HostHeader)
	case parse.TLSVersion:
		return str(r.TLSVersion)
	case parse.AccessPointARN:
		return str(r.AccessPointARN)
	case parse.ACLRequired:
		return str(r.ACLRequired)
	case parse.SourceRegion:
		return str(r.SourceRegion)
	}
	panic("unknown field")
}

// eraFields is the field count of S3's records by date, from FORMAT.md.
func eraFields(t time.Time) int {
	switch {
	case t.Before(date(2008, 1, 1)):
		return 17
	case t.Before(date(2019, 3, 1)):
		return 18
	case t.Before(date(2020, 1, 1)):
		return 24
	case t.Before(date(2023, 4, 1)):
		return 25
	case t.Before(date(2026, 1, 1)):
		return 26
	}
	return 27
}

// TestParseRoundTrip parses every generated line and checks each field
// against the structured record: a test of the generator's rendering and
// of the parser over thousands of lines, traps included.
func TestParseRoundTrip(t *testing.T) {
	var p parse.Record
	var line []byte
	lines, traps := 0, map[Trap]int{}
	for _, start := range []time.Time{date(2007, 6, 1), date(2015, 5, 1), date(2019, 6, 1),
		date(2021, 1, 1), date(2024, 3, 1), date(2026, 2, 1)} {
		cfg := Config{Seed: start.Unix(), Objects: 8, LinesPerObject: 400, Start: start, TrapRate: 0.08,
			Buckets: []string{"amzn-s3-demo-bucket1", "versioned"}}
		err := Generate(cfg, func(o Object) error {
			for i := range o.Records {
				r := &o.Records[i]
				lines++
				traps[r.Trap]++
				line = r.AppendLine(line[:0])
				if err := p.Parse(line); err != nil {
					t.Fatalf("trap %v: %v\n%s", r.Trap, err, line)
				}
				if p.NumFields() != r.NumFields || p.Extra() != 0 {
					t.Fatalf("NumFields %d (+%d extra), want %d\n%s", p.NumFields(), p.Extra(), r.NumFields, line)
				}
				if era := eraFields(r.Time); r.NumFields != era && !(r.NumFields == 18 && r.Requester == "AmazonS3") {
					t.Fatalf("%d fields at %v, want %d", r.NumFields, r.Time, era)
				}
				if p.Unix() != r.Time.Unix() {
					t.Fatalf("time %d, want %d\n%s", p.Unix(), r.Time.Unix(), line)
				}
				for f := parse.Field(0); int(f) < parse.NumFields; f++ {
					w, wok := want(r, f)
					got, ok := p.Value(f)
					if ok != wok || string(got) != w {
						t.Fatalf("trap %v, field %v: parsed %q (%v), want %q (%v)\n%s", r.Trap, f, got, ok, w, wok, line)
					}
					if v, ok := r.Value(f); ok != wok || v != w {
						t.Fatalf("Record.Value(%v) = %q, %v; want %q, %v", f, v, ok, w, wok)
					}
					if n, ok := p.Int(f); f == parse.HTTPStatus || f >= parse.BytesSent && f <= parse.TurnAroundTime {
						wn, wok := r.Int(f)
						if ok != wok || ok && n != wn {
							t.Fatalf("Int(%v) = %d, %v; want %d, %v\n%s", f, n, ok, wn, wok, line)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if lines < 10000 {
		t.Fatalf("only %d lines", lines)
	}
	for _, tr := range Traps() {
		if traps[tr] == 0 {
			t.Errorf("trap %v never generated", tr)
		}
	}
}

// TestTraps checks that trap records appear at the configured rate and
// that each carries its oddity in the rendered line.
func TestTraps(t *testing.T) {
	marks := map[Trap]*regexp.Regexp{
		TrapJSONUserAgent:           regexp.MustCompile(`"pip/19\.1 \{"ci":null,`),
		TrapUserAgentLeadingQuotes:  regexp.MustCompile(` ""Mozilla/`),
		TrapUserAgentTrailingQuotes: regexp.MustCompile(`Safari/604\.1"" `),
		TrapShellshock:              regexp.MustCompile(`"\(\) \{ :;\}; echo; echo "vulnerable"" "\(\) \{ :;\}; echo; echo "vulnerable""`),
		TrapQuoteInRequestLine:      regexp.MustCompile(` %2522 "GET /" HTTP/1\.1" 403 `),
		TrapCloudFrontOAI:           regexp.MustCompile(`\] \S+ arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E[0-9A-Z]+ \S+ REST\.`),
		TrapChecksumOperation:       regexp.MustCompile(` S3\.COMPUTE\.OBJECT\.CHECKSUM `),
		TrapUUIDRequestID:           regexp.MustCompile(` [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} REST\.`),
		TrapIPv6:                    regexp.MustCompile(`\] [0-9a-f]+:[0-9a-f:]+ `),
		TrapHugeSize:                regexp.MustCompile(` 20[06] - \d{10,12} \d{10,12} `),
		TrapDoubleEncodedKey:        regexp.MustCompile(` reports/run%253D\d+/summary\+\w+\.csv "GET /\S*reports/run%3D\d+/summary%20\w+\.csv\S* HTTP/1\.[01]"`),
		TrapHostIDTwoTokens:         regexp.MustCompile(` [A-Za-z0-9+/]{40} [A-Za-z0-9+/]{35}= (SigV[24]|-) `),
	}
	for _, rate := range []float64{0.01, 0.1} {
		cfg := Config{Seed: 9, Objects: 20, LinesPerObject: 1000, TrapRate: rate}
		n, got := 0, 0
		err := Generate(cfg, func(o Object) error {
			for i := range o.Records {
				r := &o.Records[i]
				n++
				if r.Trap == TrapNone {
					continue
				}
				got++
				line := r.AppendLine(nil)
				if !marks[r.Trap].Match(line) {
					t.Errorf("trap %v not visible in\n%s", r.Trap, line)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Binomial: allow 5 standard deviations.
		exp := rate * float64(n)
		if d := math.Abs(float64(got) - exp); d > 5*math.Sqrt(exp) {
			t.Errorf("rate %v: %d trap lines of %d, expected about %.0f", rate, got, n, exp)
		}
	}
	objs, err := All(Config{Seed: 9, Objects: 5, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		for _, r := range o.Records {
			if r.Trap != TrapNone {
				t.Fatalf("trap %v with TrapRate < 0", r.Trap)
			}
		}
	}
}

func TestAppendLine(t *testing.T) {
	owner := "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	tm := time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC)
	f := func(r Record, want string) {
		t.Helper()
		r.BucketOwner, r.Bucket, r.Time = owner, "b", tm
		if got := string(r.AppendLine(nil)); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
	pre := owner + " b [06/Feb/2019:00:00:38 +0000] "
	f(Record{RemoteIP: "192.0.2.3", Requester: owner, RequestID: "3E57427F3EXAMPLE", Operation: "REST.GET.VERSIONING",
		RequestURI: "GET /b?versioning HTTP/1.1", HTTPStatus: 200, BytesSent: 113, ObjectSize: Null, TotalTime: 7, TurnAroundTime: Null,
		UserAgent: "S3Console/0.4", NumFields: 18},
		pre+`192.0.2.3 `+owner+` 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /b?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -`)
	f(Record{RemoteIP: "1.2.3.4", Requester: "arn:aws:iam::1:user/u", RequestID: "X", Operation: "REST.COPY.OBJECT_GET", Key: "a/b",
		HTTPStatus: 200, BytesSent: Null, ObjectSize: 351400, TotalTime: Null, TurnAroundTime: Null, HostID: "h=", SigV: "SigV4",
		CipherSuite: "c", AuthType: "AuthHeader", HostHeader: "b.s3.amazonaws.com", TLSVersion: "TLSv1.2", NumFields: 24},
		pre+`1.2.3.4 arn:aws:iam::1:user/u X REST.COPY.OBJECT_GET a/b - 200 - - 351400 - - - - - h= SigV4 c AuthHeader b.s3.amazonaws.com TLSv1.2`)
	f(Record{Requester: "AmazonS3", RequestID: "Y", Operation: "S3.EXPIRE.OBJECT", Key: "k", HTTPStatus: Null, BytesSent: Null,
		ObjectSize: 317, TotalTime: Null, TurnAroundTime: Null, VersionID: "v", HostID: "h", NumFields: 26},
		pre+`- AmazonS3 Y S3.EXPIRE.OBJECT k "-" - - - 317 - - "-" "-" v h - - - - - - -`)
	f(Record{RemoteIP: "1.2.3.4", RequestID: "Z", Operation: "REST.GET.OBJECT", Key: "k", RequestURI: "GET /k HTTP/1.1",
		HTTPStatus: 206, BytesSent: 9898557440, ObjectSize: 11674111891, TotalTime: 251695, TurnAroundTime: 178,
		Referer: "r", UserAgent: `"x"`, SourceRegion: "us-east-1", NumFields: 27},
		pre+`1.2.3.4 - Z REST.GET.OBJECT k "GET /k HTTP/1.1" 206 - 9898557440 11674111891 251695 178 "r" ""x"" - - - - - - - - - us-east-1`)
	f(Record{RemoteIP: "1.2.3.4", RequestID: "Z", Operation: "REST.GET.OBJECT", HTTPStatus: 200, BytesSent: 1, ObjectSize: 1,
		TotalTime: 1, TurnAroundTime: 1, UserAgent: "Mozilla/4.0", NumFields: 17},
		pre+`1.2.3.4 - Z REST.GET.OBJECT - "-" 200 - 1 1 1 1 "-" "Mozilla/4.0"`)
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Seed: 11, Objects: 7, LinesPerObject: 20, Layout: Partitioned, PartitionDate: DeliveryTime,
		Prefix: "logs/", Buckets: []string{"one", "two"}}
	sum, err := WriteDir(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lines, size int64
	for _, o := range objs {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(o.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, o.Bytes()) || bytes.Count(b, []byte{'\n'}) != len(o.Records) {
			t.Errorf("%s: content differs from Object.Bytes", o.Key)
		}
		lines += int64(len(o.Records))
		size += int64(len(b))
	}
	if sum.Objects != 7 || sum.Lines != lines || sum.Bytes != size {
		t.Errorf("summary %+v, want 7 objects, %d lines, %d bytes", sum, lines, size)
	}
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
			if strings.HasPrefix(d.Name(), ".") {
				t.Errorf("temporary file left: %s", path)
			}
		}
		return nil
	})
	if files != 7 {
		t.Errorf("%d files, want 7", files)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteDir(ctx, cfg, t.TempDir()); err == nil {
		t.Error("WriteDir with a cancelled context succeeded")
	}
	if err := WriteFile(dir, "../escape", nil); err == nil {
		t.Error("WriteFile outside dir succeeded")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Objects: -1},
		{Span: -time.Hour},
		{Buckets: []string{"has space"}},
		{TrapRate: 2},
		{Start: date(1999, 1, 1)},
	} {
		if err := Generate(c, func(Object) error { return nil }); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func BenchmarkBlock(b *testing.B) {
	b.ReportAllocs()
	const size = 4 << 20
	b.SetBytes(size)
	for b.Loop() {
		Block(1, size)
	}
}

func BenchmarkAppendLine(b *testing.B) {
	objs, err := All(Config{Seed: 1, Objects: 1, LinesPerObject: 1000})
	if err != nil {
		b.Fatal(err)
	}
	recs := objs[0].Records
	n := len(objs[0].Bytes())
	b.ReportAllocs()
	b.SetBytes(int64(n))
	buf := make([]byte, 0, 2*n)
	for b.Loop() {
		buf = buf[:0]
		for i := range recs {
			buf = recs[i].AppendLine(buf)
			buf = append(buf, '\n')
		}
	}
}
