#!/bin/bash
# bench/clients.sh: what users feel. The end-to-end wall time of
#   podman run --rm IMG /bin/true          (podman 4.3 + conmon)
#   ctr run --rm IMG ID /bin/true          (containerd 1.6 + containerd-shim-runc-v2)
#   docker run --rm IMG /bin/true          (dockerd 20.10 + containerd)
# with berth, runc and crun as the runtime: private daemons under one temp dir
# (as tests/clients/ runs them), one image built from busybox-static, samples
# interleaved and rotated between the runtimes. Then, in separate rounds with a
# logging wrapper around every runtime alike, the runtime's share: the sum of
# the wall time of the runtime calls a container made (create, start, state,
# kill, delete, ...) over the client's time for that container.
#
#   sudo bench/clients.sh [-n N] [--share-rounds K] [--clients "podman ctr docker"]
#                         [--runtimes "berth runc crun"] [--berth PATH] [--plugin-config FILE]
#
# Defaults: N=10 timed samples per client and runtime, K=5 share samples,
# --berth as in compare.sh (berth on PATH, else build/cli/berth) with the
# plugins built next to it. On a hybrid cgroup host everything runs in a
# private mount namespace without /sys/fs/cgroup/unified (crun 1.8 refuses
# hybrid hosts), all runtimes alike, as bench/compare.sh does.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=10 SHARE=5 CLIENTS="podman ctr docker" RUNTIMES="berth runc crun" BERTH_ARG= PLUGIN_CONFIG=
while [ $# -gt 0 ]; do
    case "$1" in
        -n) N=$2; shift 2 ;;
        --share-rounds) SHARE=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --runtimes) RUNTIMES=$2; shift 2 ;;
        --berth) BERTH_ARG=$2; shift 2 ;;
        --plugin-config) PLUGIN_CONFIG=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "clients.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "clients.sh: run as root" >&2; exit 2; }

if [ -z "${BERTH_BENCH_HOSTNS:-}" ] && mountpoint -q /sys/fs/cgroup/unified; then
    export BERTH_BENCH_HOSTNS=private
    exec unshare -m --propagation private bash -c '
        umount /sys/fs/cgroup/unified || exit 2
        mount -t tmpfs -o size=256m,mode=755 berth-bench /sys/fs/cgroup/unified || exit 2
        exec "$0" "$@"' "$0" -n "$N" --share-rounds "$SHARE" --clients "$CLIENTS" --runtimes "$RUNTIMES" \
        ${BERTH_ARG:+--berth "$BERTH_ARG"} ${PLUGIN_CONFIG:+--plugin-config "$PLUGIN_CONFIG"}
fi

TMP=$(mktemp -d /tmp/berth-clients.XXXXXX)
chmod 0711 "$TMP"
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
# make_rootfs, wait_for and umount_under, shared with the client tests.
BUILD=${BUILD:-$repo/build}
# shellcheck source=tests/clients/lib.sh
source "$repo/tests/clients/lib.sh"
T=$TMP

find_berth "$BERTH_ARG" || { echo "clients.sh: no berth binary (build first or --berth PATH)" >&2; exit 2; }
BERTH=$REPLY
[ -n "$PLUGIN_CONFIG" ] || PLUGIN_CONFIG=$(build_tree_plugin_config "$BERTH") || exit 2
declare -A RT_PATH
for rt in $RUNTIMES; do
    case $rt in
        berth) RT_PATH[$rt]=$BERTH ;;
        *) RT_PATH[$rt]=$(command -v "$rt") || { echo "clients.sh: $rt is not installed" >&2; exit 2; } ;;
    esac
done
# A berth whose plugins are not where it looks by default (a build tree) is
# given its config by a one-line exec wrapper (conmon does not pass the
# environment on); then every runtime gets the same wrapper, so that the one
# more exec costs all alike.
WRAPPED=
if [ -n "$PLUGIN_CONFIG" ]; then
    WRAPPED="every runtime through an exec wrapper (berth's --plugin-config)"
    for rt in $RUNTIMES; do
        extra=
        [ "$rt" = berth ] && extra="--plugin-config $PLUGIN_CONFIG"
        printf '#!/bin/sh\nexec %s %s "$@"\n' "${RT_PATH[$rt]}" "$extra" >"$TMP/exec-$rt"
        chmod 0755 "$TMP/exec-$rt"
        RT_PATH[$rt]=$TMP/exec-$rt
    done
fi

# The share rounds' wrapper: each call's start, end and arguments, no fork.
for rt in $RUNTIMES; do
    cat >"$TMP/log-$rt" <<EOF
#!/bin/bash
t0=\$EPOCHREALTIME
"${RT_PATH[$rt]}" "\$@"
rc=\$?
echo "\$t0 \$EPOCHREALTIME \$*" >>"$TMP/calls-$rt.log"
exit \$rc
EOF
    chmod 0755 "$TMP/log-$rt"
done

PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    umount_under "$TMP"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_rootfs "$TMP/rootfs"
tar -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" .

# ---- podman: its own containers.conf and storage under $TMP
setup_podman() {
    mkdir -p "$TMP/podman/tmp" "$TMP/podman/net"
    touch "$TMP/podman/registries.conf"
    {
        echo '[containers]'
        echo 'netns = "none"'
        echo 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]'
        echo '[network]'
        echo "network_config_dir = \"$TMP/podman/net\""
        echo '[engine]'
        echo 'cgroup_manager = "cgroupfs"'
        echo 'events_logger = "none"'
        echo "tmp_dir = \"$TMP/podman/tmp\""
        echo "static_dir = \"$TMP/podman/storage/libpod\""
        echo "volume_path = \"$TMP/podman/storage/volumes\""
        echo '[engine.runtimes]'
        for rt in $RUNTIMES; do
            echo "$rt = [\"${RT_PATH[$rt]}\"]"
            echo "log-$rt = [\"$TMP/log-$rt\"]"
        done
    } >"$TMP/podman/containers.conf"
    printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
        "$TMP/podman/storage" "$TMP/podman/runroot" >"$TMP/podman/storage.conf"
    export CONTAINERS_CONF=$TMP/podman/containers.conf CONTAINERS_STORAGE_CONF=$TMP/podman/storage.conf
    export CONTAINERS_REGISTRIES_CONF=$TMP/podman/registries.conf
    podman import - localhost/bench <"$TMP/rootfs.tar" >/dev/null 2>&1
}
run_podman() { podman --runtime "$1" run --rm --network none localhost/bench /bin/true; }

# ---- containerd and ctr
SOCK=$TMP/containerd.sock
setup_containerd() {
    mkdir -p "$TMP/containerd"
    cat >"$TMP/containerd/config.toml" <<EOF
version = 2
root = "$TMP/containerd/root"
state = "$TMP/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$TMP/containerd/opt"
EOF
    containerd --config "$TMP/containerd/config.toml" >"$TMP/containerd.log" 2>&1 &
    PIDS+=($!)
    wait_for 30 ctr -a "$SOCK" version || return 1
    local layout=$TMP/oci unpacked=$TMP/oci-unpack
    umoci init --layout "$layout" && umoci new --image "$layout:latest" &&
        umoci unpack --image "$layout:latest" "$unpacked" && cp -a "$TMP/rootfs/." "$unpacked/rootfs/" &&
        umoci repack --image "$layout:latest" "$unpacked" && (cd "$layout" && tar -cf "$TMP/bench-oci.tar" .) &&
        ctr -a "$SOCK" -n bench images import --base-name localhost/bench "$TMP/bench-oci.tar" >/dev/null
}
CTR_N=0
run_ctr() {
    CTR_N=$((CTR_N + 1))
    ctr -a "$SOCK" -n bench run --rm --snapshotter native --runc-binary "$1" localhost/bench:latest "b$CTR_N" /bin/true
}

# ---- dockerd (its own containerd: the one above)
DSOCK=$TMP/docker.sock
setup_docker() {
    mkdir -p "$TMP/docker"
    {
        printf '{"deprecated-key-path": "%s", "runtimes": {' "$TMP/docker/key.json"
        local first=1
        for rt in $RUNTIMES; do
            [ $first = 1 ] || printf ','
            first=0
            # "runc" is dockerd's own (runc on PATH) and may not be redefined.
            [ "$rt" = runc ] || printf '"%s": {"path": "%s"}, ' "$rt" "${RT_PATH[$rt]}"
            printf '"log-%s": {"path": "%s"}' "$rt" "$TMP/log-$rt"
        done
        printf '}}\n'
    } >"$TMP/daemon.json"
    dockerd --data-root "$TMP/docker/data" --exec-root "$TMP/docker/exec" -H "unix://$DSOCK" \
        --pidfile "$TMP/docker/dockerd.pid" --containerd "$SOCK" --bridge=none --iptables=false --ip-masq=false \
        --exec-opt native.cgroupdriver=cgroupfs --config-file "$TMP/daemon.json" >"$TMP/dockerd.log" 2>&1 &
    PIDS+=($!)
    wait_for 60 docker -H "unix://$DSOCK" version || { tail -20 "$TMP/dockerd.log" >&2; return 1; }
    docker -H "unix://$DSOCK" import - localhost/bench <"$TMP/rootfs.tar" >/dev/null
}
run_docker() { docker -H "unix://$DSOCK" run --rm --network none --runtime "$1" localhost/bench /bin/true; }

# The runtime argument each client takes: podman and docker a configured name,
# ctr a binary path.
rt_arg() {  # rt_arg CLIENT RUNTIME [log]
    local name=$2
    [ "${3:-}" = log ] && name=log-$2
    if [ "$1" = ctr ]; then
        [ "${3:-}" = log ] && echo "$TMP/log-$2" || echo "${RT_PATH[$2]}"
    else
        echo "$name"
    fi
}

case " $CLIENTS " in
    *" docker "*|*" ctr "*) setup_containerd || { echo "clients.sh: containerd did not start" >&2; exit 1; } ;;
esac
for c in $CLIENTS; do
    case $c in
        podman) setup_podman || { echo "clients.sh: podman setup failed" >&2; exit 1; } ;;
        ctr) ;;
        docker) setup_docker || { echo "clients.sh: dockerd did not start" >&2; exit 1; } ;;
        *) echo "clients.sh: unknown client $c" >&2; exit 2 ;;
    esac
done

# one CLIENT RUNTIME [log]: a container, its wall time in µs into REPLY
# (empty on failure, which is reported).
ERRORS=0
one() {
    local t0 out rc=0
    now_us; t0=$REPLY
    out=$("run_$1" "$(rt_arg "$1" "$2" "${3:-}")" 2>&1) || rc=$?
    now_us
    if [ $rc != 0 ]; then
        echo "ERROR: $1 with $2: exit $rc: $out" >&2
        ERRORS=$((ERRORS + 1)); REPLY=; return 1
    fi
    REPLY=$((REPLY - t0))
}

rts=($RUNTIMES)
for c in $CLIENTS; do
    for rt in "${rts[@]}"; do one "$c" "$rt" >/dev/null || true; done  # warm-up, untimed
    for ((r = 0; r < N; r++)); do
        for ((i = 0; i < ${#rts[@]}; i++)); do
            rt=${rts[$(((i + r) % ${#rts[@]}))]}
            one "$c" "$rt" && echo "$REPLY" >>"$TMP/time-$c-$rt"
        done
    done
    # The share: the same containers through the logging wrappers.
    for ((r = 0; r < SHARE; r++)); do
        for rt in "${rts[@]}"; do
            : >"$TMP/calls-$rt.log"
            one "$c" "$rt" log || continue
            awk -v total="$REPLY" '{ s += ($2 - $1) * 1e6 } END { if (total > 0) printf "%.1f\n", 100 * s / total }' \
                "$TMP/calls-$rt.log" >>"$TMP/share-$c-$rt"
            wc -l <"$TMP/calls-$rt.log" >>"$TMP/calls-n-$c-$rt"
        done
    done
done

kernel=$(uname -r)
hostns_note="private mount namespace without /sys/fs/cgroup/unified (hybrid host seen as cgroup v1), all runtimes alike"
echo "kernel $kernel; $(nproc) CPUs; ${BERTH_BENCH_HOSTNS:+$hostns_note; }${WRAPPED:+$WRAPPED; }$N samples, medians"
printf '%-8s %-8s %12s %10s %14s %12s\n' client runtime "wall (ms)" "vs runc" "runtime share" "calls"
for c in $CLIENTS; do
    base=$(median "$TMP/time-$c-runc" 2>/dev/null)
    for rt in "${rts[@]}"; do
        m=$(median "$TMP/time-$c-$rt")
        s=$(median "$TMP/share-$c-$rt")
        n=$(median "$TMP/calls-n-$c-$rt")
        ratio=-
        [ "$m" != - ] && [ "${base:--}" != - ] && ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
        ms=-
        [ "$m" != - ] && ms=$(awk -v a="$m" 'BEGIN { printf "%.1f", a / 1000 }')
        printf '%-8s %-8s %12s %10s %13s%% %12s\n' "$c" "$rt" "$ms" "$ratio" "$s" "$n"
    done
done
echo "errors: $ERRORS"
[ "$ERRORS" = 0 ]
