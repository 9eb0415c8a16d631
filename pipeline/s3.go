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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/s3logs/s3logs/internal/awsconf"
)

const (
	// smallObject is the largest object read whole into a pooled buffer
	// (and at most a quarter of Config.MaxBuffered); larger ones and objects
	// of unknown size are streamed with resume.
	smallObject = 8 << 20
	// listParallel is how many day prefixes of the partitioned layout are
	// listed at once.
	listParallel = 8
	// maxDayPrefixes is the widest window listed day by day; a wider one is
	// listed as one key range.
	maxDayPrefixes = 400
	keyStamp       = "2006-01-02-15-04-05"
)

// Errors the store retries.
var (
	// errShortBody marks a body that ended before its Content-Length.
	errShortBody = errors.New("body shorter than its Content-Length")
	// errStalled marks a GET of a small object that took longer than
	// smallTimeout: a stalled connection, which would otherwise hang.
	errStalled = errors.New("GET stalled")
)

// smallTimeout bounds one attempt to GET a small object.
const smallTimeout = 2 * time.Minute

// s3Store is an S3 prefix, s3://bucket/prefix. Listing is pipelined (objects
// are sent as each page arrives) and pruned by the window (SPEC §5); GETs
// are plain GetObject calls retried by the store itself (the SDK's retryer
// is off so attempts are bounded and counted in one place).
type s3Store struct {
	client         *s3.Client
	bucket, prefix string
	stats          *Stats
	attempts       int
	base           time.Duration
	mem            *semaphore.Weighted // bytes of whole-object buffers
	memCap         int64
	bufs           sync.Pool // *[]byte for small objects
	emitMu         sync.Mutex
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

func newS3Store(ctx context.Context, cfg *Config, src string, stats *Stats) (store, error) {
	bucket, prefix, err := ParseS3URL(src)
	if err != nil {
		return nil, err
	}
	opts := cfg.AWS
	if opts.MaxConns < cfg.Concurrency+listParallel {
		opts.MaxConns = cfg.Concurrency + listParallel
	}
	awsCfg, err := awsconf.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	awsCfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	s := &s3Store{
		client: awsconf.S3(awsCfg, opts), bucket: bucket, prefix: prefix, stats: stats,
		attempts: cfg.MaxAttempts, base: cfg.RetryBase, memCap: cfg.MaxBuffered,
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
func (s *s3Store) backoff(ctx context.Context, n int) error {
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
// s.attempts times.
func (s *s3Store) do(ctx context.Context, f func() error) error {
	for n := 0; ; n++ {
		s.stats.Requests.Add(1)
		err := f()
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
			return fmt.Errorf("failed after %d attempts: %w", n+1, err)
		}
		s.stats.Retries.Add(1)
		if err := s.backoff(ctx, n); err != nil {
			return err
		}
	}
}

// --- listing ---

// listPages lists prefix with ListObjectsV2 page by page, calling page for
// each until it returns stop or the listing ends.
func (s *s3Store) listPages(ctx context.Context, prefix, delim, startAfter string, page func(*s3.ListObjectsV2Output) (stop bool, err error)) error {
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(prefix)}
	if delim != "" {
		in.Delimiter = aws.String(delim)
	}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	for {
		var out *s3.ListObjectsV2Output
		err := s.do(ctx, func() error {
			var err error
			out, err = s.client.ListObjectsV2(ctx, in)
			return err
		})
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, err)
		}
		stop, err := page(out)
		if err != nil || stop {
			return err
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

type emitFunc func(types.Object) error

func (s *s3Store) list(ctx context.Context, w Window, lateness time.Duration, out func(Object) error) error {
	emit := func(obj types.Object) error {
		key := aws.ToString(obj.Key)
		o := Object{Name: key, Size: aws.ToInt64(obj.Size)}
		if obj.Size == nil {
			o.Size = -1
		}
		o.Key, _ = ParseKey(strings.TrimSuffix(strings.TrimSuffix(key, ".gz"), ".zst"))
		// out is the caller's; day prefixes are listed in parallel.
		s.emitMu.Lock()
		defer s.emitMu.Unlock()
		return out(o)
	}
	if !w.Bounded() {
		return s.listRange(ctx, s.prefix, "", "", emit)
	}
	return s.listDir(ctx, s.prefix, w, lateness, emit)
}

// listRange lists every key under prefix after startAfter and before
// stopAt (when set), without a delimiter.
func (s *s3Store) listRange(ctx context.Context, prefix, startAfter, stopAt string, emit emitFunc) error {
	return s.listPages(ctx, prefix, "", startAfter, func(out *s3.ListObjectsV2Output) (bool, error) {
		for _, obj := range out.Contents {
			if stopAt != "" && aws.ToString(obj.Key) >= stopAt {
				return true, nil
			}
			if err := emit(obj); err != nil {
				return true, err
			}
		}
		return false, nil
	})
}

// entry is a key or a common prefix of a delimiter listing.
type entry struct {
	name string
	obj  *types.Object // nil for a common prefix
}

// merge returns a page's keys and common prefixes in key order (each list
// is sorted already).
func merge(out *s3.ListObjectsV2Output) []entry {
	es := make([]entry, 0, len(out.Contents)+len(out.CommonPrefixes))
	i, j := 0, 0
	for i < len(out.Contents) || j < len(out.CommonPrefixes) {
		if j == len(out.CommonPrefixes) || i < len(out.Contents) && aws.ToString(out.Contents[i].Key) < aws.ToString(out.CommonPrefixes[j].Prefix) {
			es = append(es, entry{aws.ToString(out.Contents[i].Key), &out.Contents[i]})
			i++
		} else {
			es = append(es, entry{name: aws.ToString(out.CommonPrefixes[j].Prefix)})
			j++
		}
	}
	return es
}

func stamp(t time.Time) string { return t.UTC().Format(keyStamp) }

// listDir lists the "directory" p for a bounded window. Its layout is
// detected from the first page of a delimiter listing:
//   - account directories (<12 digits>/) mean the partitioned layout: only
//     the day prefixes in the window are listed, several at once;
//   - simple-layout keys <p>YYYY-mm-DD-HH-MM-SS-… mean the simple layout:
//     the listing jumps (StartAfter) to the window's start and leaves the
//     time-ordered keys once they pass to + lateness;
//   - other directories are listed the same way, recursively.
//
// Keys that match neither layout are always listed, except names inside a
// simple layout's time-ordered range (p followed by a digit) outside the
// window: as S3 writes one layout per prefix, there are none.
func (s *s3Store) listDir(ctx context.Context, p string, w Window, lateness time.Duration, emit emitFunc) error {
	var end time.Time
	if !w.To.IsZero() {
		end = w.To.Add(lateness)
	}
	if d := partitionDepth(p); d > 0 {
		return s.listPartition(ctx, p, d, w, end, emit)
	}
	decided, simple := false, false
	var accounts, subdirs []string
	startAfter := ""
	for {
		restart := ""
		err := s.listPages(ctx, p, "/", startAfter, func(out *s3.ListObjectsV2Output) (bool, error) {
			es := merge(out)
			if !decided {
				decided = true
				simple = detectSimple(p, es)
			}
			for _, e := range es {
				rest := e.name[len(p):]
				if simple && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
					if !w.From.IsZero() {
						if from := p + stamp(w.From); e.name < from && from > startAfter {
							restart = from
							return true, nil
						}
					}
					if !end.IsZero() && e.name >= p+stamp(end)+"." {
						// Past the window: the rest of the time-ordered
						// range (p followed by a digit) is skipped.
						if after := p + "9\U0010FFFF"; after > startAfter {
							restart = after
							return true, nil
						}
					}
				}
				switch {
				case e.obj != nil:
					if err := emit(*e.obj); err != nil {
						return true, err
					}
				case !simple && len(rest) == 13 && isAccount(rest[:12]):
					accounts = append(accounts, e.name)
				default:
					subdirs = append(subdirs, e.name)
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
		if restart == "" {
			break
		}
		startAfter = restart
	}
	for _, a := range accounts {
		if err := s.listPartition(ctx, a, 1, w, end, emit); err != nil {
			return err
		}
	}
	for _, d := range subdirs {
		if err := s.listDir(ctx, d, w, lateness, emit); err != nil {
			return err
		}
	}
	return nil
}

// detectSimple reports whether a directory's first page shows the simple
// layout (keys <p>YYYY-mm-DD-HH-MM-SS-…) and not the partitioned one
// (account directories).
func detectSimple(p string, es []entry) bool {
	simple := false
	for _, e := range es {
		rest := e.name[len(p):]
		if e.obj == nil && len(rest) == 13 && isAccount(rest[:12]) {
			return false
		}
		if e.obj != nil {
			if k, ok := ParseKey(e.name); ok && k.Layout == LayoutSimple && k.Prefix == p {
				simple = true
			}
		}
	}
	return simple
}

// listLevel lists one level of p with a delimiter: keys are emitted,
// directories returned.
func (s *s3Store) listLevel(ctx context.Context, p string, emit emitFunc) ([]string, error) {
	var dirs []string
	err := s.listPages(ctx, p, "/", "", func(out *s3.ListObjectsV2Output) (bool, error) {
		for _, obj := range out.Contents {
			if err := emit(obj); err != nil {
				return true, err
			}
		}
		for _, cp := range out.CommonPrefixes {
			dirs = append(dirs, aws.ToString(cp.Prefix))
		}
		return false, nil
	})
	return dirs, err
}

// partitionDepth says where p is inside the partitioned layout: 1 for
// <account>/, 2 for <account>/<region>/, 3 for <account>/<region>/<bucket>/
// (p ends with it), 0 elsewhere.
func partitionDepth(p string) int {
	rest, ok := strings.CutSuffix(p, "/")
	if !ok {
		return 0
	}
	parts := strings.Split(rest, "/")
	for d := 1; d <= 3 && d <= len(parts); d++ {
		if isAccount(parts[len(parts)-d]) {
			return d
		}
	}
	return 0
}

// listPartition lists p at depth (see partitionDepth) of the partitioned
// layout: the levels down to <bucket>/ with delimiter listings, then the
// bucket's days in the window up to end (zero: unbounded).
func (s *s3Store) listPartition(ctx context.Context, p string, depth int, w Window, end time.Time, emit emitFunc) error {
	if depth >= 3 {
		return s.listDays(ctx, p, w, end, emit)
	}
	dirs, err := s.listLevel(ctx, p, emit)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := s.listPartition(ctx, d, depth+1, w, end, emit); err != nil {
			return err
		}
	}
	return nil
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// listDays lists the YYYY/MM/DD/ prefixes of b from the window's first day
// to end's day: one prefix per day, listParallel at once, or one key range
// when the window is open or very wide.
func (s *s3Store) listDays(ctx context.Context, b string, w Window, end time.Time, emit emitFunc) error {
	if !w.From.IsZero() && !end.IsZero() {
		first, last := day(w.From), day(end)
		if n := int(last.Sub(first)/(24*time.Hour)) + 1; n <= maxDayPrefixes {
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(listParallel)
			for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
				g.Go(func() error {
					return s.listRange(gctx, b+d.Format("2006/01/02/"), "", "", emit)
				})
			}
			return g.Wait()
		}
	}
	startAfter, stopAt := "", ""
	if !w.From.IsZero() {
		startAfter = b + day(w.From).Format("2006/01/02")
	}
	if !end.IsZero() {
		stopAt = b + day(end).AddDate(0, 0, 1).Format("2006/01/02")
	}
	return s.listRange(ctx, b, startAfter, stopAt, emit)
}

// --- reading ---

func (s *s3Store) open(ctx context.Context, o *Object) (io.ReadCloser, error) {
	if o.Size >= 0 && o.Size <= min(smallObject, s.memCap/4) {
		return s.openSmall(ctx, o)
	}
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
	if int64(cap(*bp)) < o.Size {
		*bp = make([]byte, 0, o.Size)
	}
	release := func() {
		if cap(*bp) <= smallObject {
			*bp = (*bp)[:0]
			s.bufs.Put(bp)
		}
		s.mem.Release(weight)
	}
	err := s.do(ctx, func() error {
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
		buf := bytes.NewBuffer((*bp)[:0])
		_, err = buf.ReadFrom(out.Body)
		*bp = buf.Bytes()
		if err != nil {
			return stalled(err)
		}
		if out.ContentLength != nil && int64(len(*bp)) != *out.ContentLength {
			return errShortBody
		}
		return nil
	})
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
	err := r.s.do(r.ctx, func() error {
		out, err := r.s.client.GetObject(r.ctx, in)
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
