// Command s3bench measures reading log objects from S3. Three modes:
//
// -mode throughput (the default) reads many small objects through a proxy
// that adds a fixed latency to every request, for the pipeline (bounded
// concurrent GETs, parallel listing) and for a naive one-at-a-time loop,
// and prints objects/s and MB/s for both and the pipeline's share of the
// concurrency-bound ideal (concurrency / latency):
//
//	bash .ci/s3server.sh start && set -a && . .ci/s3server.env && set +a
//	go run ./bench/s3bench -endpoint "$S3LOGS_TEST_ENDPOINT"
//
// Without -endpoint it serves the objects from an in-process gofakes3, or
// with -endpoint synthetic from a minimal in-process server.
//
// -mode concurrency reads the same objects from the minimal server, with
// the latency inside the server, once for each -concurrencies value: the
// measurements the default --concurrency was chosen from.
//
// -mode scale is the scale-out benchmark: -objects (default 1,000,000 in
// this mode) keys over -days days on the minimal server with -list-latency
// per LIST and -latency per GET, listed and read by 1, 4 and 16 shards
// (-shards), each a child process run alone as on its own machine, and by
// one process from an S3 Inventory report; see scale.go.
//
//	go run ./bench/s3bench -mode scale
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"golang.org/x/sync/errgroup"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

func main() {
	mode := flag.String("mode", "throughput", "throughput, concurrency or scale (see the command doc)")
	endpoint := flag.String("endpoint", "", "S3 endpoint `URL` holding (or to receive) the objects; default an in-process gofakes3, or \"synthetic\" for a minimal in-process server that costs almost no CPU")
	bucket := flag.String("bucket", "s3bench", "bucket")
	objects := flag.Int("objects", 0, "number of objects (default 20000, 1000000 with -mode scale)")
	size := flag.Int("size", 40<<10, "approximate object size in bytes (-mode scale: default 1024)")
	latency := flag.Duration("latency", 20*time.Millisecond, "latency added to every request (-mode scale: to every GET)")
	listLatency := flag.Duration("list-latency", 50*time.Millisecond, "-mode scale: latency of every LIST")
	days := flag.Int("days", 365, "-mode scale: days the keys span")
	shards := flag.String("shards", "1,4,16", "-mode scale: shard counts to run")
	read := flag.Bool("read", true, "-mode scale: also read the objects (GETs), not only list them")
	concurrency := flag.Int("concurrency", 0, "pipeline concurrency (default the pipeline's)")
	concurrencies := flag.String("concurrencies", "16,32,64,128,256,512", "-mode concurrency: values to measure")
	listConcurrency := flag.Int("list-concurrency", 0, "pipeline list concurrency (default the pipeline's)")
	naive := flag.Int("naive", 1000, "objects read by the naive loop (it is slow)")
	upload := flag.Bool("upload", true, "upload the objects first (skip when they are there)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the pipeline run to `FILE`")
	client := flag.Bool("client", false, "internal: run one shard of -mode scale and print its result")
	shard := flag.String("shard", "0/1", "internal: the shard a -client runs")
	inventory := flag.String("inventory", "", "internal: the inventory a -client lists from")
	listOnly := flag.Bool("list-only", false, "internal: the -client only lists")
	flag.Parse()
	// awsconf's HTTP client cannot take a custom CA bundle; the servers
	// here are plain HTTP on loopback.
	os.Unsetenv("AWS_CA_BUNDLE")
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	ctx := context.Background()
	if *client {
		if err := runClient(ctx, *endpoint, *shard, *inventory, *concurrency, *listConcurrency, *listOnly); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var err error
	switch *mode {
	case "throughput":
		err = run(ctx, *endpoint, *bucket, or(*objects, 20000), *size, *latency, or(*concurrency, 64), *naive, *upload)
	case "concurrency":
		var cs []int
		if cs, err = parseInts(*concurrencies); err == nil {
			err = runConcurrency(ctx, or(*objects, 20000), *size, *latency, *listLatency, cs, *listConcurrency)
		}
	case "scale":
		sz := *size
		if !isSet("size") {
			sz = 1024
		}
		var ns []int
		if ns, err = parseInts(*shards); err == nil {
			err = runScale(ctx, or(*objects, 1000000), *days, sz, *listLatency, *latency, or(*concurrency, 256), or(*listConcurrency, 16), ns, *read)
		}
	default:
		err = fmt.Errorf("-mode %q: want throughput, concurrency or scale", *mode)
	}
	if err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runConcurrency reads objects of size bytes from the minimal server, with
// latency per GET and listLatency per LIST inside the server, once for
// each concurrency, and prints objects/s and the share of the ideal.
func runConcurrency(ctx context.Context, objects, size int, latency, listLatency time.Duration, cs []int, listConcurrency int) error {
	srv := &synthServer{bucket: "s3bench", keys: simpleKeys("bench/", objects, 30), body: gen.Block(1, size),
		listLatency: listLatency, getLatency: latency}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, srv)
	endpoint := "http://" + ln.Addr().String()
	fmt.Printf("%d objects of %d bytes; GET %v, LIST %v inside the server\n\n", objects, len(srv.body), latency, listLatency)
	fmt.Println("| concurrency | objects/s | MB/s | ideal (concurrency / latency) | share of ideal |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	for _, c := range cs {
		cfg := pipeline.Config{Concurrency: c, ListConcurrency: listConcurrency, AWS: awsconf.Options{Endpoint: endpoint}}
		start := time.Now()
		st, err := pipeline.Run(ctx, cfg, []string{"s3://s3bench/bench/"}, counter{func(int64) {}})
		if err != nil {
			return err
		}
		el := time.Since(start)
		rate := float64(st.Read.Load()) / el.Seconds()
		ideal := float64(c) / latency.Seconds()
		fmt.Printf("| %d | %.0f | %.1f | %.0f | %.0f %% |\n", c, rate, float64(st.Bytes.Load())/1e6/el.Seconds(), ideal, 100*min(rate/ideal, 1))
	}
	return nil
}

func run(ctx context.Context, endpoint, bucket string, objects, size int, latency time.Duration, concurrency, naive int, upload bool) error {
	if endpoint == "" || endpoint == "synthetic" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		if endpoint == "synthetic" {
			go http.Serve(ln, &synthServer{bucket: bucket, keys: simpleKeys("bench/", objects, 1), body: gen.Block(1, size)})
			upload = false
		} else {
			go http.Serve(ln, gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
			upload = true
		}
		endpoint = "http://" + ln.Addr().String()
	}
	src := "s3://" + bucket + "/bench/"
	if upload {
		if err := put(ctx, endpoint, src, objects, size); err != nil {
			return err
		}
	}
	proxy, err := latencyProxy(endpoint, latency, 4*concurrency)
	if err != nil {
		return err
	}
	fmt.Printf("%d objects of ~%d KB, proxy adds %v per request\n", objects, size>>10, latency)

	// The pipeline.
	var lines atomic.Int64
	start := time.Now()
	var first atomic.Int64
	cfg := pipeline.Config{Concurrency: concurrency, AWS: awsconf.Options{Endpoint: proxy}}
	st, err := pipeline.Run(ctx, cfg, []string{src}, counter{func(n int64) {
		first.CompareAndSwap(0, int64(time.Since(start)))
		lines.Add(n)
	}})
	if err != nil {
		return err
	}
	el := time.Since(start)
	n := st.Read.Load()
	rate := float64(n) / el.Seconds()
	ideal := float64(concurrency) / latency.Seconds()
	fmt.Printf("pipeline (concurrency %d): %d objects, %d lines in %v: %.0f objects/s, %.1f MB/s; first block after %v; %d requests, %d retries\n",
		concurrency, n, lines.Load(), el.Round(time.Millisecond), rate, float64(st.Bytes.Load())/1e6/el.Seconds(),
		time.Duration(first.Load()).Round(time.Millisecond), st.Requests.Load(), st.Retries.Load())
	fmt.Printf("  ideal concurrency/latency = %.0f objects/s; reached %.0f%%\n", ideal, 100*rate/ideal)

	// The naive loop: list, then GET one object at a time.
	awsCfg, err := awsconf.Load(ctx, awsconf.Options{Endpoint: proxy})
	if err != nil {
		return err
	}
	client := awsconf.S3(awsCfg, awsconf.Options{Endpoint: proxy})
	start = time.Now()
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("bench/")})
	for p.HasMorePages() && len(keys) < naive {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
	}
	keys = keys[:min(naive, len(keys))]
	var nb int64
	for _, k := range keys {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(k)})
		if err != nil {
			return err
		}
		m, err := io.Copy(io.Discard, out.Body)
		out.Body.Close()
		if err != nil {
			return err
		}
		nb += m
	}
	el = time.Since(start)
	fmt.Printf("naive loop: %d objects in %v: %.0f objects/s, %.2f MB/s\n",
		len(keys), el.Round(time.Millisecond), float64(len(keys))/el.Seconds(), float64(nb)/1e6/el.Seconds())
	return nil
}

// put uploads objects under src: simple-layout keys a second apart, each
// ~size bytes of generated log lines.
func put(ctx context.Context, endpoint, src string, objects, size int) error {
	up, err := pipeline.NewUploader(ctx, awsconf.Options{Endpoint: endpoint, MaxConns: 32}, src)
	if err != nil {
		return err
	}
	var blocks [8][]byte
	for i := range blocks {
		blocks[i] = gen.Block(int64(i), size)
	}
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	start := time.Now()
	for i := range objects {
		g.Go(func() error {
			key := t0.Add(time.Duration(i)*time.Second).Format("2006-01-02-15-04-05") + fmt.Sprintf("-%016X", i)
			return up.Put(gctx, key, blocks[i%len(blocks)])
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Printf("uploaded %d objects in %v\n", objects, time.Since(start).Round(time.Millisecond))
	return nil
}

// latencyProxy serves a reverse proxy to endpoint on loopback that holds
// every request for latency before forwarding it.
func latencyProxy(endpoint string, latency time.Duration, conns int) (string, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		rp.ServeHTTP(w, r)
	}))
	return "http://" + ln.Addr().String(), nil
}

// counter is a pipeline.Consumer that counts records.
type counter struct{ add func(n int64) }

func (c counter) NewPart(int, *pipeline.Object, bool) pipeline.Part { return c }
func (c counter) Commit(int, pipeline.Part) error                   { return nil }
func (c counter) Drop(pipeline.Part)                                {}
func (c counter) EndChunk(int64, int64, int) error                  { return nil }
func (c counter) Records(sc *parse.Scanner) error {
	var n int64
	for sc.Scan() {
		n++
	}
	c.add(n)
	return nil
}
