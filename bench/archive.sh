#!/usr/bin/env bash
# Archive benchmark: the same generated dataset archived by `holdfast backup` (gzip and zstd) and by
# `tar -czf`, `tar -cf - | pigz` and `tar -I 'zstd -3 -T0'` in one run. Prints wall time, output
# size, CPU time (user + system: steadier than wall time on a shared machine) and peak RSS of each,
# and holdfast's ratios against the tool it is meant to match.
# Usage: bench/archive.sh [WORKDIR]   env: FILES (default 3000), SIZE_MB (default 1000), SEED (default 7),
#        TEXT_PCT (share of the volume that is compressible log text, default 50),
#        BASELINE (optional: another build's `holdfast` launcher, timed too, as before-gzip/before-zstd),
#        ROUNDS (default 3: `tar -I zstd` and `holdfast --compression zstd` are timed alternately this many
#        times and each one's median run is reported; on a shared 2-core VM one run of a 3-4 s job
#        varies by 10-30%, as much as the gap the target is about)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FILES="${FILES:-3000}"
SIZE_MB="${SIZE_MB:-1000}"
SEED="${SEED:-7}"
ROUNDS="${ROUNDS:-3}"
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
# the first backup after a build writes the data commands' class-data archive on exit: not in a timing
mkdir -p "$work/warm-src" "$work/warm-out" && echo warm > "$work/warm-src/f"
"$here/holdfast" -q backup --to "$work/warm-out" --compression zstd "$work/warm-src" >/dev/null 2>&1 || true
"$here/holdfast" -q backup --to "$work/warm-out" --compression gzip "$work/warm-src" >/dev/null 2>&1 || true
rm -rf "$work/warm-src" "$work/warm-out"
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
mkdir -p "$out/hg" "$out/hz"
measure "holdfast-gzip" /dev/null "$here/holdfast" -q backup --to "$out/hg" --compression gzip "$src"
S[holdfast-gzip]=$(stat -c %s "$(newest "$out/hg" '*.tar.gz')")
# tar -I zstd and holdfast zstd, alternated; each one's median round is kept (wall time, with its CPU and RSS)
declare -A ALL
RATIOS=""
keep_median() { # name: sort the rounds' "wall cpu rss size" lines, keep the middle one
  local mid
  mid=$(printf '%s\n' "${ALL[$1]}" | sed '/^$/d' | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")
  read -r T[$1] C[$1] M[$1] S[$1] <<<"$mid"
}
for round in $(seq "$ROUNDS"); do
  rm -f "$out/t.tar.zst"; rm -rf "$out/hz"; mkdir -p "$out/hz"
  measure "tar-zstd" "$out/t.tar.zst" tar -I 'zstd -3 -T0' -cf "$out/t.tar.zst" -C "$work" src
  ALL[tar-zstd]+="${T[tar-zstd]} ${C[tar-zstd]} ${M[tar-zstd]} ${S[tar-zstd]}"$'\n'
  measure "holdfast-zstd" /dev/null "$here/holdfast" -q backup --to "$out/hz" --compression zstd "$src"
  S[holdfast-zstd]=$(stat -c %s "$(newest "$out/hz" '*.tar.zst')")
  ALL[holdfast-zstd]+="${T[holdfast-zstd]} ${C[holdfast-zstd]} ${M[holdfast-zstd]} ${S[holdfast-zstd]}"$'\n'
  r=$(echo "${T[holdfast-zstd]} / ${T[tar-zstd]}" | bc -l)
  RATIOS+="$r"$'\n'
  printf 'zstd round %s: tar -I zstd %.2f s, holdfast %.2f s (%.2fx)\n' "$round" "${T[tar-zstd]}" "${T[holdfast-zstd]}" "$r"
done
paired=$(printf '%s' "$RATIOS" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")
keep_median tar-zstd
keep_median holdfast-zstd
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
printf '%-40s time %5.2f  (median of the %s rounds'"'"' own ratios)\n' "holdfast-zstd / tar-zstd, paired" "$paired" "$ROUNDS"
if [ -n "${BASELINE:-}" ]; then
  ratio before-gzip tar-pigz
  ratio before-zstd tar-zstd
fi
echo "(targets: holdfast-gzip time <= 1.0x tar|pigz; holdfast-zstd time <= 1.2x and size <= 1.0x tar -I zstd."
echo " holdfast's times include JVM start-up and writing the manifest and .sha256; the zstd pair is the median"
echo " of $ROUNDS alternated rounds. Work dir: $work)"
