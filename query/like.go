package query

import (
	"bytes"
	"unicode/utf8"
)

// likeMatcher matches SQL LIKE patterns (% any run, _ one character) on
// bytes. Common shapes ('lit', 'lit%', '%lit', '%lit%') take fast paths.
type likeMatcher struct {
	shape uint8 // 0 general, 1 exact, 2 prefix, 3 suffix, 4 contains
	lit   []byte
	toks  []likeTok
}

type likeTok struct {
	kind uint8 // 0 literal byte, 1 any one character, 2 any run
	b    byte
}

func compileLike(pat []byte, esc byte) *likeMatcher {
	m := &likeMatcher{}
	var lits int
	simple := true
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case esc != 0 && c == esc && i+1 < len(pat):
			i++
			m.toks = append(m.toks, likeTok{b: pat[i]})
			lits++
		case c == '%':
			if n := len(m.toks); n > 0 && m.toks[n-1].kind == 2 {
				continue // %% is %
			}
			m.toks = append(m.toks, likeTok{kind: 2})
		case c == '_':
			m.toks = append(m.toks, likeTok{kind: 1})
			simple = false
		default:
			m.toks = append(m.toks, likeTok{b: c})
			lits++
		}
	}
	if !simple {
		return m
	}
	// Literal bytes with % only at the ends?
	t := m.toks
	lead := len(t) > 0 && t[0].kind == 2
	trail := len(t) > 1 && t[len(t)-1].kind == 2 || len(t) == 1 && !lead && t[0].kind == 2
	inner := t
	if lead {
		inner = inner[1:]
	}
	if trail && len(inner) > 0 {
		inner = inner[:len(inner)-1]
	}
	for _, x := range inner {
		if x.kind != 0 {
			return m
		}
	}
	for _, x := range inner {
		m.lit = append(m.lit, x.b)
	}
	switch {
	case lead && trail, lead && len(inner) == 0:
		m.shape = 4
	case lead:
		m.shape = 3
	case trail:
		m.shape = 2
	default:
		m.shape = 1
	}
	return m
}

// prefix returns the literal bytes every match starts with.
func (m *likeMatcher) prefix() []byte {
	var p []byte
	for _, t := range m.toks {
		if t.kind != 0 {
			break
		}
		p = append(p, t.b)
	}
	return p
}

// literal returns the longest run of literal bytes every match must
// contain, for line prefilters.
func (m *likeMatcher) literal() []byte {
	if m.shape != 0 {
		return m.lit
	}
	var best, cur []byte
	for _, t := range m.toks {
		if t.kind == 0 {
			cur = append(cur, t.b)
			continue
		}
		if len(cur) > len(best) {
			best = cur
		}
		cur = nil
	}
	if len(cur) > len(best) {
		best = cur
	}
	return best
}

func (m *likeMatcher) match(s []byte) bool {
	switch m.shape {
	case 1:
		return bytes.Equal(s, m.lit)
	case 2:
		return bytes.HasPrefix(s, m.lit)
	case 3:
		return bytes.HasSuffix(s, m.lit)
	case 4:
		return bytes.Contains(s, m.lit)
	}
	p := m.toks
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi].kind == 1:
			_, n := utf8.DecodeRune(s[si:])
			si += n
			pi++
		case pi < len(p) && p[pi].kind == 0 && s[si] == p[pi].b:
			si++
			pi++
		case pi < len(p) && p[pi].kind == 2:
			starP, starS = pi, si
			pi++
		case starP >= 0:
			_, n := utf8.DecodeRune(s[starS:])
			starS += n
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == 2 {
		pi++
	}
	return pi == len(p)
}
