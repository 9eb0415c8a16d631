package parse

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestIndexKernel checks the indexer the CPU uses against the portable
// one, byte class by byte class, at every length and alignment around a
// chunk.
func TestIndexKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(" \"\n[]\r\t-aZ0\x00\xff")
	buf := make([]byte, 64*9+7)
	for i := range buf {
		buf[i] = alphabet[rng.IntN(len(alphabet))]
	}
	kernels := indexKernels()
	t.Logf("kernels on this CPU: %d", len(kernels))
	if len(kernels) == 0 {
		t.Fatal("no indexer to test")
	}
	for off := 0; off < 8; off++ {
		for n := 0; off+n <= len(buf); n += 1 + n/8 {
			src := buf[off : off+n]
			got := make([]uint64, mKinds*(n/64+1))
			want := make([]uint64, mKinds*(n/64+1))
			for i := range want {
				want[i] = 0xdead // untouched past the whole chunks
			}
			indexGo(src[:n&^63], want)
			for name, kernel := range kernels {
				for i := range got {
					got[i] = 0xdead
				}
				kernel(src, got)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("offset %d length %d: %s %x, portable %x", off, n, name, got, want)
				}
			}
			// The portable indexer against the bytes themselves.
			full := make([]uint64, mKinds*((n+63)/64))
			indexGo(src, full)
			for i, c := range src {
				for k, class := range []string{" ", "\"[", "\n"} {
					if bit := full[i/64*mKinds+k]>>(i%64)&1 == 1; bit != (strings.IndexByte(class, c) >= 0) {
						t.Fatalf("offset %d length %d: byte %d %q class %q bit %v", off, n, i, c, class, bit)
					}
				}
			}
		}
	}
}

// scanEvent is what a Scanner reports for one line: a record with all its
// offsets, or a reject.
type scanEvent struct {
	line            int64
	reject          string // the ParseError, for a reject
	rejected        string // the line passed to OnReject
	start, end      [NumFields]uint32
	n, extra, xoff  int
	unix            int64
	warn            Warning
	method, target  string
	proto           string
	hasRequestParts bool
}

// scanAll scans block with the structural index on (mode 1) or off (-1),
// or with mode 0 as a stream (NewScanner, which tests the prefilter line by
// line), and returns every event and the final counts.
func scanAll(block []byte, mode int8, maxLine int, pre *Prefilter) ([]scanEvent, [4]int64) {
	s := NewBlockScanner(nil)
	if mode == 0 {
		s = NewScanner(bytes.NewReader(block))
	}
	s.ixMode = mode
	if maxLine > 0 {
		s.SetMaxLineSize(maxLine)
	}
	s.SetPrefilter(pre)
	var evs []scanEvent
	s.OnReject(func(pe *ParseError, line []byte) {
		evs = append(evs, scanEvent{line: pe.Line, reject: pe.Error(), rejected: string(line)})
	})
	if mode == 0 {
		s.Reset(bytes.NewReader(block), "obj")
	} else {
		s.ResetBytes(block, "obj", 1)
	}
	for s.Scan() {
		r := s.Record()
		ev := scanEvent{line: s.LineNumber(), n: r.n, extra: r.extra, xoff: r.xoff, unix: r.unix, warn: r.warn}
		copy(ev.start[:r.n], r.start[:r.n])
		copy(ev.end[:r.n], r.end[:r.n])
		m, tg, p, ok := r.RequestLine()
		ev.method, ev.target, ev.proto, ev.hasRequestParts = string(m), string(tg), string(p), ok
		evs = append(evs, ev)
	}
	return evs, [4]int64{s.Lines(), s.Rejected(), s.Warned(), s.Skipped()}
}

// compareIndexed checks that the indexed scanner and the portable one
// report the same records, fields, warnings, rejects and counts for block,
// without a prefilter and with one, with the default line limit and a
// small one; and, with the default limit, that scanning block as a stream
// does too (the block scanner looks for a prefilter's first string once for
// many lines, the stream line by line).
func compareIndexed(t *testing.T, block []byte) {
	t.Helper()
	for _, pre := range []*Prefilter{nil, {Contains: [][]byte{[]byte("GET")}}, {Contains: [][]byte{[]byte("DELETE"), []byte("/")}}, {Contains: [][]byte{[]byte("\n")}}} {
		for _, mode := range []int8{1, 0} {
			for _, maxLine := range []int{0, 300} {
				if mode == 0 && maxLine != 0 {
					continue // a stream reports over-long lines differently
				}
				want, wantN := scanAll(block, -1, maxLine, pre)
				got, gotN := scanAll(block, mode, maxLine, pre)
				if gotN != wantN {
					t.Fatalf("prefilter %v, mode %d, max line %d: counts (lines, rejected, warned, skipped) %v, portable %v", pre, mode, maxLine, gotN, wantN)
				}
				if len(got) != len(want) {
					t.Fatalf("prefilter %v, mode %d, max line %d: %d events, %d portable", pre, mode, maxLine, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("prefilter %v, mode %d, max line %d: event %d differs:\ngot      %+v\nportable %+v", pre, mode, maxLine, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// trapLines returns the documented record with each of the format's traps
// (FORMAT.md) in turn, as a 27-, 18- and 17-field record: quotes inside
// quoted fields, bare and quoted dashes, spaces in the requester and the
// Host Id, brackets and timestamps inside fields, odd optional values,
// unknown trailing fields.
func trapLines() []string {
	const rl, ref, ua = `"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1"`, `"https://example.com/"`, `"S3Console/0.4"`
	subst := [][2]string{
		{ua, `"a "b" c"`}, {ua, `""Mozilla/5.0""`}, {ua, `"x" "`}, {ua, `"-"`}, {ua, `-`}, {ua, `"() { :;}; echo; echo "x""`},
		{ua, `"pip/19.1 {"ci":null,"cpu":"x86_64"} x"`}, {ua, `"say "hello" world"`}, {ua, `"x [06/Feb/2019:00:00:38 +0000] y"`},
		{ua, `"[`}, {ua, `""`}, {ua, `"`},
		{ref, `"https://example.com/?id=452""`}, {ref, `"a "b" c"`}, {ref, `-`}, {ref, `"-"`}, {ref, `"x" -`},
		{rl, `"GET /" HTTP/1.1"`}, {rl, `"GET /a" b.jpg HTTP/1.1"`}, {rl, `"GET /a"b HTTP/1.1"`}, {rl, `-`}, {rl, `"-"`}, {rl, `"GET /[x] HTTP/1.1"`},
		{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID"},
		{"arn:aws:iam::123456789012:user/alice", "-"}, {"192.0.2.3", "-"}, {"192.0.2.3", "2001:db8::ff00:42:8329"},
		{"s9lzHYrFp76ZVxRcpX9=", "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6J="}, {"= SigV4", "=SigV4"},
		{"REST.GET.OBJECT", "S3.COMPUTE.OBJECT.CHECKSUM"}, {"REST.GET.OBJECT", "SOAP.CreateBucket"}, {"REST.GET.OBJECT", "rest.get"},
		{"photos/cat.jpg", "photos/[cat].jpg"}, {"photos/cat.jpg", "a [06/Feb/2019:00:00:38 +0000]"},
		{" 200 ", " 2000 "}, {" 200 ", " - "}, {" 113 4096 ", " 9898557440 422868123111 "}, {" 113 ", " 1x3 "},
		{"+0000", "+0200"}, {"06/Feb/2019", "29/Feb/2019"}, {"06/Feb/2019", "06/Foo/2019"}, {"00:00:38", "24:00:38"},
		{"TLSv1.2", "TLSv1.2 - Yes us-east-1"}, {"TLSv1.2", "TLSv1.2 arn:aws:s3:us-west-1:1:accesspoint/ap Maybe eu-west-3"},
		{"TLSv1.2", "TLSv1.2 - - notaregion"}, {"TLSv1.2", "TLSv1.2 - - - Future More"}, {"TLSv1.2", "tls1.2"},
		{"AuthHeader", "Header"}, {"SigV4", "SigV5"},
		// A second record's time after a space, where each field may hold
		// one, and brackets that are not one.
		{"192.0.2.3", "[06/Feb/2019:00:00:38 +0000]"}, {"arn:aws:iam::123456789012:user/alice", "[06/Feb/2019:00:00:38 +0000]"},
		{"192.0.2.3 arn:aws:iam::123456789012:user/alice", "[06/Feb/2019:00:00:38 +0000]"},
		{"arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE", "[06/Feb/2019:00:00:38 +0000]"},
		{"3E57427F3EXAMPLE", "[06/Feb/2019:00:00:38 +0000]"}, {" - 113", " [06/Feb/2019:00:00:38 +0000] 113"},
		{rl, `"GET /a [06/Feb/2019:00:00:38 +0000] HTTP/1.1"`}, {ref, `"x [06/Feb/2019:00:00:38 +0000]"`},
		{"awsexamplebucket1.s3", "[06/Feb/2019:00:00:38 +0000]awsexamplebucket1.s3"}, {"SigV4", "SigV4 [06/Feb/2019:00:00:38 +0000]"},
		{"3E57427F3EXAMPLE", "[3E57427F3EXAMPLE"}, {" - 113", " [x] 113"}, {ref, `"[x] y"`}, {rl, `"GET /a [b HTTP/1.1"`},
		{"awsexamplebucket1.s3", "[awsexamplebucket1.s3"}, {"192.0.2.3", "[2001:db8::1]"},
	}
	var out []string
	for _, sb := range subst {
		l := strings.Replace(base, sb[0], sb[1], 1)
		i := strings.Index(l, " s9lz")
		if i < 0 {
			i = strings.Index(l, " AIDA")
		}
		out = append(out, l)
		if i >= 0 {
			out = append(out, l[:i], l[:strings.LastIndexByte(l[:i], ' ')])
		}
	}
	cut := base[:strings.Index(base, "user/alice")-3]
	return append(out, cut+base, base+" "+base)
}

// damaged returns the corpus lines with the damage real files show: cut
// at several points, each space dropped or doubled, CRLF, leading and
// trailing spaces.
func damaged() []string {
	var out []string
	for _, l := range append(seedLines(), trapLines()...) {
		out = append(out, l, l+"\r", l+"  ", l+" \r", " "+l)
		for _, cut := range []int{10, 40, 80, 120, 200, len(l) / 2, len(l) - 3} {
			if cut > 0 && cut < len(l) {
				out = append(out, l[:cut])
			}
		}
		for i := 0; i < len(l); i++ {
			if l[i] == ' ' {
				out = append(out, l[:i]+l[i+1:], l[:i]+" "+l[i:])
			}
		}
	}
	return out
}

// TestIndexedScan compares the indexed and the portable scanner over the
// corpus and its damaged lines, in blocks large enough that lines cross
// index windows, with lines longer than a window, blank lines, a last
// line without a newline, and lines shuffled so that every line starts at
// every alignment.
func TestIndexedScan(t *testing.T) {
	lines := damaged()
	rng := rand.New(rand.NewPCG(3, 4))
	long := strings.Replace(base, `"S3Console/0.4"`, `"`+strings.Repeat("Mozilla/5.0 (X11) ", 1200)+`"`, 1)
	for round := 0; round < 8; round++ {
		var b bytes.Buffer
		for b.Len() < 200<<10 {
			switch rng.IntN(40) {
			case 0:
				b.WriteString(long)
			case 1:
				b.WriteString("  \r")
			default:
				b.WriteString(lines[rng.IntN(len(lines))])
			}
			b.WriteByte('\n')
		}
		block := b.Bytes()
		if round%2 == 1 {
			block = block[:len(block)-1] // no newline at the end
		}
		compareIndexed(t, block)
		// Every line on its own, at every alignment of its start.
		if round == 0 {
			for i, l := range lines {
				pad := strings.Repeat("\n", i%64)
				compareIndexed(t, []byte(pad+l))
			}
		}
	}
}

// FuzzIndexedScan compares the indexed and the portable scanner on
// arbitrary blocks. The committed corpus under
// testdata/fuzz/FuzzIndexedScan holds the seeds.
func FuzzIndexedScan(f *testing.F) {
	lines := append(seedLines(), trapLines()...)
	for i := 0; i < len(lines); i += 7 {
		f.Add([]byte(strings.Join(lines[i:min(i+7, len(lines))], "\n")))
	}
	f.Add(sampleBlock(20 << 10))
	f.Fuzz(func(t *testing.T, block []byte) {
		compareIndexed(t, block)
	})
}

func TestIndexedScanAllocs(t *testing.T) {
	block := sampleBlock(64 << 10)
	s := NewBlockScanner(nil)
	s.ixMode = 1
	allocs := testing.AllocsPerRun(20, func() {
		s.ResetBytes(block, "obj", 1)
		for s.Scan() {
		}
	})
	if allocs != 0 {
		t.Errorf("the indexed scanner allocates %.1f times per block", allocs)
	}
	if s.Lines() == 0 || s.Rejected() != 0 {
		t.Fatalf("lines %d, rejected %d", s.Lines(), s.Rejected())
	}
}

// FuzzDayCache checks that the date cache gives parseTimeFixed's answer
// for a time parsed after another.
func FuzzDayCache(f *testing.F) {
	f.Add([]byte("06/Feb/2019:00:00:38 +0000"), []byte("06/Feb/2019:23:59:59 +0000"))
	f.Add([]byte("06/Feb/2019:00:00:38 +0200"), []byte("06/Feb/2019:24:00:38 +0200"))
	f.Add([]byte("29/Feb/2020:00:00:38 -0130"), []byte("29/Feb/2020:0a:00:38 -0130"))
	f.Add([]byte("06/Feb/2019:00:00:38 +0000"), []byte("06/Feb/2019:00-00:38 +0000"))
	f.Add([]byte("06/Feb/2019:00:00:38 +0000"), []byte("06/Feb/2019:00:00:60 +0000"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var c dayCache
		c.parseTime26(a)
		got, gotOK := c.parseTime26(b)
		want, wantOK := parseTimeFixed(b)
		if got != want || gotOK != wantOK {
			t.Fatalf("after %q, %q: cached %d %v, parseTimeFixed %d %v", a, b, got, gotOK, want, wantOK)
		}
	})
}

func TestDayCache(t *testing.T) {
	var c dayCache
	for d := time.Date(2019, 12, 30, 0, 0, 0, 0, time.UTC); d.Year() < 2021; d = d.Add(7*time.Hour + 13*time.Minute + 7*time.Second) {
		for _, s := range []string{d.Format(TimeLayout), d.In(time.FixedZone("", -5400)).Format(TimeLayout)} {
			for _, v := range []string{s, s[:12] + "2" + s[13:], s[:15] + "6" + s[16:], s[:18] + "x" + s[19:], s[:14] + "." + s[15:]} {
				got, gotOK := c.parseTime26([]byte(v))
				want, wantOK := parseTimeFixed([]byte(v))
				if got != want || gotOK != wantOK {
					t.Fatalf("%q: cached %d %v, parseTimeFixed %d %v", v, got, gotOK, want, wantOK)
				}
			}
		}
	}
}

// BenchmarkIndex measures the indexer alone over one window's worth of
// input, which stays in the cache, as the scanner uses it.
func BenchmarkIndex(b *testing.B) {
	block := sampleBlock(ixWords * 64)[:ixWords*64]
	dst := make([]uint64, (ixWords+1)*mKinds)
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		indexWords(block, dst)
	}
}

// TestOpCache checks the cache of operation names against isOperation
// over names that differ from each other in a byte, at every position of
// names of every length around the cache's bounds, seen in random order
// after each other.
func TestOpCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var c opCache
	names := []string{"REST.GET.OBJECT", "REST.GET.BUCKET", "REST.GET.OBJECT_TAGGING", "REST.POST.MULTI_OBJECT_DELETE", "S3.TRANSITION_SIA.OBJECT", "BATCH.DELETE.OBJECT"}
	for l := 3; l <= 40; l++ {
		names = append(names, "A."+strings.Repeat("b", l-2))
	}
	var variants []string
	for _, n := range names {
		variants = append(variants, n)
		for k := range len(n) {
			for _, x := range []byte{'.', 'Z', '_', '-', ' ', 0x80} {
				v := []byte(n)
				v[k] = x
				variants = append(variants, string(v))
			}
		}
	}
	for range 200000 {
		v := variants[rng.IntN(len(variants))]
		line := []byte("x " + v + " key")
		if got, want := c.isOperation(line, 2, 2+len(v)), isOperation([]byte(v)); got != want {
			t.Fatalf("%q: cached %v, isOperation %v", v, got, want)
		}
	}
}

// TestIndexedClock checks the indexed fast path's reading of the clock
// of a time on the day of the line before against the portable scanner,
// with every byte of the clock replaced in turn by bytes around the
// digits and the colon.
func TestIndexedClock(t *testing.T) {
	var b bytes.Buffer
	for _, clock := range []string{"00:00:38", "23:59:59", "09:10:11", "19:29:39"} {
		for k := 0; k < len(clock); k++ {
			for _, c := range []byte("/0:;9@2 \x00\xff\xf6") {
				v := []byte(clock)
				v[k] = c
				b.WriteString(base + "\n")
				b.WriteString(strings.Replace(base, "00:00:38", string(v), 1) + "\n")
			}
		}
	}
	for _, clock := range []string{"24:00:00", "23:60:00", "23:00:60", "99:99:99", "20:50:50"} {
		b.WriteString(base + "\n" + strings.Replace(base, "00:00:38", clock, 1) + "\n")
	}
	compareIndexed(t, b.Bytes())
}

// TestDigits checks the word-at-a-time count of leading digits against a
// byte loop, over words of bytes around the digits and with every byte
// at every position, and the numbers of the indexed fast path it checks
// against the portable scanner: each numeric field of 1 to 9 bytes with
// each of those bytes at each position.
func TestDigits(t *testing.T) {
	near := []byte("/0189:\x00 -\x80\xaf\xb0\xb9\xba\xff")
	rng := rand.New(rand.NewPCG(9, 10))
	w := make([]byte, 8)
	for range 200000 {
		for i := range w {
			if rng.IntN(3) == 0 {
				w[i] = near[rng.IntN(len(near))]
			} else {
				w[i] = '0' + byte(rng.IntN(10))
			}
		}
		want := 0
		for want < 7 && w[want] >= '0' && w[want] <= '9' {
			want++
		}
		if got := digits(w); got != want {
			t.Fatalf("digits(%q) = %d, want %d", w, got, want)
		}
	}
	var b bytes.Buffer
	// The status, bytes sent, object size, total and turn-around time:
	// what each replaces, and what is kept before and after it.
	for _, f := range [][3]string{{" 200 ", " ", " "}, {" 113 ", " ", " "}, {" 4096 ", " ", " "}, {" 7 5 ", " ", " 5 "}, {" 7 5 ", " 7 ", " "}} {
		for l := 1; l <= 9; l++ {
			num := strings.Repeat("4", l)
			for k := 0; k < l; k++ {
				for _, c := range near {
					v := []byte(num)
					v[k] = c
					b.WriteString(strings.Replace(base, f[0], f[1]+string(v)+f[2], 1) + "\n")
				}
			}
		}
	}
	compareIndexed(t, b.Bytes())
}
