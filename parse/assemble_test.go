package parse

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// assembleFrom assembles a copy of r from its accessors, the way converted
// output stores it: strings as text, numbers as integers, the time as
// seconds, and (when parts) the request line as three columns instead of
// the Request-URI.
func assembleFrom(a *Assembler, r *Record, parts bool) {
	a.Reset()
	for f := Field(0); int(f) < NumFields; f++ {
		switch f {
		case Time:
			a.Time(r.Unix(), nil)
		case HTTPStatus, BytesSent, ObjectSize, TotalTime, TurnAroundTime:
			if n, ok := r.Int(f); ok {
				a.Int(f, n)
			}
		case RequestURI:
			if parts {
				m, t, p, _ := r.RequestLine()
				a.RequestLine(m, t, p)
				continue
			}
			fallthrough
		default:
			v, _ := r.Value(f)
			a.Field(f, v)
		}
	}
}

// sameRecord fails unless b answers every accessor as a does, but the
// Request-URI when b has only its parts, and the Time text of a record
// logged with an offset other than +0000 (b's is in UTC).
func sameRecord(t *testing.T, line []byte, a, b *Record, parts bool) {
	t.Helper()
	for f := Field(0); int(f) < NumFields; f++ {
		if f == RequestURI && parts {
			continue
		}
		if f == Time && !bytes.HasSuffix(a.Bytes(Time), []byte(" +0000")) {
			continue // converted output keeps the time, not the offset it was logged with
		}
		va, oka := a.Value(f)
		vb, okb := b.Value(f)
		if oka != okb || !bytes.Equal(va, vb) || a.IsNull(f) != b.IsNull(f) {
			t.Fatalf("%q: %v: parsed %q %v, assembled %q %v", line, f, va, oka, vb, okb)
		}
		na, oka := a.Int(f)
		nb, okb := b.Int(f)
		if na != nb || oka != okb {
			t.Fatalf("%q: %v: Int parsed %d %v, assembled %d %v", line, f, na, oka, nb, okb)
		}
	}
	if a.Unix() != b.Unix() {
		t.Fatalf("%q: Unix parsed %d, assembled %d", line, a.Unix(), b.Unix())
	}
	if u, ok := ParseTime(b.Bytes(Time)); !ok || u != a.Unix() {
		t.Fatalf("%q: assembled Time text %q reads as %d %v, want %d", line, b.Bytes(Time), u, ok, a.Unix())
	}
	m1, t1, p1, ok1 := a.RequestLine()
	m2, t2, p2, ok2 := b.RequestLine()
	if ok1 != ok2 || !bytes.Equal(m1, m2) || !bytes.Equal(t1, t2) || !bytes.Equal(p1, p2) ||
		(m1 == nil) != (m2 == nil) || (t1 == nil) != (t2 == nil) || (p1 == nil) != (p2 == nil) {
		t.Fatalf("%q: RequestLine parsed %q %q %q %v, assembled %q %q %q %v", line, m1, t1, p1, ok1, m2, t2, p2, ok2)
	}
}

// TestAssembleLikeParse assembles every real and seed line from its parsed
// values and checks that the assembled record reads as the parsed one,
// with one Assembler reused in the order the lines come (stale fields of
// one record must not leak into the next).
func TestAssembleLikeParse(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "real_samples.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for _, l := range seedLines() {
		lines = append(lines, []byte(l))
	}
	a := NewAssembler()
	var r Record
	n := 0
	for _, parts := range []bool{false, true} {
		for _, line := range lines {
			if r.Parse(line) != nil {
				continue
			}
			assembleFrom(a, &r, parts)
			sameRecord(t, line, &r, a.Record(), parts)
			n++
		}
	}
	if n < 150 {
		t.Fatalf("only %d records compared", n)
	}
}

func TestAssembleAllocs(t *testing.T) {
	var r Record
	if err := r.Parse([]byte(seedLines()[0])); err != nil {
		t.Fatal(err)
	}
	a := NewAssembler()
	assembleFrom(a, &r, false)
	if n := testing.AllocsPerRun(100, func() { assembleFrom(a, &r, false) }); n != 0 {
		t.Errorf("assembling a record allocates %v times", n)
	}
}

// TestAppendTime compares AppendTime with time.Format over the whole range
// of four-digit years, and reads the text back with ParseTime.
func TestAppendTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	vals := []int64{0, -1, 1, 86399, 86400, -86400, lo, hi, 951782400 /* 2000-02-29 */, 1551398400}
	for range 100000 {
		vals = append(vals, lo+rng.Int64N(hi-lo+1))
	}
	var buf []byte
	for _, u := range vals {
		buf = AppendTime(buf[:0], u)
		want := time.Unix(u, 0).UTC().Format(TimeLayout)
		if string(buf) != want {
			t.Fatalf("AppendTime(%d) = %q, want %q", u, buf, want)
		}
		if back, ok := ParseTime(buf); !ok || back != u {
			t.Fatalf("ParseTime(%q) = %d %v, want %d", buf, back, ok, u)
		}
	}
}
