#!/usr/bin/env bash
# Index memory benchmark: peak RSS of loading a repository index of BLOBS blobs (default 10 million).
# Writes a synthetic repository whose index files name that many blobs in packs of 1,000, without any
# pack (dev.holdfast.repository.SyntheticIndexMain, from the test classes), then measures with
# /usr/bin/time -v: `holdfast list` (opens the repository, which loads every index file) and
# `restic list blobs` (loads restic's in-memory index). Prints both and the ratio. Target: < 1 GB.
# Usage: bench/index-memory.sh [WORKDIR]   env: BLOBS (default 10000000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BLOBS="${BLOBS:-10000000}"
work="${1:-$(mktemp -d /tmp/holdfast-bench-index.XXXXXX)}"
export RESTIC_PASSWORD="bench-password" HOLDFAST_STATE_DIR="$work/state" RESTIC_CACHE_DIR="$work/restic-cache"

for tool in restic /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing (apt-get install restic time)" >&2; exit 2; }
done
"$here/holdfast" --version >/dev/null # builds the jar
( cd "$here" && mvn -B -o -q test-compile >&2 ) # the generator lives in the test classes
. "$here/scripts/find-java.sh"
JAVA="$(holdfast_find_java)"

repo="$work/repo-$BLOBS"
if [ ! -f "$repo/config" ]; then
  rm -rf "$repo"
  echo "writing an index of $BLOBS blobs to $repo (a few minutes)" >&2
  "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$here/target/test-classes:$here/target/holdfast.jar" \
    dev.holdfast.repository.SyntheticIndexMain "$repo" "$RESTIC_PASSWORD" "$BLOBS" 1 >&2
fi

measure() { # label, command...: prints "label seconds rss-MiB"
  local label="$1"; shift
  /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null
  local rss secs
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print int($2 / 1024)}' "$work/time.txt")
  secs=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$work/time.txt")
  echo "$label $secs $rss"
}

h=$(measure holdfast "$here/holdfast" list --from "$repo")
r=$(measure restic restic --no-cache -r "$repo" list blobs)
printf '\nindex of %s blobs (%s MiB of index files); %s cores; %s\n' "$BLOBS" "$(du -sm "$repo/index" | cut -f1)" \
  "$(nproc)" "$(restic version | head -1)"
printf '%-9s %-30s %10s %14s\n' tool command "wall" "peak RSS (MiB)"
printf '%-9s %-30s %10s %14s\n' holdfast "list --from REPO" "$(echo "$h" | cut -d' ' -f2)" "$(echo "$h" | cut -d' ' -f3)"
printf '%-9s %-30s %10s %14s\n' restic "list blobs" "$(echo "$r" | cut -d' ' -f2)" "$(echo "$r" | cut -d' ' -f3)"
printf 'holdfast/restic peak RSS: %.2f   (target: holdfast < 1024 MiB)\n' \
  "$(echo "$(echo "$h" | cut -d' ' -f3) / $(echo "$r" | cut -d' ' -f3)" | bc -l)"
echo "(work dir: $work; the synthetic repository is kept and reused)"
