package convert

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// writeDamaged writes a gzipped log object of lines records that fails to
// decompress: cut short of its end (corrupt), or with its trailer's CRC
// changed, so that every line reads and only then the object fails.
func writeDamaged(t *testing.T, dir, name string, lines int, crc bool) string {
	t.Helper()
	var raw bytes.Buffer
	for _, r := range genRecords(99, lines) {
		raw.WriteString(r.line + "\n")
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	data := z.Bytes()
	if crc {
		data[len(data)-6] ^= 0xff // CRC-32 of the trailer
	} else {
		data = data[:len(data)*2/3]
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSkipFailed: with SkipFailed a damaged object is listed as failed and
// contributes no record, even when all its lines were read before it
// failed and several workers held its records; the rest is committed, and
// a re-run converts nothing twice.
func TestSkipFailed(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 90, 4, 600)
	bad := []string{
		writeDamaged(t, src, "2024-03-02-10-00-00-00000000000BAD01.gz", 3000, false),
		writeDamaged(t, src, "2024-03-02-11-00-00-00000000000BAD02.gz", 3000, true),
	}
	d, _ := sink.NewLocalDestination(t.TempDir())
	pcfg := pipeline.Config{Workers: 3, BlockSize: 16 << 10, SkipFailed: true}
	opts := Options{CommitBytes: 20 << 10, TargetFileSize: 64 << 10}
	for run := range 2 {
		res, err := Convert(context.Background(), d, opts, pcfg, []string{src})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if f := res.Stats.Failed(); strings.Join(f, " ") != strings.Join(bad, " ") {
			t.Errorf("run %d: failed objects %v, want %v", run, f, bad)
		}
		checkPartial(t, d)
		_, rows, _ := outputState(t, d)
		for k := range rows {
			if strings.Contains(k, "BAD0") {
				t.Fatalf("run %d: a damaged object contributed %s", run, k)
			}
		}
		if len(rows) != len(want) {
			t.Errorf("run %d: %d records, want %d", run, len(rows), len(want))
		}
		for k := range want {
			if rows[k] != 1 {
				t.Errorf("run %d: %s: %d rows", run, k, rows[k])
			}
		}
		if run == 1 && (res.Rows != 0 || res.Stats.Read.Load() != 0) {
			t.Errorf("re-run read %d objects and wrote %d rows; want only the damaged ones tried again", res.Stats.Read.Load(), res.Rows)
		}
		t.Logf("run %d: %s; %d rounds", run, res.Stats.Summary(), res.Rounds)
	}
}
