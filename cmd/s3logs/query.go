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

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

const queryLong = `
Runs an SQL query (the Athena/Trino dialect of AWS's documented queries for
S3 server access logs) over log objects and prints the result.

SOURCE is s3://bucket/prefix/ (listed recursively), a file, a directory
(walked recursively), or - for standard input; or name it in the SQL:
FROM 's3://bucket/prefix/'. A table name in FROM (for example
s3_access_logs_db.mybucket_logs) means the SOURCE arguments. Run
"s3logs schema" for the columns.

Time bounds in WHERE (on requestdatetime, or timestamp = 'yyyy/MM/dd') skip
log objects by the time in their keys before reading them.

--explain prints the plan (prefilters, pushed-down terms, decoded columns,
time window, and how many listed objects the window keeps) without reading
any object.
`

const queryExamples = `  s3logs query "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation LIKE '%DELETE%'" ./logs/
  s3logs query "SELECT requester, sigv, count(*) AS n FROM logs GROUP BY requester, sigv ORDER BY n DESC" s3://my-log-bucket/logs/
  s3logs query "SELECT * FROM logs WHERE requester IS NULL" ./logs/ --out anonymous.parquet
  s3logs query --explain "SELECT count(*) FROM logs WHERE timestamp = '2024/03/01'" ./logs/
`

// queryOptions are query's parsed flags.
type queryOptions struct {
	pf        pipeFlags
	format    string
	out       string
	explain   bool
	force     bool
	maxGroups int64
}

func newQueryCmd(e *env) *cobra.Command {
	var o queryOptions
	cmd := newCommand("query [flags] SQL [SOURCE...]", "run an SQL query over log objects", queryLong, queryExamples,
		func(ctx context.Context, args []string) error { return runQuery(ctx, e, &o, args) })
	fs := cmd.Flags()
	o.pf.register(fs)
	fs.StringVar(&o.format, "format", "", "output `format`: table, csv, json, parquet or arrow (default from --out's extension, else table on a terminal, else csv)")
	fs.StringVar(&o.out, "out", "", "write the result to `PATH` instead of stdout (.parquet, .arrow, .json/.jsonl/.ndjson or .csv choose the format)")
	fs.BoolVar(&o.explain, "explain", false, "print the query plan and exit without reading objects")
	fs.BoolVar(&o.force, "force", false, "overwrite an existing --out or --rejects file")
	fs.Int64Var(&o.maxGroups, "max-groups", query.DefaultMaxGroups, "fail rather than hold more than `N` GROUP BY groups, DISTINCT values or rows to sort in memory (~500 bytes each plus values; -1: no limit)")
	return cmd
}

// runQuery runs an SQL query over log objects (SPEC §2, §4).
func runQuery(ctx context.Context, e *env, o *queryOptions, pos []string) error {
	pf := &o.pf
	if len(pos) == 0 {
		return usagef("missing SQL (see s3logs query --help)")
	}
	f, err := outFormat(o.format, o.out, queryFormats)
	if err != nil {
		return err
	}
	plan, err := query.Compile(pos[0], query.Options{})
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

	if o.explain {
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

	if f == "" {
		f = "csv"
		if e.stdoutTTY && o.out == "" {
			f = "table"
		}
	}
	if err := noClobber(o.force, [2]string{"--out", o.out}, [2]string{"--rejects", pf.rejects}); err != nil {
		return err
	}
	var w io.Writer = e.stdout
	var file *os.File
	if o.out != "" {
		// The result is written to a private temporary file beside the
		// destination and renamed into place only when the query has
		// succeeded: an interrupted or failed run leaves no partial file.
		if file, err = os.CreateTemp(filepath.Dir(o.out), "."+filepath.Base(o.out)+".tmp-*"); err != nil {
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
	if o.maxGroups == 0 || o.maxGroups < -1 {
		return usagef("--max-groups must be positive, or -1 for no limit")
	}
	ro.MaxGroups = o.maxGroups
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
		runErr = publish(file.Name(), o.out, o.force)
	}
	pf.summary(e.stderr, "query", st)
	if runErr != nil && ctx.Err() != nil {
		if o.out != "" {
			return fmt.Errorf("interrupted; %s not written", o.out)
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
		}
	}
	return s.rw.WriteRow(s.vals...)
}

func (s *sinkRows) End() error { return s.rw.Close() }
