package convert

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/filetest"
	"github.com/s3logs/s3logs/internal/s3test"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/sink"
)

// testDests returns destination makers for the protocol tests: a local
// directory, gofakes3 in process and, with external and
// S3LOGS_TEST_ENDPOINT, versitygw. Each call of a maker returns a new,
// empty location; its open opens it (again, as another process would).
type testDest struct {
	name string
	make func(t *testing.T) destLoc
}

type destLoc struct {
	loc      string
	endpoint string // S3
	open     func() sink.Destination
}

func testDests(t *testing.T, external bool) []testDest {
	var n atomic.Int64
	s3 := func(endpoint func(t *testing.T) (string, string)) func(t *testing.T) destLoc {
		return func(t *testing.T) destLoc {
			ep, bucket := endpoint(t)
			loc := fmt.Sprintf("s3://%s/case%d/", bucket, n.Add(1))
			return destLoc{loc, ep, func() sink.Destination {
				d, err := sink.OpenDestination(context.Background(), loc, awsconf.Options{Endpoint: ep})
				if err != nil {
					t.Fatal(err)
				}
				return d
			}}
		}
	}
	var fakeOnce sync.Once
	var fakeEP, fakeBucket string
	out := []testDest{
		{"local", func(t *testing.T) destLoc {
			dir := t.TempDir()
			return destLoc{dir, "", func() sink.Destination {
				d, err := sink.NewLocalDestination(dir)
				if err != nil {
					t.Fatal(err)
				}
				return d
			}}
		}},
		{"gofakes3", s3(func(t *testing.T) (string, string) {
			// The bucket is made before the runs start: gofakes3 makes one
			// on first use, and two runs using it at once can race there.
			fakeOnce.Do(func() { fakeEP = s3test.Server(t, nil); fakeBucket = s3test.Bucket(t, fakeEP) })
			return fakeEP, fakeBucket
		})},
	}
	if external {
		out = append(out, testDest{"versitygw", s3(func(t *testing.T) (string, string) {
			ep := s3test.External(t)
			return ep, s3test.Bucket(t, ep)
		})})
	}
	return out
}

// outputState reads what a reader of the destination sees: the output
// files listed in it (not through the manifest), their rows by
// "log_object:log_line", and the manifest.
func outputState(t *testing.T, d sink.Destination) (visible []string, rows map[string]int, m *Manifest) {
	t.Helper()
	ctx := context.Background()
	m, err := ReadManifest(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	names, err := d.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rows = map[string]int{}
	for _, n := range names {
		if strings.HasPrefix(n, ManifestDir+"/") {
			continue
		}
		visible = append(visible, n)
		data, err := d.ReadFile(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		cols, vals := filetest.ReadParquet(t, data)
		oi, li := -1, -1
		for i, c := range cols {
			switch c.Name {
			case "log_object":
				oi = i
			case "log_line":
				li = i
			}
		}
		for _, v := range vals {
			rows[fmt.Sprintf("%s:%d", v[oi], v[li])]++
		}
	}
	return visible, rows, m
}

// checkPartial: after a run died, every visible file is counted by the
// manifest and no record is visible twice.
func checkPartial(t *testing.T, d sink.Destination) {
	t.Helper()
	visible, rows, m := outputState(t, d)
	for _, n := range visible {
		if !m.Has(n) {
			t.Errorf("%s is visible but not in the manifest", n)
		}
	}
	for k, c := range rows {
		if c > 1 {
			t.Fatalf("%s: %d rows visible", k, c)
		}
	}
}

// checkFinal: every record of want exactly once, the visible files are
// exactly the manifest's, nothing unpublished, no unfinished upload, no
// run left behind.
func checkFinal(t *testing.T, d sink.Destination, want map[string]map[string]any) {
	t.Helper()
	ctx := context.Background()
	visible, rows, m := outputState(t, d)
	if len(rows) != len(want) {
		t.Errorf("%d distinct records in the output, want %d", len(rows), len(want))
	}
	filetest.ExactlyOnce(t, want, rows, 5)
	files := m.Files()
	if len(files) != len(visible) {
		t.Errorf("%d files visible, %d in the manifest", len(visible), len(files))
	}
	for _, f := range files {
		if !slices.Contains(visible, f.Name) {
			t.Errorf("%s is in the manifest but not visible", f.Name)
		}
	}
	if u := m.Unpublished(); len(u) > 0 {
		t.Errorf("batches left unpublished: %v", u)
	}
	if un, err := d.Unfinished(ctx); err != nil || len(un) > 0 {
		t.Errorf("unfinished uploads left: %v (%v)", un, err)
	}
	if runs, err := d.Runs(ctx); err != nil || len(runs) > 0 {
		t.Errorf("runs left behind: %v (%v)", runs, err)
	}
}

// errCrashed is what a crashed destination answers.
var errCrashed = errors.New("crashed")

// crashDest is a destination that dies at the at-th call of op (before the
// call, or right after it succeeded): from then on every call fails, as
// if the process had been killed there. Join passes through, and its
// release still runs, as the kernel releases a killed process's lock.
type crashDest struct {
	sink.Destination
	op    string
	at    int
	after bool

	mu      sync.Mutex
	n       int
	crashed bool
}

func opOf(method, name string) string {
	if method != "create" {
		return method
	}
	switch {
	case strings.HasPrefix(name, logDir+"/"):
		return "log"
	case strings.HasPrefix(name, checkpointDir+"/"):
		return "checkpoint"
	}
	return "create"
}

func (d *crashDest) do(op string, f func() error) error {
	d.mu.Lock()
	if d.crashed {
		d.mu.Unlock()
		return errCrashed
	}
	hit := false
	if op == d.op {
		d.n++
		hit = d.n == d.at
	}
	if hit && !d.after {
		d.crashed = true
		d.mu.Unlock()
		return errCrashed
	}
	d.mu.Unlock()
	err := f()
	if hit {
		d.mu.Lock()
		d.crashed = true
		d.mu.Unlock()
		return errCrashed
	}
	return err
}

func (d *crashDest) Stage(ctx context.Context, local, name string) (s sink.Staged, err error) {
	err = d.do("stage", func() error { s, err = d.Destination.Stage(ctx, local, name); return err })
	return s, err
}
func (d *crashDest) Publish(ctx context.Context, s sink.Staged) error {
	return d.do("publish", func() error { return d.Destination.Publish(ctx, s) })
}
func (d *crashDest) Discard(ctx context.Context, s sink.Staged) error {
	return d.do("discard", func() error { return d.Destination.Discard(ctx, s) })
}
func (d *crashDest) Create(ctx context.Context, name string, data []byte) error {
	return d.do(opOf("create", name), func() error { return d.Destination.Create(ctx, name, data) })
}
func (d *crashDest) WriteFile(ctx context.Context, name string, data []byte) error {
	return d.do("write", func() error { return d.Destination.WriteFile(ctx, name, data) })
}
func (d *crashDest) Remove(ctx context.Context, name string) error {
	return d.do("remove", func() error { return d.Destination.Remove(ctx, name) })
}
func (d *crashDest) Clean(ctx context.Context, run string) (ok bool, err error) {
	err = d.do("clean", func() error { ok, err = d.Destination.Clean(ctx, run); return err })
	return ok, err
}
func (d *crashDest) ReadFile(ctx context.Context, name string) (b []byte, err error) {
	err = d.do("read", func() error { b, err = d.Destination.ReadFile(ctx, name); return err })
	return b, err
}
func (d *crashDest) ListAfter(ctx context.Context, dir, after string) (fi []sink.FileInfo, err error) {
	err = d.do("list", func() error { fi, err = d.Destination.ListAfter(ctx, dir, after); return err })
	return fi, err
}
func (d *crashDest) Unfinished(ctx context.Context) (s []sink.Staged, err error) {
	err = d.do("list", func() error { s, err = d.Destination.Unfinished(ctx); return err })
	return s, err
}

// protocolOptions makes many small batches and checkpoints.
func protocolOptions() Options {
	return Options{CommitBytes: 24 << 10, TargetFileSize: 32 << 10, RowGroupRows: 200, ckptEvery: 3}
}

// TestCrashAnywhere kills a conversion at each of the first calls of each
// step of the commit protocol (staging, the log entry, publishing, the
// checkpoint), before and after the step, and runs it again: after the
// crash no file is visible that the manifest does not count and no record
// is visible twice; after the re-run every record is there exactly once
// and nothing is left behind (staged files, uploads, run directories).
func TestCrashAnywhere(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 50, 3, 300)
	pcfg := pipeline.Config{Workers: 2, BlockSize: 8 << 10}
	for _, td := range testDests(t, false) {
		t.Run(td.name, func(t *testing.T) {
			for _, op := range []string{"stage", "log", "publish", "checkpoint"} {
				for _, after := range []bool{false, true} {
					for _, at := range []int{1, 2, 3, 5} {
						open := td.make(t).open
						// One run at a time: log entries can go as soon as a
						// checkpoint covers them.
						opts := protocolOptions()
						opts.logRetention = time.Nanosecond
						cd := &crashDest{Destination: open(), op: op, at: at, after: after}
						_, err := Convert(context.Background(), cd, opts, pcfg, []string{src})
						if !cd.crashed {
							if err != nil {
								t.Fatalf("%s %d: %v", op, at, err)
							}
							break // fewer calls than at
						}
						if !errors.Is(err, errCrashed) {
							t.Fatalf("%s %d (after %v): %v, want the crash", op, at, after, err)
						}
						d := open()
						checkPartial(t, d)
						if _, err := Convert(context.Background(), d, opts, pcfg, []string{src}); err != nil {
							t.Fatalf("re-run after a crash at %s %d (after %v): %v", op, at, after, err)
						}
						checkFinal(t, d, want)
						if t.Failed() {
							t.Fatalf("after a crash at %s %d (after %v)", op, at, after)
						}
					}
				}
			}
		})
	}
}

// TestConcurrentConverts runs two conversions of the same sources into one
// destination at once: whatever the timing, every record is there exactly
// once, and what one run committed first the other drops and redoes.
// Shards converting at once into one destination never conflict.
func TestConcurrentConverts(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 60, 6, 400)
	pcfg := pipeline.Config{Workers: 2, BlockSize: 8 << 10}
	for _, td := range testDests(t, true) {
		t.Run(td.name, func(t *testing.T) {
			conflicts := 0
			for try := range 2 {
				open := td.make(t).open
				var wg sync.WaitGroup
				res := make([]*Result, 2)
				errs := make([]error, 2)
				for i := range 2 {
					wg.Go(func() {
						res[i], errs[i] = Convert(context.Background(), open(), protocolOptions(), pcfg, []string{src})
					})
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("try %d, run %d: %v", try, i, err)
					}
					conflicts += res[i].Conflicts
				}
				d := open()
				checkFinal(t, d, want)
				if rows := res[0].Rows + res[1].Rows; rows != int64(len(want)) {
					t.Errorf("the runs wrote %d rows, want %d", rows, len(want))
				}
			}
			t.Logf("%d batches dropped for conflicts in 2 tries", conflicts)

			open := td.make(t).open
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					cfg := pcfg
					cfg.Shard, cfg.Shards = i, 3
					r, err := Convert(context.Background(), open(), protocolOptions(), cfg, []string{src})
					if err != nil {
						t.Errorf("shard %d: %v", i, err)
					} else if r.Conflicts > 0 {
						t.Errorf("shard %d: %d conflicts", i, r.Conflicts)
					}
				})
			}
			wg.Wait()
			d := open()
			checkFinal(t, d, want)
			// An unsharded re-run finds everything converted.
			r, err := Convert(context.Background(), d, protocolOptions(), pcfg, []string{src})
			if err != nil || r.Stats.Read.Load() != 0 || r.Rows != 0 {
				t.Errorf("re-run after the shards: %v, read %d objects, wrote %d rows", err, r.Stats.Read.Load(), r.Rows)
			}
		})
	}
}

// TestSourceIdentity: the same source spelled another way (relative,
// absolute, through a symbolic link, with ./ and ..) is the same source.
func TestSourceIdentity(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "logs")
	want := writeObjects(t, src, 70, 3, 200)
	d, _ := sink.NewLocalDestination(filepath.Join(root, "out"))
	if _, err := Convert(context.Background(), d, Options{}, pipeline.Config{Workers: 2}, []string{src}); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := symlinkDir(src, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	for _, spelling := range []string{"logs", "./logs/", link, filepath.Join(root, "logs", "..", "logs"), path.Join("link", ".")} {
		res, err := Convert(context.Background(), d, Options{}, pipeline.Config{Workers: 2}, []string{spelling})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.Listed.Load() != 3 || res.Stats.Read.Load() != 0 || res.Rows != 0 {
			t.Errorf("%s: listed %d objects, read %d, wrote %d rows; want 3 listed and nothing done", spelling,
				res.Stats.Listed.Load(), res.Stats.Read.Load(), res.Rows)
		}
	}
	_, rows, _ := outputState(t, d)
	if len(rows) != len(want) {
		t.Errorf("%d records, want %d", len(rows), len(want))
	}
}

func symlinkDir(target, link string) error { return os.Symlink(target, link) }

// TestFenced: a run that cannot keep its heartbeat fresh (it seems dead
// though it runs) is fenced by the next run, which publishes what it
// committed and drops what it staged; the fenced run's next commit is
// refused, and a final run leaves every record exactly once.
func TestFenced(t *testing.T) {
	src := filepath.Join(t.TempDir(), "logs")
	want := writeObjects(t, src, 110, 12, 800)
	var slow atomic.Bool
	slow.Store(true)
	var beats atomic.Int64
	ep := s3test.Server(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/.s3logs/runs/stalled@") && beats.Add(1) > 1 {
				// Its first beat registers it; the later ones are lost.
				http.Error(w, "injected", http.StatusForbidden)
				return
			}
			if slow.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "part-stalled") {
				time.Sleep(300 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	})
	aws := awsconf.Options{Endpoint: ep}
	open := func() sink.Destination {
		d, err := sink.OpenDestination(context.Background(), "s3://fence-bucket/out/", aws)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	pcfg := pipeline.Config{Workers: 2, BlockSize: 8 << 10}
	opts := protocolOptions()
	opts.Lease = time.Second
	stalled := opts
	stalled.RunID = "stalled"
	errA := make(chan error, 1)
	da := open()
	go func() {
		_, err := Convert(context.Background(), da, stalled, pcfg, []string{src})
		errA <- err
	}()
	// Once the stalled run has committed and its heartbeat is older than
	// its lease, a second run, as on another machine (its own temporary
	// directory: it cannot see the stalled run's local lock), takes it for
	// dead.
	t.Setenv("TMPDIR", t.TempDir())
	d := open()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if m, err := ReadManifest(context.Background(), d); err == nil && m.Entries() >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stalled run never committed")
		}
	}
	time.Sleep(opts.Lease + 2500*time.Millisecond)
	res, err := Convert(context.Background(), open(), opts, pcfg, []string{src})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}

	slow.Store(false)
	if err := <-errA; !errors.Is(err, ErrFenced) {
		t.Errorf("the stalled run ended with %v, want ErrFenced", err)
	}
	t.Logf("second run: %d batches of the stalled run published, %d uploads aborted", res.Recovered, res.Aborted)
	if res.Recovered == 0 {
		t.Error("the second run published none of the stalled run's batches")
	}
	if _, err := Convert(context.Background(), d, opts, pcfg, []string{src}); err != nil {
		t.Fatal(err)
	}
	checkFinal(t, d, want)
}
