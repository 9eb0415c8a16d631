// Package s3test gives tests an in-process S3 server reached through the
// real AWS SDK, and an AWS environment that reaches nothing else.
package s3test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Isolate points the SDK's default credential chain at static test
// credentials (access key id, secret) and away from the machine's AWS
// config and credential files, instance metadata, endpoint overrides and
// CA bundle, for the rest of the test.
func Isolate(t testing.TB, accessKey, secret string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           accessKey,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		"AWS_PROFILE":                 "",
		"AWS_CA_BUNDLE":               "",
	} {
		t.Setenv(k, v)
	}
}

// Server isolates the AWS environment with test credentials and starts an
// S3 server on loopback (gofakes3 with its memory backend; buckets are
// created on first use), behind wrap when it is not nil. It returns the
// endpoint URL; the server stops when the test ends.
func Server(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	Isolate(t, "test", "test")
	var h http.Handler = Handler(true)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Handler returns an in-memory S3 server (gofakes3). With autoBucket,
// buckets are created on first use; without, a missing bucket is
// NoSuchBucket, as on S3. Tests that cannot pass a testing.TB (testscript
// setup) serve it themselves.
func Handler(autoBucket bool) http.Handler {
	return gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(autoBucket)).Server()
}
