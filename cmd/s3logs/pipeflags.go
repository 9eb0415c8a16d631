package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
)

// pipeFlags are the flags every command that reads log objects shares
// (SPEC §2 common flags): how many workers and requests, which AWS
// endpoint, lateness, sharding, failure handling, rejects and progress.
// Register them on a FlagSet, parse, then call config.
type pipeFlags struct {
	workers     int
	concurrency int
	endpoint    string
	region      string
	profile     string
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
func (p *pipeFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&p.workers, "workers", 0, "`N` parse workers (default GOMAXPROCS)")
	fs.IntVar(&p.concurrency, "concurrency", 0, "`N` objects read at once / in-flight S3 requests (default 256 for S3, 4 local; capped by the open-file limit)")
	fs.IntVar(&p.listConcurrency, "list-concurrency", 0, "`N` S3 listing streams (or inventory files) at once (default 16)")
	fs.StringVar(&p.maxMemory, "max-memory", "", "memory the run may use, `SIZE` such as 512MiB: sets the Go memory limit and sizes the buffers (default the cgroup memory limit, else 4GiB)")
	fs.StringVar(&p.inventory, "inventory", "", "list S3 sources from an S3 Inventory report, s3://bucket/.../`manifest.json` (CSV or Parquet), instead of ListObjectsV2")
	fs.StringVar(&p.endpoint, "endpoint", "", "S3 endpoint `URL` (default AWS_ENDPOINT_URL_S3, else AWS)")
	fs.StringVar(&p.region, "region", "", "AWS `region` (default AWS_REGION or the profile's)")
	fs.StringVar(&p.profile, "profile", "", "AWS shared config `profile`")
	fs.DurationVar(&p.lateness, "lateness", 24*time.Hour, "how late a log object may be delivered after its records (time pruning, SPEC §5)")
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
		AWS: awsconf.Options{
			Profile: p.profile, Region: p.region, Endpoint: p.endpoint, MaxConns: p.concurrency,
		},
	}
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
	if p.endpoint != "" {
		u, err := url.Parse(p.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, usagef("--endpoint %q: want http://host[:port] or https://host[:port]", p.endpoint)
		}
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

// summary prints the run summary and any skipped failed objects to w,
// unless --quiet.
func (p *pipeFlags) summary(w io.Writer, cmd string, st *pipeline.Stats) {
	if st == nil {
		return
	}
	if f := st.Failed(); len(f) > 0 {
		fmt.Fprintf(w, "s3logs %s: warning: %d objects failed and were skipped:\n", cmd, len(f))
		for _, name := range f {
			fmt.Fprintf(w, "  %s\n", name)
		}
	}
	if !p.quiet {
		fmt.Fprintf(w, "s3logs %s: %s\n", cmd, st.Summary())
	}
}
