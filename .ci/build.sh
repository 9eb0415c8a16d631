#!/usr/bin/env bash
# Builds the static s3logs binary that the Dockerfile, the release archives
# and `.ci/run` use: no cgo (so no libc: it runs on scratch or distroless),
# trimmed paths, no symbol table. The version and VCS revision that
# `s3logs --version` prints come from Go's build info (-buildvcs=auto:
# stamped when built in a git checkout).
#
#   bash .ci/build.sh OUT              # for this machine
#   GOOS=darwin GOARCH=arm64 bash .ci/build.sh OUT
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: .ci/build.sh OUT}
CGO_ENABLED=0 go build -buildvcs=auto -trimpath -ldflags='-s -w' -o "$out" ./cmd/s3logs
