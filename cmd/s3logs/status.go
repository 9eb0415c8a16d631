package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/s3logs/s3logs/logging"
)

func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("status", "[flags]", "", e.stderr)
	var lf loggingFlags
	lf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
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
			fmt.Fprintf(tw, "%s\t%s\terror: %v\t-\t-\t-\n", s.Bucket, orDash(s.Region), s.Err)
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
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d buckets could not be inspected", logging.ErrFailed, failed, len(srcs))
	}
	return nil
}
