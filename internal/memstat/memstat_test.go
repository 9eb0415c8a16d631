package memstat

import (
	"os"
	"path/filepath"
	"testing"
)

var keep [][]byte

// During sees an allocation held while fn runs, however briefly the
// sampler looks: Stop reads the heap once more after fn returns.
func TestDuringSeesLiveAllocation(t *testing.T) {
	const size = 64 << 20
	before := Heap()
	peak := During(func() { keep = append(keep, make([]byte, size)) })
	if peak < before+size/2 {
		t.Errorf("peak %d, heap before %d: a live %d-byte slice was not seen", peak, before, size)
	}
	keep = nil
}

// TestProcStatus reads a status file in the kernel's format.
func TestProcStatus(t *testing.T) {
	p := filepath.Join(t.TempDir(), "status")
	os.WriteFile(p, []byte("Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    1234 kB\nRssFile:\t      56 kB\n"), 0o644)
	if got := ProcStatus(p, "VmHWM"); got != 1234<<10 {
		t.Errorf("VmHWM: %d, want %d", got, 1234<<10)
	}
	if got := ProcStatus(p, "RssFile"); got != 56<<10 {
		t.Errorf("RssFile: %d, want %d", got, 56<<10)
	}
	if got := ProcStatus(p, "Vm"); got != 0 {
		t.Errorf("a name that is a prefix of others: %d, want 0", got)
	}
	if got := ProcStatus(filepath.Join(t.TempDir(), "gone"), "VmHWM"); got != 0 {
		t.Errorf("a missing file: %d, want 0", got)
	}
}
