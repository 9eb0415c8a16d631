// Package loggingtest is an in-process S3 API server for tests of bucket
// logging configuration: it implements, path-style, the calls package
// logging makes (ListBuckets, GetBucketLocation, Get/PutBucketLogging,
// CreateBucket, Get/PutBucketPolicy, PutPublicAccessBlock,
// PutBucketEncryption, Get/PutBucketLifecycleConfiguration), records every
// call with the region it was signed for, enforces that bucket calls are
// signed for the bucket's region (as S3 does, with PermanentRedirect), and
// can fail any call with any error code. It never touches the network
// beyond loopback.
package loggingtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is the fake S3. Its methods are safe for concurrent use.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:port.
	URL string
	hs  *httptest.Server

	mu      sync.Mutex
	buckets map[string]*Bucket
	calls   []Call
	fails   map[string]string // "Op" or "Op bucket" -> error code
	clients map[string]*s3.Client
	account string
}

// SetAccount sets the account id STS GetCallerIdentity (POST /
// Action=GetCallerIdentity, with AWS_ENDPOINT_URL_STS pointing here)
// answers; until it is set that call fails with NotImplemented.
func (s *Server) SetAccount(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = id
}

// Bucket is the state the server keeps per bucket.
type Bucket struct {
	Region   string // real region
	Location string // what GetBucketLocation answers ("" for us-east-1, may be "EU")
	// Logging is the logging configuration; nil when off.
	Logging *Logging
	// Policy is the bucket policy JSON as put; "" when none.
	Policy string
	// PublicAccessBlock is the four flags as put; nil when never put.
	PublicAccessBlock *PublicAccessBlock
	// SSEAlgorithm is the default encryption as put; "" when never put.
	SSEAlgorithm string
	// Lifecycle is the lifecycle configuration as put; nil when none.
	Lifecycle *Lifecycle
}

// Logging is a bucket's LoggingEnabled element.
type Logging struct {
	TargetBucket string
	TargetPrefix string
	// Format is "simple", "partitioned", or "" when TargetObjectKeyFormat
	// was absent.
	Format string
	// DateSource is PartitionDateSource for the partitioned format.
	DateSource string
}

// PublicAccessBlock is a PublicAccessBlockConfiguration.
type PublicAccessBlock struct {
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

// Lifecycle is a parsed lifecycle configuration and its XML as put.
type Lifecycle struct {
	Rules []LifecycleRule
	raw   []byte
}

// LifecycleRule is the part of a lifecycle rule the tests look at.
type LifecycleRule struct {
	ID, Status, Prefix string
	HasFilter          bool
	ExpirationDays     int
	AbortAfterDays     int
}

// Call is one request the server received.
type Call struct {
	Op     string // SDK operation name, e.g. "PutBucketLogging"
	Bucket string
	Region string // from the SigV4 credential scope
	Body   []byte
	Err    string // error code answered, "" on success
}

// New starts a server with no buckets. Close it when done.
func New() *Server {
	s := &Server{buckets: map[string]*Bucket{}, fails: map[string]string{}, clients: map[string]*s3.Client{}}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.hs.Close() }

// AddBucket creates bucket in region. Region "EU" is eu-west-1 answered
// as the legacy "EU" location.
func (s *Server) AddBucket(name, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &Bucket{Region: region, Location: region}
	switch region {
	case "us-east-1":
		b.Location = ""
	case "EU":
		b.Region = "eu-west-1"
	}
	s.buckets[name] = b
}

// SetLogging sets bucket's logging configuration directly (nil: off).
func (s *Server) SetLogging(bucket string, l *Logging) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket].Logging = l
}

// SetPolicy sets bucket's policy directly.
func (s *Server) SetPolicy(bucket, policy string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket].Policy = policy
}

// Fail makes every later call of op (e.g. "PutBucketLogging") on bucket
// ("" for any bucket) answer the error code (e.g. "AccessDenied").
func (s *Server) Fail(op, bucket, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[strings.TrimSpace(op+" "+bucket)] = code
}

// Get returns a copy of bucket's state.
func (s *Server) Get(bucket string) (Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return Bucket{}, false
	}
	c := *b
	if b.Logging != nil {
		l := *b.Logging
		c.Logging = &l
	}
	return c, true
}

// Buckets returns the bucket names, sorted.
func (s *Server) Buckets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Calls returns the calls received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Writes returns the calls whose Op does not start with "Get" or "List"
// and that succeeded.
func (s *Server) Writes() []Call {
	var w []Call
	for _, c := range s.Calls() {
		if !strings.HasPrefix(c.Op, "Get") && !strings.HasPrefix(c.Op, "List") && c.Err == "" {
			w = append(w, c)
		}
	}
	return w
}

// Client returns an S3 client for region that talks to s: static
// credentials, path-style, one attempt per call.
func (s *Server) Client(region string) *s3.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[region]; ok {
		return c
	}
	c := s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(s.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
		HTTPClient:                 s.hs.Client(),
	})
	s.clients[region] = c
	return c
}

var errStatus = map[string]int{
	"AccessDenied":                       http.StatusForbidden,
	"NoSuchBucket":                       http.StatusNotFound,
	"NoSuchBucketPolicy":                 http.StatusNotFound,
	"NoSuchLifecycleConfiguration":       http.StatusNotFound,
	"BucketAlreadyOwnedByYou":            http.StatusConflict,
	"BucketAlreadyExists":                http.StatusConflict,
	"PermanentRedirect":                  http.StatusMovedPermanently,
	"NotImplemented":                     http.StatusNotImplemented,
	"InternalError":                      http.StatusInternalServerError,
	"MalformedXML":                       http.StatusBadRequest,
	"IllegalLocationConstraintException": http.StatusBadRequest,
}

// signedRegion returns the region of the SigV4 credential scope.
func signedRegion(r *http.Request) string {
	a := r.Header.Get("Authorization")
	i := strings.Index(a, "Credential=")
	if i < 0 {
		return ""
	}
	scope := strings.SplitN(strings.SplitN(a[i+len("Credential="):], ",", 2)[0], "/", 5)
	if len(scope) < 3 {
		return ""
	}
	return scope[2]
}

func operation(r *http.Request, bucket string) string {
	q := r.URL.Query()
	if bucket == "" {
		switch r.Method {
		case http.MethodGet:
			return "ListBuckets"
		case http.MethodPost:
			// STS's query protocol, when AWS_ENDPOINT_URL_STS points here.
			if r.ParseForm() == nil && r.PostForm.Get("Action") == "GetCallerIdentity" {
				return "GetCallerIdentity"
			}
		}
		return ""
	}
	sub := map[string]string{
		"location": "BucketLocation", "logging": "BucketLogging", "policy": "BucketPolicy",
		"publicAccessBlock": "PublicAccessBlock", "encryption": "BucketEncryption",
		"lifecycle": "BucketLifecycleConfiguration",
	}
	for k, name := range sub {
		if q.Has(k) {
			switch r.Method {
			case http.MethodGet:
				return "Get" + name
			case http.MethodPut:
				return "Put" + name
			}
			return ""
		}
	}
	if r.Method == http.MethodPut && !strings.Contains(strings.Trim(r.URL.Path, "/"), "/") {
		return "CreateBucket"
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	bucket := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	c := Call{Op: operation(r, bucket), Bucket: bucket, Region: signedRegion(r), Body: body}
	status, out, code := s.handle(c)
	c.Err = code
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	if code != "" {
		st, ok := errStatus[code]
		if !ok {
			st = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(st)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s (fake)</Message><BucketName>%s</BucketName><RequestId>fake</RequestId></Error>`, code, code, bucket)
		return
	}
	if strings.HasPrefix(string(out), "{") {
		w.Header().Set("Content-Type", "application/json")
	} else if len(out) > 0 {
		w.Header().Set("Content-Type", "application/xml")
	}
	w.WriteHeader(status)
	w.Write(out)
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8"?>`
const ns = `http://s3.amazonaws.com/doc/2006-03-01/`

// handle answers c: status, body, or an error code.
func (s *Server) handle(c Call) (int, []byte, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Op == "" {
		return 0, nil, "NotImplemented"
	}
	if code := s.fails[c.Op+" "+c.Bucket]; code != "" {
		return 0, nil, code
	}
	if code := s.fails[c.Op]; code != "" {
		return 0, nil, code
	}
	if c.Op == "GetCallerIdentity" {
		if s.account == "" {
			return 0, nil, "NotImplemented"
		}
		return 200, []byte(xmlHead + `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>arn:aws:iam::` + s.account + `:user/test</Arn><UserId>AIDATEST</UserId><Account>` + s.account +
			`</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`), ""
	}
	if c.Op == "ListBuckets" {
		var b strings.Builder
		b.WriteString(xmlHead + `<ListAllMyBucketsResult xmlns="` + ns + `"><Owner><ID>fake</ID></Owner><Buckets>`)
		names := make([]string, 0, len(s.buckets))
		for n := range s.buckets {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, `<Bucket><Name>%s</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`, n)
		}
		b.WriteString(`</Buckets></ListAllMyBucketsResult>`)
		return 200, []byte(b.String()), ""
	}
	if c.Op == "CreateBucket" {
		var cfg struct {
			LocationConstraint string
		}
		if len(c.Body) > 0 {
			if err := xml.Unmarshal(c.Body, &cfg); err != nil {
				return 0, nil, "MalformedXML"
			}
		}
		region := cfg.LocationConstraint
		if region == "" {
			region = "us-east-1"
		}
		if region != c.Region {
			return 0, nil, "IllegalLocationConstraintException"
		}
		if _, ok := s.buckets[c.Bucket]; ok {
			return 0, nil, "BucketAlreadyOwnedByYou"
		}
		loc := region
		if region == "us-east-1" {
			loc = ""
		}
		s.buckets[c.Bucket] = &Bucket{Region: region, Location: loc}
		return 200, nil, ""
	}
	b, ok := s.buckets[c.Bucket]
	if !ok {
		return 0, nil, "NoSuchBucket"
	}
	if c.Op == "GetBucketLocation" {
		return 200, []byte(xmlHead + `<LocationConstraint xmlns="` + ns + `">` + b.Location + `</LocationConstraint>`), ""
	}
	if c.Region != b.Region {
		return 0, nil, "PermanentRedirect"
	}
	switch c.Op {
	case "GetBucketLogging":
		return 200, []byte(xmlHead + loggingXML(b.Logging)), ""
	case "PutBucketLogging":
		var st struct {
			Enabled *struct {
				TargetBucket string
				TargetPrefix string
				Format       *struct {
					Simple      *struct{} `xml:"SimplePrefix"`
					Partitioned *struct {
						PartitionDateSource string
					} `xml:"PartitionedPrefix"`
				} `xml:"TargetObjectKeyFormat"`
				Grants *struct{} `xml:"TargetGrants"`
			} `xml:"LoggingEnabled"`
		}
		if err := xml.Unmarshal(c.Body, &st); err != nil {
			return 0, nil, "MalformedXML"
		}
		if st.Enabled == nil {
			b.Logging = nil
			return 200, nil, ""
		}
		if st.Enabled.Grants != nil {
			return 0, nil, "TargetGrantsNotExpected"
		}
		if _, ok := s.buckets[st.Enabled.TargetBucket]; !ok {
			return 0, nil, "InvalidTargetBucketForLogging"
		}
		l := &Logging{TargetBucket: st.Enabled.TargetBucket, TargetPrefix: st.Enabled.TargetPrefix}
		if f := st.Enabled.Format; f != nil {
			switch {
			case f.Partitioned != nil:
				l.Format, l.DateSource = "partitioned", f.Partitioned.PartitionDateSource
			case f.Simple != nil:
				l.Format = "simple"
			}
		}
		b.Logging = l
		return 200, nil, ""
	case "GetBucketPolicy":
		if b.Policy == "" {
			return 0, nil, "NoSuchBucketPolicy"
		}
		return 200, []byte(b.Policy), ""
	case "PutBucketPolicy":
		b.Policy = string(c.Body)
		return 204, nil, ""
	case "PutPublicAccessBlock":
		var p PublicAccessBlock
		if err := xml.Unmarshal(c.Body, &p); err != nil {
			return 0, nil, "MalformedXML"
		}
		b.PublicAccessBlock = &p
		return 200, nil, ""
	case "PutBucketEncryption":
		var e struct {
			Rule []struct {
				Alg string `xml:"ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
			}
		}
		if err := xml.Unmarshal(c.Body, &e); err != nil || len(e.Rule) != 1 {
			return 0, nil, "MalformedXML"
		}
		b.SSEAlgorithm = e.Rule[0].Alg
		return 200, nil, ""
	case "GetBucketLifecycleConfiguration":
		if b.Lifecycle == nil {
			return 0, nil, "NoSuchLifecycleConfiguration"
		}
		return 200, b.Lifecycle.raw, ""
	case "PutBucketLifecycleConfiguration":
		var lc struct {
			Rule []struct {
				ID     string
				Status string
				Filter *struct {
					Prefix string
				}
				Days      int `xml:"Expiration>Days"`
				AbortDays int `xml:"AbortIncompleteMultipartUpload>DaysAfterInitiation"`
			}
		}
		if err := xml.Unmarshal(c.Body, &lc); err != nil {
			return 0, nil, "MalformedXML"
		}
		l := &Lifecycle{raw: c.Body}
		for _, r := range lc.Rule {
			lr := LifecycleRule{ID: r.ID, Status: r.Status, ExpirationDays: r.Days, AbortAfterDays: r.AbortDays}
			if r.Filter != nil {
				lr.HasFilter, lr.Prefix = true, r.Filter.Prefix
			}
			l.Rules = append(l.Rules, lr)
		}
		b.Lifecycle = l
		return 200, nil, ""
	}
	return 0, nil, "NotImplemented"
}

func loggingXML(l *Logging) string {
	if l == nil {
		return `<BucketLoggingStatus xmlns="` + ns + `"></BucketLoggingStatus>`
	}
	var f string
	switch l.Format {
	case "simple":
		f = `<TargetObjectKeyFormat><SimplePrefix></SimplePrefix></TargetObjectKeyFormat>`
	case "partitioned":
		f = `<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>` + l.DateSource + `</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>`
	}
	return `<BucketLoggingStatus xmlns="` + ns + `"><LoggingEnabled><TargetBucket>` + l.TargetBucket +
		`</TargetBucket><TargetPrefix>` + l.TargetPrefix + `</TargetPrefix>` + f + `</LoggingEnabled></BucketLoggingStatus>`
}
