package sink

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/internal/s3test"
)

// fakeS3 starts gofakes3 on loopback, optionally behind wrap, and returns
// the AWS options that reach it.
func fakeS3(t testing.TB, wrap func(http.Handler) http.Handler) awsconf.Options {
	t.Helper()
	return awsconf.Options{Endpoint: s3test.Server(t, wrap)}
}

// destinations returns the destinations the protocol tests run against: a
// local directory, gofakes3 (which honours If-None-Match on PutObject) and,
// when S3LOGS_TEST_ENDPOINT names it, versitygw.
func destinations(t *testing.T) map[string]func(t *testing.T) Destination {
	return map[string]func(t *testing.T) Destination{
		"local": func(t *testing.T) Destination {
			d, err := NewLocalDestination(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"gofakes3": func(t *testing.T) Destination {
			d, err := OpenDestination(context.Background(), "s3://dest-bucket/out/", fakeS3(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"versitygw": func(t *testing.T) Destination {
			ep := s3test.External(t)
			b := s3test.Bucket(t, ep)
			d, err := OpenDestination(context.Background(), "s3://"+b+"/out/", awsconf.Options{Endpoint: ep})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
	}
}

// TestCreateExclusive: of many concurrent Creates of one name exactly one
// succeeds, the others fail with ErrExist, and the name holds the
// winner's data whole.
func TestCreateExclusive(t *testing.T) {
	for name, open := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			ctx := context.Background()
			const n = 16
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					errs[i] = d.Create(ctx, "_manifest/log/00000000000000000001.json", bytes.Repeat([]byte{byte('a' + i)}, 100_000))
				})
			}
			wg.Wait()
			won := -1
			for i, err := range errs {
				switch {
				case err == nil && won >= 0:
					t.Fatalf("writers %d and %d both created the name", won, i)
				case err == nil:
					won = i
				case !errors.Is(err, ErrExist):
					t.Fatalf("writer %d: %v, want ErrExist", i, err)
				}
			}
			if won < 0 {
				t.Fatal("no writer created the name")
			}
			got, err := d.ReadFile(ctx, "_manifest/log/00000000000000000001.json")
			if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte('a' + won)}, 100_000)) {
				t.Fatalf("read back %d bytes (%v), want the winner's", len(got), err)
			}
			if _, err := d.ReadFile(ctx, "_manifest/log/missing.json"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("reading a missing name: %v, want fs.ErrNotExist", err)
			}
			// ListAfter sees only what sorts after its start, and no
			// sub-directories.
			for i := 2; i <= 4; i++ {
				if err := d.Create(ctx, fmt.Sprintf("_manifest/log/%020d.json", i), []byte("{}")); err != nil {
					t.Fatal(err)
				}
			}
			d.WriteFile(ctx, "_manifest/log/sub/x.json", []byte("{}"))
			infos, err := d.ListAfter(ctx, "_manifest/log", fmt.Sprintf("%020d.json", 2))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, fi := range infos {
				names = append(names, fi.Name)
				if time.Since(fi.ModTime) > time.Hour || fi.Size != 2 {
					t.Errorf("%s: modified %v, size %d", fi.Name, fi.ModTime, fi.Size)
				}
			}
			if want := "_manifest/log/00000000000000000003.json _manifest/log/00000000000000000004.json"; strings.Join(names, " ") != want {
				t.Errorf("ListAfter: %q, want %q", names, want)
			}
		})
	}
}

// TestStagePublish: a staged file is invisible until published; publishing
// twice is fine; a discarded file cannot be published, and unfinished
// uploads are listed until completed or aborted.
func TestStagePublish(t *testing.T) {
	for name, open := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			ctx := context.Background()
			tmp, release, err := d.Join(ctx, "run1", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			data := make([]byte, S3PartSize+12345) // two parts on S3
			rand.Read(data)
			local := filepath.Join(tmp, "part-run1-0-1.parquet")
			os.WriteFile(local, data, 0o600)
			st, err := d.Stage(ctx, local, "dt=2024-01-01/part-run1-0-1.parquet")
			if err != nil {
				t.Fatal(err)
			}
			if names, _ := d.List(ctx, ""); len(names) != 0 {
				t.Fatalf("staged file visible: %v", names)
			}
			if _, ok := d.(*S3Destination); ok {
				un, err := d.Unfinished(ctx)
				if err != nil || len(un) != 1 || un[0].Name != st.Name || un[0].Upload != st.Upload {
					t.Fatalf("unfinished %v (%v), want the staged upload", un, err)
				}
			}
			if err := d.Publish(ctx, st); err != nil {
				t.Fatal(err)
			}
			if err := d.Publish(ctx, st); err != nil {
				t.Errorf("publishing again: %v", err)
			}
			got, err := d.ReadFile(ctx, st.Name)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (%v), want the %d staged", len(got), err, len(data))
			}
			os.WriteFile(local, data[:100], 0o600)
			st2, err := d.Stage(ctx, local, "dt=2024-01-01/part-run1-0-2.parquet")
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Discard(ctx, st2); err != nil {
				t.Fatal(err)
			}
			if err := d.Discard(ctx, st2); err != nil {
				t.Errorf("discarding again: %v", err)
			}
			if err := d.Publish(ctx, st2); !errors.Is(err, ErrStagedLost) {
				t.Errorf("publishing a discarded file: %v, want ErrStagedLost", err)
			}
			if un, err := d.Unfinished(ctx); err != nil || len(un) != 0 {
				t.Errorf("unfinished after publish and discard: %v (%v)", un, err)
			}
			if names, _ := d.List(ctx, ""); strings.Join(names, " ") != st.Name {
				t.Errorf("names %v, want only %s", names, st.Name)
			}
		})
	}
}

// TestRunLiveness: a joined run is alive for every process and its
// directory is not cleaned; once released (or dead) it is cleaned.
func TestRunLiveness(t *testing.T) {
	for name, open := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			ctx := context.Background()
			tmp, release, err := d.Join(ctx, "live-run", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(tmp, "f"), []byte("x"), 0o600)
			alive, err := d.Alive(ctx, []string{"live-run", "never-ran"})
			if err != nil || !alive["live-run"] || alive["never-ran"] {
				t.Fatalf("alive %v (%v)", alive, err)
			}
			if ok, err := d.Clean(ctx, "live-run"); ok || err != nil {
				t.Fatalf("cleaned a live run (%v)", err)
			}
			if _, err := os.Stat(filepath.Join(tmp, "f")); err != nil {
				t.Fatalf("a live run's file is gone: %v", err)
			}
			runs, _ := d.Runs(ctx)
			if !slices.Contains(runs, "live-run") {
				t.Errorf("runs %v, want live-run", runs)
			}
			release()
			alive, _ = d.Alive(ctx, []string{"live-run"})
			if alive["live-run"] {
				t.Error("a released run is alive")
			}
			if ok, err := d.Clean(ctx, "live-run"); !ok || err != nil {
				t.Fatalf("clean of a released run: %v, %v", ok, err)
			}
			if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Errorf("run directory left: %v", err)
			}
			if runs, _ := d.Runs(ctx); slices.Contains(runs, "live-run") {
				t.Errorf("runs %v after clean", runs)
			}
		})
	}
}

// TestHeartbeatExpires: a run whose heartbeat stopped (killed: no release)
// is dead once its lease passed, by the server's clock.
func TestHeartbeatExpires(t *testing.T) {
	for name, open := range destinations(t) {
		if name == "local" {
			continue // local liveness is a lock, tested by TestRunLiveness and the kill tests
		}
		t.Run(name, func(t *testing.T) {
			d := open(t).(*S3Destination)
			ctx := context.Background()
			// A heartbeat as a killed run leaves it.
			key := d.prefix + heartbeatKey("killed", 2*time.Second)
			if _, err := d.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.bucket, Key: &key, Body: strings.NewReader("x")}); err != nil {
				t.Fatal(err)
			}
			if alive, err := d.Alive(ctx, []string{"killed"}); err != nil || !alive["killed"] {
				t.Fatalf("a fresh heartbeat: alive %v (%v)", alive, err)
			}
			if ok, _ := d.Clean(ctx, "killed"); ok {
				t.Fatal("cleaned a run within its lease")
			}
			time.Sleep(4500 * time.Millisecond) // the lease, a second of slack, a second of Date truncation
			if alive, err := d.Alive(ctx, []string{"killed"}); err != nil || alive["killed"] {
				t.Fatalf("an expired heartbeat: alive %v (%v)", alive, err)
			}
			if ok, err := d.Clean(ctx, "killed"); !ok || err != nil {
				t.Fatalf("clean: %v, %v", ok, err)
			}
			if _, err := d.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.bucket, Key: aws.String(key)}); err == nil {
				t.Error("heartbeat left after clean")
			}
		})
	}
}

// TestS3StageFailure: a failed part upload aborts the upload and leaves no
// object and no unfinished upload.
func TestS3StageFailure(t *testing.T) {
	var fail atomic.Bool
	aws := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() && r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && r.URL.Query().Get("partNumber") == "2" {
				http.Error(w, "injected failure", http.StatusBadRequest)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	d, err := OpenDestination(ctx, "s3://mp-bucket/x", aws)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "f")
	os.WriteFile(tmp, make([]byte, S3PartSize*2+12345), 0o644)
	fail.Store(true)
	if _, err := d.Stage(ctx, tmp, "dt=2024-01-01/failed.parquet"); err == nil {
		t.Fatal("a failed part upload was not reported")
	}
	if names, _ := d.List(ctx, ""); len(names) != 0 {
		t.Errorf("a failed upload left %v", names)
	}
	if un, err := d.Unfinished(ctx); err != nil || len(un) != 0 {
		t.Errorf("a failed upload left unfinished uploads %v (%v)", un, err)
	}
}

// TestSweepTemp: a lock file that a killed process left half made is
// removed when a run joins; one a live process holds, or one just made, is
// not.
func TestSweepTemp(t *testing.T) {
	d, err := NewLocalDestination(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := d.tmp.root
	os.MkdirAll(root, 0o700)
	old := time.Now().Add(-time.Minute)
	stale := filepath.Join(root, ".lock-stale")
	os.WriteFile(stale, []byte("x"), 0o600)
	os.Chtimes(stale, old, old)
	young := filepath.Join(root, ".lock-young") // being made: not locked yet
	os.WriteFile(young, []byte("x"), 0o600)
	held, err := os.Create(filepath.Join(root, ".lock-held"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if ok, err := tryLock(held); !ok {
		t.Fatal(err)
	}
	os.Chtimes(held.Name(), old, old)
	_, release, err := d.Join(context.Background(), "r", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale lock file kept: %v", err)
	}
	for _, p := range []string{held.Name(), young} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}

// TestRemoveGone: removing a key that is gone already succeeds whether the
// server answers as S3 does (204) or as some compatible servers do (404
// NoSuchKey); a missing bucket is still an error.
func TestRemoveGone(t *testing.T) {
	var answer atomic.Value // "" pass through, else the error code to send
	answer.Store("")
	aws := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if code := answer.Load().(string); code != "" && r.Method == http.MethodDelete {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>gone</Message></Error>`, code)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	d, err := OpenDestination(ctx, "s3://gone-bucket/out/", aws)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(ctx, "never-written"); err != nil {
		t.Errorf("S3's answer: %v", err)
	}
	answer.Store("NoSuchKey")
	if err := d.Remove(ctx, "never-written"); err != nil {
		t.Errorf("a 404 NoSuchKey: %v", err)
	}
	answer.Store("NoSuchBucket")
	if err := d.Remove(ctx, "never-written"); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("a 404 NoSuchBucket: %v, want the error", err)
	}
}
