package query

import (
	"context"
	"io"

	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

var benchLake struct {
	once       sync.Once
	logs, lake string
	err        error
}

// benchLakeData generates 200,000 lines (400 objects of 500) into the
// system's temporary directory and converts them (zstd Parquet by day,
// convert's defaults), once: later runs find them there, unless this
// build cannot read them.
func benchLakeData(b *testing.B) (logs, lake string) {
	b.Helper()
	benchLake.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "s3logs-lakebench-v1")
		logs, lake := filepath.Join(dir, "logs"), filepath.Join(dir, "lake")
		if _, err := os.Stat(filepath.Join(dir, "done")); err == nil && readable(lake) {
			benchLake.logs, benchLake.lake = logs, lake
			return
		}
		os.RemoveAll(dir)
		cfg := gen.Config{Seed: 1, Objects: 400, LinesPerObject: 500}
		if _, err := gen.WriteDir(context.Background(), cfg, logs); err != nil {
			benchLake.err = err
			return
		}
		dest, err := sink.NewLocalDestination(lake)
		if err == nil {
			_, err = convert.Convert(context.Background(), dest, convert.Options{}, pipeline.Config{}, []string{logs})
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
		}
		benchLake.logs, benchLake.lake, benchLake.err = logs, lake, err
	})
	if benchLake.err != nil {
		b.Fatal(benchLake.err)
	}
	return benchLake.logs, benchLake.lake
}

// readable reports whether this build reads the manifest of the lake a
// run of an earlier build left behind (its format may have changed since).
func readable(lake string) bool {
	dest, err := sink.NewLocalDestination(lake)
	if err != nil {
		return false
	}
	_, err = convert.ReadManifest(context.Background(), dest)
	return err == nil
}

var lakeBenchQueries = []struct{ name, sql string }{
	{"GroupBySigV", "SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv"},
	{"WhoDeleted", "SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'"},
	{"CountEqual", "SELECT count(*) FROM logs WHERE operation = 'REST.DELETE.OBJECT'"},
	{"OneDayByIP", "SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-03 00:00:00' GROUP BY remoteip"},
	{"SelectStar", "SELECT * FROM logs WHERE key = 'images/picture.jpg'"},
	// bench/peers' day: the first (its lake's dt=2024-03-01).
	{"FirstDayByIP", "SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-01 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-02 00:00:00' GROUP BY remoteip"},
}

// BenchmarkLake runs the peer harness's questions over converted output;
// BenchmarkLakeText runs them over the text the lake was converted from.
func BenchmarkLake(b *testing.B) {
	_, lake := benchLakeData(b)
	for _, q := range lakeBenchQueries {
		b.Run(q.name, func(b *testing.B) { benchSource(b, q.sql, lake) })
	}
}

// BenchmarkLakeDir runs them over the converted output in directory
// $S3LOGS_BENCH_LAKE, such as the lake bench/peers --dir DIR leaves in
// DIR/lake (1M lines); without it, it is not run.
func BenchmarkLakeDir(b *testing.B) { benchEnv(b, "S3LOGS_BENCH_LAKE") }

// BenchmarkLakeDirText runs them over the log text in $S3LOGS_BENCH_TEXT
// (a file or directory, such as the access.log bench/peers --dir DIR
// leaves in DIR), for the lake's figures over the text it came from;
// without it, it is not run.
func BenchmarkLakeDirText(b *testing.B) { benchEnv(b, "S3LOGS_BENCH_TEXT") }

// benchEnv runs the questions over the source named by environment
// variable env, and skips without it.
func benchEnv(b *testing.B, env string) {
	src := os.Getenv(env)
	if src == "" {
		b.Skip(env + " not set")
	}
	for _, q := range lakeBenchQueries {
		b.Run(q.name, func(b *testing.B) { benchSource(b, q.sql, src) })
	}
	// The selective question as the binary answers it: every row written
	// as CSV (the row output is a tenth of the lake's run).
	b.Run("WhoDeletedCSV", func(b *testing.B) {
		w, err := NewWriter("csv", io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		benchSourceTo(b, lakeBenchQueries[1].sql, src, w, RunOptions{Live: true})
	})
}

func BenchmarkLakeText(b *testing.B) {
	logs, _ := benchLakeData(b)
	for _, q := range lakeBenchQueries {
		b.Run(q.name, func(b *testing.B) { benchSource(b, q.sql, logs) })
	}
}

func benchSource(b *testing.B, sql, src string) { benchSourceTo(b, sql, src, &discard{}, RunOptions{}) }

// benchSourceTo is benchSource writing the rows to out, run with o.
func benchSourceTo(b *testing.B, sql, src string, out RowWriter, o RunOptions) {
	p, err := Compile(sql, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var lines int64
	c0 := cpuTime()
	for range b.N {
		st, err := p.Run(context.Background(), pipeline.Config{}, []string{src}, out, o)
		if err != nil {
			b.Fatal(err)
		}
		lines = st.Lines.Load()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(lines, 1)), "ns/row")
	// CPU time, all threads: what a loaded machine does not inflate.
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(max(lines, 1)), "cpu-ns/row")

}

// cpuTime is the process's CPU time (user and system) in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
