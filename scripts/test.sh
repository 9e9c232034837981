#!/usr/bin/env bash
# Runs every test: unit tests (Surefire), then the process-level tests (Failsafe), which start
# a database server (H2's, then PostgreSQL for the suites that matter) and real node JVMs on free
# loopback ports from the freshly packaged node.
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

# The process tests run a second time on PostgreSQL (cluster-node/pom.xml, execution "postgres"),
# each cluster on a private server made with initdb + pg_ctl from Debian's postgresql package.
# Skip that part alone with -Dsteadfast.it.postgres.skip=true.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [[ " $* " != *" -Dsteadfast.it.postgres.skip=true "* ]]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing PostgreSQL (Debian's postgresql) for the process tests on PostgreSQL" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "test.sh: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run" \
      "'apt-get install -y postgresql' as root, or pass -Dsteadfast.it.postgres.skip=true" >&2
    exit 1
  fi
fi

# ConsoleProcessIT drives the web console in headless Chromium through Debian's chromium and
# chromium-driver (Selenium is pointed at them, so it never downloads a browser).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing Chromium and its driver (Debian's chromium, chromium-driver) for the console's browser test" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "test.sh: Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver): run" \
      "'apt-get install -y chromium chromium-driver' as root" >&2
    exit 1
  fi
fi

exec mvn -B verify "$@"
