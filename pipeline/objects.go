package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/semaphore"
)

// S3Objects reads the objects of an S3 location that are not log
// objects — converted output, for package lake — with what reads log
// objects: the same client configuration (endpoint, region, profile,
// path-style), the same retries, Stats' request counts, and at most
// Config.Concurrency requests in flight. It is safe for concurrent use.
type S3Objects struct {
	s   *s3Store
	sem *semaphore.Weighted
}

// OpenS3Objects opens the S3 location src (s3://bucket/prefix) with cfg's
// AWS options, attempts and concurrency (default that of S3 sources, 256,
// capped by the open-file limit), counting requests in stats.
func OpenS3Objects(ctx context.Context, cfg Config, src string, stats *Stats) (*S3Objects, error) {
	cfg.defaults(true)
	st, err := newS3Store(ctx, &cfg, src, stats)
	if err != nil {
		return nil, err
	}
	return &S3Objects{s: st, sem: semaphore.NewWeighted(int64(cfg.Concurrency))}, nil
}

// Bucket returns the bucket.
func (o *S3Objects) Bucket() string { return o.s.bucket }

// Prefix returns the key prefix of the location (no leading slash).
func (o *S3Objects) Prefix() string { return o.s.prefix }

// List calls fn with the key and size of every object under prefix (a
// full key prefix, usually Prefix() plus more), in key order, until fn
// returns false or an error.
func (o *S3Objects) List(ctx context.Context, prefix string, fn func(key string, size int64) (more bool, err error)) error {
	in := &s3.ListObjectsV2Input{Bucket: &o.s.bucket, Prefix: aws.String(prefix)}
	for {
		if err := o.sem.Acquire(ctx, 1); err != nil {
			return err
		}
		out, err := o.s.page(ctx, in)
		o.sem.Release(1)
		if err != nil {
			return err
		}
		for _, obj := range out.Contents {
			more, err := fn(aws.ToString(obj.Key), aws.ToInt64(obj.Size))
			if err != nil || !more {
				return err
			}
		}
		if !truncated(out) {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// ErrPastEnd is the cause of a ReadAt that reached past the end of its
// object (which is not retried: the object is shorter than its reader
// thinks).
var ErrPastEnd = errors.New("range past the end of the object")

// ReadAt fills p with the bytes of object key from offset off, with one
// ranged GET (retried, a body cut short included). A range past the end
// of the object is ErrPastEnd.
func (o *S3Objects) ReadAt(ctx context.Context, key string, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	rng := fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)
	err := o.request(ctx, func(ctx context.Context) error {
		out, err := o.s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.s.bucket, Key: &key, Range: &rng})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if out.ContentLength != nil && *out.ContentLength < int64(len(p)) {
			return fmt.Errorf("%w: %d bytes of %d", ErrPastEnd, *out.ContentLength, len(p))
		}
		if _, err := io.ReadFull(out.Body, p); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return errShortBody
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("GET s3://%s/%s (%s): %w", o.s.bucket, key, rng, err)
	}
	return nil
}

// request runs one S3 call under the concurrency bound, with the store's
// retries.
func (o *S3Objects) request(ctx context.Context, f func(context.Context) error) error {
	if err := o.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer o.sem.Release(1)
	return o.s.do(ctx, f)
}

// Begin marks the start of a run over sources that are not log objects
// (package lake): its start time and the time window it prunes by, as
// Run sets them.
func (s *Stats) Begin(w Window) {
	s.Start = time.Now()
	s.mu.Lock()
	s.window = w
	s.mu.Unlock()
}

// SkipTime counts an object skipped because its time, t (the start of
// its partition for converted output), is outside the window.
func (s *Stats) SkipTime(t time.Time) { s.skipTime(KeyInfo{Time: t}) }

// Fail counts an object that failed after retries and was skipped
// (Config.SkipFailed), as Run does.
func (s *Stats) Fail(name string, err error) { s.addFailed(name, err) }
