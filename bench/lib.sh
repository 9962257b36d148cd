# shellcheck shell=bash disable=SC2034,SC2154  # EXIT_CODE is for the caller; $repo is the caller's
# bench/lib.sh: shared by bench/lifecycle.sh and bench/compare.sh (sourced,
# bash only). Needs: $repo (the source tree), $TMP (the run's temp dir).

# Microseconds since the epoch, from bash's $EPOCHREALTIME (no fork), into REPLY.
now_us() { local t=$EPOCHREALTIME; REPLY=${t//[.,]/}; }

apt_install() {
    apt-get install -y -q "$1" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$1" >/dev/null; }
}

# open_sleep_fifo: a fifo nobody writes to, so that `read -t 0.0002 -u
# $SLEEPFD` is a fork-free 0.2 ms sleep. Close with close_sleep_fifo.
open_sleep_fifo() {
    mkfifo "$TMP/sleep.fifo"
    exec {SLEEPFD}<>"$TMP/sleep.fifo"
}
close_sleep_fifo() {
    if [ -n "${SLEEPFD:-}" ]; then exec {SLEEPFD}>&-; SLEEPFD=; fi
}

# wait_exit PID: until /proc/PID is gone or a zombie (orphans are reaped by PID 1
# only after 1-2 s here), polling without forks. Sets EXIT_CODE (waitpid-style
# status from /proc/PID/stat, empty if already reaped). Returns 1 after
# $WAIT_TIMEOUT_US microseconds (default 10 s).
wait_exit() {
    local pid=$1 stat rest state deadline
    now_us; deadline=$((REPLY + ${WAIT_TIMEOUT_US:-10000000}))
    EXIT_CODE=
    while :; do
        { read -r stat </proc/"$pid"/stat; } 2>/dev/null || return 0
        rest=${stat##*) }; state=${rest%% *}
        if [ "$state" = Z ] || [ "$state" = X ]; then EXIT_CODE=${rest##* }; return 0; fi
        now_us; [ "$REPLY" -lt "$deadline" ] || return 1
        read -r -t 0.0002 -u "$SLEEPFD"
    done
}

# median FILE: the median of the numbers in FILE, one a line (mean of the two
# middle ones for an even count), or "-" for an empty file.
median() {
    sort -n "$1" 2>/dev/null | awk '{a[NR] = $1}
        END {
            if (NR == 0) { print "-"; exit }
            print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        }'
}

# find_berth [PATH]: the berth binary (PATH, else berth on PATH, else
# $repo/build/cli/berth), resolved, into REPLY; returns 1 if not executable.
find_berth() {
    local b=${1:-}
    if [ -z "$b" ]; then
        b=$(command -v berth 2>/dev/null || true)
        [ -n "$b" ] || b=$repo/build/cli/berth
    fi
    REPLY=$b
    [ -x "$b" ] || return 1
    REPLY=$(readlink -f "$b")
}

# build_tree_plugin_config BERTH: when BERTH is in a build tree (its plugins
# built next to it, build/plugins/*/berth-*.so), writes $TMP/plugins.yaml
# listing them (the shape of a dev config) and prints its path, so a binary
# under test always loads its own plugins. Otherwise prints nothing (berth's
# own default: $BERTH_PLUGIN_CONFIG or /etc/berth/plugins.yaml), or fails if
# there is no such default either.
build_tree_plugin_config() {
    local berth=$1 pdir so d f name dirs=() entries=()
    pdir=$(readlink -f "$(dirname "$berth")/../plugins")
    for so in "$pdir"/*/berth-*.so; do
        [ -e "$so" ] || continue
        d=$(dirname "$so"); f=$(basename "$so"); name=${f#berth-}; name=${name%.so}
        dirs+=("$d"); entries+=("  - {name: $name, file: $f}")
    done
    if [ ${#dirs[@]} -eq 0 ]; then
        [ -n "${BERTH_PLUGIN_CONFIG:-}" ] || [ -e /etc/berth/plugins.yaml ] && return 0
        echo "no plugins next to $berth, no /etc/berth/plugins.yaml: pass --plugin-config FILE" >&2
        return 1
    fi
    {
        (IFS=,; echo "plugin_dirs: [${dirs[*]}]" | sed 's/,/, /g')
        echo "plugins:"
        printf '%s\n' "${entries[@]}"
    } >"$TMP/plugins.yaml"
    echo "$TMP/plugins.yaml"
}

# crun 1.8.1 (Debian 12) refuses ociVersion 1.2.x ("unknown version
# specified"), which `berth spec` writes; the bundles of every runtime say
# 1.1.0 instead, a version all three accept and that changes nothing else.
export OCI_VERSION=1.1.0

# true_bundle DIR BERTH: the benchmark's `run /bin/true` bundle (busybox
# rootfs from make-bundle.sh, pids and memory limits), for profile.sh and
# kmem-peak.sh.
true_bundle() {
    BERTH=$2 sh "$repo/tests/scripts/make-bundle.sh" "$1" /bin/true >/dev/null || return 1
    python3 - "$1/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"].setdefault("resources", {}).update({"memory": {"limit": 64 << 20}, "pids": {"limit": 1024}})
json.dump(c, open(sys.argv[1], "w"))
PY
}

# as_runtime RT CMD...: runs CMD; for crun on a hybrid host in a private
# mount namespace without the unified mount (crun 1.8 refuses hybrid hosts;
# a tmpfs takes the cgroup.procs it still writes there). compare.sh runs
# every runtime that way; the profilers only crun, the others as installed.
as_runtime() {
    if [ "$1" = crun ] && mountpoint -q /sys/fs/cgroup/unified; then
        unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified &&
            mount -t tmpfs -o size=16m berth-bench /sys/fs/cgroup/unified && exec "$@"' sh "${@:2}"
    else
        "${@:2}"
    fi
}
