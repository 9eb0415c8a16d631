package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/internal/awserr"
	"github.com/s3logs/s3logs/logging"
)

const statusLong = `
Shows, for each bucket, whether server access logging is on, where its logs
go (target bucket, prefix, key layout), and the source to give s3logs query
and s3logs convert.
`

const statusExamples = `  s3logs status
  s3logs status --buckets web,data
  s3logs status --prefix-filter app- --region eu-central-1
`

func newStatusCmd(e *env) *cobra.Command {
	var lf loggingFlags
	cmd := newCommand("status [flags]", "show which buckets log where, and the source to query", statusLong, statusExamples,
		func(ctx context.Context, args []string) error { return runStatus(ctx, e, &lf, args) })
	lf.register(cmd.Flags())
	return cmd
}

func runStatus(ctx context.Context, e *env, lf *loggingFlags, pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q (buckets go in --buckets a,b)", pos[0])
	}
	rc, home, err := lf.connect(ctx)
	if err != nil {
		return err
	}
	srcs, err := logging.Inspect(ctx, rc.client, logging.Config{
		Home: home, Buckets: lf.bucketList(), PrefixFilter: lf.prefixFilter, Concurrency: lf.concurrency,
	})
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		fmt.Fprintln(e.stdout, "no buckets selected")
		return nil
	}
	// The partitioned layout puts the account id in the key; only then is
	// it needed.
	account := ""
	for _, s := range srcs {
		if s.Current != nil && s.Current.Layout.Partitioned {
			if account, err = lf.accountID(ctx, rc); err != nil {
				return err
			}
			break
		}
	}

	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BUCKET\tREGION\tLOGGING\tTARGET BUCKET\tTARGET PREFIX\tKEY FORMAT")
	failed := 0
	for _, s := range srcs {
		switch {
		case s.Err != nil:
			failed++
			// The cause goes to stderr, one line per bucket: in a
			// cell it would stretch the table past any screen.
			fmt.Fprintf(tw, "%s\t%s\terror\t-\t-\t-\n", s.Bucket, orDash(s.Region))
		case s.Current == nil:
			fmt.Fprintf(tw, "%s\t%s\toff\t-\t-\t-\n", s.Bucket, s.Region)
		default:
			fmt.Fprintf(tw, "%s\t%s\ton\t%s\t%s\t%s\n", s.Bucket, s.Region, s.Current.Bucket, orDash(s.Current.Prefix), s.Current.Layout)
		}
	}
	tw.Flush()

	first := true
	for _, s := range srcs {
		if s.Err != nil || s.Current == nil {
			continue
		}
		if first {
			fmt.Fprintln(e.stdout, "\nSources to query or convert, per bucket:")
			first = false
		}
		src := s.Current.Source(account, s.Region, s.Bucket)
		fmt.Fprintf(e.stdout, "  %s:\n    s3logs query \"SELECT * FROM logs LIMIT 10\" %s\n    s3logs convert %s --out ./parquet/%s/\n", s.Bucket, src, src, s.Bucket)
		if s.Current.Prefix == "" {
			fmt.Fprintf(e.stdout, "    (empty target prefix: this source also holds any other bucket's logs in %s)\n", s.Current.Bucket)
		}
	}
	for _, s := range srcs {
		if s.Err != nil {
			fmt.Fprintf(e.stderr, "s3logs status: %s: %s\n", s.Bucket, awserr.Message(s.Err))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d buckets could not be inspected", logging.ErrFailed, failed, len(srcs))
	}
	return nil
}
