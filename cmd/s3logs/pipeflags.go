package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/s3logs/s3logs/internal/awserr"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// pipeFlags are the flags every command that reads log objects shares
// (SPEC §2 common flags): how many workers and requests, which AWS
// endpoint, lateness, sharding, failure handling, rejects and progress.
// Register them on a FlagSet, parse, then call config.
type pipeFlags struct {
	workers     int
	concurrency int
	aws         awsFlags
	lateness    time.Duration
	shard       string
	skipFailed  bool
	rejects     string
	strict      bool
	noProgress  bool
	quiet       bool

	listConcurrency int
	maxMemory       string
	inventory       string
}

// register adds the flags to fs.
func (p *pipeFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&p.workers, "workers", 0, "`N` parse workers (default the number of CPUs)")
	fs.IntVar(&p.concurrency, "concurrency", 0, "`N` objects read at once / in-flight S3 requests (default 256 for S3, 4 local; capped by the open-file limit)")
	fs.IntVar(&p.listConcurrency, "list-concurrency", 0, "`N` S3 listing streams (or inventory files) at once (default 16)")
	fs.StringVar(&p.maxMemory, "max-memory", "", "memory the run may use, `SIZE` such as 512MiB: sets the Go memory limit and sizes the buffers (default the cgroup memory limit, else 4GiB)")
	fs.StringVar(&p.inventory, "inventory", "", "list S3 sources from an S3 Inventory report, s3://bucket/.../`manifest.json` (CSV or Parquet), instead of ListObjectsV2")
	p.aws.register(fs)
	fs.DurationVar(&p.lateness, "lateness", 24*time.Hour, "how long after its records a log object may be delivered: a time window reads objects whose key time is up to this much after its end")
	fs.StringVar(&p.shard, "shard", "", "process only shard `I/N` of the objects (0 ≤ I < N)")
	fs.BoolVar(&p.skipFailed, "skip-failed", false, "warn about objects that fail after retries instead of failing")
	fs.StringVar(&p.rejects, "rejects", "", "write each malformed line with its object:line:column: field: reason to `FILE`")
	fs.BoolVar(&p.strict, "strict", false, "fail on the first malformed line")
	fs.BoolVar(&p.noProgress, "no-progress", false, "no progress display")
	fs.BoolVar(&p.quiet, "quiet", false, "no run summary on stderr")
}

// config returns the pipeline configuration the flags describe (without
// Stdin, Window or callbacks, which the command sets). Bad values are
// usage errors.
func (p *pipeFlags) config() (pipeline.Config, error) {
	cfg := pipeline.Config{
		Workers:     p.workers,
		Concurrency: p.concurrency,
		Lateness:    p.lateness,
		SkipFailed:  p.skipFailed,
		Strict:      p.strict,
		AWS:         p.aws.Options,
	}
	cfg.AWS.MaxConns = p.concurrency
	if p.workers < 0 || p.concurrency < 0 || p.listConcurrency < 0 {
		return cfg, usagef("--workers, --concurrency and --list-concurrency must not be negative")
	}
	if p.inventory != "" {
		if _, key, err := pipeline.ParseS3URL(p.inventory); err != nil || key == "" || strings.HasSuffix(key, "/") {
			return cfg, usagef("--inventory %q: want s3://bucket/.../manifest.json", p.inventory)
		}
	}
	cfg.ListConcurrency, cfg.Inventory = p.listConcurrency, p.inventory
	cfg.MaxMemory, _ = pipeline.DefaultMaxMemory()
	if p.maxMemory != "" {
		n, err := parseSize(p.maxMemory)
		if err != nil || n < 64<<20 {
			return cfg, usagef("--max-memory %q: want a size of at least 64MiB, such as 512MiB or 2GiB", p.maxMemory)
		}
		cfg.MaxMemory = n
	}
	// The run's buffers are sized to MaxMemory; the Go runtime is held
	// under it too, so the process's resident memory stays below.
	debug.SetMemoryLimit(pipeline.RuntimeMemoryLimit(cfg.MaxMemory))
	if p.lateness < 0 {
		return cfg, usagef("--lateness must not be negative")
	}
	if err := p.aws.check(); err != nil {
		return cfg, err
	}
	if p.shard != "" {
		i, n, ok := strings.Cut(p.shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
			return cfg, usagef("--shard %q: want I/N with 0 ≤ I < N", p.shard)
		}
		cfg.Shard, cfg.Shards = si, sn
	}
	return cfg, nil
}

// checkSources returns a usage error for a source that cannot name
// anything: an s3:// URL without a bucket.
func checkSources(sources []string) error {
	for _, src := range sources {
		if rest, ok := strings.CutPrefix(src, "s3://"); ok {
			if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
				return usagef("source %q: no bucket name (want s3://bucket/prefix/)", src)
			}
		}
	}
	return nil
}

// summary prints the run summary, a warning when the time window excluded
// every object found, objects that failed and were skipped, and objects
// whose every line was rejected to w; the summary line only without
// --quiet. A run that listed nothing (an error in the
// configuration, an empty source) has nothing to sum up.
func (p *pipeFlags) summary(w io.Writer, cmd string, st *pipeline.Stats) {
	if st == nil || st.Listed.Load() == 0 {
		return
	}
	if msg := windowWarning(st); msg != "" {
		fmt.Fprintf(w, "s3logs %s: warning: %s\n", cmd, msg)
	}
	if f := st.FailedObjects(); len(f) > 0 {
		fmt.Fprintf(w, "s3logs %s: warning: %d objects failed and were skipped; the answer is over the others:\n", cmd, len(f))
		for _, o := range f {
			msg := awserr.Message(o.Err)
			if !strings.HasPrefix(msg, o.Name) {
				msg = o.Name + ": " + msg
			}
			fmt.Fprintf(w, "  %s\n", msg)
			if o.Note != "" {
				fmt.Fprintf(w, "    %s\n", o.Note)
			}
		}
	}
	for _, o := range st.AllRejected() {
		fmt.Fprintf(w, "s3logs %s: warning: %s: all %d lines rejected: %s\n", cmd, o.Name, o.Lines, o.Cause)
	}
	if !p.quiet {
		fmt.Fprintf(w, "s3logs %s: %s\n", cmd, st.Summary())
	}
}

// windowWarning says so when the time window excluded every object the
// run found, naming the key times it found instead: an empty answer then
// means "wrong window", not "no such requests".
func windowWarning(st *pipeline.Stats) string {
	n := st.SkippedTime.Load()
	if n == 0 || n != st.Listed.Load() {
		return ""
	}
	first, last := st.SkippedKeyTimes()
	win := st.Window()
	span := func(a, b time.Time) string {
		f := func(t time.Time) string {
			if t.IsZero() {
				return "…"
			}
			return t.UTC().Format(time.RFC3339)
		}
		if a.Equal(b) {
			return f(a)
		}
		return f(a) + " to " + f(b)
	}
	return fmt.Sprintf("the time window %s excludes every log object found (key times %s; objects are read up to --lateness after the window ends)",
		span(win.From, win.To), span(first, last))
}

// rejectsFile is the --rejects file of a run: the record stage writes each
// malformed line to it (pipeline.Config.Rejects).
type rejectsFile struct {
	f *os.File
	w *bufio.Writer
	n int64
}

// openRejects creates the --rejects file, if one was asked for, and sets it
// as cfg's Rejects writer. An existing file is a usage error unless force.
func (p *pipeFlags) openRejects(cfg *pipeline.Config, force bool) (*rejectsFile, error) {
	if p.rejects == "" {
		return nil, nil
	}
	if err := noClobber(force, [2]string{"--rejects", p.rejects}); err != nil {
		return nil, err
	}
	f, err := os.Create(p.rejects)
	if err != nil {
		return nil, fmt.Errorf("--rejects: %w", err)
	}
	r := &rejectsFile{f: f, w: bufio.NewWriter(f)}
	cfg.Rejects = r
	return r, nil
}

func (r *rejectsFile) Write(b []byte) (int, error) {
	n, err := r.w.Write(b)
	r.n += int64(n)
	return n, err
}

// close finishes the file. A run that failed (runErr) with nothing to
// report leaves no empty file behind to block the next run.
func (r *rejectsFile) close(runErr error) error {
	if r == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if runErr != nil && r.n == 0 {
		os.Remove(r.f.Name())
	}
	if err != nil {
		return fmt.Errorf("--rejects: %w", err)
	}
	return nil
}

// runError words the error of a run: a --strict stop names the line.
func (p *pipeFlags) runError(err error) error {
	var pe *parse.ParseError
	if p.strict && errors.As(err, &pe) {
		return fmt.Errorf("--strict: malformed line: %w", err)
	}
	return err
}
