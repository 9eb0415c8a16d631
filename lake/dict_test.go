package lake

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
)

// dictRow has dictionary-encoded strings, optional and required, of low
// and high cardinality, for parquet-go to write with its own choices of
// runs, bit widths and page versions.
type dictRow struct {
	Low  *string `parquet:"low,optional,dict"`
	High *string `parquet:"high,optional,dict"`
	Req  string  `parquet:"req,dict"`
}

// TestDictChunk reads every wholly dictionary-encoded string column chunk
// of files written by convert (arrow-go) and by parquet-go (V1 and V2
// pages) both with the lake's own decoder of dictionary indices and with
// arrow-go's column reader, in batches with some skipped, and compares
// each row's NULL and value.
func TestDictChunk(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	var rows []dictRow
	for i := range 20000 {
		r := dictRow{Req: fmt.Sprint("r", rng.IntN(3))}
		if rng.IntN(4) > 0 {
			s := fmt.Sprint("low-", rng.IntN(5))
			if rng.IntN(50) == 0 {
				s = "-"
			}
			r.Low = &s
		}
		if rng.IntN(10) > 0 {
			s := fmt.Sprintf("high-%d-%d", rng.IntN(3000), i%7)
			r.High = &s
		}
		rows = append(rows, r)
	}
	paths := chunkFiles(t, 21, rows)
	chunks, foreign := eachChunk(t, paths, func(cc *metadata.ColumnChunkMetaData) bool {
		return cc.Type() == parquet.Types.ByteArray && dictionaryOnly(cc)
	}, func(what string, rgr *file.RowGroupReader, c int, maxDef int16, pages *chunkPages) {
		compareChunk(t, what, rgr, c, maxDef, pages, rng)
	})
	if chunks < 20 || foreign < 6 {
		t.Errorf("only %d dictionary chunks compared, %d of parquet-go's", chunks, foreign)
	}
}

// chunkFiles returns Parquet files for a test of the lake's decoders of
// column chunks: those convert writes of generated logs (seed), and rows
// written by parquet-go with V1 and with V2 data pages, small pages and
// row groups.
func chunkFiles[T any](t *testing.T, seed int64, rows []T) []string {
	t.Helper()
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: seed, Objects: 6, LinesPerObject: 400})
	lake := filepath.Join(dir, "lake")
	convertTo(t, logs, lake, convert.Options{PartitionBy: convert.None})
	paths := lakeFiles(lake)
	for _, v := range []int{1, 2} {
		p := filepath.Join(dir, fmt.Sprintf("pq-v%d.parquet", v))
		paths = append(paths, writeParquetGo(t, p, rows, pq.DataPageVersion(v), pq.PageBufferSize(8<<10), pq.MaxRowsPerRowGroup(7000)))
	}
	return paths
}

// writeParquetGo writes rows to a new file p with parquet-go, a writer
// other than ours and arrow-go's, and returns p.
func writeParquetGo[T any](t *testing.T, p string, rows []T, opts ...pq.WriterOption) string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pq.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// eachChunk calls check on every column chunk of the files that want
// says, with the chunk's pages read by the lake's reader, and returns how
// many, and how many of parquet-go's files.
func eachChunk(t *testing.T, paths []string, want func(*metadata.ColumnChunkMetaData) bool, check func(what string, rgr *file.RowGroupReader, c int, maxDef int16, pages *chunkPages)) (chunks, foreign int) {
	t.Helper()
	var pages chunkPages
	for _, p := range paths {
		pr, err := file.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		md := pr.MetaData()
		for rg := range md.NumRowGroups() {
			rgr := pr.RowGroup(rg)
			for c := range md.Schema.NumColumns() {
				cc, _ := rgr.MetaData().ColumnChunk(c)
				if !want(cc) {
					continue
				}
				chunks++
				if strings.HasPrefix(filepath.Base(p), "pq-") {
					foreign++
				}
				col := md.Schema.Column(c)
				what := fmt.Sprintf("%s rg %d %s", filepath.Base(p), rg, col.Name())
				if err := pages.reset(context.Background(), localBlob{f}, md, cc); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				check(what, rgr, c, col.MaxDefinitionLevel(), &pages)
			}
		}
		f.Close()
		pr.Close()
	}
	return chunks, foreign
}

func compareChunk(t *testing.T, what string, rgr *file.RowGroupReader, c int, maxDef int16, pages *chunkPages, rng *rand.Rand) {
	t.Helper()
	dc, err := newDictChunk(pages, maxDef, &slotBuffers{})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ccr, err := rgr.Column(c)
	if err != nil {
		t.Fatal(err)
	}
	ref := ccr.(*file.ByteArrayColumnChunkReader)
	n := rgr.NumRows()
	vals := make([]parquet.ByteArray, n)
	defs := make([]int16, n)
	lv, vr, err := ref.ReadBatch(n, vals, defs, nil)
	if err != nil || lv != n {
		t.Fatalf("%s: reference read %d of %d: %v", what, lv, n, err)
	}
	if maxDef == 0 {
		vr = int(lv)
	}
	// The reference values, spread over the rows.
	want := make([][]byte, n)
	j := 0
	for i := range n {
		if maxDef == 0 || defs[i] == maxDef {
			want[i] = vals[j]
			j++
		}
	}
	if j != vr {
		t.Fatalf("%s: %d values for %d", what, j, vr)
	}
	var col batchCol
	walkChunk(t, what, n, rng, dc.skip, func(at int64, k int, rows []int32) {
		if err := dc.read(k, &col, rows); err != nil {
			t.Fatalf("%s: read at %d: %v", what, at, err)
		}
		check := func(i int) {
			w := want[at+int64(i)]
			wnull := w == nil || len(w) == 1 && w[0] == '-'
			if col.null[i] != wnull || !wnull && !bytes.Equal(col.str(i), w) {
				t.Fatalf("%s: row %d: null %v %q, want null %v %q", what, at+int64(i), col.null[i], col.str(i), wnull, w)
			}
		}
		eachRow(k, rows, check)
	})
}

// walkChunk reads a column chunk of n rows in batches of random sizes:
// skipping a third of them, and reading the others whole or, half of
// the time, at a random selection of their rows (1 to 60 %), whose
// values read checks.
func walkChunk(t *testing.T, what string, n int64, rng *rand.Rand, skip func(int64) error, read func(at int64, k int, rows []int32)) {
	t.Helper()
	for at := int64(0); at < n; {
		k := int(min(int64(1+rng.IntN(3000)), n-at))
		if rng.IntN(3) == 0 {
			if err := skip(int64(k)); err != nil {
				t.Fatalf("%s: skip at %d: %v", what, at, err)
			}
			at += int64(k)
			continue
		}
		var rows []int32
		if rng.IntN(2) == 0 {
			sel := make([]bool, k)
			p := []int{1, 3, 5, 20, 60}[rng.IntN(5)]
			for i := range sel {
				sel[i] = rng.IntN(100) < p
			}
			rows = picks(sel, make([]int32, k))
		}
		read(at, k, rows)
		at += int64(k)
	}
}

// eachRow calls check on each of rows, or on each of k rows when rows is
// nil.
func eachRow(k int, rows []int32, check func(i int)) {
	if rows != nil {
		for _, i := range rows {
			check(int(i))
		}
		return
	}
	for i := range k {
		check(i)
	}
}
