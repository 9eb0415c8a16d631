package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPercent(t *testing.T) {
	f := func(live, floor int64, want int) {
		t.Helper()
		if got := Percent(live, floor); got != want {
			t.Errorf("Percent(%d, %d) = %d, want %d", live, floor, got, want)
		}
		// The goal the runtime derives, live × (1 + p/100), is the floor
		// while 2 × live is below it, else twice the live heap.
		goal := live + live*int64(want)/100
		if wantGoal := max(floor, 2*live); live > 0 && 2*live < floor && goal != wantGoal {
			t.Errorf("Percent(%d, %d): goal %d, want %d", live, floor, goal, wantGoal)
		}
	}
	f(1<<20, 32<<20, 3100)
	f(8<<20, 32<<20, 300)
	f(16<<20, 32<<20, 100)
	f(100<<20, 32<<20, 100)
	f(0, 32<<20, 1<<20) // nothing live: the largest percentage, not a division by zero
	f(-5, 32<<20, 1<<20)
	f(1<<20, 0, 100)
}

// gcPercent returns the current GC percentage.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestSet(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	stop := Set(64 << 20)
	defer stop()
	if got := gcPercent(); got != 1600 {
		t.Fatalf("after Set(64 MiB) the GC percentage is %d, want 1600 (a first goal of 64 MiB)", got)
	}
	// A live heap of 48 MiB is above half the floor: after a cycle the
	// collector paces as GOGC=100.
	live := make([]byte, 48<<20)
	for i := 0; i < 100 && gcPercent() != 100; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	runtime.KeepAlive(live)
	if got := gcPercent(); got != 100 {
		t.Fatalf("with 48 MiB live the GC percentage is %d, want 100", got)
	}
	live = nil
	for i := 0; i < 100 && gcPercent() == 100; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if got := gcPercent(); got <= 100 {
		t.Fatalf("with little live the GC percentage is %d, want above 100", got)
	}
}

func TestSetRespectsGOGC(t *testing.T) {
	t.Setenv("GOGC", "100")
	before := gcPercent()
	stop := Set(64 << 20)
	defer stop()
	if got := gcPercent(); got != before {
		t.Fatalf("with GOGC set, Set changed the GC percentage from %d to %d", before, got)
	}
}
