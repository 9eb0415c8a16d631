package main

import (
	"os"
	"path/filepath"
	"strings"
)

// noClobber returns a usage error if any of the named output files exists
// and force is not set: outputs are never silently replaced. paths pairs
// each flag name with its value; empty values are skipped.
func noClobber(force bool, paths ...[2]string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if p[1] == "" {
			continue
		}
		if _, err := os.Lstat(p[1]); err == nil {
			return usagef("%s %s: file exists (--force overwrites it)", p[0], p[1])
		}
	}
	return nil
}

// queryFormats and reportFormats are the formats that --out's extension
// implies, for query and report.
var (
	queryFormats = map[string]string{
		".parquet": "parquet", ".arrow": "arrow", ".csv": "csv",
		".json": "json", ".jsonl": "json", ".ndjson": "json",
	}
	reportFormats = map[string]string{
		".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json",
	}
)

// outFormat returns the output format: --format when given, else the one
// --out's extension implies (byExt), else "" for the command's default. A
// --format that contradicts --out's extension is a usage error: a file
// named x.parquet that holds CSV helps nobody.
func outFormat(format, out string, byExt map[string]string) (string, error) {
	ext := strings.ToLower(filepath.Ext(out))
	implied := byExt[ext]
	if format == "" {
		return implied, nil
	}
	if format == "markdown" {
		format = "md"
	}
	if implied != "" && implied != format {
		return "", usagef("--format %s contradicts --out %s, a %s file: drop --format or change the extension", format, out, implied)
	}
	return format, nil
}
