#!/bin/bash
# profile.sh [--berth PATH] [--runtimes "berth crun"] [-n CONTAINERS] [-j LOOPS]:
# where each runtime's time goes, per container. N `run /bin/true` (one
# after the other, or shared by LOOPS parallel loops) in the benchmark's
# bundle (busybox rootfs, pids and memory limits, as compare.sh) under a
# system-wide `perf record -g` of CPU samples and context switches;
# bench/profile.py then splits the CPU time (the runtime's
# user code by library, its kernel time by system call or page faults, kernel
# threads, the container's program) and the time the runtime's processes were
# asleep, by where. Root; needs perf (linux-perf).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
RUNTIMES="berth crun"
BERTH=
N=20
LOOPS=1
die() { echo "profile.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --berth) BERTH=${2:-}; shift 2 || die "--berth needs a path" ;;
        --runtimes) RUNTIMES=${2:-}; shift 2 || die "--runtimes needs a list" ;;
        -n) N=${2:-}; shift 2 || die "-n needs a number" ;;
        -j) LOOPS=${2:-}; shift 2 || die "-j needs a number" ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n: '$N' is not a positive number"
[[ $LOOPS =~ ^[1-9][0-9]*$ ]] || die "-j: '$LOOPS' is not a positive number"
[ "$N" -ge "$LOOPS" ] || die "-n $N is fewer containers than -j $LOOPS loops"
[ "$(id -u)" = 0 ] || die "must run as root"
command -v perf >/dev/null || die "perf missing (apt-get install linux-perf)"
[ -n "$BERTH" ] || BERTH=$(command -v berth || echo "$repo/build/cli/berth")
[ -x "$BERTH" ] || die "berth binary '$BERTH' not found (--berth PATH)"
BERTH=$(readlink -f "$BERTH")

TMP=$(mktemp -d /tmp/berth-profile.XXXXXX)
ID=pf$$
CURRENT=()  # the runtime being profiled and its binary, while its loop runs
# An interrupted loop leaves its container: deleted here, through the same
# namespace as the loop.
cleanup() {
    local id
    if [ ${#CURRENT[@]} = 2 ]; then
        for id in $(as_runtime "${CURRENT[0]}" "${CURRENT[1]}" list -q 2>/dev/null | grep "^$ID-"); do
            as_runtime "${CURRENT[0]}" "${CURRENT[1]}" delete --force "$id" >/dev/null 2>&1 || true
        done
    fi
    [ -n "${PROFILE_KEEP:-}" ] && echo "profile.sh: kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
# A berth in a build tree loads its own plugins (compare.sh does the same).
cfg=$(TMP=$TMP build_tree_plugin_config "$BERTH") || die "no plugin config for $BERTH"
[ -z "$cfg" ] || export BERTH_PLUGIN_CONFIG=$cfg
true_bundle "$TMP/true" "$BERTH" || die "cannot make the bundle (tests/scripts/make-bundle.sh)"
# The driver: one shell; LOOPS subshells of it share the N containers, each
# loop's containers one after the other.
cat >"$TMP/loop.sh" <<'EOF2'
#!/bin/bash
one_loop() {  # one_loop BIN BUNDLE N ID LOOPS FIRST
    for ((i = $6; i < $3; i += $5)); do
        # A foreground run removes its container; a failed one is cleared.
        "$1" run --bundle "$2" "$4-$i" >/dev/null 2>&1 && continue
        echo "profile.sh: $1 run failed" >&2
        "$1" delete --force "$4-$i" >/dev/null 2>&1
    done
}
for ((l = 0; l < $5; l++)); do
    one_loop "$1" "$2" "$3" "$4" "$5" "$l" &
done
wait
EOF2
chmod +x "$TMP/loop.sh"

for rt in $RUNTIMES; do
    case $rt in
        berth) bin=$BERTH ;;
        *) bin=$(command -v "$rt") || { echo "profile.sh: skipping $rt: not installed" >&2; continue; } ;;
    esac
    cmd=(perf record -q -a -g -F 4999 -e cpu-clock -e sched:sched_switch -o "$TMP/$rt.data"
         -- "$TMP/loop.sh" "$bin" "$TMP/true" "$N" "$ID" "$LOOPS")
    CURRENT=("$rt" "$bin")
    as_runtime "$rt" "${cmd[@]}"
    CURRENT=()
    perf script -i "$TMP/$rt.data" --show-task-events -F comm,tid,time,event,period,trace,ip,sym,dso \
        >"$TMP/$rt.txt" 2>/dev/null
    echo "== $rt ($bin): $N x run /bin/true, $LOOPS loop(s)"
    python3 "$here/profile.py" "$TMP/$rt.txt" "$N"
done
