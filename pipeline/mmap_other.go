//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pipeline

// mappedFile is not used here: local files are read.
type mappedFile struct{ size int64 }

type mapping struct{}

func openMapped(string) *mappedFile { return nil }

func (*mappedFile) window(int64, int64) (*mapping, []byte, error) { panic("unreachable") }

func (*mappedFile) close() {}

func (*mapping) unmap() {}
