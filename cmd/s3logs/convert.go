package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/sink"
)

// runConvert converts log objects to partitioned Parquet or Arrow (SPEC §6).
func runConvert(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("convert", "[flags] SOURCE... --out DIR|s3://bucket/prefix/", "", e.stderr)
	var pf pipeFlags
	pf.register(fs)
	out := fs.String("out", "", "output `DIR` or s3://bucket/prefix/ (required)")
	format := fs.String("format", "parquet", "output format: parquet or arrow")
	compression := fs.String("compression", "zstd", "codec: zstd, snappy, gzip or none (arrow: zstd, lz4 or none)")
	partition := fs.String("partition-by", "day", "Hive partitions by request time: day (dt=yyyy-MM-dd), hour (dt=yyyy-MM-dd-HH) or none")
	target := fs.String("target-file-size", "256MiB", "roll files after this much uncompressed data (`SIZE`, e.g. 512MiB)")
	rowGroup := fs.String("row-group-size", "64MiB", "row group bound: a row count (e.g. 1000000) or a `SIZE` with unit (e.g. 32MiB)")
	commit := fs.String("commit-every", "1GiB", "input `SIZE` each worker reads between commits to the manifest")
	where := fs.String("where", "", "keep only records matching `EXPR` (query's WHERE language)")
	from := fs.String("from", "", "keep records at or after `TIME` (RFC 3339 or yyyy-MM-dd, UTC)")
	to := fs.String("to", "", "keep records before `TIME` (RFC 3339 or yyyy-MM-dd, UTC)")
	force := fs.Bool("force", false, "convert into a directory that holds files s3logs did not write")
	sources, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if len(sources) == 0 {
		return usagef("no SOURCE given")
	}
	pcfg, err := pf.config()
	if err != nil {
		return err
	}
	if pf.skipFailed {
		return usagef("--skip-failed is not supported by convert: a failed object would be left half converted")
	}
	var o convert.Options
	if o.Format, err = sink.ParseFormat(*format); err != nil {
		return usageError{err}
	}
	o.Compression = sink.Compression(*compression)
	if err := o.Compression.Validate(o.Format); err != nil {
		return usageError{err}
	}
	if o.PartitionBy, err = convert.ParsePartitioning(*partition); err != nil {
		return usageError{err}
	}
	if o.TargetFileSize, err = parseSize(*target); err != nil {
		return usagef("--target-file-size: %v", err)
	}
	if o.CommitBytes, err = parseSize(*commit); err != nil {
		return usagef("--commit-every: %v", err)
	}
	if n, err := strconv.Atoi(*rowGroup); err == nil {
		if n <= 0 {
			return usagef("--row-group-size must be positive")
		}
		o.RowGroupRows = n
	} else if o.RowGroupBytes, err = parseSize(*rowGroup); err != nil {
		return usagef("--row-group-size: %v", err)
	}
	var filterWin pipeline.Window
	if *where != "" {
		f, err := query.CompileFilter(*where, query.Options{})
		if err != nil {
			return usagef("--where: %v", err)
		}
		o.Filter, o.FilterText = f.Match, *where
		filterWin = f.Window()
	}
	if o.From, err = parseTimeFlag(*from); err != nil {
		return usagef("--from: %v", err)
	}
	if o.To, err = parseTimeFlag(*to); err != nil {
		return usagef("--to: %v", err)
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return usagef("--from must be before --to")
	}
	// Objects are pruned by the narrower of --from/--to and the window the
	// --where expression implies; records are filtered exactly by both.
	pcfg.Window = pipeline.Window{From: o.From, To: o.To}
	if filterWin.From.After(pcfg.Window.From) {
		pcfg.Window.From = filterWin.From
	}
	if !filterWin.To.IsZero() && (pcfg.Window.To.IsZero() || filterWin.To.Before(pcfg.Window.To)) {
		pcfg.Window.To = filterWin.To
	}
	o.Force = *force
	pcfg.Stdin = e.stdin
	dest, err := sink.OpenDestination(ctx, *out, pcfg.AWS)
	if err != nil {
		return err
	}
	res, err := convert.Convert(ctx, dest, o, pcfg, sources)
	if res != nil && res.Stats != nil {
		pf.summary(e.stderr, "convert", res.Stats)
	}
	if err != nil {
		return err
	}
	if !pf.quiet {
		fmt.Fprintf(e.stderr, "s3logs convert: %d rows in %d files (%.1f MB) to %s, %d objects completed", res.Rows, res.Files, float64(res.Bytes)/1e6, dest, res.Objects)
		if res.Orphans > 0 {
			fmt.Fprintf(e.stderr, ", %d orphaned files of an interrupted run removed", res.Orphans)
		}
		fmt.Fprintln(e.stderr)
	}
	return nil
}

// parseSize parses a byte count with an optional unit: B, KB, MB, GB (powers
// of 1000) or KiB, MiB, GiB (powers of 1024); K, M, G mean KiB, MiB, GiB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("bad size unit in %q", s)
	}
	return int64(f * mult), nil
}

// parseTimeFlag parses an optional time flag (empty means unbounded).
func parseTimeFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, _, err := parseTimeArg(s)
	return t, err
}
