package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// counter is a Consumer that counts records.
type counter struct{ n atomic.Int64 }

type countPart struct{ c *counter }

func (c *counter) NewPart(int, *Object, bool) Part { return countPart{c} }
func (c *counter) Commit(int, Part) error          { return nil }
func (c *counter) Drop(Part)                       {}
func (p countPart) EndChunk(int64, int64, int) error {
	return nil
}

func (p countPart) Records(sc *parse.Scanner) error {
	n := int64(0)
	for sc.Scan() {
		n++
	}
	p.c.n.Add(n)
	return nil
}

// BenchmarkRunObjects reads generated log objects from local files through
// the whole record stage, as text and gzip-compressed (as S3 delivers some
// logs and users archive them): throughput is of the uncompressed bytes.
func BenchmarkRunObjects(b *testing.B) {
	const objects, size = 8, 4 << 20
	for _, compressed := range []bool{false, true} {
		dir := b.TempDir()
		var total int64
		for i := range objects {
			data := gen.Block(int64(i+1), size)
			total += int64(len(data))
			name := filepath.Join(dir, "2024-03-01-00-00-0"+string(rune('0'+i))+"-ABCDEF0123456789")
			if compressed {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(data)
				zw.Close()
				data, name = buf.Bytes(), name+".gz"
			}
			if err := os.WriteFile(name, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		name := "text"
		if compressed {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				var c counter
				st, err := Run(context.Background(), Config{}, []string{dir}, &c)
				if err != nil {
					b.Fatal(err)
				}
				if c.n.Load() == 0 || c.n.Load() != st.Lines.Load()-st.Rejected.Load() {
					b.Fatalf("%d records of %d lines", c.n.Load(), st.Lines.Load())
				}
			}
		})
	}
}
