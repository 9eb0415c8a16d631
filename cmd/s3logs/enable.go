package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/awserr"
	"github.com/s3logs/s3logs/logging"
)

// loggingFlags are the flags enable and status share: AWS access, the
// account and which buckets.
type loggingFlags struct {
	aws          awsFlags
	account      string
	buckets      string
	prefixFilter string
	concurrency  int
}

func (f *loggingFlags) register(fs *pflag.FlagSet) {
	f.aws.register(fs)
	fs.StringVar(&f.account, "account", "", "AWS account `id` (default from STS GetCallerIdentity)")
	fs.StringVar(&f.buckets, "buckets", "", "comma-separated source buckets (default all buckets of the account)")
	fs.StringVar(&f.prefixFilter, "prefix-filter", "", "only buckets whose name starts with this")
	fs.IntVar(&f.concurrency, "concurrency", 16, "in-flight S3 requests")
}

func (f *loggingFlags) bucketList() []string {
	var out []string
	for _, b := range strings.Split(f.buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// regionClients hands out one S3 client per region, all from one config:
// S3 answers bucket calls only when signed for the bucket's region.
type regionClients struct {
	cfg aws.Config
	o   awsconf.Options
	mu  sync.Mutex
	m   map[string]*s3.Client
}

func (r *regionClients) client(region string) logging.API {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[region]; ok {
		return c
	}
	cfg := r.cfg.Copy()
	cfg.Region = region
	c := awsconf.S3(cfg, r.o)
	r.m[region] = c
	return c
}

// connect loads the AWS configuration and returns per-region clients and
// the home region.
func (f *loggingFlags) connect(ctx context.Context) (*regionClients, string, error) {
	if f.concurrency <= 0 {
		return nil, "", usagef("--concurrency must be positive")
	}
	if f.account != "" && (len(f.account) != 12 || strings.Trim(f.account, "0123456789") != "") {
		return nil, "", usagef("--account %q: want a 12-digit AWS account id", f.account)
	}
	f.aws.MaxConns = f.concurrency
	if err := f.aws.check(); err != nil {
		return nil, "", err
	}
	cfg, err := awsconf.Load(ctx, f.aws.Options)
	if err != nil {
		return nil, "", err
	}
	return &regionClients{cfg: cfg, o: f.aws.Options, m: map[string]*s3.Client{}}, cfg.Region, nil
}

// accountID returns --account, else asks STS who the credentials belong to.
func (f *loggingFlags) accountID(ctx context.Context, rc *regionClients) (string, error) {
	if f.account != "" {
		return f.account, nil // checked in connect
	}
	out, err := sts.NewFromConfig(rc.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("finding the account id (pass --account to skip this): %w", err)
	}
	return aws.ToString(out.Account), nil
}

// parseDays parses a --expire-after value: "365d" or "365"; "0" or ""
// means no expiry.
func parseDays(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || n < 0 || n > 100*365 {
		return 0, usagef("--expire-after %q: want a number of days like 365d (at most 36500)", s)
	}
	return n, nil
}

const enableLong = `
Turns on server access logging for buckets, one logging bucket per region
(S3 delivers logs only within a region), without ACLs: a missing logging
bucket is created with public access blocked and default encryption, and its
bucket policy lets the logging service write only under each source bucket's
prefix. Buckets that already log somewhere else are skipped and reported
unless --force. Running it again changes nothing and says so.
`

const enableExamples = `  s3logs enable --dry-run
  s3logs enable --expire-after 365d
  s3logs enable --buckets web,data --key-format partitioned --partition-date delivery
`

// enableOptions are enable's parsed flags.
type enableOptions struct {
	lf                                                      loggingFlags
	force, dryRun                                           bool
	targetBucket, targetPrefix, keyFormat, partDate, expire string
}

func newEnableCmd(e *env) *cobra.Command {
	var o enableOptions
	cmd := newCommand("enable [--dry-run] [flags]", "turn on server access logging for buckets, per region", enableLong, enableExamples,
		func(ctx context.Context, args []string) error { return runEnable(ctx, e, &o, args) })
	fs := cmd.Flags()
	o.lf.register(fs)
	fs.BoolVar(&o.force, "force", false, "reconfigure buckets that already log somewhere else (default: skip and report them)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	fs.StringVar(&o.targetBucket, "target-bucket-pattern", logging.DefaultTargetBucket, "logging bucket name, one per region; {account} and {region} are replaced")
	fs.StringVar(&o.targetPrefix, "target-prefix", logging.DefaultTargetPrefix, "prefix of each bucket's logs in its logging bucket; {bucket}, {account}, {region} are replaced")
	fs.StringVar(&o.keyFormat, "key-format", "simple", "log object key layout: simple or partitioned")
	fs.StringVar(&o.partDate, "partition-date", "event", "date of the partitioned layout: event or delivery")
	fs.StringVar(&o.expire, "expire-after", "", "add a lifecycle rule expiring log objects after this many days, e.g. 365d (default: keep for ever)")
	return cmd
}

func runEnable(ctx context.Context, e *env, o *enableOptions, pos []string) error {
	lf := &o.lf
	if len(pos) > 0 {
		return usagef("unexpected argument %q (buckets go in --buckets a,b)", pos[0])
	}
	layout, err := logging.ParseLayout(o.keyFormat, o.partDate)
	if err != nil {
		return usageError{err}
	}
	days, err := parseDays(o.expire)
	if err != nil {
		return err
	}
	rc, home, err := lf.connect(ctx)
	if err != nil {
		return err
	}
	account, err := lf.accountID(ctx, rc)
	if err != nil {
		return err
	}
	plan, err := logging.Build(ctx, rc.client, logging.Config{
		Account: account, Home: home, Buckets: lf.bucketList(), PrefixFilter: lf.prefixFilter,
		Force: o.force, TargetBucket: o.targetBucket, TargetPrefix: o.targetPrefix,
		Layout: layout, ExpireDays: days, Concurrency: lf.concurrency,
	})
	if errors.Is(err, logging.ErrConfig) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if len(plan.Sources) == 0 {
		fmt.Fprintln(e.stdout, "no buckets selected")
		return nil
	}
	if o.dryRun {
		printPlan(e.stdout, plan)
		if plan.Changes() {
			fmt.Fprintln(e.stdout, "\ndry run: nothing was changed")
		} else {
			fmt.Fprintln(e.stdout, "\nnothing to change")
		}
		if n := plan.Failed(); n > 0 {
			return fmt.Errorf("%w: %d of %d buckets could not be inspected", logging.ErrFailed, n, len(plan.Sources))
		}
		return nil
	}
	changes := plan.Changes()
	err = plan.Apply(ctx, rc.client)
	printResults(e.stdout, plan)
	if !changes && err == nil {
		fmt.Fprintln(e.stdout, "nothing to change: every selected bucket is already configured")
	}
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printPlan writes the dry-run tables: source buckets, then logging
// buckets.
func printPlan(w io.Writer, p *logging.Plan) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BUCKET\tREGION\tLOGGING BUCKET\tPREFIX\tKEY FORMAT\tACTION")
	for _, s := range p.Sources {
		action := string(s.Action)
		switch {
		case s.Err != nil:
			action = "error (below)"
		case s.Reason != "":
			action += ": " + s.Reason
		}
		lb, prefix, kf := s.Want.Bucket, s.Want.Prefix, s.Want.Layout.String()
		if lb == "" {
			prefix, kf = "", ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Bucket, orDash(s.Region), orDash(lb), orDash(prefix), orDash(kf), action)
	}
	tw.Flush()
	// Causes under the table, one line each: in a cell they would stretch
	// it past any screen.
	for _, s := range p.Sources {
		if s.Err != nil {
			fmt.Fprintf(w, "%s: %s\n", s.Bucket, awserr.Message(s.Err))
		}
	}
	if len(p.Targets) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGGING BUCKET\tREGION\tACTION")
	for _, t := range p.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Bucket, t.Region, t.Actions())
	}
	tw.Flush()
}

// printResults reports what Apply did, per logging bucket and per source
// bucket, and a summary line.
func printResults(w io.Writer, p *logging.Plan) {
	for _, t := range p.Targets {
		switch {
		case t.Err != nil:
			fmt.Fprintf(w, "logging bucket %s (%s): FAILED: %v\n", t.Bucket, t.Region, awserr.Message(t.Err))
		case t.Applied:
			fmt.Fprintf(w, "logging bucket %s (%s): %s\n", t.Bucket, t.Region, t.Actions())
		}
	}
	count := map[string]int{}
	for _, s := range p.Sources {
		var what string
		switch {
		case s.Err != nil:
			what = "failed"
			fmt.Fprintf(w, "%s: FAILED: %v\n", s.Bucket, awserr.Message(s.Err))
		case s.Action == logging.ActionEnable && s.Applied:
			what = "enabled"
			fmt.Fprintf(w, "%s: enabled, logs to %s\n", s.Bucket, s.Want)
		case s.Action == logging.ActionUpdate && s.Applied:
			what = "updated"
			fmt.Fprintf(w, "%s: updated, logs to %s (was %s)\n", s.Bucket, s.Want, s.Current)
		case s.Action == logging.ActionNone:
			what = "unchanged"
			fmt.Fprintf(w, "%s: unchanged, logs to %s\n", s.Bucket, s.Want)
		default:
			what = "skipped"
			fmt.Fprintf(w, "%s: skipped, %s\n", s.Bucket, s.Reason)
		}
		count[what]++
	}
	fmt.Fprintf(w, "%d enabled, %d updated, %d unchanged, %d skipped, %d failed\n",
		count["enabled"], count["updated"], count["unchanged"], count["skipped"], count["failed"])
}
