// Command peers runs the same log data and the same questions through
// s3logs (in-process, the query and sink packages), DuckDB (through its Go
// bindings, reading the log as space-delimited CSV with a typed view per
// SPEC §3) and GoAccess (lines/s only: it answers none of the questions),
// interleaved, several repetitions, and prints medians and ratios as a
// Markdown table. It then converts the log with s3logs (Parquet by day)
// and asks questions of that lake with s3logs and with DuckDB's
// read_parquet over the same files (SPEC §8), and times a selective
// question over the text and over the lake. It checks that the engines
// agree on every answer before printing any speed; --check-only stops
// there.
//
// It lives in its own module because the DuckDB bindings need cgo and the
// main module stays cgo-free.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/sink"
)

func main() {
	size := flag.Int64("size", 600, "`MB` of generated log data")
	reps := flag.Int("reps", 3, "repetitions of each measurement (medians are reported)")
	checkOnly := flag.Bool("check-only", false, "check that the answers agree and print no speeds")
	dir := flag.String("dir", "", "work `directory` (default a temporary one, removed at the end)")
	bin := flag.String("s3logs", "", "time this s3logs `binary` as a separate process (default: the packages in-process)")
	lakeOnly := flag.Bool("lake-only", false, "time only the questions over converted output (and the selective one over the text)")
	flag.Parse()
	if err := run(context.Background(), *size*1e6, *reps, *checkOnly, *dir, *bin, *lakeOnly, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// A question is asked of both engines; each answer is a multiset of rows,
// each row its values as text.
type question struct {
	name   string
	s3logs string  // SQL for s3logs; FROM logs, the source is the file
	duckdb string  // SQL for DuckDB over the view logs
	target float64 // the most s3logs may take, as a share of DuckDB's time
}

var questions = []question{
	{"group-by requester, sigv",
		"SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv",
		"SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv", 0.33},
	{"who deleted (selective filter)",
		"SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'",
		"SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'", 0.25},
	{"bytes by IP, one day",
		"SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-03 00:00:00' GROUP BY remoteip",
		"SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-03 00:00:00' GROUP BY remoteip", 0.5},
}

// duckView types the space-separated columns per SPEC §3. The time
// "[06/Feb/2019:00:00:38 +0000]" arrives as two columns; S3 always writes
// +0000, so the first is parsed as UTC.
const duckView = `CREATE VIEW logs AS SELECT
  bucketowner, bucket,
  strptime(substr(t1, 2), '%d/%b/%Y:%H:%M:%S') AS requestdatetime,
  nullif(remoteip, '-') AS remoteip, nullif(requester, '-') AS requester, requestid, operation,
  nullif(key, '-') AS key, nullif(request_uri, '-') AS request_uri,
  split_part(nullif(request_uri, '-'), ' ', 1) AS requesturi_operation,
  split_part(nullif(request_uri, '-'), ' ', 2) AS requesturi_key,
  split_part(nullif(request_uri, '-'), ' ', 3) AS requesturi_httpprotoversion,
  CAST(nullif(httpstatus, '-') AS INTEGER) AS httpstatus, nullif(errorcode, '-') AS errorcode,
  CAST(nullif(bytessent, '-') AS BIGINT) AS bytessent, CAST(nullif(objectsize, '-') AS BIGINT) AS objectsize,
  CAST(nullif(totaltime, '-') AS BIGINT) AS totaltime, CAST(nullif(turnaroundtime, '-') AS BIGINT) AS turnaroundtime,
  nullif(referrer, '-') AS referrer, nullif(useragent, '-') AS useragent, nullif(versionid, '-') AS versionid, hostid,
  nullif(sigv, '-') AS sigv, nullif(ciphersuite, '-') AS ciphersuite, nullif(authtype, '-') AS authtype,
  nullif(endpoint, '-') AS endpoint, nullif(tlsversion, '-') AS tlsversion, nullif(accesspointarn, '-') AS accesspointarn,
  nullif(aclrequired, '-') AS aclrequired, nullif(sourceregion, '-') AS sourceregion,
  filename AS log_object
FROM read_csv(%s, delim = ' ', quote = '"', escape = '"', header = false, auto_detect = false,
  null_padding = true, nullstr = '\x01', filename = true,
  columns = {'bucketowner': 'VARCHAR', 'bucket': 'VARCHAR', 't1': 'VARCHAR', 'tz': 'VARCHAR',
    'remoteip': 'VARCHAR', 'requester': 'VARCHAR', 'requestid': 'VARCHAR', 'operation': 'VARCHAR',
    'key': 'VARCHAR', 'request_uri': 'VARCHAR', 'httpstatus': 'VARCHAR', 'errorcode': 'VARCHAR',
    'bytessent': 'VARCHAR', 'objectsize': 'VARCHAR', 'totaltime': 'VARCHAR', 'turnaroundtime': 'VARCHAR',
    'referrer': 'VARCHAR', 'useragent': 'VARCHAR', 'versionid': 'VARCHAR', 'hostid': 'VARCHAR',
    'sigv': 'VARCHAR', 'ciphersuite': 'VARCHAR', 'authtype': 'VARCHAR', 'endpoint': 'VARCHAR',
    'tlsversion': 'VARCHAR', 'accesspointarn': 'VARCHAR', 'aclrequired': 'VARCHAR', 'sourceregion': 'VARCHAR'})`

type harness struct {
	bin     string // s3logs binary to time; "" times the packages in-process
	dir     string
	logFile string
	lakeDir string // the log converted, Parquet by day
	bytes   int64
	lines   int64
	db      *sql.DB
}

func run(ctx context.Context, size int64, reps int, checkOnly bool, dir, bin string, lakeOnly bool, out io.Writer) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "s3logs-peers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	h := &harness{bin: bin, dir: dir, logFile: filepath.Join(dir, "access.log")}
	if err := h.generate(size); err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the view lives in it
	h.db = db
	if _, err := db.ExecContext(ctx, strings.Replace(duckView, "%s", sqlString(h.logFile), 1)); err != nil {
		return fmt.Errorf("duckdb view: %w", err)
	}

	// Correctness first: every answer must agree before any speed.
	failed := 0
	for _, q := range questions {
		a, _, err := h.s3logsQuery(ctx, q.s3logs)
		if err != nil {
			return fmt.Errorf("s3logs %s: %w", q.name, err)
		}
		b, _, err := h.duckQuery(ctx, q.duckdb)
		if err != nil {
			return fmt.Errorf("duckdb %s: %w", q.name, err)
		}
		if h.bin != "" {
			n, err := h.binQueryRows(ctx, q.s3logs)
			if err != nil {
				return fmt.Errorf("s3logs binary %s: %w", q.name, err)
			}
			if n != len(a) {
				failed++
				fmt.Fprintf(out, "- DISAGREE %s: the s3logs binary printed %d rows, the query package %d\n", q.name, n, len(a))
				continue
			}
		}
		if d := diff(a, b); d != "" {
			failed++
			fmt.Fprintf(out, "- DISAGREE %s: %s\n", q.name, d)
		} else {
			fmt.Fprintf(out, "- agree %s: %d rows\n", q.name, len(a))
		}
	}
	cs, err := h.s3logsConvert(ctx)
	if err != nil {
		return fmt.Errorf("s3logs convert: %w", err)
	}
	cd, err := h.duckConvert(ctx, false)
	if err != nil {
		return fmt.Errorf("duckdb convert: %w", err)
	}
	if cs.rows != cd.rows || cs.rows != h.lines {
		failed++
		fmt.Fprintf(out, "- DISAGREE convert: s3logs %d rows, DuckDB %d rows, input %d lines\n", cs.rows, cd.rows, h.lines)
	} else {
		fmt.Fprintf(out, "- agree convert to zstd Parquet: %d rows\n", cs.rows)
	}
	if err := h.convertLake(ctx); err != nil {
		return fmt.Errorf("s3logs convert (lake): %w", err)
	}
	lf, err := h.checkLake(ctx, out)
	if err != nil {
		return err
	}
	failed += lf
	fmt.Fprintf(out, "\ncheck: %d passed, %d failed\n", len(questions)+1+2*len(lakeQuestions)-failed, failed)
	if failed > 0 {
		return errors.New("the engines disagree: no speeds printed")
	}
	if checkOnly {
		return nil
	}
	load := loadAverage()
	if !lakeOnly {
		if err := h.timeAll(ctx, reps, out); err != nil {
			return err
		}
	}
	if err := h.timeLake(ctx, reps, out); err != nil {
		return err
	}
	if load != "" {
		fmt.Fprintf(out, "\nLoad average (1, 5, 15 min) before the timings: %s; after: %s.\n", load, loadAverage())
	}
	return nil
}

// generate writes at least size bytes of generated logs, without the
// trap records (DuckDB's CSV reader cannot read quotes inside quoted fields
// and the like), as one file.
func (h *harness) generate(size int64) error {
	f, err := os.Create(h.logFile)
	if err != nil {
		return err
	}
	errEnough := errors.New("enough")
	var buf []byte
	err = gen.Generate(gen.Config{Seed: 1, TrapRate: -1, Objects: int(size/400_000) + 10, LinesPerObject: 1000}, func(o gen.Object) error {
		for _, r := range o.Records {
			buf = append(r.AppendLine(buf[:0]), '\n')
			if _, err := f.Write(buf); err != nil {
				return err
			}
			h.bytes += int64(len(buf))
			h.lines++
			if h.bytes >= size {
				return errEnough
			}
		}
		return nil
	})
	if cerr := f.Close(); err == nil || errors.Is(err, errEnough) {
		err = cerr
	}
	return err
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// rowSet collects rows as text.
type rowSet struct{ rows []string }

func (r *rowSet) Begin([]query.ResultColumn) error { return nil }
func (r *rowSet) End() error                       { return nil }
func (r *rowSet) WriteRow(vals []query.Value) error {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch v.Kind {
		case query.KindNull:
			parts[i] = "NULL"
		case query.KindTime:
			parts[i] = strconv.FormatInt(v.I, 10)
		default:
			parts[i] = v.String()
		}
	}
	r.rows = append(r.rows, strings.Join(parts, "|"))
	return nil
}

// s3logsQuery runs a query over the log file (h.s3logsOn).
func (h *harness) s3logsQuery(ctx context.Context, sqlText string) ([]string, time.Duration, error) {
	return h.s3logsOn(ctx, sqlText, h.logFile)
}

func (h *harness) duckQuery(ctx context.Context, sqlText string) ([]string, time.Duration, error) {
	t0 := time.Now()
	rows, err := h.db.QueryContext(ctx, sqlText)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case time.Time:
				parts[i] = strconv.FormatInt(v.Unix(), 10)
			case []byte:
				parts[i] = string(v)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, time.Since(t0), rows.Err()
}

// diff compares two row multisets and describes the first differences.
func diff(a, b []string) string {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	var d []string
	i, j := 0, 0
	for (i < len(a) || j < len(b)) && len(d) < 5 {
		switch {
		case j >= len(b) || i < len(a) && a[i] < b[j]:
			d = append(d, "only s3logs: "+a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			d = append(d, "only DuckDB: "+b[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprintf("%d vs %d rows; %s", len(a), len(b), strings.Join(d, "; "))
}

type convertResult struct {
	rows, bytes int64
	took        time.Duration
}

func (h *harness) s3logsConvert(ctx context.Context) (convertResult, error) {
	dir := filepath.Join(h.dir, "s3logs-parquet")
	if err := os.RemoveAll(dir); err != nil {
		return convertResult{}, err
	}
	t0 := time.Now()
	dest, err := sink.NewLocalDestination(dir)
	if err != nil {
		return convertResult{}, err
	}
	res, err := convert.Convert(ctx, dest, convert.Options{Format: sink.Parquet, Compression: "zstd", PartitionBy: convert.None}, pipeline.Config{}, []string{h.logFile})
	if err != nil {
		return convertResult{}, err
	}
	return convertResult{rows: res.Rows, bytes: res.Bytes, took: time.Since(t0)}, nil
}

// duckConvert writes the view as zstd Parquet. withLine adds log_line
// (row_number(), which s3logs writes too) so that the sizes compare the
// same columns; the timed run leaves it out as it serialises the scan.
// duckFile is the Parquet file DuckDB's COPY writes.
func (h *harness) duckFile() string { return filepath.Join(h.dir, "duckdb.parquet") }

func (h *harness) duckConvert(ctx context.Context, withLine bool) (convertResult, error) {
	file := h.duckFile()
	os.Remove(file)
	sel := "SELECT * FROM logs"
	if withLine {
		sel = "SELECT *, row_number() OVER () AS log_line FROM logs"
	}
	t0 := time.Now()
	if _, err := h.db.ExecContext(ctx, "COPY ("+sel+") TO "+sqlString(file)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return convertResult{}, err
	}
	took := time.Since(t0)
	fi, err := os.Stat(file)
	if err != nil {
		return convertResult{}, err
	}
	var n int64
	if err := h.db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+sqlString(file)+")").Scan(&n); err != nil {
		return convertResult{}, err
	}
	return convertResult{rows: n, bytes: fi.Size(), took: took}, nil
}

// timeQuery times one s3logs query over src: the binary when set (its CSV
// discarded), else in-process.
func (h *harness) timeQuery(ctx context.Context, sqlText, src string) (time.Duration, error) {
	if h.bin == "" {
		_, t, err := h.s3logsOn(ctx, sqlText, src)
		return t, err
	}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, h.bin, "query", "--format", "csv", sqlText, src)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return time.Since(t0), nil
}

// binQueryRows runs a query through the binary and counts its CSV rows
// (none of the answers holds a newline).
func (h *harness) binQueryRows(ctx context.Context, sqlText string) (int, error) {
	cmd := exec.CommandContext(ctx, h.bin, "query", "--format", "csv", sqlText, h.logFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return strings.Count(string(b), "\n") - 1, nil // less the header
}

// timeConvert times one s3logs conversion to zstd Parquet: the binary when
// set, else in-process.
func (h *harness) timeConvert(ctx context.Context) (convertResult, error) {
	if h.bin == "" {
		return h.s3logsConvert(ctx)
	}
	dir := filepath.Join(h.dir, "s3logs-parquet")
	if err := os.RemoveAll(dir); err != nil {
		return convertResult{}, err
	}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, h.bin, "convert", h.logFile, "--out", dir, "--partition-by", "none", "--quiet", "--no-progress")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return convertResult{}, fmt.Errorf("%w: %s", err, stderr.String())
	}
	r := convertResult{took: time.Since(t0), rows: h.lines}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			r.bytes += fi.Size()
		}
		return err
	})
	return r, err
}

// goaccess times GoAccess over the log; ok is false when it is not
// installed.
func (h *harness) goaccess(ctx context.Context) (time.Duration, bool, error) {
	bin, err := exec.LookPath("goaccess")
	if err != nil {
		return 0, false, nil
	}
	report := filepath.Join(h.dir, "goaccess.json")
	cmd := exec.CommandContext(ctx, bin, h.logFile, "--log-format=AWSS3", "--no-progress", "-o", report)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, true, fmt.Errorf("goaccess: %w", err)
	}
	return time.Since(t0), true, nil
}

// goaccessCounts reads the valid and failed request counts of the last
// GoAccess report.
func (h *harness) goaccessCounts() (valid, failed int64, err error) {
	b, err := os.ReadFile(filepath.Join(h.dir, "goaccess.json"))
	if err != nil {
		return 0, 0, err
	}
	var r struct {
		General struct {
			Valid  int64 `json:"valid_requests"`
			Failed int64 `json:"failed_requests"`
		} `json:"general"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, 0, fmt.Errorf("goaccess report: %w", err)
	}
	return r.General.Valid, r.General.Failed, nil
}

func goaccessVersion() string {
	b, err := exec.Command("goaccess", "--version").Output()
	if err != nil {
		return "version unknown"
	}
	l, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "."))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// timeAll runs every question through both engines, interleaved and with
// the order alternating, reps times, then prints the table.
func (h *harness) timeAll(ctx context.Context, reps int, out io.Writer) error {
	n := len(questions)
	ours := make([][]time.Duration, n+2) // questions, convert, group-by again for GoAccess
	theirs := make([][]time.Duration, n+1)
	var goacc []time.Duration
	var cs, cd convertResult
	for r := 0; r < reps; r++ {
		for i, q := range questions {
			var e1, e2 error
			var t1, t2 time.Duration
			if r%2 == 0 {
				t1, e1 = h.timeQuery(ctx, q.s3logs, h.logFile)
				_, t2, e2 = h.duckQuery(ctx, q.duckdb)
			} else {
				_, t2, e2 = h.duckQuery(ctx, q.duckdb)
				t1, e1 = h.timeQuery(ctx, q.s3logs, h.logFile)
			}
			if err := errors.Join(e1, e2); err != nil {
				return err
			}
			ours[i] = append(ours[i], t1)
			theirs[i] = append(theirs[i], t2)
		}
		var e1, e2 error
		cs, e1 = h.timeConvert(ctx)
		cd, e2 = h.duckConvert(ctx, false)
		if err := errors.Join(e1, e2); err != nil {
			return err
		}
		ours[n] = append(ours[n], cs.took)
		theirs[n] = append(theirs[n], cd.took)
		t, ok, err := h.goaccess(ctx)
		if err != nil {
			return err
		}
		if ok {
			goacc = append(goacc, t)
			t1, err := h.timeQuery(ctx, questions[0].s3logs, h.logFile)
			if err != nil {
				return err
			}
			ours[n+1] = append(ours[n+1], t1)
		}
	}

	full, err := h.duckConvert(ctx, true)
	if err != nil {
		return err
	}

	mb := float64(h.bytes) / 1e6
	how := "the s3logs packages in this process"
	if h.bin != "" {
		how = "the s3logs binary, one process per run (`s3logs query --format csv`, `s3logs convert --partition-by none`)"
	}
	fmt.Fprintf(out, "\ndata: %.0f MB, %d lines, generated (seed 1, no trap lines), one file; %d repetitions, medians; %d cores (GOMAXPROCS %d); s3logs timed as %s\n\n",
		mb, h.lines, reps, runtime.NumCPU(), runtime.GOMAXPROCS(0), how)
	fmt.Fprintln(out, "| question | s3logs | DuckDB | s3logs MB/s | DuckDB MB/s | s3logs time / DuckDB time | spread over the runs | target | met |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	// row prints the medians, their ratio and the lowest and highest ratio
	// of one repetition's pair of runs.
	row := func(name string, ours, theirs []time.Duration, target float64) {
		a, b := median(ours), median(theirs)
		ratio := a.Seconds() / b.Seconds()
		lo, hi := math.Inf(1), 0.0
		for i := range ours {
			r := ours[i].Seconds() / theirs[i].Seconds()
			lo, hi = min(lo, r), max(hi, r)
		}
		fmt.Fprintf(out, "| %s | %.2f s | %.2f s | %.0f | %.0f | %.2fx | %.2f–%.2fx | ≤ %.2fx | %s |\n", name, a.Seconds(), b.Seconds(),
			mb/a.Seconds(), mb/b.Seconds(), ratio, lo, hi, target, yesNo(ratio <= target))
	}
	for i, q := range questions {
		row(q.name, ours[i], theirs[i], q.target)
	}
	row("convert to zstd Parquet", ours[n], theirs[n], 0.40)
	fmt.Fprintf(out, "\n| Parquet (zstd), %d rows, %d columns | s3logs | DuckDB | s3logs / DuckDB | target | met |\n|---|---:|---:|---:|---:|---|\n", cs.rows, len(sink.OutputColumns()))
	for _, c := range []struct {
		name string
		r    convertResult
	}{{"DuckDB without log_line (timed above)", cd}, {"DuckDB with log_line (same columns)", full}} {
		ratio := float64(cs.bytes) / float64(c.r.bytes)
		fmt.Fprintf(out, "| %s | %.1f MB | %.1f MB | %.2f | ≤ 1.10 | %s |\n", c.name, float64(cs.bytes)/1e6, float64(c.r.bytes)/1e6, ratio, yesNo(ratio <= 1.1))
	}
	if len(goacc) > 0 {
		a, g := median(ours[n+1]), median(goacc)
		ratio := (float64(h.lines) / a.Seconds()) / (float64(h.lines) / g.Seconds())
		fmt.Fprintf(out, "\n| lines/s | s3logs (group-by) | GoAccess (AWSS3 report) | ratio | target | met |\n|---|---:|---:|---:|---:|---|\n")
		fmt.Fprintf(out, "| %d lines | %.2fM | %.2fM | %.1fx | ≥ 20x | %s |\n", h.lines, float64(h.lines)/a.Seconds()/1e6, float64(h.lines)/g.Seconds()/1e6, ratio, yesNo(ratio >= 20))
		valid, failed, err := h.goaccessCounts()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nGoAccess (%s) parsed %d lines and failed %d of the %d; its lines/s counts all of them.\n", goaccessVersion(), valid, failed, h.lines)
	} else {
		fmt.Fprintln(out, "\nGoAccess: not installed, not measured.")
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}
