package rangeio

import (
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReader checks the adapter against bytes.Reader, the standard
// library's reader of the same bytes, with iotest's reader tests.
func TestReader(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	calls := 0
	r := &Reader{Size: int64(len(data)), Fill: func(p []byte, off int64) error {
		calls++
		if off < 0 || off+int64(len(p)) > int64(len(data)) {
			t.Errorf("Fill(%d bytes at %d) outside the object", len(p), off)
		}
		copy(p, data[off:])
		return nil
	}}
	if err := iotest.TestReader(r, data); err != nil {
		t.Error(err)
	}
	if calls == 0 {
		t.Error("Fill was never called")
	}
	f := func(off int64, n int, want string, wantErr error) {
		t.Helper()
		p := make([]byte, n)
		got, err := r.ReadAt(p, off)
		if string(p[:got]) != want || !errors.Is(err, wantErr) {
			t.Errorf("ReadAt(%d bytes at %d) = %q, %v; want %q, %v", n, off, p[:got], err, want, wantErr)
		}
	}
	f(0, 4, "0123", nil)
	f(30, 10, "uvwxyz", io.EOF)
	f(36, 1, "", io.EOF)
	f(-1, 1, "", errNegative)
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek before the start succeeded")
	}
	boom := errors.New("boom")
	bad := &Reader{Size: 10, Fill: func([]byte, int64) error { return boom }}
	if n, err := bad.ReadAt(make([]byte, 4), 2); n != 0 || !errors.Is(err, boom) {
		t.Errorf("a failing Fill gave %d, %v", n, err)
	}
}
