// Package awsconf builds AWS SDK configuration and S3 clients the way every
// s3logs command needs them, reading the configuration as the AWS CLI does:
// the SDK's default credential chain, --profile, --region, and a custom S3
// endpoint from --endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or the
// profile's endpoint_url (top level or in its services section for s3). A
// custom endpoint, however configured, gets path-style addressing, which
// S3-compatible servers expect. The SDK logs nothing: its warnings would
// interleave with s3logs' own output. Credentials are never printed.
package awsconf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// Options select the AWS configuration. The zero value means the SDK
// defaults.
type Options struct {
	Profile string // shared config profile; default AWS_PROFILE or "default"
	Region  string // default from the environment or profile, else us-east-1
	// Endpoint is the S3 endpoint URL. Default the SDK's shared
	// configuration: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
	// endpoint_url (in its services section, or at top level), else AWS.
	Endpoint string
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
		// No "SDK ... WARN" lines on stderr (IMDS fallbacks, checksum
		// notes): errors are reported once, by the command.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
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

// S3 returns an S3 client for cfg. With a custom endpoint (o.Endpoint, or
// one the shared configuration names) it uses path-style addressing and
// computes request checksums only when required, which S3-compatible
// servers expect.
func S3(cfg aws.Config, o Options) *s3.Client {
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		// so.BaseEndpoint holds what the SDK resolved from the
		// environment and the profile.
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		if so.BaseEndpoint != nil && *so.BaseEndpoint != "" {
			so.UsePathStyle = true
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

// CustomEndpoint reports whether c talks to an endpoint other than AWS's
// own, however it was configured: an S3-compatible server (a local one
// for trying s3logs out, where creating a missing bucket is expected).
func CustomEndpoint(c *s3.Client) bool {
	ep := c.Options().BaseEndpoint
	return ep != nil && *ep != ""
}
