package query

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

// TestHeldRowsKeepValues holds rows of every kind of value, enough of
// them to spill to the run's file more than once, and checks that the
// rows replayed are the rows held, field by field: a DECIMAL's precision
// and scale included (without them a held DECIMAL would print with
// another scale than a streamed one).
func TestHeldRowsKeepValues(t *testing.T) {
	row := func(i int) []Value {
		return []Value{
			{},
			IntValue(int64(i) - 1<<40),
			FloatValue(float64(i) / 7),
			FloatValue(math.Inf(-1)),
			StringValue("arn:aws:iam::123456789012:user/u" + string(rune('a'+i%26))),
			{Kind: KindString, S: []byte{}},
			BoolValue(i%2 == 0),
			TimeValue(1709251200 + int64(i)),
			DecimalValue(int64(i)*1001-5000, i%19),
			decValue(i128(-int64(i)), 38, 3),
		}
	}
	const n = 3 * heldMemory / 100 // rows are over 100 bytes: several spills
	var sp spillFile
	defer sp.close()
	var h heldRows
	for i := range n {
		if err := h.add(row(i), &sp); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.segs) < 2 {
		t.Fatalf("%d rows spilled %d times, want at least 2", n, len(h.segs))
	}
	i := 0
	var buf []byte
	err := h.replay(&sp, &buf, func(got []Value) error {
		want := row(i)
		if len(got) != len(want) {
			t.Fatalf("row %d: %d values, want %d", i, len(got), len(want))
		}
		for j, w := range want {
			g := got[j]
			if g.Kind != w.Kind || g.prec != w.prec || g.scale != w.scale || g.I != w.I ||
				math.Float64bits(g.F) != math.Float64bits(w.F) || !bytes.Equal(g.S, w.S) || (g.S == nil) != (w.S == nil) {
				t.Fatalf("row %d value %d: replayed %s, held %s", i, j, fields(g), fields(w))
			}
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("replayed %d rows, held %d", i, n)
	}
}

// fields spells out every field of v (its String is the value as printed).
func fields(v Value) string {
	return fmt.Sprintf("{Kind:%d prec:%d scale:%d I:%d F:%v S:%q nilS:%v}", v.Kind, v.prec, v.scale, v.I, v.F, v.S, v.S == nil)
}
