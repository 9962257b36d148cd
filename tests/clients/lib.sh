# Shared by the client end-to-end scripts (tests/clients/<client>.sh), sourced
# with bash. Each script starts its own private daemons under one temp dir,
# drives them through scenarios, and at exit stops every daemon and removes
# every leftover, even after a failure. Nothing here touches the host's own
# client configs, sockets or state.
#
#   BUILD    the meson build dir (default: build next to tests/)
#   KEEP=1   keep the temp dir after the run, for a post-mortem

set -uo pipefail
CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$CLIENTS_DIR/../.." && pwd)
BUILD=${BUILD:-$SRC_ROOT/build}
# Absent when only the release build exists (bench/clients.sh --berth).
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$BUILD")
FIXTURES_DIR=$SRC_ROOT/tests/fixtures/clients

passed=0 failed=0 skipped=0 failed_names=()
cleanups=()

log() { echo "[$(date +%T)] $*" >&2; }

# at_exit CMD: run CMD (eval'd) at exit, most recent first.
at_exit() { cleanups=("$*" "${cleanups[@]}"); }
run_cleanups() {
    local c
    for c in "${cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    cleanups=()
}

# setup_tmp NAME: T is the temp dir; BERTH_RT the berth wrapper the client
# is given as its runtime (the build tree's berth with the build tree's plugins,
# its log in $T/berth-calls.log so a failure shows every call the client made).
setup_tmp() {
    T=$(mktemp -d "/tmp/berth-$1.XXXXXX")
    chmod 0711 "$T"
    at_exit "[ \"\${KEEP:-}\" = 1 ] || { umount_under '$T'; rm -rf '$T'; }"
    trap 'run_cleanups' EXIT
    trap 'exit 130' INT TERM
    [ -x "$BUILD/cli/berth" ] || { echo "no $BUILD/cli/berth: build first" >&2; exit 1; }
    [ -f "$BUILD/tests/integration/plugins-test.yaml" ] || { echo "no plugins-test.yaml in $BUILD" >&2; exit 1; }
    BERTH_RT=$T/bin/berth
    mkdir -p "$T/bin"
    cat >"$BERTH_RT" <<EOF
#!/bin/sh
echo "\$(date +%T.%N) \$*" >>"$T/berth-calls.log"
exec "$BUILD/cli/berth" --plugin-config "$BUILD/tests/integration/plugins-test.yaml" "\$@"
EOF
    chmod 0755 "$BERTH_RT"
    snapshot_host "$T/host-before"
}

# umount_under DIR: lazily unmount everything mounted at or below DIR.
umount_under() {
    local m
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
}

# make_rootfs DIR: Debian's busybox-static with one symlink per applet.
make_rootfs() {
    local d=$1 a
    mkdir -p "$d"/{bin,proc,sys,dev,tmp,etc,root,run,var/tmp,home/user}
    cp /bin/busybox "$d/bin/busybox"
    for a in $(/bin/busybox --list); do [ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"; done
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'user:x:1000:1000:user:/home/user:/bin/sh' \
        'nobody:x:65534:65534:nobody:/:/bin/false' >"$d/etc/passwd"
    printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$d/etc/group"
    chown 1000:1000 "$d/home/user"
    chmod 1777 "$d/tmp" "$d/var/tmp"
}

# scenario NAME CMD...: one pass/fail line per scenario; CMD runs in a subshell
# with its output in $T/scenarios/NAME.log, shown when it fails.
scenario() {
    local name=$1; shift
    # ONLY="tty exec" runs just those (a developer's loop; the summary counts
    # the rest as skipped, never as passed).
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && [ "$name" != no-leftovers ]; then
        skipped=$((skipped + 1)); return 0
    fi
    mkdir -p "$T/scenarios"
    local out="$T/scenarios/${name//[^A-Za-z0-9_.-]/_}.log"
    log "scenario $name"
    # Not in an `if` or `||`: bash ignores set -e in a subshell run as a
    # condition, even when the subshell sets it itself, and a failed assertion
    # followed by a passing last command would read as a pass.
    local rc=0
    # The ERR trap names the command that stopped the scenario (set -E: in
    # functions too), so a failure outside the assertions is not silent.
    ( set -eE; trap 'echo "FAILED: exit $? from: $BASH_COMMAND (${FUNCNAME[0]:-}:$LINENO)" >&2' ERR; "$@" ) >"$out" 2>&1
    rc=$?
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1)); echo "PASS $name"
    else
        failed=$((failed + 1)); failed_names+=("$name"); echo "FAIL $name"
        sed 's/^/    /' "$out" | tail -40
    fi
}

# Assertions for scenario bodies (they exit the subshell non-zero).
fail() { echo "FAILED: $*" >&2; return 1; }
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"
}
expect_match() {  # expect_match WHAT REGEX ACTUAL
    [[ "$3" =~ $2 ]] || fail "$1: expected a match for /$2/, got [$3]"
}
expect_status() {  # expect_status WHAT CODE CMD...
    local what=$1 want=$2 rc=0; shift 2
    "$@" || rc=$?
    [ "$rc" = "$want" ] || fail "$what: expected exit $want, got $rc from: $*"
}
# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $*" >&2; return 1; }
        sleep 0.2
    done
}

# in_pty SECONDS CMD...: run CMD with a pty as its stdin/stdout/stderr (ctr -t
# wants its own terminal), killed after SECONDS; prints its output without CR
# and the NULs a stdin EOF leaves once the pty is raw.
# script(1) runs `$SHELL -c`: SHELL is pinned, and timeout keeps CMD in the
# terminal's foreground process group (--foreground). Without it, timeout's own
# process group is a background one and CMD's tcsetattr (ctr going raw) stops
# it with SIGTTOU until the kill; bash hid that by exec'ing a lone command.
in_pty() {
    local secs=$1; shift
    local cmd
    printf -v cmd '%q ' "$@"
    SHELL=/bin/sh script -qec "exec timeout --foreground -s KILL $secs $cmd" /dev/null </dev/null | tr -d '\r\0'
}

# v1_cgroup_dir PID CONTROLLER: the process's v1 cgroup dir for CONTROLLER,
# from /proc/PID/cgroup, as the shims and podman read it.
v1_cgroup_dir() {
    local rel
    rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
        "/proc/$1/cgroup")
    [ -n "$rel" ] || { echo "no $2 cgroup for pid $1" >&2; return 1; }
    echo "/sys/fs/cgroup/$2$rel"
}

# keep_fixture CLIENT NAME FILE: keep a config.json a client generated, with
# host-specific paths made stable (the tests swap the rootfs anyway).
# A fixture already kept is rewritten only with UPDATE_FIXTURES=1: ids, temp
# paths and pids differ on every run, and a test run must leave the tree clean.
keep_fixture() {
    mkdir -p "$FIXTURES_DIR/$1"
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$3" || return 1
    [ -e "$FIXTURES_DIR/$1/$2.json" ] && [ "${UPDATE_FIXTURES:-}" != 1 ] && return 0
    python3 - "$3" "$FIXTURES_DIR/$1/$2.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("root", {})["path"] = "rootfs"
json.dump(c, open(sys.argv[2], "w"), indent=2, sort_keys=True)
open(sys.argv[2], "a").write("\n")
PY
}

# The host state that must be the same before and after a run: cgroup dirs in
# every hierarchy, mounts, and processes that run in another root (a container's).
snapshot_host() {
    mkdir -p "$1"
    # find fails when a cgroup of someone else goes away under it.
    { find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null || true; } | sort >"$1/cgroups"
    awk '{ print $5 }' /proc/self/mountinfo | grep -v "^$T" | sort >"$1/mounts"
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = / ] || [ ! -e "$p/root" ] ||
            echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
    done | sort >"$1/foreign-root-procs"
}

# expect_no_leftovers PATTERN [BERTH_ROOT...]: after every daemon is stopped, nothing that
# matches PATTERN (an ERE on cgroup paths: the client's parent cgroup names)
# may remain that was not there before, no mount below $T, and no process in
# another root.
expect_no_leftovers() {
    local after="$T/host-after" bad=0
    snapshot_host "$after"
    local new_cg
    new_cg=$(comm -13 "$T/host-before/cgroups" "$after/cgroups" | grep -E "$1" || true)
    [ -z "$new_cg" ] || { echo "leftover cgroups:"; echo "$new_cg"; bad=1; }
    local new_mnt
    new_mnt=$(awk -v d="$T" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)
    [ -z "$new_mnt" ] || { echo "leftover mounts:"; echo "$new_mnt"; bad=1; }
    local new_proc
    new_proc=$(comm -13 "$T/host-before/foreign-root-procs" "$after/foreign-root-procs" || true)
    [ -z "$new_proc" ] || { echo "leftover processes in another root:"; echo "$new_proc"; bad=1; }
    shift
    local root
    for root in "$@"; do  # berth --root dirs: no container state may remain
        [ -z "$(ls -A "$root" 2>/dev/null)" ] || { echo "leftover berth state in $root:"; ls -A "$root"; bad=1; }
    done
    return $bad
}

# summary CLIENT: the per-client line that tests/run.sh and the closing note quote.
summary() {
    echo "client $1: $passed passed," \
         "$failed failed${failed_names:+ (${failed_names[*]})}${ONLY:+, $skipped skipped (ONLY=$ONLY)}"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && { [ -n "${ONLY:-}" ] || [ "$skipped" -eq 0 ]; }
}
