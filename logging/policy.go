package logging

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"strings"
)

// LoggingService is the service principal that delivers server access logs.
const LoggingService = "logging.s3.amazonaws.com"

// Statement ids of the statements this package writes. Statements with
// other ids in an existing policy are kept as they are.
const (
	sidDeliveryPrefix = "S3LogsDelivery"
	sidDenyInsecure   = "S3LogsDenyInsecureTransport"
)

// maxPolicySize is S3's limit on a bucket policy, in bytes.
const maxPolicySize = 20 << 10

// statement is one IAM policy statement as this package writes it.
type statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  any                          `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

// deliverySid is the statement id for source's delivery grant: letters and
// digits only (what IAM allows everywhere), with a hash of the exact name so
// "a-b" and "a.b" differ.
func deliverySid(source string) string {
	h := fnv.New32a()
	h.Write([]byte(source))
	var b strings.Builder
	b.WriteString(sidDeliveryPrefix)
	for i := 0; i < len(source); i++ {
		if c := source[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	fmt.Fprintf(&b, "%08x", h.Sum32())
	return b.String()
}

// deliveryStatement lets the logging service put objects under prefix in
// logBucket, only on behalf of source in account.
func deliveryStatement(logBucket, prefix, source, account string) statement {
	return statement{
		Sid:       deliverySid(source),
		Effect:    "Allow",
		Principal: map[string]string{"Service": LoggingService},
		Action:    "s3:PutObject",
		Resource:  "arn:aws:s3:::" + logBucket + "/" + prefix + "*",
		Condition: map[string]map[string]string{
			"ArnLike":      {"aws:SourceArn": "arn:aws:s3:::" + source},
			"StringEquals": {"aws:SourceAccount": account},
		},
	}
}

// denyInsecureStatement refuses every request to logBucket not made over TLS.
func denyInsecureStatement(logBucket string) statement {
	return statement{
		Sid:       sidDenyInsecure,
		Effect:    "Deny",
		Principal: "*",
		Action:    "s3:*",
		Resource:  []string{"arn:aws:s3:::" + logBucket, "arn:aws:s3:::" + logBucket + "/*"},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// mergePolicy returns the policy document existing (may be empty) with the
// statements of ours added, or replacing those with the same Sid; other
// statements and top-level fields are kept. changed is false when existing
// already holds every statement of ours, as written, in which case merged
// is nil.
func mergePolicy(existing string, ours []statement) (merged []byte, changed bool, err error) {
	doc := map[string]any{}
	var stmts []any
	if strings.TrimSpace(existing) != "" {
		if err := json.Unmarshal([]byte(existing), &doc); err != nil {
			return nil, false, fmt.Errorf("existing bucket policy is not JSON: %w", err)
		}
		switch s := doc["Statement"].(type) {
		case nil:
		case []any:
			stmts = s
		case map[string]any:
			stmts = []any{s}
		default:
			return nil, false, fmt.Errorf("existing bucket policy: Statement is %T, want a list", s)
		}
	}
	index := map[string]int{}
	for i, s := range stmts {
		if m, ok := s.(map[string]any); ok {
			if sid, ok := m["Sid"].(string); ok && sid != "" {
				index[sid] = i
			}
		}
	}
	for _, st := range ours {
		b, err := json.Marshal(st)
		if err != nil {
			return nil, false, err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, false, err
		}
		i, ok := index[st.Sid]
		switch {
		case !ok:
			index[st.Sid] = len(stmts)
			stmts = append(stmts, v)
			changed = true
		case !reflect.DeepEqual(normalize(stmts[i]), normalize(v)):
			stmts[i] = v
			changed = true
		}
	}
	if !changed {
		return nil, false, nil
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	doc["Statement"] = stmts
	merged, err = json.Marshal(doc)
	if err != nil {
		return nil, false, err
	}
	if len(merged) > maxPolicySize {
		return nil, false, fmt.Errorf("bucket policy would be %d bytes, over S3's %d-byte limit: too many source buckets for one logging bucket", len(merged), maxPolicySize)
	}
	return merged, true, nil
}

// normalize makes policy values that mean the same compare equal: a list of
// one element is that element (IAM accepts and may return either).
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 1 {
			return normalize(x[0])
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
