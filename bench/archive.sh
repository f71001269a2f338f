#!/usr/bin/env bash
# Archive benchmark: the same generated dataset archived by `holdfast backup` (gzip and zstd) and by
# `tar -czf`, `tar -cf - | pigz` and `tar -I 'zstd -3 -T0'` in one run. Prints wall time, output
# size, CPU time (user + system: steadier than wall time on a shared machine) and peak RSS of each,
# and holdfast's ratios against the tool it is meant to match.
# Usage: bench/archive.sh [WORKDIR]   env: FILES (default 3000), SIZE_MB (default 1000), SEED (default 7),
#        TEXT_PCT (share of the volume that is compressible log text, default 50),
#        BASELINE (optional: another build's `holdfast` launcher, timed too, as before-gzip/before-zstd)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FILES="${FILES:-3000}"
SIZE_MB="${SIZE_MB:-1000}"
SEED="${SEED:-7}"
TEXT_PCT="${TEXT_PCT:-50}"
work="${1:-$(mktemp -d /tmp/holdfast-bench-archive.XXXXXX)}"

declare -A PKG=([pigz]=pigz [zstd]=zstd [python3]=python3 [bc]=bc [/usr/bin/time]=time)
for tool in "${!PKG[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "archive.sh: $tool is missing; installing ${PKG[$tool]} with apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${PKG[$tool]}" >/dev/null
  fi
done
[ -x "$here/holdfast" ] || { echo "error: $here/holdfast launcher not found" >&2; exit 2; }

src="$work/src"; out="$work/out"
export HOLDFAST_STATE_DIR="$work/state"
rm -rf "$out" "$HOLDFAST_STATE_DIR"; mkdir -p "$out"

if [ ! -f "$work/.dataset-$FILES-$SIZE_MB-$SEED-$TEXT_PCT" ]; then
  rm -rf "$src"
  echo "generating $FILES files, ~$SIZE_MB MB ($TEXT_PCT% log text, the rest incompressible; seed $SEED) in $src" >&2
  python3 "$here/bench/dataset.py" "$src" "$FILES" "$SIZE_MB" "$SEED" "$TEXT_PCT"
  touch "$work/.dataset-$FILES-$SIZE_MB-$SEED-$TEXT_PCT"
fi
"$here/holdfast" --version >/dev/null # build the jar now, outside the timings
find "$src" -type f -exec cat {} + >/dev/null # warm the page cache

declare -A T S M C
measure() { # name, output file, command...
  local name="$1" file="$2"; shift 2
  sync
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$work/rss.$name" "$@"
  t1=$(date +%s.%N)
  T[$name]=$(echo "$t1 - $t0" | bc -l)
  S[$name]=$(stat -c %s "$file")
  M[$name]=$(( $(tail -1 "$work/rss.$name" | cut -d' ' -f3) / 1024 ))
  C[$name]=$(tail -1 "$work/rss.$name" | awk '{print $1 + $2}')
}
newest() { find "$1" -type f -name "$2" | head -1; }

measure "tar-gzip" "$out/t.tar.gz" tar -czf "$out/t.tar.gz" -C "$work" src
measure "tar-pigz" "$out/t.tar.pigz.gz" sh -c "tar -cf - -C '$work' src | pigz > '$out/t.tar.pigz.gz'"
measure "tar-zstd" "$out/t.tar.zst" tar -I 'zstd -3 -T0' -cf "$out/t.tar.zst" -C "$work" src
mkdir -p "$out/hg" "$out/hz"
measure "holdfast-gzip" /dev/null "$here/holdfast" -q backup --to "$out/hg" --compression gzip "$src"
S[holdfast-gzip]=$(stat -c %s "$(newest "$out/hg" '*.tar.gz')")
measure "holdfast-zstd" /dev/null "$here/holdfast" -q backup --to "$out/hz" --compression zstd "$src"
S[holdfast-zstd]=$(stat -c %s "$(newest "$out/hz" '*.tar.zst')")
tools=(tar-gzip tar-pigz tar-zstd holdfast-gzip holdfast-zstd)
if [ -n "${BASELINE:-}" ]; then # another build's launcher, e.g. of main, for before/after in one run
  "$BASELINE" --version >/dev/null
  mkdir -p "$out/bg" "$out/bz"
  measure "before-gzip" /dev/null "$BASELINE" -q backup --to "$out/bg" --compression gzip "$src"
  S[before-gzip]=$(stat -c %s "$(newest "$out/bg" '*.tar.gz')")
  measure "before-zstd" /dev/null "$BASELINE" -q backup --to "$out/bz" --compression zstd "$src"
  S[before-zstd]=$(stat -c %s "$(newest "$out/bz" '*.tar.zst')")
  tools+=(before-gzip before-zstd)
fi

# the outputs must be what they claim: plain gzip/zstd readers list the same number of entries
n_ref=$(tar -tzf "$out/t.tar.gz" | wc -l)
n_hg=$(gzip -dc "$(newest "$out/hg" '*.tar.gz')" | tar -tf - | wc -l)
n_hz=$(zstd -dc "$(newest "$out/hz" '*.tar.zst')" | tar -tf - | wc -l)
echo "entries: tar $n_ref, holdfast gzip $n_hg (read by gzip -d), holdfast zstd $n_hz (read by zstd -d)"

total=$(du -sm "$src" | cut -f1)
printf '\ndataset: %s files, %s MiB (%s%% log text); %s cores; %s\n' "$FILES" "$total" "$TEXT_PCT" "$(nproc)" "$(tar --version | head -1)"
printf '%-15s %10s %10s %12s %10s\n' tool "wall (s)" "CPU (s)" "size (MiB)" "RSS (MiB)"
for n in "${tools[@]}"; do
  printf '%-15s %10.2f %10.2f %12.1f %10s\n' "$n" "${T[$n]}" "${C[$n]}" "$(echo "${S[$n]} / 1048576" | bc -l)" "${M[$n]}"
done
ratio() { printf '%-40s time %5.2f  CPU %5.2f  size %5.3f\n' "$1 / $2" "$(echo "${T[$1]} / ${T[$2]}" | bc -l)" "$(echo "${C[$1]} / ${C[$2]}" | bc -l)" "$(echo "${S[$1]} / ${S[$2]}" | bc -l)"; }
echo
ratio holdfast-gzip tar-pigz
ratio holdfast-gzip tar-gzip
ratio holdfast-zstd tar-zstd
if [ -n "${BASELINE:-}" ]; then
  ratio before-gzip tar-pigz
  ratio before-zstd tar-zstd
fi
echo "(targets: holdfast-gzip time <= 1.0x tar|pigz; holdfast-zstd time <= 1.2x and size <= 1.0x tar -I zstd."
echo " holdfast's times include JVM start-up and writing the manifest and .sha256. Work dir: $work)"
