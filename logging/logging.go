// Package logging plans and applies the S3 server access logging
// configuration of an account's buckets: one logging bucket per region,
// written to by the S3 logging service through a bucket policy (no ACLs),
// and PutBucketLogging on every source bucket with the chosen key layout.
//
// A Plan is computed read-only (Build), can be printed as a dry run, and is
// then applied (Plan.Apply). Applying is idempotent: a plan built after a
// successful Apply has nothing to change.
package logging

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the subset of *s3.Client that the package uses. *s3.Client
// implements it.
type API interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, opts ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, opts ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketLogging(ctx context.Context, in *s3.GetBucketLoggingInput, opts ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error)
	PutBucketLogging(ctx context.Context, in *s3.PutBucketLoggingInput, opts ...func(*s3.Options)) (*s3.PutBucketLoggingOutput, error)
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, opts ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, opts ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, opts ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
}

var _ API = (*s3.Client)(nil)

// Clients returns the client whose requests are signed for and sent to
// region. S3 answers bucket calls only in the bucket's own region, so a
// multi-region plan needs one client per region. It is called concurrently
// and should return the same client for the same region.
type Clients func(region string) API

// Errors returned by the package.
var (
	// ErrFailed is wrapped by Plan.Apply's error when any bucket failed.
	ErrFailed = errors.New("some buckets failed")
	// ErrConfig is wrapped by errors in a Config (bad pattern, layout,
	// missing account): the caller's mistake, not AWS's.
	ErrConfig = errors.New("invalid logging configuration")
)

// Default patterns. {account}, {region} and {bucket} are replaced.
const (
	DefaultTargetBucket = "{account}-s3-access-logs-{region}"
	DefaultTargetPrefix = "{bucket}/"
)

// Layout is the key layout of delivered log objects (S3's
// TargetObjectKeyFormat). The zero value is the simple layout.
type Layout struct {
	// Partitioned selects <prefix><account>/<region>/<bucket>/YYYY/MM/DD/...
	Partitioned bool
	// Date is the partition date source when Partitioned: "EventTime"
	// (default) or "DeliveryTime".
	Date string
}

// Partition date sources, as S3 names them.
const (
	EventTime    = "EventTime"
	DeliveryTime = "DeliveryTime"
)

// ParseLayout returns the Layout for a --key-format value ("simple" or
// "partitioned") and a --partition-date value ("event" or "delivery"; empty
// means event).
func ParseLayout(format, date string) (Layout, error) {
	var d string
	switch strings.ToLower(date) {
	case "", "event", "eventtime":
		d = EventTime
	case "delivery", "deliverytime":
		d = DeliveryTime
	default:
		return Layout{}, fmt.Errorf("%w: partition date %q: want event or delivery", ErrConfig, date)
	}
	switch strings.ToLower(format) {
	case "", "simple":
		return Layout{}, nil
	case "partitioned":
		return Layout{Partitioned: true, Date: d}, nil
	}
	return Layout{}, fmt.Errorf("%w: key format %q: want simple or partitioned", ErrConfig, format)
}

// String returns "simple", "partitioned(EventTime)" or
// "partitioned(DeliveryTime)".
func (l Layout) String() string {
	if !l.Partitioned {
		return "simple"
	}
	return "partitioned(" + l.date() + ")"
}

func (l Layout) date() string {
	if l.Date == "" {
		return EventTime
	}
	return l.Date
}

// Destination is where a bucket's access logs go.
type Destination struct {
	Bucket string // target (logging) bucket
	Prefix string // TargetPrefix
	Layout Layout
}

// String returns s3://bucket/prefix and the layout.
func (d Destination) String() string {
	return "s3://" + d.Bucket + "/" + d.Prefix + " (" + d.Layout.String() + ")"
}

// equal reports whether d and o deliver to the same keys.
func (d Destination) equal(o Destination) bool {
	return d.Bucket == o.Bucket && d.Prefix == o.Prefix &&
		d.Layout.Partitioned == o.Layout.Partitioned &&
		(!d.Layout.Partitioned || d.Layout.date() == o.Layout.date())
}

// Source returns the s3:// source that holds the logs of sourceBucket in
// region delivered to d: the prefix itself for the simple layout, the
// bucket's own partition for the partitioned one. It is what `s3logs query`
// and `s3logs convert` take.
func (d Destination) Source(account, region, sourceBucket string) string {
	s := "s3://" + d.Bucket + "/" + d.Prefix
	if d.Layout.Partitioned {
		s += account + "/" + region + "/" + sourceBucket + "/"
	}
	return s
}

// expand replaces {account}, {region} and {bucket} in pattern and rejects
// any other {placeholder}.
func expand(pattern, account, region, bucket string) (string, error) {
	var b strings.Builder
	rest := pattern
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%w: pattern %q: unclosed {", ErrConfig, pattern)
		}
		switch name := rest[i+1 : i+j]; name {
		case "account":
			b.WriteString(account)
		case "region":
			b.WriteString(region)
		case "bucket":
			if bucket == "" {
				return "", fmt.Errorf("%w: pattern %q: {bucket} is not allowed here", ErrConfig, pattern)
			}
			b.WriteString(bucket)
		default:
			return "", fmt.Errorf("%w: pattern %q: unknown placeholder {%s} (want {account}, {region} or {bucket})", ErrConfig, pattern, name)
		}
		rest = rest[i+j+1:]
	}
}

// validBucketName reports why name is not a valid general purpose bucket
// name, or "" when it is.
func validBucketName(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Sprintf("character %q not allowed (lower-case letters, digits, '-' and '.')", c)
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '-' || first == '.' || last == '-' || last == '.' {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain \"..\""
	}
	return ""
}
