package pipeline

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// Slow reference for ParseKey (SPEC §5), written from the layouts with
// regular expressions: the last '-' starts the unique string, the 19 bytes
// before it are the key time, and a partitioned key has
// <account>/<region>/<bucket>/YYYY/MM/DD/ with the key's date before that.
var (
	refSimple      = regexp.MustCompile(`(?s)^(.*)([0-9]{4})-([0-9]{2})-([0-9]{2})-([0-9]{2})-([0-9]{2})-([0-9]{2})-([^-]+)$`)
	refPartitioned = regexp.MustCompile(`(?s)^((?:.*/)?[0-9]{12}/[^/]*/[^/]*/)([0-9]{4})/([0-9]{2})/([0-9]{2})/$`)
)

func refParseKey(key string) (KeyInfo, bool) {
	m := refSimple.FindStringSubmatch(key)
	if m == nil {
		return KeyInfo{}, false
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[2+i])
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
	// time.Date normalises out-of-range fields; a real time round-trips.
	if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] || t.Hour() != n[3] || t.Minute() != n[4] || t.Second() != n[5] {
		return KeyInfo{}, false
	}
	prefix := m[1]
	if p := refPartitioned.FindStringSubmatch(prefix); p != nil && p[2] == m[2] && p[3] == m[3] && p[4] == m[4] {
		return KeyInfo{Layout: LayoutPartitioned, Time: t, EventDay: n[3] == 0 && n[4] == 0 && n[5] == 0, Prefix: p[1]}, true
	}
	return KeyInfo{Layout: LayoutSimple, Time: t, Prefix: prefix}, true
}

// FuzzParseKey compares ParseKey with the regular-expression reference.
func FuzzParseKey(f *testing.F) {
	for _, k := range []string{
		"logs/2024-03-01-13-05-59-0123456789ABCDEF",
		"2019-02-06-00-00-38-AAAAAAAAAAAAAAAA",
		"logs/123456789012/us-east-1/src/2024/03/01/2024-03-01-00-00-00-0123456789ABCDEF",
		"123456789012/eu-west-1/b/2024/03/01/2024-03-01-17-20-00-0123456789ABCDEF",
		"x/123456789012/eu-west-1/b/2024/03/02/2024-03-01-17-20-00-0123456789ABCDEF",
		"logs/2024-02-30-00-00-00-X",
		"logs/2024-03-01-24-00-00-X",
		"a-b/2024-03-01-00-00-00-",
		"-2024-03-01-00-00-00-X",
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got, ok := ParseKey(key)
		want, wok := refParseKey(key)
		if ok != wok || got.Layout != want.Layout || !got.Time.Equal(want.Time) || got.EventDay != want.EventDay || got.Prefix != want.Prefix {
			t.Fatalf("ParseKey(%q) = %+v, %v; reference %+v, %v", key, got, ok, want, wok)
		}
	})
}
