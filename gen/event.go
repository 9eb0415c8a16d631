package gen

import (
	"fmt"
	"strconv"
	"time"
)

// opWeights is the operation mix, per thousand events (an event may log
// several records: a copy logs two, a multi-object delete one plus one per
// key).
var opWeights = []struct {
	op     string
	weight int
}{
	{"REST.GET.OBJECT", 430},
	{"REST.HEAD.OBJECT", 90},
	{"REST.PUT.OBJECT", 80},
	{"REST.GET.BUCKET", 60},
	{"REST.DELETE.OBJECT", 25},
	{"REST.COPY.OBJECT", 15},
	{"REST.POST.MULTI_OBJECT_DELETE", 10},
	{"REST.PUT.PART", 20},
	{"REST.POST.UPLOADS", 5},
	{"REST.POST.UPLOAD", 5},
	{"REST.GET.ACL", 10},
	{"REST.GET.BUCKETPOLICY", 5},
	{"REST.GET.LOCATION", 8},
	{"REST.GET.VERSIONING", 5},
	{"REST.GET.OBJECT_TAGGING", 5},
	{"REST.OPTIONS.PREFLIGHT", 10},
	{"S3.EXPIRE.OBJECT", 15},
	{"S3.TRANSITION_SIA.OBJECT", 8},
}

var opWeightList = func() []int {
	w := make([]int, len(opWeights))
	for i, o := range opWeights {
		w[i] = o.weight
	}
	return w
}()

// fieldsAt returns how many fields S3 wrote for a record at t.
func fieldsAt(t time.Time) int {
	switch y, m := t.Year(), t.Month(); {
	case y < 2008:
		return 17
	case y < 2019 || y == 2019 && m < time.March:
		return 18
	case y < 2020:
		return 24
	case y < 2023 || y == 2023 && m < time.April:
		return 25
	case y < 2026:
		return 26
	}
	return 27
}

// objGen generates the records of one object.
type objGen struct {
	w   *world
	r   rnd
	b   *bucket
	out []Record

	pathStyle bool // the current request names the bucket in its path
}

// event appends the records of one request event at t, at most room of
// them (room >= 1).
func (g *objGen) event(t time.Time, room int) {
	r := g.r
	if g.w.cfg.TrapRate > 0 && r.chance(g.w.cfg.TrapRate) {
		g.trap(t)
		return
	}
	op := opWeights[r.weighted(opWeightList)].op
	switch op {
	case "S3.EXPIRE.OBJECT", "S3.TRANSITION_SIA.OBJECT":
		g.lifecycle(t, op)
		return
	}
	a := &g.w.actors[r.weighted(g.w.weights)]
	if a.service {
		g.delivery(t, a)
		return
	}
	if isWrite(op) && !a.writes && a.requester != "" {
		op = "REST.GET.OBJECT"
	}
	if a.requester == "" && (op == "REST.COPY.OBJECT" || op == "REST.POST.MULTI_OBJECT_DELETE") {
		op = "REST.PUT.OBJECT" // denied below
	}
	if (op == "REST.COPY.OBJECT" && room < 2) || (op == "REST.POST.MULTI_OBJECT_DELETE" && room < 2) {
		op = "REST.GET.OBJECT"
	}
	rec := g.base(t, a)
	k := g.key()
	anonDenied := a.requester == "" && !anonymousOK(op)
	switch op {
	case "REST.GET.OBJECT":
		g.getObject(&rec, a, k)
	case "REST.HEAD.OBJECT":
		g.request(&rec, op, "HEAD", k.field, k.path, "")
		switch r.weighted([]int{90, 8, 2}) {
		case 0:
			g.ok(&rec, 200, Null, k.size, 2, 30)
		case 1:
			g.fail(&rec, 404, "NoSuchKey", Null)
		default:
			g.fail(&rec, 403, "AccessDenied", Null)
		}
	case "REST.PUT.OBJECT", "REST.PUT.PART":
		q := ""
		size := k.size
		if op == "REST.PUT.PART" {
			q = "partNumber=" + strconv.Itoa(1+r.IntN(40)) + "&uploadId=" + r.chars(64, base64Chars[:62])
			size = 8 << 20
		}
		g.request(&rec, op, "PUT", k.field, k.path, q)
		g.ok(&rec, 200, Null, size, 10+size/(int64(5+r.IntN(95))*1000), 60)
		if g.b.versioned && op == "REST.PUT.OBJECT" {
			rec.VersionID = g.versionID()
		}
	case "REST.DELETE.OBJECT":
		g.request(&rec, op, "DELETE", k.field, k.path, "")
		g.ok(&rec, 204, Null, Null, 5, 40)
		if g.b.versioned {
			rec.VersionID = g.versionID()
		}
	case "REST.POST.UPLOADS":
		g.request(&rec, op, "POST", k.field, k.path, "uploads")
		g.ok(&rec, 200, r.between(300, 450), Null, 10, 40)
	case "REST.POST.UPLOAD":
		g.request(&rec, op, "POST", k.field, k.path, "uploadId="+r.chars(64, base64Chars[:62]))
		g.ok(&rec, 200, r.between(300, 420), k.size, 30, 300)
	case "REST.GET.BUCKET":
		prefix := []string{"images/", "data/2024/", "backups/", "", "uploads/"}[r.IntN(5)]
		g.request(&rec, op, "GET", "", "", "list-type=2&prefix="+pathEscape(prefix)+"&encoding-type=url")
		g.ok(&rec, 200, r.between(300, 60_000), Null, 10, 120)
	case "REST.GET.ACL":
		if r.chance(0.5) {
			g.request(&rec, op, "GET", k.field, k.path, "acl")
		} else {
			g.request(&rec, op, "GET", "", "", "acl")
		}
		g.ok(&rec, 200, r.between(500, 800), Null, 3, 20)
		rec.ACLRequired = "Yes"
	case "REST.GET.BUCKETPOLICY":
		g.request(&rec, op, "GET", "", "", "policy")
		if r.chance(0.5) {
			g.fail(&rec, 404, "NoSuchBucketPolicy", 297)
		} else {
			g.ok(&rec, 200, r.between(400, 1200), Null, 3, 20)
		}
	case "REST.GET.LOCATION":
		g.request(&rec, op, "GET", "", "", "location")
		g.ok(&rec, 200, 142, Null, 2, 20)
	case "REST.GET.VERSIONING":
		g.request(&rec, op, "GET", "", "", "versioning")
		g.ok(&rec, 200, 113, Null, 2, 20)
	case "REST.GET.OBJECT_TAGGING":
		g.request(&rec, op, "GET", k.field, k.path, "tagging")
		g.ok(&rec, 200, r.between(110, 400), Null, 2, 20)
	case "REST.OPTIONS.PREFLIGHT":
		g.request(&rec, op, "OPTIONS", k.field, k.path, "")
		g.ok(&rec, 200, Null, Null, 1, 10)
	case "REST.COPY.OBJECT":
		dst := g.key()
		g.request(&rec, op, "PUT", dst.field, dst.path, "")
		g.ok(&rec, 200, r.between(230, 260), k.size, 20+k.size/50_000, 60)
		src := rec
		src.Operation = "REST.COPY.OBJECT_GET"
		src.Key = k.field
		src.RequestURI, src.Referer, src.UserAgent = "", "", ""
		src.BytesSent, src.TotalTime, src.TurnAroundTime = Null, Null, Null
		src.HostID = r.hostID()
		src.VersionID = ""
		g.emit(rec)
		g.emit(src)
		return
	case "REST.POST.MULTI_OBJECT_DELETE":
		g.request(&rec, op, "POST", "", "", "delete")
		n := 1 + r.IntN(min(4, room-1))
		g.ok(&rec, 200, int64(120+100*n), Null, 20, 120)
		g.emit(rec)
		for i := 0; i < n; i++ {
			d := rec
			d.Operation = "BATCH.DELETE.OBJECT"
			d.Key = k.field
			d.RequestURI, d.Referer, d.UserAgent, d.ErrorCode = "", "", "", ""
			d.HTTPStatus, d.BytesSent, d.ObjectSize, d.TotalTime, d.TurnAroundTime = 204, Null, k.size, Null, Null
			d.HostID = r.hostID()
			g.emit(d)
			k = g.key()
		}
		return
	}
	if anonDenied {
		g.fail(&rec, 403, "AccessDenied", 243)
		rec.VersionID, rec.ACLRequired = "", ""
	}
	g.emit(rec)
}

// anonymousOK reports whether an anonymous request for op can succeed on
// a public bucket; others are denied.
func anonymousOK(op string) bool {
	switch op {
	case "REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.GET.BUCKET", "REST.OPTIONS.PREFLIGHT":
		return true
	}
	return false
}

func isWrite(op string) bool {
	switch op {
	case "REST.PUT.OBJECT", "REST.PUT.PART", "REST.DELETE.OBJECT", "REST.COPY.OBJECT",
		"REST.POST.MULTI_OBJECT_DELETE", "REST.POST.UPLOADS", "REST.POST.UPLOAD":
		return true
	}
	return false
}

// key picks an object key of the current bucket; images/picture.jpg is
// hot, so questions about it have answers.
func (g *objGen) key() objKey {
	if g.r.chance(0.03) {
		return g.b.keys[g.b.hot]
	}
	return g.b.keys[g.r.IntN(len(g.b.keys))]
}

func (g *objGen) versionID() string { return g.r.chars(32, base64Chars[:62]) }

// base returns a record with the fields every request of actor a at t
// shares: who, where from, how signed, over what.
func (g *objGen) base(t time.Time, a *actor) Record {
	r, c := g.r, g.w.cfg
	rec := Record{
		BucketOwner: g.w.owner,
		Bucket:      g.b.name,
		Time:        t,
		Requester:   a.requester,
		RequestID:   r.requestID(),
		HostID:      r.hostID(),
		SigV:        a.sigv,
		NumFields:   fieldsAt(t),
	}
	if len(a.ips) > 0 {
		rec.RemoteIP = a.ips[r.IntN(len(a.ips))]
	}
	if len(a.uas) > 0 {
		rec.UserAgent = a.uas[r.IntN(len(a.uas))]
	}
	if len(a.referers) > 0 {
		rec.Referer = a.referers[r.IntN(len(a.referers))]
	}
	switch {
	case a.sigv == "":
	case r.chance(a.presign):
		rec.AuthType = "QueryString"
	default:
		rec.AuthType = "AuthHeader"
	}
	switch {
	case r.chance(a.plainHTTP):
	case a.oldTLS:
		rec.TLSVersion = []string{"TLSv1", "TLSv1.1", "TLSv1.2"}[r.IntN(3)]
		rec.CipherSuite = "ECDHE-RSA-AES128-SHA"
	case r.chance(0.3):
		rec.TLSVersion = "TLSv1.3"
		rec.CipherSuite = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}[r.IntN(2)]
	default:
		rec.TLSVersion = "TLSv1.2"
		rec.CipherSuite = []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"}[r.IntN(3)]
	}
	g.pathStyle = false
	switch x := r.IntN(100); {
	case x < 62:
		rec.HostHeader = g.b.name + ".s3." + c.SourceRegion + ".amazonaws.com"
	case x < 80:
		rec.HostHeader = g.b.name + ".s3.amazonaws.com"
	case x < 98 || a.requester == "":
		rec.HostHeader = "s3." + c.SourceRegion + ".amazonaws.com"
		g.pathStyle = true
	default:
		rec.AccessPointARN = "arn:aws:s3:" + c.SourceRegion + ":" + c.SourceAccount + ":accesspoint/app-ap"
		rec.HostHeader = "app-ap-" + c.SourceAccount + ".s3-accesspoint." + c.SourceRegion + ".amazonaws.com"
	}
	if r.chance(0.02) {
		rec.ACLRequired = "Yes"
	}
	if a.requester != "" {
		rec.SourceRegion = c.SourceRegion
		if r.chance(0.2) {
			rec.SourceRegion = "eu-west-1"
		}
	}
	return rec
}

// request sets the operation, key and request line. path is the key as
// the client sent it ("" for a bucket-level request), query without "?".
func (g *objGen) request(rec *Record, op, method, keyField, path, query string) {
	rec.Operation = op
	rec.Key = keyField
	target := "/" + path
	if g.pathStyle {
		target = "/" + g.b.name
		if path != "" {
			target += "/" + path
		}
	}
	if rec.AuthType == "QueryString" {
		if query != "" {
			query += "&"
		}
		query += g.presign(rec)
	}
	if query != "" {
		target += "?" + query
	}
	proto := " HTTP/1.1"
	if rec.TLSVersion == "" && g.r.chance(0.2) {
		proto = " HTTP/1.0"
	}
	rec.RequestURI = method + " " + target + proto
}

// presign returns the query-string authentication parameters.
func (g *objGen) presign(rec *Record) string {
	r := g.r
	if rec.SigV == "SigV2" {
		return "AWSAccessKeyId=AKIA" + r.chars(16, upperAlnum) + "&Expires=" +
			strconv.FormatInt(rec.Time.Unix()+3600, 10) + "&Signature=" + r.chars(27, base64Chars[:62]) + "%3D"
	}
	return "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA" + r.chars(16, upperAlnum) + "%2F" +
		rec.Time.Format("20060102") + "%2F" + g.w.cfg.SourceRegion + "%2Fs3%2Faws4_request&X-Amz-Date=" +
		rec.Time.Add(-time.Duration(r.IntN(600))*time.Second).Format("20060102T150405Z") +
		"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + r.chars(64, lowerHex)
}

// ok sets a successful status, the sizes, and times: total time in
// [minTotal, ...], turn-around time at most maxTurn and at most the total.
func (g *objGen) ok(rec *Record, status int, sent, size, minTotal, maxTurn int64) {
	rec.HTTPStatus, rec.ErrorCode = status, ""
	rec.BytesSent, rec.ObjectSize = sent, size
	rec.TotalTime = minTotal + g.r.Int64N(minTotal/2+5)
	rec.TurnAroundTime = min(rec.TotalTime, 1+g.r.Int64N(maxTurn))
}

// fail sets an error status; the object size and turn-around time of an
// error are not logged.
func (g *objGen) fail(rec *Record, status int, code string, sent int64) {
	rec.HTTPStatus, rec.ErrorCode = status, code
	rec.BytesSent, rec.ObjectSize = sent, Null
	rec.TotalTime = 1 + g.r.Int64N(30)
	rec.TurnAroundTime = Null
	if g.r.chance(0.3) {
		rec.TurnAroundTime = 1 + g.r.Int64N(rec.TotalTime)
	}
}

func (g *objGen) getObject(rec *Record, a *actor, k objKey) {
	r := g.r
	q := ""
	if g.b.versioned && r.chance(0.2) {
		rec.VersionID = g.versionID()
		q = "versionId=" + rec.VersionID
	}
	g.request(rec, "REST.GET.OBJECT", "GET", k.field, k.path, q)
	w := []int{80, 8, 2, 2, 5, 2, 1, 1} // 200 206 304 403 404 503 500 307
	if a.requester == "" {
		w = []int{60, 5, 10, 12, 10, 1, 1, 1}
	}
	if k.size > 100<<20 {
		w[0], w[1] = w[1], w[0] // big objects are mostly read in ranges
	}
	rate := int64(5+r.IntN(95)) * 1000 // bytes per millisecond
	switch r.weighted(w) {
	case 0:
		g.ok(rec, 200, k.size, k.size, 5+k.size/rate, 60)
	case 1:
		sent := min(k.size, r.between(512, 16<<20))
		g.ok(rec, 206, sent, k.size, 5+sent/rate, 60)
	case 2:
		g.ok(rec, 304, Null, k.size, 2, 10)
		rec.TurnAroundTime = Null
	case 3:
		g.fail(rec, 403, "AccessDenied", 243)
	case 4:
		g.fail(rec, 404, "NoSuchKey", r.between(290, 330))
	case 5:
		g.fail(rec, 503, "SlowDown", r.between(250, 280))
	case 6:
		g.fail(rec, 500, "InternalError", r.between(280, 300))
	default:
		g.fail(rec, 307, "TemporaryRedirect", r.between(400, 520))
	}
	if rec.HTTPStatus >= 300 {
		rec.VersionID = ""
	}
}

// lifecycle logs a lifecycle action by S3 itself: no remote IP, requester
// AmazonS3, request line "-", most fields absent. Some internal records
// still stop at 18 fields.
func (g *objGen) lifecycle(t time.Time, op string) {
	r := g.r
	k := g.key()
	rec := Record{
		BucketOwner: g.w.owner,
		Bucket:      g.b.name,
		Time:        t,
		Requester:   "AmazonS3",
		RequestID:   r.requestID(),
		Operation:   op,
		Key:         k.field,
		HTTPStatus:  Null, BytesSent: Null, ObjectSize: k.size, TotalTime: Null, TurnAroundTime: Null,
		HostID:    r.hostID(),
		NumFields: fieldsAt(t),
	}
	if g.b.versioned {
		rec.VersionID = g.versionID()
	}
	if rec.NumFields > 18 && r.chance(0.25) {
		rec.NumFields = 18
	}
	g.emit(rec)
}

// delivery logs an AWS service writing a log file into the bucket.
func (g *objGen) delivery(t time.Time, a *actor) {
	r, c := g.r, g.w.cfg
	rec := g.base(t, a)
	name := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		c.SourceAccount, c.SourceRegion, t.Format("2006/01/02"), c.SourceAccount, c.SourceRegion,
		t.Format("20060102T1504Z"), r.chars(16, upperAlnum))
	rec.AuthType = "AuthHeader"
	g.request(&rec, "REST.PUT.OBJECT", "PUT", name, name, "")
	g.ok(&rec, 200, Null, r.between(700, 50_000), 20, 30)
	g.emit(rec)
}

// emit clears the fields the record's field count leaves out and appends
// it.
func (g *objGen) emit(rec Record) {
	if rec.NumFields <= 18 {
		rec.HostID, rec.SigV, rec.CipherSuite, rec.AuthType, rec.HostHeader, rec.TLSVersion = "", "", "", "", "", ""
	}
	if rec.NumFields < 18 {
		rec.VersionID = ""
	}
	if rec.NumFields < 25 {
		rec.AccessPointARN = ""
	}
	if rec.NumFields < 26 {
		rec.ACLRequired = ""
	}
	if rec.NumFields < 27 {
		rec.SourceRegion = ""
	}
	g.out = append(g.out, rec)
}

const pipUA = `pip/19.1 {"ci":null,"cpu":"x86_64","distro":{"id":"Core","libc":{"lib":"glibc","version":"2.17"},"name":"CentOS Linux","version":"7"},"implementation":{"name":"CPython","version":"3.6.7"},"installer":{"name":"pip","version":"19.1"},"openssl_version":"OpenSSL 1.1.1b  26 Feb 2019","python":"3.6.7","setuptools_version":"41.0.1","system":{"name":"Linux","release":"3.10.0-514.10.2.el7.x86_64"}}`

const shellshock = `() { :;}; echo; echo "vulnerable"`

// trap logs one record carrying a real-world oddity.
func (g *objGen) trap(t time.Time) {
	r := g.r
	kind := Trap(1 + r.IntN(int(numTraps)-1))
	if kind == TrapHostIDTwoTokens && fieldsAt(t) < 24 {
		kind = TrapIPv6
	}
	// An ordinary GET by a random non-service actor, then the oddity.
	var a *actor
	for a == nil || a.service {
		a = &g.w.actors[r.weighted(g.w.weights)]
	}
	rec := g.base(t, a)
	k := g.key()
	g.getObject(&rec, a, k)
	anon := func() {
		rec.Requester, rec.SigV, rec.AuthType, rec.SourceRegion = "", "", "", ""
		rec.RequestURI = stripQuery(rec.RequestURI)
	}
	switch kind {
	case TrapJSONUserAgent:
		rec.UserAgent = pipUA
	case TrapUserAgentLeadingQuotes:
		rec.UserAgent = `"` + browserUAs[0]
	case TrapUserAgentTrailingQuotes:
		rec.UserAgent = browserUAs[3] + `"`
	case TrapShellshock:
		anon()
		g.request(&rec, "REST.GET.BUCKET", "GET", "", "", "")
		g.fail(&rec, 403, "AccessDenied", 243)
		rec.Referer, rec.UserAgent = shellshock, shellshock
	case TrapQuoteInRequestLine:
		anon()
		rec.Key = "%2522"
		rec.RequestURI = `GET /" HTTP/1.1`
		g.fail(&rec, 403, "AccessDenied", 243)
		rec.UserAgent = "curl/7.38.0"
		rec.VersionID = ""
	case TrapCloudFrontOAI:
		rec.Requester = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E" + r.chars(13, upperAlnum)
		rec.UserAgent = "Amazon CloudFront"
		rec.SigV, rec.AuthType = "SigV4", "AuthHeader"
		rec.RequestURI = stripQuery(rec.RequestURI)
	case TrapChecksumOperation:
		rec = Record{
			BucketOwner: g.w.owner, Bucket: g.b.name, Time: t,
			Requester: "svc:batchoperations.s3.amazonaws.com", RequestID: r.requestID(),
			Operation: "S3.COMPUTE.OBJECT.CHECKSUM", Key: k.field,
			HTTPStatus: 200, BytesSent: Null, ObjectSize: k.size, TotalTime: Null, TurnAroundTime: Null,
			HostID: r.hostID(), SigV: "SigV4", AuthType: "AuthHeader", NumFields: fieldsAt(t),
		}
	case TrapUUIDRequestID:
		rec.RequestID = r.uuid()
	case TrapIPv6:
		rec.RemoteIP = r.ipv6()
	case TrapHugeSize:
		size := r.between(1<<32+1, 500_000_000_000)
		rec.VersionID = ""
		g.request(&rec, "REST.GET.OBJECT", "GET", k.field, k.path, "")
		if r.chance(0.5) {
			g.ok(&rec, 200, size, size, size/100_000, 200)
		} else {
			sent := r.between(1<<32+1, size)
			g.ok(&rec, 206, sent, size, sent/100_000, 200)
		}
	case TrapDoubleEncodedKey:
		n := r.IntN(100)
		w := keyWords[r.IntN(len(keyWords))]
		rec.Key = fmt.Sprintf("reports/run%%253D%d/summary+%s.csv", n, w)
		rec.VersionID = ""
		g.request(&rec, "REST.GET.OBJECT", "GET", rec.Key, fmt.Sprintf("reports/run%%3D%d/summary%%20%s.csv", n, w), "")
	case TrapHostIDTwoTokens:
		rec.HostID = r.chars(40, base64Chars) + " " + r.chars(35, base64Chars) + "="
	}
	rec.Trap = kind
	g.emit(rec)
}

// stripQuery drops the query string of a request line, so a record made
// anonymous does not carry signing parameters.
func stripQuery(line string) string {
	q := -1
	for i := 0; i < len(line); i++ {
		if line[i] == '?' {
			q = i
			break
		}
	}
	if q < 0 {
		return line
	}
	sp := q
	for sp < len(line) && line[sp] != ' ' {
		sp++
	}
	return line[:q] + line[sp:]
}
