package pipeline

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3logs/s3logs/internal/rangeio"
)

// S3 Inventory as a source (SPEC §7). A report is a manifest.json naming
// its data files in the destination bucket:
//
//	{"sourceBucket": "logs", "destinationBucket": "arn:aws:s3:::inv",
//	 "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, ...",
//	 "files": [{"key": "inv/logs/cfg/data/....csv.gz", "size": 123, "MD5checksum": "..."}]}
//
// CSV files are gzipped, without a header, their columns those of
// fileSchema, keys URL-encoded (a space as "+"). Parquet files have
// columns bucket, key, size, is_latest, is_delete_marker, ... and plain
// keys. A report with versions lists every version: only the latest,
// not a delete marker, is read. ORC reports are not supported.

// inventoryStore lists one S3 source from an inventory report: the rows
// of the source's bucket under its prefix, without any LIST request.
// Objects are read as the wrapped s3Store reads them.
type inventoryStore struct {
	*s3Store
	url     string // the manifest's s3:// URL
	format  string // "csv" or "parquet"
	columns map[string]int
	filesIn string // the bucket holding the data files
	files   []inventoryFile
}

type inventoryFile struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

type inventoryManifest struct {
	SourceBucket      string          `json:"sourceBucket"`
	DestinationBucket string          `json:"destinationBucket"`
	FileFormat        string          `json:"fileFormat"`
	FileSchema        string          `json:"fileSchema"`
	Files             []inventoryFile `json:"files"`
}

// ErrInventory marks an inventory report that cannot be used.
var ErrInventory = errors.New("bad inventory")

func newInventoryStore(ctx context.Context, s *s3Store, manifestURL string) (*inventoryStore, error) {
	bucket, key, err := ParseS3URL(manifestURL)
	if err != nil {
		return nil, fmt.Errorf("--inventory: %w", err)
	}
	data, err := s.getAll(ctx, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", manifestURL, err)
	}
	var m inventoryManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("inventory %s: %w: manifest: %v", manifestURL, ErrInventory, err)
	}
	inv := &inventoryStore{s3Store: s, url: manifestURL, files: m.Files, filesIn: bucket}
	if arn, ok := strings.CutPrefix(m.DestinationBucket, "arn:aws:s3:::"); ok && arn != "" {
		inv.filesIn = arn
	}
	if m.SourceBucket != s.bucket {
		return nil, fmt.Errorf("inventory %s: %w: it lists bucket %q, not the source's %q", manifestURL, ErrInventory, m.SourceBucket, s.bucket)
	}
	switch strings.ToLower(m.FileFormat) {
	case "csv":
		inv.format = "csv"
		inv.columns = map[string]int{}
		for i, c := range strings.Split(m.FileSchema, ",") {
			inv.columns[strings.ToLower(strings.TrimSpace(c))] = i
		}
		for _, c := range []string{"bucket", "key"} {
			if _, ok := inv.columns[c]; !ok {
				return nil, fmt.Errorf("inventory %s: %w: fileSchema %q has no %s column", manifestURL, ErrInventory, m.FileSchema, c)
			}
		}
	case "parquet":
		inv.format = "parquet"
	default:
		return nil, fmt.Errorf("inventory %s: %w: format %q is not supported (use CSV or Parquet)", manifestURL, ErrInventory, m.FileFormat)
	}
	return inv, nil
}

// inventoryRow is one row of a report.
type inventoryRow struct {
	bucket, key string
	size        int64 // -1 unknown
	skip        bool  // not the latest version, or a delete marker
}

func (inv *inventoryStore) listParallel(ctx context.Context, l *listing) error {
	q := newTaskQueue()
	for _, f := range inv.files {
		q.push(func(ctx context.Context) error { return inv.readFile(ctx, f, l) })
	}
	return q.run(ctx, l.listers)
}

func (inv *inventoryStore) list(ctx context.Context, w Window, lateness time.Duration, out func(Object) error) error {
	return listUnsharded(ctx, inv, w, lateness, out)
}

// readFile emits the rows of one data file that belong to the source.
func (inv *inventoryStore) readFile(ctx context.Context, f inventoryFile, l *listing) error {
	row := func(r inventoryRow) error {
		if r.skip || r.bucket != inv.bucket || !strings.HasPrefix(r.key, inv.prefix) {
			return nil
		}
		o := Object{Name: r.key, Size: r.size}
		o.Key, _ = ObjectKey(r.key)
		return l.emit(o, false)
	}
	var err error
	if inv.format == "csv" {
		err = inv.readCSV(ctx, f, row)
	} else {
		err = inv.readParquet(ctx, f, row)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("inventory %s: s3://%s/%s: %w", inv.url, inv.filesIn, f.Key, err)
	}
	return err
}

// readCSV streams a gzipped CSV data file. A failed read starts the file
// again, skipping the rows already emitted.
func (inv *inventoryStore) readCSV(ctx context.Context, f inventoryFile, row func(inventoryRow) error) error {
	col := func(name string) int {
		if i, ok := inv.columns[name]; ok {
			return i
		}
		return -1
	}
	cb, ck, cs, cl, cd := col("bucket"), col("key"), col("size"), col("islatest"), col("isdeletemarker")
	done := 0 // rows emitted by earlier attempts
	return inv.do(ctx, func(ctx context.Context) error {
		out, err := inv.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &inv.filesIn, Key: &f.Key})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		zr, err := gzip.NewReader(bufio.NewReaderSize(out.Body, 64<<10))
		if errors.Is(err, gzip.ErrHeader) {
			return fmt.Errorf("%w: %v", ErrInventory, err)
		}
		if err != nil {
			return err
		}
		cr := csv.NewReader(zr)
		cr.ReuseRecord = true
		cr.FieldsPerRecord = -1
		for n := 0; ; n++ {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return fmt.Errorf("%w: %v", ErrInventory, err)
				}
				return err // a read error: retried
			}
			if n < done {
				continue
			}
			done++
			if len(rec) <= max(cb, ck) {
				return fmt.Errorf("%w: line %d has %d fields", ErrInventory, n+1, len(rec))
			}
			key, err := url.QueryUnescape(rec[ck])
			if err != nil {
				return fmt.Errorf("%w: line %d: key %q: %v", ErrInventory, n+1, rec[ck], err)
			}
			r := inventoryRow{bucket: rec[cb], key: key, size: -1}
			if cs >= 0 && cs < len(rec) && rec[cs] != "" {
				if r.size, err = strconv.ParseInt(rec[cs], 10, 64); err != nil {
					r.size = -1
				}
			}
			r.skip = cl >= 0 && cl < len(rec) && strings.EqualFold(rec[cl], "false") ||
				cd >= 0 && cd < len(rec) && strings.EqualFold(rec[cd], "true")
			if err := row(r); err != nil {
				return err
			}
		}
	})
}

// readParquet reads the bucket, key, size and version columns of a
// Parquet data file with ranged GETs: the footer, then each row group's
// column chunks, through arrow-go's column chunk readers (not pqarrow,
// whose imports would link gRPC into the binary).
func (inv *inventoryStore) readParquet(ctx context.Context, f inventoryFile, row func(inventoryRow) error) error {
	ra := &rangeio.Reader{Size: f.Size, Fill: func(p []byte, off int64) error {
		return inv.getRange(ctx, inv.filesIn, f.Key, p, off)
	}}
	if ra.Size <= 0 {
		return fmt.Errorf("%w: the manifest gives no size", ErrInventory)
	}
	pf, err := file.NewParquetReader(ra)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInventory, err)
	}
	defer pf.Close()
	sc := pf.MetaData().Schema
	var cols [invColumnCount]int // leaf index of each column read, -1 for none
	for c, n := range invNames {
		cols[c] = sc.ColumnIndexByName(n)
	}
	for _, c := range []int{invBucket, invKey} {
		if cols[c] < 0 {
			return fmt.Errorf("%w: no %s column", ErrInventory, invNames[c])
		}
		if d := sc.Column(cols[c]); d.PhysicalType() != parquet.Types.ByteArray || d.MaxRepetitionLevel() > 0 {
			return fmt.Errorf("%w: bucket and key must be strings", ErrInventory)
		}
	}
	// The other columns are read if they have the type S3 writes (the
	// types pqarrow read as int64 and bool), else ignored: size an INT64,
	// plain or a signed 64-bit INT, the flags BOOLEAN.
	for _, c := range []int{invSize, invLatest, invDeleted} {
		if cols[c] < 0 {
			continue
		}
		d := sc.Column(cols[c])
		lt := d.LogicalType()
		ok := d.MaxRepetitionLevel() == 0
		if c == invSize {
			ok = ok && d.PhysicalType() == parquet.Types.Int64 &&
				(lt == nil || lt.Equals(schema.NoLogicalType{}) || lt.Equals(schema.NewIntLogicalType(64, true)))
		} else {
			ok = ok && d.PhysicalType() == parquet.Types.Boolean
		}
		if !ok {
			cols[c] = -1
		}
	}
	var r invColumns
	for g := range pf.NumRowGroups() {
		rg := pf.RowGroup(g)
		for c, i := range cols {
			if i < 0 {
				continue
			}
			if r.readers[c], err = rg.Column(i); err != nil {
				return fmt.Errorf("%w: %v", ErrInventory, err)
			}
		}
		if err := r.rowGroup(row); err != nil {
			return err
		}
	}
	return nil
}

// The columns of a Parquet inventory file that are read, indexes of
// invNames and of invColumns' arrays.
const (
	invBucket = iota
	invKey
	invSize
	invLatest
	invDeleted
	invColumnCount
)

var invNames = [invColumnCount]string{"bucket", "key", "size", "is_latest", "is_delete_marker"}

// invBatch is how many rows of a row group are read at once.
const invBatch = 64 << 10

// invColumns reads the columns of a Parquet inventory file a batch of
// rows at a time, each column through its column chunk reader, and
// reassembles the rows. readers[c] is nil for a column not read.
type invColumns struct {
	readers [invColumnCount]file.ColumnChunkReader
	defs    [invColumnCount][]int16
	strs    [2][]parquet.ByteArray
	ints    []int64
	bools   [2][]bool
}

// rowGroup emits the rows of the row group whose column readers are in
// c.readers.
func (c *invColumns) rowGroup(row func(inventoryRow) error) error {
	for {
		n := int64(-1)
		for i, cr := range c.readers {
			if cr == nil {
				continue
			}
			if c.defs[i] == nil {
				c.defs[i] = make([]int16, invBatch)
			}
			var got int64
			var err error
			switch r := cr.(type) {
			case *file.ByteArrayColumnChunkReader:
				if c.strs[i] == nil {
					c.strs[i] = make([]parquet.ByteArray, invBatch)
				}
				got, _, err = r.ReadBatch(invBatch, c.strs[i], c.defs[i], nil)
			case *file.Int64ColumnChunkReader:
				if c.ints == nil {
					c.ints = make([]int64, invBatch)
				}
				got, _, err = r.ReadBatch(invBatch, c.ints, c.defs[i], nil)
			case *file.BooleanColumnChunkReader:
				k := i - invLatest
				if c.bools[k] == nil {
					c.bools[k] = make([]bool, invBatch)
				}
				got, _, err = r.ReadBatch(invBatch, c.bools[k], c.defs[i], nil)
			}
			if err != nil {
				return err
			}
			if n >= 0 && got != n {
				return fmt.Errorf("%w: a row group's columns have different numbers of rows", ErrInventory)
			}
			n = got
		}
		if n <= 0 {
			return nil
		}
		// vi[i] is the index of column i's next value: its values are
		// those of its rows that are not NULL.
		var vi [invColumnCount]int
		present := func(i, j int) bool {
			if c.readers[i] == nil {
				return false
			}
			if c.defs[i][j] < c.readers[i].Descriptor().MaxDefinitionLevel() {
				return false
			}
			vi[i]++
			return true
		}
		for j := range int(n) {
			r := inventoryRow{size: -1}
			if present(invBucket, j) {
				r.bucket = string(c.strs[invBucket][vi[invBucket]-1])
			}
			if present(invKey, j) {
				r.key = string(c.strs[invKey][vi[invKey]-1])
			}
			if present(invSize, j) {
				r.size = c.ints[vi[invSize]-1]
			}
			r.skip = present(invLatest, j) && !c.bools[0][vi[invLatest]-1]
			if present(invDeleted, j) && c.bools[1][vi[invDeleted]-1] {
				r.skip = true
			}
			if err := row(r); err != nil {
				return err
			}
		}
	}
}

// getAll reads a whole (small) object, retried.
func (s *s3Store) getAll(ctx context.Context, bucket, key string) ([]byte, error) {
	var data []byte
	err := s.do(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		data, err = io.ReadAll(out.Body)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("GET s3://%s/%s: %w", bucket, key, err)
	}
	return data, nil
}

// getRange reads len(p) bytes of s3://bucket/key at off with one ranged
// GET, under the store's retries.
func (s *s3Store) getRange(ctx context.Context, bucket, key string, p []byte, off int64) error {
	err := s.do(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key,
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if _, err := io.ReadFull(out.Body, p); err != nil {
			if errors.Is(err, io.EOF) {
				return errShortBody
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("GET s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
