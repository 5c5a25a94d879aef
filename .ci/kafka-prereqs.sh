#!/usr/bin/env bash
# Makes this machine able to run the local Kafka broker (deploy/kafka):
# Java 17+ and Maven from Debian's packages when missing, then the broker's
# jars from Maven Central into deploy/kafka/lib. Safe to run again: each step
# is skipped when already done (the jars while lib/.stamp matches pom.xml).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# broker.mjs (like mvn) runs $JAVA_HOME/bin/java when JAVA_HOME is set, else `java`.
java_bin() { if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi; }

java_major() {
  # `openjdk version "17.0.15" ...` -> 17; `"1.8.0_392"` -> 8; no java -> 0
  local v
  v="$("$(java_bin)" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')" || true
  case "$v" in
    1.*) echo "${v#1.}" | cut -d. -f1 ;;
    "") echo 0 ;;
    *) echo "$v" | cut -d. -f1 | cut -d- -f1 ;;
  esac
}

# Install only what is missing: apt-get install on a present package would upgrade it.
pkgs=()
[ "$(java_major)" -ge 17 ] || pkgs+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || pkgs+=(maven)

if [ "${#pkgs[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "kafka-prereqs: installing ${pkgs[*]} with apt-get"
  # The JRE's postinst links its man pages here; slim images lack the dir.
  $sudo mkdir -p /usr/share/man/man1
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
if [ "$(java_major)" -lt 17 ]; then
  echo "kafka-prereqs: $(java_bin) is Java $(java_major); Kafka 4 needs 17+." >&2
  echo "  Set JAVA_HOME to a Java 17+ (e.g. $(ls -d /usr/lib/jvm/java-17-openjdk-* 2>/dev/null | head -n1)) or put it first on PATH." >&2
  exit 1
fi
echo "kafka-prereqs: java $(java_major), $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"

# Fetches with mvn through deploy/kafka/pom.xml (or does nothing when fetched).
node "$root/deploy/kafka/broker.mjs" --fetch
