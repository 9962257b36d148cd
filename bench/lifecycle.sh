#!/usr/bin/env bash
# lifecycle.sh: time N sequential create+start+wait-for-exit+delete lifecycles
# of /bin/true for berth, runc and crun, interleaved round by round, and print
# the median and p90 wall time per runtime. See bench/README.md.
#
# usage: bench/lifecycle.sh [-n N] [--runtimes "berth runc crun"] [--berth PATH]
#                           [--plugin-config FILE] [--warmup K] [--install]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

N=50
WARMUP=1
RUNTIMES="berth runc crun"
BERTH=
PLUGIN_CONFIG=
INSTALL=0
WAIT_TIMEOUT_US=10000000   # a container that has not exited 10 s after start is an error

usage() {
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  -n N                 lifecycles per runtime (default 50)
  --runtimes LIST      runtimes in round order (default "berth runc crun")
  --berth PATH         berth binary (default: berth on PATH, else build/cli/berth)
  --plugin-config FILE passed to berth as --plugin-config FILE (default: the
                       plugins built next to the berth binary, else berth's
                       own default)
  --warmup K           untimed lifecycles per runtime before the timed rounds (default 1)
  --install            apt-get install missing runc / crun / busybox-static
EOF
}

die() { echo "lifecycle.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        -n) N=${2:?-n needs a number}; shift 2 ;;
        --runtimes) RUNTIMES=${2?}; shift 2 ;;
        --runtimes=*) RUNTIMES=${1#*=}; shift ;;
        --berth) BERTH=${2:?}; shift 2 ;;
        --berth=*) BERTH=${1#*=}; shift ;;
        --plugin-config) PLUGIN_CONFIG=${2:?}; shift 2 ;;
        --plugin-config=*) PLUGIN_CONFIG=${1#*=}; shift ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --install) INSTALL=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, not '$N'"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup wants a non-negative integer, not '$WARMUP'"
[ "$(id -u)" = 0 ] || die "must run as root"

# now_us, apt_install, open_sleep_fifo, wait_exit, build_tree_plugin_config
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------- runtimes
declare -A BIN=()          # runtime -> binary
declare -A ROOTDIR=()      # runtime -> --root state dir
declare -a ACTIVE=()       # runtimes that will be timed
declare -A LIVE=()         # "runtime id" -> 1 while a container may exist
declare -A NERR=()         # runtime -> failed lifecycles
declare -A NOK=()          # runtime -> timed lifecycles that succeeded
USE_HELPER=0               # crun goes through the private-mount-namespace helper
HELPER_PID=
TOTAL_ERR=0
CGROUP_LEAKS=()

for rt in $RUNTIMES; do
    case $rt in
        berth)
            b=$BERTH
            find_berth "$b" ||
                die "berth binary '$REPLY' not found (build it: ninja -C $repo/build, or pass --berth PATH)"
            BIN[berth]=$REPLY
            ;;
        runc|crun)
            b=$(command -v "$rt" 2>/dev/null || true)
            if [ -z "$b" ] && [ $INSTALL = 1 ]; then
                echo "installing $rt with apt-get" >&2
                apt_install "$rt" || echo "apt-get install $rt failed" >&2
                b=$(command -v "$rt" 2>/dev/null || true)
            fi
            if [ -z "$b" ]; then
                echo "skipping $rt: not installed (pass --install to apt-get install it)" >&2
                continue
            fi
            BIN[$rt]=$b
            ;;
        *)  # any other runc-compatible runtime on PATH, used as is
            b=$(command -v "$rt" 2>/dev/null || true)
            [ -n "$b" ] || { echo "skipping $rt: not found on PATH" >&2; continue; }
            BIN[$rt]=$b
            ;;
    esac
    ACTIVE+=("$rt")
    NERR[$rt]=0; NOK[$rt]=0
done
[ ${#ACTIVE[@]} -gt 0 ] || die "no runtime to benchmark"

if [ ! -x /bin/busybox ] && [ $INSTALL = 1 ]; then
    echo "installing busybox-static with apt-get" >&2
    apt_install busybox-static || true
fi
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static, or pass --install)"

# ---------------------------------------------------------------- temp dir + cleanup
TMP=$(mktemp -d /tmp/berth-bench.XXXXXX) || die "mktemp failed"
PREFIX=bb$$                # container id prefix: bb<pid>-<runtime>-<round>

cleanup() {
    local key rt id
    trap - EXIT INT TERM
    for key in "${!LIVE[@]}"; do
        rt=${key%% *}; id=${key#* }
        rt_run "$rt" "$TMP/cleanup.out" delete --force "$id" ||
            { echo "cleanup: $rt delete --force $id failed:" >&2; cat "$TMP/cleanup.out" >&2; }
    done
    if [ -n "$HELPER_PID" ]; then
        # EOF on its command pipe ends the helper's loop; kill it if it lingers.
        local wfd=${CRUNH[1]:-}
        [ -n "$wfd" ] && exec {wfd}>&-
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$HELPER_PID" 2>/dev/null || break; sleep 0.1; done
        kill "$HELPER_PID" 2>/dev/null
        wait "$HELPER_PID" 2>/dev/null
    fi
    # Leaked cgroups (reported as errors above) are removed so the host stays clean.
    local d
    for d in /sys/fs/cgroup/*/"$PREFIX"-* /sys/fs/cgroup/*/*/"$PREFIX"-*; do
        [ -d "$d" ] && rmdir "$d" 2>/dev/null
    done
    close_sleep_fifo
    rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

open_sleep_fifo

# ---------------------------------------------------------------- crun helper
# Debian's crun 1.8.1 refuses a hybrid cgroup host ("cgroups in hybrid mode not
# supported"). It runs in ONE long-lived helper shell inside a private mount
# namespace where /sys/fs/cgroup/unified is unmounted; the host's mounts are
# never touched. The helper reads one command line at a time from a coprocess
# pipe, runs it (fork+exec, as the main shell does for the other runtimes) and
# answers with its exit status.
start_helper() {
    local hostns
    hostns=$(readlink /proc/$$/ns/mnt)
    # Protocol: one line "OUTBASE ARGS..." (ARGS %q-quoted, $TMP written as $T
    # to keep lines short: bash reads a pipe one byte at a time) -> runs
    # "$CRUN" --root "$R" ARGS >"$T/OUTBASE" 2>&1, answers with its exit status.
    coproc CRUNH {
        exec unshare -m --propagation private bash -c '
            [ "$(readlink /proc/self/ns/mnt)" != "$1" ] || { echo "NOT-PRIVATE"; exit 1; }
            umount /sys/fs/cgroup/unified || { echo "UMOUNT-FAILED"; exit 1; }
            # crun still makes <id>/cgroup.procs under unified/: a throwaway
            # tmpfs takes them, not the host'"'"'s /sys/fs/cgroup tmpfs below.
            mount -t tmpfs -o size=256m,mode=755 berth-bench /sys/fs/cgroup/unified ||
                { echo "MOUNT-FAILED"; exit 1; }
            CRUN=$2 R=$3 T=$4
            echo READY
            while read -r out args; do
                case $out in -*) echo 0; continue ;; esac   # timing probe: no-op
                eval "\"\$CRUN\" --root \"\$R\" $args" >"$T/$out" 2>&1 </dev/null
                echo "$?"
            done
        ' helper "$hostns" "${BIN[crun]}" "${ROOTDIR[crun]}" "$TMP" 2>"$TMP/helper.err"
    }
    HELPER_PID=$CRUNH_PID
    local reply=
    read -r -t 10 reply <&"${CRUNH[0]}"
    if [ "$reply" != READY ]; then
        echo "crun helper failed to start ($reply):" >&2; cat "$TMP/helper.err" >&2
        return 1
    fi
}

# helper_line OUTFILE ARGS...: the helper's command line for crun ARGS, into LINE.
helper_line() {
    local out=$1; shift
    printf -v LINE '%q ' "$@"
    LINE="${out#"$TMP"/} ${LINE//"$TMP"/'$T'}"
}

# rt_globals RT: the global flags for RT into array G.
rt_globals() {
    G=(--root "${ROOTDIR[$1]}")
    [ "$1" = berth ] && [ -n "$PLUGIN_CONFIG" ] && G+=(--plugin-config "$PLUGIN_CONFIG")
}

# rt_run RT OUTFILE ARGS...: run RT's binary with its global flags and ARGS,
# stdout+stderr to OUTFILE; returns its exit status.
rt_run() {
    local rt=$1 out=$2; shift 2
    local G; rt_globals "$rt"
    if [ "$rt" = crun ] && [ $USE_HELPER = 1 ]; then
        local LINE rc=
        helper_line "$out" "$@"
        printf '%s\n' "$LINE" >&"${CRUNH[1]}" || return 125
        read -r rc <&"${CRUNH[0]}" || return 125
        return "$rc"
    fi
    "${BIN[$rt]}" "${G[@]}" "$@" >"$out" 2>&1 </dev/null
}

# lifecycle RT ID: one timed create+start+wait+delete. On success sets DUR_US and
# returns 0; on failure prints what failed and returns 1.
lifecycle() {
    local rt=$1 id=$2 pidf=$TMP/$1.pid out=$TMP/$1.out pid= t0 t1 step
    rm -f "$pidf"
    now_us; t0=$REPLY
    LIVE["$rt $id"]=1
    step=create
    if rt_run "$rt" "$out" create --bundle "$TMP/bundle" --pid-file "$pidf" "$id"; then
        read -r pid <"$pidf" 2>/dev/null
        step=start
        if [[ $pid =~ ^[0-9]+$ ]] && rt_run "$rt" "$out" start "$id"; then
            step=wait
            if wait_exit "$pid"; then
                step=delete
                if rt_run "$rt" "$out" delete "$id"; then
                    now_us; t1=$REPLY
                    unset "LIVE[$rt $id]"
                    DUR_US=$((t1 - t0))
                    check_after "$rt" "$id" || return 1
                    return 0
                fi
            else
                echo "timeout: container pid $pid still running $((WAIT_TIMEOUT_US / 1000000)) s after start" >"$out"
            fi
        elif ! [[ $pid =~ ^[0-9]+$ ]]; then
            echo "create succeeded but the pid file '$pidf' holds '$pid'" >"$out"
        fi
    fi
    echo "ERROR: $rt: $step of $id failed:" >&2
    sed 's/^/    /' "$out" >&2
    rt_run "$rt" "$TMP/force.out" delete --force "$id" && unset "LIVE[$rt $id]"
    return 1
}

# check_after RT ID (untimed): the process exited 0 and delete left no state behind.
check_after() {
    local rt=$1 id=$2 bad=0 d
    if [ -n "$EXIT_CODE" ] && [ "$EXIT_CODE" != 0 ]; then
        echo "ERROR: $rt: $id: /bin/true exited with wait status $EXIT_CODE" >&2; bad=1
    fi
    if [ -e "${ROOTDIR[$rt]}/$id" ]; then
        echo "ERROR: $rt: $id: state dir ${ROOTDIR[$rt]}/$id left after delete" >&2; bad=1
    fi
    for d in /sys/fs/cgroup/*/"$id"; do
        if [ -d "$d" ]; then
            echo "ERROR: $rt: $id: cgroup $d left after delete" >&2; bad=1
        fi
    done
    return $bad
}

# ---------------------------------------------------------------- setup
for rt in "${ACTIVE[@]}"; do
    ROOTDIR[$rt]=$TMP/root-$rt
    mkdir -p "${ROOTDIR[$rt]}"
done

# berth's plugin config: --plugin-config, else the plugins built next to the
# berth binary, else berth's own default ($BERTH_PLUGIN_CONFIG, /etc/berth/plugins.yaml).
if [ -n "${BIN[berth]:-}" ] && [ -z "$PLUGIN_CONFIG" ]; then
    PLUGIN_CONFIG=$(build_tree_plugin_config "${BIN[berth]}") || die "no plugin config for berth"
fi

# The bundle: busybox-static rootfs + `berth spec` (runc's default config),
# identical for every runtime. make-bundle.sh needs a berth; without one in the
# list, use the default berth for `spec` only.
specber=${BIN[berth]:-$(command -v berth 2>/dev/null || echo "$repo/build/cli/berth")}
BERTH=$specber sh "$repo/tests/scripts/make-bundle.sh" "$TMP/bundle" /bin/true >"$TMP/bundle.log" 2>&1 ||
    { cat "$TMP/bundle.log" >&2; die "make-bundle.sh failed"; }

helper_overhead_us=
if [ -n "${BIN[crun]:-}" ] && mountpoint -q /sys/fs/cgroup/unified; then
    start_helper || die "cannot start the crun helper namespace"
    USE_HELPER=1
    # Round-trip cost through the helper of the three lines a lifecycle sends
    # (create, start, delete), sent as no-op probes ("-" before OUTBASE).
    id0=$PREFIX-crun-00000
    probes=()
    helper_line "$TMP/crun.out" create --bundle "$TMP/bundle" --pid-file "$TMP/crun.pid" "$id0"; probes+=("$LINE")
    helper_line "$TMP/crun.out" start "$id0"; probes+=("$LINE")
    helper_line "$TMP/crun.out" delete "$id0"; probes+=("$LINE")
    : >"$TMP/rtt"
    for i in $(seq 200); do
        now_us; t0=$REPLY
        for LINE in "${probes[@]}"; do
            printf '%s\n' "-$LINE" >&"${CRUNH[1]}"; read -r rc <&"${CRUNH[0]}"
        done
        now_us; echo $((REPLY - t0)) >>"$TMP/rtt"
    done
    helper_overhead_us=$(sort -n "$TMP/rtt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
fi

echo "bundle: $TMP/bundle (busybox-static rootfs, config.json from berth spec, args /bin/true)" >&2
for rt in "${ACTIVE[@]}"; do
    extra=
    [ "$rt" = berth ] && [ -n "$PLUGIN_CONFIG" ] && extra=" --plugin-config $PLUGIN_CONFIG"
    [ "$rt" = crun ] && [ $USE_HELPER = 1 ] && extra=" (via private-mount-namespace helper, pid $HELPER_PID)"
    echo "$rt: ${BIN[$rt]}$extra" >&2
done

# ---------------------------------------------------------------- warmup
# Untimed; also checks that every runtime accepts the bundle. A runtime whose
# warmup fails is dropped from the timed rounds (and makes the exit status 1).
timed=()
for rt in "${ACTIVE[@]}"; do
    ok=1
    for ((w = 1; w <= WARMUP; w++)); do
        lifecycle "$rt" "$PREFIX-$rt-w$w" || { ok=0; break; }
    done
    if [ $ok = 1 ]; then
        timed+=("$rt")
    else
        echo "$rt: warmup lifecycle failed; not timed" >&2
        NERR[$rt]=$((NERR[$rt] + 1)); TOTAL_ERR=$((TOTAL_ERR + 1))
    fi
    : >"$TMP/samples.$rt"
done

# ---------------------------------------------------------------- timed rounds
echo "running $N interleaved rounds: ${timed[*]}" >&2
for ((r = 1; r <= N; r++)); do
    for rt in "${timed[@]}"; do
        if lifecycle "$rt" "$PREFIX-$rt-$r"; then
            echo "$DUR_US" >>"$TMP/samples.$rt"
            NOK[$rt]=$((NOK[$rt] + 1))
        else
            NERR[$rt]=$((NERR[$rt] + 1)); TOTAL_ERR=$((TOTAL_ERR + 1))
        fi
    done
done

# ---------------------------------------------------------------- report
# median: mean of the two middle samples for even n; p90: nearest rank ceil(0.9 n).
stats() {
    sort -n "$1" | awk '{a[NR] = $1}
        END {
            if (NR == 0) { print "- -"; exit }
            med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            k = int(0.9 * NR); if (k < 0.9 * NR) k++
            printf "%.2f %.2f\n", med / 1000, a[k] / 1000
        }'
}
berth_med=
[ -n "${BIN[berth]:-}" ] && read -r berth_med _ < <(stats "$TMP/samples.berth")
echo
printf '%-9s %-4s %-10s %-8s %-9s %s\n' runtime n median_ms p90_ms vs_berth errors
for rt in "${ACTIVE[@]}"; do
    read -r med p90 < <(stats "$TMP/samples.$rt")
    ratio=-
    if [ "$med" != - ] && [ -n "$berth_med" ] && [ "$berth_med" != - ]; then
        ratio=$(awk -v a="$med" -v b="$berth_med" 'BEGIN {printf "%.2f", a / b}')
    fi
    printf '%-9s %-4s %-10s %-8s %-9s %s\n' "$rt" "${NOK[$rt]}" "$med" "$p90" "$ratio" "${NERR[$rt]}"
done
if [ -n "$helper_overhead_us" ]; then
    printf '\ncrun ran through the mount-namespace helper; its pipe round trips (create+start+delete)\n'
    printf 'cost a median %.2f ms per lifecycle, included in crun'"'"'s numbers (not subtracted).\n' \
        "$(awk -v u="$helper_overhead_us" 'BEGIN {print u / 1000}')"
fi
if [ $TOTAL_ERR -gt 0 ]; then
    echo "$TOTAL_ERR lifecycle(s) failed; see ERROR lines above" >&2
    exit 1
fi
exit 0
