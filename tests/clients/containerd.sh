#!/bin/bash
# containerd end to end: a private containerd 1.6 and its containerd-shim-runc-v2
# drive berth, selected per container with `ctr run --runc-binary`. Every
# behaviour that runc defines (exit statuses, error classes) is checked against
# runc 1.1 driven the same way.
#
#   bash tests/clients/containerd.sh     (BUILD, KEEP=1 as in lib.sh)
#
# Nothing of the host's containerd is used: socket, root, state, runc roots and
# the opt dir are under $T. The one path outside $T that containerd 1.6 itself
# hard-codes is the shim socket dir /run/containerd/s (named by a hash of our
# socket path, removed by the shim when its task is deleted).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup_tmp containerd
NS=berth-e2e
SOCK=$T/containerd.sock
CGROUP_PATTERN="/$NS(/|\$)"     # ctr's default cgroupsPath is /<namespace>/<id>
BERTH_ROOT_PARENT=$T/berth-root  # --runc-root: the shim appends /<namespace>
RUNC_ROOT_PARENT=$T/runc-root
BERTH_ROOT=$BERTH_ROOT_PARENT/$NS
RUNC_ROOT=$RUNC_ROOT_PARENT/$NS
IMG=localhost/busybox:latest
IMG_USER=localhost/busybox:user

# The runtime ctr is given: lib.sh's logging wrapper, plus a copy of every
# bundle's config.json at create (the shim removes the bundle with the task),
# for the fixtures.
RT_BIN=$T/bin/berth-containerd
mkdir -p "$T/bundles"
cat >"$RT_BIN" <<EOF
#!/bin/sh
prev= id=
for a in "\$@"; do
    [ "\$prev" = --bundle ] && b=\$a
    prev=\$a; id=\$a
done
case " \$* " in *" create "*) [ -n "\${b:-}" ] && cp "\$b/config.json" "$T/bundles/\$id.json" ;; esac
exec "$BERTH_RT" "\$@"
EOF
chmod 0755 "$RT_BIN"
BERTH=(--runc-binary "$RT_BIN" --runc-root "$BERTH_ROOT_PARENT")
RUNC=(--runc-binary runc --runc-root "$RUNC_ROOT_PARENT")

ctrc() { timeout -s KILL 60 ctr -a "$SOCK" -n "$NS" "$@"; }
# overlayfs here sits on the host's overlay /tmp: after an exec as uid 1000,
# creating a file in a not yet copied-up dir fails with ENOENT, with runc as
# with berth. The native snapshotter (a plain copy, bind-mounted) avoids that.
export CONTAINERD_SNAPSHOTTER=native

# ---- the private containerd ----
mkdir -p "$T/containerd"
cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/containerd/opt"
[plugins."io.containerd.runtime.v2.task"]
  platforms = ["linux/amd64"]
EOF

CONTAINERD_PID=
start_containerd() {  # start_containerd CONFIG LOG SOCKET
    containerd --config "$1" >"$2" 2>&1 &
    CONTAINERD_PID=$!
    wait_for 30 ctr -a "$3" version || { tail -20 "$2"; return 1; }
}
stop_containerd() {
    [ -n "$CONTAINERD_PID" ] || return 0
    kill -TERM "$CONTAINERD_PID" 2>/dev/null
    local i
    for i in $(seq 50); do
        [ -e "/proc/$CONTAINERD_PID" ] && [ "$(awk '{ print $3 }' "/proc/$CONTAINERD_PID/stat" 2>/dev/null)" != Z ] ||
            break
        sleep 0.2
    done
    kill -KILL "$CONTAINERD_PID" 2>/dev/null
    wait "$CONTAINERD_PID" 2>/dev/null
    CONTAINERD_PID=
}
# Every container of the namespace: kill all its processes, delete task and container.
remove_all_containers() {
    local c
    for c in $(ctrc containers ls -q 2>/dev/null); do
        ctrc task kill -a -s 9 "$c" >/dev/null 2>&1
        ctrc task rm -f "$c" >/dev/null 2>&1
        ctrc containers rm "$c" >/dev/null 2>&1
    done
    ctrc containers ls -q 2>/dev/null | grep . && return 1 || return 0
}
# ctr's cgroupsPath is /<namespace>/<id>: the namespace's parent cgroup is
# made on the way and, as with runc, never removed; this run removes it when
# it made it and it is empty.
remove_namespace_cgroups() {
    local d
    for d in /sys/fs/cgroup/*/berth-e2e /sys/fs/cgroup/berth-e2e; do
        [ -d "$d" ] && ! grep -qx "$d" "$T/host-before/cgroups" && rmdir "$d" 2>/dev/null
    done
    return 0
}
at_exit "remove_all_containers; stop_containerd; remove_namespace_cgroups"

start_containerd "$T/containerd/config.toml" "$T/containerd.log" "$SOCK" || { echo "containerd did not start"; exit 1; }
log "containerd pid $CONTAINERD_PID, socket $SOCK"

# ---- the image: busybox made into an OCI archive with umoci ----
build_image() {
    local layout=$T/oci unpacked=$T/oci-unpack
    umoci init --layout "$layout"
    umoci new --image "$layout:latest"
    umoci unpack --image "$layout:latest" "$unpacked"
    make_rootfs "$unpacked/rootfs"
    echo "image-file" >"$unpacked/rootfs/etc/berth-image"
    umoci repack --image "$layout:latest" "$unpacked"
    umoci config --image "$layout:latest" --config.cmd /bin/sh \
        --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.workingdir /
    umoci config --image "$layout:latest" --tag user --config.user 1000:1000 --config.workingdir /home/user
    (cd "$layout" && tar -cf "$T/busybox-oci.tar" .)
    ctrc images import --base-name localhost/busybox "$T/busybox-oci.tar"
    local imgs; imgs=$(ctrc images ls -q)
    grep -qx "$IMG" <<<"$imgs" && grep -qx "$IMG_USER" <<<"$imgs"
}
build_image >"$T/image.log" 2>&1 || { cat "$T/image.log"; echo "image import failed"; exit 1; }

# ---- helpers for the scenarios ----
task_status() { ctrc task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
task_pid() { ctrc task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }
task_is() { [ "$(task_status "$1")" = "$2" ]; }
# cgroup_dir CONTROLLER ID: the task's v1 cgroup dir, from /proc/<pid>/cgroup as the shim reads it.
cgroup_dir() { v1_cgroup_dir "$(task_pid "$2")" "$1"; }
# start_detached RUNTIME-ARRAY-NAME ID [ctr run flags...] -- CMD...: a running task, stdio to /dev/null.
start_detached() {
    local -n rt=$1; local id=$2; shift 2
    local flags=()
    while [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    ctrc run -d --null-io "${rt[@]}" "${flags[@]}" "$IMG" "$id" "$@"
    wait_for 10 task_is "$id" RUNNING
}
rm_task() {  # rm_task ID: kill everything, delete task and container (for scenario ends)
    ctrc task kill -a -s 9 "$1" >/dev/null 2>&1 || true
    wait_for 10 task_is_gone_or_stopped "$1" || true
    ctrc task rm -f "$1" >/dev/null 2>&1 || true
    ctrc containers rm "$1" >/dev/null 2>&1 || true
}
task_is_gone_or_stopped() { local s; s=$(task_status "$1"); [ -z "$s" ] || [ "$s" = STOPPED ]; }
# run_rc RUNTIME-ARRAY-NAME ID CMD...: `ctr run --rm`, prints "rc=N" then ctr's output.
run_rc() {
    local -n rt=$1; local id=$2; shift 2
    local out rc=0
    out=$(ctrc run --rm "${rt[@]}" "$IMG" "$id" "$@" </dev/null 2>&1) || rc=$?
    ctrc containers rm "$id" >/dev/null 2>&1 || true  # a failed create leaves the container record
    printf 'rc=%s\n%s\n' "$rc" "$out"
}

# ---- scenarios ----
s_run_rm() {
    local out
    out=$(ctrc run --rm "${BERTH[@]}" "$IMG" run-rm \
        sh -c 'echo hello from berth; cat /etc/berth-image; id -u' </dev/null)
    expect_eq "output" "hello from berth
image-file
0" "$out"
    [ -z "$(ctrc containers ls -q | grep -x run-rm)" ] || fail "--rm left the container"
    [ ! -e "$BERTH_ROOT/run-rm" ] || fail "berth state left in $BERTH_ROOT/run-rm"
    keep_fixture containerd default "$T/bundles/run-rm.json"
}

# Exit statuses and error classes, runc first (its results are the expectation).
s_exit_codes() {
    local c rb rr
    for c in "exit 0:0" "exit 3:3" "/etc/passwd:126" "no-such-cmd:127"; do
        rr=$(run_rc RUNC "rc-runc" sh -c "${c%:*}"); rr=${rr%%$'\n'*}
        rb=$(run_rc BERTH "rc-berth" sh -c "${c%:*}"); rb=${rb%%$'\n'*}
        expect_eq "runc, sh -c '${c%:*}'" "rc=${c##*:}" "$rr"
        expect_eq "berth, sh -c '${c%:*}'" "$rr" "$rb"
    done
    # The process itself not executable / not found: ctr exits 1 with the runtime's
    # error. runc: `exec: "/etc/passwd": permission denied`, `exec: "no-such-cmd":
    # executable file not found in $PATH`.
    local out_r out_b
    out_r=$(run_rc RUNC rc-runc /etc/passwd); out_b=$(run_rc BERTH rc-berth /etc/passwd)
    echo "runc: $out_r"; echo "berth: $out_b"
    expect_match "runc, not executable" '^rc=1.*/etc/passwd.*permission denied' "$(echo $out_r)"
    expect_match "berth, not executable" '^rc=1.*/etc/passwd.*[Pp]ermission denied' "$(echo $out_b)"
    out_r=$(run_rc RUNC rc-runc no-such-cmd); out_b=$(run_rc BERTH rc-berth no-such-cmd)
    echo "runc: $out_r"; echo "berth: $out_b"
    expect_match "runc, not found" '^rc=1.*no-such-cmd.*executable file not found' "$(echo $out_r)"
    expect_match "berth, not found" '^rc=1.*no-such-cmd.*(executable file not found|[Nn]o such file)' "$(echo $out_b)"
}

# A failing create's error (berth's last "error" line of --log, as the shim reads
# it) reaches the user through ctr, and nothing is left behind.
s_create_error_text() {
    local out rc=0
    out=$(ctrc run --rm "${BERTH[@]}" "$IMG" err-create /no/such/binary </dev/null 2>&1) || rc=$?
    ctrc containers rm err-create >/dev/null 2>&1 || true
    echo "$out"
    expect_eq "ctr status" 1 "$rc"
    expect_match "ctr's error names the command" 'OCI runtime create failed: .*/no/such/binary' "$out"
    [ ! -e "$BERTH_ROOT/err-create" ] || fail "berth state left after a failed create"
}

s_stdin() {
    local out
    out=$(printf 'line one\nline two\n' | ctrc run --rm "${BERTH[@]}" "$IMG" stdin sh -c 'head -n 2 | cat')
    expect_eq "stdin through head | cat" "line one
line two" "$out"
}

s_tty() {
    local out
    out=$(in_pty 60 ctr -a "$SOCK" -n "$NS" run --rm -t "${BERTH[@]}" "$IMG" tty \
        sh -c 'test -t 0 && test -t 1 && echo TTY-OK; tty')
    echo "$out"
    expect_match "test -t 0 in the container" 'TTY-OK' "$out"
    expect_match "a pty" '/dev/pts/[0-9]' "$out"
    keep_fixture containerd tty "$T/bundles/tty.json"
}

s_exec() {
    start_detached BERTH exec1 --env FROMRUN=run-env -- sh -c 'while :; do sleep 1; done'
    local out
    out=$(ctrc task exec --exec-id x1 exec1 sh -c 'echo plain; id -u; pwd')
    expect_eq "plain exec" "plain
0
/" "$out"
    out=$(ctrc task exec --exec-id x2 --user 1000 exec1 id -u)
    expect_eq "exec --user 1000" 1000 "$out"
    out=$(ctrc task exec --exec-id x3 --cwd /tmp exec1 pwd)
    expect_eq "exec --cwd /tmp" /tmp "$out"
    # ctr 1.6 `task exec` has no --env: the exec process gets the container's env.
    out=$(ctrc task exec --exec-id x4 exec1 sh -c 'echo $FROMRUN')
    expect_eq "exec sees the container env" run-env "$out"
    expect_status "exec exit status" 7 ctrc task exec --exec-id x5 exec1 sh -c 'exit 7'
    out=$(in_pty 60 ctr -a "$SOCK" -n "$NS" task exec -t --exec-id x6 exec1 sh -c 'test -t 0 && echo TTY-OK')
    expect_match "exec -t" TTY-OK "$out"
    ctrc task exec -d --exec-id x7 exec1 sh -c 'echo detached > /tmp/detached; sleep 30'
    wait_for 10 ctrc task exec --exec-id x8 exec1 test -s /tmp/detached
    out=$(ctrc task ps exec1)
    echo "$out"
    expect_match "task ps lists the detached exec" 'ExecID:x7' "$out"
    # An exec's failure reaches ctr too.
    local rc=0
    out=$(ctrc task exec --exec-id x9 exec1 no-such-exec-cmd 2>&1) || rc=$?
    echo "$out"
    [ "$rc" != 0 ] || fail "exec of a missing command succeeded"
    expect_match "exec error names the command" 'no-such-exec-cmd' "$out"
    rm_task exec1
}

# ctr run in the foreground; a second ctr signals it; ctr's own exit status is the task's.
s_stop_term() {
    ctrc run --rm "${BERTH[@]}" "$IMG" stop-term sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' </dev/null &
    local p=$! rc=0
    wait_for 10 task_is stop-term RUNNING
    sleep 0.5  # let the trap be installed
    ctrc task kill stop-term
    wait $p || rc=$?
    expect_eq "status after TERM trapped as exit 42" 42 "$rc"
}
s_stop_kill() {
    ctrc run --rm "${BERTH[@]}" "$IMG" stop-kill sh -c 'trap "" TERM; while :; do sleep 0.1; done' </dev/null &
    local p=$! rc=0
    wait_for 10 task_is stop-kill RUNNING
    sleep 0.5
    ctrc task kill stop-kill
    sleep 1.5
    expect_eq "ignores TERM" RUNNING "$(task_status stop-kill)"
    ctrc task kill -s KILL stop-kill
    wait $p || rc=$?
    expect_eq "status after KILL" 137 "$rc"
}
s_kill_usr1() {
    start_detached BERTH usr1 -- sh -c 'trap "echo usr1 >> /tmp/signals" USR1; while :; do sleep 0.1; done'
    sleep 0.5
    ctrc task kill -s USR1 usr1
    wait_for 10 ctrc task exec --exec-id u1 usr1 grep -q usr1 /tmp/signals
    expect_eq "still running after USR1" RUNNING "$(task_status usr1)"
    rm_task usr1
}

s_pause_resume() {
    # Written by rename: a read between a truncate and a write would see "".
    start_detached BERTH pause1 -- \
        sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.1; done'
    local cnt=$T/pause-count a b
    sleep 0.5
    ctrc task pause pause1
    expect_eq "status after pause" PAUSED "$(task_status pause1)"
    local pid; pid=$(task_pid pause1)
    a=$(cat "/proc/$pid/root/tmp/count"); sleep 1; b=$(cat "/proc/$pid/root/tmp/count")
    expect_eq "counter frozen while paused" "$a" "$b"
    ctrc task resume pause1
    expect_eq "status after resume" RUNNING "$(task_status pause1)"
    sleep 1; b=$(cat "/proc/$pid/root/tmp/count")
    [ "$b" -gt "$a" ] || fail "counter did not move after resume ($a -> $b)"
    rm_task pause1
}

s_memory_limit() {
    start_detached BERTH mem1 --memory-limit 33554432 -- sh -c 'while :; do sleep 1; done'
    local d; d=$(cgroup_dir memory mem1)
    echo "memory cgroup $d"
    expect_match "cgroup path is /$NS/<id>" "/sys/fs/cgroup/memory/$NS/mem1\$" "$d"
    expect_eq "memory.limit_in_bytes" 33554432 "$(cat "$d/memory.limit_in_bytes")"
    local m; m=$(ctrc task metrics mem1)
    echo "$m"
    expect_match "metrics: the limit" 'memory.limit_in_bytes +33554432' "$m"
    local usage; usage=$(echo "$m" | awk '$1 == "memory.usage_in_bytes" { print $2 }')
    [ -n "$usage" ] && [ "$usage" -gt 0 ] || fail "metrics: no memory usage ($usage)"
    rm_task mem1
    keep_fixture containerd memory-limit "$T/bundles/mem1.json"
    # Allocating more than the limit: the kernel's OOM killer, ctr reports 137 (as with runc).
    local rc_b rc_r hog='x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
    rc_r=$(ctrc run --rm "${RUNC[@]}" --memory-limit 33554432 "$IMG" oom-runc sh -c "$hog" </dev/null; echo $?)
    rc_b=$(ctrc run --rm "${BERTH[@]}" --memory-limit 33554432 "$IMG" oom-berth sh -c "$hog" </dev/null; echo $?)
    expect_eq "runc: allocation over the limit" 137 "$rc_r"
    expect_eq "berth: allocation over the limit" 137 "$rc_b"
}

s_cpu_limit() {
    start_detached BERTH cpu1 --cpu-quota 50000 --cpu-period 100000 -- sh -c 'while :; do sleep 1; done'
    local d; d=$(cgroup_dir cpu cpu1)
    expect_eq "cpu.cfs_quota_us" 50000 "$(cat "$d/cpu.cfs_quota_us")"
    expect_eq "cpu.cfs_period_us" 100000 "$(cat "$d/cpu.cfs_period_us")"
    rm_task cpu1
    keep_fixture containerd cpu-limit "$T/bundles/cpu1.json"
}

# ctr has no pids flag: the spec ctr generated for run-rm, with linux.resources.pids,
# given with --config (then ctr takes no image: the rootfs is the unpacked image).
s_pids_limit() {
    python3 - "$T/bundles/run-rm.json" "$T/pids-spec.json" "$T/oci-unpack/rootfs" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"] = {"path": sys.argv[3], "readonly": True}
c["linux"].setdefault("resources", {})["pids"] = {"limit": 10}
c["linux"]["cgroupsPath"] = "/berth-e2e/pids1"
c["process"]["args"] = ["sh", "-c", "while :; do sleep 1; done"]
json.dump(c, open(sys.argv[2], "w"))
PY
    ctrc run -d --null-io "${BERTH[@]}" --config "$T/pids-spec.json" pids1
    wait_for 10 task_is pids1 RUNNING
    local d; d=$(cgroup_dir pids pids1)
    expect_eq "pids.max" 10 "$(cat "$d/pids.max")"
    local out
    out=$(ctrc task exec --exec-id p1 pids1 sh -c 'for i in $(seq 20); do sleep 5 & done 2>&1; wait' 2>&1 || true)
    expect_match "forks over the limit fail" 'can.t fork|Resource temporarily unavailable|Try again' "$out"
    rm_task pids1
}

s_read_only() {
    local out
    out=$(ctrc run --rm --read-only "${BERTH[@]}" "$IMG" ro1 \
        sh -c 'touch /x 2>&1 || echo RO-OK; touch /tmp/y 2>&1 || echo TMP-RO' </dev/null)
    echo "$out"
    expect_match "rootfs read-only" 'RO-OK' "$out"
    keep_fixture containerd read-only "$T/bundles/ro1.json"
}

s_user() {
    local out
    out=$(ctrc run --rm "${BERTH[@]}" "$IMG_USER" user1 sh -c 'id -u; id -g; pwd' </dev/null)
    expect_eq "image user 1000" "1000
1000
/home/user" "$out"
    keep_fixture containerd user "$T/bundles/user1.json"
}

s_privileged() {
    local out_r out_b
    out_r=$(run_rc RUNC priv-runc sh -c 'grep CapEff /proc/self/status; ls /dev | wc -l')
    out_b=$(run_rc BERTH priv-berth sh -c 'grep CapEff /proc/self/status; ls /dev | wc -l')
    echo "runc: $out_r"; echo "berth: $out_b"
    expect_eq "same result as runc (status, caps, device count)" "$out_r" "$out_b"
    keep_fixture containerd privileged "$T/bundles/priv-berth.json"
}

s_bind_mount() {
    mkdir -p "$T/share"; echo shared-data >"$T/share/file"
    local out
    out=$(ctrc run --rm "${BERTH[@]}" --mount "type=bind,src=$T/share,dst=/mnt/share,options=rbind:ro" "$IMG" bind1 \
        sh -c 'cat /mnt/share/file; touch /mnt/share/new 2>/dev/null || echo RO-OK' </dev/null)
    expect_eq "bind mount, read-only" "shared-data
RO-OK" "$out"
    [ ! -e "$T/share/new" ] || fail "wrote through a read-only bind mount"
}

s_ps_metrics() {
    start_detached BERTH ps1 -- sh -c 'sleep 1000 & while :; do sleep 1; done'
    local out pid
    pid=$(task_pid ps1)
    out=$(ctrc task ps ps1)
    echo "$out"
    expect_match "init pid in task ps" "(^|$(printf '\n'))$pid " "$out"
    [ "$(echo "$out" | tail -n +2 | wc -l)" -ge 2 ] || fail "task ps lists fewer than 2 processes"
    grep -q " ps --format json ps1\$" "$T/berth-calls.log" || fail "the shim did not call berth ps --format json"
    out=$(ctrc task metrics ps1)
    echo "$out"
    local usage; usage=$(echo "$out" | awk '$1 == "memory.usage_in_bytes" { print $2 }')
    [ -n "$usage" ] && [ "$usage" -gt 0 ] || fail "metrics: no memory usage"
    expect_match "metrics: pids.current" 'pids.current +[1-9]' "$out"
    # The shim reads every v1 hierarchy at /proc/<pid>/cgroup's path: the
    # container must have its own cgroup in the accounting ones too (runc does),
    # else cpuacct.usage is the whole host's.
    local ctrl
    for ctrl in cpu cpuacct memory pids freezer blkio; do
        expect_match "$ctrl cgroup of the task" "/sys/fs/cgroup/$ctrl/$NS/ps1\$" "$(cgroup_dir "$ctrl" ps1)"
    done
    local cpu_ns; cpu_ns=$(echo "$out" | awk '$1 == "cpuacct.usage" { print $2 }')
    [ -n "$cpu_ns" ] && [ "$cpu_ns" -lt 100000000000 ] ||
        fail "metrics: cpuacct.usage $cpu_ns ns is not this container's"
    rm_task ps1
}

# CRI's UpdateContainerResources input (cli-contract.md), given to berth as the
# shim gives it; ctr 1.6 has no `task update`. The device rule must not deny
# every device (runc 1.1 leaves device rules alone on update).
CRI_UPDATE='{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":134217728,"swap":134217728},'
CRI_UPDATE+='"cpu":{"shares":512,"quota":25000,"period":100000}}'
s_update_cri() {
    start_detached BERTH upd1 -- sh -c 'while :; do sleep 1; done'
    (cd "$T" && echo "$CRI_UPDATE" |
        "$BERTH_RT" --root "$BERTH_ROOT" --log "$T/update-log.json" --log-format json update --resources - upd1) \
        || { cat "$T/update-log.json"; fail "berth update failed"; }
    local d; d=$(cgroup_dir memory upd1)
    expect_eq "memory.limit_in_bytes" 134217728 "$(cat "$d/memory.limit_in_bytes")"
    d=$(cgroup_dir cpu upd1)
    expect_eq "cpu.cfs_quota_us" 25000 "$(cat "$d/cpu.cfs_quota_us")"
    expect_eq "cpu.shares" 512 "$(cat "$d/cpu.shares")"
    local out
    out=$(ctrc task exec --exec-id d1 upd1 \
        sh -c 'echo x > /dev/null && head -c 3 /dev/zero | wc -c && echo DEV-OK' 2>&1)
    expect_match "/dev/null and /dev/zero still usable" 'DEV-OK' "$out"
    rm_task upd1
}

# The CRI snippet of docs/clients.md, containerd: a second private containerd with
# the CRI plugin on and a runtime "berth" (runc v2 shim, BinaryName = berth): the
# plugin loads and takes the runtime. Pods are run through it by
# tests/clients/cri.sh, which speaks CRI to such a containerd.
s_cri_config_loads() {
    local d=$T/cri pid rc=0
    mkdir -p "$d/cni/bin" "$d/cni/conf"
    cat >"$d/config.toml" <<EOF2
version = 2
root = "$d/root"
state = "$d/state"
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$d/cni/bin"
    conf_dir = "$d/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options]
      BinaryName = "$RT_BIN"
      Root = "$d/berth-root"
EOF2
    containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
    pid=$!
    wait_for 30 ctr -a "$d/containerd.sock" version || rc=1
    local plugins; plugins=$(ctr -a "$d/containerd.sock" plugins ls 2>&1)
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
    umount_under "$d"
    [ "$rc" = 0 ] || { tail -20 "$d/containerd.log"; fail "containerd with CRI did not start"; }
    echo "$plugins" | grep -E 'grpc.v1 +cri'
    expect_match "cri plugin ok" 'io.containerd.grpc.v1 +cri +[^ ]+ +ok' "$plugins"
    grep -q "BinaryName:$RT_BIN" "$d/containerd.log" || fail "the cri config in the log does not show the berth runtime"
    grep 'level=error' "$d/containerd.log" | grep -v -i cni | grep . &&
        fail "errors (other than CNI) in containerd's log" || true
}

# Run in the main shell before the last scenario (containerd is its child).
LEFT_CONTAINERS=
final_cleanup() {
    remove_all_containers || LEFT_CONTAINERS=1
    stop_containerd
    sleep 1
}
s_no_leftovers() {
    [ -z "$LEFT_CONTAINERS" ] || fail "containers could not be removed from containerd"
    remove_namespace_cgroups  # only when empty: a container's cgroup below it still fails the check
    expect_no_leftovers "$CGROUP_PATTERN" "$BERTH_ROOT" "$RUNC_ROOT"
}

scenario run-rm-output s_run_rm
scenario exit-codes-vs-runc s_exit_codes
scenario create-error-reaches-ctr s_create_error_text
scenario stdin s_stdin
scenario tty s_tty
scenario exec s_exec
scenario stop-term s_stop_term
scenario stop-kill s_stop_kill
scenario kill-usr1 s_kill_usr1
scenario pause-resume s_pause_resume
scenario memory-limit s_memory_limit
scenario cpu-limit s_cpu_limit
scenario pids-limit s_pids_limit
scenario read-only s_read_only
scenario user s_user
scenario privileged-as-runc s_privileged
scenario bind-mount-ro s_bind_mount
scenario ps-metrics s_ps_metrics
scenario update-cri-resources s_update_cri
scenario cri-config-loads s_cri_config_loads
final_cleanup
scenario no-leftovers s_no_leftovers

summary containerd
