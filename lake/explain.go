package lake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/s3logs/s3logs/pipeline"
)

// explainList is how many names Explain lists of each kind.
const explainList = 8

// Explain describes what Run would read of sources, which hold converted
// output, for scan: the files (the manifest's, or those listed), the
// partitions and the files pruned with them by the time window, the row
// groups pruned by their statistics and which filter pruned them, the
// columns read and the filters checked. It reads the files' footers and
// no data; the dictionary checks happen only as the row groups are read.
// Each line starts with indent.
func Explain(ctx context.Context, cfg pipeline.Config, sources []string, scan Scan, indent string) (string, error) {
	r, err := newRun(ctx, cfg, scan)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	var files []*dataFile
	for _, src := range sources {
		fs, manifest, err := listFiles(ctx, r.cfg, src, r.stats)
		if err != nil {
			return "", err
		}
		how := "every file not hidden (no manifest)"
		if manifest {
			how = "the files its manifest names"
		}
		line("converted output: %s, %d files: %s", src, len(fs), how)
		files = append(files, fs...)
	}

	// Partitions.
	parts := map[string]bool{}
	var prunedParts []string
	var open []*dataFile
	missing := 0
	for _, f := range files {
		if f.part != nil {
			parts[string(f.part)] = true
		}
		if r.outsideWindow(f) {
			if !slices.Contains(prunedParts, string(f.part)) {
				prunedParts = append(prunedParts, string(f.part))
			}
			continue
		}
		if f.missing {
			missing++
		}
		open = append(open, f)
	}
	sort.Strings(prunedParts)
	if len(parts) > 0 {
		line("partitions:      %d; %d pruned by the time window%s", len(parts), len(prunedParts), listed(prunedParts, "dt="))
	} else {
		line("partitions:      none (no dt=... directories)")
	}

	// Footers and row groups.
	var mu sync.Mutex
	var pruned []string
	prunedBy := map[string]int{}
	r.onPrune = func(fs *fileState, rg int, by *prepared) {
		mu.Lock()
		defer mu.Unlock()
		pruned = append(pruned, fmt.Sprintf("%s#%d", fs.f.rel, rg))
		prunedBy[by.f.Text]++
	}
	var groups, read, filesPruned int
	var layout *layout
	for _, f := range open {
		if f.missing {
			continue
		}
		fs := &fileState{f: f}
		us, err := r.prepare(ctx, fs)
		if fs.blob != nil {
			fs.blob.close()
		}
		var pe *planError
		if errors.As(err, &pe) {
			return "", pe.err
		}
		if err != nil {
			return "", err
		}
		n := len(us)
		if fs.md != nil {
			groups += fs.md.NumRowGroups()
		} else {
			groups += n
		}
		read += n
		if n == 0 {
			filesPruned++
		}
		if layout == nil {
			layout = fs.layout
		}
	}
	line("files:           %d listed; %d pruned with their partitions; %d whose every row group is pruned; %d to read",
		len(files), len(files)-len(open), filesPruned, len(open)-filesPruned-missing)
	if missing > 0 {
		line("missing:         %d files the manifest names are not there (they fail the run; --skip-failed reads the others)", missing)
	}
	var by []string
	for text, n := range prunedBy {
		by = append(by, fmt.Sprintf("%d by %s", n, text))
	}
	sort.Strings(by)
	line("row groups:      %d in the files opened; %d pruned by statistics%s; %d to read", groups, groups-read, paren(by), read)
	if len(pruned) > 0 {
		sort.Strings(pruned)
		line("pruned groups:   %s", strings.TrimPrefix(listed(pruned, ""), ": "))
	}
	if layout != nil {
		var first, rest []string
		for i, s := range layout.order {
			if i < layout.nfilter {
				first = append(first, layout.cols[s].name)
			} else {
				rest = append(rest, layout.cols[s].name)
			}
		}
		cols := strings.Join(append(first, rest...), ", ")
		if cols == "" {
			cols = "(none: rows are counted from the footers' row counts)"
		}
		line("columns read:    %s", cols)
		for _, p := range layout.filters {
			how := "statistics, rows"
			if p.kind == kStr && (p.f.Op == OpEqual || p.f.Op == OpLike) {
				how = "statistics, dictionaries, rows"
			}
			line("lake filter:     %s (%s; read first: %s)", p.f.Text, how, layout.cols[p.slot].name)
		}
	}
	return b.String(), nil
}

// listed formats up to explainList names after ": ".
func listed(names []string, prefix string) string {
	if len(names) == 0 {
		return ""
	}
	var out []string
	for _, n := range names[:min(len(names), explainList)] {
		out = append(out, strings.TrimSpace(prefix+n))
	}
	s := ": " + strings.Join(out, ", ")
	if len(names) > explainList {
		s += fmt.Sprintf(", … and %d more", len(names)-explainList)
	}
	return s
}

func paren(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}
