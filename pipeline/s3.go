package pipeline

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/semaphore"

	"github.com/s3logs/s3logs/internal/awsconf"
)

const (
	// smallObject is the largest object read whole into a pooled buffer
	// (and at most a quarter of Config.MaxBuffered); larger ones and objects
	// of unknown size are streamed with resume.
	smallObject = 8 << 20
)

// Errors the store retries.
var (
	// errShortBody marks a body that ended before its Content-Length.
	errShortBody = errors.New("body shorter than its Content-Length")
	// errStalled marks a GET of a small object that took longer than
	// smallTimeout: a stalled connection, which would otherwise hang.
	errStalled = errors.New("GET stalled")
)

// errGrown marks a small object whose GET is larger than its listing
// said; it is read again as a stream (not retried as it is).
var errGrown = errors.New("object larger than listed")

// smallTimeout bounds one attempt to GET a small object.
const smallTimeout = 2 * time.Minute

// s3Store is an S3 prefix, s3://bucket/prefix. Listing is parallel and
// pipelined (objects are sent as each page arrives) and pruned by the
// window (SPEC §5, s3list.go); GETs are plain GetObject calls retried by
// the store itself (the SDK's retryer is off so attempts are bounded and
// counted in one place).
type s3Store struct {
	*s3Shared
	bucket, prefix string
}

// s3Shared is what the S3 stores of one run share: one client, whose
// connection pool is sized to the run's requests in flight, and one
// budget of whole-object buffers.
type s3Shared struct {
	client   *s3.Client
	stats    *Stats
	attempts int
	base     time.Duration
	mem      *semaphore.Weighted // bytes of whole-object buffers
	memCap   int64
	bufs     sync.Pool // *[]byte for small objects
	pageKeys int       // keys a list page, for tests (Config.pageKeys)
}

// ParseS3URL splits s3://bucket/prefix into bucket and key prefix.
func ParseS3URL(src string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(src, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%s: not an s3:// URL", src)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%s: no bucket name", src)
	}
	return bucket, prefix, nil
}

func newS3Store(ctx context.Context, cfg *Config, src string, stats *Stats) (*s3Store, error) {
	bucket, prefix, err := ParseS3URL(src)
	if err != nil {
		return nil, err
	}
	if cfg.s3 == nil {
		sh, err := newS3Shared(ctx, cfg, stats)
		if err != nil {
			return nil, err
		}
		cfg.s3 = sh
	}
	return &s3Store{s3Shared: cfg.s3, bucket: bucket, prefix: prefix}, nil
}

func newS3Shared(ctx context.Context, cfg *Config, stats *Stats) (*s3Shared, error) {
	opts := cfg.AWS
	// Every request in flight holds one connection, and no more are
	// opened (the open-file limit was counted for them).
	opts.MaxConns = cfg.Concurrency + cfg.ListConcurrency
	awsCfg, err := awsconf.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	awsCfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	s := &s3Shared{
		client: awsconf.S3(awsCfg, opts), stats: stats,
		attempts: cfg.MaxAttempts, base: cfg.RetryBase, memCap: cfg.MaxBuffered, pageKeys: cfg.pageKeys,
	}
	if s.attempts <= 0 {
		// AWS_MAX_ATTEMPTS or the profile's max_attempts, as the AWS CLI
		// reads them; else 8.
		s.attempts = awsCfg.RetryMaxAttempts
	}
	if s.attempts <= 0 {
		s.attempts = 8
	}
	if s.base <= 0 {
		s.base = 100 * time.Millisecond
	}
	if s.memCap <= 0 {
		s.memCap = 256 << 20
	}
	s.mem = semaphore.NewWeighted(s.memCap)
	return s, nil
}

// retryable reports whether an S3 call's error may go away on retry:
// throttling (503 SlowDown), 5xx, connection resets and truncated bodies.
func retryable(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		// An untrusted certificate stays untrusted: fail at once.
		return false
	case errors.Is(err, errShortBody), errors.Is(err, errStalled), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// backoff waits before attempt n+1 (n from 0): exponential with full
// jitter, capped at 5 s.
func (s *s3Shared) backoff(ctx context.Context, n int) error {
	d := min(s.base<<min(n, 16), 5*time.Second)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do calls f until it succeeds, fails for good, or has been tried
// s.attempts times. f gets a context that counts the requests the HTTP
// client writes, which may be more than the attempts: the client itself
// sends a GET again when a reused connection fails before the answer.
func (s *s3Shared) do(ctx context.Context, f func(ctx context.Context) error) error {
	var sent atomic.Int64
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) {
		if w.Err == nil {
			sent.Add(1)
		}
	}})
	for n := 0; ; n++ {
		s.stats.Requests.Add(1)
		err := f(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if n+1 >= s.attempts {
			if m := sent.Load(); m != int64(n+1) {
				return fmt.Errorf("failed after %d attempts (%d requests sent): %w", n+1, m, err)
			}
			return fmt.Errorf("failed after %d attempts: %w", n+1, err)
		}
		s.stats.Retries.Add(1)
		if err := s.backoff(ctx, n); err != nil {
			return err
		}
	}
}

// --- reading ---

func (s *s3Store) open(ctx context.Context, o *Object) (io.ReadCloser, error) {
	if o.Size >= 0 && o.Size <= min(smallObject, s.memCap/4) {
		return s.openSmall(ctx, o)
	}
	return s.openStream(ctx, o)
}

// openStream streams an object with resume (s3Reader).
func (s *s3Store) openStream(ctx context.Context, o *Object) (io.ReadCloser, error) {
	r := &s3Reader{s: s, ctx: ctx, key: o.Name, size: -1}
	if err := r.reopen(); err != nil {
		return nil, err
	}
	return r, nil
}

// openSmall reads a whole object into a pooled buffer, retrying the GET on
// any retryable error, including a body cut short.
func (s *s3Store) openSmall(ctx context.Context, o *Object) (io.ReadCloser, error) {
	weight := min(max(o.Size, 1), s.memCap)
	if err := s.mem.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	// ReadFrom needs MinRead bytes of room to see the end of the body:
	// without them it would grow the buffer to twice the object's size.
	if need := o.Size + bytes.MinRead; int64(cap(*bp)) < need {
		*bp = make([]byte, 0, need)
	}
	release := func() {
		if cap(*bp) <= smallObject+bytes.MinRead {
			*bp = (*bp)[:0]
			s.bufs.Put(bp)
		}
		s.mem.Release(weight)
	}
	err := s.do(ctx, func(ctx context.Context) error {
		actx, cancel := context.WithTimeoutCause(ctx, smallTimeout, errStalled)
		defer cancel()
		stalled := func(err error) error {
			if ctx.Err() == nil && actx.Err() != nil {
				return fmt.Errorf("%w after %v: %w", errStalled, smallTimeout, err)
			}
			return err
		}
		out, err := s.client.GetObject(actx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &o.Name})
		if err != nil {
			return stalled(err)
		}
		defer out.Body.Close()
		if out.ContentLength == nil || *out.ContentLength > o.Size {
			// Larger than listed (replaced since): it would overrun
			// the budget, so it is streamed instead.
			return errGrown
		}
		buf := bytes.NewBuffer((*bp)[:0])
		_, err = buf.ReadFrom(out.Body)
		*bp = buf.Bytes()
		if err != nil {
			return stalled(err)
		}
		if int64(len(*bp)) != *out.ContentLength { // not nil: checked above
			return errShortBody
		}
		return nil
	})
	if errors.Is(err, errGrown) {
		release()
		return s.openStream(ctx, o)
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("GET s3://%s/%s: %w", s.bucket, o.Name, err)
	}
	return &memBody{Reader: bytes.NewReader(*bp), release: release}, nil
}

// memBody is a whole object in a pooled buffer; Close returns the buffer.
type memBody struct {
	*bytes.Reader
	release func()
	once    sync.Once
}

func (m *memBody) Close() error {
	m.once.Do(m.release)
	return nil
}

// s3Reader streams a large object, resuming with a Range GET (pinned to
// the first response's ETag) after a retryable read error.
type s3Reader struct {
	s        *s3Store
	ctx      context.Context
	key      string
	etag     string
	body     io.ReadCloser
	off      int64
	size     int64 // from the first response's Content-Length, -1 unknown
	failures int
}

func (r *s3Reader) reopen() error {
	in := &s3.GetObjectInput{Bucket: &r.s.bucket, Key: &r.key}
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	err := r.s.do(r.ctx, func(ctx context.Context) error {
		out, err := r.s.client.GetObject(ctx, in)
		if err != nil {
			return err
		}
		r.body = out.Body
		if r.etag == "" {
			r.etag = aws.ToString(out.ETag)
			if out.ContentLength != nil {
				r.size = *out.ContentLength
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("GET s3://%s/%s: %w", r.s.bucket, r.key, err)
	}
	return nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.reopen(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if errors.Is(err, io.EOF) && (r.size < 0 || r.off >= r.size) {
			return n, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = errShortBody
		}
		if err == nil || !retryable(err) || r.ctx.Err() != nil {
			return n, err
		}
		r.body.Close()
		r.body = nil
		r.failures++
		if r.failures >= r.s.attempts {
			return n, fmt.Errorf("GET s3://%s/%s: reading failed after %d attempts: %w", r.s.bucket, r.key, r.failures, err)
		}
		r.s.stats.Retries.Add(1)
		if berr := r.s.backoff(r.ctx, r.failures-1); berr != nil {
			return n, berr
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *s3Reader) Close() error {
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
