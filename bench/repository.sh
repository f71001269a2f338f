#!/usr/bin/env bash
# Repository benchmark: the same generated dataset backed up by `holdfast` (restic-format repository)
# and by `restic` (and `borg` when installed) in one run: first backup, an unchanged re-run, a re-run
# after ~1% of the files changed, a full restore, and a check that reads every blob (`holdfast verify
# --level full`, `restic check --read-data`, `borg check --verify-data`); then (prune_phase, at the
# end) three more backups, forget of the older half and a timed prune. Prints wall time, repository
# size and peak RSS
# of each, and holdfast/restic ratios; checks that each restore equals the source.
# Each phase but the prune runs ROUNDS times (default 3), the tools taking turns to go first, and the
# median of each tool's rounds is reported (a first backup on a fresh repository each round): on a
# shared 2-core VM one run of a 3 s job varies by 20-30%, and whichever tool ran right after a large
# deletion or write paid for the disk's writeback.
# Usage: bench/repository.sh [WORKDIR]   env: FILES (default 3000), SIZE_MB (default 1000), SEED (default 7),
#        TEXT_PCT (default 50), SALT (default: the time; seeds the content of the changes), ROUNDS (default 3)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FILES="${FILES:-3000}"
SIZE_MB="${SIZE_MB:-1000}"
SEED="${SEED:-7}"
TEXT_PCT="${TEXT_PCT:-50}"
ROUNDS="${ROUNDS:-3}"
# The changes the script makes (1%, then 5% three times before the prune) draw new random content on
# each run: with a fixed seed, a second run on the same work dir would write back the very bytes the
# first run left there, so nothing would be new to back up and nothing left to prune.
SALT="${SALT:-$(date +%s%N)}"
work="${1:-$(mktemp -d /tmp/holdfast-bench-repository.XXXXXX)}"

declare -A PKG=([restic]=restic [python3]=python3 [bc]=bc [/usr/bin/time]=time [rsync]=rsync)
for tool in "${!PKG[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "repository.sh: $tool is missing; installing ${PKG[$tool]} with apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${PKG[$tool]}" >/dev/null
  fi
done
[ -x "$here/holdfast" ] || { echo "error: $here/holdfast launcher not found" >&2; exit 2; }

src="$work/src"
export HOLDFAST_STATE_DIR="$work/state"
export RESTIC_PASSWORD="bench-password" BORG_PASSPHRASE="bench-password" # read by holdfast, restic, borg alike
export RESTIC_CACHE_DIR="$work/restic-cache" BORG_BASE_DIR="$work/borg-base"
rm -rf "$work"/repo-* "$work"/restore-* "$HOLDFAST_STATE_DIR" "$RESTIC_CACHE_DIR" "$BORG_BASE_DIR"
tools=(holdfast restic)
command -v borg >/dev/null 2>&1 && tools+=(borg)

if [ ! -f "$work/.dataset-$FILES-$SIZE_MB-$SEED-$TEXT_PCT" ]; then
  rm -rf "$src"
  echo "generating $FILES files, ~$SIZE_MB MB ($TEXT_PCT% log text; seed $SEED) in $src" >&2
  python3 "$here/bench/dataset.py" "$src" "$FILES" "$SIZE_MB" "$SEED" "$TEXT_PCT"
  touch "$work/.dataset-$FILES-$SIZE_MB-$SEED-$TEXT_PCT"
fi
"$here/holdfast" --version >/dev/null # build the jar now, outside the timings
find "$src" -type f -exec cat {} + >/dev/null # warm the page cache

declare -A T S M
run() { # tool, phase, command...: appends this round's wall time and peak RSS to the phase's lists
  local key="$1,$2"; shift 2
  sync
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
  t1=$(date +%s.%N)
  T[$key]+=" $(echo "$t1 - $t0" | bc -l)"
  M[$key]+=" $(( $(tail -1 "$work/rss") / 1024 ))"
}
median() { printf '%s\n' $1 | sort -n | sed -n "$(( ($(printf '%s\n' $1 | wc -l) + 1) / 2 ))p"; }
size() { du -sb "$1" | cut -f1; }
order() { # round: the tools, rotated by the round so that each goes first in turn
  local n=${#tools[@]}
  for ((k = 0; k < n; k++)); do echo "${tools[$(( (k + $1) % n ))]}"; done
}

backup() { # tool, phase, round
  case "$1" in
    holdfast) run holdfast "$2" "$here/holdfast" -q backup --to "$work/repo-holdfast" "$src" ;;
    restic) run restic "$2" restic -q -r "$work/repo-restic" backup "$src" ;;
    borg) run borg "$2" borg create "$work/repo-borg::$2-$3" "$src" ;;
  esac
  S[$1,$2]=$(size "$work/repo-$1")
}
init() { # tool: a fresh, empty repository
  rm -rf "$work/repo-$1"
  case "$1" in
    holdfast) "$here/holdfast" -q init --to "$work/repo-holdfast" --format repository >/dev/null ;;
    restic) restic -q -r "$work/repo-restic" init >/dev/null ;;
    borg) borg init -e repokey "$work/repo-borg" >/dev/null 2>&1 ;;
  esac
}

for r in $(seq "$ROUNDS"); do
  for t in $(order "$r"); do init "$t"; backup "$t" first "$r"; done
done
for r in $(seq "$ROUNDS"); do
  for t in $(order "$r"); do backup "$t" unchanged "$r"; done
done
for r in $(seq "$ROUNDS"); do
  # change ~1% of the files: new content, half of them the same size
  python3 - "$src" "$SEED" "$SALT" "$r" <<'PY'
import os, random, sys
root, seed, salt, round_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed + 1 + salt + 1000 * round_)
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for i, p in enumerate(rnd.sample(paths, max(1, len(paths) // 100))):
    size = os.path.getsize(p) if i % 2 == 0 else rnd.randint(1024, 65536)
    with open(p, "wb") as f:
        f.write(rnd.randbytes(size))
PY
  for t in $(order "$r"); do backup "$t" changed-1pct "$r"; done
done

# check: read and authenticate every blob of the repository (1 + 2 x ROUNDS snapshots by now)
for r in $(seq "$ROUNDS"); do
  for t in $(order "$r"); do
    case "$t" in
      holdfast) run holdfast check "$here/holdfast" -q verify --from "$work/repo-holdfast" --level full ;;
      restic) run restic check restic -q --no-cache -r "$work/repo-restic" check --read-data ;;
      borg) run borg check borg check --verify-data "$work/repo-borg" ;;
    esac
  done
done

for r in $(seq "$ROUNDS"); do
  for t in $(order "$r"); do
    dest="$work/restore-$t"
    rm -rf "$dest"
    case "$t" in
      holdfast) run holdfast restore "$here/holdfast" -q restore --from "$work/repo-holdfast" latest --target "$dest" ;;
      restic) run restic restore restic -q -r "$work/repo-restic" restore latest --target "$dest" ;;
      borg) mkdir -p "$dest"; run borg restore sh -c "cd '$dest' && borg extract '$work/repo-borg::changed-1pct-$ROUNDS'" ;;
    esac
    left="$(rsync -anic --delete "$src/" "$dest${src}/" | head -5)"
    if [ -n "$left" ]; then echo "error: $t's restore differs from the source:" >&2; echo "$left" >&2; exit 1; fi
  done
done

total=$(du -sm "$src" | cut -f1)
printf '\ndataset: %s files, %s MiB (%s%% log text); %s cores; %s\n' "$FILES" "$total" "$TEXT_PCT" "$(nproc)" "$(restic version | head -1)"
printf '%s rounds, the tools taking turns to go first; medians, and each round in brackets\n' "$ROUNDS"
printf '%-9s %-13s %10s %12s %10s   %s\n' tool phase "wall (s)" "repo (MiB)" "RSS (MiB)" "rounds: wall (s)"
for t in "${tools[@]}"; do
  for p in first unchanged changed-1pct restore check; do
    r=""; [ -n "${S[$t,$p]:-}" ] && r=$(printf '%.1f' "$(echo "${S[$t,$p]} / 1048576" | bc -l)")
    printf '%-9s %-13s %10.2f %12s %10s   [%s]\n' "$t" "$p" "$(median "${T[$t,$p]}")" "$r" "$(median "${M[$t,$p]}")" \
      "$(printf ' %.2f' ${T[$t,$p]})"
  done
done
echo
for p in first unchanged changed-1pct restore check; do
  line="holdfast/restic $p: time $(printf '%.2f' "$(echo "$(median "${T[holdfast,$p]}") / $(median "${T[restic,$p]}")" | bc -l)")"
  line+="  RSS $(printf '%.2f' "$(echo "$(median "${M[holdfast,$p]}") / $(median "${M[restic,$p]}")" | bc -l)")"
  [ -n "${S[holdfast,$p]:-}" ] && line+="  repo $(printf '%.3f' "$(echo "${S[holdfast,$p]} / ${S[restic,$p]}" | bc -l)")"
  echo "$line"
done
echo "(targets: first backup time <= 0.6x restic at <= its repository size; restore <= 0.7x; unchanged re-run <= 1x;"
echo " 1% changed and check faster than restic; RSS <= restic's."
echo " holdfast's times include JVM start-up. Work dir: $work)"

# Prune: three more backups, each after ~15% of the files changed (about 8% of the bytes: the data
# the forgotten snapshots alone hold then passes restic's 5% tolerance), then both tools forget all
# but these three (--keep-last 3, untimed: 7 of 10 with ROUNDS=3, 3 of 6 with ROUNDS=1, as before
# rounds) and prune (timed; restic's default
# --max-unused 5% for both). Holdfast's pruned repository is then checked by restic check --read-data.
prune_phase() {
  local i
  for i in 1 2 3; do
    python3 - "$src" "$SEED" "$i" "$SALT" <<'PY'
import os, random, sys
root, seed, round_, salt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed * 100 + round_ + salt)
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in rnd.sample(paths, max(1, len(paths) * 15 // 100)):
    size = os.path.getsize(p)  # before open(): "wb" truncates the file
    with open(p, "wb") as f:
        f.write(rnd.randbytes(size))
PY
    for t in holdfast restic; do backup "$t" "more-$i" 1; done
  done
  "$here/holdfast" -q forget --from "$work/repo-holdfast" --keep-last 3 >/dev/null
  restic -q -r "$work/repo-restic" forget --keep-last 3 >/dev/null
  local before_h before_r
  before_h=$(size "$work/repo-holdfast"); before_r=$(size "$work/repo-restic")
  run holdfast prune "$here/holdfast" -q prune --from "$work/repo-holdfast"
  run restic prune restic -q -r "$work/repo-restic" prune
  S[holdfast,prune]=$(size "$work/repo-holdfast"); S[restic,prune]=$(size "$work/repo-restic")
  restic -q -r "$work/repo-holdfast" check --read-data >/dev/null || { echo "error: restic check failed on holdfast's pruned repository" >&2; exit 1; }
  local total=$(( 1 + 2 * ROUNDS + 3 )) # first (the last round's), unchanged and 1% changed re-runs, the three above
  printf '\nprune after forgetting %s of %s snapshots (--keep-last 3):\n' $(( total - 3 )) "$total"
  printf '%-9s %10s %14s %13s %10s\n' tool "wall (s)" "before (MiB)" "after (MiB)" "RSS (MiB)"
  local th tr mh mr
  th=$(median "${T[holdfast,prune]}"); tr=$(median "${T[restic,prune]}")
  mh=$(median "${M[holdfast,prune]}"); mr=$(median "${M[restic,prune]}")
  printf '%-9s %10.2f %14.1f %13.1f %10s\n' holdfast "$th" "$(echo "$before_h / 1048576" | bc -l)" \
    "$(echo "${S[holdfast,prune]} / 1048576" | bc -l)" "$mh"
  printf '%-9s %10.2f %14.1f %13.1f %10s\n' restic "$tr" "$(echo "$before_r / 1048576" | bc -l)" \
    "$(echo "${S[restic,prune]} / 1048576" | bc -l)" "$mr"
  echo "holdfast/restic prune: time $(printf '%.2f' "$(echo "$th / $tr" | bc -l)")" \
    " RSS $(printf '%.2f' "$(echo "$mh / $mr" | bc -l)")" \
    " repo after $(printf '%.3f' "$(echo "${S[holdfast,prune]} / ${S[restic,prune]}" | bc -l)")"
  echo "(target: prune faster than restic, RSS <= restic's; holdfast's time includes JVM start-up)"
}
prune_phase
