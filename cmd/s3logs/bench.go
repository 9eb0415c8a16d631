package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/sink"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
)

const benchLong = `
Measures parse, query and convert throughput on generated logs (or your own
files), all read from memory first. Every stage reads the same bytes. "1 core"
runs with GOMAXPROCS=1 and one worker; "all cores" with the default. "floor"
is a newline count over the same bytes: what the memory system allows; "x
floor" is each stage's all-cores throughput as a share of the floor's.
`

const benchExamples = `  s3logs bench                       # 256 MB of generated logs in memory
  s3logs bench --size 1GB --json     # machine-readable figures
  s3logs bench --lines 100000 --cpuprofile cpu.out && go tool pprof cpu.out
  s3logs bench ./logs/2024-03-01-*   # your own files, read into memory first
`

// The questions the query stages ask: a selective filter (who deleted what)
// and a group-by (requests per requester and signature version).
const (
	benchFilterSQL  = "SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'"
	benchGroupBySQL = "SELECT requester, sigv, count(*) AS n FROM logs GROUP BY requester, sigv"
)

// benchStage is one measured stage: the figures for one core and for all
// cores over the same input.
type benchStage struct {
	Name        string  `json:"name"`
	Lines       int64   `json:"lines"` // lines the stage saw (all-cores run)
	Rows        int64   `json:"rows"`  // result rows or records written; 0 when not applicable
	OutBytes    int64   `json:"out_bytes,omitempty"`
	MBps1       float64 `json:"mb_per_s_1core"`
	LinesPerS1  float64 `json:"lines_per_s_1core"`
	MBpsN       float64 `json:"mb_per_s_all"`
	LinesPerSN  float64 `json:"lines_per_s_all"`
	AllocsLine  float64 `json:"allocs_per_line"` // heap allocations per line, 1-core run
	PeakMB      float64 `json:"peak_mb"`         // peak heap above the input, all-cores run
	FloorRatio  float64 `json:"floor_ratio"`     // MBpsN / floor's MBpsN
	FloorRatio1 float64 `json:"floor_ratio_1core"`
}

// benchReport is everything bench prints.
type benchReport struct {
	GoVersion string       `json:"go_version"`
	OS        string       `json:"os"`
	Arch      string       `json:"arch"`
	CPUs      int          `json:"cpus"`
	Procs     int          `json:"gomaxprocs"`
	CPUModel  string       `json:"cpu_model,omitempty"`
	Input     string       `json:"input"`
	Bytes     int64        `json:"bytes"`
	Lines     int64        `json:"lines"`
	Stages    []benchStage `json:"stages"`
}

// benchOptions are bench's parsed flags.
type benchOptions struct {
	size, cpuprofile, memprofile, only string
	lines, reps                        int
	seed                               int64
	asJSON                             bool
}

func newBenchCmd(e *env) *cobra.Command {
	var o benchOptions
	cmd := newCommand("bench [flags] [FILE...]", "measure parse, query and convert throughput", benchLong, benchExamples,
		func(ctx context.Context, args []string) error { return runBench(ctx, e, &o, args) })
	fs := cmd.Flags()
	fs.StringVar(&o.size, "size", "256MB", "`bytes` of generated logs (e.g. 64MB, 1GB); ignored with --lines or files")
	fs.IntVar(&o.lines, "lines", 0, "generate this many lines instead of --size")
	fs.Int64Var(&o.seed, "seed", 1, "generator seed")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of all stages to `file`")
	fs.StringVar(&o.memprofile, "memprofile", "", "write an allocation profile to `file` at the end")
	fs.IntVar(&o.reps, "reps", 1, "run each stage this many times and report the median")
	fs.StringVar(&o.only, "stages", "", "comma-separated stages to run (default all): "+strings.Join(benchStageNames, ","))
	return cmd
}

// runBench measures parse, query and convert throughput (SPEC §2, s3logs bench).
func runBench(ctx context.Context, e *env, o *benchOptions, pos []string) error {
	if o.reps < 1 {
		return usagef("--reps must be at least 1")
	}
	want := map[string]bool{}
	if o.only != "" {
		for _, s := range strings.Split(o.only, ",") {
			s = strings.TrimSpace(s)
			if !containsString(benchStageNames, s) {
				return usagef("--stages: unknown stage %q (want %s)", s, strings.Join(benchStageNames, ","))
			}
			want[s] = true
		}
	}
	var data []byte
	var input string
	switch {
	case len(pos) > 0:
		var buf bytes.Buffer
		for _, p := range pos {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			buf.Write(b)
			if len(b) > 0 && b[len(b)-1] != '\n' {
				buf.WriteByte('\n')
			}
		}
		data, input = buf.Bytes(), strings.Join(pos, " ")
	case o.lines > 0:
		data = gen.Lines(o.seed, o.lines)
		input = fmt.Sprintf("gen seed %d, %d lines", o.seed, o.lines)
	case o.lines < 0:
		return usagef("--lines must be positive")
	default:
		n, err := parseSize(o.size)
		if err != nil || n <= 0 {
			return usagef("--size %q: want a positive size like 256MB or 1GB", o.size)
		}
		data = gen.Block(o.seed, int(n))
		input = fmt.Sprintf("gen seed %d, %s", o.seed, o.size)
	}
	if len(data) == 0 {
		return fmt.Errorf("no input data")
	}

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.memprofile != "" {
		runtime.MemProfileRate = 64 << 10
	}

	rep := benchReport{
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs: runtime.NumCPU(), Procs: runtime.GOMAXPROCS(0), CPUModel: cpuModel(),
		Input: input, Bytes: int64(len(data)), Lines: int64(bytes.Count(data, []byte{'\n'})),
	}
	b := &bencher{data: data, tmp: os.TempDir(), reps: o.reps}
	var floor *benchStage
	for _, st := range benchStages() {
		if len(want) > 0 && !want[st.name] && st.name != "floor" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := b.measure(ctx, st)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		if st.name == "floor" {
			floor = &s
		}
		if floor != nil && floor.MBpsN > 0 {
			s.FloorRatio = s.MBpsN / floor.MBpsN
			s.FloorRatio1 = s.MBps1 / floor.MBps1
		}
		rep.Stages = append(rep.Stages, s)
	}

	if o.memprofile != "" {
		f, err := os.Create(o.memprofile)
		if err != nil {
			return err
		}
		runtime.GC()
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printBench(e.stdout, &rep)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cpuModel returns the CPU's model name where the OS tells it (Linux).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func printBench(w io.Writer, r *benchReport) error {
	fmt.Fprintf(w, "input: %s: %.1f MB, %d lines (%.0f bytes/line)\n", r.Input, float64(r.Bytes)/1e6, r.Lines, float64(r.Bytes)/float64(max(r.Lines, 1)))
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs (GOMAXPROCS %d) %s, %s\n\n", r.OS, r.Arch, r.CPUs, r.Procs, r.CPUModel, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "stage\t1 core MB/s\t1 core lines/s\tall cores MB/s\tall cores lines/s\tallocs/line\tpeak heap MB\tx floor (1 core)\tx floor (all)\t\n")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.0f\t%s\t%.2f\t%.0f\t%.2f\t%.2f\t\n", s.Name, s.MBps1, humanRate(s.LinesPerS1),
			s.MBpsN, humanRate(s.LinesPerSN), s.AllocsLine, s.PeakMB, s.FloorRatio1, s.FloorRatio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Stages {
		if s.OutBytes > 0 {
			fmt.Fprintf(w, "%s output: %.1f MB (%.1f%% of input)\n", s.Name, float64(s.OutBytes)/1e6, 100*float64(s.OutBytes)/float64(r.Bytes))
		}
	}
	fmt.Fprintf(w, "\nfilter:   %s\ngroup-by: %s\n", benchFilterSQL, benchGroupBySQL)
	return nil
}

func humanRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// benchStageNames lists the stages in the order they run.
var benchStageNames = []string{"floor", "scan", "decode", "filter", "group-by", "parquet-zstd", "arrow"}

// stageFunc runs one stage over the whole input with the given number of
// workers and returns the lines it saw, its result rows and output bytes.
type stageFunc func(ctx context.Context, workers int) (lines, rows, out int64, err error)

type stageDef struct {
	name string
	run  func(b *bencher) stageFunc
}

func benchStages() []stageDef {
	return []stageDef{
		{"floor", func(b *bencher) stageFunc { return b.floor }},
		{"scan", func(b *bencher) stageFunc { return b.scan }},
		{"decode", func(b *bencher) stageFunc { return b.decode }},
		{"filter", func(b *bencher) stageFunc { return b.query(benchFilterSQL) }},
		{"group-by", func(b *bencher) stageFunc { return b.query(benchGroupBySQL) }},
		{"parquet-zstd", func(b *bencher) stageFunc { return b.convert(sink.Parquet) }},
		{"arrow", func(b *bencher) stageFunc { return b.convert(sink.Arrow) }},
	}
}

// bencher holds the input every stage reads.
type bencher struct {
	data []byte
	tmp  string
	reps int
}

// measure runs a stage on one core, then on all cores, each b.reps times,
// and keeps the median times.
func (b *bencher) measure(ctx context.Context, st stageDef) (benchStage, error) {
	fn := st.run(b)
	s := benchStage{Name: st.name}
	mb := float64(len(b.data)) / 1e6

	// One core: GOMAXPROCS 1 so that neither the garbage collector nor
	// helpers borrow another core.
	var times []float64
	var lines int64
	for i := 0; i < b.reps; i++ {
		procs := runtime.GOMAXPROCS(1)
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		n, _, _, err := fn(ctx, 1)
		el := time.Since(t0).Seconds()
		runtime.ReadMemStats(&m1)
		runtime.GOMAXPROCS(procs)
		if err != nil {
			return s, err
		}
		if i == 0 && n > 0 {
			s.AllocsLine = float64(m1.Mallocs-m0.Mallocs) / float64(n)
		}
		lines = n
		times = append(times, el)
	}
	el := median(times)
	s.MBps1, s.LinesPerS1 = mb/el, float64(lines)/el

	// All cores, with peak memory sampled.
	times = times[:0]
	var peakBytes int64
	for i := 0; i < b.reps; i++ {
		runtime.GC()
		base := int64(memstat.Heap())
		peak := memstat.Start()
		t0 := time.Now()
		n, rows, out, err := fn(ctx, runtime.GOMAXPROCS(0))
		el := time.Since(t0).Seconds()
		p := int64(peak.Stop())
		if err != nil {
			return s, err
		}
		s.Lines, s.Rows, s.OutBytes = n, rows, out
		peakBytes = max(peakBytes, p-base)
		times = append(times, el)
	}
	el = median(times)
	s.MBpsN, s.LinesPerSN = mb/el, float64(s.Lines)/el
	s.PeakMB = float64(peakBytes) / 1e6
	return s, nil
}

// median returns the median of xs (the mean of the middle two for an even
// count); xs is sorted in place.
func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// split cuts data into about n parts at line boundaries.
func split(data []byte, n int) [][]byte {
	var parts [][]byte
	for n > 1 && len(data) > 0 {
		cut := len(data) / n
		if i := bytes.IndexByte(data[cut:], '\n'); i >= 0 {
			cut += i + 1
		} else {
			cut = len(data)
		}
		parts = append(parts, data[:cut])
		data = data[cut:]
		n--
	}
	if len(data) > 0 {
		parts = append(parts, data)
	}
	return parts
}

// parallel runs fn over n line-aligned parts of the data and sums its
// line counts.
func (b *bencher) parallel(ctx context.Context, n int, fn func(part []byte) int64) (int64, error) {
	var total atomic.Int64
	g, _ := errgroup.WithContext(ctx)
	for _, part := range split(b.data, n) {
		g.Go(func() error {
			total.Add(fn(part))
			return nil
		})
	}
	err := g.Wait()
	return total.Load(), err
}

// floor counts newlines: the least any stage must do.
func (b *bencher) floor(ctx context.Context, workers int) (int64, int64, int64, error) {
	n, err := b.parallel(ctx, workers, func(p []byte) int64 { return int64(bytes.Count(p, []byte{'\n'})) })
	return n, 0, 0, err
}

// scan locates every field of every line.
func (b *bencher) scan(ctx context.Context, workers int) (int64, int64, int64, error) {
	n, err := b.parallel(ctx, workers, func(p []byte) int64 {
		sc := parse.NewBlockScanner(p)
		for sc.Scan() {
		}
		return sc.Lines()
	})
	return n, 0, 0, err
}

// benchSink keeps decoded values alive so the compiler cannot drop the
// decoding.
var benchSink atomic.Int64

// decode locates every field and converts each to its typed value: the
// integers, the time, the request line's parts, and every string's bytes.
func (b *bencher) decode(ctx context.Context, workers int) (int64, int64, int64, error) {
	n, err := b.parallel(ctx, workers, func(p []byte) int64 {
		sc := parse.NewBlockScanner(p)
		var acc int64
		for sc.Scan() {
			r := sc.Record()
			acc += r.Unix()
			for f := parse.Field(0); int(f) < parse.NumFields; f++ {
				switch f {
				case parse.Time:
				case parse.HTTPStatus, parse.BytesSent, parse.ObjectSize, parse.TotalTime, parse.TurnAroundTime:
					if v, ok := r.Int(f); ok {
						acc += v
					}
				default:
					if v, ok := r.Value(f); ok {
						acc += int64(len(v))
					}
				}
			}
			if m, t, pr, ok := r.RequestLine(); ok {
				acc += int64(len(m) + len(t) + len(pr))
			}
		}
		benchSink.Add(acc)
		return sc.Lines()
	})
	return n, 0, 0, err
}

// pipelineConfig reads the in-memory input as the source "-".
func (b *bencher) pipelineConfig(workers int) pipeline.Config {
	return pipeline.Config{Workers: workers, Stdin: bytes.NewReader(b.data)}
}

// countWriter counts result rows.
type countWriter struct{ rows int64 }

func (c *countWriter) Begin([]query.ResultColumn) error { return nil }
func (c *countWriter) WriteRow([]query.Value) error     { c.rows++; return nil }
func (c *countWriter) End() error                       { return nil }

func (b *bencher) query(sql string) stageFunc {
	return func(ctx context.Context, workers int) (int64, int64, int64, error) {
		p, err := query.Compile(sql, query.Options{})
		if err != nil {
			return 0, 0, 0, err
		}
		var w countWriter
		st, err := p.Run(ctx, b.pipelineConfig(workers), []string{"-"}, &w, query.RunOptions{})
		if err != nil {
			return 0, 0, 0, err
		}
		return st.Lines.Load(), w.rows, 0, nil
	}
}

func (b *bencher) convert(f sink.Format) stageFunc {
	return func(ctx context.Context, workers int) (int64, int64, int64, error) {
		dir, err := os.MkdirTemp(b.tmp, "s3logs-bench-")
		if err != nil {
			return 0, 0, 0, err
		}
		defer os.RemoveAll(dir)
		dest, err := sink.NewLocalDestination(dir)
		if err != nil {
			return 0, 0, 0, err
		}
		res, err := convert.Convert(ctx, dest, convert.Options{Format: f, Compression: "zstd", PartitionBy: convert.None},
			b.pipelineConfig(workers), []string{"-"})
		if err != nil {
			return 0, 0, 0, err
		}
		return res.Stats.Lines.Load(), res.Rows, res.Bytes, nil
	}
}
