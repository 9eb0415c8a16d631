package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/parse"
)

// writePlainAndGzip writes data to dir as plain.log, which is mapped, and
// gzipped as plain.log.gz, which is read.
func writePlainAndGzip(t *testing.T, dir string, data []byte) (plain, gz string) {
	t.Helper()
	plain = filepath.Join(dir, "plain.log")
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	gz = filepath.Join(dir, "plain.log.gz")
	if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return plain, gz
}

// TestPrefilterLineNumbers: with a prefilter, the records kept carry their
// line numbers in the file, and the lines ruled out, blank and too long
// are counted as the file says, whatever the block size, the number of
// workers, and whether the file is mapped or read: line numbers are
// resolved by the workers (lineMark), and the scanner skips the ruled-out
// lines block-wise.
func TestPrefilterLineNumbers(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	var want []int64
	var nonBlank, tooLong int64
	for i := int64(1); i <= 3000; i++ {
		switch {
		case i%500 == 7:
			b.WriteString(strings.Repeat("y", 5000)) // over the limit
			nonBlank++
			tooLong++
		case i%89 == 5:
		case i%97 == 3:
			b.WriteString(" \t ")
		case i%13 == 0:
			b.WriteString(spacedLine) // REST.PUT.OBJECT
			want = append(want, i)
			nonBlank++
		default:
			b.WriteString(goodLine)
			nonBlank++
		}
		b.WriteByte('\n')
	}
	plain, gz := writePlainAndGzip(t, dir, b.Bytes())
	pre := &parse.Prefilter{Contains: [][]byte{[]byte("REST.PUT.OBJECT")}}
	for _, src := range []string{plain, gz} {
		for _, bs := range []int{1 << 10, 4 << 10, 64 << 10, 1 << 20} {
			for _, workers := range []int{1, 3} {
				name := fmt.Sprintf("%s, block %d, %d workers", filepath.Base(src), bs, workers)
				var rej bytes.Buffer
				c := newRecorder()
				cfg := Config{BlockSize: bs, Workers: workers, MaxLineSize: 4096, Prefilter: pre}
				st, err := Run(context.Background(), cfg, []string{src}, c)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := slices.Sorted(slices.Values(c.committed[src])); !slices.Equal(got, want) {
					t.Errorf("%s: records at lines %v, want %v", name, got, want)
				}
				if st.Lines.Load() != nonBlank || st.Rejected.Load() != tooLong || st.Unparsed.Load() != nonBlank-tooLong-int64(len(want)) {
					t.Errorf("%s: lines %d rejected %d unparsed %d; want %d, %d, %d", name, st.Lines.Load(), st.Rejected.Load(), st.Unparsed.Load(),
						nonBlank, tooLong, nonBlank-tooLong-int64(len(want)))
				}
				// Rejected with their line numbers, also in the rejects
				// file (which turns the prefilter off).
				cfg.Rejects = &rej
				if _, err := Run(context.Background(), cfg, []string{src}, newRecorder()); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i := int64(7); i <= 3000; i += 500 {
					if loc := fmt.Sprintf("%s:%d:4097: ", src, i); !strings.Contains(rej.String(), loc) {
						t.Errorf("%s: the rejects file lacks %s", name, loc)
					}
				}
			}
		}
	}
}
