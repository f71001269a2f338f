#!/usr/bin/env bash
# Builds Holdfast and runs a real backup, list, verify and restore on a local target directory,
# then compares the restored tree with the original. Everything happens under one work directory
# (default: a new temp dir; or pass one), and the user's own state is not touched.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/holdfast-quickstart.XXXXXX)}"
mkdir -p "$work"
export HOLDFAST_STATE_DIR="$work/state"
hf() { echo "+ holdfast $*" >&2; "$here/holdfast" "$@"; }

echo "== sample data in $work/data" >&2
mkdir -p "$work/data/notes" "$work/data/logs/app" "$work/data/empty"
printf 'shopping list\n- milk\n' > "$work/data/notes/todo.md"
for i in $(seq 1 200); do echo "2026-01-02 03:00:$((i % 60)) INFO request $i served in ${i}ms"; done > "$work/data/logs/app/app.log"
head -c 2000000 /dev/urandom > "$work/data/photo.jpg"
ln -sf notes/todo.md "$work/data/latest-note"

hf backup --to "$work/backups" "$work/data"
hf list --from "$work/backups"
hf verify --from "$work/backups" latest
hf restore --from "$work/backups" latest --target "$work/restored"
diff -r "$work/data" "$work/restored${work}/data"
echo "== OK: the restored tree is identical to the original ($work/restored${work}/data)" >&2
echo "== the archive also opens with plain tar:" >&2
tar -tzf "$(ls "$work"/backups/backup/*.tar.gz | head -1)" | sed -n 1,5p   # sed reads to the end: head would SIGPIPE tar under pipefail
