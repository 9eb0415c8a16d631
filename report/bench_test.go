package report

import (
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// BenchmarkAggregate measures the per-record cost of every section's
// aggregates together (scan plus add), the report's hot path.
func BenchmarkAggregate(b *testing.B) {
	data := gen.Lines(1, 20_000)
	a := newAcc(1<<18, 20)
	s := parse.NewBlockScanner(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s.ResetBytes(data, "bench", 1)
		for s.Scan() {
			r := s.Record()
			a.add(r, r.Unix())
		}
	}
}
