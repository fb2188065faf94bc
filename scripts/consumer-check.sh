#!/usr/bin/env bash
# What a library user gets: installs nfn4j-core and nfn4j-cuda into a scratch local Maven
# repository, then builds a fresh Maven project that depends on nfn4j-core alone and compiles the
# README's PredictAccuracy. Fails when the project's dependency tree holds the CLI, plotting,
# CUDA or a test framework; with CHECKPOINT and NETWORKS given, runs the program on them (core
# alone, then with nfn4j-cuda added at runtime scope) and prints which backend each run chose.
#
#   scripts/consumer-check.sh [CHECKPOINT NETWORKS]
#       CHECKPOINT  a predictor's best.safetensors (e.g. nfn4j-demo/hnp/best.safetensors)
#       NETWORKS    networks to predict (a .npy of rows, a batch, a state_dict or a zoo folder)
#
# Environment: OUT (default /tmp/nfn4j-consumer). The scratch repository starts as a copy of
# ~/.m2/repository when there is one (so it works offline), else Maven downloads what it needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
OUT=${OUT:-/tmp/nfn4j-consumer}
. "$ROOT/scripts/find-java.sh"
export JAVA_HOME
REPO="$OUT/m2" APP="$OUT/app"
rm -rf "$OUT" && mkdir -p "$APP/src/main/java"
if [ -d "$HOME/.m2/repository" ]; then cp -r "$HOME/.m2/repository" "$REPO" && rm -rf "$REPO/dev/nfn4j"; fi
OFFLINE=$([ -d "$REPO" ] && echo -o || true)
mvn_() { "$ROOT/mvnw" -B -q $OFFLINE -Dmaven.repo.local="$REPO" "$@"; }

(cd "$ROOT" && mvn_ install -DskipTests -Dnfn4j.skipKernels=true -Dmaven.javadoc.skip=true -pl java/core,java/cuda -am) >&2
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/java/core/pom.xml" | head -1)
pom() { # extra dependency XML
    cat > "$APP/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>25</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>dev.nfn4j</groupId><artifactId>nfn4j-core</artifactId><version>$VERSION</version></dependency>$1
  </dependencies>
</project>
EOF
}
# The README's first Java block is the program.
sed -n '/^```java/,/^```/p' "$ROOT/README.md" | sed -n '2,/^```/p' | sed '$d' > "$APP/src/main/java/PredictAccuracy.java"

pom ""
(cd "$APP" && mvn_ dependency:tree -DoutputFile=tree.txt && mvn_ package && mvn_ dependency:build-classpath -Dmdep.outputFile=cp.txt) >&2
echo "consumer-check: nfn4j-core's dependency tree:"
sed 's/^/  /' "$APP/tree.txt"
if grep -Eiq 'picocli|xchart|pdfbox|progressbar|jline|jcuda|junit|jupiter|nfn4j-cli' "$APP/tree.txt"; then
    echo "consumer-check: FAILED: nfn4j-core pulls in something a library user does not need" >&2
    exit 1
fi
echo "consumer-check: $(($(wc -l < "$APP/tree.txt") - 1)) jars besides the project, none of CLI, plotting, CUDA or tests"

[ $# -ge 2 ] || exit 0
run() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -cp "$APP/target/consumer-1.jar:$(cat "$APP/cp.txt")" PredictAccuracy "$1" "$2" 2>&1 | grep -v '^WARNING'; }
echo "consumer-check: core alone:"
run "$1" "$2"
pom "
    <dependency><groupId>dev.nfn4j</groupId><artifactId>nfn4j-cuda</artifactId><version>$VERSION</version><scope>runtime</scope></dependency>"
(cd "$APP" && mvn_ dependency:build-classpath -Dmdep.outputFile=cp.txt) >&2
echo "consumer-check: with nfn4j-cuda at runtime scope:"
run "$1" "$2"
