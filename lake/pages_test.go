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

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// pageFiles returns Parquet files of many writers for tests of
// chunkPages: convert's (zstd and snappy), DuckDB's (testdata: V1 pages
// with zstd, V2 with snappy) and parquet-go's (V1 and V2 pages, small
// pages and row groups, dictionary and plain and delta encodings, with
// NULLs, uncompressed and in three codecs).
func pageFiles(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 31, Objects: 4, LinesPerObject: 400})
	var paths []string
	for _, c := range []sink.Compression{"", "snappy"} {
		out := filepath.Join(dir, "lake-"+string(c))
		convertTo(t, logs, out, convert.Options{PartitionBy: convert.None, Compression: c, RowGroupRows: 700})
		paths = append(paths, lakeFiles(out)...)
	}
	paths = append(paths, filepath.Join("testdata", "duckdb-v1-zstd.parquet"), filepath.Join("testdata", "duckdb-v2-snappy.parquet"))
	rng := rand.New(rand.NewPCG(3, 4))
	type row struct {
		Low   *string `parquet:"low,optional,dict"`
		High  *string `parquet:"high,optional"`
		Req   string  `parquet:"req,dict"`
		Delta int64   `parquet:"delta,delta"`
		Opt   int64   `parquet:"opt,optional,delta"` // 0 is NULL
	}
	var rows []row
	for i := range 6000 {
		r := row{Req: fmt.Sprint("r", rng.IntN(3)), Delta: int64(i) * 1000}
		if rng.IntN(4) > 0 {
			s := fmt.Sprint("low-", rng.IntN(5))
			r.Low = &s
		}
		if rng.IntN(10) > 0 {
			s := fmt.Sprintf("high-%d", rng.IntN(100000))
			r.High = &s
		}
		if rng.IntN(3) > 0 {
			r.Opt = 1 + rng.Int64N(1<<40)
		}
		rows = append(rows, r)
	}
	for i, c := range []compress.Codec{&uncompressed.Codec{}, &zstd.Codec{}, &snappy.Codec{}, &gzip.Codec{}} {
		for _, v := range []int{1, 2} {
			p := filepath.Join(dir, fmt.Sprintf("pq-%d-v%d.parquet", i, v))
			paths = append(paths, writeParquetGo(t, p, rows, pq.DataPageVersion(v), pq.PageBufferSize(4<<10), pq.MaxRowsPerRowGroup(2500), pq.Compression(c)))
		}
	}
	return paths
}

// eachFileChunk calls check on every column chunk of the files, with
// the file's metadata (its size set) and bytes.
func eachFileChunk(t *testing.T, paths []string, check func(what string, b blob, md *metadata.FileMetaData, rgr *file.RowGroupReader, c int)) {
	t.Helper()
	for _, p := range paths {
		pr, err := file.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		md := pr.MetaData()
		md.SetSourceFileSize(fi.Size())
		for rg := range md.NumRowGroups() {
			rgr := pr.RowGroup(rg)
			for c := range md.Schema.NumColumns() {
				check(fmt.Sprintf("%s rg %d %s", filepath.Base(p), rg, md.Schema.Column(c).Name()), localBlob{f}, md, rgr, c)
			}
		}
		f.Close()
		pr.Close()
	}
}

// TestChunkPagesAsArrow reads every column chunk of files of several
// writers with chunkPages and with arrow-go's page reader, and compares
// the pages: their types, counts, encodings, level lengths and bytes.
func TestChunkPagesAsArrow(t *testing.T) {
	var cp chunkPages
	chunks, pages := 0, map[int32]int{}
	eachFileChunk(t, pageFiles(t), func(what string, b blob, md *metadata.FileMetaData, rgr *file.RowGroupReader, c int) {
		cc, err := rgr.MetaData().ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := rgr.GetColumnPageReader(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.reset(context.Background(), b, md, cc); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		chunks++
		for i := 0; ; i++ {
			p, err := cp.next()
			if err != nil {
				t.Fatalf("%s: page %d: %v", what, i, err)
			}
			if !ref.Next() {
				if err := ref.Err(); err != nil {
					t.Fatalf("%s: page %d: arrow-go: %v", what, i, err)
				}
				if p != nil {
					t.Fatalf("%s: page %d read, not by arrow-go", what, i)
				}
				break
			}
			if p == nil {
				t.Fatalf("%s: page %d read by arrow-go only", what, i)
			}
			pages[p.typ]++
			want := pageHeader{uncompressed: p.uncompressed, compressed: p.compressed, compressedV2: p.compressedV2}
			var data []byte
			switch rp := ref.Page().(type) {
			case *file.DictionaryPage:
				want.typ, want.numValues, want.encoding, data = pageDictionary, rp.NumValues(), int32(rp.Encoding()), rp.Data()
			case *file.DataPageV1:
				want.typ, want.numValues, want.encoding, data = pageData, rp.NumValues(), int32(rp.Encoding()), rp.Data()
				want.defEncoding, want.repEncoding = int32(rp.DefinitionLevelEncoding()), int32(rp.RepetitionLevelEncoding())
				want.uncompressed = rp.UncompressedSize()
			case *file.DataPageV2:
				want.typ, want.numValues, want.encoding, data = pageDataV2, rp.NumValues(), int32(rp.Encoding()), rp.Data()
				want.numNulls, want.numRows, want.defLen, want.repLen = rp.NumNulls(), rp.NumRows(), rp.DefinitionLevelByteLen(), rp.RepetitionLevelByteLen()
				want.compressedV2, want.uncompressed = rp.IsCompressed(), rp.UncompressedSize()
			default:
				t.Fatalf("%s: page %d: arrow-go's %T", what, i, rp)
			}
			got := p.pageHeader
			got.has = 0
			if got != want {
				t.Fatalf("%s: page %d:\n  %+v\narrow-go\n  %+v", what, i, got, want)
			}
			if !bytes.Equal(p.data, data) {
				t.Fatalf("%s: page %d: %d bytes differ from arrow-go's %d", what, i, len(p.data), len(data))
			}
		}
		ref.Close()
	})
	if chunks < 100 || pages[pageData] < 100 || pages[pageDataV2] < 50 || pages[pageDictionary] < 50 {
		t.Errorf("only %d chunks compared, pages by type %v", chunks, pages)
	}
}

// TestChunkPagesMetadata checks chunkPages against the column chunks'
// metadata: their data pages hold the chunk's values, a dictionary page
// comes first where the metadata says there is one, the pages' types
// and encodings are those of its encoding stats, and a range the
// metadata gives wrong (cut short, outside the file, too large to read)
// is an error.
func TestChunkPagesMetadata(t *testing.T) {
	var cp chunkPages
	eachFileChunk(t, pageFiles(t), func(what string, b blob, md *metadata.FileMetaData, rgr *file.RowGroupReader, c int) {
		cc, _ := rgr.MetaData().ColumnChunk(c)
		if err := cp.reset(context.Background(), b, md, cc); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var values int64
		seen := map[[2]int32]bool{}
		for i := 0; ; i++ {
			p, err := cp.next()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if p == nil {
				break
			}
			if (p.typ == pageDictionary) != (i == 0 && cc.HasDictionaryPage()) {
				t.Fatalf("%s: page %d of type %d (dictionary page in the metadata: %v)", what, i, p.typ, cc.HasDictionaryPage())
			}
			switch p.typ {
			case pageData:
				values += int64(p.numValues)
			case pageDataV2:
				values += int64(p.numRows)
			}
			seen[[2]int32{p.typ, p.encoding}] = true
		}
		if values != cc.NumValues() {
			t.Errorf("%s: data pages of %d values, the metadata says %d", what, values, cc.NumValues())
		}
		if es := cc.EncodingStats(); len(es) > 0 {
			stats := map[[2]int32]bool{}
			for _, e := range es {
				stats[[2]int32{int32(e.PageType), int32(e.Encoding)}] = true
			}
			for k := range seen {
				if !stats[k] {
					t.Errorf("%s: a page of type %d encoded %d, not in the encoding stats %v", what, k[0], k[1], es)
				}
			}
		}
		// Ranges cut short or outside the file are errors.
		off, n, err := chunkRange(md, cc)
		if err != nil {
			t.Fatal(err)
		}
		size := md.GetSourceFileSize()
		for _, r := range [][2]int64{{off, n / 2}, {off, n - 1}, {off + 1, n - 1}} {
			if err := cp.resetRange(context.Background(), b, r[0], r[1], cc.NumValues(), cc.Compression()); err != nil {
				t.Fatal(err)
			}
			if err := drain(&cp); err == nil {
				t.Errorf("%s: the chunk's bytes [%d, +%d) of [%d, +%d) read without an error", what, r[0], r[1], off, n)
			}
		}
		if err := cp.resetRange(context.Background(), b, off, 1<<40, cc.NumValues(), cc.Compression()); err == nil {
			t.Errorf("%s: a chunk of 1 TiB read", what)
		}
		md.SetSourceFileSize(off + n/2)
		if _, _, err := chunkRange(md, cc); err == nil {
			t.Errorf("%s: a chunk at %d of %d bytes in a file of %d", what, off, n, off+n/2)
		}
		md.SetSourceFileSize(size)
	})
}

// drain reads every page of cp.
func drain(cp *chunkPages) error {
	for {
		p, err := cp.next()
		if p == nil || err != nil {
			return err
		}
	}
}

// TestCorruptPage flips bytes of the column chunks a selective query
// reads with chunkPages (the headers of their pages byte by byte, their
// bodies at random) and checks that the query then fails with an error
// naming the file and the column, or answers as before (a flip of a
// byte no reader looks at, such as a page's statistics), never panics.
func TestCorruptPage(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 41, Objects: 4, LinesPerObject: 300})
	out := filepath.Join(dir, "lake")
	convertTo(t, logs, out, convert.Options{PartitionBy: convert.None})
	path := lakeFiles(out)[0]
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := schema.Lookup("operation")
	scan := Scan{TimeText: true, Filters: []Filter{{Column: op, Op: OpLike, Match: func(v []byte) bool { return bytes.Contains(v, []byte("DELETE")) }}}}
	query := func() (map[string]string, error) {
		c := newCollector()
		_, err := Run(context.Background(), pipeline.Config{Workers: 1}, []string{out}, c, scan)
		return c.rows, err
	}
	want, err := query()
	if err != nil || len(want) < 20 {
		t.Fatalf("%d records, %v", len(want), err)
	}
	pr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	md := pr.MetaData()
	md.SetSourceFileSize(int64(len(orig)))
	pr.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	flips, failed := 0, 0
	for c := range md.Schema.NumColumns() {
		name := md.Schema.Column(c).Name()
		if name != "operation" && name != "requester" && name != "key" && name != "requestdatetime" {
			continue
		}
		cc, _ := md.RowGroup(0).ColumnChunk(c)
		off, n, err := chunkRange(md, cc)
		if err != nil {
			t.Fatal(err)
		}
		// The pages' headers: at the chunk's start and its data page.
		var at []int64
		for _, h := range []int64{off, cc.DataPageOffset()} {
			for i := range int64(48) {
				at = append(at, h+i)
			}
		}
		for range 24 {
			at = append(at, off+rng.Int64N(n))
		}
		for i, a := range at {
			b := bytes.Clone(orig)
			b[a] ^= byte(1) << (i % 8)
			if i%3 == 0 {
				b[a] ^= 0xff
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			flips++
			got, err := query()
			if err != nil {
				failed++
				if msg := err.Error(); !strings.Contains(msg, filepath.Base(path)) || !strings.Contains(msg, "column "+name) || strings.Contains(msg, "panic") {
					t.Errorf("%s, byte %d flipped: %v", name, a-off, err)
				}
				continue
			}
			sameRows(t, fmt.Sprintf("%s, byte %d of the chunk flipped", name, a-off), got, want)
		}
	}
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d flips failed the query; the others answered as before", failed, flips)
	if failed < flips/3 {
		t.Errorf("only %d of %d flips failed the query", failed, flips)
	}
}
