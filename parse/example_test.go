package parse_test

import (
	"fmt"
	"strings"

	"github.com/s3logs/s3logs/parse"
)

func Example() {
	logs := `79a5 mybucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT photos/cat.jpg "GET /mybucket/photos/cat.jpg HTTP/1.1" 200 - 113 4096 7 5 "-" "curl/8.5.0" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader mybucket.s3.us-west-1.amazonaws.com TLSv1.2
this line is not a record
79a5 mybucket [06/Feb/2019:00:01:57 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice DD6CC733AEXAMPLE REST.DELETE.OBJECT photos/cat.jpg "DELETE /mybucket/photos/cat.jpg HTTP/1.1" 204 - - - 28 - "-" "aws-cli/2.15.0" - 10S62Zv81kBW7BB6= SigV4 ECDHE-RSA-AES128-SHA AuthHeader mybucket.s3.us-west-1.amazonaws.com TLSv1.3
`
	s := parse.NewScanner(strings.NewReader(logs))
	s.OnReject(func(err *parse.ParseError, line []byte) { fmt.Println("rejected:", err) })
	for s.Scan() {
		r := s.Record()
		requester, ok := r.Value(parse.Requester)
		if !ok {
			requester = []byte("(anonymous)")
		}
		size, _ := r.Int(parse.ObjectSize)
		fmt.Printf("%s %s %s %s size=%d\n", r.Time().Format("2006-01-02T15:04:05Z"), r.Bytes(parse.Operation), r.Bytes(parse.Key), requester, size)
	}
	fmt.Println("lines:", s.Lines(), "rejected:", s.Rejected())
	// Output:
	// 2019-02-06T00:00:38Z REST.GET.OBJECT photos/cat.jpg (anonymous) size=4096
	// rejected: line:2:11: Time: expected [dd/Mon/yyyy:HH:mm:ss +zzzz]
	// 2019-02-06T00:01:57Z REST.DELETE.OBJECT photos/cat.jpg arn:aws:iam::123456789012:user/alice size=0
	// lines: 3 rejected: 1
}
