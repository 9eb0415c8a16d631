// Package memstat measures the Go heap, for s3logs bench and for the
// benchmarks and tests that hold memory to a bound.
package memstat

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

const heapObjects = "/memory/classes/heap/objects:bytes"

// Heap returns the bytes held by heap objects, live or not yet swept (the
// same quantity as runtime.MemStats.HeapAlloc, read without stopping the
// world).
func Heap() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Peak samples Heap every millisecond between Start and Stop. The peak it
// reports is a lower bound of the true one, close for allocation patterns
// that last longer than a millisecond.
type Peak struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64 // written by the sampler until done is closed
}

// Start begins sampling.
func Start() *Peak {
	p := &Peak{done: make(chan struct{}), peak: Heap()}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		s := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				metrics.Read(s)
				p.peak = max(p.peak, s[0].Value.Uint64())
			}
		}
	}()
	return p
}

// Stop ends sampling and returns the highest heap size seen.
func (p *Peak) Stop() uint64 {
	close(p.done)
	p.wg.Wait()
	return max(p.peak, Heap())
}

// During collects garbage, runs fn and returns the peak heap while it ran.
func During(fn func()) uint64 {
	runtime.GC()
	p := Start()
	fn()
	return p.Stop()
}
