package parse

import (
	"bytes"
	"strings"
	"testing"
)

// sampleBlock builds a block of realistic lines: the documented record
// with a few variations, repeated to size.
func sampleBlock(size int) []byte {
	variants := []string{
		base,
		strings.Replace(base, `"S3Console/0.4"`, `"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.cp"`, 1),
		strings.Replace(base, "arn:aws:iam::123456789012:user/alice", "-", 1) + " - - us-east-1",
		strings.Replace(base, "REST.GET.OBJECT", "REST.PUT.OBJECT", 1) + " arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes",
	}
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		b.WriteString(variants[i%len(variants)])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestParseAllocs(t *testing.T) {
	block := sampleBlock(64 << 10)
	s := NewBlockScanner(block)
	var sum int64
	allocs := testing.AllocsPerRun(20, func() {
		s.ResetBytes(block, "obj", 1)
		for s.Scan() {
			r := s.Record()
			v, _ := r.Int(BytesSent)
			sum += v + r.Unix()
			_, _, _, _ = r.RequestLine()
		}
	})
	if allocs != 0 {
		t.Errorf("scanning a block allocates %.1f times per block", allocs)
	}
	if s.Rejected() != 0 || sum == 0 {
		t.Fatalf("rejected %d", s.Rejected())
	}
	// The slow path (quotes inside fields, a requester with spaces) too.
	slow := []byte(strings.Replace(strings.Replace(base, `"S3Console/0.4"`, `"a "b" c"`, 1), "user/alice", "user/CloudFront Origin Access Identity E2X", 1))
	var r Record
	allocs = testing.AllocsPerRun(100, func() {
		if err := r.Parse(slow); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("slow path allocates %.1f times per line", allocs)
	}
}

// BenchmarkScan locates every field of every line (the scanner alone).
func BenchmarkScan(b *testing.B) {
	block := sampleBlock(8 << 20)
	s := NewBlockScanner(block)
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		s.ResetBytes(block, "", 1)
		for s.Scan() {
		}
	}
}

// BenchmarkDecode locates every field and decodes every typed value.
func BenchmarkDecode(b *testing.B) {
	block := sampleBlock(8 << 20)
	s := NewBlockScanner(block)
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	var sink int64
	for b.Loop() {
		s.ResetBytes(block, "", 1)
		for s.Scan() {
			r := s.Record()
			sink += r.Unix()
			for _, f := range []Field{HTTPStatus, BytesSent, ObjectSize, TotalTime, TurnAroundTime} {
				v, _ := r.Int(f)
				sink += v
			}
			for f := Field(0); int(f) < r.NumFields(); f++ {
				v, _ := r.Value(f)
				sink += int64(len(v))
			}
			m, t, p, _ := r.RequestLine()
			sink += int64(len(m) + len(t) + len(p))
		}
	}
	_ = sink
}

// BenchmarkNewlines is the floor: counting lines in the same bytes.
func BenchmarkNewlines(b *testing.B) {
	block := sampleBlock(8 << 20)
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		_ = bytes.Count(block, []byte{'\n'})
	}
}

// BenchmarkSlowPath measures lines with the traps that need resynchronising.
func BenchmarkSlowPath(b *testing.B) {
	line := []byte(strings.Replace(strings.Replace(base, `"S3Console/0.4"`, `"pip/19.1 {"ci":null,"cpu":"x86_64"} x"`, 1), "user/alice", "user/CloudFront Origin Access Identity E2X", 1))
	var r Record
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanPrefilter is a selective query's scan: a prefilter rules
// out the lines without the string before they are parsed (a quarter of
// these lines have it).
func BenchmarkScanPrefilter(b *testing.B) {
	block := sampleBlock(8 << 20)
	s := NewBlockScanner(block)
	s.SetPrefilter(&Prefilter{Contains: [][]byte{[]byte("REST.PUT")}})
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		s.ResetBytes(block, "", 1)
		for s.Scan() {
		}
	}
}
