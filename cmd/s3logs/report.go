package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/s3logs/s3logs/internal/atomicfile"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/report"
)

const reportExamples = `
SOURCE is s3://bucket/prefix/, a file, a directory, or - for stdin.

Examples:
  s3logs report --since 90d s3://my-log-bucket/logs/ --out report.html
  s3logs report --from 2024-03-01 --to 2024-03-31 ./logs/ --format md --out report.md
  s3logs report examples/logs/ --format json | jq '.sections[].stats'

--since DUR keeps records of the last DUR before now (90d, 36h, 2h30m);
--from/--to take RFC 3339 times or yyyy-mm-dd dates (--to a date includes
that whole day). Each table shows the SQL that reproduces it with
s3logs query.
`

// runReport answers the standard security questions over log objects in
// one pass and writes an HTML page, Markdown or JSON (SPEC §2).
func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("report", "[--since 90d | --from T --to T] [flags] SOURCE... [--out report.html]", reportExamples, e.stderr)
	var pf pipeFlags
	pf.register(fs)
	since := fs.String("since", "", "report on the last `DUR` before now, e.g. 90d, 12h")
	fromS := fs.String("from", "", "first request `time` (RFC 3339 or yyyy-mm-dd), inclusive")
	toS := fs.String("to", "", "last request `time` (RFC 3339, exclusive, or yyyy-mm-dd, that whole day)")
	nowS := fs.String("now", "", "the `time` --since counts back from and the report is dated (default now)")
	format := fs.String("format", "", "output format: html, md or json (default from --out's extension, else html)")
	out := fs.String("out", "", "write the report to `PATH` (default stdout)")
	top := fs.Int("top", 20, "rows of each ranked table")
	force := fs.Bool("force", false, "overwrite an existing --out or --rejects file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usagef("missing SOURCE")
	}
	if *top < 1 {
		return usagef("--top must be at least 1")
	}
	now := time.Now().UTC()
	if *nowS != "" {
		if now, err = parseReportTime(*nowS, false); err != nil {
			return usagef("--now: %v", err)
		}
	}
	win, err := reportWindow(*since, *fromS, *toS, now)
	if err != nil {
		return usageError{err}
	}
	f := *format
	if f == "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".md", ".markdown":
			f = "md"
		case ".json":
			f = "json"
		default:
			f = "html"
		}
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
	if err := noClobber(*force, [2]string{"--out", *out}); err != nil {
		return err
	}
	pc.Stdin = e.stdin
	rejects, err := pf.openRejects(&pc, *force)
	if err != nil {
		return err
	}
	cfg := report.Config{Pipeline: pc, Window: win, TopN: *top, Now: now}
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
	if *out == "" {
		return report.Write(e.stdout, rep, f)
	}
	err = atomicfile.WriteFile(*out, !*force, func(w io.Writer) error { return report.Write(w, rep, f) })
	if errors.Is(err, atomicfile.ErrExist) {
		return fmt.Errorf("--out %s: file exists (--force overwrites it)", *out)
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
	var err error
	if from != "" {
		if w.From, err = parseReportTime(from, false); err != nil {
			return w, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if w.To, err = parseReportTime(to, true); err != nil {
			return w, fmt.Errorf("--to: %w", err)
		}
	}
	if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
		return w, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return w, nil
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

// parseReportTime parses a time flag. With endOfDay a bare date means the
// end of that day (the start of the next), so --to 2024-03-31 includes the
// 31st.
func parseReportTime(s string, endOfDay bool) (time.Time, error) {
	t, dateOnly, err := parseTimeArg(s)
	if err == nil && dateOnly && endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t, err
}
