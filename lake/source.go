package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// Magic bytes that open (and close) the files converted output holds.
var (
	parquetMagic = []byte("PAR1")
	arrowMagic   = []byte("ARROW1")
)

// dataFile is one Parquet or Arrow IPC file of a source.
type dataFile struct {
	src  string // the SOURCE argument it was listed from
	name string // its path, or s3://bucket/key
	key  string // local path, or S3 key
	rel  string // slash-separated path below the source
	size int64
	// part is the value of its dt=... directory, nil for none; when
	// partOK, the request times it holds are in [partLo, partHi].
	part           []byte
	partOK         bool
	partLo, partHi int64
	// missing: the manifest names it, the source does not hold it.
	missing bool
	s3      *pipeline.S3Objects
}

// hidden reports whether a path component is one Hive-style readers skip:
// a name starting with "." (the converter's .s3logs/ state) or "_" (the
// manifest, _SUCCESS markers).
func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// hiddenPath reports whether any component of the slash-separated rel is
// hidden.
func hiddenPath(rel string) bool {
	for _, c := range strings.Split(rel, "/") {
		if hidden(c) {
			return true
		}
	}
	return false
}

// partitionOf returns the dt value of a path below a source (the last
// dt=... component), and the request times it holds when it reads as
// yyyy-MM-dd or yyyy-MM-dd-HH.
func partitionOf(rel string) (v []byte, ok bool, lo, hi int64) {
	dir := path.Dir(rel)
	for dir != "." && dir != "/" && dir != "" {
		base := path.Base(dir)
		if k, val, found := strings.Cut(base, "="); found && strings.EqualFold(k, "dt") {
			lo, hi, ok := schema.PartitionSpan(val)
			return []byte(val), ok, lo, hi
		}
		dir = path.Dir(dir)
	}
	return nil, false, 0, 0
}

// isHivePartition reports whether a path component looks like a Hive
// partition directory, name=value.
func isHivePartition(c string) bool {
	k, v, ok := strings.Cut(c, "=")
	return ok && k != "" && v != "" && !strings.ContainsAny(k, " /")
}

// Detect reports whether src holds converted output rather than log
// objects: by its layout (a _manifest/ directory, Hive partition
// directories) or by the magic bytes of its first file. On S3 that is
// one LIST request (and a GET of a few bytes when the first key's name
// fits no log key layout); with cfg.Inventory, none: the sources are log
// objects. Standard input
// ("-"), a FIFO or device and a source that does not exist are log
// objects, for pipeline.Run to read or report.
func Detect(ctx context.Context, cfg pipeline.Config, src string) (bool, error) {
	if src == "-" || cfg.Inventory != "" {
		// An S3 Inventory lists log objects, and is read instead of
		// listing the source.
		return false, nil
	}
	if pipeline.IsS3(src) {
		return detectS3(ctx, cfg, src)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return false, nil
	}
	if !fi.IsDir() {
		// Only a regular file is peeked at: a FIFO's bytes are read once.
		return fi.Mode().IsRegular() && hasMagic(src), nil
	}
	if st, err := os.Stat(filepath.Join(src, convert.ManifestDir)); err == nil && st.IsDir() {
		return true, nil
	}
	found := false
	errStop := errors.New("stop")
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == src {
			return nil
		}
		if hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if isHivePartition(d.Name()) {
				found = true
				return errStop
			}
			return nil
		}
		if d.Type().IsRegular() {
			found = hasMagic(p)
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, fmt.Errorf("source %s: %w", src, err)
	}
	return found, nil
}

// hasMagic reports whether the local file p opens as Parquet or Arrow IPC.
func hasMagic(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 6)
	n, _ := io.ReadFull(f, head)
	return isDataHead(head[:n])
}

func isDataHead(b []byte) bool {
	return bytes.HasPrefix(b, parquetMagic) || bytes.HasPrefix(b, arrowMagic)
}

// detectS3 lists the first keys of src: the manifest or Hive partitions
// say converted output; a key in a log object layout says log objects;
// otherwise the first object's first bytes decide.
func detectS3(ctx context.Context, cfg pipeline.Config, src string) (bool, error) {
	o, err := pipeline.OpenS3Objects(ctx, cfg, src, &pipeline.Stats{})
	if err != nil {
		return false, err
	}
	lake, seen := false, 0
	err = o.List(ctx, o.Prefix(), func(key string, size int64) (bool, error) {
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(key, o.Prefix()), "/")
		if rel == "" {
			rel = path.Base(key) // the source names one object
		}
		comps := strings.Split(rel, "/")
		if comps[0] == convert.ManifestDir {
			lake = true
			return false, nil
		}
		if hiddenPath(rel) {
			return seen < 1000, nil
		}
		for _, c := range comps[:len(comps)-1] {
			if isHivePartition(c) {
				lake = true
				return false, nil
			}
		}
		if _, ok := pipeline.ObjectKey(path.Base(rel)); ok || size < 6 {
			return false, nil
		}
		head := make([]byte, 6)
		if err := o.ReadAt(ctx, key, head, 0); err != nil {
			return false, err
		}
		lake = isDataHead(head)
		return false, nil
	})
	return lake, err
}

// listFiles returns the data files of src, which holds converted output:
// those its manifest names, or without one every file not hidden. The
// files are in name order.
func listFiles(ctx context.Context, cfg pipeline.Config, src string, stats *pipeline.Stats) ([]*dataFile, bool, error) {
	var all []*dataFile
	var s3o *pipeline.S3Objects
	if pipeline.IsS3(src) {
		var err error
		if s3o, err = pipeline.OpenS3Objects(ctx, cfg, src, stats); err != nil {
			return nil, false, err
		}
		base := "s3://" + s3o.Bucket() + "/"
		err = s3o.List(ctx, s3o.Prefix(), func(key string, size int64) (bool, error) {
			rel := strings.TrimPrefix(strings.TrimPrefix(key, s3o.Prefix()), "/")
			if rel == "" {
				rel = path.Base(key)
			}
			all = append(all, &dataFile{src: src, name: base + key, key: key, rel: rel, size: size, s3: s3o})
			return true, nil
		})
		if err != nil {
			return nil, false, err
		}
	} else {
		fi, err := os.Stat(src)
		if err != nil {
			return nil, false, fmt.Errorf("source %s: %w", src, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			f := &dataFile{src: src, name: src, key: src, rel: filepath.Base(src), size: fi.Size()}
			return []*dataFile{f}, false, nil
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("source %s: %w", p, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if p == src {
				return nil
			}
			rel, _ := filepath.Rel(src, p)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if hidden(d.Name()) && d.Name() != convert.ManifestDir {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("source %s: %w", p, err)
			}
			all = append(all, &dataFile{src: src, name: p, key: p, rel: rel, size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	manifest := false
	for _, f := range all {
		if strings.HasPrefix(f.rel, convert.ManifestDir+"/") {
			manifest = true
			break
		}
	}
	var files []*dataFile
	if manifest {
		named, err := manifestFiles(ctx, cfg, src)
		if err != nil {
			return nil, true, err
		}
		have := map[string]*dataFile{}
		for _, f := range all {
			have[f.rel] = f
		}
		for _, n := range named {
			f := have[n]
			if f == nil {
				f = &dataFile{src: src, name: joinName(src, n), key: joinKey(src, s3o, n), rel: n, missing: true, s3: s3o}
			}
			files = append(files, f)
		}
	} else {
		for _, f := range all {
			if !hiddenPath(f.rel) {
				files = append(files, f)
			}
		}
	}
	for _, f := range files {
		f.part, f.partOK, f.partLo, f.partHi = partitionOf(f.rel)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, manifest, nil
}

// manifestFiles returns the names, relative to src, of the output files
// src's manifest counts.
func manifestFiles(ctx context.Context, cfg pipeline.Config, src string) ([]string, error) {
	var d sink.Destination
	var err error
	if pipeline.IsS3(src) {
		d, err = sink.NewS3Destination(ctx, src, cfg.AWS)
	} else {
		d, err = sink.NewLocalDestination(src)
	}
	if err != nil {
		return nil, err
	}
	m, err := convert.ReadManifest(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	var names []string
	for _, f := range m.Files() {
		names = append(names, f.Name)
	}
	return names, nil
}

func joinName(src, rel string) string {
	if pipeline.IsS3(src) {
		return strings.TrimSuffix(src, "/") + "/" + rel
	}
	return filepath.Join(src, filepath.FromSlash(rel))
}

func joinKey(src string, o *pipeline.S3Objects, rel string) string {
	if o == nil {
		return joinName(src, rel)
	}
	p := o.Prefix()
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p + rel
}
