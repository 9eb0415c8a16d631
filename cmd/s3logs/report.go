package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/internal/atomicfile"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/report"
)

const reportLong = `
Answers the standard security questions about S3 server access logs in one
pass and writes them as one page: requests over time, deletions, anonymous
access, Signature Version 2, requests that required an ACL, old TLS and plain
HTTP, presigned URLs, access denied, server errors and throttling, and top
talkers. Each table shows the SQL that reproduces it with s3logs query.

SOURCE is s3://bucket/prefix/, a file, a directory, or - for standard input.
--since DUR keeps records of the last DUR before now (90d, 36h, 2h30m);
--from/--to take RFC 3339 times or dates (--from inclusive, --to exclusive,
and a date as --to includes that whole day). The format comes from --format,
else from --out's extension (.html, .md, .json), else HTML.
`

const reportExamples = `  s3logs report --since 90d s3://my-log-bucket/logs/ --out report.html
  s3logs report --from 2024-03-01 --to 2024-03-31 ./logs/ --out report.md
  s3logs report examples/logs/ --format json | jq '.sections[].stats'
`

// reportOptions are report's parsed flags.
type reportOptions struct {
	pf               pipeFlags
	since, from, to  string
	now, format, out string
	top              int
	force            bool
}

func newReportCmd(e *env) *cobra.Command {
	var o reportOptions
	cmd := newCommand("report [--since 90d | --from T --to T] [flags] SOURCE... [--out report.html]", "answer the standard security questions as one HTML page", reportLong, reportExamples,
		func(ctx context.Context, args []string) error { return runReport(ctx, e, &o, args) })
	fs := cmd.Flags()
	o.pf.register(fs)
	fs.StringVar(&o.since, "since", "", "report on the last `DUR` before now, e.g. 90d, 12h")
	fs.StringVar(&o.from, "from", "", "first request `time` (RFC 3339 or yyyy-mm-dd), inclusive")
	fs.StringVar(&o.to, "to", "", "last request `time` (RFC 3339, exclusive, or yyyy-mm-dd, that whole day)")
	fs.StringVar(&o.now, "now", "", "the `time` --since counts back from and the report is dated (default now)")
	fs.StringVar(&o.format, "format", "", "output `format`: html, md or json (default from --out's extension, else html)")
	fs.StringVar(&o.out, "out", "", "write the report to `PATH` (default stdout)")
	fs.IntVar(&o.top, "top", 20, "rows of each ranked table")
	fs.BoolVar(&o.force, "force", false, "overwrite an existing --out or --rejects file")
	return cmd
}

// runReport answers the standard security questions over log objects in
// one pass and writes an HTML page, Markdown or JSON (SPEC §2).
func runReport(ctx context.Context, e *env, o *reportOptions, pos []string) error {
	pf := &o.pf
	if len(pos) == 0 {
		return usagef("missing SOURCE (see s3logs report --help)")
	}
	if o.top < 1 {
		return usagef("--top must be at least 1")
	}
	now := time.Now().UTC()
	if o.now != "" {
		t, _, err := parseTimeArg(o.now)
		if err != nil {
			return usagef("--now %v", err)
		}
		now = t
	}
	win, err := reportWindow(o.since, o.from, o.to, now)
	if err != nil {
		return usageError{err}
	}
	f, err := outFormat(o.format, o.out, reportFormats)
	if err != nil {
		return err
	}
	if f == "" {
		f = "html"
	}
	if f != "html" && f != "md" && f != "json" {
		return usagef("--format %q: want html, md or json", f)
	}
	pc, err := pf.config()
	if err != nil {
		return err
	}
	if err := checkSources(pos); err != nil {
		return err
	}
	if err := noClobber(o.force, [2]string{"--out", o.out}); err != nil {
		return err
	}
	pc.Stdin = e.stdin
	rejects, err := pf.openRejects(&pc, o.force)
	if err != nil {
		return err
	}
	cfg := report.Config{Pipeline: pc, Window: win, TopN: o.top, Now: now}
	cfg.Pipeline.Stats = &pipeline.Stats{}
	stop := startProgress(ctx, e, !pf.noProgress && !pf.quiet, cfg.Pipeline.Stats)
	rep, st, runErr := report.Build(ctx, cfg, pos)
	stop()
	if err := rejects.close(runErr); err != nil && runErr == nil {
		runErr = err
	}
	pf.summary(e.stderr, "report", st)
	if runErr != nil {
		return pf.runError(runErr)
	}
	rep.Tool, rep.Command = versionString(), shellJoin(e.args)
	if o.out == "" {
		return report.Write(e.stdout, rep, f)
	}
	err = atomicfile.WriteFile(o.out, !o.force, func(w io.Writer) error { return report.Write(w, rep, f) })
	if errors.Is(err, atomicfile.ErrExist) {
		return fmt.Errorf("--out %s: file exists (--force overwrites it)", o.out)
	}
	return err
}

// reportWindow turns --since or --from/--to into a window.
func reportWindow(since, from, to string, now time.Time) (pipeline.Window, error) {
	var w pipeline.Window
	if since != "" && (from != "" || to != "") {
		return w, errors.New("--since cannot be combined with --from or --to")
	}
	if since != "" {
		d, err := parseSince(since)
		if err != nil {
			return w, fmt.Errorf("--since: %w", err)
		}
		// To is exclusive: include the current second.
		w.From, w.To = now.Add(-d).Truncate(time.Second), now.Truncate(time.Second).Add(time.Second)
		return w, nil
	}
	return parseWindow(from, to)
}

// parseSince parses a duration with an optional day suffix: 90d, 36h, 1d12h.
func parseSince(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a duration such as 90d, 36h or 1d12h", s)
		}
		days, rest = n, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("%q: want a duration such as 90d, 36h or 1d12h", s)
		}
	}
	d += time.Duration(days) * 24 * time.Hour
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return d, nil
}
