package lake

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// athenaRow is a row of a CTAS from AWS's documented Athena table for S3
// server access logs: every column STRING (the time as logged, "-" for an
// absent value), named as that table names them (bucket_name).
type athenaRow struct {
	BucketOwner    string `parquet:"bucketowner"`
	Bucket         string `parquet:"bucket_name"`
	RequestTime    string `parquet:"requestdatetime"`
	RemoteIP       string `parquet:"remoteip"`
	Requester      string `parquet:"requester"`
	RequestID      string `parquet:"requestid"`
	Operation      string `parquet:"operation"`
	Key            string `parquet:"key"`
	RequestURI     string `parquet:"request_uri"`
	HTTPStatus     string `parquet:"httpstatus"`
	ErrorCode      string `parquet:"errorcode"`
	BytesSent      string `parquet:"bytessent"`
	ObjectSize     string `parquet:"objectsize"`
	TotalTime      string `parquet:"totaltime"`
	TurnAroundTime string `parquet:"turnaroundtime"`
	Referrer       string `parquet:"referrer"`
	UserAgent      string `parquet:"useragent"`
	VersionID      string `parquet:"versionid"`
	HostID         string `parquet:"hostid"`
	SigV           string `parquet:"sigv"`
	CipherSuite    string `parquet:"ciphersuite"`
	AuthType       string `parquet:"authtype"`
	Endpoint       string `parquet:"endpoint"`
	TLSVersion     string `parquet:"tlsversion"`
	AccessPointARN string `parquet:"accesspointarn"`
	ACLRequired    string `parquet:"aclrequired"`
	SourceRegion   string `parquet:"sourceregion"`
}

// typedRow is a row with typed columns as another engine writes them:
// optional values, a millisecond TIMESTAMP, names in mixed case, and the
// request line's parts as columns of their own.
type typedRow struct {
	BucketOwner    *string   `parquet:"BucketOwner,optional"`
	Bucket         *string   `parquet:"Bucket,optional"`
	RequestTime    time.Time `parquet:"RequestDateTime,timestamp(millisecond)"`
	RemoteIP       *string   `parquet:"RemoteIP,optional"`
	Requester      *string   `parquet:"Requester,optional"`
	RequestID      *string   `parquet:"RequestID,optional"`
	Operation      *string   `parquet:"Operation,optional"`
	Key            *string   `parquet:"Key,optional"`
	Method         *string   `parquet:"requesturi_operation,optional"`
	Target         *string   `parquet:"requesturi_key,optional"`
	Proto          *string   `parquet:"requesturi_httpprotoversion,optional"`
	HTTPStatus     *int32    `parquet:"HTTPStatus,optional"`
	ErrorCode      *string   `parquet:"ErrorCode,optional"`
	BytesSent      *int64    `parquet:"BytesSent,optional"`
	ObjectSize     *int64    `parquet:"ObjectSize,optional"`
	TotalTime      *int64    `parquet:"TotalTime,optional"`
	TurnAroundTime *int64    `parquet:"TurnAroundTime,optional"`
	Referrer       *string   `parquet:"Referrer,optional"`
	UserAgent      *string   `parquet:"UserAgent,optional"`
	VersionID      *string   `parquet:"VersionId,optional"`
	HostID         *string   `parquet:"HostId,optional"`
	SigV           *string   `parquet:"SigV,optional"`
	CipherSuite    *string   `parquet:"CipherSuite,optional"`
	AuthType       *string   `parquet:"AuthType,optional"`
	Endpoint       *string   `parquet:"HostHeader,optional"`
	TLSVersion     *string   `parquet:"TLSVersion,optional"`
	AccessPointARN *string   `parquet:"AccessPointArn,optional"`
	ACLRequired    *string   `parquet:"AclRequired,optional"`
	SourceRegion   *string   `parquet:"SourceRegion,optional"`
}

// hiveRow has the request time as Hive's INT96 and the request line
// whole.
type hiveRow struct {
	RequestTime deprecated.Int96 `parquet:"requestdatetime"`
	Operation   string           `parquet:"operation"`
	RequestURI  string           `parquet:"request_uri"`
	HTTPStatus  *int64           `parquet:"httpstatus,optional"`
	Key         string           `parquet:"key"`
}

func dashed(r *gen.Record, f parse.Field) string {
	if v, ok := r.Value(f); ok {
		return v
	}
	return "-"
}

func opt(r *gen.Record, f parse.Field) *string {
	if v, ok := r.Value(f); ok {
		return &v
	}
	return nil
}

func optInt[T int32 | int64](r *gen.Record, f parse.Field) *T {
	if v, ok := r.Int(f); ok {
		x := T(v)
		return &x
	}
	return nil
}

func int96(t time.Time) deprecated.Int96 {
	days := t.Unix()/86400 + 2440588
	nanos := uint64(t.Unix()%86400) * 1e9
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(days)}
}

func writeParquet[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pq.NewGenericWriter[T](f, pq.MaxRowsPerRowGroup(300))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// tableRows reads src (log text or converted output) with a collector
// over the columns given (nil: every column but log_object and log_line),
// and returns the rows without those two, sorted.
func tableRows(t *testing.T, src string, cols []string) ([]string, error) {
	t.Helper()
	used := make([]bool, len(schema.Columns))
	for i, c := range schema.Columns {
		used[i] = cols == nil && c.Source != schema.FromObject && c.Source != schema.FromLine || slices.Contains(cols, c.Name)
	}
	c := newCollector()
	c.skipOrigin = true
	c.used = used
	if _, err := Run(context.Background(), pipeline.Config{}, []string{src}, c, Scan{Columns: used, TimeText: true}); err != nil {
		return nil, err
	}
	rows := slices.Clone(c.list)
	slices.Sort(rows)
	return rows, nil
}

// TestForeignParquet reads Parquet written by another writer (parquet-go)
// in the shapes other engines give the same table — Athena's all-string
// CTAS of AWS's table, typed columns with a millisecond timestamp and
// mixed-case names, Hive's INT96 times — from files whose names say
// nothing, and checks every column against the text of the same records.
func TestForeignParquet(t *testing.T) {
	objs, err := gen.All(gen.Config{Seed: 11, Objects: 6, LinesPerObject: 250, TrapRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	var recs []gen.Record
	for _, o := range objs {
		recs = append(recs, o.Records...)
		if err := os.WriteFile(filepath.Join(logs, filepath.Base(o.Key)), o.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var athena []athenaRow
	var typed []typedRow
	var hive []hiveRow
	for i := range recs {
		r := &recs[i]
		d := func(f parse.Field) string { return dashed(r, f) }
		athena = append(athena, athenaRow{d(parse.BucketOwner), d(parse.Bucket), d(parse.Time), d(parse.RemoteIP), d(parse.Requester),
			d(parse.RequestID), d(parse.Operation), d(parse.Key), d(parse.RequestURI), d(parse.HTTPStatus), d(parse.ErrorCode),
			d(parse.BytesSent), d(parse.ObjectSize), d(parse.TotalTime), d(parse.TurnAroundTime), d(parse.Referer), d(parse.UserAgent),
			d(parse.VersionID), d(parse.HostID), d(parse.SigV), d(parse.CipherSuite), d(parse.AuthType), d(parse.HostHeader),
			d(parse.TLSVersion), d(parse.AccessPointARN), d(parse.ACLRequired), d(parse.SourceRegion)})
		o := func(f parse.Field) *string { return opt(r, f) }
		var m, tg, p *string
		if v, ok := r.Value(parse.RequestURI); ok {
			parts := strings.Split(v, " ")
			m = &parts[0]
			if len(parts) > 1 {
				x := strings.Join(parts[1:len(parts)-1], " ")
				if !strings.HasPrefix(parts[len(parts)-1], "HTTP/") {
					x = strings.Join(parts[1:], " ")
				} else {
					p = &parts[len(parts)-1]
				}
				tg = &x
			}
		}
		typed = append(typed, typedRow{o(parse.BucketOwner), o(parse.Bucket), r.Time, o(parse.RemoteIP), o(parse.Requester),
			o(parse.RequestID), o(parse.Operation), o(parse.Key), m, tg, p, optInt[int32](r, parse.HTTPStatus), o(parse.ErrorCode),
			optInt[int64](r, parse.BytesSent), optInt[int64](r, parse.ObjectSize), optInt[int64](r, parse.TotalTime),
			optInt[int64](r, parse.TurnAroundTime), o(parse.Referer), o(parse.UserAgent), o(parse.VersionID), o(parse.HostID),
			o(parse.SigV), o(parse.CipherSuite), o(parse.AuthType), o(parse.HostHeader), o(parse.TLSVersion),
			o(parse.AccessPointARN), o(parse.ACLRequired), o(parse.SourceRegion)})
		hive = append(hive, hiveRow{int96(r.Time), d(parse.Operation), d(parse.RequestURI), optInt[int64](r, parse.HTTPStatus), d(parse.Key)})
	}
	for _, tc := range []struct {
		name  string
		write func(path string)
		cols  []string
	}{
		{"athena-ctas", func(p string) { writeParquet(t, p, athena) }, nil},
		{"typed", func(p string) { writeParquet(t, p, typed) }, columnsBut("request_uri", "log_object", "log_line")},
		{"hive-int96", func(p string) { writeParquet(t, p, hive) },
			[]string{"requestdatetime", "operation", "request_uri", "requesturi_key", "httpstatus", "key", "timestamp", "dt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			os.MkdirAll(out, 0o755)
			tc.write(filepath.Join(out, "part-00000")) // no extension: the content says Parquet
			want, err := tableRows(t, logs, tc.cols)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tableRows(t, out, tc.cols)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 1000 || !slices.Equal(got, want) {
				t.Errorf("%d rows from the file, %d from the text; first difference:\n%s", len(got), len(want), firstDiff(got, want))
			}
		})
	}

	// A column the query reads that the file does not have is an error
	// that names it and the file.
	_, err = tableRows(t, filepath.Join(dir, "hive-int96"), []string{"useragent", "key"})
	if err == nil || !strings.Contains(err.Error(), `no column "useragent", which the query reads`) || !strings.Contains(err.Error(), "part-00000") {
		t.Errorf("reading a missing column: %v", err)
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "file: " + got[i] + "\ntext: " + want[i]
		}
	}
	return ""
}

// columnsBut names every column but those given.
func columnsBut(but ...string) []string {
	var out []string
	for _, c := range schema.Columns {
		if !slices.Contains(but, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}
