#!/bin/bash
# Kubernetes' side of berth, as far as this machine allows: no kubelet is
# installed here, so this script stands in for it. It starts a private
# containerd 1.6 with the CRI plugin on, with two runtime handlers, "berth"
# (containerd-shim-runc-v2 with BinaryName = berth) and "runc" (the control),
# and speaks CRI to it over gRPC (tests/clients/cri_client.py, stubs made
# from tests/clients/cri_min.proto at run time): pod sandboxes with a pause
# container, containers in them, ExecSync, streaming Exec and PortForward
# (websockets to containerd's streaming server), ContainerStats,
# UpdateContainerResources, ReopenContainerLog, OOM kills, security contexts
# and mount propagation. Most scenarios run once per handler, runc first:
# "NAME (runc)" failing says the scenario or the host is wrong, not berth.
#
#   bash tests/clients/cri.sh     (BUILD, KEEP=1, ONLY="..." as in lib.sh)
#
# Everything is private to the run: containerd's socket, root and state, the
# runtimes' --root dirs, the pods' log dirs, the CNI config (a bridge
# "berthcri0" without a gateway or masquerading, host-local addresses kept
# under $T) and the pods' network namespaces (netns_mounts_under_state_dir).
# What lands outside $T and is removed again: the bridge device, the pods'
# cgroup parent /berth-cri in each hierarchy, libcni's result cache
# (/var/lib/cni, removed when this run made it and left it empty), and
# containerd 1.6's shim sockets in /run/containerd/s.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup_tmp cri
# Debian's python3, which has python3-grpcio/-grpc-tools/-protobuf/-websocket
# (the first python3 in PATH may be another one, e.g. a pyenv's).
PY=/usr/bin/python3
export CRI_SOCKET=$T/containerd.sock CRI_GEN_DIR=$T/cri-py
K8S_NS=k8s.io                       # the CRI plugin's containerd namespace
BERTH_ROOT=$T/berth-root/$K8S_NS    # the shim appends the namespace to Root
RUNC_ROOT=$T/runc-root/$K8S_NS
CG_PARENT=/berth-cri                # every pod's cgroup_parent is below it
CGROUP_PATTERN="^/sys/fs/cgroup/[^/]+$CG_PARENT(/|\$)"
BRIDGE=berthcri0
IMG=localhost/busybox:latest
PAUSE_IMG=localhost/busybox:pause

cri() { "$PY" "$CLIENTS_DIR/cri_client.py" "$@"; }
ctrk() { timeout -s KILL 60 ctr -a "$CRI_SOCKET" -n "$K8S_NS" "$@"; }

# The runtimes the shim is given: each logs its calls and keeps a copy of
# every config.json it is asked to create (the shim removes the bundle).
mkdir -p "$T/bundles"
make_runtime_wrapper() {  # make_runtime_wrapper NAME EXEC-LINE
    cat >"$T/bin/$1" <<EOF
#!/bin/sh
prev= id= b=
for a in "\$@"; do
    [ "\$prev" = --bundle ] && b=\$a
    prev=\$a; id=\$a
done
case " \$* " in *" create "*) [ -n "\$b" ] && cp "\$b/config.json" "$T/bundles/$1-\$id.json" ;; esac
$2
EOF
    chmod 0755 "$T/bin/$1"
}
make_runtime_wrapper berth-cri "exec \"$BERTH_RT\" \"\$@\""
make_runtime_wrapper runc-cri "echo \"\$(date +%T.%N) \$*\" >>\"$T/runc-calls.log\"; exec runc \"\$@\""

# ---- host state that must come back as it was ----
ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort >"$T/host-before/links"
VAR_LIB_CNI_EXISTED=; [ -e /var/lib/cni ] && VAR_LIB_CNI_EXISTED=1
IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)

# ---- CNI: a bridge with no gateway; pods reach each other, not the host ----
mkdir -p "$T/cni/conf" "$T/cni/ipam"
cat >"$T/cni/conf/10-berth-cri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "berth-cri",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BRIDGE",
    "isGateway": false,
    "ipMasq": false,
    "ipam": {"type": "host-local", "dataDir": "$T/cni/ipam",
             "ranges": [[{"subnet": "10.241.83.0/24"}]]}
  }]
}
EOF

# ---- the private containerd with the CRI plugin ----
mkdir -p "$T/containerd"
cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
[grpc]
  address = "$CRI_SOCKET"
[ttrpc]
  address = "$CRI_SOCKET.ttrpc"
[debug]
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMG"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # The pods' network namespaces are mounted under state, not /run/netns.
  netns_mounts_under_state_dir = true
  # The sandbox gets oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE,
  # which this machine's bounding set lacks (for runc as for berth). This
  # keeps every value at or above containerd's own, as for rootless hosts.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$T/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    # overlayfs on this machine's /tmp misbehaves (see containerd.sh): the
    # native snapshotter, a plain copy.
    snapshotter = "native"
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      BinaryName = "$T/bin/runc-cri"
      Root = "$T/runc-root"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options]
      BinaryName = "$T/bin/berth-cri"
      Root = "$T/berth-root"
EOF

CONTAINERD_PID=
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
# Every pod: StopPodSandbox stops its containers, RemovePodSandbox removes them.
remove_all_pods() {
    local p
    for p in $(cri call ListPodSandbox --get items 2>/dev/null |
               "$PY" -c 'import json, sys; [print(i["id"]) for i in json.loads(sys.stdin.read() or "[]")]'); do
        cri call StopPodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null
        cri call RemovePodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null
    done
    [ -z "$(cri call ListPodSandbox --get items.0.id 2>/dev/null)" ]
}
# What the runtimes and CNI leave by design: the pods' parent cgroups (runc
# makes <cgroup_parent> on the way and never removes it; a kubelet owns those),
# the bridge, libcni's cache dir. A container's own cgroup below a pod's is
# not removed here: that is the runtime's job, and the check reports it.
remove_host_leftovers() {
    local d
    for d in /sys/fs/cgroup/*"$CG_PARENT"; do
        [ -d "$d" ] && ! grep -qx "$d" "$T/host-before/cgroups" || continue
        rmdir "$d"/pod-* "$d" 2>/dev/null
    done
    ip link del "$BRIDGE" 2>/dev/null
    [ -n "$VAR_LIB_CNI_EXISTED" ] || { [ -d /var/lib/cni ] && find /var/lib/cni -depth -type d -empty -delete; }
    return 0
}
at_exit "remove_all_pods; stop_containerd; remove_host_leftovers"

containerd --config "$T/containerd/config.toml" >"$T/containerd.log" 2>&1 &
CONTAINERD_PID=$!
wait_for 30 ctr -a "$CRI_SOCKET" version || { tail -20 "$T/containerd.log"; echo "containerd did not start"; exit 1; }
log "containerd pid $CONTAINERD_PID, socket $CRI_SOCKET"
cri gen || { echo "could not generate the CRI stubs"; exit 1; }

# ---- the images: busybox, and a pause image (a sleep loop as PID 1) ----
build_images() {
    local layout=$T/oci unpacked=$T/oci-unpack
    umoci init --layout "$layout"
    umoci new --image "$layout:latest"
    umoci unpack --image "$layout:latest" "$unpacked"
    make_rootfs "$unpacked/rootfs"
    # What pause does: wait forever, exit on TERM/INT (as PID 1 of its own
    # pid namespace, the default dispositions would ignore them).
    printf '#!/bin/sh\ntrap "exit 0" TERM INT\nwhile :; do sleep 3600 & wait $!; done\n' >"$unpacked/rootfs/bin/pause"
    chmod 0755 "$unpacked/rootfs/bin/pause"
    umoci repack --image "$layout:latest" "$unpacked"
    umoci config --image "$layout:latest" --config.cmd /bin/sh \
        --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.workingdir /
    umoci config --image "$layout:latest" --tag pause --config.cmd /bin/pause
    (cd "$layout" && tar -cf "$T/busybox-oci.tar" .)
    CONTAINERD_SNAPSHOTTER=native ctrk images import --base-name localhost/busybox "$T/busybox-oci.tar"
    local imgs; imgs=$(cri call ListImages --get images)
    echo "$imgs"
    grep -q "\"$IMG\"" <<<"$imgs" && grep -q "\"$PAUSE_IMG\"" <<<"$imgs"
}
build_images >"$T/image.log" 2>&1 || { cat "$T/image.log"; echo "image import failed"; exit 1; }
# The CRI plugin says it is ready, network included (the CNI config loaded).
cri_ready() {
    local s; s=$(cri call Status --get status.conditions)
    [[ "$s" == *'"status": true, "type": "RuntimeReady"'* && "$s" == *'"status": true, "type": "NetworkReady"'* ]]
}
wait_for 30 cri_ready || { cri call Status; echo "the CRI plugin is not ready"; exit 1; }

# ---- helpers for the scenarios ----
# pod_config NAME [PRIVILEGED] [PID-MODE]: a PodSandboxConfig, kept in $T/pods/NAME.json.
pod_config() {
    local name=$1 priv=${2:-false} pid=${3:-CONTAINER}
    mkdir -p "$T/pods" "$T/logs/$name"
    cat >"$T/pods/$name.json" <<EOF
{"metadata": {"name": "$name", "uid": "uid-$name", "namespace": "berth-cri"},
 "hostname": "$name", "log_directory": "$T/logs/$name",
 "linux": {"cgroup_parent": "$CG_PARENT/pod-$name",
           "security_context": {"privileged": $priv,
                                "namespace_options": {"network": "POD", "pid": "$pid", "ipc": "POD"}}}}
EOF
}
# runp NAME HANDLER [PRIVILEGED] [PID-MODE]: RunPodSandbox; prints the sandbox id.
runp() {
    pod_config "$1" "${3:-false}" "${4:-CONTAINER}"
    cri call RunPodSandbox "{\"config\": $(cat "$T/pods/$1.json"), \"runtime_handler\": \"$2\"}" --get pod_sandbox_id
}
# create POD-ID POD-NAME NAME EXTRA-JSON CMD...: CreateContainer with the busybox
# image, what a kubelet sends for a container (namespaces, masked and read-only
# paths, BestEffort resources), the log at <pod log dir>/NAME.log and EXTRA-JSON
# merged into the ContainerConfig; prints the container id.
create() {
    local pod=$1 pname=$2 name=$3 extra=$4; shift 4
    "$PY" - "$T/pods/$pname.json" "$pod" "$name" "$extra" "$@" >"$T/pods/$pname-$name.req.json" <<'PY'
import json, sys
sandbox = json.load(open(sys.argv[1]))
pod, name, extra, cmd = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5:]
# What a kubelet sends for a BestEffort pod's container: cpu shares 2,
# oom_score_adj 1000, its default masked and read-only paths.
config = {
    "metadata": {"name": name},
    "image": {"image": "localhost/busybox:latest"},
    "command": cmd,
    "log_path": name + ".log",
    "linux": {
        "resources": {"cpu_shares": 2, "oom_score_adj": 1000},
        "security_context": {
            "namespace_options": sandbox["linux"]["security_context"]["namespace_options"],
            "masked_paths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                             "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                             "/proc/scsi", "/sys/firmware"],
            "readonly_paths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
                               "/proc/sys", "/proc/sysrq-trigger"],
        },
    },
}
if extra.get("linux", {}).get("security_context", {}).get("privileged"):
    # kubelet: a privileged container has nothing masked or read-only
    del config["linux"]["security_context"]["masked_paths"]
    del config["linux"]["security_context"]["readonly_paths"]
def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
merge(config, extra)
print(json.dumps({"pod_sandbox_id": pod, "config": config, "sandbox_config": sandbox}))
PY
    cri call CreateContainer "@$T/pods/$pname-$name.req.json" --get container_id
}
start() { cri call StartContainer "{\"container_id\": \"$1\"}" >/dev/null; }
# run_ctr POD-ID POD-NAME NAME EXTRA-JSON CMD...: create and start; prints the id.
run_ctr() {
    local id
    id=$(create "$@") || return 1
    start "$id" || return 1
    echo "$id"
}
ctr_get() { cri call ContainerStatus "{\"container_id\": \"$1\"}" --get "status.$2"; }
ctr_state() { ctr_get "$1" state; }
ctr_is() { [ "$(ctr_state "$1")" = "$2" ]; }
# ctr_pid ID: the container's init pid on the host (verbose info, containerd's JSON).
ctr_pid() {
    cri call ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" --get info.info |
        "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["pid"])'
}
pod_pid() {
    cri call PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}" --get info.info |
        "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["pid"])'
}
rm_pod() {
    cri call StopPodSandbox "{\"pod_sandbox_id\": \"$1\"}" >/dev/null &&
        cri call RemovePodSandbox "{\"pod_sandbox_id\": \"$1\"}" >/dev/null
}
xsync() { local id=$1; shift; cri exec-sync "$id" 30 "$@"; }
# root_of HANDLER: that runtime's --root dir (its state: one dir per container)
root_of() { if [ "$1" = berth ]; then echo "$BERTH_ROOT"; else echo "$RUNC_ROOT"; fi; }
# expect_ran_by HANDLER ID: the runtime of HANDLER created the container ID (its call log)
expect_ran_by() {
    if [ "$1" = berth ]; then
        grep -q " create .*$2\$" "$T/berth-calls.log" || fail "berth was not called to create $2"
    else
        grep -q " create .*$2\$" "$T/runc-calls.log" || fail "runc was not called to create $2"
        ! grep -q "$2" "$T/berth-calls.log" 2>/dev/null || fail "berth was called for runc's $2"
    fi
}
# sc NAME FN HANDLER...: the scenario once per handler (runc, the control, first),
# every pod removed after each run whatever happened in it.
sc() {
    local name=$1 fn=$2 h; shift 2
    for h in "$@"; do
        local before=$((passed + failed))
        scenario "$name ($h)" "$fn" "$h"
        [ $((passed + failed)) = "$before" ] || remove_all_pods >/dev/null 2>&1
    done
}

# ---- scenarios ----

# A pod the way a kubelet makes one: RunPodSandbox (the pause image, a sleep
# loop), a container joining its network, IPC and UTS namespaces by path, its
# log in CRI format, then StopContainer (TERM ignored by sleep: KILL after the
# timeout), RemoveContainer, StopPodSandbox, RemovePodSandbox: no runtime state,
# cgroup, netns or mount of the pod is left.
s_pod_lifecycle() {
    local h=$1 pod cid out
    pod=$(runp "lc-$h" "$h")
    echo "sandbox $pod"
    expect_eq "sandbox state" SANDBOX_READY \
        "$(cri call PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" --get status.state)"
    expect_eq "sandbox handler" "$h" \
        "$(cri call PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" --get status.runtime_handler)"
    expect_match "sandbox IP from the bridge" '^10\.241\.83\.[0-9]+$' \
        "$(cri call PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" --get status.network.ip)"
    expect_ran_by "$h" "$pod"
    local ppid; ppid=$(pod_pid "$pod")
    expect_match "pause runs the sleep loop" '/bin/pause' "$(tr '\0' ' ' <"/proc/$ppid/cmdline")"
    [ -d "$(root_of "$h")/$pod" ] || fail "no state for the sandbox in $(root_of "$h")"

    cid=$(create "$pod" "lc-$h" app '{}' sh -c "echo hello-$h; echo to-stderr >&2; exec sleep 3600")
    echo "container $cid"
    expect_eq "state after CreateContainer" CONTAINER_CREATED "$(ctr_state "$cid")"
    start "$cid"
    expect_eq "state after StartContainer" CONTAINER_RUNNING "$(ctr_state "$cid")"
    expect_ran_by "$h" "$cid"
    [ "$(ctr_get "$cid" started_at)" -gt 0 ] || fail "started_at is 0"
    local cpid ns; cpid=$(ctr_pid "$cid")
    for ns in net ipc uts; do
        expect_eq "$ns namespace shared with the sandbox" "$(readlink "/proc/$ppid/ns/$ns")" \
            "$(readlink "/proc/$cpid/ns/$ns")"
    done
    [ "$(readlink "/proc/$ppid/ns/pid")" != "$(readlink "/proc/$cpid/ns/pid")" ] ||
        fail "pid namespace CONTAINER shared with the sandbox"
    [ "$(readlink "/proc/$ppid/ns/mnt")" != "$(readlink "/proc/$cpid/ns/mnt")" ] ||
        fail "mount namespace shared with the sandbox"
    expect_eq "hostname" "lc-$h" "$(xsync "$cid" hostname)"
    local sh_probe='echo $(wc -c </proc/timer_list) $(awk '\''$5 == "/proc/sys" { print substr($6, 1, 2) }'\'
    sh_probe+=' /proc/self/mountinfo) $(cat /proc/self/oom_score_adj)'
    expect_eq "masked /proc/timer_list, read-only /proc/sys, oom_score_adj" "0 ro 1000" \
        "$(xsync "$cid" sh -c "$sh_probe")"
    expect_match "cgroup under the pod's parent" "$CG_PARENT/pod-lc-$h/$cid\$" "$(v1_cgroup_dir "$cpid" memory)"
    wait_for 10 grep -q "stderr F to-stderr" "$T/logs/lc-$h/app.log"
    cat "$T/logs/lc-$h/app.log"
    grep -Eq "^[0-9T:.+-]+Z? stdout F hello-$h\$" "$T/logs/lc-$h/app.log" || fail "no CRI-format stdout line in the log"

    cri call StopContainer "{\"container_id\": \"$cid\", \"timeout\": 2}" >/dev/null
    expect_eq "state after StopContainer" CONTAINER_EXITED "$(ctr_state "$cid")"
    expect_eq "exit code (KILL after the timeout)" 137 "$(ctr_get "$cid" exit_code)"
    [ "$(ctr_get "$cid" finished_at)" -gt 0 ] || fail "finished_at is 0"
    cri call RemoveContainer "{\"container_id\": \"$cid\"}" >/dev/null
    [ -z "$(cri call ListContainers "{\"filter\": {\"id\": \"$cid\"}}" --get containers.0.id)" ] ||
        fail "RemoveContainer left the container"
    [ ! -e "$(root_of "$h")/$cid" ] || fail "runtime state of the container left"

    cri call StopPodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
    expect_eq "sandbox state after StopPodSandbox" SANDBOX_NOTREADY \
        "$(cri call PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" --get status.state)"
    [ ! -e "/proc/$ppid" ] || [ "$(awk '{ print $3 }' "/proc/$ppid/stat")" = Z ] ||
        fail "pause still running after StopPodSandbox"
    cri call RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
    [ -z "$(cri call ListPodSandbox --get items.0.id)" ] || fail "RemovePodSandbox left the sandbox"
    [ ! -e "$(root_of "$h")/$pod" ] || fail "runtime state of the sandbox left"
    local left; left=$(find /sys/fs/cgroup/*"$CG_PARENT/pod-lc-$h" -mindepth 1 -type d 2>/dev/null || true)
    [ -z "$left" ] || fail "cgroups left under the pod: $left"
    left=$(awk -v p="$pod" 'index($0, p) { print $5 }' /proc/self/mountinfo)
    [ -z "$left" ] || fail "mounts of the sandbox left: $left"
    left=$(find "$T/containerd/state" -path '*netns*' -type f 2>/dev/null)
    [ -z "$left" ] || fail "network namespace files left: $left"
}

# shareProcessNamespace: pid POD, the container sees pause's sleep loop.
s_shared_pid() {
    local h=$1 pod cid out
    pod=$(runp "pid-$h" "$h" false POD)
    cid=$(run_ctr "$pod" "pid-$h" app '{"linux": {"security_context": {"namespace_options": {"pid": "POD"}}}}' \
        sleep 1234)
    out=$(xsync "$cid" ps -o pid,args)
    echo "$out"
    expect_match "pause is PID 1 of the pod" '(^|
) +1 +(\{pause\} )?/bin/sh /bin/pause' "$out"
    expect_match "the container's own process" 'sleep 1234' "$out"
    rm_pod "$pod"
}

s_exec_sync() {
    local h=$1 pod cid out rc
    pod=$(runp "xs-$h" "$h")
    cid=$(run_ctr "$pod" "xs-$h" app '{"envs": [{"key": "FROM_CRI", "value": "env-ok"}]}' sleep 3600)
    rc=0; out=$(cri exec-sync "$cid" 10 sh -c 'echo out-line; echo err-line >&2; exit 3' 2>"$T/xs-$h.err") || rc=$?
    expect_eq "exit code" 3 "$rc"
    expect_eq "stdout" out-line "$out"
    expect_eq "stderr" err-line "$(cat "$T/xs-$h.err")"
    expect_eq "the container's env, uid, cwd" "env-ok 0 /" "$(xsync "$cid" sh -c 'echo $FROM_CRI $(id -u) $(pwd)')"
    # A command that is not there: the CRI's error carries the runtime's.
    rc=0; out=$(cri exec-sync "$cid" 10 no-such-cmd 2>&1) || rc=$?
    echo "missing command: rc=$rc $out"
    [ "$rc" != 0 ] || fail "exec of a missing command succeeded"
    expect_match "error names the command" 'no-such-cmd' "$out"
    # The timeout: ExecSync fails and the process is killed.
    rc=0; out=$(cri exec-sync "$cid" 1 sh -c 'sleep 7; echo late' 2>&1) || rc=$?
    echo "timeout: rc=$rc $out"
    [ "$rc" != 0 ] || fail "ExecSync did not time out"
    expect_match "timeout error" 'timeout|deadline' "$out"
    wait_for 10 eval "! xsync $cid ps -o args | grep -q '^sleep 7'"
    rm_pod "$pod"
}

# Exec through containerd's streaming server: a websocket, v4.channel.k8s.io.
s_exec_stream() {
    local h=$1 pod cid out rc
    pod=$(runp "xw-$h" "$h")
    cid=$(run_ctr "$pod" "xw-$h" app '{}' sleep 3600)
    rc=0
    out=$(cri exec --stdin $'hello over stdin\n' "$cid" sh -c 'read l; echo "got:$l"; echo err-line >&2; exit 5' \
        2>"$T/xw-$h.err") || rc=$?
    expect_eq "stdout" "got:hello over stdin" "$out"
    expect_eq "stderr" err-line "$(cat "$T/xw-$h.err")"
    expect_eq "exit code" 5 "$rc"
    expect_eq "exit 0" 0 "$(cri exec "$cid" true >/dev/null; echo $?)"
    # A terminal, with stdin as kubectl exec -it has it. (Without stdin,
    # containerd 1.6 gets an already-closed stdin stream from the websocket
    # server and, with a tty, then closes stdout: the output is lost, with
    # runc as with berth; "Failed to pipe stdout ... file already closed".)
    out=$(cri exec --tty --stdin $'typed\n' "$cid" sh -c 'read l; test -t 0 && test -t 1 && echo "TTY-OK $l"; tty' |
        tr -d '\r')
    echo "$out"
    expect_match "a terminal, stdin through it" 'TTY-OK typed' "$out"
    expect_match "a pty" '/dev/pts/[0-9]+' "$out"
    rm_pod "$pod"
}

# PortForward: containerd dials localhost:PORT inside the pod's network
# namespace; httpd listens on 127.0.0.1 there, so nothing else can reach it.
s_port_forward() {
    local h=$1 pod cid out
    pod=$(runp "pf-$h" "$h")
    cid=$(run_ctr "$pod" "pf-$h" app '{}' \
        sh -c "mkdir -p /www && echo pong-from-$h >/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www")
    wait_for 10 eval "xsync $cid netstat -ltn | grep -q '127.0.0.1:8080 '"
    out=$(cri port-forward "$pod" 8080 --send 'GET /index.html HTTP/1.0\r\n\r\n' --expect "pong-from-$h")
    echo "$out"
    expect_match "HTTP reply through the sandbox's netns" "^HTTP/1.[01] 200" "$out"
    expect_match "the file" "pong-from-$h" "$out"
    # A port nothing listens on: an error on the port's error channel.
    local rc=0
    out=$(cri port-forward "$pod" 8081 --send 'x' --expect never 2>&1) || rc=$?
    echo "closed port: rc=$rc $out"
    expect_eq "closed port: error" 254 "$rc"
    expect_match "closed port: connection refused" 'refused' "$out"
    rm_pod "$pod"
}

# ContainerStats: cgroup figures of this container (not the host's): a busy
# loop's cpu time, and the 4 MB string the shell keeps (it waits for its
# sleep: as a last command, sh would exec it and free the string).
s_container_stats() {
    local h=$1 pod cid cpu mem
    pod=$(runp "st-$h" "$h")
    local sh_busy='x=$(head -c 4000000 /dev/zero | tr "\0" a); i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done;'
    sh_busy+=' echo ready; sleep 3600 & wait'
    cid=$(run_ctr "$pod" "st-$h" app '{}' sh -c "$sh_busy")
    wait_for 60 grep -q 'stdout F ready' "$T/logs/st-$h/app.log"
    cri call ContainerStats "{\"container_id\": \"$cid\"}"
    cpu=$(cri call ContainerStats "{\"container_id\": \"$cid\"}" --get stats.cpu.usage_core_nano_seconds.value)
    mem=$(cri call ContainerStats "{\"container_id\": \"$cid\"}" --get stats.memory.working_set_bytes.value)
    [ -n "$cpu" ] && [ "$cpu" -gt 10000000 ] || fail "cpu usage $cpu ns: not the busy loop's"
    [ "$cpu" -lt 100000000000 ] || fail "cpu usage $cpu ns: the host's, not the container's"
    [ -n "$mem" ] && [ "$mem" -gt 1000000 ] || fail "working set $mem bytes"
    local cg; cg=$(v1_cgroup_dir "$(ctr_pid "$cid")" cpuacct)
    local acct; acct=$(cat "$cg/cpuacct.usage")
    [ "$acct" -ge "$cpu" ] || fail "cpuacct.usage $acct of $cg is below the CRI's $cpu"
    rm_pod "$pod"
}

# UpdateContainerResources: the new limits land in the container's cgroup
# (the shim calls `update --resources -` with a deny-all device rule: the
# devices must stay usable).
s_update_resources() {
    local h=$1 pod cid cg
    pod=$(runp "up-$h" "$h")
    cid=$(run_ctr "$pod" "up-$h" app \
        '{"linux": {"resources": {"memory_limit_in_bytes": 67108864, "cpu_shares": 256}}}' sleep 3600)
    cg=$(v1_cgroup_dir "$(ctr_pid "$cid")" memory)
    expect_eq "memory limit at create" 67108864 "$(cat "$cg/memory.limit_in_bytes")"
    local update_req="{\"container_id\": \"$cid\", \"linux\": {\"memory_limit_in_bytes\": 100663296,"
    update_req+=" \"cpu_quota\": 25000, \"cpu_period\": 100000, \"cpu_shares\": 512}}"
    cri call UpdateContainerResources "$update_req" >/dev/null
    expect_eq "memory.limit_in_bytes after update" 100663296 "$(cat "$cg/memory.limit_in_bytes")"
    local cpu; cpu=$(v1_cgroup_dir "$(ctr_pid "$cid")" cpu)
    expect_eq "cpu.cfs_quota_us after update" 25000 "$(cat "$cpu/cpu.cfs_quota_us")"
    expect_eq "cpu.shares after update" 512 "$(cat "$cpu/cpu.shares")"
    if [ "$h" = berth ]; then
        grep -q " update --resources - $cid\$" "$T/berth-calls.log" || fail "the shim did not call berth update"
    fi
    expect_eq "devices still usable" "3 DEV-OK" \
        "$(xsync "$cid" sh -c 'echo x >/dev/null && echo $(head -c 3 /dev/zero | wc -c) DEV-OK')"
    local st; st=$(ctr_get "$cid" resources.linux.memory_limit_in_bytes)
    echo "ContainerStatus resources.linux.memory_limit_in_bytes: [$st]"
    expect_eq "ContainerStatus resources" 100663296 "$st"
    rm_pod "$pod"
}

# ReopenContainerLog (after a kubelet rotates the file): new lines go to a new file.
s_reopen_log() {
    local h=$1 pod cid log
    pod=$(runp "rl-$h" "$h")
    cid=$(run_ctr "$pod" "rl-$h" app '{}' sh -c 'i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.1; done')
    log=$T/logs/rl-$h/app.log
    wait_for 10 grep -q 'line-3$' "$log"
    mv "$log" "$log.1"
    cri call ReopenContainerLog "{\"container_id\": \"$cid\"}" >/dev/null
    wait_for 10 grep -q 'stdout F line-' "$log"
    local a b
    a=$(wc -l <"$log.1"); sleep 0.5; b=$(wc -l <"$log.1")
    expect_eq "the rotated file no longer grows" "$a" "$b"
    local first; first=$(head -1 "$log" | sed 's/.*line-//')
    local last; last=$(tail -1 "$log.1" | sed 's/.*line-//')
    [ "$first" -gt "$last" ] || fail "the new file starts at line $first, the old one ended at $last"
    rm_pod "$pod"
}

# An allocation over the memory limit: the container ends with 137 and the
# reason "OOMKilled" (the shim's OOM event, from the cgroup the runtime made).
s_oom_killed() {
    local h=$1 pod cid
    pod=$(runp "oom-$h" "$h")
    cid=$(run_ctr "$pod" "oom-$h" app '{"linux": {"resources": {"memory_limit_in_bytes": 33554432}}}' \
        sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived')
    wait_for 60 ctr_is "$cid" CONTAINER_EXITED
    cri call ContainerStatus "{\"container_id\": \"$cid\"}" --get status.exit_code --get status.reason \
        --get status.message
    expect_eq "reason" OOMKilled "$(ctr_get "$cid" reason)"
    expect_eq "exit code" 137 "$(ctr_get "$cid" exit_code)"
    ! grep -q survived "$T/logs/oom-$h/app.log" || fail "the allocation survived the limit"
    rm_pod "$pod"
}

s_readonly_rootfs() {
    local h=$1 pod cid out rc
    pod=$(runp "ro-$h" "$h")
    cid=$(run_ctr "$pod" "ro-$h" app '{"linux": {"security_context": {"readonly_rootfs": true}}}' sleep 3600)
    rc=0; out=$(cri exec-sync "$cid" 10 touch /new-file 2>&1) || rc=$?
    echo "touch /new-file: rc=$rc $out"
    [ "$rc" != 0 ] || fail "a write to the read-only root succeeded"
    expect_match "the error" 'Read-only file system' "$out"
    expect_match "/ is mounted ro" '^ro(,|$)' "$(xsync "$cid" awk '$5 == "/" { print $6 }' /proc/self/mountinfo)"
    # The CRI's own mounts stay writable (/dev/shm from the sandbox).
    xsync "$cid" sh -c 'echo x >/dev/shm/w' || fail "/dev/shm is not writable"
    [ ! -e "/proc/$(ctr_pid "$cid")/root/new-file" ] || fail "/new-file exists"
    rm_pod "$pod"
}

# runAsUser, runAsGroup, supplementalGroups: the process's ids, in init and in exec.
s_run_as_user() {
    local h=$1 pod cid want out
    pod=$(runp "us-$h" "$h")
    local sc_ids='{"linux": {"security_context": {"run_as_user": {"value": 1000}, "run_as_group": {"value": 2000},'
    sc_ids+=' "supplemental_groups": [3000, 4000]}}}'
    cid=$(run_ctr "$pod" "us-$h" app "$sc_ids" \
        sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; id; exec sleep 3600')
    want=$'Uid:\t1000\t1000\t1000\t1000\nGid:\t2000\t2000\t2000\t2000\nGroups:\t2000 3000 4000 '
    wait_for 10 grep -q 'stdout F uid=' "$T/logs/us-$h/app.log"
    out=$(sed -n 's/^[^ ]* stdout F //p' "$T/logs/us-$h/app.log")
    echo "$out"
    expect_eq "init: /proc/self/status ids" "$want" "$(head -3 <<<"$out")"
    expect_eq "init: id" "uid=1000(user) gid=2000 groups=2000,3000,4000" "$(tail -1 <<<"$out")"
    expect_eq "exec: id" "uid=1000(user) gid=2000 groups=2000,3000,4000" "$(xsync "$cid" id)"
    rm_pod "$pod"
}

# Mount propagation of a hostPath volume. The host dir is made a shared mount
# of its own (the CRI refuses Bidirectional on a private one; this host's
# mounts are all private). Bidirectional (rshared): a mount made in the
# container appears on the host and one made on the host appears in the
# container. HostToContainer (rslave): only the host's appears.
# The container has CAP_SYS_ADMIN to mount (a kubelet asks for privileged).
propagation_setup() {  # propagation_setup DIR
    mkdir -p "$1"
    mount --bind "$1" "$1"
    mount --make-shared "$1"
}
propagation_cleanup() {  # propagation_cleanup DIR
    umount_under "$1"
}
s_propagation() {
    local h=$1 mode=$2 pod cid d out
    d=$T/prop-$mode-$h
    propagation_setup "$d"
    mkdir -p "$d/from-ctr" "$d/from-host"
    pod=$(runp "pr-$mode-$h" "$h")
    cid=$(run_ctr "$pod" "pr-$mode-$h" app "{\"mounts\": [{\"container_path\": \"/mnt/vol\",
        \"host_path\": \"$d\", \"propagation\": \"$mode\"}],
        \"linux\": {\"security_context\": {\"capabilities\": {\"add_capabilities\": [\"SYS_ADMIN\"]}}}}" sleep 3600)
    local bundle_spec=$T/bundles/$h-cri-$cid.json
    local py_show='import json, sys; c = json.load(open(sys.argv[1]));'
    py_show+=' print("rootfsPropagation:", c["linux"].get("rootfsPropagation"));'
    py_show+=' [print(m) for m in c["mounts"] if m["destination"] == "/mnt/vol"]'
    "$PY" -c "$py_show" "$bundle_spec"
    xsync "$cid" awk '$5 == "/mnt/vol" || $5 == "/" { print }' /proc/self/mountinfo
    # host -> container
    mount -t tmpfs -o size=1m host-tmpfs "$d/from-host"
    echo from-host >"$d/from-host/file"
    out=$(cri exec-sync "$cid" 10 cat /mnt/vol/from-host/file 2>&1) || true
    local host_to_ctr=no; [ "$out" = from-host ] && host_to_ctr=yes
    # container -> host
    local sh_mount='mount -t tmpfs -o size=1m ctr-tmpfs /mnt/vol/from-ctr && echo from-ctr >/mnt/vol/from-ctr/file'
    sh_mount+=' && echo MOUNTED'
    out=$(cri exec-sync "$cid" 10 sh -c "$sh_mount" 2>&1) || true
    echo "mount in the container: $out"
    expect_match "the container could mount" MOUNTED "$out"
    local ctr_to_host=no
    grep -q '^from-ctr$' "$d/from-ctr/file" 2>/dev/null && ctr_to_host=yes
    echo "host -> container: $host_to_ctr, container -> host: $ctr_to_host"
    rm_pod "$pod"
    propagation_cleanup "$d"
    case $mode in
    PROPAGATION_BIDIRECTIONAL)
        expect_eq "host -> container" yes "$host_to_ctr"
        expect_eq "container -> host" yes "$ctr_to_host" ;;
    PROPAGATION_HOST_TO_CONTAINER)
        expect_eq "host -> container" yes "$host_to_ctr"
        expect_eq "container -> host" no "$ctr_to_host" ;;
    esac
}
s_propagation_bidirectional() { s_propagation "$1" PROPAGATION_BIDIRECTIONAL; }
s_propagation_host_to_container() { s_propagation "$1" PROPAGATION_HOST_TO_CONTAINER; }

# privileged: a privileged pod and container. It runs with every capability
# of the runtime's bounding set and the host's devices, or, where the host
# cannot give what is asked, fails with an error that names the cause. berth
# must end as runc does.
privileged_try() {  # privileged_try HANDLER: "ok CAPEFF NDEV" or "refused ERROR"
    local h=$1 pod cid out
    pod=$(runp "priv-$h" "$h" true) || { echo "refused-pod"; return 0; }
    if cid=$(run_ctr "$pod" "priv-$h" app '{"linux": {"security_context": {"privileged": true}}}' sleep 3600 \
                 2>"$T/priv-$h.err"); then
        local sh_probe='echo $(grep CapEff /proc/self/status | cut -f2) $(ls /dev | wc -l)'
        sh_probe+=" \$(awk '\$5 == \"/sys\" { print \$6 }' /proc/self/mountinfo | cut -c1-2)"
        out=$(xsync "$cid" sh -c "$sh_probe")
        echo "ok $out"
    else
        echo "refused $(cat "$T/priv-$h.err")"
    fi
    rm_pod "$pod"
}
s_privileged() {
    local r b
    r=$(privileged_try runc); echo "runc: $r"
    b=$(privileged_try berth); echo "berth: $b"
    case $r in
    ok*) expect_eq "berth as runc (CapEff, /dev entries, /sys rw)" "$r" "$b" ;;
    refused*)
        expect_match "berth refuses too" '^refused' "$b"
        expect_match "berth's error names the cause" 'CAP_[A-Z_]+|capabilit' "$b" ;;
    esac
}

# What the host cannot give: a capability outside the bounding set (this
# machine has no CAP_SYS_RESOURCE). StartContainer fails with both runtimes;
# berth's error, as the CRI reports it, names the capability.
cap_try() {  # cap_try HANDLER: "started" or "refused ERROR"
    local h=$1 pod cid
    pod=$(runp "cap-$h" "$h")
    cid=$(create "$pod" "cap-$h" app \
        '{"linux": {"security_context": {"capabilities": {"add_capabilities": ["SYS_RESOURCE"]}}}}' sleep 3600)
    if start "$cid" 2>"$T/cap-$h.err"; then echo started; else echo "refused $(cat "$T/cap-$h.err")"; fi
    echo "ContainerStatus: $(ctr_get "$cid" state) $(ctr_get "$cid" reason) $(ctr_get "$cid" exit_code)" >&2
    rm_pod "$pod"
    [ ! -e "$(root_of "$h")/$cid" ] || echo "runtime state of the failed container left" >&2
}
s_cap_unavailable() {
    local r b bnd
    r=$(cap_try runc); echo "runc: $r"
    b=$(cap_try berth); echo "berth: $b"
    bnd=$((16#$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)))
    if (( bnd >> 24 & 1 )); then  # CAP_SYS_RESOURCE is 24: a host that has it
        expect_eq "runc, with CAP_SYS_RESOURCE in the host's bounding set" started "$r"
        expect_eq "berth, with CAP_SYS_RESOURCE in the host's bounding set" started "$b"
        return 0
    fi
    expect_match "runc refuses" '^refused' "$r"
    expect_match "berth refuses" '^refused' "$b"
    expect_match "berth's error names the capability" 'CAP_SYS_RESOURCE' "$b"
    [ -z "$(ls -A "$BERTH_ROOT" 2>/dev/null)" ] || fail "berth state left: $(ls -A "$BERTH_ROOT")"
}

# Run in the main shell before the last scenario (containerd is its child).
LEFT_PODS=
final_cleanup() {
    remove_all_pods || LEFT_PODS=1
    stop_containerd
    sleep 1
}
s_no_leftovers() {
    [ -z "$LEFT_PODS" ] || fail "pods could not be removed through the CRI"
    remove_host_leftovers
    local bad=0
    expect_no_leftovers "$CGROUP_PATTERN" "$BERTH_ROOT" "$RUNC_ROOT" || bad=1
    local links
    links=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | comm -13 "$T/host-before/links" -)
    [ -z "$links" ] || { echo "leftover network devices: $links"; bad=1; }
    if [ -z "$VAR_LIB_CNI_EXISTED" ] && [ -e /var/lib/cni ]; then
        echo "leftover /var/lib/cni:"; find /var/lib/cni; bad=1
    fi
    expect_eq "ip_forward" "$IP_FORWARD_BEFORE" "$(cat /proc/sys/net/ipv4/ip_forward)" || bad=1
    local procs; procs=$(pgrep -af -- "$T" || true)
    [ -z "$procs" ] || { echo "leftover processes:"; echo "$procs"; bad=1; }
    return $bad
}

sc pod-lifecycle s_pod_lifecycle runc berth
sc shared-pid-namespace s_shared_pid runc berth
sc exec-sync s_exec_sync runc berth
sc exec-stream s_exec_stream runc berth
sc port-forward s_port_forward runc berth
sc container-stats s_container_stats runc berth
sc update-resources s_update_resources runc berth
sc reopen-log s_reopen_log runc berth
sc oom-killed s_oom_killed runc berth
sc readonly-rootfs s_readonly_rootfs runc berth
sc run-as-user-groups s_run_as_user runc berth
sc propagation-bidirectional s_propagation_bidirectional runc berth
sc propagation-host-to-container s_propagation_host_to_container runc berth
scenario privileged-vs-runc s_privileged
scenario capability-unavailable-vs-runc s_cap_unavailable
final_cleanup
scenario no-leftovers s_no_leftovers

summary cri
