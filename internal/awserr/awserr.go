// Package awserr words errors of the AWS SDK the way the AWS CLI does, in
// one line: "An error occurred (AccessDenied) when calling the
// ListObjectsV2 operation: Access Denied", "Unable to locate credentials",
// "Could not connect to the endpoint URL". The SDK's own text is a chain of
// every layer it passed through (operation, service, HTTP status, request
// and host ids), which tells a user less in more words.
package awserr

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Message returns err's text with the part an AWS SDK operation error
// contributed replaced by one line in the AWS CLI's words; the context the
// caller wrapped around it ("list s3://bucket/prefix/: ") is kept. Errors
// without an SDK operation error in their chain are returned as they are.
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return msg
	}
	sdk := oe.Error()
	i := strings.LastIndex(msg, sdk)
	if i < 0 {
		return msg
	}
	return msg[:i] + describe(oe) + msg[i+len(sdk):]
}

// Hints for error codes whose message alone leaves a user guessing.
var hints = map[string]string{
	"NotImplemented":               "this S3-compatible server does not implement it",
	"InvalidAccessKeyId":           "check the credentials or the profile",
	"SignatureDoesNotMatch":        "check the secret access key, or the region and endpoint",
	"ExpiredToken":                 "the session token has expired: refresh the credentials",
	"PermanentRedirect":            "the bucket is in another region: pass --region",
	"AuthorizationHeaderMalformed": "the bucket is in another region: pass --region",
}

// Messages for errors that carry no text, as HEAD responses do.
var defaultText = map[string]string{
	"NotFound":       "Not Found",
	"NoSuchBucket":   "The specified bucket does not exist",
	"NoSuchKey":      "The specified key does not exist",
	"Forbidden":      "Forbidden",
	"AccessDenied":   "Access Denied",
	"NotImplemented": "Not Implemented",
}

func describe(oe *smithy.OperationError) string {
	op := oe.Operation()
	inner := oe.Err
	var api smithy.APIError
	if errors.As(inner, &api) {
		code, text := api.ErrorCode(), api.ErrorMessage()
		if code == "" {
			code = statusCode(inner)
		}
		if text == "" {
			text = defaultText[code]
		}
		if text == "" {
			text = code
		}
		s := "An error occurred (" + code + ") when calling the " + op + " operation: " + text
		if h := hints[code]; h != "" {
			s += " (" + h + ")"
		}
		return s
	}
	if rest, ok := strings.CutPrefix(inner.Error(), "get identity: "); ok {
		if strings.Contains(rest, "no EC2 IMDS role found") || strings.Contains(rest, "access disabled to EC2 IMDS") {
			return `Unable to locate credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or AWS_PROFILE, or run "aws configure"`
		}
		return "Unable to get credentials: " + lastCause(rest)
	}
	var ue *url.Error
	if errors.As(inner, &ue) {
		u := ue.URL
		if p, err := url.Parse(u); err == nil {
			p.RawQuery, p.Path = "", ""
			u = p.String()
		}
		var ne net.Error
		cause := lastCause(ue.Err.Error())
		if errors.As(ue.Err, &ne) || cause != "" {
			return `Could not connect to the endpoint URL "` + u + `" calling ` + op + ": " + cause
		}
	}
	return "calling " + op + ": " + lastCause(inner.Error())
}

// statusCode names an HTTP status for an API error that has no code.
func statusCode(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 403:
			return "Forbidden"
		case 404:
			return "NotFound"
		case 501:
			return "NotImplemented"
		}
	}
	return "Unknown"
}

// lastCause returns the innermost part of an SDK error chain: after the
// last ", " or ": " that separates the layers' prefixes.
func lastCause(s string) string {
	for _, sep := range []string{", ", ": "} {
		if i := strings.LastIndex(s, sep); i >= 0 && i+len(sep) < len(s) {
			// "dial tcp 127.0.0.1:1: connect: connection refused" keeps
			// its address: cut at the layers, not inside the net error.
			if j := strings.Index(s, "dial tcp"); j >= 0 {
				return s[j:]
			}
			if j := strings.Index(s, "lookup "); j >= 0 {
				return s[j:]
			}
			return s[i+len(sep):]
		}
	}
	return s
}

// Code returns the S3 error code of err ("NoSuchKey", "NoSuchBucket"), ""
// if it has none.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Status returns the HTTP status of a failed SDK call, 0 if unknown.
func Status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
