package parse_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// shape builds about size bytes of generated lines, each record changed
// by edit (nil for as generated), with the generator's trap rate.
func shape(tb testing.TB, size int, traps float64, edit func(*gen.Record)) []byte {
	block, _ := shapeRecords(tb, size, traps, edit)
	return block
}

// shapeRecords is shape with the generator's records of the lines, in
// order.
func shapeRecords(tb testing.TB, size int, traps float64, edit func(*gen.Record)) ([]byte, []gen.Record) {
	tb.Helper()
	buf := make([]byte, 0, size+16<<10)
	var recs []gen.Record
	errEnough := errors.New("enough")
	err := gen.Generate(gen.Config{Seed: 3, TrapRate: traps, Objects: size/200_000 + 10, LinesPerObject: 1000}, func(o gen.Object) error {
		for i := range o.Records {
			r := &o.Records[i]
			if edit != nil {
				edit(r)
			}
			buf = append(r.AppendLine(buf), '\n')
			recs = append(recs, *r)
			if len(buf) >= size {
				return errEnough
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		tb.Fatal(err)
	}
	return buf, recs
}

// longUA is a browser user agent of the length real ones reach.
var longUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0 " +
	strings.Repeat("aws-sdk-js/3.556.0 ua/2.0 os/Windows#10.0 lang/js md/browser#Chrome_124.0.0.0 api/s3#3.556.0 ", 3)

// shapes are the inputs BenchmarkScanShapes scans: what the generator
// writes (traps at its default rate), the same without traps (what
// bench/peers gives DuckDB), short records as written until 2019 (18
// fields), records whose user agent is a long browser and SDK string,
// and every record a trap (the slow, resynchronising path).
var shapes = []struct {
	name  string
	traps float64
	edit  func(*gen.Record)
}{
	{"generated", 0, nil},
	{"clean", -1, nil},
	{"short", -1, func(r *gen.Record) { r.NumFields = 18 }},
	{"long-ua", -1, func(r *gen.Record) { r.UserAgent = longUA }},
	{"traps", 1, nil},
}

// BenchmarkScanShapes locates and checks every field of every line of
// each shape, as the record stage does, with the structural index where
// the CPU has one.
func BenchmarkScanShapes(b *testing.B) {
	for _, s := range shapes {
		block := shape(b, 8<<20, s.traps, s.edit)
		b.Run(s.name, func(b *testing.B) {
			sc := parse.NewBlockScanner(nil)
			b.SetBytes(int64(len(block)))
			b.ReportAllocs()
			for b.Loop() {
				sc.ResetBytes(block, "", 1)
				for sc.Scan() {
				}
			}
		})
	}
}

// TestShapesParse checks that the benchmark inputs are what they claim
// and that the scanner reads them right: every line a record, in order,
// each field the generator's value (the traps included), the short ones
// of 18 fields, the long user agents whole.
func TestShapesParse(t *testing.T) {
	for _, s := range shapes {
		block, recs := shapeRecords(t, 256<<10, s.traps, s.edit)
		sc := parse.NewBlockScanner(block)
		n := 0
		for sc.Scan() {
			r := sc.Record()
			if n >= len(recs) {
				t.Fatalf("%s: more records than the %d lines", s.name, len(recs))
			}
			g := &recs[n]
			n++
			if r.NumFields() != g.NumFields && !(g.NumFields == 0 && r.NumFields() == parse.NumFields) {
				t.Fatalf("%s: line %d: %d fields, generated %d", s.name, n, r.NumFields(), g.NumFields)
			}
			if r.Unix() != g.Time.Unix() {
				t.Fatalf("%s: line %d: time %v, generated %v", s.name, n, r.Time(), g.Time)
			}
			for f := parse.Field(0); int(f) < parse.NumFields; f++ {
				if f == parse.Time {
					continue
				}
				got, gotOK := r.Value(f)
				want, wantOK := g.Value(f)
				if gotOK != wantOK || string(got) != want {
					t.Fatalf("%s: line %d (trap %v): %v = %q (%v), generated %q (%v)", s.name, n, g.Trap, f, got, gotOK, want, wantOK)
				}
			}
		}
		if n != len(recs) || sc.Rejected() > 0 {
			t.Errorf("%s: %d records of %d lines, %d rejected", s.name, n, len(recs), sc.Rejected())
		}
	}
}
