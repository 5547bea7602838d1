#!/usr/bin/env bash
# Fetch the pinned JVM jars (jvm/pom.xml) from Maven Central into .cache/jars.
# Idempotent: a stamp records the pom's hash; when it matches, nothing is fetched or even resolved.
# Maven's own ~/.m2 repository is the download cache shared by clones on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$(realpath -m "${LAKEHOUSE_JARS_DIR:-.cache/jars}")
stamp="$dest/.pom.sha256"
want=$(sha256sum jvm/pom.xml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "jars: up to date in $dest ($(ls "$dest"/*.jar | wc -l) jars, $(du -sh "$dest" | cut -f1))"
  exit 0
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "jars: Maven not found; installing Debian's maven package" >&2
  apt-get update -qq && apt-get install -y -qq maven >/dev/null
fi
tmp=$(mktemp -d "${dest%/*}/.jars.XXXXXX" 2>/dev/null || { mkdir -p "${dest%/*}"; mktemp -d "${dest%/*}/.jars.XXXXXX"; })
start=$(date +%s)
mvn -q -B -f jvm/pom.xml dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime
echo "$want" > "$tmp/.pom.sha256"
rm -rf "$dest" && mv "$tmp" "$dest"
echo "jars: fetched $(ls "$dest"/*.jar | wc -l) jars ($(du -sh "$dest" | cut -f1)) into $dest in $(( $(date +%s) - start ))s"
