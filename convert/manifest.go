package convert

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/s3logs/s3logs/sink"
)

// ManifestDir is the directory, under the destination root, of manifest
// entries. Its leading underscore makes Hive-style readers (Athena, Trino,
// Spark) skip it.
const ManifestDir = "_manifest"

// ManifestEntry is one commit of a conversion: output files that appeared
// together, the line ranges of log objects whose records they hold, and
// log objects now known to be converted completely. It is stored as
// _manifest/<run>-<worker>-<seq>.json, written in one step after its files
// were published; a file no entry names does not count.
type ManifestEntry struct {
	Version int            `json:"version"`
	Run     string         `json:"run"`
	Written time.Time      `json:"written"`
	Format  string         `json:"format"`
	Filter  string         `json:"filter,omitempty"`
	Files   []ManifestFile `json:"files,omitempty"`
	// Ranges are the line ranges whose records (those passing the filter)
	// are in Files.
	Ranges []LineRange `json:"ranges,omitempty"`
	// Complete lists objects whose every line is in a range of this or an
	// earlier entry.
	Complete []string `json:"complete,omitempty"`
}

// ManifestFile is one output file.
type ManifestFile struct {
	Name    string   `json:"name"`
	Rows    int64    `json:"rows"`
	Bytes   int64    `json:"bytes"`
	Objects []string `json:"objects"` // log objects with rows in the file
}

// LineRange is the lines First..Last (1-based, inclusive) of a log object.
type LineRange struct {
	Object string `json:"object"`
	Size   int64  `json:"size"`
	First  int64  `json:"first"`
	Last   int64  `json:"last"`
}

// Manifest is the union of a destination's manifest entries.
type Manifest struct {
	Entries  []ManifestEntry
	files    map[string]ManifestFile
	complete map[string]bool
	ranges   map[string][]LineRange // sorted, merged, by object
}

// ReadManifest reads every manifest entry at d.
func ReadManifest(ctx context.Context, d sink.Destination) (*Manifest, error) {
	names, err := d.List(ctx, ManifestDir)
	if err != nil {
		return nil, fmt.Errorf("listing manifest: %w", err)
	}
	m := &Manifest{files: map[string]ManifestFile{}, complete: map[string]bool{}, ranges: map[string][]LineRange{}}
	for _, n := range names {
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		data, err := d.ReadFile(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", n, err)
		}
		var e ManifestEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", n, err)
		}
		m.add(e)
	}
	for o, rs := range m.ranges {
		m.ranges[o] = mergeRanges(rs)
	}
	return m, nil
}

func (m *Manifest) add(e ManifestEntry) {
	m.Entries = append(m.Entries, e)
	for _, f := range e.Files {
		m.files[f.Name] = f
	}
	for _, r := range e.Ranges {
		m.ranges[r.Object] = append(m.ranges[r.Object], r)
	}
	for _, o := range e.Complete {
		m.complete[o] = true
	}
}

// Complete reports whether every line of log object name is converted.
func (m *Manifest) Complete(name string) bool { return m.complete[name] }

// Has reports whether output file name is part of the output.
func (m *Manifest) Has(name string) bool { _, ok := m.files[name]; return ok }

// Files returns the output files, sorted.
func (m *Manifest) Files() []ManifestFile {
	out := make([]ManifestFile, 0, len(m.files))
	for _, f := range m.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Rows returns the number of rows in the output.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, f := range m.files {
		n += f.Rows
	}
	return n
}

// Ranges returns the converted line ranges of object name, sorted and
// merged.
func (m *Manifest) Ranges(name string) []LineRange { return m.ranges[name] }

// mergeRanges sorts ranges of one object and joins overlapping and
// adjacent ones.
func mergeRanges(rs []LineRange) []LineRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].First < rs[j].First })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// inRanges reports whether line is in one of the sorted, merged ranges.
func inRanges(rs []LineRange, line int64) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Last >= line })
	return i < len(rs) && rs[i].First <= line
}
