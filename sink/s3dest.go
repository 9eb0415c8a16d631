package sink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/awserr"
)

// S3PartSize is the part size of multipart uploads.
const S3PartSize = 16 << 20

// runsDir is where runs keep their heartbeats, under the prefix. The dot
// hides it from List and from Hive-style readers.
const runsDir = ".s3logs/runs/"

// S3Destination is an S3 prefix. Files are written locally (under the
// system temporary directory, in a run directory locked like a local
// destination's) and staged as multipart uploads, which S3 makes visible
// only when completed: Publish completes them, Discard aborts them. A run
// registers with a heartbeat object, <prefix>.s3logs/runs/<run>@<lease>,
// rewritten every quarter lease.
type S3Destination struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	tmp    runDirs
}

var _ Destination = (*S3Destination)(nil)

// NewS3Destination returns the destination for an s3://bucket/prefix/ URL,
// with a client built from o.
func NewS3Destination(ctx context.Context, loc string, o awsconf.Options) (*S3Destination, error) {
	cfg, err := awsconf.Load(ctx, o)
	if err != nil {
		return nil, err
	}
	return NewS3DestinationClient(awsconf.S3(cfg, o), loc)
}

// NewS3DestinationClient returns the destination for loc using client.
func NewS3DestinationClient(client *s3.Client, loc string) (*S3Destination, error) {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("bad S3 location %q (want s3://bucket/prefix/)", loc)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3Destination{client: client, bucket: u.Host, prefix: prefix,
		tmp: runDirs{root: s3RunRoot(aws.ToString(client.Options().BaseEndpoint), u.Host, prefix)}}, nil
}

// s3RunRoot is where runs into s3://bucket/prefix (at endpoint, "" for
// AWS) keep their staging on this machine: a directory per destination, so
// that a destination's runs are its own (another destination's dead run is
// cleaned by the next run into that one, and is never taken for a run of
// this one).
func s3RunRoot(endpoint, bucket, prefix string) string {
	h := sha256.Sum256([]byte(endpoint + " s3://" + bucket + "/" + prefix))
	return filepath.Join(os.TempDir(), "s3logs-convert", bucket+"-"+hex.EncodeToString(h[:6]))
}

// String returns the s3:// URL.
func (d *S3Destination) String() string { return "s3://" + d.bucket + "/" + d.prefix }

func (d *S3Destination) url(key string) string { return "s3://" + d.bucket + "/" + key }

func notFound(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf) || awserr.Status(err) == http.StatusNotFound
}

func heartbeatKey(run string, lease time.Duration) string {
	return runsDir + run + "@" + lease.String()
}

// Join registers run with a heartbeat and returns a local run directory.
func (d *S3Destination) Join(ctx context.Context, run string, lease time.Duration) (string, func(), error) {
	if lease <= 0 {
		return "", nil, fmt.Errorf("lease %v: must be positive", lease)
	}
	d.tmp.sweep()
	dir, releaseDir, err := d.tmp.join(run)
	if err != nil {
		return "", nil, err
	}
	key := d.prefix + heartbeatKey(run, lease)
	host, _ := os.Hostname()
	beat := func(ctx context.Context) error {
		body := fmt.Sprintf("host %s pid %d at %s\n", host, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
		_, err := d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: strings.NewReader(body)})
		return err
	}
	if err := beat(ctx); err != nil {
		releaseDir()
		return "", nil, fmt.Errorf("registering the run at %s: %w", d.url(key), err)
	}
	bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(lease/4, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-bctx.Done():
				return
			case <-t.C:
				// A missed beat is retried at the next tick; a run that
				// cannot beat for a whole lease is taken for dead, and
				// its commits are then refused (package convert).
				beat(bctx)
			}
		}
	}()
	release := func() {
		stop()
		wg.Wait()
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		d.client.DeleteObject(dctx, &s3.DeleteObjectInput{Bucket: &d.bucket, Key: &key})
		releaseDir()
	}
	return dir, release, nil
}

// heartbeat is one run's heartbeat object.
type heartbeat struct {
	key   string
	lease time.Duration
	last  time.Time
}

// heartbeats lists the heartbeat objects by run, and the server's time.
func (d *S3Destination) heartbeats(ctx context.Context) (map[string]heartbeat, time.Time, error) {
	out := map[string]heartbeat{}
	now := time.Time{}
	p := d.prefix + runsDir
	pg := s3.NewListObjectsV2Paginator(d.client, &s3.ListObjectsV2Input{Bucket: &d.bucket, Prefix: &p})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, now, fmt.Errorf("listing %s: %w", d.url(p), err)
		}
		if raw, ok := awsmiddleware.GetRawResponse(page.ResultMetadata).(*smithyhttp.Response); ok && now.IsZero() {
			now, _ = http.ParseTime(raw.Header.Get("Date"))
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), p)
			run, l, ok := strings.Cut(name, "@")
			lease, err := time.ParseDuration(l)
			if !ok || err != nil {
				continue
			}
			out[run] = heartbeat{key: aws.ToString(o.Key), lease: lease, last: aws.ToTime(o.LastModified)}
		}
	}
	if now.IsZero() {
		now = time.Now()
	}
	return out, now, nil
}

// Alive reports which runs beat within their lease, by the server's clock
// (the Date of the listing), so clocks of other machines do not matter.
// A run alive on this machine (its local lock held) is alive whatever its
// heartbeat says.
func (d *S3Destination) Alive(ctx context.Context, runs []string) (map[string]bool, error) {
	hb, now, err := d.heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(runs))
	for _, r := range runs {
		out[r] = d.alive(r, hb, now)
	}
	return out, nil
}

func (d *S3Destination) alive(run string, hb map[string]heartbeat, now time.Time) bool {
	h, ok := hb[run]
	// S3 keeps LastModified to the second: allow a second more.
	return ok && now.Sub(h.last) < h.lease+time.Second || d.tmp.alive(run)
}

// Runs lists the runs with a heartbeat at the destination or a run
// directory of this destination on this machine.
func (d *S3Destination) Runs(ctx context.Context) ([]string, error) {
	hb, _, err := d.heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	local, err := d.tmp.runs()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for r := range hb {
		seen[r] = true
	}
	for _, r := range local {
		seen[r] = true
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// Clean removes a dead run's expired heartbeat and its run directory on
// this machine (if its lock is not held).
func (d *S3Destination) Clean(ctx context.Context, run string) (bool, error) {
	hb, now, err := d.heartbeats(ctx)
	if err != nil || d.alive(run, hb, now) {
		return false, err
	}
	if h, ok := hb[run]; ok {
		if err := d.deleteKey(ctx, h.key); err != nil {
			return false, err
		}
	}
	return d.tmp.clean(run)
}

// Stage uploads local as the parts of a multipart upload and removes it.
// A failed Stage aborts the upload.
func (d *S3Destination) Stage(ctx context.Context, local, name string) (Staged, error) {
	f, err := os.Open(local)
	if err != nil {
		return Staged{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Staged{}, err
	}
	key := d.prefix + name
	up, err := d.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &d.bucket, Key: &key})
	if err != nil {
		return Staged{}, fmt.Errorf("uploading %s: %w", d.url(key), err)
	}
	s := Staged{Name: name, Upload: aws.ToString(up.UploadId)}
	size := fi.Size()
	for off, n := int64(0), int32(1); off < size || n == 1; off, n = off+S3PartSize, n+1 {
		sz := min(S3PartSize, size-off)
		out, err := d.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &d.bucket, Key: &key, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: io.NewSectionReader(f, off, sz), ContentLength: aws.Int64(sz)})
		if err != nil {
			// Abort with a fresh context: ctx may be what was cancelled.
			return Staged{}, errors.Join(fmt.Errorf("uploading %s: %w", d.url(key), err), d.Discard(context.WithoutCancel(ctx), s))
		}
		s.Parts = append(s.Parts, aws.ToString(out.ETag))
	}
	f.Close()
	return s, os.Remove(local)
}

// Publish completes the upload. If the upload is gone, the object must be
// there already.
func (d *S3Destination) Publish(ctx context.Context, s Staged) error {
	key := d.prefix + s.Name
	parts := make([]types.CompletedPart, len(s.Parts))
	for i, etag := range s.Parts {
		parts[i] = types.CompletedPart{ETag: aws.String(etag), PartNumber: aws.Int32(int32(i + 1))}
	}
	_, err := d.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &d.bucket, Key: &key,
		UploadId: &s.Upload, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err == nil {
		return nil
	}
	var nu *types.NoSuchUpload
	if !errors.As(err, &nu) && awserr.Code(err) != "NoSuchUpload" && awserr.Status(err) != http.StatusNotFound {
		return fmt.Errorf("completing the upload of %s: %w", d.url(key), err)
	}
	_, herr := d.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.bucket, Key: &key})
	switch {
	case herr == nil:
		return nil // completed already
	case notFound(herr):
		return fmt.Errorf("publishing %s: upload %s: %w", d.url(key), s.Upload, ErrStagedLost)
	}
	return fmt.Errorf("publishing %s: %w", d.url(key), herr)
}

// Discard aborts the upload.
func (d *S3Destination) Discard(ctx context.Context, s Staged) error {
	key := d.prefix + s.Name
	_, err := d.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &d.bucket, Key: &key, UploadId: &s.Upload})
	var nu *types.NoSuchUpload
	if err == nil || errors.As(err, &nu) || awserr.Code(err) == "NoSuchUpload" || awserr.Status(err) == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("aborting the upload of %s: %w", d.url(key), err)
}

// Unfinished lists the multipart uploads under the prefix.
func (d *S3Destination) Unfinished(ctx context.Context) ([]Staged, error) {
	var out []Staged
	in := &s3.ListMultipartUploadsInput{Bucket: &d.bucket, Prefix: &d.prefix}
	for {
		page, err := d.client.ListMultipartUploads(ctx, in)
		if awserr.Code(err) == "NoSuchUpload" {
			return out, nil // gofakes3's answer for a bucket that never had an upload
		}
		if err != nil {
			return nil, fmt.Errorf("listing the unfinished uploads under %s: %w", d, err)
		}
		for _, u := range page.Uploads {
			out = append(out, Staged{Name: strings.TrimPrefix(aws.ToString(u.Key), d.prefix), Upload: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// Create puts data at name with If-None-Match: *. S3 answers 412 when the
// name exists and 409 when a concurrent conditional write of it is in
// flight, which is retried.
func (d *S3Destination) Create(ctx context.Context, name string, data []byte) error {
	key := d.prefix + name
	for attempt := 0; ; attempt++ {
		_, err := d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: bytes.NewReader(data),
			ContentLength: aws.Int64(int64(len(data))), IfNoneMatch: aws.String("*")})
		switch {
		case err == nil:
			return nil
		case awserr.Status(err) == http.StatusPreconditionFailed || awserr.Code(err) == "PreconditionFailed":
			return fmt.Errorf("%s: %w", d.url(key), ErrExist)
		case (awserr.Status(err) == http.StatusConflict || awserr.Code(err) == "ConditionalRequestConflict") && attempt < 10:
			t := time.NewTimer(time.Duration(attempt+1) * 50 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		return fmt.Errorf("writing %s: %w", d.url(key), err)
	}
}

// WriteFile puts data at name.
func (d *S3Destination) WriteFile(ctx context.Context, name string, data []byte) error {
	key := d.prefix + name
	_, err := d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return fmt.Errorf("writing %s: %w", d.url(key), err)
	}
	return nil
}

// ReadFile gets name.
func (d *S3Destination) ReadFile(ctx context.Context, name string) ([]byte, error) {
	key := d.prefix + name
	out, err := d.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.bucket, Key: &key})
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("%s: %w", d.url(key), fs.ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s: %w", d.url(key), err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// List lists the keys under prefix+dir.
func (d *S3Destination) List(ctx context.Context, dir string) ([]string, error) {
	p := d.prefix
	if dir != "" {
		p += strings.TrimSuffix(dir, "/") + "/"
	}
	var out []string
	pg := s3.NewListObjectsV2Paginator(d.client, &s3.ListObjectsV2Input{Bucket: &d.bucket, Prefix: &p})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", d.url(p), err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), d.prefix)
			if strings.HasPrefix(name, ".") || strings.Contains(name, "/.") || name == "" || strings.HasSuffix(name, "/") {
				continue
			}
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ListAfter lists prefix+dir/ from StartAfter prefix+dir/after, with a
// delimiter, so sub-directories are left out.
func (d *S3Destination) ListAfter(ctx context.Context, dir, after string) ([]FileInfo, error) {
	p := d.prefix + strings.TrimSuffix(dir, "/") + "/"
	in := &s3.ListObjectsV2Input{Bucket: &d.bucket, Prefix: &p, Delimiter: aws.String("/")}
	if after != "" {
		in.StartAfter = aws.String(p + after)
	}
	var out []FileInfo
	pg := s3.NewListObjectsV2Paginator(d.client, in)
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", d.url(p), err)
		}
		for _, o := range page.Contents {
			base := strings.TrimPrefix(aws.ToString(o.Key), p)
			if base == "" || strings.HasPrefix(base, ".") || base <= after {
				continue
			}
			out = append(out, FileInfo{Name: path.Join(dir, base), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Remove deletes name; a name that is gone already is removed.
func (d *S3Destination) Remove(ctx context.Context, name string) error {
	return d.deleteKey(ctx, d.prefix+name)
}

// deleteKey deletes key. S3 answers a delete of a missing key with success;
// some compatible servers (versitygw) answer 404, which means the same
// here: two runs may remove one log entry or heartbeat at once.
func (d *S3Destination) deleteKey(ctx context.Context, key string) error {
	_, err := d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &d.bucket, Key: &key})
	gone := awserr.Code(err) == "NoSuchKey" || awserr.Status(err) == http.StatusNotFound && awserr.Code(err) != "NoSuchBucket"
	if err != nil && !gone {
		return fmt.Errorf("removing %s: %w", d.url(key), err)
	}
	return nil
}
