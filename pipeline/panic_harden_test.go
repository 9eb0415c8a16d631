package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChunkPanicIsError: a panic in the caller's chunk function ends the
// run with ErrInternal naming the object, instead of crashing the process.
func TestChunkPanicIsError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(p, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runRaw(context.Background(), Config{Workers: 2}, []string{p}, func(int, *Chunk) error {
		var xs []int
		return fmt.Errorf("unreachable %d", xs[len(xs)-1]) // index out of range: a runtime panic
	})
	if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "lines 1") {
		t.Errorf("err = %v; want ErrInternal naming %s and its lines", err, p)
	}
}
