// Package heapfloor keeps the Go collector from running while the heap is
// small.
//
// The runtime's first heap goal is 4 MiB (at GOGC=100), so a short command
// that allocates a few tens of MiB in all, such as a selective query over
// converted Parquet, collects many times over a heap that never needed it:
// measured at a quarter of such a query's CPU. A floor raises the goal to
// at least the floor; above it the collector paces as GOGC=100 does (the
// goal twice the live heap), so a command whose live heap is large, such
// as a convert holding row groups, keeps the resident memory it had.
//
// This is the runtime's own pacing with a minimum goal, done by setting
// the GC percentage after each cycle from the live heap it measured. The
// memory limit (debug.SetMemoryLimit) still bounds the heap whatever the
// goal.
package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Percent returns the GC percentage that makes the next heap goal
// max(floor, 2 × live): GOGC=100 once live is at least floor/2.
func Percent(live, floor int64) int {
	if live <= 0 {
		live = 1
	}
	if 2*live >= floor {
		return 100
	}
	p := (floor - live) * 100 / live
	return int(min(p, 1<<20))
}

// Set raises the heap goal to at least floor bytes until stop is called
// (main never calls it), unless the user chose the collector's pacing
// with GOGC, which is then left as it is. stop restores GOGC=100. Set is
// meant to be called once, from main.
func Set(floor int64) (stop func()) {
	if _, ok := os.LookupEnv("GOGC"); ok || floor <= 0 {
		return func() {}
	}
	t := &tuner{floor: floor}
	// The runtime's first goal is 4 MiB × GOGC/100, whatever is live.
	debug.SetGCPercent(int(max(100, min(floor/(4<<20/100), 1<<20))))
	t.arm()
	return func() {
		t.stopped.Store(true)
		debug.SetGCPercent(100)
	}
}

type tuner struct {
	floor   int64
	stopped atomic.Bool
}

// arm sets a cleanup that runs after the next cycle (the one that finds
// its sentinel unreachable), sets the percentage from the live heap that
// cycle marked, and arms the next.
func (t *tuner) arm() {
	runtime.AddCleanup(new([64]byte), func(t *tuner) {
		if t.stopped.Load() {
			return
		}
		debug.SetGCPercent(Percent(liveHeap(), t.floor))
		t.arm()
	}, t)
}

// liveHeap returns the heap the last cycle marked live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 1
	}
	return int64(s[0].Value.Uint64())
}
