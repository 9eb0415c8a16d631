package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
)

// invRow is one row of a generated inventory report.
type invRow struct {
	bucket, key, version string
	size                 int64
	latest, deleteMarker bool
}

// inventoryRows returns the rows S3 would report for objs under prefix of
// bucket, with an old version of some keys and delete markers of keys that
// no longer exist, which a reader must skip (their GETs would fail).
func inventoryRows(bucket, prefix string, objs []testObject) []invRow {
	var rows []invRow
	for i, o := range objs {
		rows = append(rows, invRow{bucket: bucket, key: prefix + o.key, version: fmt.Sprintf("v%d", i), size: int64(len(o.data())), latest: true})
		if i%7 == 0 {
			rows = append(rows, invRow{bucket: bucket, key: prefix + o.key, version: fmt.Sprintf("old%d", i), size: 1, latest: false})
		}
		if i%11 == 0 {
			rows = append(rows, invRow{bucket: bucket, key: prefix + "gone-" + o.key, version: fmt.Sprintf("dm%d", i), latest: true, deleteMarker: true})
		}
	}
	// A key of another prefix, and one of another bucket: not the source's.
	rows = append(rows, invRow{bucket: bucket, key: "elsewhere/2024-03-02-00-00-00-AAAA", size: 10, latest: true},
		invRow{bucket: "other-bucket", key: prefix + "2024-03-02-00-00-00-BBBB", size: 10, latest: true})
	// Reports are not sorted.
	sort.Slice(rows, func(i, j int) bool { return rows[i].version+rows[i].key > rows[j].version+rows[j].key })
	return rows
}

// csvInventory writes rows as S3 does: gzipped CSV without a header, every
// field quoted, the key URL-encoded with a space as "+".
func csvInventory(t *testing.T, rows []invRow) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, r := range rows {
		size := fmt.Sprint(r.size)
		if r.deleteMarker {
			size = ""
		}
		if err := s3test.WriteInventoryCSV(zw, r.bucket, url.QueryEscape(r.key), r.version, fmt.Sprint(r.latest), fmt.Sprint(r.deleteMarker), size,
			"2024-03-07T00:00:00.000Z", "0123456789abcdef", "STANDARD"); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const csvSchema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"

// pqInventoryRow has the columns of S3's Parquet inventory schema.
type pqInventoryRow struct {
	Bucket         string  `parquet:"bucket"`
	Key            string  `parquet:"key"`
	VersionID      *string `parquet:"version_id,optional"`
	IsLatest       *bool   `parquet:"is_latest,optional"`
	IsDeleteMarker *bool   `parquet:"is_delete_marker,optional"`
	Size           *int64  `parquet:"size,optional"`
	LastModified   *int64  `parquet:"last_modified_date,optional,timestamp(millisecond)"`
	StorageClass   *string `parquet:"storage_class,optional"`
}

// parquetInventory writes rows as a Snappy-compressed Parquet file (with
// parquet-go, not the reader under test), in several row groups.
func parquetInventory(t *testing.T, rows []invRow) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pq.NewGenericWriter[pqInventoryRow](&b, pq.Compression(&pq.Snappy), pq.MaxRowsPerRowGroup(700))
	ms := time.Date(2024, 3, 7, 0, 0, 0, 0, time.UTC).UnixMilli()
	sc := "STANDARD"
	for _, r := range rows {
		row := pqInventoryRow{Bucket: r.bucket, Key: r.key, VersionID: &r.version, IsLatest: &r.latest,
			IsDeleteMarker: &r.deleteMarker, LastModified: &ms, StorageClass: &sc}
		if !r.deleteMarker {
			row.Size = &r.size
		}
		if _, err := w.Write([]pqInventoryRow{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// putInventory uploads a report of rows in nfiles data files to
// s3://invBucket/inv/<source>/<format>/ and returns its manifest's URL.
func putInventory(t *testing.T, ep, invBucket, source, format string, rows []invRow, nfiles int) string {
	t.Helper()
	ctx := context.Background()
	u, err := NewUploader(ctx, awsconf.Options{Endpoint: ep}, "s3://"+invBucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	dir := "inv/" + source + "/" + format + "/"
	var files []s3test.InventoryFile
	for i := range nfiles {
		part := rows[i*len(rows)/nfiles : (i+1)*len(rows)/nfiles]
		var data []byte
		key := fmt.Sprintf("%sdata/%08d-%s", dir, i, format)
		if format == "CSV" {
			data, key = csvInventory(t, part), key+".csv.gz"
		} else {
			data, key = parquetInventory(t, part), key+".parquet"
		}
		if err := u.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
		files = append(files, s3test.InventoryFile{Key: key, Size: len(data), MD5: "0"})
	}
	schema := csvSchema
	if format == "Parquet" {
		schema = "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional binary version_id (UTF8); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary storage_class (UTF8); }"
	}
	return putManifest(t, u, invBucket, dir, source, format, schema, files)
}

// putManifest uploads the manifest of a report whose data files are
// uploaded, under dir of invBucket, and returns its URL.
func putManifest(t *testing.T, u *Uploader, invBucket, dir, source, format, schema string, files []s3test.InventoryFile) string {
	t.Helper()
	m, err := s3test.InventoryManifest(source, invBucket, format, schema, files)
	if err != nil {
		t.Fatal(err)
	}
	key := dir + "2024-03-07T00-00Z/manifest.json"
	if err := u.Put(context.Background(), key, m); err != nil {
		t.Fatal(err)
	}
	return "s3://" + invBucket + "/" + key
}

// writeParquet writes rows with parquet-go (not the reader under test), in
// row groups of 300 rows.
func writeParquet[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pq.NewGenericWriter[T](&b, pq.MaxRowsPerRowGroup(300))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInventoryParquetColumns reads Parquet reports whose columns are not
// typed as S3 writes them: required flags and size are read as S3's
// optional ones are; a size or flag column of another type is ignored (the
// row is read, its size unknown), as is a column in a group; bucket or key
// missing, or not strings, is an error that says so.
func TestInventoryParquetColumns(t *testing.T) {
	ep := s3test.Endpoint(t, nil)
	stamp := time.Now().UnixNano()
	bucket, invBucket := fmt.Sprintf("s3logs-invcol-%d", stamp), fmt.Sprintf("s3logs-invc-%d", stamp)
	objs := stampedObjects(700)
	upload(t, ep, "s3://"+bucket+"/logs/", objs)
	src := "s3://" + bucket + "/logs/"
	cfg := Config{AWS: awsconf.Options{Endpoint: ep}}
	want, _, err := collect(t, cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	u, err := NewUploader(context.Background(), awsconf.Options{Endpoint: ep}, "s3://"+invBucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	report := func(name string, data []byte) string {
		t.Helper()
		dir := "inv/" + name + "/"
		key := dir + "data/0.parquet"
		if err := u.Put(context.Background(), key, data); err != nil {
			t.Fatal(err)
		}
		return putManifest(t, u, invBucket, dir, bucket, "Parquet", "message s3.inventory {}",
			[]s3test.InventoryFile{{Key: key, Size: len(data), MD5: "0"}})
	}
	all := inventoryRows(bucket, "logs/", objs)

	// Required columns: old versions and delete markers still skipped.
	type required struct {
		Bucket         string `parquet:"bucket"`
		Key            string `parquet:"key"`
		IsLatest       bool   `parquet:"is_latest"`
		IsDeleteMarker bool   `parquet:"is_delete_marker"`
		Size           int64  `parquet:"size"`
	}
	var req []required
	for _, r := range all {
		req = append(req, required{r.bucket, r.key, r.latest, r.deleteMarker, r.size})
	}
	// NULL flags are read as neither an old version nor a delete marker:
	// a reader that took the values of the rows that have them for the
	// rows' own would skip the wrong rows.
	type nulls struct {
		Bucket         string `parquet:"bucket"`
		Key            string `parquet:"key"`
		IsLatest       *bool  `parquet:"is_latest,optional"`
		IsDeleteMarker *bool  `parquet:"is_delete_marker,optional"`
	}
	var nul []nulls
	for _, r := range all {
		n := nulls{Bucket: r.bucket, Key: r.key}
		if !r.latest {
			n.IsLatest = &r.latest
		}
		if r.deleteMarker {
			n.IsDeleteMarker = &r.deleteMarker
		}
		nul = append(nul, n)
	}
	// Other types (a uint64 size, string and int32 flags, a size in a
	// group) are ignored: only latest live objects are in these reports.
	type odd struct {
		Bucket         string `parquet:"bucket"`
		Key            string `parquet:"key"`
		IsLatest       string `parquet:"is_latest"`
		IsDeleteMarker int32  `parquet:"is_delete_marker"`
		Size           uint64 `parquet:"size"`
	}
	type grouped struct {
		Bucket string `parquet:"bucket"`
		Key    string `parquet:"key"`
		Meta   struct {
			Size int64 `parquet:"size"`
		} `parquet:"meta"`
	}
	var odds []odd
	var groups []grouped
	for _, r := range all {
		if r.latest && !r.deleteMarker {
			odds = append(odds, odd{r.bucket, r.key, "false", 1, uint64(r.size)})
			g := grouped{Bucket: r.bucket, Key: r.key}
			g.Meta.Size = r.size
			groups = append(groups, g)
		}
	}
	for name, data := range map[string][]byte{
		"required": writeParquet(t, req),
		"nulls":    writeParquet(t, nul),
		"odd":      writeParquet(t, odds),
		"grouped":  writeParquet(t, groups),
	} {
		c := cfg
		c.Inventory = report(name, data)
		got, _, err := collect(t, c, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameLines(t, name, got, want)
	}

	type noKey struct {
		Bucket string `parquet:"bucket"`
		Name   string `parquet:"name"`
	}
	type intKey struct {
		Bucket string `parquet:"bucket"`
		Key    int64  `parquet:"key"`
	}
	type listKey struct {
		Bucket string   `parquet:"bucket"`
		Key    []string `parquet:"key,list"`
	}
	for name, c := range map[string]struct {
		data []byte
		err  string
	}{
		"no key":   {writeParquet(t, []noKey{{bucket, "logs/x"}}), "no key column"},
		"int key":  {writeParquet(t, []intKey{{bucket, 1}}), "must be strings"},
		"list key": {writeParquet(t, []listKey{{bucket, []string{"logs/x"}}}), "no key column"},
	} {
		cf := cfg
		cf.Inventory = report(strings.ReplaceAll(name, " ", "-"), c.data)
		_, _, err := collect(t, cf, src)
		if err == nil || !errors.Is(err, ErrInventory) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want an inventory error saying %q", name, err, c.err)
		}
	}
}

// stampedObjects returns n log objects with keys of S3's layout, 7
// minutes apart from 2024-03-01.
func stampedObjects(n int) []testObject {
	var objs []testObject
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		objs = append(objs, makeObject(t0.Add(time.Duration(i)*7*time.Minute).Format(keyStamp)+fmt.Sprintf("-%016X", i), 1+i%3))
	}
	return objs
}

// TestInventory reads a source from generated S3 Inventory reports, CSV
// and Parquet, uploaded to the S3 server: the same lines as listing the
// prefix, shard by shard (so sharding and time pruning apply to the rows
// exactly as to listed keys), without one LIST request; versions that are
// not the latest, delete markers and rows of other prefixes or buckets are
// not read.
func TestInventory(t *testing.T) {
	var counter *s3test.Counter
	ep := s3test.Endpoint(t, func(h http.Handler) http.Handler {
		counter = s3test.NewCounter(h)
		return counter
	})
	stamp := time.Now().UnixNano()
	bucket, invBucket := fmt.Sprintf("s3logs-invsrc-%d", stamp), fmt.Sprintf("s3logs-inv-%d", stamp)
	objs := append(stampedObjects(1500), makeObject("notes/a b+c.txt", 2), makeObject("README", 1))
	upload(t, ep, "s3://"+bucket+"/logs/", objs)
	upload(t, ep, "s3://"+bucket+"/elsewhere/", []testObject{makeObject("2024-03-02-00-00-00-AAAA", 1)})
	rows := inventoryRows(bucket, "logs/", objs)
	src := "s3://" + bucket + "/logs/"
	reports := map[string]string{
		"CSV":     putInventory(t, ep, invBucket, bucket, "CSV", rows, 3),
		"Parquet": putInventory(t, ep, invBucket, bucket, "Parquet", rows, 2),
	}
	w := Window{From: time.Date(2024, 3, 2, 6, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		name   string
		w      Window
		shards int
	}{{"all", Window{}, 0}, {"window", w, 0}, {"4 shards", Window{}, 4}, {"window, 3 shards", w, 3}} {
		t.Run(c.name, func(t *testing.T) {
			base := Config{AWS: awsconf.Options{Endpoint: ep}, Window: c.w, Lateness: 2 * time.Hour}
			for shard := range max(c.shards, 1) {
				cfg := base
				cfg.Shard, cfg.Shards = shard, c.shards
				wantLines, stats, err := collect(t, cfg, src)
				if err != nil {
					t.Fatal(err)
				}
				if c.shards > 0 && stats.Read.Load() == 0 {
					t.Errorf("shard %d/%d read nothing", shard, c.shards)
				}
				for format, manifest := range reports {
					cfg.Inventory = manifest
					counter.Reset()
					got, _, err := collect(t, cfg, src)
					if err != nil {
						t.Fatalf("%s: %v", format, err)
					}
					sameLines(t, fmt.Sprintf("%s, shard %d", format, shard), got, wantLines)
					if n := counter.Counts(); n.Lists != 0 {
						t.Errorf("%s: %d LIST requests", format, n.Lists)
					}
				}
			}
		})
	}

	// The report must be of the source's bucket, and CSV or Parquet.
	_, _, err := collect(t, Config{AWS: awsconf.Options{Endpoint: ep}, Inventory: reports["CSV"]}, "s3://other-bucket/logs/")
	if err == nil || !strings.Contains(err.Error(), "not the source's") {
		t.Errorf("a report of another bucket: %v", err)
	}
	u, err := NewUploader(context.Background(), awsconf.Options{Endpoint: ep}, "s3://"+invBucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	orc := fmt.Sprintf(`{"sourceBucket": %q, "fileFormat": "ORC", "fileSchema": "struct<bucket:string,key:string>", "files": []}`, bucket)
	if err := u.Put(context.Background(), "orc/manifest.json", []byte(orc)); err != nil {
		t.Fatal(err)
	}
	_, _, err = collect(t, Config{AWS: awsconf.Options{Endpoint: ep}, Inventory: "s3://" + invBucket + "/orc/manifest.json"}, src)
	if err == nil || !strings.Contains(err.Error(), `"ORC" is not supported`) {
		t.Errorf("an ORC report: %v", err)
	}
}
