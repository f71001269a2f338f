#!/usr/bin/env bash
# Mirror benchmark: the same generated dataset mirrored by `holdfast mirror` and by `rsync -a`:
# initial copy, unchanged re-run, ~1% of files changed. Prints wall times and holdfast/rsync ratios,
# and checks after each phase that rsync finds nothing left to do in holdfast's copy.
# Usage: bench/mirror.sh [WORKDIR]   env: FILES (default 3000), SIZE_MB (default 500), SEED (default 42)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FILES="${FILES:-3000}"
SIZE_MB="${SIZE_MB:-500}"
SEED="${SEED:-42}"
work="${1:-$(mktemp -d /tmp/holdfast-bench-mirror.XXXXXX)}"

for tool in rsync python3 bc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "mirror.sh: $tool is missing; installing it with apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$tool" >/dev/null
  fi
done
[ -x "$here/holdfast" ] || { echo "error: $here/holdfast launcher not found" >&2; exit 2; }

src="$work/src"; hf="$work/holdfast"; rs="$work/rsync"
export HOLDFAST_STATE_DIR="$work/state"
rm -rf "$src" "$hf" "$rs" "$HOLDFAST_STATE_DIR"

echo "generating $FILES files, ~$SIZE_MB MB (seed $SEED) in $src" >&2
python3 - "$src" "$FILES" "$SIZE_MB" "$SEED" <<'PY'
import os, random, sys
root, files, size_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
# 97% small files (1-64 KiB), 3% large ones carrying the rest of the volume
small = [rnd.randint(1024, 65536) for _ in range(files - max(1, files * 3 // 100))]
large_n = files - len(small)
rest = max(0, size_mb * 1_000_000 - sum(small))
sizes = small + [rest // large_n] * large_n
rnd.shuffle(sizes)
for i, size in enumerate(sizes):
    d = os.path.join(root, f"dir-{i % 50:02d}", f"sub-{i % 7}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file-{i:05d}.bin"), "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(rnd.randbytes(n))
            left -= n
PY
"$here/holdfast" --version >/dev/null # build the jar now, outside the timings

now() { date +%s.%N; }
declare -A T
run_phase() {
  local phase="$1" t0 t1
  sync
  t0=$(now); "$here/holdfast" -q mirror "$src" --to "$hf" --delete; t1=$(now)
  T[$phase,holdfast]=$(echo "$t1 - $t0" | bc -l)
  sync
  t0=$(now); rsync -a --delete "$src/" "$rs/"; t1=$(now)
  T[$phase,rsync]=$(echo "$t1 - $t0" | bc -l)
  left="$(rsync -aniH --delete "$src/" "$hf/")"
  if [ -n "$left" ]; then echo "error: after $phase, rsync still finds differences:" >&2; echo "$left" | head >&2; exit 1; fi
}

run_phase initial
run_phase unchanged
# change ~1% of the files: new content, same size for half of them, new mtime for all
python3 - "$src" "$SEED" <<'PY'
import os, random, sys
root, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed + 1)
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for i, p in enumerate(rnd.sample(paths, max(1, len(paths) // 100))):
    size = os.path.getsize(p) if i % 2 == 0 else rnd.randint(1024, 65536)
    with open(p, "wb") as f:
        f.write(rnd.randbytes(size))
PY
run_phase changed-1pct

total=$(du -sm "$src" | cut -f1)
printf '\ndataset: %s files, %s MiB; %s\n' "$FILES" "$total" "$(rsync --version | head -1)"
printf '%-14s %12s %12s %8s\n' phase "holdfast (s)" "rsync (s)" ratio
for phase in initial unchanged changed-1pct; do
  h=${T[$phase,holdfast]}; r=${T[$phase,rsync]}
  printf '%-14s %12.2f %12.2f %8.2f\n' "$phase" "$h" "$r" "$(echo "$h / $r" | bc -l)"
done
echo "(ratio = holdfast / rsync; holdfast includes JVM start-up. Work dir: $work)"
