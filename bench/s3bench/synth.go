package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/s3logs/s3logs/internal/s3test"
)

// synthServer is a minimal S3 server for the benchmarks, cheap enough that
// the client is what is measured: one bucket of generated keys (sorted, no
// objects stored: every GET of a key returns the same body), a few extra
// objects (an inventory report), ListObjectsV2 with prefix, delimiter,
// start-after, continuation-token and max-keys as S3 answers them, a
// latency per request, and request counts. Requests are path-style.
type synthServer struct {
	bucket      string
	keys        []string // sorted
	body        []byte
	files       map[string][]byte
	listLatency time.Duration
	getLatency  time.Duration

	lists, gets atomic.Int64
}

func (s *synthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if bucket != s.bucket {
		s3Error(w, 404, "NoSuchBucket")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s3Error(w, 501, "NotImplemented")
		return
	}
	q := r.URL.Query()
	if key == "" && q.Get("list-type") == "2" {
		s.lists.Add(1)
		time.Sleep(s.listLatency)
		s.list(w, q)
		return
	}
	s.gets.Add(1)
	time.Sleep(s.getLatency)
	key, _ = url.PathUnescape(key)
	body, ok := s.files[key]
	if !ok {
		i := sort.SearchStrings(s.keys, key)
		if i == len(s.keys) || s.keys[i] != key {
			s3Error(w, 404, "NoSuchKey")
			return
		}
		body = s.body
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("ETag", `"synthetic"`)
	w.Write(body)
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

// list answers ListObjectsV2. The continuation token is the last name
// returned (real tokens are opaque).
func (s *synthServer) list(w http.ResponseWriter, q url.Values) {
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if m, err := strconv.Atoi(q.Get("max-keys")); err == nil && m > 0 && m < maxKeys {
		maxKeys = m
	}
	after := q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		after = tok
	}
	// skip returns the index of the first key after name, and after every
	// key under name when name is a common prefix.
	skip := func(name string) int {
		if delim != "" && strings.HasSuffix(name, delim) && strings.HasPrefix(name, prefix) {
			return sort.Search(len(s.keys), func(i int) bool { return s.keys[i] > name && !strings.HasPrefix(s.keys[i], name) })
		}
		return sort.Search(len(s.keys), func(i int) bool { return s.keys[i] > name })
	}
	i := sort.SearchStrings(s.keys, prefix)
	if after != "" {
		i = max(i, skip(after))
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	var contents, prefixes bytes.Buffer
	n, last := 0, ""
	for i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix) && n < maxKeys {
		k := s.keys[i]
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				cp := k[:len(prefix)+j+len(delim)]
				fmt.Fprintf(&prefixes, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>", cp)
				n++
				last = cp
				i = skip(cp)
				continue
			}
		}
		fmt.Fprintf(&contents, "<Contents><Key>%s</Key><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>", k, len(s.body))
		n++
		last = k
		i++
	}
	truncated := i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix)
	fmt.Fprintf(&b, "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%v</IsTruncated>",
		s.bucket, prefix, n, maxKeys, truncated)
	if delim != "" {
		fmt.Fprintf(&b, "<Delimiter>%s</Delimiter>", delim)
	}
	if truncated {
		fmt.Fprintf(&b, "<NextContinuationToken>%s</NextContinuationToken>", last)
	}
	b.Write(contents.Bytes())
	b.Write(prefixes.Bytes())
	b.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Write(b.Bytes())
}

// simpleKeys returns n simple-layout keys under prefix, evenly spread over
// days days from 2024-01-01, in order.
func simpleKeys(prefix string, n, days int) []string {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + t0.Add(time.Duration(i)*step).Format("2006-01-02-15-04-05") + fmt.Sprintf("-%016X", i)
	}
	return keys
}

// addInventory adds an S3 Inventory report of the server's keys (gzipped
// CSV in files data files) and returns its manifest's key.
func (s *synthServer) addInventory(files int) (string, error) {
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	dir := "inventory/" + s.bucket + "/all/"
	var list []s3test.InventoryFile
	for f := range files {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		for _, k := range s.keys[f*len(s.keys)/files : (f+1)*len(s.keys)/files] {
			if err := s3test.WriteInventoryCSV(zw, s.bucket, url.QueryEscape(k), strconv.Itoa(len(s.body))); err != nil {
				return "", err
			}
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
		key := fmt.Sprintf("%sdata/%04d.csv.gz", dir, f)
		s.files[key] = b.Bytes()
		list = append(list, s3test.InventoryFile{Key: key, Size: b.Len(), MD5: "-"})
	}
	m, err := s3test.InventoryManifest(s.bucket, s.bucket, "CSV", "Bucket, Key, Size", list)
	if err != nil {
		return "", err
	}
	key := dir + "2025-01-01T00-00Z/manifest.json"
	s.files[key] = m
	return key, nil
}
