package awserr

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestMessage(t *testing.T) {
	op := func(name string, err error) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: name, Err: err}
	}
	f := func(err error, want string) {
		t.Helper()
		if got := Message(err); got != want {
			t.Errorf("Message(%q)\n got %q\nwant %q", err, got, want)
		}
	}
	api := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	f(fmt.Errorf("list s3://b/p/: %w", op("ListObjectsV2", fmt.Errorf("https response error StatusCode: 403, RequestID: R, HostID: H, api error AccessDenied: %w", api))),
		"list s3://b/p/: An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied")
	f(op("GetBucketLogging", &smithy.GenericAPIError{Code: "NotImplemented", Message: "not here"}),
		"An error occurred (NotImplemented) when calling the GetBucketLogging operation: not here (this S3-compatible server does not implement it)")
	// A HEAD response has a code and no message.
	f(op("HeadBucket", &smithy.GenericAPIError{Code: "NotFound"}),
		"An error occurred (NotFound) when calling the HeadBucket operation: Not Found")
	f(fmt.Errorf("list s3://b/: %w", op("ListObjectsV2", errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, access disabled to EC2 IMDS via client option"))),
		`list s3://b/: Unable to locate credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or AWS_PROFILE, or run "aws configure"`)
	f(op("ListObjectsV2", errors.New("get identity: get credentials: failed to refresh cached credentials, the SSO session has expired")),
		"Unable to get credentials: the SSO session has expired")
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	f(fmt.Errorf("list s3://b/: %w", op("ListObjectsV2", fmt.Errorf("https response error: %w", &url.Error{Op: "Get", URL: "http://127.0.0.1:1/b?list-type=2", Err: dial}))),
		`list s3://b/: Could not connect to the endpoint URL "http://127.0.0.1:1" calling ListObjectsV2: dial tcp: connect: connection refused`)
	// Errors without an SDK operation error are left alone.
	f(errors.New("no log objects found in x"), "no log objects found in x")
	f(nil, "")
}

// TestCodeStatus reads the code and HTTP status through the wrapping an
// SDK operation error and a caller's context add.
func TestCodeStatus(t *testing.T) {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}
	inner := &smithyhttp.ResponseError{Response: resp, Err: &smithy.GenericAPIError{Code: "NoSuchKey", Message: "gone"}}
	err := fmt.Errorf("removing s3://b/k: %w", &smithy.OperationError{ServiceID: "S3", OperationName: "DeleteObject", Err: inner})
	if c := Code(err); c != "NoSuchKey" {
		t.Errorf("Code: %q, want NoSuchKey", c)
	}
	if s := Status(err); s != 404 {
		t.Errorf("Status: %d, want 404", s)
	}
	if c, s := Code(errors.New("plain")), Status(errors.New("plain")); c != "" || s != 0 {
		t.Errorf("a plain error: %q %d, want \"\" 0", c, s)
	}
}
