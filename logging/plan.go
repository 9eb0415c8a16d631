package logging

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/s3logs/s3logs/internal/awserr"
	"golang.org/x/sync/errgroup"
)

// Config says which buckets to configure and how. Only Account is required.
type Config struct {
	// Account is the AWS account id, used in bucket names, the policy's
	// aws:SourceAccount condition and partitioned sources.
	Account string
	// Home is the region used for ListBuckets and GetBucketLocation, which
	// answer for buckets of every region. Default us-east-1.
	Home string
	// Buckets are the source buckets; default every bucket ListBuckets
	// returns.
	Buckets []string
	// PrefixFilter keeps only buckets whose name starts with it.
	PrefixFilter string
	// Force reconfigures buckets that already log somewhere else; by
	// default they are skipped and reported.
	Force bool
	// TargetBucket is the logging bucket name pattern ({account},
	// {region}); default DefaultTargetBucket.
	TargetBucket string
	// TargetPrefix is the per-source prefix pattern ({bucket}, {account},
	// {region}); default DefaultTargetPrefix.
	TargetPrefix string
	// Layout is the key layout of delivered objects; default simple.
	Layout Layout
	// ExpireDays, when > 0, adds a lifecycle rule to each logging bucket
	// that expires log objects after that many days. Default 0: none.
	ExpireDays int
	// Concurrency bounds in-flight requests; default 16.
	Concurrency int
}

func (c *Config) defaults() error {
	if c.Home == "" {
		c.Home = "us-east-1"
	}
	if c.TargetBucket == "" {
		c.TargetBucket = DefaultTargetBucket
	}
	if c.TargetPrefix == "" {
		c.TargetPrefix = DefaultTargetPrefix
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.ExpireDays < 0 || c.ExpireDays > 1<<31-1 {
		return fmt.Errorf("%w: expire after %d days: out of range", ErrConfig, c.ExpireDays)
	}
	if c.Layout.Partitioned && c.Layout.Date != "" && c.Layout.Date != EventTime && c.Layout.Date != DeliveryTime {
		return fmt.Errorf("%w: partition date %q", ErrConfig, c.Layout.Date)
	}
	// Check the patterns once with dummy values so a typo fails before any
	// request.
	if _, err := expand(c.TargetBucket, "1", "r", ""); err != nil {
		return err
	}
	if _, err := expand(c.TargetPrefix, "1", "r", "b"); err != nil {
		return err
	}
	return nil
}

// Action is what a plan does to one source bucket.
type Action string

// Actions of a Source.
const (
	ActionEnable    Action = "enable"    // logging is off: turn it on
	ActionUpdate    Action = "update"    // logs elsewhere, --force: reconfigure
	ActionNone      Action = "none"      // already logs exactly as planned
	ActionSkip      Action = "skip"      // logs elsewhere; kept without --force
	ActionSkipSelf  Action = "skip-self" // is a logging bucket: never logs into itself
	ActionError     Action = "error"     // could not be inspected; see Err
	actionUndecided Action = ""
)

// Source is one source bucket: what it does now and what the plan does.
type Source struct {
	Bucket string
	Region string
	// Current is where it logs now; nil when logging is off.
	Current *Destination
	// Want is the planned destination (set for enable, update and none).
	Want   Destination
	Action Action
	// Reason explains a skip.
	Reason string
	// Err is the failure inspecting or (after Apply) configuring it.
	Err error
	// Applied is set by Apply when PutBucketLogging succeeded.
	Applied bool
}

// Target is the logging bucket of one region and what the plan does to it.
type Target struct {
	Bucket string
	Region string
	// Exists is whether the bucket already exists; if not, Apply creates it
	// with public access blocked and SSE-S3 default encryption.
	Exists bool
	// Policy is the bucket policy to put (existing statements kept, ours
	// added or replaced); nil when it already grants what is needed.
	Policy []byte
	// Lifecycle is the lifecycle configuration to put; nil when not asked
	// for or already in place.
	Lifecycle *types.BucketLifecycleConfiguration
	// Sources is the number of source buckets whose delivery it grants.
	Sources int
	// ExpireDays is the retention the lifecycle rule sets (0: none).
	ExpireDays int
	// Err is the failure inspecting or (after Apply) configuring it; the
	// sources that need it then fail too.
	Err error
	// Applied is set by Apply when every change succeeded.
	Applied bool
}

// Changes reports whether t has anything to do.
func (t *Target) Changes() bool {
	return !t.Exists || t.Policy != nil || t.Lifecycle != nil
}

// Actions describes what Apply does to t, in order; "none" when nothing.
func (t *Target) Actions() string {
	var a []string
	if !t.Exists {
		a = append(a, "create (public access blocked, SSE-S3)")
	}
	if t.Policy != nil {
		plural := "s"
		if t.Sources == 1 {
			plural = ""
		}
		a = append(a, fmt.Sprintf("put policy (delivery for %d bucket%s)", t.Sources, plural))
	}
	if t.Lifecycle != nil {
		a = append(a, fmt.Sprintf("put lifecycle (expire after %dd)", t.ExpireDays))
	}
	if t.Err != nil {
		return "error: " + t.Err.Error()
	}
	if len(a) == 0 {
		return "none"
	}
	return strings.Join(a, ", ")
}

// Plan is the complete set of changes for an account. Build makes it
// without changing anything; Apply carries it out. A Plan is not safe for
// concurrent use.
type Plan struct {
	Account string
	Sources []Source // sorted by bucket name
	Targets []Target // sorted by region
	conc    int
}

// Changes reports whether applying p would change anything.
func (p *Plan) Changes() bool {
	for i := range p.Targets {
		if p.Targets[i].Changes() {
			return true
		}
	}
	for i := range p.Sources {
		if a := p.Sources[i].Action; a == ActionEnable || a == ActionUpdate {
			return true
		}
	}
	return false
}

// Failed returns the number of source buckets that failed, in planning or
// applying.
func (p *Plan) Failed() int {
	n := 0
	for i := range p.Sources {
		if p.Sources[i].Err != nil {
			n++
		}
	}
	return n
}

// target returns the target of region, or nil.
func (p *Plan) target(region string) *Target {
	for i := range p.Targets {
		if p.Targets[i].Region == region {
			return &p.Targets[i]
		}
	}
	return nil
}

// Inspect returns the source buckets cfg selects with their region and
// current logging configuration, sorted by name. Only Home, Buckets,
// PrefixFilter and Concurrency of cfg are used. A bucket that cannot be
// inspected has Err set and Action ActionError; the error returned is for
// failures that stop everything (listing buckets).
func Inspect(ctx context.Context, clients Clients, cfg Config) ([]Source, error) {
	if cfg.Home == "" {
		cfg.Home = "us-east-1"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	home := clients(cfg.Home)
	names := slices.Clone(cfg.Buckets)
	if len(names) == 0 {
		pg := s3.NewListBucketsPaginator(home, &s3.ListBucketsInput{})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list buckets: %w", err)
			}
			for _, b := range out.Buckets {
				names = append(names, aws.ToString(b.Name))
			}
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "" || !strings.HasPrefix(n, cfg.PrefixFilter) })
	slices.Sort(names)
	names = slices.Compact(names)

	srcs := make([]Source, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Concurrency)
	for i, name := range names {
		srcs[i].Bucket = name
		g.Go(func() error {
			s := &srcs[i]
			region, err := bucketRegion(gctx, home, name)
			if err != nil {
				s.Action, s.Err = ActionError, err
				return nil
			}
			s.Region = region
			out, err := clients(region).GetBucketLogging(gctx, &s3.GetBucketLoggingInput{Bucket: aws.String(name)})
			if err != nil {
				s.Action, s.Err = ActionError, fmt.Errorf("get bucket logging: %w", err)
				return nil
			}
			if le := out.LoggingEnabled; le != nil {
				d := Destination{Bucket: aws.ToString(le.TargetBucket), Prefix: aws.ToString(le.TargetPrefix)}
				if f := le.TargetObjectKeyFormat; f != nil && f.PartitionedPrefix != nil {
					d.Layout = Layout{Partitioned: true, Date: string(f.PartitionedPrefix.PartitionDateSource)}
				}
				s.Current = &d
			}
			return nil
		})
	}
	_ = g.Wait() // per-bucket errors are in srcs; only ctx can stop it
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return srcs, nil
}

// bucketRegion asks where bucket lives. S3 answers "" for us-east-1 and the
// legacy "EU" for eu-west-1.
func bucketRegion(ctx context.Context, c API, bucket string) (string, error) {
	out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", fmt.Errorf("get bucket location: %w", err)
	}
	switch r := string(out.LocationConstraint); r {
	case "":
		return "us-east-1", nil
	case "EU":
		return "eu-west-1", nil
	default:
		return r, nil
	}
}

// Build inspects the buckets cfg selects and returns the plan. It changes
// nothing. Per-bucket failures are in the plan (Source.Err, Target.Err);
// the error is for a bad Config (wrapping ErrConfig) or a failure that
// stops everything.
func Build(ctx context.Context, clients Clients, cfg Config) (*Plan, error) {
	if cfg.Account == "" {
		return nil, fmt.Errorf("%w: account id is required", ErrConfig)
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	srcs, err := Inspect(ctx, clients, cfg)
	if err != nil {
		return nil, err
	}
	p := &Plan{Account: cfg.Account, Sources: srcs, conc: cfg.Concurrency}

	// One logging bucket per region; two regions must not share one.
	targetOf := map[string]string{} // region -> bucket
	regionOf := map[string]string{} // bucket -> region
	for i := range srcs {
		r := srcs[i].Region
		if srcs[i].Err != nil || targetOf[r] != "" {
			continue
		}
		name, err := expand(cfg.TargetBucket, cfg.Account, r, "")
		if err != nil {
			return nil, err
		}
		if why := validBucketName(name); why != "" {
			return nil, fmt.Errorf("%w: logging bucket name %q (from %q): %s", ErrConfig, name, cfg.TargetBucket, why)
		}
		if other, ok := regionOf[name]; ok {
			return nil, fmt.Errorf("%w: logging bucket pattern %q gives %q for both %s and %s; S3 needs a logging bucket in each source bucket's region, so put {region} in the pattern", ErrConfig, cfg.TargetBucket, name, other, r)
		}
		targetOf[r], regionOf[name] = name, r
	}

	for i := range srcs {
		s := &srcs[i]
		if s.Err != nil {
			continue
		}
		if r, ok := regionOf[s.Bucket]; ok {
			s.Action, s.Reason = ActionSkipSelf, "is the logging bucket of "+r
			continue
		}
		prefix, err := expand(cfg.TargetPrefix, cfg.Account, s.Region, s.Bucket)
		if err != nil {
			return nil, err
		}
		s.Want = Destination{Bucket: targetOf[s.Region], Prefix: prefix, Layout: cfg.Layout}
		switch {
		case s.Current == nil:
			s.Action = ActionEnable
		case s.Current.equal(s.Want):
			s.Action = ActionNone
		case cfg.Force:
			s.Action = ActionUpdate
		default:
			s.Action, s.Reason = ActionSkip, "already logs to "+s.Current.String()
			s.Want = Destination{}
		}
	}

	// The logging buckets that some source needs.
	statements := map[string][]statement{}
	for i := range srcs {
		s := &srcs[i]
		if a := s.Action; a == ActionEnable || a == ActionUpdate || a == ActionNone {
			statements[s.Region] = append(statements[s.Region], deliveryStatement(s.Want.Bucket, s.Want.Prefix, s.Bucket, cfg.Account))
		}
	}
	regions := make([]string, 0, len(statements))
	for r := range statements {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	p.Targets = make([]Target, len(regions))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Concurrency)
	for i, r := range regions {
		t := &p.Targets[i]
		t.Bucket, t.Region, t.Sources, t.ExpireDays = targetOf[r], r, len(statements[r]), cfg.ExpireDays
		g.Go(func() error {
			t.Err = planTarget(gctx, clients(cfg.Home), clients(r), t, statements[r], cfg.ExpireDays)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range srcs {
		if t := p.target(srcs[i].Region); t != nil && t.Err != nil && srcs[i].Err == nil && srcs[i].Action != ActionSkip && srcs[i].Action != ActionSkipSelf {
			srcs[i].Action, srcs[i].Err = ActionError, fmt.Errorf("logging bucket %s: %w", t.Bucket, t.Err)
		}
	}
	return p, nil
}

// planTarget fills in what t needs: whether it exists (and is in its
// region), the merged policy and lifecycle configuration.
func planTarget(ctx context.Context, home, regional API, t *Target, stmts []statement, expireDays int) error {
	stmts = append(stmts, denyInsecureStatement(t.Bucket))
	region, err := bucketRegion(ctx, home, t.Bucket)
	switch {
	case err == nil:
		t.Exists = true
		if region != t.Region {
			return fmt.Errorf("exists in %s, but source buckets of %s can only log to a bucket in %s", region, t.Region, t.Region)
		}
	case awserr.Code(err) == "NoSuchBucket":
		t.Exists = false
	default:
		return fmt.Errorf("%w (if the name is taken by another account, choose another --target-bucket-pattern)", err)
	}

	existing := ""
	if t.Exists {
		out, err := regional.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(t.Bucket)})
		switch {
		case err == nil:
			existing = aws.ToString(out.Policy)
		case awserr.Code(err) == "NoSuchBucketPolicy":
		default:
			return fmt.Errorf("get bucket policy: %w", err)
		}
	}
	policy, changed, err := mergePolicy(existing, stmts)
	if err != nil {
		return err
	}
	if changed {
		t.Policy = policy
	}

	if expireDays <= 0 {
		return nil
	}
	var rules []types.LifecycleRule
	if t.Exists {
		out, err := regional.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(t.Bucket)})
		switch {
		case err == nil:
			rules = out.Rules
		case awserr.Code(err) == "NoSuchLifecycleConfiguration":
		default:
			return fmt.Errorf("get bucket lifecycle configuration: %w", err)
		}
	}
	if merged, changed := mergeLifecycle(rules, expireDays); changed {
		t.Lifecycle = &types.BucketLifecycleConfiguration{Rules: merged}
	}
	return nil
}

// lifecycleRuleID names the lifecycle rule this package writes.
const lifecycleRuleID = "s3logs-expire-access-logs"

// mergeLifecycle returns rules with the expiry rule set to days, keeping
// other rules; changed is false when it is already there as wanted.
func mergeLifecycle(rules []types.LifecycleRule, days int) (merged []types.LifecycleRule, changed bool) {
	want := types.LifecycleRule{
		ID:         aws.String(lifecycleRuleID),
		Status:     types.ExpirationStatusEnabled,
		Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("")},
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(int32(days))},
		// Uploads are single PUTs, but an abandoned multipart upload would
		// otherwise be kept and billed for ever.
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
	}
	for i, r := range rules {
		if aws.ToString(r.ID) != lifecycleRuleID {
			continue
		}
		if r.Status == types.ExpirationStatusEnabled && r.Expiration != nil && aws.ToInt32(r.Expiration.Days) == int32(days) &&
			(r.Filter == nil || aws.ToString(r.Filter.Prefix) == "" && r.Filter.And == nil && r.Filter.Tag == nil) {
			return nil, false
		}
		merged = slices.Clone(rules)
		merged[i] = want
		return merged, true
	}
	return append(slices.Clone(rules), want), true
}
