// Convert's temporary files are private while it runs (issue 7).

package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
)

// TestConvertTempPrivate: while convert runs, its temporary directory is
// 0700 and its in-progress files 0600 (logs hold IP addresses, requester
// ARNs and object keys); published files are readable like any output.
func TestConvertTempPrivate(t *testing.T) {
	objs, err := gen.All(gen.Config{Seed: 6, Objects: 1, LinesPerObject: 8000})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb strings.Builder
	go func() {
		done <- run(context.Background(), &env{stdin: pr, stdout: io.Discard, stderr: &errb},
			[]string{"convert", "-", "--out", out, "--row-group-size", "100", "--quiet"})
	}()
	data := objs[0].Bytes()
	pw.Write(data[:len(data)/2])
	tmpRoot := filepath.Join(out, ".s3logs", "tmp")
	var seen []string
	for deadline := time.Now().Add(30 * time.Second); len(seen) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		filepath.WalkDir(tmpRoot, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			fi, _ := d.Info()
			want := os.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
				if p == tmpRoot {
					return nil
				}
			} else {
				seen = append(seen, p)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
			}
			return nil
		})
	}
	if len(seen) == 0 {
		t.Error("no in-progress file appeared")
	}
	pw.Write(data[len(data)/2:])
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
