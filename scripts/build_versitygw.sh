#!/usr/bin/env bash
# Build the pinned versitygw (S3-compatible gateway, Apache-2.0) from the Go module proxy into
# .cache/bin. Idempotent: skipped when the binary already reports the pinned version. Go's module
# and build caches (~/go/pkg/mod, ~/.cache/go-build) make a rebuild in a fresh clone take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSITYGW_VERSION:-v1.8.0}
bin=.cache/bin/versitygw
# `go install` leaves no version in the binary, so a stamp beside it records what was built.
if [ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$version" ]; then
  echo "versitygw: $version already built at $bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "versitygw: the Go toolchain is required (https://go.dev/doc/install or apt-get install golang)" >&2
  exit 1
fi
mkdir -p .cache/bin
start=$(date +%s)
GOBIN="$PWD/.cache/bin" GOFLAGS=-trimpath go install "github.com/versity/versitygw/cmd/versitygw@$version"
echo "$version" > "$bin.version"
echo "versitygw: built $version in $(( $(date +%s) - start ))s -> $bin"
