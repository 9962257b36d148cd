#!/bin/bash
# kmem-peak.sh [--berth PATH] [--runtimes "berth crun runc"] [-n ROUNDS]:
# where the memory floor goes. For each runtime, `run /bin/true` in the
# benchmark's bundle (busybox rootfs, pids and memory limits, as compare.sh)
# under perf, tracing every memcg-accounted kernel allocation and every free;
# bench/kmem_peak.py then prints what the container's init had charged at its
# peak, by phase (the runtime's own code, then each exec) and by slab cache or
# page. That peak is what the smallest memory limit (compare.sh's memory
# floor) has to hold. Root; needs perf (linux-perf) and tracefs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
RUNTIMES="berth crun"
BERTH=
ROUNDS=1
die() { echo "kmem-peak.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --berth) BERTH=${2:-}; shift 2 || die "--berth needs a path" ;;
        --runtimes) RUNTIMES=${2:-}; shift 2 || die "--runtimes needs a list" ;;
        -n) ROUNDS=${2:-}; shift 2 || die "-n needs a number" ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "-n: '$ROUNDS' is not a positive number"
[ "$(id -u)" = 0 ] || die "must run as root"
command -v perf >/dev/null || die "perf missing (apt-get install linux-perf)"
[ -n "$BERTH" ] || BERTH=$(command -v berth || echo "$repo/build/cli/berth")
[ -x "$BERTH" ] || die "berth binary '$BERTH' not found (--berth PATH)"
[ -d /sys/kernel/tracing/events/kmem ] || [ -d /sys/kernel/debug/tracing/events/kmem ] ||
    die "no kmem tracepoints (is tracefs mounted at /sys/kernel/tracing?)"

TMP=$(mktemp -d /tmp/berth-kmem-peak.XXXXXX)
ID=kp$$
cleanup() {
    "$BERTH" delete --force "$ID" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
true_bundle "$TMP/true" "$BERTH" || die "cannot make the bundle (tests/scripts/make-bundle.sh)"

# __GFP_ACCOUNT is bit 22 (include/linux/gfp_types.h; the tracepoints print it).
EVENTS=(-e kmem:kmem_cache_alloc --filter 'accounted == 1'
        -e kmem:kmalloc --filter 'gfp_flags & 0x400000'
        -e kmem:mm_page_alloc --filter 'gfp_flags & 0x400000'
        -e kmem:kmem_cache_free -e kmem:kfree -e kmem:mm_page_free
        -e syscalls:sys_enter_execve -e syscalls:sys_enter_execveat -e sched:sched_process_exec)
for rt in $RUNTIMES; do
    case $rt in
        berth) bin=$BERTH ;;
        *) bin=$(command -v "$rt") || { echo "kmem-peak.sh: skipping $rt: not installed" >&2; continue; } ;;
    esac
    for ((r = 1; r <= ROUNDS; r++)); do
        cmd=(perf record -q -a -o "$TMP/$rt.data" "${EVENTS[@]}" -- "$bin" run --bundle "$TMP/true" "$ID")
        as_runtime "$rt" "${cmd[@]}" >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; die "$rt run failed"; }
        as_runtime "$rt" "$bin" delete --force "$ID" >/dev/null 2>&1 || true
        perf script -i "$TMP/$rt.data" -F comm,pid,tid,event,trace >"$TMP/$rt.txt" 2>/dev/null
        echo "== $rt ($bin), round $r"
        python3 "$here/kmem_peak.py" "$TMP/$rt.txt"
    done
done
