package gen

import (
	"strconv"
	"time"

	"github.com/s3logs/s3logs/parse"
)

// Null is the value of a numeric Record field (HTTPStatus, BytesSent,
// ObjectSize, TotalTime, TurnAroundTime) that is logged as "-".
const Null = -1

// Record is one S3 server access log record in typed form, the structured
// truth that tests compare parsed and queried results against.
//
// The absent-value convention: a string field that is empty is logged as
// "-" (NULL in queries); a numeric field equal to Null (-1) is logged as "-".
// A quoted field (RequestURI, Referer, UserAgent) that is empty is logged as
// "\"-\"", or as a bare - for REST.COPY.OBJECT_GET and BATCH.DELETE.OBJECT
// records, as S3 does. Fields at or after position NumFields are not
// written and are always empty here, so they read as NULL too.
//
// A Record is a plain value; copy and modify it freely.
type Record struct {
	BucketOwner    string
	Bucket         string
	Time           time.Time // UTC, whole seconds
	RemoteIP       string
	Requester      string
	RequestID      string
	Operation      string
	Key            string // as logged: URL-encoded
	RequestURI     string // the request line without its quotes, e.g. "GET /k HTTP/1.1"
	HTTPStatus     int
	ErrorCode      string
	BytesSent      int64
	ObjectSize     int64
	TotalTime      int64 // milliseconds
	TurnAroundTime int64 // milliseconds
	Referer        string
	UserAgent      string
	VersionID      string
	HostID         string
	SigV           string
	CipherSuite    string
	AuthType       string
	HostHeader     string
	TLSVersion     string
	AccessPointARN string
	ACLRequired    string
	SourceRegion   string

	// NumFields is how many fields the line has: 17, 18, 24, 25, 26 or 27
	// (parse.MinFields to parse.NumFields). AppendLine treats values
	// outside that range as 27.
	NumFields int

	// Trap says which real-world oddity, if any, this record carries
	// (TrapNone for an ordinary record).
	Trap Trap
}

// bareEmpty reports whether the record's operation writes an empty
// Request-URI, Referer and User-Agent as a bare - rather than "-".
func (r *Record) bareEmpty() bool {
	return r.Operation == "REST.COPY.OBJECT_GET" || r.Operation == "BATCH.DELETE.OBJECT"
}

func (r *Record) numFields() int {
	if r.NumFields < parse.MinFields || r.NumFields > parse.NumFields {
		return parse.NumFields
	}
	return r.NumFields
}

// AppendLine appends the record in S3's line format to dst, without a line
// terminator, and returns the extended slice.
func (r *Record) AppendLine(dst []byte) []byte {
	bare := r.bareEmpty()
	dst = appendPlain(dst, r.BucketOwner)
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.Bucket)
	dst = append(dst, ' ', '[')
	dst = appendTime(dst, r.Time)
	dst = append(dst, ']', ' ')
	dst = appendPlain(dst, r.RemoteIP)
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.Requester)
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.RequestID)
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.Operation)
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.Key)
	dst = append(dst, ' ')
	dst = appendQuoted(dst, r.RequestURI, bare)
	dst = append(dst, ' ')
	dst = appendNum(dst, int64(r.HTTPStatus))
	dst = append(dst, ' ')
	dst = appendPlain(dst, r.ErrorCode)
	dst = append(dst, ' ')
	dst = appendNum(dst, r.BytesSent)
	dst = append(dst, ' ')
	dst = appendNum(dst, r.ObjectSize)
	dst = append(dst, ' ')
	dst = appendNum(dst, r.TotalTime)
	dst = append(dst, ' ')
	dst = appendNum(dst, r.TurnAroundTime)
	dst = append(dst, ' ')
	dst = appendQuoted(dst, r.Referer, bare)
	dst = append(dst, ' ')
	dst = appendQuoted(dst, r.UserAgent, bare)
	n := r.numFields()
	for f := parse.VersionID; int(f) < n; f++ {
		dst = append(dst, ' ')
		dst = appendPlain(dst, *r.tail(f))
	}
	return dst
}

// tail returns the string field for one of the unquoted fields after
// User-Agent.
func (r *Record) tail(f parse.Field) *string {
	switch f {
	case parse.VersionID:
		return &r.VersionID
	case parse.HostID:
		return &r.HostID
	case parse.SigV:
		return &r.SigV
	case parse.CipherSuite:
		return &r.CipherSuite
	case parse.AuthType:
		return &r.AuthType
	case parse.HostHeader:
		return &r.HostHeader
	case parse.TLSVersion:
		return &r.TLSVersion
	case parse.AccessPointARN:
		return &r.AccessPointARN
	case parse.ACLRequired:
		return &r.ACLRequired
	case parse.SourceRegion:
		return &r.SourceRegion
	}
	return nil
}

// Value returns field f as text the way a parser should read it (without
// quotes or brackets; numbers in decimal; Time as "06/Feb/2019:00:00:38
// +0000"), and false when the field is absent: empty, Null, or at or after
// NumFields.
func (r *Record) Value(f parse.Field) (string, bool) {
	if int(f) >= r.numFields() {
		return "", false
	}
	var s string
	switch f {
	case parse.BucketOwner:
		s = r.BucketOwner
	case parse.Bucket:
		s = r.Bucket
	case parse.Time:
		return string(appendTime(nil, r.Time)), true
	case parse.RemoteIP:
		s = r.RemoteIP
	case parse.Requester:
		s = r.Requester
	case parse.RequestID:
		s = r.RequestID
	case parse.Operation:
		s = r.Operation
	case parse.Key:
		s = r.Key
	case parse.RequestURI:
		s = r.RequestURI
	case parse.HTTPStatus, parse.BytesSent, parse.ObjectSize, parse.TotalTime, parse.TurnAroundTime:
		v, ok := r.Int(f)
		if !ok {
			return "", false
		}
		return strconv.FormatInt(v, 10), true
	case parse.ErrorCode:
		s = r.ErrorCode
	case parse.Referer:
		s = r.Referer
	case parse.UserAgent:
		s = r.UserAgent
	default:
		if p := r.tail(f); p != nil {
			s = *p
		}
	}
	return s, s != ""
}

// Int returns numeric field f (HTTPStatus, BytesSent, ObjectSize,
// TotalTime, TurnAroundTime), and false when it is Null or f is not one of
// them.
func (r *Record) Int(f parse.Field) (int64, bool) {
	var v int64
	switch f {
	case parse.HTTPStatus:
		v = int64(r.HTTPStatus)
	case parse.BytesSent:
		v = r.BytesSent
	case parse.ObjectSize:
		v = r.ObjectSize
	case parse.TotalTime:
		v = r.TotalTime
	case parse.TurnAroundTime:
		v = r.TurnAroundTime
	default:
		return 0, false
	}
	return v, v >= 0
}

func appendPlain(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, s...)
}

func appendQuoted(dst []byte, s string, bare bool) []byte {
	if s == "" {
		if bare {
			return append(dst, '-')
		}
		return append(dst, `"-"`...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendNum(dst []byte, v int64) []byte {
	if v < 0 {
		return append(dst, '-')
	}
	return strconv.AppendInt(dst, v, 10)
}

const monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"

// appendTime appends t in UTC as 06/Feb/2019:00:00:38 +0000.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	dst = append2(dst, d)
	dst = append(dst, '/')
	dst = append(dst, monthNames[3*(m-1):3*m]...)
	dst = append(dst, '/')
	dst = append2(dst, y/100)
	dst = append2(dst, y%100)
	dst = append(dst, ':')
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mm)
	dst = append(dst, ':')
	dst = append2(dst, ss)
	return append(dst, " +0000"...)
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
