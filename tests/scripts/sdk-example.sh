#!/bin/bash
# sdk-example.sh: the plugin SDK end to end, as root.
#
#  1. installs berth from this tree into a temporary prefix (meson install);
#  2. builds examples/plugin-mount-ramfs out of tree, finding the SDK only
#     through pkg-config (berth-plugin.pc in that prefix);
#  3. installs it into the .pc file's plugindir;
#  4. writes a plugin config enabling the four in-tree plugins and the example,
#     with settings;
#  5. makes a busybox bundle (make-bundle.sh) running `sleep 30` with two
#     mounts of type "ramfs";
#  6. `berth create`s it and checks the two mounts in the container's
#     /proc/<pid>/mountinfo: options, superblock mode, the mode of the root;
#  7. deletes it, checks that a bad ramfs option and an unknown plugin
#     setting are refused by `create`, naming them and leaving nothing, and
#     removes everything it made.
#
#  8. with SDK_EXAMPLE_V2=1, runs steps 5-7 again on a pure cgroup v2 kernel
#     (tests/v2vm), with the same install shared into the guest. Off by
#     default: nothing the example does depends on the cgroup version.
#
# `sdk-example.sh --check DIR` runs steps 5-7 only, against the install a
# full run left in DIR (that is how step 8 runs in the guest).
#
# Prints "sdk-example: PASS" or "sdk-example: FAIL: <why>" and exits 0 or 1.
#
# Environment:
#   SDK_EXAMPLE_KEEP=1       keep the temporary directory (for debugging)
#   SDK_EXAMPLE_BUILD_DIR=D  reuse (and reconfigure: prefix, sysconfdir,
#                            tests=false) an existing meson build dir of berth
#                            for step 1, to save the full build.
#   SDK_EXAMPLE_INSTALL_FROM=D  for step 1, install an existing, already built
#                            meson build dir of berth (any prefix; not rebuilt
#                            nor reconfigured) with --destdir into the
#                            temporary directory: no second build at all.
set -u
set -o pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
EXAMPLE=$SRC/examples/plugin-mount-ramfs
ID=sdk-example-$$
CREATED=

# berth refuses plugin files and directories that group or others can write.
umask 022
unset DESTDIR BERTH_PLUGIN_PATH BERTH_PLUGIN_CONFIG

fail() {
    echo "sdk-example: FAIL: $*"
    exit 1
}

# Runs a step quietly, showing its log only when it fails.
step() {
    local name=$1 log=$TMP/log/$1.log
    shift
    echo "sdk-example: $name: $*" >&2
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" | sed 's/^/    /' >&2
        fail "$name failed (log: $log)"
    fi
}

[ "$(id -u)" = 0 ] || fail "must run as root (berth creates cgroups and namespaces)"
for tool in meson ninja pkg-config python3 nm; do
    command -v "$tool" >/dev/null || fail "$tool not found"
done

CHECK_ONLY=
if [ "${1:-}" = --check ]; then
    CHECK_ONLY=1
    TMP=$2
    # exec.fifo cannot live on a 9p share: state goes to the guest's tmpfs.
    STATE=/run/berth-sdk-example-state
else
    TMP=$(mktemp -d /tmp/berth-sdk-example.XXXXXX) || fail "mktemp"
    chmod 0755 "$TMP"
    STATE=$TMP/state
fi
mkdir -p "$TMP/log"
PREFIX=$TMP/prefix
BERTH=$PREFIX/bin/berth

cleanup() {
    local rc=$?
    if [ -n "$CREATED" ] && [ -x "$BERTH" ]; then
        "$BERTH" --root "$STATE" --plugin-config "$TMP/plugins.yaml" delete --force "$ID" >/dev/null 2>&1 || true
    fi
    if [ -n "$CHECK_ONLY" ]; then
        :  # the full run that made DIR removes it
    elif [ "${SDK_EXAMPLE_KEEP:-0}" = 1 ]; then
        echo "sdk-example: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -z "$CHECK_ONLY" ]; then
# --- 1. berth into a temporary prefix ------------------------------------
BUILD=${SDK_EXAMPLE_BUILD_DIR:-$TMP/build-berth}
if [ -n "${SDK_EXAMPLE_INSTALL_FROM:-}" ]; then
    # A built tree of any prefix, installed as it is under a DESTDIR; the
    # prefix link makes it look installed in $PREFIX, and pkg-config (which
    # meson runs as $PKG_CONFIG) is told so with --define-variable=prefix.
    FROM=$SDK_EXAMPLE_INSTALL_FROM
    [ -f "$FROM/build.ninja" ] || fail "SDK_EXAMPLE_INSTALL_FROM=$FROM is not a meson build directory"
    FROM_PREFIX=$(meson introspect "$FROM" --buildoptions |
        python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])') ||
        fail "cannot read the prefix of $FROM"
    step berth-install meson install -C "$FROM" --no-rebuild --destdir "$TMP/destdir"
    ln -s "$TMP/destdir$FROM_PREFIX" "$PREFIX" || fail "cannot link $PREFIX"
    printf '#!/bin/sh\nexec pkg-config --define-variable=prefix=%s "$@"\n' "$PREFIX" >"$TMP/pkg-config"
    chmod 0755 "$TMP/pkg-config"
    export PKG_CONFIG=$TMP/pkg-config
elif [ -f "$BUILD/build.ninja" ]; then
    step berth-configure meson configure "$BUILD" --prefix="$PREFIX" -Dsysconfdir="$PREFIX/etc" -Dtests=false
else
    step berth-setup meson setup "$BUILD" "$SRC" --prefix="$PREFIX" -Dsysconfdir="$PREFIX/etc" -Dtests=false
fi
[ -n "${SDK_EXAMPLE_INSTALL_FROM:-}" ] || step berth-install meson install -C "$BUILD"
[ -x "$BERTH" ] || fail "berth not installed at $BERTH"

# --- 2. the example, out of tree, through pkg-config ----------------------
pc() { "${PKG_CONFIG:-pkg-config}" "$@"; }
PC=$(find "$PREFIX/" -name berth-plugin.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$PC" ] || fail "berth-plugin.pc not installed under $PREFIX"
export PKG_CONFIG_PATH=$(dirname "$PC")
pc --exists berth-plugin || fail "pkg-config cannot read $PC"
PLUGINDIR=$(pc --variable=plugindir berth-plugin)
echo "sdk-example: berth-plugin $(pc --modversion berth-plugin)" \
    "ABI $(pc --variable=abi_major berth-plugin).$(pc --variable=abi_minor berth-plugin)" \
    "cflags [$(pc --cflags berth-plugin)] plugindir $PLUGINDIR" >&2
case $PLUGINDIR in
    "$PREFIX"/*) ;;
    *) fail "plugindir $PLUGINDIR is not under the prefix $PREFIX" ;;
esac
# -Dwerror=true: the SDK's headers must build warning-free in a plugin too.
step example-setup meson setup -Dwerror=true "$TMP/build-example" "$EXAMPLE"
step example-build meson compile -C "$TMP/build-example"
# The smallest complete cgroup plugin; docs/plugins.md shows it whole, and
# its line count, which must be what is built here.
python3 - "$SRC" <<'PY' || fail "docs/plugins.md does not show examples/plugin-cgroup-minimal as it is"
import re, sys
src = sys.argv[1]
doc = open(src + "/docs/plugins.md").read()
for name, fence in (("plugin.cpp", "cpp"), ("meson.build", "meson")):
    text = open(src + "/examples/plugin-cgroup-minimal/" + name).read()
    comment = "// " if fence == "cpp" else "# "
    block = "```" + fence + "\n" + comment + "examples/plugin-cgroup-minimal/" + name + "\n"
    assert block + text + "```" in doc, name + " differs from its copy in docs/plugins.md"
cpp = open(src + "/examples/plugin-cgroup-minimal/plugin.cpp").read().count("\n")
build = open(src + "/examples/plugin-cgroup-minimal/meson.build").read().count("\n")
counts = "**%d lines\nof C++ and %d of meson.build**" % (cpp, build)
assert counts in doc, "the line counts in docs/plugins.md are stale"
PY
step tiny-setup meson setup -Dwerror=true "$TMP/build-tiny" "$SRC/examples/plugin-cgroup-minimal"
step tiny-build meson compile -C "$TMP/build-tiny"
step tiny-install meson install -C "$TMP/build-tiny"
# Only the descriptor, besides the std:: template instances libstdc++ marks
# visible (_Z...): the .pc file's -fvisibility=hidden hid the rest.
tiny_exports=$(nm -D --defined-only "$PLUGINDIR/berth-cgroup-tiny-pids.so" | awk '$3 !~ /^_Z/ { print $3 }')
[ "$tiny_exports" = berth_plugin_descriptor ] ||
    fail "berth-cgroup-tiny-pids.so exports [$tiny_exports], not only berth_plugin_descriptor"

# --- 3. install it into the plugindir ------------------------------------
step example-install meson install -C "$TMP/build-example"
SO=$PLUGINDIR/berth-mount-ramfs.so
[ -f "$SO" ] || fail "the example did not install $SO"
nm -D --defined-only "$SO" | grep -qw berth_plugin_descriptor || fail "$SO exports no berth_plugin_descriptor"
for f in "$SO" "$PLUGINDIR"; do
    read -r uid mode < <(stat -L -c '%u %a' "$f")
    [ "$uid" = 0 ] || fail "$f is owned by uid $uid; berth loads only root-owned plugins"
    [ $((8#$mode & 8#022)) = 0 ] || fail "$f has mode $mode; berth refuses group/world-writable plugins"
done

# --- 4. plugin config ------------------------------------------------------
cat >"$TMP/plugins.yaml" <<EOF
plugin_dirs: [$PLUGINDIR]
plugins:
  - {name: cgroup-cpu, file: berth-cgroup-cpu.so, enabled: true}
  - {name: cgroup-memory, file: berth-cgroup-memory.so, enabled: true}
  - {name: cgroup-pids, file: berth-cgroup-pids.so, enabled: true}
  - {name: cgroup-devices, file: berth-cgroup-devices.so, enabled: true}
  - {name: mounts, file: berth-mounts.so, enabled: true}
  - name: mount-ramfs
    file: berth-mount-ramfs.so
    enabled: true
    settings: {mode: "1777", secure: "true"}
EOF

# berth plugins list shows the four in-tree plugins and the example, loaded
# and checked (ownership, ABI) without errors.
"$BERTH" --plugin-config "$TMP/plugins.yaml" plugins list --format json >"$TMP/log/plugins.json" 2>&1 ||
    fail "berth plugins list failed: $(tail -n 1 "$TMP/log/plugins.json")"
ABI="$(pc --variable=abi_major berth-plugin).$(pc --variable=abi_minor berth-plugin)"
python3 - "$TMP/log/plugins.json" "$ABI" <<'PY' || fail "berth plugins list: $(cat "$TMP/log/plugins.json")"
import json, sys
got = {p["name"]: p for p in json.load(open(sys.argv[1]))}
for name in ["cgroup-cpu", "cgroup-memory", "cgroup-pids", "mounts", "mount-ramfs"]:
    assert name in got, name + " missing"
    assert "error" not in got[name], got[name]["error"]
    assert got[name]["abi"] == sys.argv[2] and got[name]["enabled"], got[name]
PY
"$BERTH" --plugin-config "$TMP/plugins.yaml" plugins inspect mount-ramfs >"$TMP/log/inspect.txt" 2>&1 ||
    fail "berth plugins inspect mount-ramfs failed: $(tail -n 1 "$TMP/log/inspect.txt")"
grep -q '^mount types: ramfs$' "$TMP/log/inspect.txt" ||
    fail "plugins inspect mount-ramfs: $(cat "$TMP/log/inspect.txt")"
echo "sdk-example: ok: berth plugins list shows the four in-tree plugins and mount-ramfs" >&2
"$BERTH" --plugin-config "$TMP/plugins.yaml" plugins inspect "$PLUGINDIR/berth-cgroup-tiny-pids.so" \
    >"$TMP/log/inspect-tiny.txt" 2>&1 || fail "plugins inspect tiny-pids: $(tail -n 1 "$TMP/log/inspect-tiny.txt")"
grep -q '^controllers: pids$' "$TMP/log/inspect-tiny.txt" ||
    fail "plugins inspect tiny-pids: $(cat "$TMP/log/inspect-tiny.txt")"

fi  # CHECK_ONLY

# --- 5. the bundle -----------------------------------------------------------
# Two ramfs mounts: /scratch takes the mode from the plugin's settings (1777)
# and adds noexec; /scratch-ro gives its own mode and ro. secure: "true" adds
# nosuid,nodev to both.
rm -rf "$TMP/bundle"
step bundle env BERTH="$BERTH" sh "$SRC/tests/scripts/make-bundle.sh" "$TMP/bundle" sleep 30
add_mounts() {  # add_mounts CONFIG JSON-LIST
    python3 - "$1" "$2" <<'PY'
import json, sys
path, mounts = sys.argv[1], json.loads(sys.argv[2])
c = json.load(open(path))
c["mounts"] += mounts
json.dump(c, open(path, "w"), indent=2)
PY
}
cp "$TMP/bundle/config.json" "$TMP/config.orig.json"
add_mounts "$TMP/bundle/config.json" '[
  {"destination": "/scratch", "type": "ramfs", "source": "ramfs", "options": ["noexec"]},
  {"destination": "/scratch-ro", "type": "ramfs", "source": "ramfs", "options": ["ro", "mode=0700"]}]' ||
    fail "cannot edit config.json"

# --- 6. create and look at the mounts -----------------------------------------
B=("$BERTH" --root "$STATE" --plugin-config "$TMP/plugins.yaml")
if ! "${B[@]}" create --bundle "$TMP/bundle" --pid-file "$TMP/pid" "$ID" >"$TMP/log/create.log" 2>&1; then
    sed 's/^/    /' "$TMP/log/create.log" >&2
    fail "berth create failed: $(tail -n 1 "$TMP/log/create.log")"
fi
CREATED=1
PID=$(cat "$TMP/pid" 2>/dev/null) || fail "no pid file"
STATUS=$("${B[@]}" state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') ||
    fail "berth state failed"
[ "$STATUS" = created ] || fail "container status is $STATUS, expected created"

# expect MOUNTPOINT MOUNT-OPTIONS SUPER-OPTIONS MODE: the container's mount at
# MOUNTPOINT is a ramfs whose options include each of the comma-separated
# MOUNT-OPTIONS and SUPER-OPTIONS, and whose root has MODE.
expect() {
    # mountinfo: id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    local line
    line=$(awk -v mp="$1" '$5 == mp { for (i = 7; i < NF; i++) if ($i == "-") break; print $6, $(i + 1), $(i + 3) }' \
        "/proc/$PID/mountinfo" | tail -n 1)
    [ -n "$line" ] || fail "no mount at $1 in the container (/proc/$PID/mountinfo)"
    read -r opts fstype super <<<"$line"
    [ "$fstype" = ramfs ] || fail "$1 is a $fstype mount, expected ramfs"
    local o
    for o in ${2//,/ }; do case ",$opts," in *",$o,"*) ;; *) fail "$1: mount options $opts lack $o" ;; esac; done
    for o in ${3//,/ }; do case ",$super," in *",$o,"*) ;; *) fail "$1: superblock options $super lack $o" ;; esac; done
    local mode
    mode=$(stat -c %a "/proc/$PID/root$1") || fail "cannot stat $1 in the container"
    [ "$mode" = "$4" ] || fail "$1 has mode $mode, expected $4"
    echo "sdk-example: ok: $1: ramfs $opts $super mode $mode" >&2
}
expect /scratch rw,nosuid,nodev,noexec mode=1777 1777
expect /scratch-ro ro,nosuid,nodev mode=700 700

# --- 7. delete, and a bad option refused before anything is made -------------
"${B[@]}" delete --force "$ID" >"$TMP/log/delete.log" 2>&1 ||
    fail "berth delete --force failed: $(tail -n 1 "$TMP/log/delete.log")"
CREATED=
# An exited init may linger as a zombie for a moment (state Z); it must not run.
for _ in 1 2 3 4 5 6; do
    state=$(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null) || break
    [ "$state" = Z ] && break
    sleep 0.5
done
[ -z "${state:-}" ] || [ "$state" = Z ] || [ ! -e "/proc/$PID" ] ||
    fail "the container's init $PID is still running after delete"

cp "$TMP/config.orig.json" "$TMP/bundle/config.json"
bad_mount='[{"destination": "/bad", "type": "ramfs", "source": "ramfs", "options": ["size=1m"]}]'
add_mounts "$TMP/bundle/config.json" "$bad_mount" ||
    fail "cannot edit config.json"
if "${B[@]}" create --bundle "$TMP/bundle" "$ID" >"$TMP/log/create-bad.log" 2>&1; then
    CREATED=1
    fail "berth create accepted a ramfs mount with option size=1m"
fi
grep -q 'mount /bad: option "size=1m" is not supported by the ramfs handler' "$TMP/log/create-bad.log" ||
    fail "berth create with a bad ramfs option: $(tail -n 1 "$TMP/log/create-bad.log")"
[ ! -e "$STATE/$ID" ] || fail "the refused create left $STATE/$ID behind"
echo "sdk-example: ok: $(tail -n 1 "$TMP/log/create-bad.log")" >&2

# The settings are checked by the SDK's configure when a command loads the
# plugins (`plugins list` does not): an unknown key is refused.
sed 's/secure: "true"/secure: "true", colour: "blue"/' "$TMP/plugins.yaml" >"$TMP/plugins-bad.yaml"
cp "$TMP/config.orig.json" "$TMP/bundle/config.json"
if "$BERTH" --root "$STATE" --plugin-config "$TMP/plugins-bad.yaml" create --bundle "$TMP/bundle" "$ID" \
    >"$TMP/log/bad-settings.log" 2>&1; then
    CREATED=1
    fail "berth create accepted an unknown setting of mount-ramfs"
fi
grep -q 'plugin "mount-ramfs" settings: mount-ramfs: unknown setting(s) "colour" (known: mode, secure)' \
    "$TMP/log/bad-settings.log" || fail "unknown setting: $(tail -n 1 "$TMP/log/bad-settings.log")"
[ ! -e "$STATE/$ID" ] || fail "the refused create left $STATE/$ID behind"
echo "sdk-example: ok: $(tail -n 1 "$TMP/log/bad-settings.log")" >&2

# --- 7b. the smallest cgroup plugin limits a container ---------------------
# cgroup-tiny-pids in place of cgroup-pids: pids.limit 42 reaches pids.max of
# the container's cgroup (v1 pids hierarchy or the v2 unified one).
sed 's/name: cgroup-pids, file: berth-cgroup-pids.so/name: cgroup-tiny-pids, file: berth-cgroup-tiny-pids.so/' \
    "$TMP/plugins.yaml" >"$TMP/plugins-tiny.yaml"
cp "$TMP/config.orig.json" "$TMP/bundle/config.json"
python3 - "$TMP/bundle/config.json" <<'PY' || fail "cannot edit config.json"
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("linux", {}).setdefault("resources", {})["pids"] = {"limit": 42}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
BT=("$BERTH" --root "$STATE" --plugin-config "$TMP/plugins-tiny.yaml")
"${BT[@]}" create --bundle "$TMP/bundle" --pid-file "$TMP/pid" "$ID" >"$TMP/log/create-tiny.log" 2>&1 ||
    fail "berth create with cgroup-tiny-pids: $(tail -n 1 "$TMP/log/create-tiny.log")"
CREATED=1
PID=$(cat "$TMP/pid") || fail "no pid file"
CG=$(awk -F: '$2 == "pids" { print "/sys/fs/cgroup/pids" $3 } $1 == "0" && $2 == "" { v2 = "/sys/fs/cgroup" $3 }
              END { if (v2 != "") print v2 }' "/proc/$PID/cgroup" | head -n 1)
LIMIT=$(cat "$CG/pids.max" 2>/dev/null) || fail "no pids.max in the container's cgroup $CG"
[ "$LIMIT" = 42 ] || fail "cgroup-tiny-pids: $CG/pids.max is $LIMIT, expected 42"
"${BT[@]}" delete --force "$ID" >/dev/null 2>&1 || fail "berth delete --force after the tiny-pids create failed"
CREATED=
echo "sdk-example: ok: cgroup-tiny-pids wrote pids.max 42 in $CG" >&2

# --- 8. the same on a pure cgroup v2 kernel ---------------------------------
if [ -z "$CHECK_ONLY" ] && [ "${SDK_EXAMPLE_V2:-0}" = 1 ]; then
    "$SRC/tests/v2vm/run.sh" --share "$TMP" --share "$SRC" --timeout 300 -- \
        bash "$SRC/tests/scripts/sdk-example.sh" --check "$TMP" >"$TMP/log/v2.log" 2>&1
    rc=$?
    sed 's/^/    v2 guest: /' "$TMP/log/v2.log" >&2
    [ $rc = 0 ] || fail "the cgroup v2 guest run failed (exit $rc)"
    grep -q '^sdk-example: PASS' "$TMP/log/v2.log" || fail "the cgroup v2 guest run did not pass"
fi

echo "sdk-example: PASS"
exit 0
