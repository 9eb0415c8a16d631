#!/usr/bin/env bash
# Checks .ci/s3server.sh as a user meets it: the env file also points
# s3logs itself (AWS_ENDPOINT_URL_S3) at the local server, and a second
# instance (as .ci/test starts) stops without touching the first.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "s3server_test: $*" >&2; exit 1; }
mine=s3server-check-$$ theirs=s3server-check-other-$$
cleanup() { S3SERVER_NAME=$mine bash .ci/s3server.sh stop; S3SERVER_NAME=$theirs bash .ci/s3server.sh stop; }
trap cleanup EXIT

S3SERVER_NAME=$mine bash .ci/s3server.sh start
(
	set -a
	. ".ci/$mine.env"
	set +a
	[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || fail "env file does not set AWS_ENDPOINT_URL_S3"
	[ "$AWS_ENDPOINT_URL_S3" = "$S3LOGS_TEST_ENDPOINT" ] || fail "AWS_ENDPOINT_URL_S3 $AWS_ENDPOINT_URL_S3 is not the test endpoint $S3LOGS_TEST_ENDPOINT"
	# s3logs with nothing but the sourced environment reaches the local
	# server (a bucket it made), not AWS.
	go run ./cmd/s3logs gen --out s3://s3server-check/logs/ --objects 2 --lines 5 >/dev/null 2>&1 || fail "gen to the local server failed"
	go run ./cmd/s3logs query --quiet "SELECT count(*) AS n FROM logs" s3://s3server-check/logs/ | grep -qx '[1-9][0-9]*' || fail "query of the local server failed"
)
pid=$(sed -n 's/^pid=//p' ".ci/$mine.state")

# Starting it again keeps it; another instance stops only itself.
S3SERVER_NAME=$mine bash .ci/s3server.sh start
[ "$(sed -n 's/^pid=//p' ".ci/$mine.state")" = "$pid" ] || fail "a second start replaced the running server"
S3SERVER_NAME=$theirs bash .ci/s3server.sh start
S3SERVER_NAME=$theirs bash .ci/s3server.sh stop
kill -0 "$pid" 2>/dev/null || fail "stopping another instance stopped this one"
echo "s3server_test: ok" >&2
