package memstat

import "testing"

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
