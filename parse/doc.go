// Package parse reads Amazon S3 server access log records with a
// hand-written, zero-allocation field scanner.
//
// A Record holds a line and the offsets of its fields; accessors return
// sub-slices of the line, so locating every field costs no allocation, and
// typed values (integers, the request time) are decoded only when asked for.
// A Scanner reads records from an io.Reader or an in-memory block, skips
// blank lines (IsBlank), optionally skips lines a prefilter rules out
// before parsing them, counts and reports malformed lines, and goes on.
//
// The parser follows the format as S3 really writes it, not as its
// documentation suggests:
//
//   - Records have 17 to 27 known fields depending on their age; unknown
//     trailing fields are kept and counted, never a reject.
//   - S3 does not escape quotes inside Request-URI, Referer and User-Agent.
//     A request line closes at the first quote followed by a space and an
//     HTTP status; a referrer at the first quote followed by a space and the
//     next quoted field; a user agent at the last quote of the line, since no
//     later field is quoted. A referrer ending in a stray quote (…id=452"")
//     is therefore read as ending in a quote.
//   - Empty values appear as -, "-" and a bare - where a quoted field
//     belongs; all of them are absent (see Record.Value).
//   - A requester may contain spaces (the CloudFront origin access identity
//     "…user/CloudFront Origin Access Identity E2EXAMPLE"), and a Host Id may
//     be logged as two tokens. The parser merges them when that is what makes
//     the operation name and the signature version land in their slots.
//   - Lines from the wild are not always pristine: a run of spaces where one
//     separates two fields is read as one separator, and an unexpected value
//     in a late optional field (Access Point ARN, aclRequired, source
//     region) is kept as logged. Such records are kept with a warning
//     (Record.Warnings), never dropped: a request, maybe a deletion, must not
//     vanish from an answer for an odd token. Inside quoted fields spaces
//     are content.
//   - Lines that cannot be read without guessing are rejected with the
//     field and column where they went wrong: truncated records, two records
//     spliced on one line, fields shifted by a missing space.
//
// Parsing runs a fast path of plain splitting checked by cheap validation of
// the fields whose shape is known; only lines that fail it take the slow,
// resynchronising path. A Scanner reading a block on amd64 with AVX2 finds
// the separators of that fast path with a structural index: one SIMD pass
// over 16 KiB at a time marks every space, quote, newline and '[' in
// bitmasks, which the fast path walks with bit arithmetic instead of
// searching for each field's end. It gives the same results as the
// portable fast path, which runs on other platforms and under the purego
// build tag.
package parse
