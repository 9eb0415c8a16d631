package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/pipeline"
)

// TestProgressLine checks what a frame says while listing and after: the
// counts so far, then a bar and an ETA.
func TestProgressLine(t *testing.T) {
	st := &pipeline.Stats{}
	st.Listed.Store(12)
	st.SkippedTime.Store(2)
	st.Read.Store(4)
	st.Bytes.Store(2_500_000)
	st.Lines.Store(77)
	st.Rejected.Store(3)
	got := progressLine(st, 2*time.Second)
	for _, want := range []string{"listing: 12 objects listed, 4 read", "2.5 MB", "77 lines", "3 rejected", "1.2 MB/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("while listing: %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "ETA") {
		t.Errorf("while listing: %q has an ETA, though the total is not known", got)
	}
	st.ListDone.Store(true)
	got = progressLine(st, 2*time.Second)
	// 4 of 10 read in 2s: 6 more take 3s.
	for _, want := range []string{"[========            ] 4/10 objects", "ETA 3s"} {
		if !strings.Contains(got, want) {
			t.Errorf("after listing: %q lacks %q", got, want)
		}
	}
}

// TestProgressOff checks that nothing is drawn off a terminal or with
// --no-progress, and that a frame drawn is erased by stop and by a write
// to the output it shares the terminal with.
func TestProgressOff(t *testing.T) {
	st := &pipeline.Stats{}
	var buf bytes.Buffer
	stop := startProgress(context.Background(), &env{stderr: &buf, stderrTTY: false}, true, st)
	time.Sleep(2 * progressEvery)
	stop()
	stop = startProgress(context.Background(), &env{stderr: &buf, stderrTTY: true}, false, st)
	time.Sleep(2 * progressEvery)
	stop()
	if buf.Len() != 0 {
		t.Errorf("progress off a terminal or with --no-progress: %q", buf.String())
	}

	sc := &screen{err: &buf, width: func() int { return 40 }}
	var out bytes.Buffer
	w := sc.guard(&out)
	sc.draw(strings.Repeat("x", 100))
	w.Write([]byte("row\n"))
	if want := "\r" + strings.Repeat("x", 39) + "\x1b[K\r\x1b[K"; buf.String() != want {
		t.Errorf("frame then output: %q, want %q (cut to the width, erased before the row)", buf.String(), want)
	}
	buf.Reset()
	sc.clear()
	if buf.Len() != 0 {
		t.Errorf("clear with no frame shown wrote %q", buf.String())
	}
}
