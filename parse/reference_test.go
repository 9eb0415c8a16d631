package parse

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// refRecord is the reference parser's result.
type refRecord struct {
	fields []string
	extra  int
	unix   int64
	warn   Warning
}

var (
	refOperation = regexp.MustCompile(`^[A-Z][A-Za-z0-9_.]*\.[A-Za-z0-9_.]*[A-Za-z0-9_]$`)
	refStatus    = regexp.MustCompile(`^([0-9]{3}|-)$`)
	refNumber    = regexp.MustCompile(`^([0-9]{1,18}|-)$`)
	refTLS       = regexp.MustCompile(`^(TLS[vV][0-9.]{1,5}|-)$`)
	refStamp     = regexp.MustCompile(`^\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\]`)
	refRegion    = regexp.MustCompile(`^([a-z]{2}-.*[0-9]|-)$`)
)

// refParse is the slow, obviously-correct reference parser the fuzz test
// compares Parse with. It splits the line on every space and joins tokens
// back where the rules in the package documentation say a field holds
// spaces, checking each rule literally with strings and regular expressions.
// Between fields, empty tokens (a run of spaces) are skipped and noted;
// inside a quoted field they are content.
func refParse(line string) (refRecord, bool) {
	line = strings.TrimRight(line, "\r\n ")
	if line == "" || line[0] == ' ' {
		return refRecord{}, false
	}
	toks := strings.Split(line, " ")
	var rec refRecord
	p := 0
	skip := func() {
		for p < len(toks) && toks[p] == "" {
			p++
			rec.warn |= WarnSpacing
		}
	}
	// after returns the indexes of the first n non-empty tokens after k.
	after := func(k, n int) []int {
		var out []int
		for k++; k < len(toks) && len(out) < n; k++ {
			if toks[k] != "" {
				out = append(out, k)
			}
		}
		return out
	}
	nonEmpty := func(k int) bool { return k < len(toks) && toks[k] != "" }
	add := func(s string) { rec.fields = append(rec.fields, s) }
	add(toks[0])
	p = 1
	skip()
	if !nonEmpty(p) {
		return rec, false
	}
	add(toks[p])
	p++
	skip()
	// Time: tokens from "[" to the first token ending in "]".
	if p >= len(toks) || !strings.HasPrefix(toks[p], "[") {
		return rec, false
	}
	e := p
	for e < len(toks) && !strings.Contains(toks[e], "]") {
		e++
	}
	if e >= len(toks) || !strings.HasSuffix(toks[e], "]") || strings.Count(strings.Join(toks[p:e+1], " "), "]") != 1 {
		return rec, false
	}
	ts := strings.Join(toks[p:e+1], " ")
	ts = ts[1 : len(ts)-1]
	t, err := time.Parse(TimeLayout, ts)
	if err != nil {
		return rec, false
	}
	rec.unix = t.Unix()
	add(ts)
	p = e + 1
	// Splice: a token later on that starts a record timestamp.
	rest := strings.Join(toks[p:], " ")
	for i := 0; i < len(rest); i++ {
		if (i == 0 || rest[i-1] == ' ') && refStamp.MatchString(rest[i:]) {
			if _, err := time.Parse(TimeLayout, rest[i+1:i+27]); err == nil {
				return rec, false
			}
		}
	}
	// Remote IP.
	skip()
	if !nonEmpty(p) {
		return rec, false
	}
	add(toks[p])
	p++
	// Requester: the fewest tokens (at most 8) after which a request id and
	// an operation follow.
	ne := after(p-1, 10)
	found := -1
	for k := 0; k < 8 && k+2 < len(ne); k++ {
		if refOperation.MatchString(toks[ne[k+2]]) {
			found = k
			break
		}
	}
	if found < 0 {
		return rec, false
	}
	for k := 0; k <= found+2; k++ {
		prev := p - 1
		if k > 0 {
			prev = ne[k-1]
		}
		if ne[k] > prev+1 {
			rec.warn |= WarnSpacing
		}
	}
	add(strings.Join(toks[ne[0]:ne[found]+1], " "))
	add(toks[ne[found+1]])
	add(toks[ne[found+2]])
	p = ne[found+2] + 1
	// Key.
	skip()
	if !nonEmpty(p) {
		return rec, false
	}
	add(toks[p])
	p++
	// Request-URI.
	fits := func(e int) bool { // tokens after the request line
		ne := after(e, 8)
		if len(ne) < 8 {
			return false
		}
		tk := func(i int) string { return toks[ne[i]] }
		return refStatus.MatchString(tk(0)) && refNumber.MatchString(tk(2)) && refNumber.MatchString(tk(3)) &&
			refNumber.MatchString(tk(4)) && refNumber.MatchString(tk(5)) && (tk(6) == "-" || strings.HasPrefix(tk(6), `"`))
	}
	closes := func(p, e int) bool { // toks[p..e] is one quoted field
		s := strings.Join(toks[p:e+1], " ")
		return len(s) >= 2 && strings.HasSuffix(s, `"`)
	}
	skip()
	if p >= len(toks) {
		return rec, false
	}
	switch {
	case toks[p] == "-":
		add("-")
		p++
	case strings.HasPrefix(toks[p], `"`):
		e := -1
		for k := p; k < len(toks); k++ {
			if closes(p, k) && fits(k) {
				e = k
				break
			}
		}
		if e < 0 {
			return rec, false
		}
		s := strings.Join(toks[p:e+1], " ")
		add(s[1 : len(s)-1])
		p = e + 1
	default:
		return rec, false
	}
	// Status .. Turn-Around Time.
	for k := 0; k < 6; k++ {
		skip()
		if p >= len(toks) {
			return rec, false
		}
		if k == 0 && !refStatus.MatchString(toks[p]) || k >= 2 && !refNumber.MatchString(toks[p]) {
			return rec, false
		}
		add(toks[p])
		p++
	}
	// Referer: closes where the next token starts the User-Agent.
	skip()
	if p >= len(toks) {
		return rec, false
	}
	switch {
	case toks[p] == "-":
		add("-")
		p++
	case strings.HasPrefix(toks[p], `"`):
		e := -1
		for k := p; k+1 < len(toks); k++ {
			if nx := after(k, 1); closes(p, k) && len(nx) == 1 && (toks[nx[0]] == "-" || strings.HasPrefix(toks[nx[0]], `"`)) {
				e = k
				break
			}
		}
		if e < 0 {
			return rec, false
		}
		s := strings.Join(toks[p:e+1], " ")
		add(s[1 : len(s)-1])
		p = e + 1
	default:
		return rec, false
	}
	// User-Agent: closes at the last quote of the line.
	skip()
	if p >= len(toks) {
		return rec, false
	}
	switch {
	case toks[p] == "-":
		add("-")
		p++
	case strings.HasPrefix(toks[p], `"`):
		e := -1
		for k := len(toks) - 1; k >= p; k-- {
			if strings.Contains(toks[k], `"`) {
				e = k
				break
			}
		}
		if !closes(p, e) {
			return rec, false
		}
		s := strings.Join(toks[p:e+1], " ")
		add(s[1 : len(s)-1])
		p = e + 1
	default:
		return rec, false
	}
	// The tail: unquoted fields; a run of spaces is one separator.
	var tail []int // token indexes
	for k := p; k < len(toks); k++ {
		if toks[k] == "" {
			rec.warn |= WarnSpacing
			continue
		}
		if strings.Contains(toks[k], `"`) {
			return rec, false
		}
		tail = append(tail, k)
	}
	tok := func(i int) string { return toks[tail[i]] }
	isSig := func(s string) bool { return s == "-" || s == "SigV2" || s == "SigV4" }
	isAuth := func(s string) bool { return s == "-" || s == "AuthHeader" || s == "QueryString" }
	late := func(s string) bool { return s != "-" && (isSig(s) || isAuth(s) || refTLS.MatchString(s)) }
	vals := make([]string, len(tail))
	for i := range tail {
		vals[i] = tok(i)
	}
	if len(tail) > 2 && !isSig(tok(2)) {
		if len(tail) > 3 && isSig(tok(3)) {
			merged := strings.Join(toks[tail[1]:tail[2]+1], " ")
			vals = append([]string{tok(0), merged}, vals[3:]...)
		} else {
			for _, t := range vals[1:] {
				if late(t) {
					return rec, false
				}
			}
			add(vals[0])
			rec.extra = len(vals) - 1
			return rec, true
		}
	}
	for _, t := range vals {
		if len(rec.fields) == NumFields {
			rec.extra++
			continue
		}
		add(t)
	}
	check := func(f Field, ok bool) bool { return int(f) >= len(rec.fields) || ok }
	get := func(f Field) string {
		if int(f) < len(rec.fields) {
			return rec.fields[f]
		}
		return ""
	}
	if !check(SigV, isSig(get(SigV))) || !check(AuthType, isAuth(get(AuthType))) ||
		!check(TLSVersion, refTLS.MatchString(get(TLSVersion))) {
		return rec, false
	}
	if !check(AccessPointARN, get(AccessPointARN) == "-" || strings.HasPrefix(get(AccessPointARN), "arn:")) ||
		!check(ACLRequired, get(ACLRequired) == "-" || get(ACLRequired) == "Yes") ||
		!check(SourceRegion, refRegion.MatchString(get(SourceRegion)) && len(get(SourceRegion)) <= 24 && (get(SourceRegion) == "-" || len(get(SourceRegion)) >= 6)) {
		rec.warn |= WarnOddValue
	}
	return rec, true
}

// compareWithReference checks Parse against refParse on one line.
func compareWithReference(t *testing.T, line []byte) {
	t.Helper()
	if bytes.IndexByte(line, '\n') >= 0 {
		return // one line at a time
	}
	var r Record
	err := r.Parse(line)
	ref, ok := refParse(string(line))
	if ok != (err == nil) {
		t.Fatalf("Parse and the reference disagree on %q:\nParse: %v\nreference accepts: %v %q", line, err, ok, ref.fields)
	}
	// The indexed scanner, the fast path on amd64, agrees with Parse.
	if !IsBlank(line) {
		evs, _ := scanAll(line, 1, 0, nil)
		if len(evs) != 1 || (evs[0].reject == "") != ok {
			t.Fatalf("%q: the indexed scanner reports %+v; reference accepts: %v", line, evs, ok)
		}
		if e := evs[0]; ok && (e.n != r.n || e.extra != r.extra || e.unix != r.unix || e.warn != r.warn ||
			!slices.Equal(e.start[:e.n], r.start[:r.n]) || !slices.Equal(e.end[:e.n], r.end[:r.n])) {
			t.Fatalf("%q: the indexed scanner reports %+v; Parse %+v", line, e, r)
		}
	}
	if !ok {
		return
	}
	if r.NumFields() != len(ref.fields) || r.Extra() != ref.extra || r.Unix() != ref.unix || r.Warnings() != ref.warn {
		t.Fatalf("%q: fields %d extra %d unix %d warnings %q; reference %d %d %d %q", line, r.NumFields(), r.Extra(), r.Unix(), r.Warnings(),
			len(ref.fields), ref.extra, ref.unix, ref.warn)
	}
	for f, want := range ref.fields {
		if got := r.Bytes(Field(f)); string(got) != want {
			t.Fatalf("%q: %v = %q, reference %q", line, Field(f), got, want)
		}
	}
	// Typed accessors never fail on a valid record's numeric fields.
	for _, f := range []Field{HTTPStatus, BytesSent, ObjectSize, TotalTime, TurnAroundTime} {
		if _, ok := r.Int(f); !ok && !r.IsNull(f) {
			t.Fatalf("%q: %v = %q does not convert", line, f, r.Bytes(f))
		}
	}
}

// TestReferenceOnCorpus runs the comparison over the fixtures and the real
// corpus, with every line also cut at several points (truncations) and
// with a space dropped or doubled, the damage real files show.
func TestReferenceOnCorpus(t *testing.T) {
	lines := append(seedLines(), trapLines()...)
	for _, l := range lines {
		compareWithReference(t, []byte(l))
		for _, cut := range []int{10, 40, 80, 120, 200, len(l) / 2, len(l) - 3} {
			if cut > 0 && cut < len(l) {
				compareWithReference(t, []byte(l[:cut]))
			}
		}
		for i := 0; i < len(l); i += 17 {
			if l[i] == ' ' {
				compareWithReference(t, []byte(l[:i]+l[i+1:]))
				compareWithReference(t, []byte(l[:i]+" "+l[i:]))
			}
		}
	}
}

func seedLines() []string {
	lines := []string{base, base + " - Yes us-east-1 Future"}
	for _, name := range []string{"real_samples.log", "real_samples_invalid.log"} {
		f, err := os.Open(filepath.Join(corpus, name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
	}
	return lines
}

// FuzzParse compares Parse with the reference parser on arbitrary lines.
// The committed corpus under testdata/fuzz/FuzzParse holds the seeds.
func FuzzParse(f *testing.F) {
	for _, l := range seedLines() {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		compareWithReference(t, line)
	})
}
