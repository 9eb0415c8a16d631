package schema

import (
	"testing"
	"time"

	"github.com/s3logs/s3logs/parse"
)

func TestLookup(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		i, ok := Lookup(name)
		if want == "" {
			if ok {
				t.Errorf("Lookup(%q) = %s", name, Columns[i].Name)
			}
			return
		}
		if !ok || Columns[i].Name != want {
			t.Errorf("Lookup(%q) = %d %v, want %s", name, i, ok, want)
		}
	}
	// Spellings from AWS's documented Athena tables and example queries.
	f("RequestDateTime", "requestdatetime")
	f("RemoteIP", "remoteip")
	f("HTTPStatus", "httpstatus")
	f("Sigv", "sigv")
	f("bucket_name", "bucket")
	f("hostheader", "endpoint")
	f("Endpoint", "endpoint")
	f("requesturi_httpprotoversion", "requesturi_httpprotoversion")
	f("log_object", "log_object")
	f("timestamp", "timestamp")
	f("DT", "dt")
	f("nosuchcolumn", "")
}

func TestStarIsTheSpecTable(t *testing.T) {
	star := Star()
	if len(star) != 30 {
		t.Fatalf("SELECT * has %d columns, SPEC §3 lists 30", len(star))
	}
	// Every log field appears exactly once as a direct field column.
	seen := map[parse.Field]int{}
	for _, c := range star {
		if c.Source == FromField {
			seen[c.Field]++
		}
	}
	for f := parse.Field(0); int(f) < parse.NumFields; f++ {
		if seen[f] != 1 {
			t.Errorf("field %v appears %d times", f, seen[f])
		}
	}
	if star[2].Type != Timestamp || star[12].Type != Int32 || star[14].Type != Int64 {
		t.Errorf("types: %v %v %v", star[2].Type, star[12].Type, star[14].Type)
	}
}

// TestPartitionColumn reads dt: the partition value an Origin carries
// (converted output), else the request's UTC day.
func TestPartitionColumn(t *testing.T) {
	i, ok := Lookup("dt")
	if !ok || PartitionColumn.Name != "dt" || Columns[i].Source != FromPartition || !Columns[i].Derived {
		t.Fatalf("dt: %v %+v", ok, PartitionColumn)
	}
	for _, c := range OutputColumns() {
		if c.Name == "dt" {
			t.Fatal("dt is in the files' columns; it belongs in directory names")
		}
	}
	var r parse.Record
	line := "owner bkt [31/Dec/2023:23:59:59 +0000] 1.2.3.4 - REQ REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"ua\" -"
	if err := r.Parse([]byte(line)); err != nil {
		t.Fatal(err)
	}
	get := Columns[i].Getter()
	var o Origin
	if b, _, ok := get(&r, &o); !ok || string(b) != "2023-12-31" {
		t.Errorf("dt of a log record = %q %v, want 2023-12-31", b, ok)
	}
	o.Partition = []byte("2023-12-31-23")
	if b, _, ok := get(&r, &o); !ok || string(b) != "2023-12-31-23" {
		t.Errorf("dt with a partition = %q %v, want the partition's value", b, ok)
	}
}

// TestPartitionSpan: a dt value holds its UTC day or hour, both ends in.
func TestPartitionSpan(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	hour := time.Date(2024, 3, 1, 13, 0, 0, 0, time.UTC).Unix()
	for _, c := range []struct {
		v      string
		lo, hi int64
		ok     bool
	}{
		{"2024-03-01", day, day + 24*3600 - 1, true},
		{"2024-03-01-13", hour, hour + 3600 - 1, true},
		{"2024/03/01", 0, 0, false},
		{"2024-03-01-1", 0, 0, false},
		{"", 0, 0, false},
	} {
		if lo, hi, ok := PartitionSpan(c.v); lo != c.lo || hi != c.hi || ok != c.ok {
			t.Errorf("PartitionSpan(%q) = %d, %d, %v; want %d, %d, %v", c.v, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
}
