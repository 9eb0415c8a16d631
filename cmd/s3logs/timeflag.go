package main

import (
	"fmt"
	"time"

	"github.com/s3logs/s3logs/pipeline"
)

// timeLayouts are the forms a time flag (--from, --to, --now, --start)
// accepts, all read as UTC unless they carry an offset.
var timeLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", time.DateOnly}

// parseTimeArg parses a time flag value. dateOnly reports a bare
// yyyy-mm-dd, which some flags read as a whole day.
func parseTimeArg(s string) (t time.Time, dateOnly bool, err error) {
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), layout == time.DateOnly, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q: want RFC 3339 (2024-03-01T00:00:00Z) or a date (2024-03-01)", s)
}

// parseWindow turns --from and --to into a window, the same way in every
// command: --from is inclusive, --to exclusive, and a date as --to means
// the end of that day, so --from 2024-03-02 --to 2024-03-02 is that whole
// day. Either may be empty (unbounded).
func parseWindow(from, to string) (pipeline.Window, error) {
	var w pipeline.Window
	var err error
	if from != "" {
		if w.From, _, err = parseTimeArg(from); err != nil {
			return w, fmt.Errorf("--from %w", err)
		}
	}
	if to != "" {
		var dateOnly bool
		if w.To, dateOnly, err = parseTimeArg(to); err != nil {
			return w, fmt.Errorf("--to %w", err)
		}
		if dateOnly {
			w.To = w.To.AddDate(0, 0, 1)
		}
	}
	if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
		return w, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return w, nil
}
