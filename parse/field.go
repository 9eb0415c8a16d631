package parse

// Field names one position of an S3 server access log record, in the order
// AWS writes them. The zero value is BucketOwner.
type Field uint8

// The known fields, in log order. Records from 2007 stop after UserAgent
// (17 fields), records until early 2019 after VersionID (18), later ones
// grew one field at a time up to SourceRegion (27).
const (
	BucketOwner Field = iota
	Bucket
	Time
	RemoteIP
	Requester
	RequestID
	Operation
	Key
	RequestURI
	HTTPStatus
	ErrorCode
	BytesSent
	ObjectSize
	TotalTime
	TurnAroundTime
	Referer
	UserAgent
	VersionID
	HostID
	SigV
	CipherSuite
	AuthType
	HostHeader
	TLSVersion
	AccessPointARN
	ACLRequired
	SourceRegion

	// NumFields is the number of fields this package knows. Fields past it
	// are kept as unknown trailing fields (see Record.Extra).
	NumFields = int(SourceRegion) + 1

	// MinFields is the smallest field count of a valid record (2007 logs).
	MinFields = int(UserAgent) + 1
)

var fieldNames = [NumFields]string{
	"Bucket Owner", "Bucket", "Time", "Remote IP", "Requester", "Request ID",
	"Operation", "Key", "Request-URI", "HTTP status", "Error Code",
	"Bytes Sent", "Object Size", "Total Time", "Turn-Around Time", "Referer",
	"User-Agent", "Version Id", "Host Id", "Signature Version",
	"Cipher Suite", "Authentication Type", "Host Header", "TLS version",
	"Access Point ARN", "aclRequired", "Source Region",
}

// String returns the field's name as AWS's documentation spells it.
func (f Field) String() string {
	if int(f) < NumFields {
		return fieldNames[f]
	}
	return "unknown field"
}
