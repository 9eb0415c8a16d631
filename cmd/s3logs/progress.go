package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/s3logs/s3logs/pipeline"
)

// progressEvery is how often the display reads the run's counters.
const progressEvery = 200 * time.Millisecond

// startProgress shows a run's progress on stderr — objects read of those
// to read (known once listing ends), bytes, lines, rejects, rate and ETA —
// when stderr is a terminal and show is true (not --no-progress or
// --quiet); otherwise it does nothing. Pass the same st as Config.Stats.
// The returned stop removes the display; call it before printing the run
// summary.
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
	return runProgress(ctx, e.stderr, st)
}

// runProgress draws the display on w until stop is called or ctx ends;
// the last frame stays on w.
func runProgress(ctx context.Context, w io.Writer, st *pipeline.Stats) (stop func()) {
	start := time.Now()
	p := mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithRefreshRate(progressEvery))
	bar := p.New(0, mpb.BarStyle(), mpb.BarWidth(24),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return objectsText(st) }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return rateText(st, time.Since(start)) })),
	)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			if to := toRead(st); to > 0 {
				bar.SetTotal(to, false)
			}
			bar.SetCurrent(st.Read.Load())
			select {
			case <-t.C:
				continue
			case <-quit:
			case <-ctx.Done():
			}
			bar.SetTotal(-1, true) // complete at the current count
			return
		}
	}()
	return func() {
		close(quit)
		<-done
		p.Wait()
	}
}

// toRead is the number of objects the run will read, or -1 while listing.
func toRead(st *pipeline.Stats) int64 {
	if !st.ListDone.Load() {
		return -1
	}
	return st.Listed.Load() - st.SkippedTime.Load() - st.SkippedShard.Load() - st.SkippedDone.Load()
}

func objectsText(st *pipeline.Stats) string {
	read := st.Read.Load()
	if to := toRead(st); to >= 0 {
		return fmt.Sprintf("%d/%d objects", read, to)
	}
	return fmt.Sprintf("%d objects (%d listed…)", read, st.Listed.Load())
}

func rateText(st *pipeline.Stats, el time.Duration) string {
	mb := float64(st.Bytes.Load()) / 1e6
	s := fmt.Sprintf("%.1f MB, %d lines, %d rejects", mb, st.Lines.Load(), st.Rejected.Load())
	if sec := el.Seconds(); sec > 0.5 {
		s += fmt.Sprintf(", %.1f MB/s", mb/sec)
		read := st.Read.Load()
		if to := toRead(st); to > read && read > 0 {
			eta := time.Duration(float64(to-read) / float64(read) * float64(el))
			s += ", ETA " + eta.Round(time.Second).String()
		}
	}
	if r := st.Retries.Load(); r > 0 {
		s += fmt.Sprintf(", %d retries", r)
	}
	return s
}
