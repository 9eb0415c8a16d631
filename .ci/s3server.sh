#!/usr/bin/env bash
# Starts or stops a local S3-compatible server (versitygw, Apache-2.0) for
# the end-to-end tests:
#
#   bash .ci/s3server.sh start   # install on first use, start, wait, write .ci/s3server.env
#   bash .ci/s3server.sh stop    # stop it and remove its data
#
# .ci/s3server.env (not committed) holds the endpoint, as
# S3LOGS_TEST_ENDPOINT for the tests and AWS_ENDPOINT_URL_S3 for s3logs
# itself (so a shell that sourced it reaches this server, never AWS), and
# the test credentials, for the caller to source with `set -a`. The server
# listens on loopback only and its credentials are throwaway test values.
#
# S3SERVER_NAME (default s3server) names the instance: its files are
# .ci/$S3SERVER_NAME.state and .env, so that .ci/test can run its own
# server beside one you started, and stop only its own. Starting an
# instance that is already running keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${S3SERVER_NAME:-s3server}
state=.ci/$name.state
envfile=.ci/$name.env
version=v1.8.0

gobin() {
	local b
	b=$(go env GOBIN)
	[ -n "$b" ] || b="$(go env GOPATH)/bin"
	echo "$b"
}

start() {
	if [ -f "$state" ]; then
		local old
		old=$(sed -n 's/^pid=//p' "$state")
		if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && [ -f "$envfile" ]; then
			echo "s3server: $name already running (pid $old), see $envfile" >&2
			return 0
		fi
		stop # left over from a server that died
	fi
	local bin
	bin="$(gobin)/versitygw"
	if [ ! -x "$bin" ]; then
		echo "s3server: installing versitygw $version" >&2
		GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$version"
	fi
	local dir port pid
	dir=$(mktemp -d "${TMPDIR:-/tmp}/s3logs-versitygw.XXXXXX")
	mkdir -p "$dir/data"
	# A free loopback port: bind port 0 and read what the kernel chose.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000)))
	ROOT_ACCESS_KEY=s3logs-test ROOT_SECRET_KEY=s3logs-test-secret \
		"$bin" --port "127.0.0.1:$port" posix "$dir/data" >"$dir/log" 2>&1 &
	pid=$!
	printf 'pid=%s\ndir=%s\n' "$pid" "$dir" >"$state"
	# Wait until it answers HTTP (any status: unsigned requests are refused).
	local i
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "s3server: versitygw exited:" >&2
			cat "$dir/log" >&2
			rm -f "$state"
			exit 1
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	cat >"$envfile" <<EOF
S3LOGS_TEST_ENDPOINT=http://127.0.0.1:$port
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port
AWS_ACCESS_KEY_ID=s3logs-test
AWS_SECRET_ACCESS_KEY=s3logs-test-secret
AWS_REGION=us-east-1
EOF
	echo "s3server: versitygw on http://127.0.0.1:$port (pid $pid)" >&2
}

stop() {
	[ -f "$state" ] || return 0
	local pid dir
	pid=$(sed -n 's/^pid=//p' "$state")
	dir=$(sed -n 's/^dir=//p' "$state")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	case "$dir" in
	"${TMPDIR:-/tmp}"/s3logs-versitygw.*) rm -rf "$dir" ;;
	esac
	rm -f "$state" "$envfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
