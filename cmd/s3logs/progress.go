package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/s3logs/s3logs/pipeline"
)

// progressEvery is how often the display reads the run's counters.
const progressEvery = 200 * time.Millisecond

// screen is the terminal that stderr (and perhaps stdout) write to, shared
// by the progress frame and the command's output: a write to stdout first
// erases the frame, so the frame is never left over or under a line of
// output, and the next tick draws it again below. Safe for concurrent use.
type screen struct {
	mu    sync.Mutex
	err   io.Writer // where the frame is drawn (stderr)
	width func() int
	frame bool // a frame is on the screen
}

// newScreen returns the screen for stderr f.
func newScreen(f *os.File) *screen {
	return &screen{err: f, width: func() int {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
		return 80
	}}
}

// draw replaces the frame with line, cut to the terminal's width so that
// it never wraps (a wrapped frame cannot be erased with one carriage
// return).
func (s *screen) draw(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.width() - 1; len(line) > w && w > 0 {
		line = line[:w]
	}
	fmt.Fprintf(s.err, "\r%s\x1b[K", line)
	s.frame = true
}

// clearLocked erases the frame, if one is shown.
func (s *screen) clearLocked() {
	if s.frame {
		io.WriteString(s.err, "\r\x1b[K")
		s.frame = false
	}
}

func (s *screen) clear() {
	s.mu.Lock()
	s.clearLocked()
	s.mu.Unlock()
}

// guard returns w (a terminal sharing the screen) wrapped so that each
// write first erases the frame.
func (s *screen) guard(w io.Writer) io.Writer { return &screenWriter{s, w} }

type screenWriter struct {
	s *screen
	w io.Writer
}

func (g *screenWriter) Write(p []byte) (int, error) {
	g.s.mu.Lock()
	defer g.s.mu.Unlock()
	g.s.clearLocked()
	return g.w.Write(p)
}

// startProgress shows a run's progress on stderr when stderr is a terminal
// and show is true (not --no-progress or --quiet); otherwise it does
// nothing. While the sources are being listed it shows what is known —
// objects listed and read, bytes, lines, rejects, rate — and once listing
// is done a bar and an ETA. Pass the same st as Config.Stats. The returned
// stop erases the display (also after Ctrl-C); call it before printing the
// run summary.
//
//	st := &pipeline.Stats{}
//	cfg.Stats = st
//	stop := startProgress(ctx, e, !pf.noProgress && !pf.quiet, st)
//	_, err := pipeline.Run(ctx, cfg, sources, fn)
//	stop()
func startProgress(ctx context.Context, e *env, show bool, st *pipeline.Stats) (stop func()) {
	if !show || !e.stderrTTY {
		return func() {}
	}
	sc := e.screen
	if sc == nil {
		sc = &screen{err: e.stderr, width: func() int { return 120 }}
	}
	return runProgress(ctx, sc, st)
}

// runProgress draws the display on sc every progressEvery until stop is
// called or ctx ends, then erases it.
func runProgress(ctx context.Context, sc *screen, st *pipeline.Stats) (stop func()) {
	start := time.Now()
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.clear()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				sc.draw(progressLine(st, time.Since(start)))
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}

// toRead is the number of objects the run will read, or -1 while listing.
func toRead(st *pipeline.Stats) int64 {
	if !st.ListDone.Load() {
		return -1
	}
	return st.Listed.Load() - st.SkippedTime.Load() - st.SkippedShard.Load() - st.SkippedDone.Load()
}

// progressLine is one frame: a bar and an ETA once the number of objects
// to read is known, the counts so far before.
func progressLine(st *pipeline.Stats, el time.Duration) string {
	var b strings.Builder
	read := st.Read.Load()
	to := toRead(st)
	if to >= 0 {
		const width = 20
		fill := width
		if to > 0 {
			fill = int(min(read, to) * width / to)
		}
		fmt.Fprintf(&b, "[%s%s] %d/%d objects", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), read, to)
	} else {
		fmt.Fprintf(&b, "listing: %d objects listed, %d read", st.Listed.Load(), read)
	}
	mb := float64(st.Bytes.Load()) / 1e6
	fmt.Fprintf(&b, ", %.1f MB, %d lines", mb, st.Lines.Load())
	if r := st.Rejected.Load(); r > 0 {
		fmt.Fprintf(&b, ", %d rejected", r)
	}
	if sec := el.Seconds(); sec > 0.5 {
		fmt.Fprintf(&b, ", %.1f MB/s", mb/sec)
		if to > read && read > 0 {
			eta := time.Duration(float64(to-read) / float64(read) * float64(el))
			b.WriteString(", ETA " + eta.Round(time.Second).String())
		}
	}
	if r := st.Retries.Load(); r > 0 {
		fmt.Fprintf(&b, ", %d retries", r)
	}
	return b.String()
}
