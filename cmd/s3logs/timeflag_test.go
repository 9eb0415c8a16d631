package main

import (
	"testing"
	"time"
)

func TestParseTimeArg(t *testing.T) {
	f := func(in string, want time.Time, dateOnly, ok bool) {
		t.Helper()
		got, d, err := parseTimeArg(in)
		if (err == nil) != ok || ok && (!got.Equal(want) || d != dateOnly || got.Location() != time.UTC) {
			t.Errorf("parseTimeArg(%q) = %v %v %v", in, got, d, err)
		}
	}
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	f("2024-03-01", day, true, true)
	f("2024-03-01T00:00:00Z", day, false, true)
	f("2024-03-01T02:00:00+02:00", day, false, true)
	f("2024-03-01 13:14:15", day.Add(13*time.Hour+14*time.Minute+15*time.Second), false, true)
	f("2024-03-01T13:14:15", day.Add(13*time.Hour+14*time.Minute+15*time.Second), false, true)
	f("yesterday", time.Time{}, false, false)
	f("2024-02-30", time.Time{}, false, false)
	f("", time.Time{}, false, false)
}
