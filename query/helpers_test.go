package query

import (
	"bytes"
	"context"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
)

// capture is a RowWriter that keeps rows as text, NULL as "NULL".
type capture struct {
	cols  []ResultColumn
	rows  [][]string
	ended bool
}

func (c *capture) Begin(cols []ResultColumn) error { c.cols = cols; return nil }
func (c *capture) WriteRow(row []Value) error {
	r := make([]string, len(row))
	for i, v := range row {
		if v.IsNull() {
			r[i] = "NULL"
		} else {
			r[i] = v.String()
		}
	}
	c.rows = append(c.rows, r)
	return nil
}
func (c *capture) End() error { c.ended = true; return nil }

// runQuery runs sql over data (read as stdin) with the given workers and a
// small block size, so that several workers see blocks.
func runQuery(t testing.TB, sql string, data []byte, workers int, o Options) (*capture, *pipeline.Stats) {
	t.Helper()
	p, err := Compile(sql, o)
	if err != nil {
		t.Fatalf("Compile(%q): %v", sql, err)
	}
	c := &capture{}
	cfg := pipelineConfig(data, workers)
	st, err := p.Run(context.Background(), cfg, []string{"-"}, c, RunOptions{})
	if err != nil {
		t.Fatalf("Run(%q): %v", sql, err)
	}
	return c, st
}

// fixture returns generated records and their log text.
func fixture(t testing.TB, seed int64, objects, lines int) ([]gen.Record, []byte) {
	t.Helper()
	objs, err := gen.All(gen.Config{Seed: seed, Objects: objects, LinesPerObject: lines})
	if err != nil {
		t.Fatal(err)
	}
	var recs []gen.Record
	var data []byte
	for _, o := range objs {
		recs = append(recs, o.Records...)
		data = o.AppendTo(data)
	}
	return recs, data
}

// pipelineConfig reads data as stdin with small blocks, so that several
// workers see blocks.
func pipelineConfig(data []byte, workers int) pipeline.Config {
	return pipeline.Config{Workers: workers, BlockSize: 4 << 10, Stdin: bytes.NewReader(data)}
}
