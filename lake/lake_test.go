package lake

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// collector is a consumer that keeps every record it is handed as the
// text of every schema column, read through the columns' accessors, keyed
// by log object and line. It reads log objects (Records) and converted
// output (LakeRecords) the same way.
type collector struct {
	mu      sync.Mutex
	rows    map[string]string
	commits int
	drops   int
	// used, when set, limits the columns kept; skipOrigin keeps the rows
	// in list (as a multiset) instead of by log object and line.
	used       []bool
	skipOrigin bool
	list       []string
}

type cpart struct {
	c    *collector
	name string
	rows map[string]string
	list []string
}

func newCollector() *collector { return &collector{rows: map[string]string{}} }

func (c *collector) NewPart(_ int, o *pipeline.Object, _ bool) pipeline.Part {
	return &cpart{c: c, name: o.Name, rows: map[string]string{}}
}

func (c *collector) Commit(_ int, p pipeline.Part) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, p.(*cpart).list...)
	for k, v := range p.(*cpart).rows {
		if _, dup := c.rows[k]; dup {
			return fmt.Errorf("record %s handed on twice", k)
		}
		c.rows[k] = v
	}
	c.commits++
	return nil
}

func (c *collector) Drop(pipeline.Part) {
	c.mu.Lock()
	c.drops++
	c.mu.Unlock()
}

// rowText is every column of r (those of used, when set) as text: NULL,
// or the value.
func rowText(r *parse.Record, o *schema.Origin, used []bool) string {
	var b strings.Builder
	fieldUsed := map[parse.Field]bool{}
	for i := range schema.Columns {
		c := &schema.Columns[i]
		if used != nil && !used[i] {
			continue
		}
		fieldUsed[c.Field] = c.Source == schema.FromField
		v, n, ok := c.Value(r, o)
		switch {
		case !ok:
			b.WriteString("NULL")
		case c.Type == schema.String:
			b.Write(v)
		default:
			fmt.Fprint(&b, n)
		}
		b.WriteByte('|')
	}
	// The string view of typed columns: their text as logged.
	for _, f := range []parse.Field{parse.Time, parse.HTTPStatus, parse.BytesSent, parse.ObjectSize, parse.TotalTime, parse.TurnAroundTime} {
		if used != nil && !fieldUsed[f] {
			continue
		}
		v, ok := r.Value(f)
		fmt.Fprintf(&b, "%s:%v|", v, ok)
	}
	return b.String()
}

func (p *cpart) add(r *parse.Record, o *schema.Origin) {
	if p.c.skipOrigin {
		p.list = append(p.list, rowText(r, o, p.c.used))
		return
	}
	p.rows[fmt.Sprintf("%s:%d", o.Object, o.Line)] = rowText(r, o, p.c.used)
}

func (p *cpart) Records(sc *parse.Scanner) error {
	o := schema.Origin{Object: []byte(p.name)}
	for sc.Scan() {
		o.Line = sc.LineNumber()
		p.add(sc.Record(), &o)
	}
	return nil
}

func (p *cpart) LakeRecords(rs *Records) error {
	var o schema.Origin
	for rs.Scan() {
		rs.Origin(&o)
		p.add(rs.Record(), &o)
	}
	return nil
}

func (p *cpart) EndChunk(int64, int64, int) error { return nil }

// genLogs writes generated log objects under dir and returns the
// directory.
func genLogs(t testing.TB, dir string, cfg gen.Config) string {
	t.Helper()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	err := gen.Generate(cfg, func(o gen.Object) error {
		return os.WriteFile(filepath.Join(logs, filepath.Base(o.Key)), o.Bytes(), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return logs
}

// convertTo converts logs into out with opts.
func convertTo(t testing.TB, logs, out string, opts convert.Options) {
	t.Helper()
	dest, err := sink.NewLocalDestination(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(context.Background(), dest, opts, pipeline.Config{}, []string{logs}); err != nil {
		t.Fatal(err)
	}
}

// lakeFiles lists the data files (.parquet, not the manifest's) of the
// lake at dir, in walk order.
func lakeFiles(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, ".s3logs") {
			files = append(files, p)
		}
		return err
	})
	return files
}

// sameRows fails unless got holds exactly want's records.
func sameRows(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s:\n  text %s\n  lake %s", k, w, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: %d of %d records differ; first:\n%s", what, len(diffs), len(want), strings.Join(diffs[:min(5, len(diffs))], "\n"))
	}
}

// TestLakeReadsAsText converts generated logs, with 5% of real-world
// oddities (FORMAT.md's traps), to Parquet and to Arrow, partitioned and
// not, and checks that every record read from the lake
// answers every column (derived ones and the string view included) as
// the record parsed from the text does.
func TestLakeReadsAsText(t *testing.T) {
	dir := t.TempDir()
	logs := genLogs(t, dir, gen.Config{Seed: 7, Objects: 12, LinesPerObject: 300, TrapRate: 0.05})
	text := newCollector()
	if _, err := pipeline.Run(context.Background(), pipeline.Config{}, []string{logs}, text); err != nil {
		t.Fatal(err)
	}
	if len(text.rows) < 3000 {
		t.Fatalf("only %d records", len(text.rows))
	}
	for _, tc := range []struct {
		name string
		opts convert.Options
	}{
		{"parquet by day", convert.Options{RowGroupRows: 500}},
		{"parquet by hour", convert.Options{PartitionBy: convert.ByHour}},
		{"parquet unpartitioned, snappy", convert.Options{PartitionBy: convert.None, Compression: "snappy"}},
		{"arrow by day", convert.Options{Format: sink.Arrow, RowGroupRows: 700}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			convertTo(t, logs, out, tc.opts)
			lake := newCollector()
			if _, err := Run(context.Background(), pipeline.Config{}, []string{out}, lake, Scan{TimeText: true}); err != nil {
				t.Fatal(err)
			}
			want := text.rows
			if tc.opts.PartitionBy == convert.ByHour {
				// dt is the directory's value: the hour of the
				// request time, as the text gives it.
				want = map[string]string{}
				i, _ := schema.Lookup("dt")
				ti, _ := schema.Lookup("requestdatetime")
				for k, w := range text.rows {
					u, err := strconv.ParseInt(field(w, ti), 10, 64)
					if err != nil {
						t.Fatalf("%s: requestdatetime %q", k, field(w, ti))
					}
					want[k] = replaceField(w, i, time.Unix(u, 0).UTC().Format("2006-01-02-15"))
				}
			}
			sameRows(t, tc.name, lake.rows, want)
		})
	}
}

func field(row string, i int) string { return strings.Split(row, "|")[i] }

func replaceField(row string, i int, v string) string {
	fs := strings.Split(row, "|")
	fs[i] = v
	return strings.Join(fs, "|")
}
