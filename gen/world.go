package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Stream salts for the PCG generators: the world (pools of keys, actors)
// and each object draw from separate streams of the same seed, so an
// object's content depends only on the Config and its index.
const (
	worldStream  = 0x9e3779b97f4a7c15
	objectStream = 0x5851f42d4c957f2d
)

// rnd is a seeded random source with the helpers the generator needs.
type rnd struct{ *rand.Rand }

func newRnd(seed int64, stream uint64) rnd {
	return rnd{rand.New(rand.NewPCG(uint64(seed), stream))}
}

// chance reports true with probability p.
func (r rnd) chance(p float64) bool { return r.Float64() < p }

// between returns a uniform integer in [lo, hi].
func (r rnd) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

const upperHex = "0123456789ABCDEF"
const lowerHex = "0123456789abcdef"
const upperAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
const base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// chars returns n characters drawn from alphabet.
func (r rnd) chars(n int, alphabet string) string {
	b := make([]byte, n)
	var bits uint64
	left := 0
	for i := range b {
		if left == 0 {
			bits, left = r.Uint64(), 10
		}
		b[i] = alphabet[int(bits&63)%len(alphabet)]
		bits >>= 6
		left--
	}
	return string(b)
}

// hostID returns a Host Id: 76 characters of base64 ending in "=".
func (r rnd) hostID() string { return r.chars(75, base64Chars) + "=" }

// requestID returns a 16-character request id, mostly upper-case hex as
// in most real logs, sometimes the newer upper-case alphanumeric form.
func (r rnd) requestID() string {
	if r.chance(0.2) {
		return r.chars(16, upperAlnum)
	}
	return r.chars(16, upperHex)
}

func (r rnd) uuid() string {
	h := r.chars(32, lowerHex)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// ipv4 returns an address from the public ranges, avoiding nothing in
// particular: addresses are synthetic.
func (r rnd) ipv4() string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

func (r rnd) ipv6() string {
	return fmt.Sprintf("2600:1f18:%x:%x:%x:%x:%x:%x", r.IntN(0x10000), r.IntN(0x10000),
		r.IntN(0x10000), r.IntN(0x10000), r.IntN(0x10000), r.IntN(0x10000))
}

// weighted picks an index with probability proportional to w[i].
func (r rnd) weighted(w []int) int {
	total := 0
	for _, v := range w {
		total += v
	}
	x := r.IntN(total)
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// objKey is an object of a source bucket.
type objKey struct {
	field string // the Key field as S3 logs it
	path  string // the path as the client sends it in the request line
	size  int64
}

type bucket struct {
	name      string
	versioned bool
	keys      []objKey
	hot       int // index of images/picture.jpg, chosen more often than others
}

// actor is a requester with its habits.
type actor struct {
	requester string // "" for anonymous
	ips       []string
	uas       []string
	referers  []string // "" entries mean no referrer
	sigv      string   // "SigV4", "SigV2" or "" (anonymous)
	presign   float64  // share of QueryString authentication
	oldTLS    bool     // prefers TLSv1/TLSv1.1
	plainHTTP float64  // share of requests over plain HTTP
	writes    bool     // may PUT, DELETE, COPY
	weight    int
	service   bool // an AWS service principal: no remote IP
}

// world holds the pools every object of one Config draws from.
type world struct {
	cfg     Config
	owner   string // canonical id of the bucket owner
	buckets []bucket
	actors  []actor
	weights []int
}

var browserUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"curl/8.5.0",
	"Wget/1.21.4",
}

var toolUAs = []string{
	"aws-cli/2.15.19 Python/3.11.6 Linux/6.1.72-96.166.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp",
	"aws-cli/2.15.19 Python/3.11.6 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.ls",
	"Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51",
	"aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.1",
	"aws-sdk-java/2.24.13 Linux/5.10.209-198.858.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
	"aws-sdk-js/3.525.0 ua/2.0 os/linux#5.15.0-1055-aws lang/js md/nodejs#20.11.1 api/s3#3.525.0",
	"rclone/v1.65.2",
}

var consoleUAs = []string{
	"S3Console/0.4",
	"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.198-163.748.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]",
}

var legacyUAs = []string{
	"aws-sdk-java/1.10.77 Linux/3.13.0-92-generic Java_HotSpot(TM)_64-Bit_Server_VM/25.91-b14/1.8.0_91",
	"Boto/2.49.0 Python/2.7.18 Linux/4.14.322-246.539.amzn2.x86_64",
	"s3cmd/1.6.1",
}

const trustedAdvisorUA = "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.212-b03 java/1.8.0_212 vendor/Oracle_Corporation"

// newWorld builds the pools for c, which must have its defaults.
func newWorld(c Config) *world {
	r := newRnd(c.Seed, worldStream)
	w := &world{cfg: c, owner: r.chars(64, lowerHex)}
	acct := c.SourceAccount
	ips := func(n int, v6 float64) []string {
		s := make([]string, n)
		for i := range s {
			if r.chance(v6) {
				s[i] = r.ipv6()
			} else {
				s[i] = r.ipv4()
			}
		}
		return s
	}
	instance := "i-0" + r.chars(16, lowerHex)
	w.actors = []actor{
		{requester: "", ips: ips(60, 0.08), uas: browserUAs, referers: []string{"", "", "https://www.example.com/", "https://www.example.com/gallery/index.html", "https://www.google.com/"},
			plainHTTP: 0.1, weight: 20},
		{requester: "arn:aws:sts::" + acct + ":assumed-role/app-server-role/" + instance, ips: ips(3, 0.2), uas: toolUAs[2:4],
			sigv: "SigV4", presign: 0.05, writes: true, weight: 30},
		{requester: "arn:aws:iam::" + acct + ":user/alice", ips: ips(2, 0), uas: toolUAs[:2],
			sigv: "SigV4", writes: true, weight: 8},
		{requester: "arn:aws:iam::" + acct + ":user/legacy-backup", ips: ips(1, 0), uas: legacyUAs,
			sigv: "SigV2", presign: 0.1, oldTLS: true, plainHTTP: 0.2, writes: true, weight: 5},
		{requester: "arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_AdministratorAccess_" + r.chars(16, lowerHex) + "/bob@example.com",
			ips: ips(2, 0), uas: consoleUAs, referers: []string{"https://" + c.SourceRegion + ".console.aws.amazon.com/"},
			sigv: "SigV4", presign: 0.3, writes: true, weight: 4},
		{requester: "arn:aws:sts::" + acct + ":assumed-role/data-pipeline/session-" + r.chars(10, "0123456789"), ips: ips(4, 0), uas: toolUAs[3:7],
			sigv: "SigV4", writes: true, weight: 12},
		{requester: w.owner, ips: ips(2, 0), uas: toolUAs[:1], sigv: "SigV4", writes: true, weight: 4},
		{requester: r.chars(64, lowerHex), ips: ips(2, 0), uas: toolUAs[4:5], sigv: "SigV4", weight: 2},
		{requester: "arn:aws:iam::" + fmt.Sprintf("%012d", r.Int64N(1e12)) + ":user/partner-sync", ips: ips(2, 0), uas: toolUAs[5:6],
			sigv: "SigV4", weight: 3},
		{requester: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForTrustedAdvisor/TrustedAdvisor_" + acct + "_" + r.uuid(),
			ips: ips(1, 0), uas: []string{trustedAdvisorUA}, sigv: "SigV4", weight: 1},
		{requester: "svc:delivery.logs.amazonaws.com", sigv: "SigV4", writes: true, weight: 2, service: true},
	}
	for _, a := range w.actors {
		w.weights = append(w.weights, a.weight)
	}
	for i, name := range c.Buckets {
		b := bucket{name: name, versioned: i%2 == 1}
		n := 120
		b.keys = make([]objKey, 0, n+1)
		b.hot = 0
		b.keys = append(b.keys, objKey{field: "images/picture.jpg", path: "images/picture.jpg", size: 245_918})
		for len(b.keys) < n {
			b.keys = append(b.keys, randomKey(r))
		}
		w.buckets = append(w.buckets, b)
	}
	return w
}

var keyWords = []string{"alpha", "beta", "gamma", "delta", "summer", "winter", "report", "backup", "export", "final", "draft", "daily"}

// randomKey returns a plausible object key. A few have spaces or
// parentheses, which S3 logs URL-encoded in the Key field (a space as +)
// while the request line carries %20.
func randomKey(r rnd) objKey {
	word := func() string { return keyWords[r.IntN(len(keyWords))] }
	var name string
	var size int64
	switch r.IntN(8) {
	case 0, 1:
		name = fmt.Sprintf("images/IMG_%04d.jpg", r.IntN(10000))
		size = r.between(40_000, 6_000_000)
	case 2:
		name = fmt.Sprintf("data/2024/%02d/%02d/part-%05d.parquet", 1+r.IntN(12), 1+r.IntN(28), r.IntN(200))
		size = r.between(1_000_000, 512_000_000)
	case 3:
		name = fmt.Sprintf("backups/db-%s-%04d.sql.gz", word(), r.IntN(1000))
		size = r.between(50_000_000, 3_000_000_000)
	case 4:
		name = fmt.Sprintf("static/js/app.%s.js", r.chars(8, lowerHex))
		size = r.between(2_000, 900_000)
	case 5:
		name = fmt.Sprintf("docs/%s %s (%d).pdf", word(), word(), r.IntN(10))
		size = r.between(20_000, 20_000_000)
	case 6:
		name = fmt.Sprintf("logs/app/%s/%s.log", r.chars(6, lowerHex), word())
		size = r.between(500, 50_000_000)
	default:
		name = fmt.Sprintf("uploads/%s/%s.csv", r.uuid(), word())
		size = r.between(100, 80_000_000)
	}
	return objKey{field: keyFieldEscape(name), path: pathEscape(name), size: size}
}

// pathEscape escapes a key for the request line: unreserved characters
// and '/' stay, anything else is %XX.
func pathEscape(s string) string { return escape(s, false) }

// keyFieldEscape escapes a key the way the Key field shows it: a space is
// '+', other reserved characters %XX.
func keyFieldEscape(s string) string { return escape(s, true) }

func escape(s string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		case c == ' ' && plus:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}
