package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3logs/s3logs/internal/awsconf"
)

// S3PartSize is the part size of multipart uploads; files up to this size
// are sent with one PutObject.
const S3PartSize = 16 << 20

// S3Destination is an S3 prefix. Files are written locally (under the
// system temporary directory) and published by PutObject or a multipart
// upload, which S3 makes visible only when complete; a failed upload is
// aborted, so no partial object is left.
type S3Destination struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	tmp    string
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
	return &S3Destination{client: client, bucket: u.Host, prefix: prefix, tmp: os.TempDir()}, nil
}

// String returns the s3:// URL.
func (d *S3Destination) String() string { return "s3://" + d.bucket + "/" + d.prefix }

// TempDir returns a local directory under the system temporary directory.
func (d *S3Destination) TempDir(runID string) (string, error) {
	p := filepath.Join(d.tmp, "s3logs-convert-"+runID)
	return p, os.MkdirAll(p, 0o700)
}

// RemoveTemp does nothing: temporary files are local to the machine that
// ran the conversion, and each run removes its own.
func (d *S3Destination) RemoveTemp(prefix, keep string) error { return nil }

// Publish uploads local to name and removes local.
func (d *S3Destination) Publish(ctx context.Context, local, name string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	key := d.prefix + name
	if fi.Size() <= S3PartSize {
		_, err = d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: f, ContentLength: aws.Int64(fi.Size())})
	} else {
		err = d.multipart(ctx, key, f, fi.Size())
	}
	if err != nil {
		return fmt.Errorf("uploading s3://%s/%s: %w", d.bucket, key, err)
	}
	f.Close()
	return os.Remove(local)
}

func (d *S3Destination) multipart(ctx context.Context, key string, f *os.File, size int64) error {
	up, err := d.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &d.bucket, Key: &key})
	if err != nil {
		return err
	}
	abort := func(err error) error {
		// Abort with a fresh context: ctx may be what was cancelled.
		_, aerr := d.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &d.bucket, Key: &key, UploadId: up.UploadId})
		return errors.Join(err, aerr)
	}
	var parts []types.CompletedPart
	for off, n := int64(0), int32(1); off < size; off, n = off+S3PartSize, n+1 {
		sz := min(S3PartSize, size-off)
		out, err := d.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &d.bucket, Key: &key, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: io.NewSectionReader(f, off, sz), ContentLength: aws.Int64(sz)})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = d.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &d.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return abort(err)
	}
	return nil
}

// WriteFile puts data at name.
func (d *S3Destination) WriteFile(ctx context.Context, name string, data []byte) error {
	key := d.prefix + name
	_, err := d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	return err
}

// ReadFile gets name.
func (d *S3Destination) ReadFile(ctx context.Context, name string) ([]byte, error) {
	key := d.prefix + name
	out, err := d.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.bucket, Key: &key})
	if err != nil {
		return nil, err
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
			return nil, err
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

// Remove deletes name.
func (d *S3Destination) Remove(ctx context.Context, name string) error {
	key := d.prefix + name
	_, err := d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &d.bucket, Key: &key})
	return err
}
