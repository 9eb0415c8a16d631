package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/s3logs/s3logs/internal/awsconf"
	"github.com/s3logs/s3logs/pipeline"
)

// identities gives sources and log objects the names the manifest knows
// them by, whichever way the command line spelled them:
//
//   - a local file or directory: its absolute, cleaned path with symbolic
//     links resolved, a directory with a trailing slash, and its objects
//     that path joined with their path inside it;
//   - an S3 location: s3://bucket/prefix and s3://bucket/key on AWS, or
//     the path-style URL on a custom endpoint (http://host:port/bucket/key),
//     so that the same bucket name on two servers is two sources;
//   - stdin: a name of this run only, as its content is new every time.
//
// It is safe for concurrent use.
type identities struct {
	endpoint string // "s3://" or "<scheme>://<host>[/path]/"
	run      string
	mu       sync.Mutex
	roots    map[string]root // by SOURCE argument
}

type root struct {
	id   string // the source's identity
	dir  string // local: the canonical path
	file bool   // local: a file, not a directory
	s3   bool
}

func newIdentities(aws awsconf.Options, run string) *identities {
	return &identities{endpoint: endpointID(aws), run: run, roots: map[string]root{}}
}

// endpointID is the start of the identity of S3 objects: "s3://" for AWS,
// else the endpoint URL in lower case with a trailing slash.
func endpointID(aws awsconf.Options) string {
	ep := aws.Endpoint
	for _, env := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if ep == "" {
			ep = os.Getenv(env)
		}
	}
	if ep == "" {
		return "s3://"
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(strings.ToLower(ep), "/") + "/"
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/") + "/"
}

// source returns the identity of a SOURCE argument.
func (x *identities) source(src string) (root, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if r, ok := x.roots[src]; ok {
		return r, nil
	}
	var r root
	switch {
	case src == "-":
		r = root{id: "-"}
	case pipeline.IsS3(src):
		bucket, prefix, err := pipeline.ParseS3URL(src)
		if err != nil {
			return root{}, err
		}
		r = root{id: x.endpoint + bucket + "/" + prefix, s3: true}
	default:
		abs, err := filepath.Abs(src)
		if err != nil {
			return root{}, fmt.Errorf("source %s: %w", src, err)
		}
		dir, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return root{}, sourceErr(src, err)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			return root{}, sourceErr(src, err)
		}
		r = root{id: filepath.ToSlash(dir), dir: dir, file: !fi.IsDir()}
		if !r.file && !strings.HasSuffix(r.id, "/") {
			r.id += "/"
		}
	}
	x.roots[src] = r
	return r, nil
}

// sourceErr says that src cannot be read, as the pipeline says it
// ("source logs/: no such file or directory").
func sourceErr(src string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("source %s: %w", src, err)
}

// object returns the identity of o and of its source.
func (x *identities) object(o *pipeline.Object) (id string, src root, err error) {
	src, err = x.source(o.Source)
	if err != nil {
		return "", root{}, err
	}
	switch {
	case src.id == "-":
		return stdinPrefix + x.run, src, nil
	case src.s3:
		bucket, _, _ := pipeline.ParseS3URL(o.Source)
		return x.endpoint + bucket + "/" + o.Name, src, nil
	case src.file:
		return src.id, src, nil
	}
	rel, err := filepath.Rel(o.Source, o.Name)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", root{}, fmt.Errorf("%s is not inside source %s", o.Name, o.Source)
	}
	return src.id + filepath.ToSlash(rel), src, nil
}

// stdinPrefix starts the identity of stdin, followed by the run.
const stdinPrefix = "stdin:"

// contains reports whether the source with identity src holds the object
// with identity id: a local directory or an S3 prefix holds what its
// identity prefixes, a local file only itself.
func contains(src, id string) bool {
	if strings.HasSuffix(src, "/") || !strings.HasPrefix(src, "/") {
		return strings.HasPrefix(id, src)
	}
	return id == src
}

// keyOf returns what an object identity says about the object's contents
// (pipeline.ObjectKey looks at the end of the name only, so the identity
// gives what the listed name gave).
func keyOf(id string) pipeline.KeyInfo {
	k, _ := pipeline.ObjectKey(id)
	return k
}
