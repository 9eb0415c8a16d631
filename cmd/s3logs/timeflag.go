package main

import (
	"fmt"
	"time"
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
