package convert

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// genBlock returns at least size bytes of generated lines from seed, with
// the generator's default trap rate or, when traps is false, none (the
// data bench/peers gives DuckDB).
func genBlock(tb testing.TB, seed int64, size int, traps bool) []byte {
	tb.Helper()
	rate := -1.0
	if traps {
		rate = 0
	}
	buf := make([]byte, 0, size+16<<10)
	errEnough := errors.New("enough")
	err := gen.Generate(gen.Config{Seed: seed, TrapRate: rate, Objects: size/400_000 + 10, LinesPerObject: 1000}, func(o gen.Object) error {
		for i := range o.Records {
			buf = append(o.Records[i].AppendLine(buf), '\n')
			if len(buf) >= size {
				return errEnough
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		tb.Fatal(err)
	}
	return buf
}

// benchConvert converts a generated file of size bytes to zstd sink.Parquet
// (no partitioning, as bench/peers does) with workers workers, reporting
// throughput, allocations per line, the output's share of the input and
// the peak live heap above the heap before the run.
func benchConvert(b *testing.B, size int, traps bool, workers int, opts Options) {
	src := filepath.Join(b.TempDir(), "in.log")
	block := genBlock(b, 1, size, traps)
	lines := 0
	for _, c := range block {
		if c == '\n' {
			lines++
		}
	}
	if err := os.WriteFile(src, block, 0o644); err != nil {
		b.Fatal(err)
	}
	block = nil
	opts.PartitionBy = None
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var out int64
	var peak uint64
	var cpu time.Duration
	var mallocs uint64
	for b.Loop() {
		dir := b.TempDir()
		d, _ := sink.NewLocalDestination(dir)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, m0 := ms.HeapAlloc, ms.Mallocs
		hp := memstat.Start()
		c0 := cpuTime()
		res, err := Convert(context.Background(), d, opts, pipeline.Config{Workers: workers}, []string{src})
		cpu += cpuTime() - c0
		p := hp.Stop()
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != int64(lines) {
			b.Fatalf("%d rows, want %d", res.Rows, lines)
		}
		out = res.Bytes
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - m0
		if p > base && p-base > peak {
			peak = p - base
		}
		os.RemoveAll(dir)
	}
	b.ReportMetric(float64(out)/float64(size)*100, "%out")
	// CPU time (user+system, all threads) tells more than wall time on a
	// machine shared with other work.
	b.ReportMetric(float64(size)/1e6/(cpu.Seconds()/float64(b.N)), "cpu-MB/s")
	b.ReportMetric(float64(mallocs)/float64(b.N)/float64(lines), "allocs/line")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}

// cpuTime returns the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConvertParquet converts 64 MB of generated logs to zstd
// sink.Parquet on one worker and on two, with and without trap lines.
func BenchmarkConvertParquet(b *testing.B) {
	for _, bc := range []struct {
		name    string
		traps   bool
		workers int
	}{
		{"clean/w1", false, 1},
		{"traps/w1", true, 1},
		{"clean/w2", false, 2},
	} {
		b.Run(bc.name, func(b *testing.B) { benchConvert(b, 64<<20, bc.traps, bc.workers, Options{}) })
	}
}

// BenchmarkConvertMemory converts 2x and 4x as much data with the default
// options on one worker: peak-MB must stay flat (memory bounded by the row
// group and file sizes, not by the input).
func BenchmarkConvertMemory(b *testing.B) {
	for _, mb := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) { benchConvert(b, mb<<20, false, 1, Options{}) })
	}
}

// BenchmarkConvert measures a whole conversion of a generated file to
// zstd sink.Parquet in a local directory.
func BenchmarkConvert(b *testing.B) {
	src := filepath.Join(b.TempDir(), "in.log")
	block := gen.Block(1, 32<<20)
	if err := os.WriteFile(src, block, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(block)))
	for b.Loop() {
		out := b.TempDir()
		d, _ := sink.NewLocalDestination(out)
		if _, err := Convert(context.Background(), d, Options{}, pipeline.Config{}, []string{src}); err != nil {
			b.Fatal(err)
		}
	}
}
