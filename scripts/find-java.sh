#!/usr/bin/env bash
# Prints the path of the newest java binary >= 21 from JAVA_HOME, PATH or /usr/lib/jvm/*, or
# exits 2 with a hint. Sourced by ../holdfast and the other scripts; also runnable on its own.
holdfast_java_major() {
  # the JDK's release file says it without starting a JVM (each start costs a few hundred ms)
  local release v
  release="$(dirname "$(dirname "$(readlink -f "$1")")")/release"
  if [ -r "$release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
    if [ -n "$v" ]; then
      [ "$v" = 1 ] && v=8
      echo "$v"
      return
    fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

holdfast_find_java() {
  local candidates=() best="" best_v=0 v j d
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for d in /usr/lib/jvm/*; do [ -x "$d/bin/java" ] && candidates+=("$d/bin/java"); done
  for j in "${candidates[@]}"; do
    [ -x "$j" ] || continue
    v="$(holdfast_java_major "$j")"; v="${v%%.*}"
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
