#!/usr/bin/env bash
# Prints the path of the newest java binary >= 21 from JAVA_HOME, PATH or /usr/lib/jvm/*, or
# exits 2 with a hint. Sourced by ../holdfast and the other scripts; also runnable on its own.
holdfast_java_major() {
  holdfast_java_major_of "$1"
  echo "$HOLDFAST_JAVA_MAJOR"
}

# Sets HOLDFAST_JAVA_MAJOR for the java binary $1 without a subshell: the launcher runs this for
# every candidate JDK on every start, and each fork costs milliseconds on a busy machine.
holdfast_java_major_of() {
  # the JDK's release file says it without starting a JVM (each start costs a few hundred ms)
  local j="$1" release line v=""
  # only a symlinked binary (/usr/bin/java -> /etc/alternatives/...) needs resolving
  [ -L "$j" ] && j="$(readlink -f "$j")"
  release="${j%/*}"
  release="${release%/*}/release"
  if [ -r "$release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        JAVA_VERSION=*) v="${line#JAVA_VERSION=}"; v="${v#\"}"; v="${v%%[!0-9]*}"; break ;;
      esac
    done < "$release"
    if [ -n "$v" ]; then
      [ "$v" = 1 ] && v=8
      HOLDFAST_JAVA_MAJOR="$v"
      return
    fi
  fi
  HOLDFAST_JAVA_MAJOR="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
}

holdfast_find_java() {
  local candidates=() best="" best_v=0 v j d
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for d in /usr/lib/jvm/*; do [ -x "$d/bin/java" ] && candidates+=("$d/bin/java"); done
  for j in "${candidates[@]}"; do
    [ -x "$j" ] || continue
    holdfast_java_major_of "$j"; v="${HOLDFAST_JAVA_MAJOR%%.*}"
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$j"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    echo "error: Holdfast needs Java 21 or newer; none found in JAVA_HOME, PATH or /usr/lib/jvm" >&2
    echo "hint: install a JDK >= 21 (e.g. Temurin 21/25) and set JAVA_HOME" >&2
    return 2
  fi
  echo "$best"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  holdfast_find_java
fi
