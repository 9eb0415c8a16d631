// Package schema defines the columns of an S3 server access log record as
// queries and converted output see them (SPEC §3): names and aliases, SQL
// types, where each value comes from in a parsed record, and the CREATE TABLE
// text for engines that read the converted output.
package schema

import (
	"strings"

	"github.com/s3logs/s3logs/parse"
)

// Type is a column's SQL type.
type Type uint8

// The column types.
const (
	String    Type = iota // VARCHAR; NULL for an absent value
	Int32                 // INTEGER
	Int64                 // BIGINT
	Timestamp             // TIMESTAMP, UTC, second precision
)

// String returns the type's SQL name.
func (t Type) String() string {
	switch t {
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	case Timestamp:
		return "timestamp"
	}
	return "varchar"
}

// Source says where a column's value comes from.
type Source uint8

// The sources of column values.
const (
	FromField       Source = iota // a log field, Column.Field
	FromMethod                    // the method part of Request-URI
	FromTarget                    // the path part of Request-URI
	FromProto                     // the protocol part of Request-URI
	FromObject                    // the log object or file the line came from
	FromLine                      // the line's 1-based number in its object
	FromPartitionDt               // the request's UTC date, "yyyy/MM/dd"
	// FromPartition is the partition column dt: the value of the Hive
	// partition (dt=... directory) of converted output the record was
	// read from (Origin.Partition), else the request's UTC day,
	// "yyyy-MM-dd".
	FromPartition
)

// Column describes one column.
type Column struct {
	Name    string   // canonical name (SPEC §3)
	Aliases []string // other names that refer to it, from AWS's Athena tables
	Type    Type
	Source  Source
	Field   parse.Field // for FromField and the Request-URI parts
	// Derived is true for columns that SELECT * leaves out.
	Derived bool
	// Dictionary is true for the columns worth dictionary encoding in
	// Parquet: values repeat within a row group (every string but the
	// random IDs requestid, hostid and versionid, and httpstatus). It is
	// the one list the file writers use.
	Dictionary bool
	Doc        string

	get Getter
}

// Columns lists every column, the SPEC §3 columns first in their order,
// then the derived ones. It must not be modified.
var Columns = []Column{
	{Name: "bucketowner", Type: String, Field: parse.BucketOwner, Dictionary: true, Doc: "canonical user ID of the bucket owner"},
	{Name: "bucket", Aliases: []string{"bucket_name"}, Type: String, Field: parse.Bucket, Dictionary: true, Doc: "bucket name"},
	{Name: "requestdatetime", Type: Timestamp, Field: parse.Time, Doc: "time the request was received, UTC"},
	{Name: "remoteip", Type: String, Field: parse.RemoteIP, Dictionary: true, Doc: "client IPv4 or IPv6 address"},
	{Name: "requester", Type: String, Field: parse.Requester, Dictionary: true, Doc: "canonical user ID or IAM ARN; NULL for anonymous requests"},
	{Name: "requestid", Type: String, Field: parse.RequestID, Doc: "request ID (not unique)"},
	{Name: "operation", Type: String, Field: parse.Operation, Dictionary: true, Doc: "e.g. REST.GET.OBJECT, BATCH.DELETE.OBJECT, S3.EXPIRE.OBJECT"},
	{Name: "key", Type: String, Field: parse.Key, Dictionary: true, Doc: "object key as logged (URL-encoded); url_decode(key) decodes"},
	{Name: "request_uri", Type: String, Field: parse.RequestURI, Dictionary: true, Doc: "the request line"},
	{Name: "requesturi_operation", Type: String, Source: FromMethod, Field: parse.RequestURI, Dictionary: true, Doc: "HTTP method of the request line"},
	{Name: "requesturi_key", Type: String, Source: FromTarget, Field: parse.RequestURI, Dictionary: true, Doc: "path of the request line"},
	{Name: "requesturi_httpprotoversion", Type: String, Source: FromProto, Field: parse.RequestURI, Dictionary: true, Doc: "protocol of the request line, e.g. HTTP/1.1"},
	{Name: "httpstatus", Type: Int32, Field: parse.HTTPStatus, Dictionary: true, Doc: "HTTP status code"},
	{Name: "errorcode", Type: String, Field: parse.ErrorCode, Dictionary: true, Doc: "S3 error code"},
	{Name: "bytessent", Type: Int64, Field: parse.BytesSent, Doc: "response bytes sent, excluding protocol overhead"},
	{Name: "objectsize", Type: Int64, Field: parse.ObjectSize, Doc: "total size of the object"},
	{Name: "totaltime", Type: Int64, Field: parse.TotalTime, Doc: "milliseconds the request was in flight"},
	{Name: "turnaroundtime", Type: Int64, Field: parse.TurnAroundTime, Doc: "milliseconds S3 spent processing"},
	{Name: "referrer", Type: String, Field: parse.Referer, Dictionary: true, Doc: "Referer header"},
	{Name: "useragent", Type: String, Field: parse.UserAgent, Dictionary: true, Doc: "User-Agent header"},
	{Name: "versionid", Type: String, Field: parse.VersionID, Doc: "version ID in the request"},
	{Name: "hostid", Type: String, Field: parse.HostID, Doc: "x-amz-id-2 request ID"},
	{Name: "sigv", Type: String, Field: parse.SigV, Dictionary: true, Doc: "SigV2 or SigV4; NULL for unauthenticated requests"},
	{Name: "ciphersuite", Type: String, Field: parse.CipherSuite, Dictionary: true, Doc: "TLS cipher; NULL for plain HTTP"},
	{Name: "authtype", Type: String, Field: parse.AuthType, Dictionary: true, Doc: "AuthHeader or QueryString"},
	{Name: "endpoint", Aliases: []string{"hostheader"}, Type: String, Field: parse.HostHeader, Dictionary: true, Doc: "Host header / endpoint used"},
	{Name: "tlsversion", Type: String, Field: parse.TLSVersion, Dictionary: true, Doc: "TLS version; NULL for plain HTTP"},
	{Name: "accesspointarn", Type: String, Field: parse.AccessPointARN, Dictionary: true, Doc: "access point ARN"},
	{Name: "aclrequired", Type: String, Field: parse.ACLRequired, Dictionary: true, Doc: "Yes when an ACL was required to authorize the request"},
	{Name: "sourceregion", Type: String, Field: parse.SourceRegion, Dictionary: true, Doc: "region the request came from"},

	{Name: "log_object", Type: String, Source: FromObject, Derived: true, Dictionary: true, Doc: "S3 key or file path the line came from"},
	{Name: "log_line", Type: Int64, Source: FromLine, Derived: true, Doc: "1-based line number in log_object"},
	{Name: "timestamp", Type: String, Source: FromPartitionDt, Derived: true, Dictionary: true, Doc: "request date yyyy/MM/dd, the partition column of AWS's date-partitioned table"},
	{Name: "dt", Type: String, Source: FromPartition, Derived: true, Dictionary: true,
		Doc: "partition of converted output: the request's UTC day (yyyy-MM-dd; yyyy-MM-dd-HH by hour), from the dt=... directories"},
}

func init() {
	for i := range Columns {
		c := &Columns[i]
		c.get = c.getter()
		if c.Source == FromPartition {
			PartitionColumn = *c
		}
	}
}

// Star returns the columns SELECT * returns: the SPEC §3 columns.
func Star() []Column {
	for i, c := range Columns {
		if c.Derived {
			return Columns[:i:i]
		}
	}
	return Columns
}

// Lookup finds a column by name or alias, ignoring case. It returns the
// column's index in Columns.
func Lookup(name string) (int, bool) {
	for i := range Columns {
		c := &Columns[i]
		if strings.EqualFold(c.Name, name) {
			return i, true
		}
		for _, a := range c.Aliases {
			if strings.EqualFold(a, name) {
				return i, true
			}
		}
	}
	return -1, false
}

// Names returns every accepted column name and alias, for suggestions.
func Names() []string {
	var out []string
	for _, c := range Columns {
		out = append(out, c.Name)
		out = append(out, c.Aliases...)
	}
	return out
}
