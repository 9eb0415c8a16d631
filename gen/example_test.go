package gen_test

import (
	"fmt"
	"time"

	"github.com/s3logs/s3logs/gen"
)

func ExampleRecord_AppendLine() {
	r := gen.Record{
		BucketOwner: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
		Bucket:      "amzn-s3-demo-bucket1",
		Time:        time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC),
		RemoteIP:    "192.0.2.3",
		RequestID:   "3E57427F3EXAMPLE",
		Operation:   "REST.GET.OBJECT",
		Key:         "images/picture.jpg",
		RequestURI:  "GET /images/picture.jpg HTTP/1.1",
		HTTPStatus:  200, BytesSent: 245918, ObjectSize: 245918, TotalTime: 21, TurnAroundTime: gen.Null,
		UserAgent: "curl/8.5.0",
		NumFields: 18,
	}
	fmt.Println(string(r.AppendLine(nil)))
	// Output:
	// 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT images/picture.jpg "GET /images/picture.jpg HTTP/1.1" 200 - 245918 245918 21 - "-" "curl/8.5.0" -
}

func ExampleGenerate() {
	cfg := gen.Config{Seed: 1, Objects: 3, LinesPerObject: 10, Prefix: "logs/"}
	err := gen.Generate(cfg, func(o gen.Object) error {
		last := o.Records[len(o.Records)-1].Time
		fmt.Println(o.Key[:len("logs/2006-01-02")], !o.Time.Before(last))
		return nil
	})
	fmt.Println(err)
	// Output:
	// logs/2024-03-02 true
	// logs/2024-03-04 true
	// logs/2024-03-07 true
	// <nil>
}
