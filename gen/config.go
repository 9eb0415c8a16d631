package gen

import (
	"fmt"
	"time"
)

// Layout is the key layout of delivered log objects (SPEC §5).
type Layout uint8

// The key layouts.
const (
	// Simple is <prefix>YYYY-mm-DD-HH-MM-SS-<UniqueString>, the delivery
	// time.
	Simple Layout = iota
	// Partitioned is <prefix><SourceAccountId>/<SourceRegion>/<SourceBucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<UniqueString>,
	// dated by Config.PartitionDate.
	Partitioned
)

// String returns "simple" or "partitioned".
func (l Layout) String() string {
	if l == Partitioned {
		return "partitioned"
	}
	return "simple"
}

// PartitionDate says which time dates the keys of the Partitioned layout.
type PartitionDate uint8

// The partition dates.
const (
	// EventTime dates a key by the UTC day of the object's records, with
	// time 00-00-00 (AWS's default for the partitioned layout). Every
	// record of an object then falls on that day.
	EventTime PartitionDate = iota
	// DeliveryTime dates a key by the delivery time, as the simple layout
	// does.
	DeliveryTime
)

// String returns "event" or "delivery".
func (p PartitionDate) String() string {
	if p == DeliveryTime {
		return "delivery"
	}
	return "event"
}

// DefaultTrapRate is the share of records that carry a real-world oddity
// when Config.TrapRate is zero.
const DefaultTrapRate = 0.005

// Config says what to generate. The zero value is usable: every field
// states its default. The same Config always yields the same objects, byte
// for byte.
type Config struct {
	// Seed selects the data set. Default 0 (a valid seed like any other).
	Seed int64
	// Objects is the number of log objects. Default 100.
	Objects int
	// LinesPerObject is the average number of records per object; each
	// object has between half and one and a half times as many (at least
	// one). Default 500.
	LinesPerObject int
	// Start and Span bound the record times: [Start, Start+Span). Start is
	// truncated to whole seconds. Defaults 2024-03-01T00:00:00Z and 7 days.
	// Key times (delivery) may fall after Start+Span.
	Start time.Time
	Span  time.Duration
	// Layout is the key layout. Default Simple.
	Layout Layout
	// PartitionDate dates Partitioned keys. Default EventTime.
	PartitionDate PartitionDate
	// Prefix is the TargetPrefix put before every key, e.g. "logs/".
	// Default "" (keys at the root).
	Prefix string
	// SourceAccount is the 12-digit account that owns the source buckets.
	// Default "123456789012".
	SourceAccount string
	// SourceRegion is the source buckets' region. Default "us-east-1".
	SourceRegion string
	// Buckets are the source bucket names; objects go round-robin over
	// them, each object holding records of one bucket. With the Simple
	// layout several buckets share the prefix, as S3 allows. Default
	// ["amzn-s3-demo-bucket1"].
	Buckets []string
	// TrapRate is the share of records that carry one of the oddities
	// real logs contain (see Trap). Zero means DefaultTrapRate; a negative
	// value means none. At most 1.
	TrapRate float64
}

// withDefaults returns c with its defaults filled in, or an error for a
// value that cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.Objects < 0 || c.LinesPerObject < 0 {
		return c, fmt.Errorf("gen: objects and lines per object must not be negative")
	}
	if c.Objects == 0 {
		c.Objects = 100
	}
	if c.LinesPerObject == 0 {
		c.LinesPerObject = 500
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	if c.Span < 0 {
		return c, fmt.Errorf("gen: negative span %v", c.Span)
	}
	if c.Span == 0 {
		c.Span = 7 * 24 * time.Hour
	}
	if c.Span < time.Second {
		c.Span = time.Second
	}
	if y := c.Start.Add(c.Span).Year(); c.Start.Year() < 2006 || y > 9999 {
		return c, fmt.Errorf("gen: time range %v + %v outside 2006..9999", c.Start.Format(time.RFC3339), c.Span)
	}
	if c.SourceAccount == "" {
		c.SourceAccount = "123456789012"
	}
	if c.SourceRegion == "" {
		c.SourceRegion = "us-east-1"
	}
	if len(c.Buckets) == 0 {
		c.Buckets = []string{"amzn-s3-demo-bucket1"}
	}
	for _, b := range c.Buckets {
		if b == "" || containsByte(b, ' ') || containsByte(b, '/') {
			return c, fmt.Errorf("gen: invalid bucket name %q", b)
		}
	}
	if c.TrapRate == 0 {
		c.TrapRate = DefaultTrapRate
	}
	if c.TrapRate < 0 {
		c.TrapRate = 0
	}
	if c.TrapRate > 1 {
		return c, fmt.Errorf("gen: trap rate %v above 1", c.TrapRate)
	}
	if c.Layout > Partitioned || c.PartitionDate > DeliveryTime {
		return c, fmt.Errorf("gen: unknown layout %d/%d", c.Layout, c.PartitionDate)
	}
	return c, nil
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// Trap names a real-world oddity of the log format (FORMAT.md) that a
// record may carry.
type Trap uint8

// The traps. Each trap record is otherwise ordinary.
const (
	TrapNone                    Trap = iota
	TrapJSONUserAgent                // pip's JSON user agent, full of quotes
	TrapUserAgentLeadingQuotes       // a user agent logged as ""Mozilla…"
	TrapUserAgentTrailingQuotes      // a user agent logged as "…Safari/604.1""
	TrapShellshock                   // () { :;}; echo; echo "x" in referer and user agent
	TrapQuoteInRequestLine           // request line "GET /" HTTP/1.1"
	TrapCloudFrontOAI                // requester with spaces: …user/CloudFront Origin Access Identity E…
	TrapChecksumOperation            // four-part operation S3.COMPUTE.OBJECT.CHECKSUM
	TrapUUIDRequestID                // a request id that is a UUID
	TrapIPv6                         // an IPv6 remote IP
	TrapHugeSize                     // bytes sent and object size above 2^32
	TrapDoubleEncodedKey             // key with %253D and + for a space; %3D and %20 in the request line
	TrapHostIDTwoTokens              // a Host Id logged as two space-separated tokens
	numTraps
)

var trapNames = [numTraps]string{
	"none", "json-user-agent", "user-agent-leading-quotes", "user-agent-trailing-quotes",
	"shellshock", "quote-in-request-line", "cloudfront-oai", "checksum-operation",
	"uuid-request-id", "ipv6", "huge-size", "double-encoded-key", "host-id-two-tokens",
}

// String returns the trap's short name, e.g. "json-user-agent".
func (t Trap) String() string {
	if t < numTraps {
		return trapNames[t]
	}
	return fmt.Sprintf("trap(%d)", uint8(t))
}

// Traps returns every trap except TrapNone.
func Traps() []Trap {
	ts := make([]Trap, 0, numTraps-1)
	for t := TrapNone + 1; t < numTraps; t++ {
		ts = append(ts, t)
	}
	return ts
}
