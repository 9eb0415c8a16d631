package main

import (
	"net/url"

	"github.com/spf13/pflag"

	"github.com/s3logs/s3logs/internal/awsconf"
)

// awsFlags are the flags of every command that talks to S3: which
// endpoint, region and shared-config profile. Credentials come from the
// SDK's default chain. --endpoint-url, the AWS CLI's spelling, is accepted
// for --endpoint (see normalizeFlag).
type awsFlags struct {
	awsconf.Options
}

// register adds the flags to fs.
func (a *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.Endpoint, "endpoint", "", "S3 endpoint `URL` of an S3-compatible server, also --endpoint-url (default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile's endpoint_url, else AWS)")
	fs.StringVar(&a.Region, "region", "", "AWS `region` (default AWS_REGION or the profile's, else us-east-1)")
	fs.StringVar(&a.Profile, "profile", "", "AWS shared config `profile` (default AWS_PROFILE, else default)")
}

// check returns a usage error for a malformed --endpoint.
func (a *awsFlags) check() error {
	if a.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(a.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--endpoint %q: want http://host[:port] or https://host[:port]", a.Endpoint)
	}
	return nil
}
