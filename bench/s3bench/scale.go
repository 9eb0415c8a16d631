package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
)

// The scale-out benchmark: the synthetic server holds objects keys over
// days days with a latency per LIST and per GET; each configuration (1, 4
// and 16 shards by listing, and one process from an inventory report) runs
// its shards one after another as child processes of this one, as N
// machines would, each measured alone: wall time, LIST and GET requests
// the server saw, peak RSS (the kernel's rusage of the child), and, from a
// second list-only pass, the listing rate against the ideal of
// ListConcurrency streams of 1000-key pages at the LIST latency.

// scaleConfig is one measured configuration.
type scaleConfig struct {
	name      string
	shards    int
	inventory bool
}

// clientResult is what a client child prints.
type clientResult struct {
	Wall     time.Duration
	ListDone time.Duration
	Listed   int64
	Read     int64
	Bytes    int64
	Lines    int64
}

type shardRun struct {
	clientResult
	lists, gets int64
	peakRSS     int64
}

func runScale(ctx context.Context, objects, days, size int, listLatency, getLatency time.Duration, concurrency, listConcurrency int, shardsList []int, fullRead bool) error {
	srv := &synthServer{bucket: "s3bench", keys: simpleKeys("bench/", objects, days), body: gen.Block(1, size),
		listLatency: listLatency, getLatency: getLatency}
	manifest, err := srv.addInventory(max(1, objects/100000))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, srv)
	endpoint := "http://" + ln.Addr().String()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("%d objects of %d bytes over %d days; LIST %v, GET %v per request; --concurrency %d, --list-concurrency %d\n",
		objects, len(srv.body), days, listLatency, getLatency, concurrency, listConcurrency)
	ideal := float64(listConcurrency) * 1000 / listLatency.Seconds()
	fmt.Printf("listing ideal: %d streams x 1000 keys / %v = %.0f keys/s a process (one stream: %.0f)\n\n",
		listConcurrency, listLatency, ideal, 1000/listLatency.Seconds())

	var configs []scaleConfig
	for _, n := range shardsList {
		configs = append(configs, scaleConfig{name: fmt.Sprintf("%d shards", n), shards: n})
	}
	configs = append(configs, scaleConfig{name: "inventory", shards: 1, inventory: true})

	child := func(c scaleConfig, shard int, listOnly bool) (shardRun, error) {
		args := []string{"-client", "-endpoint", endpoint, "-concurrency", fmt.Sprint(concurrency),
			"-list-concurrency", fmt.Sprint(listConcurrency), "-shard", fmt.Sprintf("%d/%d", shard, c.shards)}
		if c.inventory {
			args = append(args, "-inventory", "s3://"+srv.bucket+"/"+manifest)
		}
		if listOnly {
			args = append(args, "-list-only")
		}
		srv.lists.Store(0)
		srv.gets.Store(0)
		cmd := exec.CommandContext(ctx, self, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			return shardRun{}, fmt.Errorf("%s shard %d: %w", c.name, shard, err)
		}
		var r shardRun
		if err := json.Unmarshal(out.Bytes(), &r.clientResult); err != nil {
			return r, fmt.Errorf("%s shard %d: %w: %s", c.name, shard, err, out.String())
		}
		r.lists, r.gets = srv.lists.Load(), srv.gets.Load()
		r.peakRSS = peakRSS(cmd.ProcessState)
		return r, nil
	}

	fmt.Println("| source | LIST requests | listing wall (slowest shard) | keys/s | share of ideal | objects owned | objects read | GET requests | read wall (slowest shard) | objects/s | peak RSS (largest shard) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range configs {
		var lists, gets, owned, read, peak int64
		var listWall, readWall time.Duration
		for shard := range c.shards {
			l, err := child(c, shard, true)
			if err != nil {
				return err
			}
			lists += l.lists
			owned += l.Read
			listWall = max(listWall, l.Wall)
			if fullRead {
				f, err := child(c, shard, false)
				if err != nil {
					return err
				}
				gets += f.gets
				read += f.Read
				readWall = max(readWall, f.Wall)
				peak = max(peak, f.peakRSS)
			} else {
				peak = max(peak, l.peakRSS)
			}
		}
		rate := float64(objects) / listWall.Seconds()
		perProcess := ideal * float64(c.shards)
		if c.inventory {
			perProcess = 0
		}
		share := "—"
		if perProcess > 0 {
			share = fmt.Sprintf("%.0f %%", 100*rate/perProcess)
		}
		readCols := "— | — | — | —" // -read=false
		if fullRead {
			readCols = fmt.Sprintf("%d | %d | %v | %.0f", read, gets, readWall.Round(100*time.Millisecond), float64(read)/readWall.Seconds())
		}
		fmt.Printf("| %s | %d | %v | %.0f | %s | %d | %s | %d MiB |\n", c.name, lists, listWall.Round(10*time.Millisecond), rate, share, owned, readCols, peak>>20)
	}
	return nil
}

// runClient is one shard's run, in a child process: it reads (or with
// listOnly only lists) the benchmark's objects and prints a clientResult
// as JSON.
func runClient(ctx context.Context, endpoint, shard, inventory string, concurrency, listConcurrency int, listOnly bool) error {
	var i, n int
	if _, err := fmt.Sscanf(shard, "%d/%d", &i, &n); err != nil {
		return fmt.Errorf("-shard %q: %w", shard, err)
	}
	cfg := pipeline.Config{Concurrency: concurrency, ListConcurrency: listConcurrency, Shard: i, Shards: n,
		Inventory: inventory, AWS: awsconf.Options{Endpoint: endpoint}}
	var kept atomic.Int64
	if listOnly {
		cfg.Skip = func(*pipeline.Object) bool { kept.Add(1); return true }
	}
	var lines atomic.Int64
	var listDone atomic.Int64
	start := time.Now()
	cfg.Stats = &pipeline.Stats{}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if cfg.Stats.ListDone.Load() {
					listDone.CompareAndSwap(0, int64(time.Since(start)))
					return
				}
			}
		}
	}()
	st, err := pipeline.Run(ctx, cfg, []string{"s3://s3bench/bench/"}, counter{func(n int64) { lines.Add(n) }})
	close(stop)
	if err != nil {
		return err
	}
	r := clientResult{Wall: time.Since(start), ListDone: time.Duration(listDone.Load()), Listed: st.Listed.Load(),
		Read: st.Read.Load(), Bytes: st.Bytes.Load(), Lines: lines.Load()}
	if listOnly {
		r.Read = kept.Load()
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// parseInts reads a comma-separated list of integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
