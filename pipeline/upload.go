package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/awserr"
)

// Uploader writes objects under one S3 prefix with PutObject (the SDK's
// standard retryer retries throttling and 5xx). It is safe for concurrent
// use; size opts.MaxConns to the number of concurrent Puts.
type Uploader struct {
	// CreateBucket creates the bucket on the first Put that finds it
	// missing. NewUploader sets it when the client has a custom endpoint,
	// however configured (flag, environment, profile), i.e. for local
	// S3-compatible servers, and never for AWS itself.
	CreateBucket bool

	client         *s3.Client
	region         string
	bucket, prefix string
	mu             sync.Mutex
	created        bool
}

// NewUploader returns an Uploader for dest, s3://bucket/prefix/; Put's keys
// are appended to prefix as given.
func NewUploader(ctx context.Context, opts awsconf.Options, dest string) (*Uploader, error) {
	bucket, prefix, err := ParseS3URL(dest)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconf.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	client := awsconf.S3(cfg, opts)
	return &Uploader{
		CreateBucket: awsconf.CustomEndpoint(client),
		client:       client, region: cfg.Region, bucket: bucket, prefix: prefix,
	}, nil
}

// Put writes data to prefix+key.
func (u *Uploader) Put(ctx context.Context, key string, data []byte) error {
	err := u.put(ctx, key, data)
	if err != nil && u.CreateBucket && awserr.Code(err) == "NoSuchBucket" {
		if err := u.createBucket(ctx); err != nil {
			return err
		}
		err = u.put(ctx, key, data)
	}
	if err != nil {
		return fmt.Errorf("put s3://%s/%s%s: %w", u.bucket, u.prefix, key, err)
	}
	return nil
}

// Async returns a put function with Put's signature that uploads in the
// background, at most n at once (blocking while n are in flight), and wait,
// which waits for every upload and returns the first error. After an
// error, put returns it too, so a producer such as gen.Write stops early.
// put may keep data until its upload ends.
func (u *Uploader) Async(ctx context.Context, n int) (put func(ctx context.Context, key string, data []byte) error, wait func() error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(n, 1))
	put = func(_ context.Context, key string, data []byte) error {
		if gctx.Err() != nil {
			return context.Cause(gctx)
		}
		g.Go(func() error { return u.Put(gctx, key, data) })
		return nil
	}
	return put, g.Wait
}

func (u *Uploader) put(ctx context.Context, key string, data []byte) error {
	_, err := u.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &u.bucket,
		Key:           aws.String(u.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("text/plain"),
	})
	return err
}

func (u *Uploader) createBucket(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.created {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: &u.bucket}
	if u.region != "" && u.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(u.region),
		}
	}
	_, err := u.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		if code := awserr.Code(err); code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return fmt.Errorf("create bucket %s: %w", u.bucket, err)
		}
	}
	u.created = true
	return nil
}
