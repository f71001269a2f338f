#!/usr/bin/env bash
# Incremental benchmark: an unchanged re-run over many small files (default 100,000 in 1,000
# directories), holdfast vs restic, each into its own repository. Prints wall and CPU time, peak RSS
# and which files the re-run added to each repository (it should add a snapshot only: every file
# taken from the parent unread, every tree the same).
# Usage: bench/incremental.sh [WORKDIR]   env: FILES (default 100000; a multiple of 100)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FILES="${FILES:-100000}"
work="${1:-$(mktemp -d /tmp/holdfast-bench-incremental.XXXXXX)}"
src="$work/src"
export RESTIC_PASSWORD="bench-password" HOLDFAST_STATE_DIR="$work/state" RESTIC_CACHE_DIR="$work/restic-cache"
for tool in restic python3 /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing" >&2; exit 2; }
done

if [ ! -f "$work/.dataset-$FILES" ]; then
  rm -rf "$src"
  python3 - "$src" "$FILES" <<'PY'
import os, random, sys
root, files = sys.argv[1], int(sys.argv[2])
r = random.Random(1)
for i in range(files // 100):
    d = os.path.join(root, "d%02d" % (i % 10), "s%04d" % i)
    os.makedirs(d)
    for c in range(100):
        with open(os.path.join(d, "f%03d.txt" % c), "wb") as f:
            f.write(r.randbytes(r.randint(50, 400)))
PY
  touch "$work/.dataset-$FILES"
fi
"$here/holdfast" --version >/dev/null
rm -rf "$work/repo-holdfast" "$work/repo-restic" "$HOLDFAST_STATE_DIR" "$RESTIC_CACHE_DIR"
"$here/holdfast" -q init --to "$work/repo-holdfast" --format repository >/dev/null
restic -q -r "$work/repo-restic" init >/dev/null

declare -A T C M ADDED
run() { # tool, phase, command...
  local key="$1,$2"; shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" >/dev/null
  read -r wall user sys rss < "$work/time.txt"
  T[$key]=$wall; C[$key]=$(echo "$user + $sys" | bc -l); M[$key]=$(( rss / 1024 ))
}
listing() { (cd "$1" && find . -type f -not -path './locks/*' | sort); }
backup() { # tool, phase
  local before; before="$(listing "$work/repo-$1")"
  case "$1" in
    holdfast) run holdfast "$2" "$here/holdfast" -q backup --to "$work/repo-holdfast" "$src" ;;
    restic) run restic "$2" restic -q -r "$work/repo-restic" backup "$src" ;;
  esac
  ADDED[$1,$2]=$(comm -13 <(echo "$before") <(listing "$work/repo-$1") | cut -d/ -f2 | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')
}
for t in holdfast restic; do backup "$t" first; done
for t in holdfast restic; do backup "$t" unchanged; done

printf '\n%s files of 50-400 bytes in %s directories; %s cores; %s\n' "$FILES" "$((FILES / 100))" "$(nproc)" "$(restic version | head -1)"
printf '%-9s %-10s %9s %9s %10s  %s\n' tool phase "wall (s)" "CPU (s)" "RSS (MiB)" "files added"
for t in holdfast restic; do
  for p in first unchanged; do
    printf '%-9s %-10s %9.2f %9.2f %10s  %s\n' "$t" "$p" "${T[$t,$p]}" "${C[$t,$p]}" "${M[$t,$p]}" "${ADDED[$t,$p]%, }"
  done
done
printf 'holdfast/restic unchanged re-run: wall %.2f, CPU %.2f (holdfast includes JVM start-up)\n' \
  "$(echo "${T[holdfast,unchanged]} / ${T[restic,unchanged]}" | bc -l)" "$(echo "${C[holdfast,unchanged]} / ${C[restic,unchanged]}" | bc -l)"
echo "(work dir: $work)"
