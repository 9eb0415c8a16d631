// Package report answers the standard security and operations questions
// about S3 server access logs (AWS's access-log guidance) in one pass over
// the logs, and renders the answers as a self-contained HTML page, Markdown
// or JSON.
//
// Every table of the report carries the SQL that reproduces it with
// `s3logs query`, so a reader can audit any number; the report itself
// computes all sections in a single scan with per-worker aggregates,
// because the query engine runs one statement per scan.
package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/s3logs/s3logs/lake"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// Config controls Build. The zero value is usable.
type Config struct {
	// Pipeline configures the read (workers, concurrency, AWS, lateness).
	// Its Window is replaced by Window below. Set Pipeline.Stats to watch
	// the run's counters (objects, bytes, lines, rejects) while it goes on.
	Pipeline pipeline.Config
	// Window bounds the report to records with From <= time < To; zero ends
	// are unbounded. It also prunes log objects by key time (SPEC §5).
	Window pipeline.Window
	// TopN is the number of rows of each ranked table. Default 20.
	TopN int
	// MaxGroups bounds the distinct values each per-worker aggregate keeps
	// (memory stays bounded on high-cardinality keys such as object keys);
	// values past it are counted under "(other)" and the table is marked
	// approximate. Default 1<<18.
	MaxGroups int
	// Now is the report's generation time. Default time.Now().
	Now time.Time
}

// Report is the result of Build: a header and its sections, in order.
// It is plain data (and JSON-serialisable); render it with WriteHTML,
// WriteMarkdown or WriteJSON.
type Report struct {
	Title     string          `json:"title"`
	Generated time.Time       `json:"generated"`
	Sources   []string        `json:"sources"`
	Window    pipeline.Window `json:"window"`
	// First and Last are the oldest and newest record times in the window
	// (zero when there are none).
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Records  int64     `json:"records"`  // valid records in the window
	Lines    int64     `json:"lines"`    // non-empty lines read
	Rejected int64     `json:"rejected"` // malformed lines
	Objects  int64     `json:"objects"`  // log objects read
	// Buckets and Owners are the scope: the buckets the records are of and
	// their owners' canonical user IDs.
	Buckets []string `json:"buckets"`
	Owners  []string `json:"owners"`
	// Tool and Command say what made the report: the s3logs version and
	// the command line, set by the caller (empty when not).
	Tool     string    `json:"tool,omitempty"`
	Command  string    `json:"command,omitempty"`
	Sections []Section `json:"sections"`
}

// Section is one question the report answers.
type Section struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Question string  `json:"question"`
	Stats    []Stat  `json:"stats"`
	Charts   []Chart `json:"charts,omitempty"`
	Tables   []Table `json:"tables"`
}

// Stat is one headline number of a section.
type Stat struct {
	Label string `json:"label"`
	Value int64  `json:"value"`
	Bytes bool   `json:"bytes,omitempty"` // Value is a byte count
}

// Table is one result table with the SQL that reproduces it.
type Table struct {
	Caption string   `json:"caption"`
	SQL     string   `json:"sql"`
	Note    string   `json:"note,omitempty"`
	Columns []Column `json:"columns"`
	// Rows hold string (empty for NULL), int64 or time.Time cells.
	Rows [][]any `json:"rows"`
	// Groups is how many rows the full result has; Rows holds the first
	// TopN of them.
	Groups int64 `json:"groups"`
	// Approximate is set when a worker's aggregate overflowed MaxGroups.
	Approximate bool `json:"approximate,omitempty"`
}

// Column describes a table column.
type Column struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // "string", "int", "bytes" or "time"
	Label string `json:"label"`
}

// Chart is a chart of a section: either time series (stacked bars over
// time buckets) or ranked bars.
type Chart struct {
	Title string `json:"title"`
	// Desc is the text alternative: what the chart shows, in words.
	Desc string `json:"desc"`
	// Kind is "time" (stacked bars per Bucket) or "bars" (one bar per Label).
	Kind   string   `json:"kind"`
	Bucket string   `json:"bucket,omitempty"` // "hour" or "day" for time charts
	Times  []int64  `json:"times,omitempty"`  // bucket start, Unix seconds
	Labels []string `json:"labels,omitempty"` // bar labels for "bars"
	Series []Series `json:"series"`
	Bytes  bool     `json:"bytes,omitempty"`
}

// Series is one stacked series of a Chart; Values align with Times or
// Labels.
type Series struct {
	Name   string  `json:"name"`
	Values []int64 `json:"values"`
}

// Build reads every object of sources once and computes every section.
// The returned Stats are those of the pipeline run (nil only if the run
// could not start).
func Build(ctx context.Context, cfg Config, sources []string) (*Report, *pipeline.Stats, error) {
	if cfg.TopN <= 0 {
		cfg.TopN = 20
	}
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = 1 << 18
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	pc := cfg.Pipeline
	pc.Window = cfg.Window
	if pc.Workers <= 0 {
		pc.Workers = pipeline.DefaultWorkers()
	}
	sc := &scan{max: cfg.MaxGroups, topN: cfg.TopN, accs: make([]*acc, pc.Workers)}
	sc.from, sc.to = bounds(cfg.Window)
	for i := range sc.accs {
		sc.accs[i] = newAcc(cfg.MaxGroups, cfg.TopN)
	}
	st, err := lake.Run(ctx, pc, sources, sc, lakeScan(cfg.Window))
	if err != nil {
		return nil, st, err
	}
	accs := sc.accs
	total := accs[0]
	for _, a := range accs[1:] {
		total.merge(a)
	}
	rep := &Report{
		Title:     "S3 access log report",
		Generated: cfg.Now.UTC().Truncate(time.Second),
		Sources:   append([]string(nil), sources...),
		Window:    cfg.Window,
		Records:   total.records,
		Lines:     st.Lines.Load(),
		Rejected:  st.Rejected.Load(),
		Objects:   st.Read.Load(),
	}
	if total.records > 0 {
		rep.First = time.Unix(total.first, 0).UTC()
		rep.Last = time.Unix(total.last, 0).UTC()
	}
	rep.Buckets, rep.Owners = total.scopeOf()
	rep.Sections = sections(total, cfg, rep)
	return rep, st, nil
}

// scan is the report's pipeline.Consumer: one aggregate per worker,
// and one per part of an object read in several chunks, merged when the
// object was read whole.
type scan struct {
	max, topN int
	from, to  int64
	accs      []*acc
}

// part is a worker's aggregate of one object's records in the window.
type part struct {
	s   *scan
	acc *acc
	own bool // acc is the part's own, merged at Commit
}

func (s *scan) NewPart(w int, _ *pipeline.Object, whole bool) pipeline.Part {
	if whole {
		return &part{s: s, acc: s.accs[w]}
	}
	return &part{s: s, acc: newAcc(s.max, s.topN), own: true}
}

func (s *scan) Commit(w int, pp pipeline.Part) error {
	if p := pp.(*part); p.own {
		s.accs[w].merge(p.acc)
	}
	return nil
}

func (s *scan) Drop(pipeline.Part) {}

// RelativeLines: the report reads no line numbers (pipeline.RelativeLines).
func (s *scan) RelativeLines() bool { return true }

func (p *part) Records(sc *parse.Scanner) error { return p.add(sc) }

// LakeRecords aggregates the records of a unit of converted output, as
// Records does for log text.
func (p *part) LakeRecords(rs *lake.Records) error { return p.add(rs) }

// records is what both sources of records share: parse.Scanner over log
// text, lake.Records over converted output.
type records interface {
	Scan() bool
	Record() *parse.Record
}

// add aggregates the records of rs in the window.
func (p *part) add(rs records) error {
	from, to, a := p.s.from, p.s.to, p.acc
	for rs.Scan() {
		r := rs.Record()
		if t := r.Unix(); t >= from && t < to {
			a.add(r, t)
		}
	}
	return nil
}

func (p *part) EndChunk(int64, int64, int) error { return nil }

// lakeScan is what the report reads of converted output: the columns acc
// reads, and the window (half-open) as a time range.
func lakeScan(w pipeline.Window) lake.Scan {
	used := make([]bool, len(schema.Columns))
	for _, f := range accFields {
		for i, c := range schema.Columns {
			if c.Source == schema.FromField && c.Field == f {
				used[i] = true
			}
		}
	}
	s := lake.Scan{Columns: used}
	if w.Bounded() {
		from, to := bounds(w)
		i, _ := schema.Lookup("requestdatetime")
		s.Filters = append(s.Filters, lake.Filter{Column: i, Op: lake.OpRange, Lo: from, Hi: to - 1, Text: "request time within the report's window"})
	}
	return s
}

// bounds returns the window as a half-open range of Unix seconds.
func bounds(w pipeline.Window) (from, to int64) {
	from, to = -1<<62, 1<<62
	if !w.From.IsZero() {
		from = w.From.Unix()
	}
	if !w.To.IsZero() {
		to = w.To.Unix()
	}
	return from, to
}

// WhereWindow returns the SQL condition that bounds requestdatetime to w
// (From inclusive, To exclusive), or "" when w is unbounded.
func WhereWindow(w pipeline.Window) string {
	var parts []string
	if !w.From.IsZero() {
		parts = append(parts, fmt.Sprintf("requestdatetime >= TIMESTAMP '%s'", w.From.UTC().Format(time.DateTime)))
	}
	if !w.To.IsZero() {
		parts = append(parts, fmt.Sprintf("requestdatetime < TIMESTAMP '%s'", w.To.UTC().Format(time.DateTime)))
	}
	return strings.Join(parts, " AND ")
}
