package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/sink"
)

const convertLong = `
Converts log objects to typed, Hive-partitioned Parquet (or Arrow IPC) files
under --out, a directory or s3://bucket/prefix/. A manifest there records
which log objects each file holds: running convert again adds only the
objects not yet converted, and a run that was interrupted and run again
writes every record exactly once. Files appear whole (a temporary name, then
a rename; on S3 a completed upload).

SOURCE is s3://bucket/prefix/, a file, a directory, or - for standard input.
Files are partitioned by request day (dt=yyyy-MM-dd/) unless --partition-by
says otherwise; "s3logs schema --ddl athena|trino|duckdb --location OUT"
prints the table definition that reads them.

--from/--to take RFC 3339 times or dates: --from is inclusive, --to
exclusive, and a date as --to includes that whole day.
`

const convertExamples = `  s3logs convert s3://my-log-bucket/logs/ --out s3://my-lake/s3logs/
  s3logs convert ./logs/ --out ./parquet/ --from 2024-03-01 --to 2024-03-31
  s3logs convert ./logs/ --out ./deletes/ --where "operation LIKE '%DELETE%'"
`

// convertOptions are convert's parsed flags.
type convertOptions struct {
	pf          pipeFlags
	out         string
	format      string
	compression string
	partition   string
	target      string
	rowGroup    string
	commit      string
	where       string
	from, to    string
	force       bool
}

func newConvertCmd(e *env) *cobra.Command {
	var o convertOptions
	cmd := newCommand("convert [flags] SOURCE... --out DIR|s3://bucket/prefix/", "convert log objects to partitioned Parquet or Arrow", convertLong, convertExamples,
		func(ctx context.Context, args []string) error { return runConvert(ctx, e, &o, args) })
	fs := cmd.Flags()
	o.pf.register(fs)
	fs.StringVar(&o.out, "out", "", "output `DIR` or s3://bucket/prefix/ (required)")
	fs.StringVar(&o.format, "format", "parquet", "output `format`: parquet or arrow")
	fs.StringVar(&o.compression, "compression", "zstd", "`codec`: zstd, snappy, gzip or none (arrow: zstd, lz4 or none)")
	fs.StringVar(&o.partition, "partition-by", "day", "Hive partitions by request time: day (dt=yyyy-MM-dd), hour (dt=yyyy-MM-dd-HH) or none")
	fs.StringVar(&o.target, "target-file-size", "256MiB", "roll files after this much uncompressed data (`SIZE`, e.g. 512MiB)")
	fs.StringVar(&o.rowGroup, "row-group-size", "64MiB", "row group bound: a row count (e.g. 1000000) or a `SIZE` with unit (e.g. 32MiB)")
	fs.StringVar(&o.commit, "commit-every", "1GiB", "input `SIZE` each worker reads between commits to the manifest")
	fs.StringVar(&o.where, "where", "", "keep only records matching `EXPR` (a WHERE condition as in s3logs query)")
	fs.StringVar(&o.from, "from", "", "keep records at or after `TIME` (RFC 3339 or yyyy-mm-dd, UTC)")
	fs.StringVar(&o.to, "to", "", "keep records before `TIME` (RFC 3339, exclusive, or yyyy-mm-dd, that whole day)")
	fs.BoolVar(&o.force, "force", false, "convert into a directory that holds files s3logs did not write; overwrite an existing --rejects file")
	return cmd
}

// runConvert converts log objects to partitioned Parquet or Arrow (SPEC §6).
func runConvert(ctx context.Context, e *env, o *convertOptions, sources []string) error {
	pf := &o.pf
	if o.out == "" {
		return usagef("--out is required")
	}
	if len(sources) == 0 {
		return usagef("no SOURCE given")
	}
	pcfg, err := pf.config()
	if err != nil {
		return err
	}
	var so convert.Options
	if so.Format, err = sink.ParseFormat(o.format); err != nil {
		return usageError{err}
	}
	so.Compression = sink.Compression(o.compression)
	if err := so.Compression.Validate(so.Format); err != nil {
		return usageError{err}
	}
	if so.PartitionBy, err = convert.ParsePartitioning(o.partition); err != nil {
		return usageError{err}
	}
	if so.TargetFileSize, err = parseSize(o.target); err != nil {
		return usagef("--target-file-size: %v", err)
	}
	if so.CommitBytes, err = parseSize(o.commit); err != nil {
		return usagef("--commit-every: %v", err)
	}
	if n, err := strconv.Atoi(o.rowGroup); err == nil {
		if n <= 0 {
			return usagef("--row-group-size must be positive")
		}
		so.RowGroupRows = n
	} else if so.RowGroupBytes, err = parseSize(o.rowGroup); err != nil {
		return usagef("--row-group-size: %v", err)
	}
	var filterWin pipeline.Window
	if o.where != "" {
		f, err := query.CompileFilter(o.where, query.Options{})
		if err != nil {
			return usagef("--where: %v", err)
		}
		so.Filter, so.FilterText = f.Match, o.where
		filterWin = f.Window()
	}
	win, err := parseWindow(o.from, o.to)
	if err != nil {
		return usageError{err}
	}
	so.From, so.To = win.From, win.To
	// Objects are pruned by the narrower of --from/--to and the window the
	// --where expression implies; records are filtered exactly by both.
	pcfg.Window = pipeline.Window{From: so.From, To: so.To}
	if filterWin.From.After(pcfg.Window.From) {
		pcfg.Window.From = filterWin.From
	}
	if !filterWin.To.IsZero() && (pcfg.Window.To.IsZero() || filterWin.To.Before(pcfg.Window.To)) {
		pcfg.Window.To = filterWin.To
	}
	so.Force = o.force
	pcfg.Stdin = e.stdin
	dest, err := sink.OpenDestination(ctx, o.out, pcfg.AWS)
	if err != nil {
		return err
	}
	rejects, err := pf.openRejects(&pcfg, o.force)
	if err != nil {
		return err
	}
	pcfg.Stats = &pipeline.Stats{}
	stop := startProgress(ctx, e, !pf.noProgress && !pf.quiet, pcfg.Stats)
	res, err := convert.Convert(ctx, dest, so, pcfg, sources)
	stop()
	if rerr := rejects.close(err); rerr != nil && err == nil {
		err = rerr
	}
	if res != nil && res.Stats != nil {
		pf.summary(e.stderr, "convert", res.Stats)
	}
	if err != nil {
		return pf.runError(err)
	}
	if !pf.quiet {
		fmt.Fprintf(e.stderr, "s3logs convert: %d rows in %d files (%.1f MB) to %s, %d objects completed", res.Rows, res.Files, float64(res.Bytes)/1e6, dest, res.Objects)
		if res.Recovered > 0 || res.Aborted > 0 || res.Revoked > 0 {
			fmt.Fprintf(e.stderr, "; finished for interrupted runs: %d commits published, %d revoked, %d unfinished uploads aborted", res.Recovered, res.Revoked, res.Aborted)
		}
		if res.Conflicts > 0 {
			fmt.Fprintf(e.stderr, "; %d batches another convert had committed first were redone (%d rounds)", res.Conflicts, res.Rounds)
		}
		fmt.Fprintln(e.stderr)
		if len(res.Waiting) > 0 {
			fmt.Fprintf(e.stderr, "s3logs convert: %d other runs still seem alive (%s); a later run finishes what they left\n", len(res.Waiting), strings.Join(res.Waiting, ", "))
		}
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
