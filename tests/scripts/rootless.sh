#!/bin/bash
# The rootless tier (docs/rootless.md): berth run by a user who is not root,
# alone and as rootless podman's runtime, on this host.
#
#   bash tests/scripts/rootless.sh               # as root; BUILD=<meson build dir>
#   bash tests/scripts/rootless.sh --setup-user  # only make the test user (the guest tier needs it)
#
# The test user, berth-rootless, is made once (useradd gives it /etc/subuid and
# /etc/subgid ranges; Debian's uidmap package has newuidmap/newgidmap). Then:
#  1. tests/integration/rootless_test as that user (its subordinate ranges
#     required): plain bundles, every verb, terminals, refusals, newuidmap,
#     the user's own plugin config;
#  2. rootless podman with berth as its runtime, and with runc as the control:
#     run --rm, --user, a volume, exec, stop, an exit code, a missing command.
#     podman's storage, config and runtime dir are the user's, under a temp
#     dir removed at the end (podman system reset for what its user namespace
#     owns).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-$PWD/build}
USER_NAME=berth-rootless

setup_user() {
    id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USER_NAME" || return 1
    # useradd gives the ranges where login.defs asks for them (Debian's
    # does); make sure of it.
    grep -q "^$USER_NAME:" /etc/subuid || usermod --add-subuids 200000-265535 "$USER_NAME" || return 1
    grep -q "^$USER_NAME:" /etc/subgid || usermod --add-subgids 200000-265535 "$USER_NAME" || return 1
    command -v newuidmap >/dev/null || { echo "rootless.sh: newuidmap missing (apt-get install uidmap)" >&2; return 1; }
}

setup_user || exit 1
[ "${1:-}" = --setup-user ] && exit 0

passed=0 failed=0
check() {  # check NAME CMD...
    if "${@:2}"; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

# 1. berth alone, as the user.
check "rootless_test as $USER_NAME" env BERTH_ROOTLESS_USER=$USER_NAME BERTH_TEST_REQUIRE_SUBUID=1 \
    "$BUILD/tests/integration/rootless_test" --gtest_brief=1

# 2. rootless podman. The user's runtime dir as a login session would make it.
uid=$(id -u "$USER_NAME")
home=$(getent passwd "$USER_NAME" | cut -d: -f6)
T=$(mktemp -d /tmp/berth-rootless.XXXXXX)
chmod 0755 "$T"
XDG=$T/xdg
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$XDG" "$T/conf" "$T/storage" "$T/run" "$T/vol"
echo "from-the-host" >"$T/vol/file"
chown -R "$USER_NAME:" "$T/vol"
# The build tree's plugins, through the user's own plugin config in
# ~/.config (conmon passes the runtime HOME, not XDG_CONFIG_HOME).
install -d -o "$USER_NAME" -g "$USER_NAME" "$home/.config" "$home/.config/berth"
install -m 0644 -o "$USER_NAME" -g "$USER_NAME" "$BUILD/tests/integration/plugins-test.yaml" \
    "$home/.config/berth/plugins.yaml"
cat >"$T/conf/containers.conf" <<EOF
[containers]
# podman's defaults raise hard limits, which needs CAP_SYS_RESOURCE (not here).
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/run/events.log"
[engine.runtimes]
berth = ["$BUILD/cli/berth"]
EOF
cat >"$T/conf/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/storage"
runroot = "$T/run/storage"
EOF
chown "$USER_NAME:" "$T/conf/containers.conf" "$T/conf/storage.conf"
mkdir -p "$T/rootfs"
cp /bin/busybox "$T/rootfs/busybox"
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc" "$T/rootfs/home/user" "$T/rootfs/tmp"
for a in sh id cat echo sleep true false ls; do ln -s ../busybox "$T/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$T/rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$T/rootfs/etc/group"
tar -C "$T/rootfs" -cf "$T/image.tar" . && chmod 0644 "$T/image.tar"

as_user() {  # as_user CMD...: in the user's session environment
    setpriv --reuid "$uid" --regid "$(id -g "$USER_NAME")" --init-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" USER="$USER_NAME" XDG_RUNTIME_DIR="$XDG" \
        CONTAINERS_CONF="$T/conf/containers.conf" \
        CONTAINERS_STORAGE_CONF="$T/conf/storage.conf" "$@"
}
cleanup() {
    as_user podman rm -af -t 0 >/dev/null 2>&1
    as_user podman system reset -f >/dev/null 2>&1
    rm -rf "$T" "$home/.config/berth"
}
trap cleanup EXIT
as_user podman import "$T/image.tar" localhost/rootless-bb >/dev/null 2>&1 || { echo "FAIL podman import"; exit 1; }

podman_scenarios() {  # podman_scenarios RUNTIME
    local rt=$1 out rc
    pm() { as_user podman --runtime "$rt" "$@"; }
    out=$(pm run --rm --network none localhost/rootless-bb sh -c 'id -u; cat /proc/self/uid_map | wc -l' 2>&1)
    [ "$out" = "$(printf '0\n2')" ] || { echo "run --rm: $out"; return 1; }
    out=$(pm run --rm --network none --user 1000 localhost/rootless-bb id -u 2>&1)
    [ "$out" = 1000 ] || { echo "--user 1000: $out"; return 1; }
    out=$(pm run --rm --network none -v "$T/vol:/vol" localhost/rootless-bb cat /vol/file 2>&1)
    [ "$out" = from-the-host ] || { echo "-v: $out"; return 1; }
    rc=0; pm run --rm --network none localhost/rootless-bb sh -c 'exit 7' >/dev/null 2>&1 || rc=$?
    [ $rc = 7 ] || { echo "exit code: $rc, not 7"; return 1; }
    rc=0; out=$(pm run --rm --network none localhost/rootless-bb /no/such/program 2>&1) || rc=$?
    [ $rc = 127 ] || { echo "missing command: exit $rc, not 127: $out"; return 1; }
    pm run -d --name "rl-$rt" --network none localhost/rootless-bb sleep 300 >/dev/null 2>&1 ||
        { echo "run -d failed"; return 1; }
    out=$(pm exec "rl-$rt" sh -c 'echo in-$((1+1))' 2>&1)
    [ "$out" = in-2 ] || { echo "exec: $out"; return 1; }
    pm stop -t 1 "rl-$rt" >/dev/null 2>&1 || { echo "stop failed"; return 1; }
    pm rm "rl-$rt" >/dev/null 2>&1 || { echo "rm failed"; return 1; }
    # Nothing of berth's left in the user's runtime dir.
    if [ "$rt" = berth ] && [ -n "$(ls -A "$XDG/berth" 2>/dev/null)" ]; then
        echo "left in $XDG/berth: $(ls "$XDG/berth")"; return 1
    fi
}
check "rootless podman with runc (control)" podman_scenarios runc
check "rootless podman with berth" podman_scenarios berth

echo "rootless: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
