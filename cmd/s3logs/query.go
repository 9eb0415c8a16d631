package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/internal/atomicfile"
	"github.com/s3logs/s3logs/lake"
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
	now       string
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
	fs.StringVar(&o.now, "now", "", "the `time` current_date, current_timestamp and now() return, RFC 3339 (default now)")
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
	var qo query.Options
	if o.now != "" {
		if qo.Now, _, err = parseTimeArg(o.now); err != nil {
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

	if o.explain {
		converted, err := lake.DetectAll(ctx, cfg, sources)
		if err != nil {
			return err
		}
		if converted {
			// Read the footers to say what is pruned, and no data.
			fmt.Fprint(e.stdout, plan.ExplainConverted())
			s, err := lake.Explain(ctx, cfg, sources, plan.LakeScan(), "")
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, s)
			return nil
		}
		fmt.Fprint(e.stdout, plan.Explain())
		// List the sources to say what the time window keeps, without
		// reading anything.
		st, err := pipeline.DryRun(ctx, cfg, sources)
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
	if o.maxGroups == 0 || o.maxGroups < -1 {
		return usagef("--max-groups must be positive, or -1 for no limit")
	}
	if err := noClobber(o.force, [2]string{"--out", o.out}); err != nil {
		return err
	}
	rejects, err := pf.openRejects(&cfg, o.force)
	if err != nil {
		return err
	}
	var w io.Writer = e.stdout
	var file *atomicfile.File
	if o.out != "" {
		// The result is written to a private temporary file beside the
		// destination and published only when the query has succeeded:
		// an interrupted or failed run leaves no partial file.
		if file, err = atomicfile.Create(o.out, !o.force); err != nil {
			rejects.close(err)
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Abort()
		w = file
	}
	var rw query.RowWriter
	switch f {
	case "parquet", "arrow":
		rw = &sinkRows{w: w, format: f}
	default:
		if rw, err = query.NewWriter(f, w); err != nil {
			rejects.close(err)
			return usageError{err}
		}
	}

	// Rows to stdout flow as they are found; rows to --out wait until
	// their log object was read whole (a failed object contributes
	// nothing).
	ro := query.RunOptions{MaxGroups: o.maxGroups, Live: o.out == ""}
	cfg.Stats = &pipeline.Stats{}
	stop := startProgress(ctx, e, !pf.noProgress && !pf.quiet, cfg.Stats)
	st, runErr := plan.Run(ctx, cfg, sources, rw, ro)
	stop()
	if err := rejects.close(runErr); err != nil && runErr == nil {
		runErr = err
	}
	if file != nil && runErr == nil {
		if runErr = file.Commit(); errors.Is(runErr, atomicfile.ErrExist) {
			runErr = fmt.Errorf("--out %s: file exists (--force overwrites it)", o.out)
		}
	}
	pf.summary(e.stderr, "query", st)
	if runErr != nil && ctx.Err() != nil {
		if o.out != "" {
			return fmt.Errorf("interrupted; %s not written", o.out)
		}
		return errors.New("interrupted; the result is incomplete")
	}
	return pf.runError(runErr)
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
