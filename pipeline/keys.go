package pipeline

import (
	"strings"
	"time"
)

// Layout is a log object key layout (SPEC §5).
type Layout uint8

// The key layouts S3 delivers log objects under.
const (
	LayoutUnknown     Layout = iota // neither: always read
	LayoutSimple                    // <prefix>YYYY-mm-DD-HH-MM-SS-<unique>
	LayoutPartitioned               // <prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<unique>
)

// String names the layout.
func (l Layout) String() string {
	switch l {
	case LayoutSimple:
		return "simple"
	case LayoutPartitioned:
		return "partitioned"
	}
	return "unknown"
}

// KeyInfo is what a log object key says about its contents.
type KeyInfo struct {
	Layout Layout
	// Time is the time in the key: the delivery time, or for the
	// partitioned layout with EventTime dates the start of the events' day.
	Time time.Time
	// EventDay is true when Time is the day of the events (partitioned
	// layout, hh-mm-ss 00-00-00) rather than a delivery time. A delivery at
	// exactly midnight is indistinguishable; treating it as an event day
	// only prunes less.
	EventDay bool
	// Prefix is the key up to the date part: for the simple layout the
	// TargetPrefix, for the partitioned layout
	// <prefix><account>/<region>/<bucket>/.
	Prefix string
}

// ObjectKey reads the key of a listed object name, which may end in a
// compression suffix (.gz, .zst) that S3's own keys do not have.
func ObjectKey(name string) (KeyInfo, bool) {
	return ParseKey(strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".zst"))
}

// ParseKey reads a log object key. ok is false when the key matches neither
// layout.
func ParseKey(key string) (KeyInfo, bool) {
	dash := strings.LastIndexByte(key, '-')
	if dash < 19 || dash == len(key)-1 {
		return KeyInfo{}, false
	}
	t, ok := parseKeyTime(key[dash-19 : dash])
	if !ok {
		return KeyInfo{}, false
	}
	prefix := key[:dash-19]
	// Partitioned: the prefix ends with <account>/<region>/<bucket>/YYYY/MM/DD/
	// and the date there is the key's date.
	if n := len(prefix); n >= 11 {
		d := prefix[n-11:]
		ds := key[dash-19:]
		if d[4] == '/' && d[7] == '/' && d[10] == '/' && d[:4] == ds[:4] && d[5:7] == ds[5:7] && d[8:10] == ds[8:10] {
			parts := strings.Split(prefix[:n-11], "/")
			// parts ends with "" after the bucket's slash.
			if len(parts) >= 4 && parts[len(parts)-1] == "" && isAccount(parts[len(parts)-4]) {
				return KeyInfo{
					Layout:   LayoutPartitioned,
					Time:     t,
					EventDay: t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0,
					Prefix:   prefix[:n-11],
				}, true
			}
		}
	}
	return KeyInfo{Layout: LayoutSimple, Time: t, Prefix: prefix}, true
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseKeyTime reads "YYYY-mm-DD-HH-MM-SS".
func parseKeyTime(s string) (time.Time, bool) {
	if len(s) != 19 {
		return time.Time{}, false
	}
	for i := range 19 {
		switch i {
		case 4, 7, 10, 13, 16:
			if s[i] != '-' {
				return time.Time{}, false
			}
		default:
			if s[i] < '0' || s[i] > '9' {
				return time.Time{}, false
			}
		}
	}
	t, err := time.Parse("2006-01-02-15-04-05", s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
