#!/bin/bash
# podman 4.3's `container checkpoint` / `container restore`, and their
# --export / --import, with berth as the runtime: podman asks conmon, conmon
# asks berth, berth's checkpoint-criu plugin asks CRIU. A private podman
# (storage, run root and tmp dir under $T, vfs storage: no overlay over the
# guest's tmpfs), one busybox counter container, scenario by scenario.
#
# It needs a CRIU that works here: the cgroup v2 guest has one (tests/run.sh
# runs this there, with the modules tests/v2vm/criu-probe.sh --modules lists):
#   tests/v2vm/run.sh --share $PWD --modules "$(tests/v2vm/criu-probe.sh --modules)" -- \
#       bash tests/clients/podman-checkpoint.sh
# Where `criu check` fails it says so and exits 1: it is never a silent pass.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v podman >/dev/null || { echo "podman is not installed" >&2; exit 1; }
if ! check=$(criu check 2>&1); then
    echo "podman-checkpoint: not run: \`criu check\` fails here: $check" >&2
    exit 1
fi
setup_tmp podman-checkpoint
cd "$T"
mkdir -p "$T/tmp" "$T/storage" "$T/runroot"
touch "$T/containers.conf" "$T/registries.conf"
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_REGISTRIES_CONF=$T/registries.conf TMPDIR=$T/tmp
pm() {
    podman --root "$T/storage" --runroot "$T/runroot" --storage-driver vfs --cgroup-manager cgroupfs \
        --events-backend file --tmpdir "$T/tmp" --runtime "$BERTH_RT" "$@"
}
at_exit 'pm rm -af -t 0; pm rmi -af; umount_under "$T/storage"; umount_under "$T/runroot"'

IMG=localhost/busybox
make_rootfs "$T/rootfs"
tar -C "$T/rootfs" -c . | pm import - "$IMG" >"$T/import.log" 2>&1 || { cat "$T/import.log"; exit 1; }
COUNTER='i=0; while :; do i=$((i+1)); echo $i >> /log; sleep 0.2; done'

# lines NAME: how many lines the container's counter wrote.
lines() { pm exec "$1" cat /log | wc -l; }
# unbroken NAME MIN: the log reads 1..N without a gap, N > MIN.
unbroken() {
    pm exec "$1" cat /log | awk -v min="$2" 'NR != $1 { print "gap at line " NR ": " $1; bad = 1 }
        END { if (bad) exit 1; if (NR <= min) { print "only " NR " lines, not more than " min; exit 1 } }'
}
at_least() { [ "$(lines "$1")" -ge "$2" ]; }
# berth_calls VERB: how often conmon or podman ran `berth VERB` (not
# `berth VERB --help`: podman asks that to know whether the runtime can
# checkpoint at all).
berth_calls() { grep " $1 " "$T/berth-calls.log" | grep -vc -- ' --help' || true; }

s_checkpoint_restore() {
    pm run -d --name ck --network none "$IMG" sh -c "$COUNTER" >/dev/null
    wait_for 60 at_least ck 5
    local n
    n=$(lines ck)
    pm container checkpoint ck
    expect_eq "status after checkpoint" exited "$(pm inspect --format '{{.State.Status}}' ck)"
    expect_eq "berth checkpoint calls" 1 "$(berth_calls checkpoint)"
    [ ! -e "/run/berth/$(pm inspect --format '{{.Id}}' ck)" ] || fail "berth kept the checkpointed container's state"
    pm container restore ck
    expect_eq "berth restore calls" 1 "$(berth_calls restore)"
    expect_eq "status after restore" running "$(pm inspect --format '{{.State.Status}}' ck)"
    sleep 2
    unbroken ck "$n"
    pm rm -f -t 0 ck >/dev/null
}

s_export_import() {
    pm run -d --name ex --network none "$IMG" sh -c "$COUNTER" >/dev/null
    wait_for 60 at_least ex 5
    # Uncompressed, so that tar alone can list it (podman's default is zstd).
    pm container checkpoint --export "$T/ex.tar" --compress none ex
    [ -s "$T/ex.tar" ] || fail "no checkpoint archive"
    # Listed first: grep -q would stop reading at the match, and tar's SIGPIPE
    # fail the pipeline under pipefail.
    local listing
    listing=$(tar -tf "$T/ex.tar") || fail "cannot list the checkpoint archive"
    grep -q '^checkpoint/inventory.img$' <<<"$listing" || fail "no CRIU image in the archive"
    pm rm -f -t 0 ex >/dev/null
    # A new container from the archive, as on another host.
    pm container restore --import "$T/ex.tar" --name ex2
    expect_eq "status after import" running "$(pm inspect --format '{{.State.Status}}' ex2)"
    sleep 2
    local n
    n=$(lines ex2)
    unbroken ex2 5
    pm rm -f -t 0 ex2 >/dev/null
    echo "imported container went on counting: $n lines"
}

s_no_leftovers() {
    pm rm -af -t 0 >/dev/null
    local left
    left=$(ls -A /run/berth 2>/dev/null || true)
    [ -z "$left" ] || fail "berth state left in /run/berth: $left"
}

# Every berth call podman and conmon made, for a failure's post-mortem.
at_exit 'sed "s/^/    berth-calls: /" "$T/berth-calls.log" >&2'
scenario checkpoint-restore s_checkpoint_restore
scenario export-import s_export_import
scenario no-leftovers s_no_leftovers
summary podman-checkpoint
