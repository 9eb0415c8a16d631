package query

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/pipeline"
)

// TestLakeSkipFailedDropsFile: with SkipFailed, a converted file whose
// column chunk is damaged contributes no row to the answer, not the rows
// read before the damage nor a row with the damaged column NULL — even a
// file of one row group, which is read in one unit — and is listed as
// failed; the other files' rows are all there.
func TestLakeSkipFailedDropsFile(t *testing.T) {
	_, lake := lakeData(t, convert.Options{})
	const sql = "SELECT dt, key, requestid FROM logs"
	want, _ := runOn(t, sql, RunOptions{}, lake)
	var files []string
	filepath.WalkDir(lake, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, ".s3logs") {
			files = append(files, p)
		}
		return err
	})
	if len(files) < 2 {
		t.Fatalf("%d files", len(files))
	}
	bad := files[len(files)/2]
	pf, err := file.OpenParquetFile(bad, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := pf.NumRowGroups(); n != 1 {
		t.Fatalf("%s has %d row groups; the test wants a file read in one unit", bad, n)
	}
	md := pf.MetaData()
	col := md.Schema.ColumnIndexByName("requestid")
	cc, err := md.RowGroup(0).ColumnChunk(col)
	if err != nil {
		t.Fatal(err)
	}
	at := cc.DataPageOffset() + cc.TotalCompressedSize()/2
	// The request IDs of the file's rows, read by arrow-go before the
	// damage: the rows the answer must not have.
	ids := map[string]bool{}
	rd, err := pf.RowGroup(0).Column(col)
	if err != nil {
		t.Fatal(err)
	}
	n := int(pf.NumRows())
	vals, defs := make([]parquet.ByteArray, n), make([]int16, n)
	_, nv, err := rd.(*file.ByteArrayColumnChunkReader).ReadBatch(int64(n), vals, defs, nil)
	if err != nil || nv == 0 {
		t.Fatalf("reading %s: %d values, %v", bad, nv, err)
	}
	for _, v := range vals[:nv] {
		ids[string(v)] = true
	}
	pf.Close()
	data, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(64) {
		data[at+i] ^= 0x5a
	}
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range want {
		if f := strings.Split(r, "|"); !ids[f[len(f)-1]] {
			kept = append(kept, r)
		}
	}
	if len(kept) == len(want) || len(kept) == 0 {
		t.Fatalf("the damaged file %s holds %d of %d rows", bad, len(want)-len(kept), len(want))
	}
	p, err := Compile(sql, Options{Now: time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	st, err := p.Run(context.Background(), pipeline.Config{Workers: 3, SkipFailed: true}, []string{lake}, c, RunOptions{})
	if err != nil {
		t.Fatalf("SkipFailed: %v", err)
	}
	var got []string
	for _, r := range c.rows {
		got = append(got, strings.Join(r, "|"))
	}
	slices.Sort(got)
	slices.Sort(kept)
	if !slices.Equal(got, kept) {
		t.Errorf("SkipFailed over a lake with %s damaged: %d rows, want the other files' %d: %s", bad, len(got), len(kept), rowDiff(got, kept))
	}
	if f := st.Failed(); len(f) != 1 || f[0] != bad {
		t.Errorf("failed objects %q, want [%s]", f, bad)
	}
}
