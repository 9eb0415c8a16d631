package s3test

import (
	"encoding/json"
	"io"
	"strings"
)

// InventoryFile is a data file of an S3 Inventory report, as its manifest
// names it.
type InventoryFile struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
	MD5  string `json:"MD5checksum"`
}

// InventoryManifest returns the manifest.json of an S3 Inventory report
// of bucket source delivered to bucket dest, as S3 writes it: format is
// "CSV" or "Parquet", schema its fileSchema.
func InventoryManifest(source, dest, format, schema string, files []InventoryFile) ([]byte, error) {
	return json.MarshalIndent(map[string]any{
		"sourceBucket": source, "destinationBucket": "arn:aws:s3:::" + dest, "version": "2016-11-30",
		"creationTimestamp": "1709769600000", "fileFormat": format, "fileSchema": schema, "files": files,
	}, "", "  ")
}

// WriteInventoryCSV writes one row of a CSV inventory file as S3 does:
// every field quoted. The caller URL-encodes the key.
func WriteInventoryCSV(w io.Writer, fields ...string) error {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(f, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
