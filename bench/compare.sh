#!/usr/bin/env bash
# compare.sh: berth vs runc vs crun vs a floor program of our own, on one
# bundle, interleaved round by round: `run` wall time, each verb's wall time,
# the create+start+wait+delete lifecycle, peak RSS of every verb, the smallest
# memory limit that still runs /bin/true, and 8 parallel `run` loops. Prints
# medians and ratios (berth/crun, each against the floor). See bench/README.md.
#
# usage: sudo bench/compare.sh [-n N] [--quick] [--berth PATH] [--json FILE]
#             [--runtimes "berth runc crun"] [--floor PATH] [--plugin-config FILE]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
ARGS=("$@")

N=30
QUICK=0
RUNTIMES="berth runc crun"
BERTH=
FLOOR=
PLUGIN_CONFIG=
JSON=
RSS_ROUNDS=
MEM_RES_KIB=
PAR_SECONDS=
PAR_ROUNDS=
PAR_LOOPS=8
PRIVATE_NS=1
MEM_LIMIT=$((64 * 1024 * 1024))   # the bundle's linux.resources.memory.limit
PIDS_LIMIT=64                     # and linux.resources.pids.limit
MEM_LO_KIB=64                     # bisection range of the memory floor
MEM_HI_KIB=4096

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  -n N                 timed rounds (default 30)
  --quick              CI smoke sizes: 1 RSS round, memory floor at 64 KiB
                       resolution, one 2 s parallel round
  --berth PATH         berth binary (default: berth on PATH, else build/cli/berth)
  --floor PATH         floor program (default: build/bench/floor)
  --runtimes LIST      runtimes in round order (default "berth runc crun"); the
                       floor is always added unless "--floor none"
  --plugin-config FILE passed to berth as --plugin-config (default: the plugins
                       built next to the berth binary, else berth's own default)
  --json FILE          also write the medians as JSON to FILE
  --rss-rounds K       rounds under /usr/bin/time for peak RSS (default 3)
  --mem-res KIB        memory floor resolution, 0 to skip (default 4)
  --parallel-seconds S length of one parallel round (default 5)
  --parallel-rounds K  parallel rounds per runtime, interleaved (default 2)
  --no-private-ns      on a hybrid cgroup host, do not run in the private mount
                       namespace without /sys/fs/cgroup/unified (crun is skipped)
EOF
}

die() { echo "compare.sh: $*" >&2; exit 2; }
posint() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 wants a non-negative integer, not '$2'"; }

while [ $# -gt 0 ]; do
    case $1 in
        -n) N=${2:-}; shift 2 || die "-n needs a number" ;;
        --quick) QUICK=1; shift ;;
        --berth) BERTH=${2:-}; shift 2 || die "--berth needs a path" ;;
        --floor) FLOOR=${2:-}; shift 2 || die "--floor needs a path" ;;
        --runtimes) RUNTIMES=${2:-}; shift 2 || die "--runtimes needs a list" ;;
        --plugin-config) PLUGIN_CONFIG=${2:-}; shift 2 || die "--plugin-config needs a file" ;;
        --json) JSON=${2:-}; shift 2 || die "--json needs a file" ;;
        --rss-rounds) RSS_ROUNDS=${2:-}; shift 2 || die "--rss-rounds needs a number" ;;
        --mem-res) MEM_RES_KIB=${2:-}; shift 2 || die "--mem-res needs a number" ;;
        --parallel-seconds) PAR_SECONDS=${2:-}; shift 2 || die "--parallel-seconds needs a number" ;;
        --parallel-rounds) PAR_ROUNDS=${2:-}; shift 2 || die "--parallel-rounds needs a number" ;;
        --no-private-ns) PRIVATE_NS=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
if [ $QUICK = 1 ]; then
    : "${RSS_ROUNDS:=1}" "${MEM_RES_KIB:=64}" "${PAR_SECONDS:=2}" "${PAR_ROUNDS:=1}"
else
    : "${RSS_ROUNDS:=3}" "${MEM_RES_KIB:=4}" "${PAR_SECONDS:=5}" "${PAR_ROUNDS:=2}"
fi
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, not '$N'"
posint --rss-rounds "$RSS_ROUNDS"; posint --mem-res "$MEM_RES_KIB"
posint --parallel-seconds "$PAR_SECONDS"; posint --parallel-rounds "$PAR_ROUNDS"
[ "$(id -u)" = 0 ] || die "must run as root"
[ -z "$JSON" ] || { : >>"$JSON"; } 2>/dev/null || die "--json: cannot write '$JSON'"
[ -z "$JSON" ] || JSON=$(readlink -f "$JSON")

# On a hybrid cgroup host (cgroup2 mounted at /sys/fs/cgroup/unified) Debian's
# crun 1.8.1 refuses to run. The whole script then re-runs itself, once, in a
# private mount namespace where that mount is gone; every runtime and the floor
# run there alike, so the wrapper costs no runtime anything per call. The
# host's mounts are never touched.
if [ -z "${BERTH_BENCH_HOSTNS:-}" ] && [ $PRIVATE_NS = 1 ] && mountpoint -q /sys/fs/cgroup/unified; then
    BERTH_BENCH_HOSTNS=$(readlink /proc/self/ns/mnt) || die "cannot read /proc/self/ns/mnt"
    export BERTH_BENCH_HOSTNS
    exec unshare -m --propagation private bash -c '
        [ "$(readlink /proc/self/ns/mnt)" != "$BERTH_BENCH_HOSTNS" ] ||
            { echo "compare.sh: unshare -m gave no private mount namespace" >&2; exit 2; }
        umount /sys/fs/cgroup/unified || exit 2
        # crun still makes <id>/cgroup.procs under unified/ (the kernel lists
        # "0::" in /proc/self/cgroup): a throwaway tmpfs takes them, never the
        # host'"'"'s /sys/fs/cgroup tmpfs underneath.
        mount -t tmpfs -o size=256m,mode=755 berth-bench /sys/fs/cgroup/unified || exit 2
        exec bash "$0" "$@"' "${BASH_SOURCE[0]}" "${ARGS[@]}"
fi
PRIVATE_NOTE=
if [ -n "${BERTH_BENCH_HOSTNS:-}" ]; then
    PRIVATE_NOTE="private mount namespace without /sys/fs/cgroup/unified (hybrid host seen as cgroup v1),"
    PRIVATE_NOTE+=" all runtimes alike"
fi

PREFIX=cb$$    # container ids: cb<pid>-<runtime>-<what><round>
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------- runtimes
declare -A BIN=() ROOTDIR=() NERR=()
declare -a ACTIVE=()     # runtimes with verbs (berth runc crun), in round order
declare -a ALL=()        # ACTIVE plus the floor: everything that can `run`
declare -a PAR_PIDS=()
TOTAL_ERR=0

for rt in $RUNTIMES; do
    case $rt in
        berth)
            find_berth "$BERTH" ||
                die "berth binary '$REPLY' not found (build it: ninja -C $repo/build, or pass --berth PATH)"
            BIN[berth]=$REPLY ;;
        floor) die "--runtimes: the floor is added by itself (see --floor)" ;;
        *)
            b=$(command -v "$rt" 2>/dev/null || true)
            if [ -z "$b" ]; then
                echo "compare.sh: skipping $rt: not installed" \
                     "(scripts/install-deps.sh --tests installs runc and crun)" >&2
                continue
            fi
            if [ "$rt" = crun ] && [ $PRIVATE_NS = 0 ] && mountpoint -q /sys/fs/cgroup/unified; then
                echo "compare.sh: skipping crun: it refuses hybrid cgroup hosts and --no-private-ns was given" >&2
                continue
            fi
            BIN[$rt]=$b ;;
    esac
    ACTIVE+=("$rt"); NERR[$rt]=0
done
[ ${#ACTIVE[@]} -gt 0 ] || die "no runtime to benchmark"
if [ "$FLOOR" != none ]; then
    [ -n "$FLOOR" ] || FLOOR=$repo/build/bench/floor
    [ -x "$FLOOR" ] || die "floor program '$FLOOR' not found (ninja -C $repo/build builds bench/floor; or --floor none)"
    BIN[floor]=$(readlink -f "$FLOOR"); NERR[floor]=0
    ALL=("${ACTIVE[@]}" floor)
else
    ALL=("${ACTIVE[@]}")
fi
TIME=/usr/bin/time
[ -x $TIME ] || die "$TIME missing (apt-get install time; scripts/install-deps.sh --tests does)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
command -v timeout >/dev/null || die "timeout (coreutils) missing"

# ---------------------------------------------------------------- cleanup
# Everything of this run has PREFIX in its id: containers in our --root dirs,
# cgroups under every hierarchy. Removed on any exit, Ctrl-C included.
# cgroup_dirs GLOB-PATTERN-ID: the cgroup directories of matching ids, into
# array CG (not the throwaway tmpfs at unified/ in the private namespace).
cgroup_dirs() {
    local d
    CG=()
    for d in /sys/fs/cgroup/*/$1 /sys/fs/cgroup/*/*/$1 /sys/fs/cgroup/$1; do
        [ -d "$d" ] || continue
        [ -n "$PRIVATE_NOTE" ] && [[ $d == /sys/fs/cgroup/unified/* ]] && continue
        CG+=("$d")
    done
}
scrub_cgroups() {  # scrub_cgroups GLOB-PATTERN-ID
    local d p tries cg
    cgroup_dirs "$1"
    for d in "${CG[@]}"; do
        for ((tries = 0; tries < 50; tries++)); do
            # Only processes that are really in this cgroup (never a stale pid).
            while read -r p; do
                { cg=$(<"/proc/$p/cgroup"); } 2>/dev/null || continue
                [[ $cg == *"/${d##*/}"* ]] && kill -KILL "$p" 2>/dev/null
            done <"$d/cgroup.procs" 2>/dev/null
            rmdir "$d" 2>/dev/null && break
            read -r -t 0.02 -u "$SLEEPFD"
        done
        [ -d "$d" ] && echo "compare.sh: cannot remove cgroup $d" >&2
    done
}

cleanup() {
    local rt d p
    trap - EXIT INT TERM
    # Parallel loops finish their current `run` on TERM, then exit.
    for p in "${PAR_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PAR_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    for rt in "${ACTIVE[@]}"; do
        for d in "${ROOTDIR[$rt]:-/nonexistent}"/"$PREFIX"-*; do
            [ -e "$d" ] || continue
            rt_cmd "$rt"
            "${C[@]}" delete --force "${d##*/}" >/dev/null 2>&1 </dev/null
        done
    done
    [ -n "${SLEEPFD:-}" ] && scrub_cgroups "$PREFIX-*"
    close_sleep_fifo
    rm -rf --one-file-system "$TMP"
}
TMP=$(mktemp -d /tmp/berth-compare.XXXXXX) || die "mktemp failed"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
open_sleep_fifo

# rt_cmd RT: RT's command line with its global flags, into array C.
rt_cmd() {
    C=("${BIN[$1]}" --root "${ROOTDIR[$1]}")
    [ "$1" = berth ] && [ -n "$PLUGIN_CONFIG" ] && C+=(--plugin-config "$PLUGIN_CONFIG")
}

# run_cmd RT BUNDLE ID [MEMORY]: the foreground `run` of RT into array C; the
# floor gets the bundle's limits as flags.
run_cmd() {
    if [ "$1" = floor ]; then
        C=("${BIN[floor]}" --memory "${4:-$MEM_LIMIT}" --pids "$PIDS_LIMIT" "$2" "$3")
    else
        rt_cmd "$1"; C+=(run --bundle "$2" "$3")
    fi
}

# timed OUT CMD...: runs CMD (stdout+stderr to OUT); sets RC and DUR (µs).
timed() {
    local out=$1 t0; shift
    now_us; t0=$REPLY
    "$@" >"$out" 2>&1 </dev/null
    RC=$?
    now_us; DUR=$((REPLY - t0))
}

# leftovers RT ID: after a container is gone: no state dir, no cgroup.
leftovers() {
    local bad=0 d
    if [ "$1" != floor ] && [ -e "${ROOTDIR[$1]}/$2" ]; then
        echo "ERROR: $1: $2: state dir ${ROOTDIR[$1]}/$2 left behind" >&2; bad=1
    fi
    cgroup_dirs "$2"
    for d in "${CG[@]}"; do echo "ERROR: $1: $2: cgroup $d left behind" >&2; bad=1; done
    return $bad
}

# failed RT ID WHAT OUT: report, count, and remove what is left of ID.
failed() {
    echo "ERROR: $1: $3 of $2 failed (exit $RC):" >&2
    sed 's/^/    /' "$4" >&2
    NERR[$1]=$((NERR[$1] + 1)); TOTAL_ERR=$((TOTAL_ERR + 1))
    scrub "$1" "$2"
}

scrub() {  # scrub RT ID: quietly delete --force ID and remove its cgroups
    if [ "$1" != floor ] && [ -e "${ROOTDIR[$1]}/$2" ]; then
        rt_cmd "$1"; "${C[@]}" delete --force "$2" >/dev/null 2>&1 </dev/null
    fi
    scrub_cgroups "$2"
}

# ---------------------------------------------------------------- setup
for rt in "${ACTIVE[@]}"; do ROOTDIR[$rt]=$TMP/root-$rt; mkdir -p "${ROOTDIR[$rt]}"; done
if [ -n "${BIN[berth]:-}" ] && [ -z "$PLUGIN_CONFIG" ]; then
    PLUGIN_CONFIG=$(build_tree_plugin_config "${BIN[berth]}") || die "no plugin config for berth"
fi

# The bundles: busybox-static rootfs + `berth spec` (runc's default config:
# namespaces, mounts, masked and read-only paths, devices, capabilities) with
# pids and memory limits; identical for every runtime. true: /bin/true;
# sleep: `sleep 3600` for the verbs; mem: /bin/true with the memory limit
# rewritten for each step of the memory-floor bisection.
specber=${BIN[berth]:-}
[ -n "$specber" ] || { find_berth "" && specber=$REPLY; } || die "make-bundle.sh needs a berth for 'berth spec'"
make_bundle() {  # make_bundle DIR MEMORY MEMORY-PLACEHOLDER ARG...: DIR, and DIR/../sleep and ../mem
    local dir=$1 mem=$2 placeholder=$3; shift 3
    BERTH=$specber sh "$repo/tests/scripts/make-bundle.sh" "$dir" "$@" >"$TMP/bundle.log" 2>&1 &&
    cp -a "$dir" "$TMP/sleep" && cp -a "$dir" "$TMP/mem" &&
    python3 - "$dir/config.json" "$mem" "$PIDS_LIMIT" "$placeholder" <<'PY' >>"$TMP/bundle.log" 2>&1 ||
import json, os, sys
path, mem, pids, placeholder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
top = os.path.dirname(os.path.dirname(path))
c = json.load(open(path))
res = c.setdefault("linux", {}).setdefault("resources", {})
res["pids"] = {"limit": pids}
args = c["process"]["args"]
for name, argv, limit in (("true", args, mem), ("sleep", ["sleep", "3600"], mem), ("mem", args, placeholder)):
    res["memory"] = {"limit": limit}
    c["process"]["args"] = argv
    json.dump(c, open(os.path.join(top, name, "config.json"), "w"), indent=2)
PY
        { cat "$TMP/bundle.log" >&2; die "making the bundles failed"; }
}
MEM_PLACEHOLDER=987654321987
make_bundle "$TMP/true" "$MEM_LIMIT" "$MEM_PLACEHOLDER" /bin/true
MEM_TEMPLATE=$(<"$TMP/mem/config.json")

echo "compare.sh: bundle $TMP/true: busybox-static rootfs, berth spec," \
     "memory.limit $MEM_LIMIT, pids.limit $PIDS_LIMIT" >&2
[ -n "$PRIVATE_NOTE" ] && echo "compare.sh: $PRIVATE_NOTE" >&2
for rt in "${ALL[@]}"; do
    x=; [ "$rt" = berth ] && [ -n "$PLUGIN_CONFIG" ] && x=" --plugin-config $PLUGIN_CONFIG"
    echo "compare.sh: $rt: ${BIN[$rt]}$x" >&2
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- measurements
# Samples: $TMP/s.FIGURE.RT, one number a line.
sample() { echo "$3" >>"$TMP/s.$1.$2"; }

# one_run RT ID: timed foreground `run` of /bin/true.
one_run() {
    local out=$TMP/$1.out
    run_cmd "$1" "$TMP/true" "$2"
    timed "$out" "${C[@]}"
    [ $RC = 0 ] || { failed "$1" "$2" run "$out"; return 1; }
    leftovers "$1" "$2" || { failed "$1" "$2" "cleanup after run" "$out"; return 1; }
    RUN_US=$DUR
}

# verbs RT ID: create (sleeping), start, state, kill KILL, (wait), delete, each timed.
verbs() {
    local rt=$1 id=$2 out=$TMP/$1.out pidf=$TMP/$1.pid pid='' s
    local -A d=()
    rm -f "$pidf"; rt_cmd "$rt"
    timed "$out" "${C[@]}" create --bundle "$TMP/sleep" --pid-file "$pidf" "$id"
    [ $RC = 0 ] || { failed "$rt" "$id" create "$out"; return 1; }
    d[create]=$DUR
    read -r pid <"$pidf" 2>/dev/null
    if ! [[ $pid =~ ^[0-9]+$ ]]; then
        RC=0; echo "pid file holds '$pid'" >"$out"; failed "$rt" "$id" create "$out"; return 1
    fi
    timed "$out" "${C[@]}" start "$id"
    [ $RC = 0 ] || { failed "$rt" "$id" start "$out"; return 1; }
    d[start]=$DUR
    timed "$out" "${C[@]}" state "$id"
    [ $RC = 0 ] || { failed "$rt" "$id" state "$out"; return 1; }
    d[state]=$DUR
    [[ $(<"$out") == *'"running"'* ]] || { failed "$rt" "$id" "state (not running)" "$out"; return 1; }
    timed "$out" "${C[@]}" kill "$id" KILL
    [ $RC = 0 ] || { failed "$rt" "$id" kill "$out"; return 1; }
    d[kill]=$DUR
    if ! wait_exit "$pid"; then
        RC=0; echo "still running 10 s after kill" >"$out"; failed "$rt" "$id" kill "$out"; return 1
    fi
    timed "$out" "${C[@]}" delete "$id"
    [ $RC = 0 ] || { failed "$rt" "$id" delete "$out"; return 1; }
    d[delete]=$DUR
    leftovers "$rt" "$id" || { failed "$rt" "$id" "cleanup after delete" "$out"; return 1; }
    for s in create start state kill delete; do sample "$s" "$rt" "${d[$s]}"; done
}

# lifecycle RT ID: create+start+wait for exit+delete of /bin/true as one interval
# (bench/lifecycle.sh's measure: the exit is polled in /proc, not asked of the runtime).
lifecycle() {
    local rt=$1 id=$2 out=$TMP/$1.out pidf=$TMP/$1.pid pid='' t0
    rm -f "$pidf"; rt_cmd "$rt"
    now_us; t0=$REPLY
    "${C[@]}" create --bundle "$TMP/true" --pid-file "$pidf" "$id" >"$out" 2>&1 </dev/null ||
        { RC=$?; failed "$rt" "$id" "lifecycle create" "$out"; return 1; }
    read -r pid <"$pidf" 2>/dev/null
    "${C[@]}" start "$id" >"$out" 2>&1 </dev/null || { RC=$?; failed "$rt" "$id" "lifecycle start" "$out"; return 1; }
    if ! wait_exit "$pid"; then
        RC=0; echo "still running 10 s after start" >"$out"; failed "$rt" "$id" "lifecycle wait" "$out"; return 1
    fi
    "${C[@]}" delete "$id" >"$out" 2>&1 </dev/null || { RC=$?; failed "$rt" "$id" "lifecycle delete" "$out"; return 1; }
    now_us; LIFE_US=$((REPLY - t0))
    if [ -n "$EXIT_CODE" ] && [ "$EXIT_CODE" != 0 ]; then
        RC=$EXIT_CODE; echo "/bin/true exited with wait status $EXIT_CODE" >"$out"
        failed "$rt" "$id" lifecycle "$out"; return 1
    fi
    leftovers "$rt" "$id" || { RC=0; failed "$rt" "$id" "cleanup after lifecycle" "$out"; return 1; }
}

# exec_floor: the floor's cells of the small verbs: an exec of /bin/true,
# timed as the verbs are (a fork and exec from this shell, output to a file).
# What any verb costs before a runtime does anything of its own.
exec_floor() {
    local s
    for s in start state kill delete; do
        timed "$TMP/floor.out" /bin/true
        sample "$s" floor "$DUR"
    done
}

# in_round_order R: the runtimes of round R, rotated by R so that no runtime
# always runs right after the same other one; into array ORDER.
in_round_order() {
    local k=$(( $1 % ${#ALL[@]} ))
    ORDER=("${ALL[@]:k}" "${ALL[@]:0:k}")
}

# Warmup (untimed): page cache, and a check that each runtime takes the bundles.
for rt in "${ALL[@]}"; do
    ok=1
    one_run "$rt" "$PREFIX-$rt-w" || ok=0
    if [ $ok = 1 ] && [ "$rt" != floor ]; then
        verbs "$rt" "$PREFIX-$rt-wv" && lifecycle "$rt" "$PREFIX-$rt-wl" || ok=0
        rm -f "$TMP"/s.*."$rt"
    fi
    [ $ok = 1 ] || die "$rt fails on the benchmark bundle (see above)"
done

echo "compare.sh: $N interleaved rounds: run, create/start/state/kill/delete, lifecycle" >&2
for ((r = 1; r <= N; r++)); do
    in_round_order "$r"
    for rt in "${ORDER[@]}"; do
        one_run "$rt" "$PREFIX-$rt-r$r" && sample run "$rt" "$RUN_US"
        if [ "$rt" = floor ]; then
            exec_floor
            continue
        fi
        verbs "$rt" "$PREFIX-$rt-v$r"
        lifecycle "$rt" "$PREFIX-$rt-l$r" && sample lifecycle "$rt" "$LIFE_US"
    done
done

# Peak RSS: ru_maxrss of the runtime process as wait4 reports it (GNU time
# %M), i.e. the largest of the process and any child it reaped itself. For
# create the container's init is not reaped by the runtime, so it is not counted.
rss() {  # rss RT FIGURE ID CMD...
    local rt=$1 fig=$2 id=$3 out=$TMP/$1.out kb; shift 3
    "$TIME" -f %M -o "$TMP/rss" "$@" >"$out" 2>&1 </dev/null
    RC=$?
    [ $RC = 0 ] || { failed "$rt" "$id" "$fig (under time)" "$out"; return 1; }
    kb=$(tail -n 1 "$TMP/rss")
    sample "rss_$fig" "$rt" "$kb"
}
rss_round() {  # rss_round RT ID
    local rt=$1 id=$2 pidf=$TMP/$1.pid pid=
    run_cmd "$rt" "$TMP/true" "$id-r"
    rss "$rt" run "$id-r" "${C[@]}" || return 1
    [ "$rt" = floor ] && return 0
    rm -f "$pidf"; rt_cmd "$rt"
    rss "$rt" create "$id" "${C[@]}" create --bundle "$TMP/sleep" --pid-file "$pidf" "$id" || return 1
    read -r pid <"$pidf"
    rss "$rt" start "$id" "${C[@]}" start "$id" || return 1
    rss "$rt" state "$id" "${C[@]}" state "$id" || return 1
    rss "$rt" kill "$id" "${C[@]}" kill "$id" KILL || return 1
    wait_exit "$pid"
    rss "$rt" delete "$id" "${C[@]}" delete "$id" || return 1
    leftovers "$rt" "$id" || { RC=0; failed "$rt" "$id" "cleanup after delete" "$TMP/$rt.out"; }
}
echo "compare.sh: $RSS_ROUNDS peak-RSS rounds" >&2
for ((r = 1; r <= RSS_ROUNDS; r++)); do
    in_round_order "$r"
    for rt in "${ORDER[@]}"; do rss_round "$rt" "$PREFIX-$rt-m$r"; done
done

# Memory floor: the smallest linux.resources.memory.limit at which `run
# /bin/true` exits 0, by bisection in [MEM_LO_KIB, MEM_HI_KIB] at MEM_RES_KIB
# resolution, the runtimes' steps interleaved. A failing try (OOM kill, a
# runtime error, a hang cut at 30 s) is cleaned up like any failure, quietly.
declare -A LO=() HI=() MEMFLOOR=()
mem_try() {  # mem_try RT KIB ID: returns 0 if run exited 0
    local rt=$1 bytes=$(($2 * 1024)) id=$3
    [ "$rt" = floor ] || printf '%s\n' "${MEM_TEMPLATE//$MEM_PLACEHOLDER/$bytes}" >"$TMP/mem/config.json"
    run_cmd "$rt" "$TMP/mem" "$id" "$bytes"
    timeout -k 5 30 "${C[@]}" >"$TMP/$rt.mem.out" 2>&1 </dev/null
    local rc=$?
    scrub "$rt" "$id"
    return $rc
}
if [ "$MEM_RES_KIB" -gt 0 ]; then
    echo "compare.sh: memory floor, bisection in $MEM_LO_KIB..$MEM_HI_KIB KiB at $MEM_RES_KIB KiB" >&2
    declare -a open=()
    for rt in "${ALL[@]}"; do
        if ! mem_try "$rt" "$MEM_HI_KIB" "$PREFIX-$rt-hi"; then
            MEMFLOOR[$rt]=">$MEM_HI_KIB"
            echo "compare.sh: $rt: run fails even at $MEM_HI_KIB KiB:" >&2; sed 's/^/    /' "$TMP/$rt.mem.out" >&2
        elif mem_try "$rt" "$MEM_LO_KIB" "$PREFIX-$rt-lo"; then
            MEMFLOOR[$rt]="<=$MEM_LO_KIB"
        else
            LO[$rt]=$MEM_LO_KIB; HI[$rt]=$MEM_HI_KIB; open+=("$rt")
        fi
    done
    step=0
    while [ ${#open[@]} -gt 0 ]; do
        step=$((step + 1)); next=()
        for rt in "${open[@]}"; do
            mid=$(( (LO[$rt] + HI[$rt]) / 2 / MEM_RES_KIB * MEM_RES_KIB ))
            [ $mid -gt "${LO[$rt]}" ] || mid=$((LO[$rt] + MEM_RES_KIB))
            if mem_try "$rt" $mid "$PREFIX-$rt-b$step"; then HI[$rt]=$mid; else LO[$rt]=$mid; fi
            if [ $((HI[$rt] - LO[$rt])) -le "$MEM_RES_KIB" ]; then MEMFLOOR[$rt]=${HI[$rt]}; else next+=("$rt"); fi
        done
        open=("${next[@]}")
    done
fi

# Parallel: PAR_LOOPS loops of foreground `run`s for PAR_SECONDS; containers/s
# that exited 0, per round; the runtimes take turns round by round.
par_loop() {  # par_loop RT ROUND LOOP DEADLINE_US (in a subshell)
    local rt=$1 tag=$2-$3 deadline=$4 i=0 ok=0 bad=0 stop=0 id out=$TMP/par.$1.$2.$3
    trap 'stop=1' TERM
    trap - INT EXIT
    while [ $stop = 0 ]; do
        now_us; [ "$REPLY" -lt "$deadline" ] || break
        i=$((i + 1)); id=$PREFIX-$rt-p$tag-$i
        run_cmd "$rt" "$TMP/true" "$id"
        if "${C[@]}" >"$out.last" 2>&1 </dev/null; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1)); { echo "run $id:"; cat "$out.last"; } >>"$out.err"
            scrub "$rt" "$id"
        fi
    done
    echo "$ok $bad" >"$out"
}
echo "compare.sh: $PAR_ROUNDS x $PAR_SECONDS s of $PAR_LOOPS parallel run loops per runtime" >&2
for ((r = 1; r <= PAR_ROUNDS; r++)); do
    in_round_order "$r"
    for rt in "${ORDER[@]}"; do
        now_us; t0=$REPLY; deadline=$((t0 + PAR_SECONDS * 1000000))
        PAR_PIDS=()
        for ((l = 1; l <= PAR_LOOPS; l++)); do
            par_loop "$rt" "$r" "$l" "$deadline" &
            PAR_PIDS+=($!)
        done
        for p in "${PAR_PIDS[@]}"; do wait "$p"; done
        PAR_PIDS=()
        now_us; t1=$REPLY
        ok=0; bad=0
        for ((l = 1; l <= PAR_LOOPS; l++)); do
            read -r o b <"$TMP/par.$rt.$r.$l" || { o=0; b=1; }
            ok=$((ok + o)); bad=$((bad + b))
        done
        if [ $bad -gt 0 ]; then
            echo "ERROR: $rt: $bad of $((ok + bad)) parallel runs failed:" >&2
            cat "$TMP"/par."$rt"."$r".*.err 2>/dev/null | head -n 20 | sed 's/^/    /' >&2
            NERR[$rt]=$((NERR[$rt] + bad)); TOTAL_ERR=$((TOTAL_ERR + bad))
        fi
        awk -v n=$ok -v us=$((t1 - t0)) 'BEGIN {printf "%.1f\n", n * 1e6 / us}' >>"$TMP/s.parallel.$rt"
    done
done

# ---------------------------------------------------------------- report
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A VAL=()   # "FIGURE RT" -> median in the figure's unit
FIGS=(run create start state kill delete lifecycle
      rss_run rss_create rss_start rss_state rss_kill rss_delete memfloor parallel)
declare -A LABEL=(
    [run]="run /bin/true wall (ms)"
    [create]="create, sleeping container (ms)"
    [start]="start (ms)" [state]="state (ms)" [kill]="kill KILL (ms)" [delete]="delete (ms)"
    [lifecycle]="create+start+wait+delete (ms)"
    [rss_run]="peak RSS of run (kB)" [rss_create]="peak RSS of create (kB)"
    [rss_start]="peak RSS of start (kB)" [rss_state]="peak RSS of state (kB)"
    [rss_kill]="peak RSS of kill (kB)" [rss_delete]="peak RSS of delete (kB)"
    [memfloor]="smallest memory limit for run (KiB)"
    [parallel]="$PAR_LOOPS parallel run loops (containers/s)"
)
for f in "${FIGS[@]}"; do
    for rt in "${ALL[@]}"; do
        v=-
        case $f in
            memfloor) v=${MEMFLOOR[$rt]:--} ;;
            parallel) v=$(median "$TMP/s.parallel.$rt") ;;
            rss_*) v=$(median "$TMP/s.$f.$rt"); [ "$v" = - ] || v=$(printf '%.0f' "$v") ;;
            *) v=$(median "$TMP/s.$f.$rt"); [ "$v" = - ] || v=$(awk -v u="$v" 'BEGIN {printf "%.2f", u / 1000}') ;;
        esac
        VAL["$f $rt"]=$v
    done
done
ratio() {  # ratio A B: A/B to two decimals, "-" unless both are plain numbers
    if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && [ "$2" != 0 ] && [ "$2" != 0.00 ]; then
        awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'
    else
        echo -
    fi
}
RCOLS=()   # ratio columns: "A B"
[ -n "${BIN[berth]:-}" ] && [ -n "${BIN[crun]:-}" ] && RCOLS+=("berth crun")
[ -n "${BIN[berth]:-}" ] && [ -n "${BIN[runc]:-}" ] && RCOLS+=("berth runc")
if [ -n "${BIN[floor]:-}" ]; then for rt in "${ACTIVE[@]}"; do RCOLS+=("$rt floor"); done; fi

echo
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cpus, $cpu_model; kernel $(uname -r);" \
     "load $LOAD_START -> $LOAD_END"
memnote="${MEM_RES_KIB} KiB resolution"; [ "$MEM_RES_KIB" = 0 ] && memnote=skipped
echo "n=$N rounds; peak RSS: $RSS_ROUNDS rounds; memory floor: $memnote; parallel: $PAR_ROUNDS x $PAR_SECONDS s"
[ -n "$PRIVATE_NOTE" ] && echo "$PRIVATE_NOTE"
{
    printf 'figure'; for rt in "${ALL[@]}"; do printf '\t%s' "$rt"; done
    for c in "${RCOLS[@]}"; do printf '\t%s' "${c/ //}"; done; echo
    for f in "${FIGS[@]}"; do
        printf '%s' "${LABEL[$f]}"
        for rt in "${ALL[@]}"; do printf '\t%s' "${VAL["$f $rt"]}"; done
        for c in "${RCOLS[@]}"; do printf '\t%s' "$(ratio "${VAL["$f ${c% *}"]}" "${VAL["$f ${c#* }"]}")"; done
        echo
    done
} | awk -F'\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
                   if (NF > nf) nf = NF }
             END { for (r = 1; r <= NR; r++) { line = ""
                       for (i = 1; i <= nf; i++) line = line sprintf("%-" w[i] + 2 "s", c[r, i])
                       sub(/ +$/, "", line); print line } }'
echo "ratios are of the medians (for containers/s, above 1 means more containers);" \
     "'-': not measured or not applicable (the floor only runs)"
errs=; for rt in "${ALL[@]}"; do errs+=" $rt=${NERR[$rt]}"; done
echo "errors:$errs"

if [ -n "$JSON" ]; then
    {
        printf '{\n  "date": "%s",\n  "machine": "%s",\n  "load": ["%s", "%s"],\n' \
            "$(date -u +%FT%TZ)" "$(nproc) cpus, $(uname -r)" "$LOAD_START" "$LOAD_END"
        printf '  "rounds": %s, "rss_rounds": %s, "mem_res_kib": %s, "parallel_rounds": %s, "parallel_seconds": %s,\n' \
            "$N" "$RSS_ROUNDS" "$MEM_RES_KIB" "$PAR_ROUNDS" "$PAR_SECONDS"
        printf '  "private_mount_namespace": %s,\n' "$([ -n "$PRIVATE_NOTE" ] && echo true || echo false)"
        printf '  "binaries": {'; sep=
        for rt in "${ALL[@]}"; do printf '%s"%s": "%s"' "$sep" "$rt" "${BIN[$rt]}"; sep=', '; done; printf '},\n'
        printf '  "errors": {'; sep=
        for rt in "${ALL[@]}"; do printf '%s"%s": %s' "$sep" "$rt" "${NERR[$rt]}"; sep=', '; done; printf '},\n'
        printf '%s%s\n' '  "units": {"run": "ms", "create": "ms", "start": "ms", "state": "ms", "kill": "ms",' \
            ' "delete": "ms", "lifecycle": "ms", "rss_*": "kB", "memfloor": "KiB", "parallel": "containers/s"},'
        printf '  "medians": {\n'; fsep=
        for f in "${FIGS[@]}"; do
            printf '%s    "%s": {' "$fsep" "$f"; sep=
            for rt in "${ALL[@]}"; do
                v=${VAL["$f $rt"]}
                [[ $v =~ ^[0-9.]+$ ]] || v=$([ "$v" = - ] && echo null || echo "\"$v\"")
                printf '%s"%s": %s' "$sep" "$rt" "$v"; sep=', '
            done
            printf '}'; fsep=$',\n'
        done
        printf '\n  }\n}\n'
    } >"$JSON"
fi
if [ $TOTAL_ERR -gt 0 ]; then
    echo "compare.sh: $TOTAL_ERR failure(s); see ERROR lines above" >&2
    exit 1
fi
exit 0
