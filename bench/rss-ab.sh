#!/bin/bash
# rss-ab.sh [-n N] A B: peak RSS (kB, /usr/bin/time -f %M) of each verb of two
# berth builds, interleaved A, B, B, A ... so that drift hits both alike; the
# medians and B/A. A and B are berth binaries in build trees (each loads its
# own plugins). Root; needs /bin/busybox and /usr/bin/time.
# The A/B behind a change of build layout (bench/README.md, "Packing without
# committed scripts"): sudo bench/rss-ab.sh -n 10 OLD/cli/berth NEW/cli/berth
set -euo pipefail
n=10
[ "${1:-}" = -n ] && { n=$2; shift 2; }
[ $# = 2 ] || { echo "usage: $0 [-n N] A B" >&2; exit 2; }
repo=$(readlink -f "$(dirname "$0")/..")
TMP=$(mktemp -d /tmp/berth-rss-ab.XXXXXX)
A=$(readlink -f "$1") B=$(readlink -f "$2")
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
declare -A cmd
for side in A B; do
    bin=${!side}
    mkdir -p "$TMP/$side"
    cp=$(TMP=$TMP/$side build_tree_plugin_config "$bin")
    cmd[$side]="$bin --root $TMP/$side/state ${cp:+--plugin-config $cp}"
done
cleanup() {
    for side in A B; do
        for id in $(${cmd[$side]} list -q 2>/dev/null); do
            ${cmd[$side]} delete --force "$id" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
OCI_VERSION=1.1.0 BERTH=$A sh "$repo/tests/scripts/make-bundle.sh" "$TMP/b" /bin/true >/dev/null
OCI_VERSION=1.1.0 BERTH=$A sh "$repo/tests/scripts/make-bundle.sh" "$TMP/s" sleep 3600 >/dev/null
verbs="run create start state exec kill delete"
# rss SIDE FILE-TAG CMD...: runs CMD under time, appends its peak RSS.
rss() {
    local side=$1 tag=$2; shift 2
    /usr/bin/time -f %M -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; return 1; }
    cat "$TMP/t" >>"$TMP/$side.$tag"
}
round() {
    local side=$1 i=$2 c=${cmd[$1]} id=ab-$1-$2
    rss "$side" run $c run --bundle "$TMP/b" "r$id"
    rss "$side" create $c create --bundle "$TMP/s" "$id"
    rss "$side" start $c start "$id"
    rss "$side" state $c state "$id"
    rss "$side" exec $c exec "$id" /bin/true
    rss "$side" kill $c kill "$id" KILL
    while $c state "$id" 2>/dev/null | grep -q '"running"'; do sleep 0.01; done
    rss "$side" delete $c delete "$id"
}
for i in $(seq "$n"); do
    if [ $((i % 2)) = 1 ]; then round A "$i"; round B "$i"; else round B "$i"; round A "$i"; fi
done
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg); n=$n rounds"
echo "A $A"
echo "B $B"
printf '%-8s %8s %8s %6s\n' verb A B B/A
for v in $verbs; do
    a=$(median "$TMP/A.$v") b=$(median "$TMP/B.$v")
    printf '%-8s %8s %8s %6s\n' "$v" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
done
