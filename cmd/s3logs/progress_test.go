package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/pipeline"
)

// TestProgress checks that the display shows the run's counters on a
// terminal and writes nothing otherwise.
func TestProgress(t *testing.T) {
	st := &pipeline.Stats{}
	st.Listed.Store(12)
	st.SkippedTime.Store(2)
	st.ListDone.Store(true)
	st.Read.Store(4)
	st.Bytes.Store(2_500_000)
	st.Lines.Store(77)
	st.Rejected.Store(3)

	var buf bytes.Buffer
	stop := startProgress(context.Background(), &env{stderr: &buf, stderrTTY: false}, true, st)
	stop()
	if buf.Len() != 0 {
		t.Errorf("progress on a non-terminal: %q", buf.String())
	}
	stop = startProgress(context.Background(), &env{stderr: &buf, stderrTTY: true}, false, st)
	stop()
	if buf.Len() != 0 {
		t.Errorf("progress with --no-progress: %q", buf.String())
	}
	stop = startProgress(context.Background(), &env{stderr: &buf, stderrTTY: true}, true, st)
	stop()
	for _, want := range []string{"4/10 objects", "2.5 MB", "77 lines", "3 rejects"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("progress %q lacks %q", buf.String(), want)
		}
	}
}
