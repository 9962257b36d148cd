#!/bin/bash
# sdk-example.sh: the plugin SDK end to end, as root.
#
#  1. installs berth from this tree into a temporary prefix (meson install);
#  2. builds examples/plugin-cgroup-io out of tree, finding the SDK only
#     through pkg-config (berth-plugin.pc in that prefix);
#  3. installs it into the .pc file's plugindir;
#  4. writes a plugin config enabling the four in-tree plugins and the example;
#  5. makes a busybox bundle (make-bundle.sh) running `sleep 30` with
#     linux.resources.blockIO set;
#  6. `berth create`s it and checks the example's files in the container's
#     cgroup (from /proc/<pid>/cgroup);
#  7. deletes it and removes everything it made.
#
#  8. runs steps 5-7 again on a pure cgroup v2 kernel (tests/v2vm), with the
#     same install shared into the guest and a null_blk disk to throttle.
#
# `sdk-example.sh --check DIR` runs steps 5-7 only, against the install a
# full run left in DIR (that is how step 8 runs in the guest).
#
# Prints "sdk-example: PASS" or "sdk-example: FAIL: <why>" and exits 0 or 1.
#
# Environment:
#   SDK_EXAMPLE_KEEP=1       keep the temporary directory (for debugging)
#   SDK_EXAMPLE_WEIGHT=N     blockIO.weight to set (default 500); "0" sets none.
#                            By default the weight is only set when the kernel
#                            offers a weight file (BFQ or io.cost); "force"
#                            sets 500 regardless.
#   SDK_EXAMPLE_BUILD_DIR=D  reuse (and reconfigure: prefix, sysconfdir,
#                            tests=false) an existing meson build dir of berth
#                            for step 1, to save the full build.
set -u
set -o pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
EXAMPLE=$SRC/examples/plugin-cgroup-io
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
if [ -f "$BUILD/build.ninja" ]; then
    step berth-configure meson configure "$BUILD" --prefix="$PREFIX" -Dsysconfdir="$PREFIX/etc" -Dtests=false
else
    step berth-setup meson setup "$BUILD" "$SRC" --prefix="$PREFIX" -Dsysconfdir="$PREFIX/etc" -Dtests=false
fi
step berth-install meson install -C "$BUILD"
[ -x "$BERTH" ] || fail "berth not installed at $BERTH"

# --- 2. the example, out of tree, through pkg-config ----------------------
PC=$(find "$PREFIX" -name berth-plugin.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$PC" ] || fail "berth-plugin.pc not installed under $PREFIX"
export PKG_CONFIG_PATH=$(dirname "$PC")
pkg-config --exists berth-plugin || fail "pkg-config cannot read $PC"
PLUGINDIR=$(pkg-config --variable=plugindir berth-plugin)
echo "sdk-example: berth-plugin $(pkg-config --modversion berth-plugin)" \
    "ABI $(pkg-config --variable=abi_major berth-plugin).$(pkg-config --variable=abi_minor berth-plugin)" \
    "cflags [$(pkg-config --cflags berth-plugin)] plugindir $PLUGINDIR" >&2
case $PLUGINDIR in
    "$PREFIX"/*) ;;
    *) fail "plugindir $PLUGINDIR is not under the prefix $PREFIX" ;;
esac
step example-setup meson setup "$TMP/build-io" "$EXAMPLE"
step example-build meson compile -C "$TMP/build-io"

# --- 3. install it into the plugindir ------------------------------------
step example-install meson install -C "$TMP/build-io"
SO=$PLUGINDIR/berth-cgroup-io.so
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
  - {name: mounts, file: berth-mounts.so, enabled: true}
  - name: cgroup-io
    file: berth-cgroup-io.so
    enabled: true
    settings: {strict: "true"}
EOF

# berth plugins list shows the four in-tree plugins and the example, loaded
# and checked (ownership, ABI) without errors.
"$BERTH" --plugin-config "$TMP/plugins.yaml" plugins list --format json >"$TMP/log/plugins.json" 2>&1 ||
    fail "berth plugins list failed: $(tail -n 1 "$TMP/log/plugins.json")"
ABI="$(pkg-config --variable=abi_major berth-plugin).$(pkg-config --variable=abi_minor berth-plugin)"
python3 - "$TMP/log/plugins.json" "$ABI" <<'PY' || fail "berth plugins list: $(cat "$TMP/log/plugins.json")"
import json, sys
got = {p["name"]: p for p in json.load(open(sys.argv[1]))}
for name in ["cgroup-cpu", "cgroup-memory", "cgroup-pids", "mounts", "cgroup-io"]:
    assert name in got, name + " missing"
    assert "error" not in got[name], got[name]["error"]
    assert got[name]["abi"] == sys.argv[2] and got[name]["enabled"], got[name]
PY
"$BERTH" --plugin-config "$TMP/plugins.yaml" plugins inspect cgroup-io >"$TMP/log/inspect.txt" 2>&1 ||
    fail "berth plugins inspect cgroup-io failed: $(tail -n 1 "$TMP/log/inspect.txt")"
grep -q '^controllers: io, blkio (v1)$' "$TMP/log/inspect.txt" || fail "plugins inspect cgroup-io: $(cat "$TMP/log/inspect.txt")"
echo "sdk-example: ok: berth plugins list shows the four in-tree plugins and cgroup-io" >&2
fi  # CHECK_ONLY

# --- 5. the bundle -----------------------------------------------------------
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    MODE=v2
    CG_ROOT=/sys/fs/cgroup
else
    MODE=v1  # legacy or hybrid: berth applies controllers on the v1 hierarchies
    # mountinfo: id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    CG_ROOT=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") break }
        $(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)blkio(,|$)/ { print $5; exit }' /proc/self/mountinfo)
    [ -n "$CG_ROOT" ] || fail "cgroup v1 host without a blkio hierarchy"
fi

# The block device under /: st_dev decoded by Python (stat's %t:%T are the
# hex major:minor of a device *node*, 0:0 for a directory), then its whole
# disk, since blk-throttle refuses partitions.
DEV=$(python3 - <<'PY'
import os
st = os.stat("/").st_dev
majmin = f"{os.major(st)}:{os.minor(st)}"
base = f"/sys/dev/block/{majmin}"
if not os.path.exists(base):
    print("")  # no block device (overlayfs, tmpfs, ...)
elif os.path.exists(base + "/partition"):
    print(open(base + "/../dev").read().strip())
else:
    print(majmin)
PY
)
# In the v2 guest / is an overlay on 9p: use the null_blk disk it was given.
[ -z "$DEV" ] && [ -r /sys/block/nullb0/dev ] && DEV=$(cat /sys/block/nullb0/dev)
WEIGHT=${SDK_EXAMPLE_WEIGHT:-auto}
if [ "$WEIGHT" = auto ]; then
    # A weight file exists (in non-root cgroups) with BFQ, or with io.cost (v2:
    # io.cost.qos at the root) or CFQ (v1: blkio.weight at the root). BFQ is
    # registered when any disk lists it among its schedulers, built in or loaded.
    WEIGHT=0
    cat /sys/block/*/queue/scheduler 2>/dev/null | grep -qw bfq && WEIGHT=500
    if [ "$MODE" = v2 ]; then
        [ -e "$CG_ROOT/io.cost.qos" ] && WEIGHT=500
    else
        [ -e "$CG_ROOT/blkio.weight" ] && WEIGHT=500
    fi
    [ "$WEIGHT" = 0 ] && echo "sdk-example: note: this kernel offers no $MODE I/O weight file (no BFQ/io.cost/CFQ); testing throttling only (SDK_EXAMPLE_WEIGHT=force to set it anyway)" >&2
elif [ "$WEIGHT" = force ]; then
    WEIGHT=500
fi
RATE=1048576
[ -n "$DEV" ] || [ "$WEIGHT" != 0 ] || fail "nothing to test: / is on no block device and the kernel offers no I/O weight file"

rm -rf "$TMP/bundle"
step bundle env BERTH="$BERTH" sh "$SRC/tests/scripts/make-bundle.sh" "$TMP/bundle" sleep 30
python3 - "$TMP/bundle/config.json" "$WEIGHT" "$DEV" "$RATE" <<'PY' || fail "cannot edit config.json"
import json, sys
path, weight, dev, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = json.load(open(path))
b = {}
if weight:
    b["weight"] = weight
if dev:
    major, minor = (int(x) for x in dev.split(":"))
    b["throttleReadBpsDevice"] = [{"major": major, "minor": minor, "rate": rate}]
    b["throttleWriteIOPSDevice"] = [{"major": major, "minor": minor, "rate": 100}]
c.setdefault("linux", {}).setdefault("resources", {})["blockIO"] = b
json.dump(c, open(path, "w"), indent=2)
PY
echo "sdk-example: cgroup $MODE, blockIO weight=$WEIGHT device=${DEV:-none}" >&2

# --- 6. create and look at the cgroup ----------------------------------------
B=("$BERTH" --root "$STATE" --plugin-config "$TMP/plugins.yaml")
if ! "${B[@]}" create --bundle "$TMP/bundle" --pid-file "$TMP/pid" "$ID" >"$TMP/log/create.log" 2>&1; then
    sed 's/^/    /' "$TMP/log/create.log" >&2
    fail "berth create failed: $(tail -n 1 "$TMP/log/create.log")"
fi
CREATED=1
PID=$(cat "$TMP/pid" 2>/dev/null) || fail "no pid file"
STATUS=$("${B[@]}" state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') || fail "berth state failed"
[ "$STATUS" = created ] || fail "container status is $STATUS, expected created"

if [ "$MODE" = v2 ]; then
    REL=$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID/cgroup")
else
    REL=$(awk -F: '$2 ~ /(^|,)blkio(,|$)/ { print $3 }' "/proc/$PID/cgroup")
fi
[ -n "$REL" ] || fail "cannot find the container's $MODE io cgroup in /proc/$PID/cgroup: $(tr '\n' ' ' <"/proc/$PID/cgroup")"
DIR=$CG_ROOT$REL
[ "$REL" != / ] || fail "the container's init is in the root $MODE io cgroup: the plugin was not applied"
echo "sdk-example: container $ID pid $PID cgroup $DIR" >&2

expect() {  # expect FILE TEXT: FILE in the cgroup has a line equal to TEXT
    [ -e "$DIR/$1" ] || fail "$DIR/$1 does not exist"
    grep -qxF "$2" "$DIR/$1" || fail "$DIR/$1 has \"$(tr '\n' '|' <"$DIR/$1")\", expected a line \"$2\""
    echo "sdk-example: ok: $1: $2" >&2
}
if [ "$MODE" = v2 ]; then
    if [ "$WEIGHT" != 0 ]; then
        if [ -e "$DIR/io.bfq.weight" ]; then
            expect io.bfq.weight "default $WEIGHT"
        else
            expect io.weight "default $((1 + (WEIGHT - 10) * 9999 / 990))"
        fi
    fi
    if [ -n "$DEV" ]; then
        # io.max shows every limit of a device on one line.
        LINE=$(grep "^$DEV " "$DIR/io.max") || fail "$DIR/io.max has no line for $DEV: $(tr '\n' '|' <"$DIR/io.max")"
        case " $LINE " in *" rbps=$RATE "*) ;; *) fail "$DIR/io.max: \"$LINE\" lacks rbps=$RATE" ;; esac
        case " $LINE " in *" wiops=100 "*) ;; *) fail "$DIR/io.max: \"$LINE\" lacks wiops=100" ;; esac
        echo "sdk-example: ok: io.max: $LINE" >&2
    fi
else
    if [ "$WEIGHT" != 0 ]; then
        if [ -e "$DIR/blkio.bfq.weight" ]; then expect blkio.bfq.weight "$WEIGHT"; else expect blkio.weight "$WEIGHT"; fi
    fi
    if [ -n "$DEV" ]; then
        expect blkio.throttle.read_bps_device "$DEV $RATE"
        expect blkio.throttle.write_iops_device "$DEV 100"
    fi
fi

# --- 7. delete ----------------------------------------------------------------
"${B[@]}" delete --force "$ID" >"$TMP/log/delete.log" 2>&1 || fail "berth delete --force failed: $(tail -n 1 "$TMP/log/delete.log")"
CREATED=
[ ! -e "$DIR" ] || fail "$DIR still exists after delete"
echo "sdk-example: ok: cgroup $MODE" >&2

# --- 8. the same on a pure cgroup v2 kernel ---------------------------------
if [ -z "$CHECK_ONLY" ] && [ "$MODE" = v1 ] && [ "${SDK_EXAMPLE_V2:-1}" = 1 ]; then
    "$SRC/tests/v2vm/run.sh" --share "$TMP" --share "$SRC" --modules null_blk --timeout 300 -- \
        bash "$SRC/tests/scripts/sdk-example.sh" --check "$TMP" >"$TMP/log/v2.log" 2>&1
    rc=$?
    sed 's/^/    v2 guest: /' "$TMP/log/v2.log" >&2
    [ $rc = 0 ] || fail "the cgroup v2 guest run failed (exit $rc)"
    grep -q '^sdk-example: PASS' "$TMP/log/v2.log" || fail "the cgroup v2 guest run did not pass"
fi

echo "sdk-example: PASS"
exit 0
