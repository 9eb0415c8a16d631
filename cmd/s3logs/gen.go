package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
)

const genLong = `
Writes realistic synthetic S3 server access log objects, with the key layout
S3 uses and a share of the oddities real logs contain, to a directory or to
s3://bucket/prefix/ (an existing bucket). The same flags and --seed always
write the same objects, byte for byte.
`

const genExamples = `  s3logs gen --out ./logs/ --objects 100 --lines 500
  s3logs gen --out ./logs/ --layout partitioned --partition-date delivery --buckets web,assets --start 2024-03-01 --days 30
  s3logs gen --out s3://my-test-bucket/logs/ --endpoint-url http://localhost:9000
  s3logs gen --out ./logs/ --seed 7 --traps 0.02   # more real-world oddities
`

// genOptions are gen's parsed flags.
type genOptions struct {
	out                                          string
	seed                                         int64
	objects, lines                               int
	start                                        string
	days                                         float64
	layout, pdate, prefix, account, region, bkts string
	traps                                        float64
	aws                                          awsFlags
	conc                                         int
}

func newGenCmd(e *env) *cobra.Command {
	var o genOptions
	cmd := newCommand("gen [flags] --out DIR|s3://bucket/prefix/", "write realistic synthetic log objects", genLong, genExamples,
		func(ctx context.Context, args []string) error { return runGen(ctx, e, &o, args) })
	fs := cmd.Flags()
	fs.StringVar(&o.out, "out", "", "output `DIR` or s3://bucket/prefix/ (required); the object keys become relative paths")
	fs.Int64Var(&o.seed, "seed", 1, "random seed: the same seed and flags give the same objects")
	fs.IntVar(&o.objects, "objects", 100, "number of log objects")
	fs.IntVar(&o.lines, "lines", 500, "average number of lines per object")
	fs.StringVar(&o.start, "start", "2024-03-01", "first record `time`, RFC 3339 or yyyy-mm-dd (UTC)")
	fs.Float64Var(&o.days, "days", 7, "span of record times in days")
	fs.StringVar(&o.layout, "layout", "simple", "key layout: simple or partitioned")
	fs.StringVar(&o.pdate, "partition-date", "event", "date of partitioned keys: event or delivery")
	fs.StringVar(&o.prefix, "prefix", "", "TargetPrefix before every key, e.g. logs/")
	fs.StringVar(&o.account, "source-account", "123456789012", "source account `id` in partitioned keys")
	fs.StringVar(&o.region, "source-region", "us-east-1", "source buckets' `region` in partitioned keys and records")
	fs.StringVar(&o.bkts, "buckets", "amzn-s3-demo-bucket1", "comma-separated source bucket `names`")
	fs.Float64Var(&o.traps, "traps", gen.DefaultTrapRate, "share of lines with real-world oddities (0 for none)")
	o.aws.register(fs)
	fs.IntVar(&o.conc, "concurrency", 32, "uploads in flight for s3:// output")
	return cmd
}

// runGen writes synthetic log objects (SPEC §2, s3logs gen).
func runGen(ctx context.Context, e *env, o *genOptions, pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if err := o.aws.check(); err != nil {
		return err
	}
	cfg, err := genConfig(o.seed, o.objects, o.lines, o.start, o.days, o.layout, o.pdate, o.prefix, o.account, o.region, o.bkts, o.traps)
	if err != nil {
		return err
	}
	put, wait, err := genPut(ctx, o.out, o.aws.Options, o.conc)
	if err != nil {
		return err
	}
	began := time.Now()
	sum, err := gen.Write(ctx, cfg, put)
	if werr := wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	el := time.Since(began)
	fmt.Fprintf(e.stderr, "s3logs gen: %s to %s in %.1fs (%.1f MB/s)\n", sum, o.out, el.Seconds(),
		float64(sum.Bytes)/1e6/max(el.Seconds(), 1e-9))
	return nil
}

// genConfig checks the flag values and turns them into a gen.Config.
func genConfig(seed int64, objects, lines int, start string, days float64, layout, pdate, prefix, account, region, buckets string, traps float64) (gen.Config, error) {
	cfg := gen.Config{Seed: seed, Objects: objects, LinesPerObject: lines, Prefix: prefix,
		SourceAccount: account, SourceRegion: region}
	if objects <= 0 || lines <= 0 {
		return cfg, usagef("--objects and --lines must be positive")
	}
	t, _, err := parseTimeArg(start)
	if err != nil {
		return cfg, usagef("--start %v", err)
	}
	if t.Year() < 2006 || t.Year() > 9000 {
		return cfg, usagef("--start %q: S3 server access logs exist from 2006", start)
	}
	cfg.Start = t
	if !(days > 0) || days > 36500 {
		return cfg, usagef("--days %v: want a positive number of days", days)
	}
	cfg.Span = time.Duration(days * 24 * float64(time.Hour))
	switch layout {
	case "simple":
		cfg.Layout = gen.Simple
	case "partitioned":
		cfg.Layout = gen.Partitioned
	default:
		return cfg, usagef("--layout %q: want simple or partitioned", layout)
	}
	switch pdate {
	case "event":
		cfg.PartitionDate = gen.EventTime
	case "delivery":
		cfg.PartitionDate = gen.DeliveryTime
	default:
		return cfg, usagef("--partition-date %q: want event or delivery", pdate)
	}
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return cfg, usagef("--source-account %q: want a 12-digit AWS account id", account)
	}
	if region == "" || strings.ContainsAny(region, " /") {
		return cfg, usagef("--source-region %q: want a region name like us-east-1", region)
	}
	for _, b := range strings.Split(buckets, ",") {
		b = strings.TrimSpace(b)
		if b == "" || strings.ContainsAny(b, " /") {
			return cfg, usagef("--buckets %q: want comma-separated bucket names", buckets)
		}
		cfg.Buckets = append(cfg.Buckets, b)
	}
	switch {
	case traps < 0 || traps > 1 || traps != traps:
		return cfg, usagef("--traps %v: want a share between 0 and 1", traps)
	case traps == 0:
		cfg.TrapRate = -1 // none; gen's zero value means its default
	default:
		cfg.TrapRate = traps
	}
	if strings.HasPrefix(prefix, "/") || strings.Contains("/"+prefix, "/../") {
		return cfg, usagef("--prefix %q: want a relative key prefix like logs/", prefix)
	}
	return cfg, nil
}

// genPut returns the function that stores one generated object at out (a
// directory, or s3://bucket/prefix/ through the pipeline's uploader with
// conc uploads in flight) and the function that waits for the last store.
func genPut(ctx context.Context, out string, aws awsconf.Options, conc int) (put func(ctx context.Context, key string, data []byte) error, wait func() error, err error) {
	switch {
	case out == "":
		return nil, nil, usagef("--out DIR is required")
	case pipeline.IsS3(out):
		if _, _, err := pipeline.ParseS3URL(out); err != nil {
			return nil, nil, usagef("--out: %v", err)
		}
		u, err := pipeline.NewUploader(ctx, aws, out)
		if err != nil {
			return nil, nil, err
		}
		put, wait = u.Async(ctx, conc)
		return put, wait, nil
	}
	return func(_ context.Context, key string, data []byte) error {
		return gen.WriteFile(out, key, data)
	}, func() error { return nil }, nil
}
