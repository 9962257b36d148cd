#!/bin/bash
# docker end to end: a private dockerd (docker.io 20.10) on a private
# containerd, with berth as an added runtime, driven through the docker CLI.
# Every daemon, socket, image and state dir lives under one temp dir ($T);
# nothing of the host's docker or containerd is used or touched.
#
#   bash tests/clients/docker.sh        (BUILD=... for another build dir; KEEP=1 keeps $T)
#
# Exit status: 0 when every scenario passed (see `summary`).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}   # docker.io's 20.10 client, not another one on PATH
for b in "$DOCKER_BIN" dockerd containerd containerd-shim-runc-v2 docker-init runc; do
    command -v "$b" >/dev/null || { echo "docker.sh: $b is not installed" >&2; exit 1; }
done

setup_tmp docker
ETC_DOCKER_BEFORE=$(ls -A /etc/docker 2>&1)   # dockerd must leave it alone
EXEC_ROOT=$T/exec
BERTH_ROOT=$EXEC_ROOT/runtime-runc/moby   # the shim's --root for an added runtime
export DOCKER_HOST=unix://$T/docker.sock
export DOCKER_CONFIG=$T/docker-config
mkdir -p "$DOCKER_CONFIG" "$T/containerd" "$T/docker"
docker() { "$DOCKER_BIN" "$@"; }

# --- the daemons -------------------------------------------------------------

cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[debug]
  address = "$T/containerd-debug.sock"
EOF

CONTAINERD_PID=
start_containerd() {
    containerd --config "$T/containerd/config.toml" >"$T/containerd.log" 2>&1 &
    CONTAINERD_PID=$!
    wait_for 30 test -S "$T/containerd.sock" || { tail -20 "$T/containerd.log"; return 1; }
}

# stop_daemon PID NAME: TERM, wait up to 30 s, then KILL; always waits.
stop_daemon() {
    local pid=$1 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$2 did not stop: KILL"; kill -KILL "$pid"; }
    wait "$pid" 2>/dev/null || true
}

# The runtime is given either in daemon.json ("runtimes", the form most
# installs use) or with --add-runtime; dockerd refuses the same setting from
# both places, so each start uses one.
DOCKERD_PID=
start_dockerd() {  # start_dockerd json|flag
    local how=$1 runtime_flag=()
    if [ "$how" = json ]; then
        cat >"$T/daemon.json" <<EOF
{
  "deprecated-key-path": "$T/docker/key.json",
  "runtimes": {"berth": {"path": "$BERTH_RT"}}
}
EOF
    else
        cat >"$T/daemon.json" <<EOF
{
  "deprecated-key-path": "$T/docker/key.json"
}
EOF
        runtime_flag=(--add-runtime "berth=$BERTH_RT")
    fi
    rm -f "$T/docker.sock"
    dockerd --data-root "$T/docker/data" --exec-root "$EXEC_ROOT" -H "unix://$T/docker.sock" \
        --pidfile "$T/docker/dockerd.pid" --containerd "$T/containerd.sock" \
        --bridge=none --iptables=false --ip-masq=false \
        --exec-opt native.cgroupdriver=cgroupfs --config-file "$T/daemon.json" \
        "${runtime_flag[@]}" --debug >>"$T/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    wait_for 60 docker version || { tail -30 "$T/dockerd.log"; return 1; }
}
stop_dockerd() { stop_daemon "$DOCKERD_PID" dockerd; DOCKERD_PID=; }

teardown() {
    if [ -n "$DOCKERD_PID" ]; then
        local ids
        ids=$(docker ps -aq 2>/dev/null)
        [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
    fi
    stop_dockerd
    stop_daemon "$CONTAINERD_PID" containerd
    CONTAINERD_PID=
    # A shim outlives containerd when its task could not be deleted (a failed
    # berth delete): note it for the leftover check, then end it (TERM: it
    # removes its socket under /run/containerd/s). Ours are the ones given
    # this run's containerd address.
    local p
    for p in $(shims_of_this_run); do
        echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >>"$T/leftover-shims"
        kill -TERM "$p" 2>/dev/null
    done
}
shims_of_this_run() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$(command -v containerd-shim-runc-v2)" ] || continue
        tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$T/containerd.sock" && echo "${p#/proc/}"
    done
}
at_exit teardown

log "starting containerd and dockerd under $T"
start_containerd || { echo "containerd did not start" >&2; exit 1; }
start_dockerd flag || { echo "dockerd did not start" >&2; exit 1; }

make_rootfs "$T/rootfs"
# a program that allocates: busybox has none, so a shell loop that grows a
# variable until the memory limit stops it is used (see the memory scenario)
tar -C "$T/rootfs" -c . | docker import - busybox-local >/dev/null || { echo "docker import failed" >&2; exit 1; }

IMG=busybox-local
# brun ARGS...: docker run through berth, no network, removed afterwards
brun() { docker run --rm --network none --runtime berth "$@"; }
rrun() { docker run --rm --network none --runtime runc "$@"; }
# bstart NAME ARGS...: a detached berth container
bstart() { local n=$1; shift; docker run -d --name "$n" --network none --runtime berth "$@" >/dev/null; }

# bundle_of NAME: the bundle dir the shim gave berth (from berth-calls.log);
# dockerd's containerd keeps it under its state dir.
bundle_of() {
    local id
    id=$(docker inspect -f '{{.Id}}' "$1")
    grep -o -- "create --bundle [^ ]*/$id " "$T/berth-calls.log" | tail -1 | awk '{ print $3 }'
}
# pid_of NAME: the container's init pid on the host
pid_of() { docker inspect -f '{{.State.Pid}}' "$1"; }
# cgroup_file NAME CONTROLLER FILE: a file of the container's v1 cgroup
cgroup_file() {
    local dir
    dir=$(v1_cgroup_dir "$(pid_of "$1")" "$2") || return 1
    echo "$dir/$3"
}
# fixture NAME CONTAINER: keep docker's config.json for CONTAINER
fixture() {
    local b
    b=$(bundle_of "$2")
    [ -n "$b" ] && [ -f "$b/config.json" ] || fail "no bundle for $2 in berth-calls.log"
    keep_fixture docker "$1" "$b/config.json"
}

# --- scenarios -----------------------------------------------------------------

s_run_output() {
    expect_eq "echo through berth" "hello from berth" "$(brun $IMG echo hello from berth)"
    expect_eq "runtime recorded" berth "$(docker run --name ro1 --network none --runtime berth $IMG true &&
        docker inspect -f '{{.HostConfig.Runtime}}' ro1)"
    docker rm ro1 >/dev/null
    # the hook docker adds without host networking is there with --network none too
    bstart hook1 $IMG sleep 60
    python3 - "$(bundle_of hook1)/config.json" <<'PY'
import json, sys
hooks = json.load(open(sys.argv[1])).get("hooks", {}).get("prestart", [])
assert any("libnetwork-setkey" in h.get("args", []) for h in hooks), hooks
print("prestart hook:", hooks[0]["args"][:2])
PY
    expect_eq "running with the hook" true "$(docker inspect -f '{{.State.Running}}' hook1)"
    docker rm -f hook1 >/dev/null
}

s_exit_codes() {
    local cmd want rc_b rc_r
    # CMD|expected: 126 is a file that is not executable, 127 a command that does not exist
    for cmd in "sh -c exit|0" "sh -c 'exit 3'|3" "/etc/passwd|126" "no-such-command|127"; do
        want=${cmd##*|}; cmd=${cmd%|*}
        rc_r=0; eval "rrun $IMG $cmd" || rc_r=$?
        rc_b=0; eval "brun $IMG $cmd" || rc_b=$?
        echo "$cmd: runc $rc_r, berth $rc_b"
        expect_eq "runc exit code of [$cmd]" "$want" "$rc_r"
        expect_eq "berth exit code of [$cmd]" "$want" "$rc_b"
    done
}

s_stdin() {
    expect_eq "stdin through cat" "line one|line two" \
        "$(printf 'line one\nline two\n' | brun -i $IMG cat | paste -sd'|')"
}

s_tty() {
    expect_eq "-t gives a terminal" "tty" "$(brun -t $IMG sh -c 'test -t 0 && test -t 1 && echo tty' | tr -d '\r')"
    expect_eq "no -t, no terminal" "no tty" "$(brun $IMG sh -c 'test -t 0 || echo no tty')"
}

s_exec() {
    bstart ex1 $IMG sleep 1000
    expect_eq "exec" "hi" "$(docker exec ex1 echo hi)"
    expect_eq "exec -t" "tty" "$(docker exec -t ex1 sh -c 'test -t 0 && echo tty' | tr -d '\r')"
    expect_eq "exec -u 1000" "1000:1000" "$(docker exec -u 1000 ex1 sh -c 'echo $(id -u):$(id -g)')"
    expect_eq "exec -w" "/tmp" "$(docker exec -w /tmp ex1 pwd)"
    expect_eq "exec -e" "bar" "$(docker exec -e FOO=bar ex1 sh -c 'echo $FOO')"
    expect_status "exec exit code" 7 docker exec ex1 sh -c 'exit 7'
    # docker exec maps every failure to start the process to 126 (runc too)
    docker run -d --name ex-runc --network none --runtime runc $IMG sleep 1000 >/dev/null
    local rc_r=0 rc_b=0
    docker exec ex-runc no-such-command || rc_r=$?
    docker exec ex1 no-such-command || rc_b=$?
    docker rm -f ex-runc >/dev/null
    expect_eq "exec of a missing command, like runc" "$rc_r" "$rc_b"
    [ "$rc_b" != 0 ] || fail "exec of a missing command succeeded"
    docker exec -d ex1 sh -c 'sleep 0.5; echo detached > /tmp/d'
    wait_for 10 docker exec ex1 test -s /tmp/d
    expect_eq "exec -d ran" detached "$(docker exec ex1 cat /tmp/d)"
    docker rm -f ex1 >/dev/null
}

s_stop() {
    bstart st1 $IMG sh -c 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for 10 sh -c "docker logs st1 | grep -q ready"
    docker stop -t 20 st1 >/dev/null
    expect_match "TERM trapped" "got TERM" "$(docker logs st1)"
    expect_eq "exit code after TERM" 0 "$(docker inspect -f '{{.State.ExitCode}}' st1)"
    docker rm st1 >/dev/null
    bstart st2 $IMG sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    local t0=$SECONDS
    docker stop -t 2 st2 >/dev/null
    local took=$((SECONDS - t0))
    echo "stop of a TERM-ignoring container took ${took}s"
    [ $took -ge 2 ] || fail "stop -t 2 returned after ${took}s: TERM was not ignored?"
    expect_eq "killed after the timeout" "false 137" "$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}}' st2)"
    docker rm st2 >/dev/null
}

s_kill_signal() {
    bstart k1 $IMG sh -c 'trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done'
    wait_for 10 sh -c "docker logs k1 | grep -q ready"
    docker kill -s USR1 k1 >/dev/null
    wait_for 10 sh -c "docker logs k1 | grep -q 'got USR1'"
    expect_eq "still running after USR1" true "$(docker inspect -f '{{.State.Running}}' k1)"
    docker kill k1 >/dev/null
    expect_eq "docker kill" "false 137" "$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}}' k1)"
    docker rm k1 >/dev/null
}

s_pause() {
    # Written by rename: a read between a truncate and a write would see "".
    bstart p1 $IMG sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.05; done'
    local c=/proc/$(pid_of p1)/root/tmp/count
    wait_for 10 test -s "$c"
    docker pause p1 >/dev/null
    expect_eq "inspect while paused" "paused true" "$(docker inspect -f '{{.State.Status}} {{.State.Paused}}' p1)"
    local a b
    a=$(cat "$c"); sleep 1; b=$(cat "$c")
    expect_eq "counter frozen" "$a" "$b"
    docker unpause p1 >/dev/null
    expect_eq "inspect after unpause" "running false" "$(docker inspect -f '{{.State.Status}} {{.State.Paused}}' p1)"
    sleep 1; b=$(cat "$c")
    [ "$b" -gt "$a" ] || fail "counter did not move after unpause ($a -> $b)"
    docker rm -f p1 >/dev/null
}

s_memory() {
    bstart m1 --memory 32m $IMG sleep 1000
    expect_eq "memory.limit_in_bytes" 33554432 "$(cat "$(cgroup_file m1 memory memory.limit_in_bytes)")"
    # docker asks for swap = 2 x memory by default
    local sw
    sw=$(cgroup_file m1 memory memory.memsw.limit_in_bytes)
    if [ -e "$sw" ]; then
        expect_eq "memory.memsw.limit_in_bytes" 67108864 "$(cat "$sw")"
    else
        echo "no swap accounting: memsw not checked"
    fi
    docker rm -f m1 >/dev/null
    # busybox tail keeps a line that never ends in memory
    local rc=0
    docker run --name m2 --network none --runtime berth --memory 32m $IMG tail /dev/zero || rc=$?
    expect_eq "allocating past 32m" 137 "$rc"
    expect_eq "inspect after the OOM kill" "137 true" \
        "$(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' m2)"
    docker rm m2 >/dev/null
}

s_pids_limit() {
    bstart pl1 --pids-limit 20 $IMG sleep 1000
    expect_eq "pids.max" 20 "$(cat "$(cgroup_file pl1 pids pids.max)")"
    docker rm -f pl1 >/dev/null
    local out
    out=$(brun --pids-limit 10 $IMG sh -c 'for i in $(seq 30); do sleep 2 & done; wait' 2>&1 || true)
    expect_match "fork refused past the limit" "can't fork" "$out"
}

s_cpus() {
    bstart c1 --cpus 0.5 $IMG sleep 1000
    expect_eq "cfs quota/period" "50000 100000" \
        "$(cat "$(cgroup_file c1 cpu cpu.cfs_quota_us)") $(cat "$(cgroup_file c1 cpu cpu.cfs_period_us)")"
    docker rm -f c1 >/dev/null
}

s_update() {
    bstart u1 --memory 32m $IMG sleep 1000
    local f
    f=$(cgroup_file u1 memory memory.limit_in_bytes)
    docker update --memory 64m u1 >/dev/null
    expect_eq "memory.limit_in_bytes after update" 67108864 "$(cat "$f")"
    docker update --cpus 0.25 u1 >/dev/null
    expect_eq "cfs quota after update" 25000 "$(cat "$(cgroup_file u1 cpu cpu.cfs_quota_us)")"
    expect_eq "memory kept by the cpu update" 67108864 "$(cat "$f")"
    expect_eq "inspect" "67108864 250000000" "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' u1)"
    docker rm -f u1 >/dev/null
}

s_read_only() {
    expect_match "write to / refused" "Read-only file system" "$(brun --read-only $IMG touch /x 2>&1 || true)"
    expect_eq "reads work" root "$(brun --read-only $IMG sh -c 'id -un')"
}

s_user() {
    expect_eq "-u 1000" "1000 1000 user" "$(brun -u 1000 $IMG sh -c 'echo $(id -u) $(id -g) $(id -un)')"
}

s_cap_drop() {
    local caps='echo $(grep CapEff /proc/self/status | cut -f2) $(grep CapBnd /proc/self/status | cut -f2)'
    expect_eq "CapEff/CapBnd with --cap-drop ALL" "0000000000000000 0000000000000000" \
        "$(brun --cap-drop ALL $IMG sh -c "$caps")"
    expect_match "chown refused" "Operation not permitted" \
        "$(brun --cap-drop ALL $IMG chown 1000 /etc/passwd 2>&1 || true)"
}

# docker's --privileged asks for every capability, CAP_SYS_RESOURCE included,
# which this host's bounding set lacks: runc fails too. berth must fail the
# same way, with an error that names the capability.
s_privileged() {
    local out_r out_b rc_r=0 rc_b=0
    out_r=$(rrun --privileged $IMG true 2>&1) || rc_r=$?
    out_b=$(brun --privileged $IMG true 2>&1) || rc_b=$?
    echo "runc: rc $rc_r: $out_r"
    echo "berth: rc $rc_b: $out_b"
    if [ $rc_r = 0 ]; then
        expect_eq "berth --privileged (runc succeeds here)" 0 "$rc_b"
    else
        [ $rc_b != 0 ] || fail "berth ran --privileged where runc could not"
        expect_match "berth's error names the capability" "CAP_SYS_RESOURCE is not available to berth" "$out_b"
    fi
}

s_init() {
    expect_eq "docker-init is pid 1" "docker-init" "$(brun --init $IMG cat /proc/1/comm)"
    expect_eq "the command is its child" "not-1 1" "$(brun --init $IMG sh -c '[ $$ != 1 ] && echo not-1 $PPID')"
}

s_bind_mounts() {
    mkdir -p "$T/vol"
    echo from-host >"$T/vol/in"
    expect_eq "rw bind: read" from-host "$(brun -v "$T/vol:/data" $IMG cat /data/in)"
    brun -v "$T/vol:/data" $IMG sh -c 'echo from-container > /data/out'
    expect_eq "rw bind: written on the host" from-container "$(cat "$T/vol/out")"
    expect_eq "ro bind: read" from-host "$(brun -v "$T/vol:/data:ro" $IMG cat /data/in)"
    expect_match "ro bind: write refused" "Read-only file system" \
        "$(brun -v "$T/vol:/data:ro" $IMG touch /data/x 2>&1 || true)"
    [ ! -e "$T/vol/x" ] || fail "ro bind: file was written"
}

s_top_stats() {
    bstart t1 $IMG sh -c 'sleep 1000'
    wait_for 10 sh -c "docker top t1 | grep -q 'sleep 1000'"
    docker top t1
    local mem
    mem=$(docker stats --no-stream --format '{{.MemUsage}}' t1)
    echo "stats: $mem"
    expect_match "memory usage non-zero" '^[0-9.]*[1-9][0-9.]*[KMG]i?B' "$mem"
    docker rm -f t1 >/dev/null
}

# fixture_of NAME DOCKER-RUN-ARGS...: keep the config.json docker generated
fixture_of() {
    local n=fx-$1; shift
    bstart "$n" "$@"
    fixture "$(basename "$n" | sed 's/^fx-//')" "$n"
    docker rm -f "$n" >/dev/null
}
s_fixtures() {
    mkdir -p "$T/vol"
    fixture_of default $IMG sleep 60
    fixture_of tty -t $IMG sleep 60
    fixture_of read-only --read-only $IMG sleep 60
    fixture_of user-1000 -u 1000 $IMG sleep 60
    fixture_of cap-drop-all --cap-drop ALL $IMG sleep 60
    fixture_of resources --memory 32m --pids-limit 20 --cpus 0.5 $IMG sleep 60
    fixture_of init --init $IMG sleep 60
    fixture_of bind -v "$T/vol:/data" -v "$T/vol:/data-ro:ro" $IMG sleep 60
    ls "$FIXTURES_DIR/docker"
}

# the daemon.json form of the runtime (docs/clients.md, docker)
s_daemon_json_runtime() {
    expect_match "runtimes in docker info" "berth" "$(docker info -f '{{json .Runtimes}}')"
    expect_eq "run through the daemon.json runtime" "hello" "$(brun $IMG echo hello)"
}

s_no_leftovers() {
    [ ! -s "$T/leftover-shims" ] || { cat "$T/leftover-shims"; fail "containerd shims outlived the daemons"; }
    expect_no_leftovers '/docker/' "$BERTH_ROOT"
    expect_eq "/etc/docker unchanged" "$ETC_DOCKER_BEFORE" "$(ls -A /etc/docker 2>&1)"
}

scenario run-output s_run_output
scenario exit-codes-like-runc s_exit_codes
scenario stdin s_stdin
scenario tty s_tty
scenario exec s_exec
scenario stop s_stop
scenario kill-signal s_kill_signal
scenario pause-unpause s_pause
scenario memory-limit s_memory
scenario pids-limit s_pids_limit
scenario cpus s_cpus
scenario update s_update
scenario read-only s_read_only
scenario user-1000 s_user
scenario cap-drop-all s_cap_drop
scenario privileged-fails-like-runc s_privileged
scenario init s_init
scenario bind-mounts s_bind_mounts
scenario top-stats s_top_stats
scenario fixtures s_fixtures
# daemon restarts happen here, not in a scenario's subshell, so that this
# shell keeps the daemons' pids and can wait for them
stop_dockerd
start_dockerd json || log "dockerd did not start with the daemon.json runtime"
scenario daemon-json-runtime s_daemon_json_runtime
teardown
scenario no-leftovers s_no_leftovers
summary docker
