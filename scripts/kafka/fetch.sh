#!/usr/bin/env bash
# Resolve the Apache Kafka broker jars (kafka_2.13 + runtime deps + a log4j2 SLF4J binding) from Maven Central into
# a per-version cache dir, so tests and `wmidetect up` can run `java -cp '<libs>/*' kafka.Kafka` without Docker.
#
#   bash scripts/kafka/fetch.sh            # prints the libs dir on stdout (last line), progress on stderr
#   KAFKA_VERSION=4.0.2 bash scripts/kafka/fetch.sh
#
# Where things go:
#   jars   ${WMI_DETECT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wmi-detect}/kafka-<version>/libs
#   maven  ~/.m2/repository (mvn's default; pass MAVEN_OPTS/-Dmaven.repo.local through MVN_ARGS to change it)
#
# Idempotent: a finished copy carries a .complete stamp (with the pom's hash, so editing the pom refetches) and is
# reused without starting mvn. The copy is built in a sibling temp dir and renamed into place, so an interrupted
# fetch never leaves a half-filled libs dir that a later run would trust.
# packages/kafka/src/local-broker.ts computes the same path (keep the two in step).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"

pom_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n1)"
version="${KAFKA_VERSION:-$pom_version}"
if [[ -z "$version" ]]; then
  echo "fetch.sh: cannot read <kafka.version> from $pom" >&2
  exit 1
fi

cache_root="${WMI_DETECT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wmi-detect}"
dest="$cache_root/kafka-$version/libs"
stamp="$dest/.complete"
pom_hash="$(sha256sum "$pom" | cut -d' ' -f1)"

if [[ -f "$stamp" ]] && grep -qx "pom=$pom_hash" "$stamp" && compgen -G "$dest/kafka_2.13-$version.jar" >/dev/null; then
  echo "kafka: jars for $version already in $dest" >&2
  echo "$dest"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch.sh: '$tool' not found. The test broker needs Java 17+ and Maven:" >&2
    echo "  Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless maven" >&2
    exit 1
  fi
done

java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
if [[ -n "$java_major" && "$java_major" -lt 17 ]]; then
  echo "fetch.sh: Kafka $version needs Java 17+, found Java $java_major ($(command -v java))" >&2
  exit 1
fi

mkdir -p "$(dirname "$dest")"
tmp="$(mktemp -d "$(dirname "$dest")/.libs.XXXXXX")"
trap 'rm -rf "$tmp"; rmdir "$(dirname "$dest")" 2>/dev/null || true' EXIT

echo "kafka: resolving org.apache.kafka:kafka_2.13:$version from Maven Central into $dest" >&2
# shellcheck disable=SC2086 # MVN_ARGS is a list of extra options on purpose
# Maven 3.8 prints ANSI resets even in batch mode; strip them so CI logs stay plain (pipefail keeps mvn's status).
mvn -q -B -Dstyle.color=never ${MVN_ARGS:-} -f "$pom" -Dkafka.version="$version" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' >&2

if ! compgen -G "$tmp/kafka_2.13-$version.jar" >/dev/null; then
  echo "fetch.sh: mvn finished but kafka_2.13-$version.jar is missing from the copy" >&2
  exit 1
fi

printf 'version=%s\npom=%s\n' "$version" "$pom_hash" >"$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "kafka: $(find "$dest" -name '*.jar' | wc -l) jars for $version in $dest" >&2
echo "$dest"
