// Command s3bench measures reading many small log objects from S3 through
// a proxy that adds a fixed latency to every request, for the pipeline
// (bounded concurrent GETs, pipelined listing) and for a naive
// one-at-a-time loop. It prints objects/s and MB/s for both and the
// pipeline's share of the concurrency-bound ideal (concurrency / latency).
//
//	bash .ci/s3server.sh start && set -a && . .ci/s3server.env && set +a
//	go run ./bench/s3bench -endpoint "$S3LOGS_TEST_ENDPOINT"
//
// Without -endpoint it serves the objects from an in-process gofakes3.
package main

import (
	"bytes"
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
	endpoint := flag.String("endpoint", "", "S3 endpoint `URL` holding (or to receive) the objects; default an in-process gofakes3, or \"synthetic\" for a minimal in-process server that costs almost no CPU")
	bucket := flag.String("bucket", "s3bench", "bucket")
	objects := flag.Int("objects", 20000, "number of objects")
	size := flag.Int("size", 40<<10, "approximate object size in bytes")
	latency := flag.Duration("latency", 20*time.Millisecond, "latency the proxy adds to every request")
	concurrency := flag.Int("concurrency", 64, "pipeline concurrency")
	naive := flag.Int("naive", 1000, "objects read by the naive loop (it is slow)")
	upload := flag.Bool("upload", true, "upload the objects first (skip when they are there)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the pipeline run to `FILE`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), *endpoint, *bucket, *objects, *size, *latency, *concurrency, *naive, *upload); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

func run(ctx context.Context, endpoint, bucket string, objects, size int, latency time.Duration, concurrency, naive int, upload bool) error {
	if endpoint == "" || endpoint == "synthetic" {
		for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"} {
			if os.Getenv(k) == "" {
				os.Setenv(k, v)
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		if endpoint == "synthetic" {
			go http.Serve(ln, synthetic(objects, gen.Block(1, size)))
			upload = false
		} else {
			go http.Serve(ln, gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
			upload = true
		}
		endpoint = "http://" + ln.Addr().String()
	}
	// awsconf's HTTP client cannot take a custom CA bundle; the servers
	// here are plain HTTP on loopback.
	os.Unsetenv("AWS_CA_BUNDLE")
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

// synthetic is a minimal S3 server for the benchmark: ListObjectsV2 pages
// of 1000 keys under bench/ and the same body for every GET, so the
// server costs almost no CPU and the client side is what is measured.
func synthetic(objects int, body []byte) http.Handler {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	key := func(i int) string {
		return "bench/" + t0.Add(time.Duration(i)*time.Second).Format("2006-01-02-15-04-05") + fmt.Sprintf("-%016X", i)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") == "2" {
			from := 0
			if tok := r.URL.Query().Get("continuation-token"); tok != "" {
				fmt.Sscan(tok, &from)
			}
			to := min(from+1000, objects)
			var b bytes.Buffer
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
			fmt.Fprintf(&b, "<Name>s3bench</Name><Prefix>bench/</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>%v</IsTruncated>", to-from, to < objects)
			if to < objects {
				fmt.Fprintf(&b, "<NextContinuationToken>%d</NextContinuationToken>", to)
			}
			for i := from; i < to; i++ {
				fmt.Fprintf(&b, "<Contents><Key>%s</Key><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>", key(i), len(body))
			}
			b.WriteString("</ListBucketResult>")
			w.Header().Set("Content-Type", "application/xml")
			w.Write(b.Bytes())
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Header().Set("ETag", `"bench"`)
		w.Write(body)
	})
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
