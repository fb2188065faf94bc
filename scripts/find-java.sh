# Sourced by ./nfn4j and .ci/run: sets JAVA_HOME to a JDK 25 (JAVA_HOME, then java on PATH,
# then /usr/lib/jvm/*25*), or exits with a message saying what to install.
nfn4j_java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1; }

nfn4j_find_jdk() {
    local cand home
    for cand in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" /usr/lib/jvm/*25*/bin/java; do
        [ -n "$cand" ] && [ -x "$cand" ] || continue
        cand=$(readlink -f "$cand")
        home=$(dirname "$(dirname "$cand")")
        if [ "$(nfn4j_java_major "$cand")" = "25" ] && [ -x "$home/bin/javac" ]; then
            export JAVA_HOME="$home"
            return 0
        fi
    done
    echo "nfn4j: needs a JDK 25 (java and javac). Set JAVA_HOME to one, or install e.g. Temurin 25 (apt: temurin-25-jdk) or OpenJDK 25." >&2
    exit 2
}
nfn4j_find_jdk
