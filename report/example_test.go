package report_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/s3logs/s3logs/report"
)

// Build reads the logs once; the Report is plain data that Write renders
// as HTML, Markdown or JSON.
func Example() {
	rep, _, err := report.Build(context.Background(), report.Config{}, []string{"../examples/logs"})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range rep.Sections {
		if s.ID == report.SecSigV2 {
			row := s.Tables[0].Rows[0]
			fmt.Printf("%s: %s, %d requests\n", s.Title, row[0], row[1])
		}
	}
	if err := report.Write(io.Discard, rep, "html"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Signature Version 2: arn:aws:iam::123456789012:user/legacy-backup, 143 requests
}
