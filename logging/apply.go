package logging

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/s3logs/s3logs/internal/awserr"
	"golang.org/x/sync/errgroup"
)

// Apply carries out p: first each region's logging bucket (create, block
// public access, default encryption, policy, lifecycle), then
// PutBucketLogging on each source bucket to enable or update. A failure
// is recorded on its Target or Source and does not stop the others; a
// source whose logging bucket failed is not configured and fails too.
// Apply returns an error wrapping ErrFailed when any source bucket failed
// (including in planning), else nil.
func (p *Plan) Apply(ctx context.Context, clients Clients) error {
	conc := p.conc
	if conc <= 0 {
		conc = 16
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.Err != nil || !t.Changes() {
			continue
		}
		g.Go(func() error {
			t.Err = applyTarget(gctx, clients(t.Region), t)
			t.Applied = t.Err == nil
			return nil
		})
	}
	_ = g.Wait()

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for i := range p.Sources {
		s := &p.Sources[i]
		if s.Err != nil || s.Action != ActionEnable && s.Action != ActionUpdate {
			continue
		}
		if t := p.target(s.Region); t == nil || t.Err != nil {
			if t != nil {
				s.Err = fmt.Errorf("logging bucket %s: %w", t.Bucket, t.Err)
			} else {
				s.Err = fmt.Errorf("no logging bucket planned for %s", s.Region)
			}
			continue
		}
		g.Go(func() error {
			s.Err = putLogging(gctx, clients(s.Region), s.Bucket, s.Want)
			s.Applied = s.Err == nil
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if n := p.Failed(); n > 0 {
		return fmt.Errorf("%w: %d of %d buckets", ErrFailed, n, len(p.Sources))
	}
	return nil
}

func applyTarget(ctx context.Context, c API, t *Target) error {
	b := aws.String(t.Bucket)
	if !t.Exists {
		in := &s3.CreateBucketInput{Bucket: b}
		if t.Region != "us-east-1" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(t.Region)}
		}
		if _, err := c.CreateBucket(ctx, in); err != nil && awserr.Code(err) != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("create bucket: %w", err)
		}
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
			Bucket: b,
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
				BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
			},
		}); err != nil {
			return fmt.Errorf("put public access block: %w", err)
		}
		// Server access logging can only deliver to SSE-S3 buckets, not
		// SSE-KMS.
		if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
			Bucket: b,
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
				Rules: []types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256},
				}},
			},
		}); err != nil {
			return fmt.Errorf("put bucket encryption: %w", err)
		}
	}
	if t.Policy != nil {
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(string(t.Policy))}); err != nil {
			return fmt.Errorf("put bucket policy: %w", err)
		}
	}
	if t.Lifecycle != nil {
		if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: t.Lifecycle}); err != nil {
			return fmt.Errorf("put bucket lifecycle configuration: %w", err)
		}
	}
	return nil
}

func putLogging(ctx context.Context, c API, bucket string, d Destination) error {
	if d.Bucket == bucket {
		// Build never plans this; a bucket logging into itself would log
		// its own log deliveries for ever.
		return fmt.Errorf("refusing to make %s log into itself", bucket)
	}
	f := &types.TargetObjectKeyFormat{SimplePrefix: &types.SimplePrefix{}}
	if d.Layout.Partitioned {
		f = &types.TargetObjectKeyFormat{PartitionedPrefix: &types.PartitionedPrefix{PartitionDateSource: types.PartitionDateSource(d.Layout.date())}}
	}
	_, err := c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{
		Bucket: aws.String(bucket),
		BucketLoggingStatus: &types.BucketLoggingStatus{LoggingEnabled: &types.LoggingEnabled{
			TargetBucket:          aws.String(d.Bucket),
			TargetPrefix:          aws.String(d.Prefix),
			TargetObjectKeyFormat: f,
		}},
	})
	if err != nil {
		return fmt.Errorf("put bucket logging: %w", err)
	}
	return nil
}
