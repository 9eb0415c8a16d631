// Package s3test gives tests an in-process S3 server reached through the
// real AWS SDK, and an AWS environment that reaches nothing else.
package s3test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3logs/s3logs/internal/awsconf"
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

// External returns the endpoint of the S3-compatible server that the
// end-to-end tests run against (versitygw, which .ci/test starts and names
// in S3LOGS_TEST_ENDPOINT, with its credentials in the AWS environment),
// and points the SDK's endpoint resolution at it for the rest of the test.
// Without it the test is skipped, and fails under CI.
func External(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("S3LOGS_TEST_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("S3LOGS_TEST_ENDPOINT is not set under CI: run the tests through .ci/test, which starts versitygw")
		}
		t.Skip("S3LOGS_TEST_ENDPOINT not set (bash .ci/s3server.sh start; set -a; . .ci/s3server.env)")
	}
	// awsconf's own HTTP client cannot take a custom CA bundle; the local
	// server is plain HTTP.
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", ep)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return ep
}

// Bucket creates a bucket with a name unique to the test on the server at
// endpoint and returns its name.
func Bucket(t testing.TB, endpoint string) string {
	t.Helper()
	ctx := context.Background()
	o := awsconf.Options{Endpoint: endpoint}
	cfg, err := awsconf.Load(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var rb [4]byte
	rand.Read(rb[:])
	name := fmt.Sprintf("s3logs-test-%d-%x", time.Now().UnixNano(), rb)
	if _, err := awsconf.S3(cfg, o).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

// Handler returns an in-memory S3 server (gofakes3). With autoBucket,
// buckets are created on first use; without, a missing bucket is
// NoSuchBucket, as on S3. Tests that cannot pass a testing.TB (testscript
// setup) serve it themselves.
func Handler(autoBucket bool) http.Handler {
	return gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(autoBucket)).Server()
}
