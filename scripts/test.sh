#!/usr/bin/env bash
# Runs every test: unit tests (Surefire), then the process-level tests (Failsafe), which start
# an H2 server and real node JVMs on free loopback ports from the freshly packaged node.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "test.sh: '$tool' is not installed (needs Java 17 and Maven)" >&2; exit 1; }
done
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "test.sh: Java 17 or newer is required (found $java_major)" >&2
  exit 1
fi

exec mvn -B verify "$@"
