package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

const queryExamples = `
SOURCE is s3://bucket/prefix/, a file, a directory, or - for stdin; or name
it in the SQL: FROM 's3://bucket/prefix/'. A table name in FROM (e.g.
s3_access_logs_db.mybucket_logs) means the SOURCE arguments.

Examples:
  s3logs query "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation LIKE '%DELETE%'" ./logs/
  s3logs query "SELECT requester, sigv, count(*) AS n FROM logs GROUP BY requester, sigv ORDER BY n DESC" s3://my-log-bucket/logs/
  s3logs query --explain "SELECT count(*) FROM logs WHERE timestamp = '2024/03/01'" ./logs/

--explain prints the plan (prefilters, pushed-down terms, decoded columns,
time window, and how many listed objects the window keeps) without reading
any object.
`

// runQuery runs an SQL query over log objects (SPEC §2, §4).
func runQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("query", "[flags] SQL [SOURCE...]", queryExamples, e.stderr)
	var pf pipeFlags
	pf.register(fs)
	format := fs.String("format", "", "output format: table, csv, json, parquet or arrow (default table on a terminal, else csv)")
	out := fs.String("out", "", "write the result to `PATH` instead of stdout")
	explain := fs.Bool("explain", false, "print the query plan and exit without reading objects")
	force := fs.Bool("force", false, "overwrite an existing --out or --rejects file")
	nowS := fs.String("now", "", "the `time` current_date, current_timestamp and now() return, RFC 3339 (default now)")
	maxGroups := fs.Int64("max-groups", query.DefaultMaxGroups, "fail rather than hold more than `N` GROUP BY groups, DISTINCT values or rows to sort in memory (~500 bytes each plus values; -1: no limit)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usagef("missing SQL")
	}
	var qo query.Options
	if *nowS != "" {
		if qo.Now, _, err = parseTimeArg(*nowS); err != nil {
			return usagef("--now: %v", err)
		}
	}
	plan, err := query.Compile(pos[0], qo)
	if err != nil {
		return usageError{err}
	}
	sources, err := plan.Sources(pos[1:])
	if err != nil {
		return usageError{err}
	}
	if err := checkSources(sources); err != nil {
		return err
	}
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	cfg.Stdin = e.stdin
	cfg.Window = plan.Window()

	if *explain {
		fmt.Fprint(e.stdout, plan.Explain())
		// List the sources to say what the time window keeps, without
		// reading anything: every object that would be read is skipped.
		cfg.Skip = func(*pipeline.Object) bool { return true }
		st, err := pipeline.Run(ctx, cfg, sources, func(int, *pipeline.Chunk) error { return nil })
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "objects:         %d listed, %d skipped by key time, %d other shards, %d to read\n",
			st.Listed.Load(), st.SkippedTime.Load(), st.SkippedShard.Load(), st.SkippedDone.Load())
		return nil
	}

	f := *format
	if f == "" {
		f = "csv"
		if e.stdoutTTY && *out == "" {
			f = "table"
		}
	}
	if err := noClobber(*force, [2]string{"--out", *out}, [2]string{"--rejects", pf.rejects}); err != nil {
		return err
	}
	var w io.Writer = e.stdout
	var file *os.File
	if *out != "" {
		// The result is written to a private temporary file beside the
		// destination and renamed into place only when the query has
		// succeeded: an interrupted or failed run leaves no partial file.
		if file, err = os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp-*"); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer os.Remove(file.Name()) // fails harmlessly once renamed
		defer file.Close()
		w = file
	}
	var rw query.RowWriter
	switch f {
	case "parquet", "arrow":
		rw = &sinkRows{w: w, format: f}
	default:
		if rw, err = query.NewWriter(f, w); err != nil {
			return usageError{err}
		}
	}

	var ro query.RunOptions
	ro.Strict = pf.strict
	if *maxGroups == 0 || *maxGroups < -1 {
		return usagef("--max-groups must be positive, or -1 for no limit")
	}
	ro.MaxGroups = *maxGroups
	var rejFile *os.File
	var rejW *bufio.Writer
	var rejErr atomic.Value
	nrej := 0
	if pf.rejects != "" {
		if rejFile, err = os.Create(pf.rejects); err != nil {
			return err
		}
		defer rejFile.Close()
		rejW = bufio.NewWriter(rejFile)
		// Run serialises calls to OnReject.
		ro.OnReject = func(pe *parse.ParseError, line []byte) {
			nrej++
			if _, err := fmt.Fprintf(rejW, "%s\n%s\n", pe.Error(), line); err != nil {
				rejErr.Store(err)
			}
		}
	}
	cfg.Stats = &pipeline.Stats{}
	stop := startProgress(ctx, e, !pf.noProgress && !pf.quiet, cfg.Stats)
	st, runErr := plan.Run(ctx, cfg, sources, rw, ro)
	stop()
	if rejW != nil {
		if err := rejW.Flush(); err != nil && runErr == nil {
			runErr = err
		}
		if err, _ := rejErr.Load().(error); err != nil && runErr == nil {
			runErr = fmt.Errorf("--rejects: %w", err)
		}
		if runErr != nil && nrej == 0 {
			// A failed run with nothing to report leaves no empty file
			// behind to block the next run.
			rejFile.Close()
			os.Remove(pf.rejects)
		}
	}
	if file != nil {
		// The Parquet/Arrow writer may have closed it already.
		if err := file.Close(); err != nil && !errors.Is(err, os.ErrClosed) && runErr == nil {
			runErr = err
		}
	}
	if file != nil && runErr == nil {
		runErr = publish(file.Name(), *out, *force)
	}
	pf.summary(e.stderr, "query", st)
	if runErr != nil && ctx.Err() != nil {
		if *out != "" {
			return fmt.Errorf("interrupted; %s not written", *out)
		}
		return errors.New("interrupted; the result is incomplete")
	}
	if runErr != nil {
		var pe *parse.ParseError
		if errors.As(runErr, &pe) && pf.strict {
			return fmt.Errorf("--strict: malformed line: %w", runErr)
		}
		return runErr
	}
	return nil
}

// publish moves the finished temporary file tmp to path, with the
// permissions os.Create would give under the usual umask. Without force an
// existing path is never replaced, even one created during the run.
func publish(tmp, path string, force bool) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if !force {
		// A hard link fails if path exists, where a rename would replace it.
		if err := os.Link(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("--out %s: file exists (--force overwrites it)", path)
			}
			// No hard links on this file system: check, then rename.
			if _, serr := os.Lstat(path); serr == nil {
				return fmt.Errorf("--out %s: file exists (--force overwrites it)", path)
			}
		} else {
			return os.Remove(tmp)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// sinkRows adapts a query result to sink.ResultWriter (Parquet or Arrow
// IPC), typed per SPEC §3: a plain column keeps its schema type (int32 for
// httpstatus), computed values their SQL kind.
type sinkRows struct {
	w      io.Writer
	format string
	rw     *sink.ResultWriter
	kinds  []query.Kind
	vals   []any
}

func (s *sinkRows) Begin(cols []query.ResultColumn) error {
	rc := make([]sink.ResultColumn, len(cols))
	s.kinds = make([]query.Kind, len(cols))
	for i, c := range cols {
		rc[i].Name = c.Name
		s.kinds[i] = c.Kind
		switch c.Kind {
		case query.KindInt, query.KindInterval:
			rc[i].Type = sink.ResultInt64
		case query.KindFloat:
			rc[i].Type = sink.ResultFloat64
		case query.KindTime:
			rc[i].Type = sink.ResultTimestamp
		case query.KindBool:
			rc[i].Type = sink.ResultBool
		default:
			rc[i].Type = sink.ResultString
		}
		if c.Column >= 0 {
			sc := schema.Columns[c.Column]
			rc[i].Type = sink.ResultTypeOf(sc.Type)
			rc[i].Dictionary = sc.Dictionary
		}
	}
	var err error
	s.rw, err = sink.NewResultWriter(s.w, s.format, rc)
	s.vals = make([]any, len(cols))
	return err
}

func (s *sinkRows) WriteRow(row []query.Value) error {
	for i, v := range row {
		switch v.Kind {
		case query.KindNull:
			s.vals[i] = nil
		case query.KindString:
			s.vals[i] = v.S
		case query.KindInt, query.KindInterval:
			s.vals[i] = v.I
		case query.KindFloat:
			s.vals[i] = v.F
		case query.KindTime:
			s.vals[i] = time.Unix(v.I, 0).UTC()
		case query.KindBool:
			s.vals[i] = v.I != 0
		default: // date, decimal, intervals: as they print
			s.vals[i] = v.AppendText(nil)
		}
	}
	return s.rw.WriteRow(s.vals...)
}

func (s *sinkRows) End() error { return s.rw.Close() }
