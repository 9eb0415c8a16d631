package query_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
)

// Two lines of AWS's documentation example log: an authenticated
// versioning request and an anonymous one.
const exampleLogs = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -
79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 891CE47D2EXAMPLE REST.GET.OBJECT index.html "GET /awsexamplebucket1/index.html HTTP/1.1" 200 - 2662 2662 12 11 "-" "Mozilla/5.0" - gO3M8R6vprmIvo5F+Xk2wWz8RLWe3K6NDg6XFhGY8j2RZk8jVwnYfBQpUzmG5MH4KIM/yWVkFZs= - - - awsexamplebucket1.s3.us-west-1.amazonaws.com - - -
`

func ExamplePlan_Run() {
	plan, err := query.Compile(`SELECT requestdatetime, operation, key
FROM s3_access_logs_db.mybucket_logs
WHERE Requester IS NULL`, query.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, _ := query.NewWriter("csv", os.Stdout)
	cfg := pipeline.Config{Stdin: strings.NewReader(exampleLogs)}
	if _, err := plan.Run(context.Background(), cfg, []string{"-"}, w, query.RunOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// requestdatetime,operation,key
	// 2019-02-06T00:00:38Z,REST.GET.OBJECT,index.html
}

func ExampleCompile_error() {
	_, err := query.Compile("SELECT Requster FROM s3_access_logs_db", query.Options{})
	fmt.Println(err)
	// Output:
	// line 1:8: unknown column "Requster" (did you mean "requester"?)
}
