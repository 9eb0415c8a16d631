// Package awsconf builds AWS SDK configuration and S3 clients the way every
// s3logs command needs them: the SDK's default credential chain, --profile,
// --region, and --endpoint / AWS_ENDPOINT_URL_S3 for S3-compatible servers
// (with path-style addressing). Credentials are never printed.
package awsconf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Options select the AWS configuration. The zero value means the SDK
// defaults.
type Options struct {
	Profile  string // shared config profile; default AWS_PROFILE or "default"
	Region   string // default from the environment or profile, else us-east-1
	Endpoint string // S3 endpoint URL; default AWS_ENDPOINT_URL_S3, else AWS
	// MaxConns is the most connections open to one host, busy or idle:
	// set it to the number of concurrent requests (a request beyond it
	// waits for a connection, so open files stay bounded). Default 64.
	MaxConns int
}

// Load returns an aws.Config from the default chain with o applied, and an
// HTTP client tuned for many concurrent requests to one host.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 64
	}
	// A BuildableClient (not a plain *http.Client) so the SDK can still
	// apply AWS_CA_BUNDLE and its other transport settings.
	client := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = 10 * time.Second
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = o.MaxConns * 2
			tr.MaxIdleConnsPerHost = o.MaxConns
			tr.MaxConnsPerHost = o.MaxConns
			tr.IdleConnTimeout = 90 * time.Second
			tr.TLSHandshakeTimeout = 10 * time.Second
			tr.ResponseHeaderTimeout = 60 * time.Second
			tr.ExpectContinueTimeout = time.Second
		})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(client),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// Endpoint returns the S3 endpoint to use: o.Endpoint, else
// AWS_ENDPOINT_URL_S3, else "" (AWS itself).
func (o Options) endpoint() string {
	if o.Endpoint != "" {
		return o.Endpoint
	}
	return os.Getenv("AWS_ENDPOINT_URL_S3")
}

// S3 returns an S3 client for cfg. With a custom endpoint it uses
// path-style addressing and computes request checksums only when required,
// which S3-compatible servers expect.
func S3(cfg aws.Config, o Options) *s3.Client {
	ep := o.endpoint()
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if ep != "" {
			so.BaseEndpoint = aws.String(ep)
			so.UsePathStyle = true
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}
