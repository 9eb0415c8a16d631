package sink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pq "github.com/parquet-go/parquet-go"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/filetest"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// writeFile writes the records of block to one Parquet file with row
// groups of rowGroupRows rows (0: one row group) and returns the file.
func writeFile(t testing.TB, block []byte, rowGroupRows int) []byte {
	return writeFileWith(t, block, rowGroupRows, FileOptions{}, 1)
}

// writeFileWith is writeFile with options o and each row group's columns
// encoded on n goroutines (FileWriter.WriteConcurrent).
func writeFileWith(t testing.TB, block []byte, rowGroupRows int, o FileOptions, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := NewFileWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	b := NewRowBuffer(Parquet)
	sc := parse.NewBlockScanner(block)
	origin := &schema.Origin{Object: []byte("obj")}
	for sc.Scan() {
		origin.Line = sc.LineNumber()
		b.Append(sc.Record(), origin)
		if b.Rows() == rowGroupRows {
			if err := fw.WriteConcurrent(b, n); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := fw.WriteConcurrent(b, n); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriteConcurrent checks that a file whose row groups were written
// with their columns encoded concurrently holds the same rows, as
// parquet-go reads them, as one written serially, dictionary columns that
// fall back to plain included (run it with -race).
func TestWriteConcurrent(t *testing.T) {
	block := gen.Block(5, 256<<10)
	for _, limit := range []int{0, 300} {
		var files [2][]byte
		for k, n := range []int{1, 3} {
			files[k] = writeFileWith(t, block, 150, FileOptions{DictionaryLimit: limit}, n)
		}
		cols1, rows1 := filetest.ReadParquet(t, files[0])
		cols2, rows2 := filetest.ReadParquet(t, files[1])
		if fmt.Sprint(cols1) != fmt.Sprint(cols2) {
			t.Fatalf("dictionary limit %d: columns %v, serially %v", limit, cols2, cols1)
		}
		if len(rows1) < 300 || len(rows1) != len(rows2) {
			t.Fatalf("dictionary limit %d: %d rows, serially %d", limit, len(rows2), len(rows1))
		}
		for i := range rows1 {
			if fmt.Sprint(rows1[i]) != fmt.Sprint(rows2[i]) {
				t.Fatalf("dictionary limit %d: row %d: %v, serially %v", limit, i, rows2[i], rows1[i])
			}
		}
	}
}

// TestParquetArrowSchema checks that an Arrow reader of a converted file
// sees exactly ArrowSchema() (types, time zone, nullability), as it would
// for a file pqarrow wrote, and the encodings the package doc promises.
func TestParquetArrowSchema(t *testing.T) {
	data := writeFile(t, gen.Block(3, 32<<10), 0)
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	// The reader adds PARQUET:field_id metadata to every field; compare
	// the rest.
	want := ArrowSchema()
	if sc.NumFields() != want.NumFields() {
		t.Fatalf("%d fields, want %d", sc.NumFields(), want.NumFields())
	}
	for i, f := range sc.Fields() {
		w := want.Field(i)
		if f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Type) || f.Nullable != w.Nullable {
			t.Errorf("field %d: %s %s nullable=%v, want %s %s nullable=%v", i, f.Name, f.Type, f.Nullable, w.Name, w.Type, w.Nullable)
		}
	}
	if r.MetaData().KeyValueMetadata().FindValue("ARROW:schema") == nil {
		t.Error("no ARROW:schema in the file's metadata")
	}
	rg := r.MetaData().RowGroup(0)
	for _, tc := range []struct {
		col  string
		enc  string
		stat bool
	}{
		{"requestdatetime", "DELTA_BINARY_PACKED", true},
		{"log_line", "DELTA_BINARY_PACKED", true},
		{"useragent", "RLE_DICTIONARY", true},
		{"httpstatus", "RLE_DICTIONARY", true},
		{"hostid", "PLAIN", false},
		{"requestid", "PLAIN", false},
	} {
		i := r.MetaData().Schema.ColumnIndexByName(tc.col)
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range cc.Encodings() {
			found = found || e.String() == tc.enc
		}
		if !found {
			t.Errorf("%s: encodings %v, want %s", tc.col, cc.Encodings(), tc.enc)
		}
		if ok, _ := cc.StatsSet(); ok != tc.stat {
			t.Errorf("%s: statistics %v, want %v", tc.col, ok, tc.stat)
		}
	}
}

// TestPQBatchAppendAllocs checks that appending records to a pqBatch
// allocates nothing once its buffers have grown (after the first row
// group).
func TestPQBatchAppendAllocs(t *testing.T) {
	block := gen.Block(2, 256<<10)
	b := newPQBatch()
	sc := parse.NewBlockScanner(nil)
	o := &schema.Origin{Object: []byte("obj")}
	fill := func() {
		sc.ResetBytes(block, "obj", 1)
		for sc.Scan() {
			o.Line = sc.LineNumber()
			b.Append(sc.Record(), o)
		}
		b.reset()
	}
	fill()
	if allocs := testing.AllocsPerRun(3, fill); allocs > 0 {
		t.Errorf("%.0f allocations per block, want 0", allocs)
	}
}

// TestPQBatchColumns checks every buffered value against the column's
// Getter (schema's one definition of each value), for generated lines with
// traps and for hand-made request lines, over several row groups: the
// request-line parts, which Append takes from its own cache for a request
// line seen before, included.
func TestPQBatchColumns(t *testing.T) {
	lines := []string{
		`owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ1 REST.GET.OBJECT k "GET /bkt/k HTTP/1.1" 200 - 1 1 1 1 "-" "ua" - host1 SigV4 - AuthHeader h TLSv1.2 - -`,
		`owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ2 REST.GET.OBJECT k "-" 200 - 1 1 1 1 "-" "ua" - host2 SigV4 - AuthHeader h TLSv1.2 - -`,
		`owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ3 REST.GET.OBJECT k "GET /bkt/k" 200 - 1 1 1 1 "-" "ua" - host3 SigV4 - AuthHeader h TLSv1.2 - -`,
		`owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ4 REST.GET.OBJECT k "GET" 200 - 1 1 1 1 "-" "ua" - host4 SigV4 - AuthHeader h TLSv1.2 - -`,
		`owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ5 REST.GET.OBJECT k "GET /bkt/a b HTTP/1.1" 200 - 1 1 1 1 "-" "ua" - host5 SigV4 - AuthHeader h TLSv1.2 - -`,
	}
	var block []byte
	for range 3 {
		for _, l := range lines {
			block = append(append(block, l...), '\n')
		}
		block = append(block, gen.Block(4, 128<<10)...)
	}
	b := newPQBatch()
	sc := parse.NewBlockScanner(nil)
	o := &schema.Origin{Object: []byte("obj")}
	type value struct {
		s    string
		n    int64
		null bool
	}
	var want [][]value // by column, then row
	check := func() {
		t.Helper()
		for i := range b.cols {
			c := &b.cols[i]
			vi := 0
			for row, w := range want[i] {
				null := !c.required && c.defs[row] == 0
				var got value
				switch {
				case null:
					got.null = true
				case c.dict != nil:
					got.s = string(c.dict.value(c.idx[row]))
				case c.col.Type == schema.Int32:
					got.n = int64(c.i32[vi])
				case c.col.Type == schema.Int64 || c.col.Type == schema.Timestamp:
					got.n = c.i64[vi]
				default:
					start := int32(0)
					if vi > 0 {
						start = c.ends[vi-1]
					}
					got.s = string(c.data[start:c.ends[vi]])
				}
				if !null {
					vi++
				}
				if got != w {
					t.Fatalf("%s row %d: %+v, want %+v", c.col.Name, row, got, w)
				}
			}
		}
		b.reset()
		want = make([][]value, len(b.cols))
	}
	want = make([][]value, len(b.cols))
	sc.ResetBytes(block, "obj", 1)
	parts := 0
	for sc.Scan() {
		r := sc.Record()
		o.Line = sc.LineNumber()
		for i := range b.cols {
			c := b.cols[i].col
			v, n, ok := c.Value(r, o)
			w := value{null: !ok}
			if ok {
				switch c.Type {
				case schema.String:
					w.s = string(appendValidUTF8(nil, v))
				case schema.Timestamp:
					w.n = n * 1e6
				default:
					w.n = n
				}
			}
			want[i] = append(want[i], w)
		}
		b.Append(r, o)
		if b.rows%97 == 0 {
			check()
		}
	}
	for i := range b.cols {
		if b.cols[i].kind == pqPart {
			parts++
		}
	}
	if parts != 3 {
		t.Errorf("%d request-line parts read through the cache, want 3", parts)
	}
	check()
}

// TestStrDict checks the dictionary against a Go map: equal values get
// one index, distinct values distinct ones in order of first appearance,
// across table growth and reset.
func TestStrDict(t *testing.T) {
	d := newStrDict()
	for round := range 2 {
		want := map[string]int32{}
		for i := range 5000 {
			v := []byte(fmt.Sprintf("v%d", (i*7919)%1733))
			if i%3 == 0 {
				v = []byte{} // the empty string is a value too
			}
			checkDictIndex(t, d, want, v, round)
		}
		if len(d.offs)-1 != len(want) {
			t.Errorf("round %d: %d values, want %d", round, len(d.offs)-1, len(want))
		}
		d.reset()
	}
}

// TestParquetStatistics checks every row group's column statistics (null
// count, min and max) against the rows parquet-go reads back, for the
// dictionary columns (whose statistics Convert supplies itself), the
// plain ones and the integers.
func TestParquetStatistics(t *testing.T) {
	data := writeFile(t, gen.Block(4, 400<<10), 97)
	cols, rows := filetest.ReadParquet(t, data)
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rgs := f.Metadata().RowGroups
	if len(rgs) < 4 {
		t.Fatalf("%d row groups, want at least 4", len(rgs))
	}
	checked := map[string]bool{}
	start := 0
	for g, rg := range rgs {
		n := int(rg.NumRows)
		for j, c := range cols {
			st := rg.Columns[j].MetaData.Statistics
			if c.Name == "requestid" || c.Name == "hostid" {
				if st.MinValue != nil || st.MaxValue != nil {
					t.Errorf("row group %d %s: statistics written for a random ID", g, c.Name)
				}
				continue
			}
			var nulls int64
			var lo, hi []byte
			for _, row := range rows[start : start+n] {
				v := row[j]
				if v == nil {
					nulls++
					continue
				}
				var b []byte
				switch x := v.(type) {
				case string:
					b = []byte(x)
				case int32:
					b = binary.LittleEndian.AppendUint32(nil, uint32(x))
				case int64:
					b = binary.LittleEndian.AppendUint64(nil, uint64(x))
				}
				less := func(a, b []byte) bool { return bytes.Compare(a, b) < 0 }
				if _, isStr := v.(string); !isStr {
					less = func(a, b []byte) bool { return signedLE(a) < signedLE(b) }
				}
				if lo == nil || less(b, lo) {
					lo = b
				}
				if hi == nil || less(hi, b) {
					hi = b
				}
			}
			if st.NullCount != nulls {
				t.Errorf("row group %d %s: null count %d, want %d", g, c.Name, st.NullCount, nulls)
			}
			if lo != nil && (!bytes.Equal(st.MinValue, lo) || !bytes.Equal(st.MaxValue, hi)) {
				t.Errorf("row group %d %s: min/max %q/%q, want %q/%q", g, c.Name, st.MinValue, st.MaxValue, lo, hi)
			}
			checked[c.Name] = true
		}
		start += n
	}
	for _, name := range []string{"useragent", "key", "log_object", "referrer", "httpstatus", "requestdatetime", "bytessent"} {
		if !checked[name] {
			t.Errorf("%s not checked", name)
		}
	}
}

// signedLE decodes a little-endian signed integer of 4 or 8 bytes.
func signedLE(b []byte) int64 {
	if len(b) == 4 {
		return int64(int32(binary.LittleEndian.Uint32(b)))
	}
	return int64(binary.LittleEndian.Uint64(b))
}

// TestPackValidity compares packValidity with a bit set per level, for
// every length up to a few words and every pattern of NULLs at random.
func TestPackValidity(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		for round := range 20 {
			defs := make([]int16, n)
			for i := range defs {
				if round == 1 || round > 1 && rnd.IntN(3) > 0 {
					defs[i] = 1
				}
			}
			want := make([]byte, bitutil.BytesForBits(int64(n)))
			wantNulls := 0
			for i, x := range defs {
				if x == 1 {
					bitutil.SetBit(want, i)
				} else {
					wantNulls++
				}
			}
			got := bytes.Repeat([]byte{0xa5}, len(want)) // not zeroed: every byte must be written
			if nulls := packValidity(got, defs); nulls != wantNulls || !bytes.Equal(got, want) {
				t.Fatalf("%v: bitmap %08b with %d NULLs, want %08b with %d", defs, got, nulls, want, wantNulls)
			}
		}
	}
}

// checkDictIndex looks v up in d and checks that it has the index of its
// first appearance (want, which it adds v to if new) and reads back.
func checkDictIndex(t *testing.T, d *strDict, want map[string]int32, v []byte, round int) {
	t.Helper()
	w, ok := want[string(v)]
	if !ok {
		w = int32(len(want))
		want[string(v)] = w
	}
	if got := d.index(v); got != w {
		t.Fatalf("round %d: index(%q) = %d, want %d", round, v, got, w)
	}
	if got := string(d.value(w)); got != string(v) {
		t.Fatalf("round %d: value(%d) = %q, want %q", round, w, got, v)
	}
}

// TestStrDictLengths looks up values of every length from 0 to past the
// short table's limit, from a two-letter alphabet so that many share
// their first or last word, against a map: each must keep the index of
// its first appearance, across a reset and table growth.
func TestStrDictLengths(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	d := newStrDict()
	for round := range 3 {
		want := map[string]int32{}
		for range 20000 {
			v := make([]byte, rnd.IntN(2*maxShort+4))
			for i := range v {
				v[i] = "ab"[rnd.IntN(2)]
			}
			if rnd.IntN(4) == 0 && len(v) > 0 {
				v[rnd.IntN(len(v))] = 0xff // not UTF-8
			}
			checkDictIndex(t, d, want, v, round)
		}
		if len(d.offs)-1 != len(want) || !d.invalid {
			t.Errorf("round %d: %d values (invalid %v), want %d (invalid)", round, len(d.offs)-1, d.invalid, len(want))
		}
		d.reset()
	}
}
