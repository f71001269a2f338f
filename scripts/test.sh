#!/usr/bin/env bash
# Installs what the tests need when it is missing (a JDK >= 21 check, Debian packages for the real
# tools and servers the integration tests start on 127.0.0.1), then runs every test: mvn verify.
# Usage: scripts/test.sh [extra maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# tool on PATH (or absolute path) -> Debian package that provides it
declare -A NEED=(
  [mvn]=maven [tar]=tar [gzip]=gzip [zstd]=zstd [pigz]=pigz [sha256sum]=coreutils
  [python3]=python3 [setpriv]=util-linux [gpg]=gnupg [/usr/sbin/sshd]=openssh-server
  [ssh-keygen]=openssh-client [restic]=restic [promtool]=prometheus [systemd-analyze]=systemd
  [/usr/lib/postgresql/15/bin/initdb]=postgresql [pg_dump]=postgresql-client [runuser]=util-linux
  [/usr/sbin/mariadbd]=mariadb-server [mariadb-dump]=mariadb-client [sqlite3]=sqlite3
  [setfacl]=acl [podman]=podman [runc]=runc [busybox]=busybox-static [rsync]=rsync [/bin/kill]=procps [mount]=mount [findmnt]=util-linux
  [/usr/bin/chromium]=chromium [/usr/bin/chromedriver]=chromium-driver
)
missing=()
for tool in "${!NEED[@]}"; do
  if [[ "$tool" == /* ]]; then [ -x "$tool" ] || missing+=("${NEED[$tool]}")
  else command -v "$tool" >/dev/null 2>&1 || missing+=("${NEED[$tool]}"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  pkgs="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
  echo "test.sh: installing missing packages: $pkgs" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "error: missing packages ($pkgs) and no root/sudo to install them" >&2; exit 2; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

. scripts/find-java.sh
JAVA="$(holdfast_find_java)" || exit 2
export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")"
echo "test.sh: using JAVA_HOME=$JAVA_HOME" >&2

exec mvn -B -ntp verify "$@"
