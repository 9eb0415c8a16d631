package query

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/memstat"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// cycleReader reads block n times: an arbitrarily long log stream that
// the test itself does not hold in memory.
type cycleReader struct {
	block []byte
	n     int
	off   int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.block[r.off:])
	r.off += k
	if r.off == len(r.block) {
		r.off, r.n = 0, r.n-1
	}
	return k, nil
}

// memoryQueries are a streaming filter and a hash aggregate: the two
// shapes whose memory must not grow with the input.
var memoryQueries = []string{
	"SELECT key, bytessent FROM t WHERE httpstatus = 404",
	"SELECT operation, count(*) AS n, sum(bytessent) FROM t GROUP BY operation",
}

// runStream runs sql over block repeated n times, read as stdin, and
// returns the rows written and the lines the run counted.
func runStream(tb testing.TB, sql string, block []byte, n int) (rows int, lines int64) {
	p, err := Compile(sql, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	d := &discard{}
	st, err := p.Run(context.Background(), pipeline.Config{Workers: 2, Stdin: &cycleReader{block: block, n: n}}, []string{"-"}, d, RunOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return d.n, st.Lines.Load()
}

// TestQueryMemoryBounded: a query over 256 MB of logs holds far less than
// the input: the live heap stays under 128 MB (the pipeline's block
// buffers, (concurrency + 2 × workers) × 1 MiB, plus per-worker state),
// and every line is counted.
func TestQueryMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 512 MB")
	}
	block := gen.Block(2, 4<<20)
	blockLines := bytes.Count(block, []byte{'\n'})
	const reps = 64 // 256 MB
	for _, sql := range memoryQueries {
		var lines int64
		peak := memstat.During(func() { _, lines = runStream(t, sql, block, reps) })
		if lines != int64(reps*blockLines) {
			t.Errorf("%s: %d lines counted, want %d", sql, lines, reps*blockLines)
		}
		if peak > 128<<20 {
			t.Errorf("%s: live heap reached %d MB over a %d MB input", sql, peak>>20, reps*len(block)>>20)
		}
		t.Logf("%s: peak live heap %.1f MB over %d MB", sql, float64(peak)/(1<<20), reps*len(block)>>20)
	}
}

// BenchmarkQueryMemory runs each memory query over a long stream (1 GiB by
// default, S3LOGS_MEMBENCH_MB to change) and reports the peak live heap;
// it fails if the heap exceeds the documented bound of 256 MB.
func BenchmarkQueryMemory(b *testing.B) {
	mb := 1024
	if s := os.Getenv("S3LOGS_MEMBENCH_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	block := gen.Block(2, 4<<20)
	reps := max(1, mb<<20/len(block))
	for i, sql := range memoryQueries {
		b.Run(strconv.Itoa(i), func(b *testing.B) {
			b.SetBytes(int64(reps * len(block)))
			b.ReportAllocs()
			var peak uint64
			for range b.N {
				peak = max(peak, memstat.During(func() { runStream(b, sql, block, reps) }))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			if peak > 256<<20 {
				b.Fatalf("%s: peak live heap %d MB, documented bound 256 MB", sql, peak>>20)
			}
		})
	}
}

// BenchmarkGroupMemory measures what one GROUP BY group costs (the basis
// of the --max-groups documentation): peak live heap over distinct
// request ids, minus the heap of the same scan with one group.
func BenchmarkGroupMemory(b *testing.B) {
	block := gen.Block(3, 128<<20)
	ids := map[string]bool{}
	var rec parse.Record
	for _, l := range bytes.Split(block, []byte{'\n'}) {
		if rec.Parse(l) == nil {
			ids[string(rec.Bytes(parse.RequestID))] = true
		}
	}
	b.SetBytes(int64(len(block)))
	var per float64
	for range b.N {
		one := memstat.During(func() { runStream(b, "SELECT count(*) FROM t", block, 1) })
		many := memstat.During(func() { runStream(b, "SELECT requestid, count(*) FROM t GROUP BY requestid", block, 1) })
		per = float64(many-one) / float64(len(ids))
	}
	b.ReportMetric(per, "bytes/group")
	b.ReportMetric(float64(len(ids)), "groups")
}
