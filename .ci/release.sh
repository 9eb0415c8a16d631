#!/usr/bin/env bash
# Builds the release archives: static binaries for linux, darwin and
# windows on amd64 and arm64 (each with the LICENSE and README), and
# checksums.txt with their SHA-256 sums.
#
#   bash .ci/release.sh v1.2.0 dist/
#
# Archives are named s3logs_VERSION_OS_ARCH.tar.gz (.zip for windows). Tag
# the commit (git tag v1.2.0) before building, so that the binaries'
# --version shows it; upload dist/* to the release.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: .ci/release.sh VERSION DIR}
dist=${2:?usage: .ci/release.sh VERSION DIR}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/s3logs-release.XXXXXX")
trap 'rm -rf "$work"' EXIT

for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
	os=${target%/*} arch=${target#*/}
	name="s3logs_${version}_${os}_${arch}"
	exe=s3logs
	[ "$os" = windows ] && exe=s3logs.exe
	mkdir -p "$work/$name"
	GOOS=$os GOARCH=$arch bash .ci/build.sh "$work/$name/$exe"
	cp LICENSE README.md "$work/$name/"
	if [ "$os" = windows ]; then
		(cd "$work" && rm -f "$dist/$name.zip" && python3 -c 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", ".", sys.argv[2])' "$dist/$name" "$name")
	else
		tar -C "$work" -czf "$dist/$name.tar.gz" "$name"
	fi
	echo "release: $name" >&2
done
(cd "$dist" && sha256sum s3logs_"${version}"_* >checksums.txt)
echo "release: $dist/checksums.txt" >&2
