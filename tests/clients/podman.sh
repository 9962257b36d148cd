#!/bin/bash
# podman 4.3 end to end with berth as its OCI runtime: a private podman (its
# containers.conf, storage.conf, storage, run root, locks, events and tmp dir
# all under $T) runs busybox containers through conmon and berth, scenario by
# scenario, and keeps the config.json files podman generates as fixtures for
# tests/{unit,integration}/client_fixtures_test.cpp.
#
#   bash tests/clients/podman.sh        (as root; BUILD=<meson build dir>, KEEP=1,
#                                        UPDATE_FIXTURES=1 to replace the kept config.json files)
#
# Nothing of the host's podman is used or touched: /etc/containers and
# /var/lib/containers are not written (checked at the end; the blob-info cache
# that podman import makes there as root is removed again, below); the only host file
# podman reads besides its defaults in /usr/share/containers is
# /etc/containers/registries.conf.d (CONTAINERS_REGISTRIES_CONF replaces the
# main file only), which an import does not need.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v podman >/dev/null || { echo "podman is not installed" >&2; exit 1; }
setup_tmp podman
# conmon writes files such as "oom" into its working directory.
cd "$T"

IMG=localhost/busybox
# podman passes no --root: berth keeps its state in its default root.
BERTH_ROOT=/run/berth
CG_CONTAINER='libpod-[0-9a-f]{64}'

host_podman_paths() {  # what the host's own podman has; must not change
    ls -la --full-time /etc/containers /var/lib/containers /run/containers /run/libpod 2>&1 || true
}
host_podman_paths >"$T/host-podman-before"

# Overlay on the temp dir's filesystem (ext4 here) works; fall back to vfs,
# saying so, where it does not.
write_config() {
    local driver=$1
    mkdir -p "$T/tmp" "$T/net" "$T/storage" "$T/runroot"
    touch "$T/registries.conf"
    cat >"$T/containers.conf" <<EOF
[containers]
netns = "none"
cgroupns = "private"
log_driver = "k8s-file"
# podman's defaults raise hard limits, which needs CAP_SYS_RESOURCE (not here).
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[network]
network_config_dir = "$T/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
lock_type = "file"
static_dir = "$T/storage/libpod"
volume_path = "$T/storage/volumes"
image_copy_tmp_dir = "$T/tmp"
runtime = "berth"
runtime_supports_json = ["berth", "runc"]

[engine.runtimes]
berth = ["$BERTH_RT"]
runc = ["$(command -v runc || echo /usr/sbin/runc)"]
EOF
    cat >"$T/storage.conf" <<EOF
[storage]
driver = "$driver"
graphroot = "$T/storage"
runroot = "$T/runroot"
EOF
}

export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf TMPDIR=$T/tmp
pm() { podman "$@"; }

write_config overlay
if ! pm info >"$T/info-overlay.log" 2>&1; then
    log "overlay storage does not work here, using vfs: $(tail -1 "$T/info-overlay.log")"
    write_config vfs
fi

# podman never removes its parent cgroups (/libpod_parent and its conmon
# cgroup); they are removed when this run made them and they are empty.
remove_podman_parent_cgroups() {
    # find fails when another container's cgroup goes away under it: not ours.
    { find /sys/fs/cgroup -mindepth 1 -type d -path '*/libpod_parent*' 2>/dev/null || true; } | sort >"$T/cgroups-now"
    { comm -13 "$T/host-before/cgroups" "$T/cgroups-now" | grep -E '/libpod_parent(/conmon)?$' || true; } | sort -r |
        while read -r d; do rmdir "$d" 2>/dev/null || echo "not empty: $d"; done
}

cleanup_podman() {
    pm rm -af -t 0
    pm rmi -af
    # `podman system reset` with our containers.conf and storage.conf only
    # knows paths under $T; it unmounts the storage and empties them.
    pm system reset -f
    umount_under "$T/storage"
    umount_under "$T/runroot"
    remove_podman_parent_cgroups
}
at_exit cleanup_podman

# ---- helpers ----

# bundle_of ID: the bundle berth was given for container ID (from the log of
# every berth call; conmon passes `create --bundle DIR ... ID`).
bundle_of() {
    awk -v id="$1" '$0 ~ / create / && $NF == id { for (i = 1; i < NF; i++) if ($i == "--bundle") b = $(i + 1) }
                    END { print b }' \
        "$T/berth-calls.log"
}
# created_ids: every container id podman asked berth to create.
created_ids() { awk '/ create / && / --bundle / { print $NF }' "$T/berth-calls.log" | sort -u; }

# prun FIXTURE PODMAN-RUN-ARGS...: podman run; the container's config.json is
# kept as fixture FIXTURE before the container is removed. Output and exit
# status are podman's.
prun() {
    local fx=$1 name=bp-$1-$$-$RANDOM rc=0 id bundle
    shift
    pm run --name "$name" "$@" || rc=$?
    id=$(pm inspect --format '{{.Id}}' "$name")
    bundle=$(bundle_of "$id")
    if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
        # A kept fixture is replaced only on request: podman orders some
        # mounts differently from run to run.
        if [ ! -e "$FIXTURES_DIR/podman/$fx.json" ] || [ "${UPDATE_FIXTURES:-}" = 1 ]; then
            keep_fixture podman "$fx" "$bundle/config.json"
            # Stable across runs: the temp dir, the container id (the hostname
            # is its first 12 digits) and the creation time.
            sed -i -e "s|$T|/tmp/berth-podman.TMPDIR|g" -e "s|$id|$(printf '%064d' 0 | tr 0 c)|g" \
                -e "s|\"${id:0:12}\"|\"cccccccccccc\"|g" \
                -e 's|"io.kubernetes.cri-o.Created": "[^"]*"|"io.kubernetes.cri-o.Created": "2026-12-01T00:00:00Z"|' \
                "$FIXTURES_DIR/podman/$fx.json"
        fi
    else
        echo "no bundle for $name ($id) in berth-calls.log" >&2
        rc=99
    fi
    pm rm -f -t 0 "$name" >/dev/null
    return $rc
}

# start_bg NAME PODMAN-RUN-ARGS...: a detached container, removed when the
# scenario's subshell exits, whether it passed or not.
bg_names=()
start_bg() {
    local name=$1
    shift
    bg_names+=("$name")
    trap 'podman rm -f -t 0 "${bg_names[@]}" >/dev/null 2>&1' EXIT
    pm run -d --name "$name" "$@" >/dev/null
}
state_of() { pm inspect --format '{{.State.Status}}' "$1"; }
pid_of() { pm inspect --format '{{.State.Pid}}' "$1"; }
exit_code_of() { pm inspect --format '{{.State.ExitCode}}' "$1"; }
# host_cgroup_file PID CONTROLLER FILE: the file in the v1 hierarchy where
# /proc/PID/cgroup (read from the host) says the process is.
host_cgroup_file() {
    local path
    path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
        "/proc/$1/cgroup")
    [ -n "$path" ] || { echo "no $2 cgroup for pid $1" >&2; return 1; }
    local mnt
    for mnt in "/sys/fs/cgroup/$2" /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/cpuacct,cpu; do
        [ -e "$mnt$path/$3" ] && { cat "$mnt$path/$3"; return 0; }
    done
    echo "no $3 under the $2 hierarchy at $path" >&2
    return 1
}

# ---- the image ----
make_rootfs "$T/rootfs"
# Something under /run in the image: podman's tmpfs on /run has tmpcopyup.
echo from-image >"$T/rootfs/run/copied"
# As root, podman 4.3's import keeps a blob-info cache in
# /var/lib/containers/cache whatever storage.conf says (containers/image's
# default: podman sets no BlobInfoCacheDir). What the import made there is
# removed again, and only when it holds nothing but that cache file, so that
# the leftovers check still sees anything else; a cache the host had is left
# as it was found.
cache=/var/lib/containers/cache
had_varlib=0 had_cache=0
[ -e /var/lib/containers ] && had_varlib=1
[ -e "$cache" ] && had_cache=1
tar -C "$T/rootfs" -c . | pm import - "$IMG" >"$T/import.log" 2>&1 || { cat "$T/import.log"; exit 1; }
if [ $had_cache = 0 ] && [ -d "$cache" ] && [ "$(ls -A "$cache")" = blob-info-cache-v1.boltdb ]; then
    rm -f "$cache/blob-info-cache-v1.boltdb" && rmdir "$cache"
    [ $had_varlib = 1 ] || rmdir /var/lib/containers 2>/dev/null || true
fi
info_format='runtime={{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
info_format+=' storage={{.Store.GraphDriverName}} {{.Store.GraphRoot}} conf={{.Store.ConfigFile}}'
info_format+=' cgroups={{.Host.CgroupManager}} events={{.Host.EventLogger}}'
pm info --format "$info_format" |
    tee "$T/info.txt" >&2

# ---- scenarios ----

s_config_is_private() {
    grep -q "runtime=berth $BERTH_RT " "$T/info.txt" || fail "runtime is not berth: $(cat "$T/info.txt")"
    grep -q "conf=$T/storage.conf" "$T/info.txt" || fail "storage.conf not ours"
    grep -q "storage=[a-z]* $T/storage " "$T/info.txt" || fail "graphroot not under \$T"
    grep -q "cgroups=cgroupfs events=file" "$T/info.txt" || fail "cgroup manager / events logger"
}

s_run_output() {
    local out
    out=$(prun default "$IMG" echo hello from berth)
    expect_eq output "hello from berth" "$out"
    grep -q -- "--log-format=json --log .* create --bundle" "$T/berth-calls.log" ||
        fail "conmon did not pass --log-format=json"
}

s_exit_codes() {
    expect_status "exit 0" 0 pm run --rm "$IMG" true
    expect_status "exit 3" 3 pm run --rm "$IMG" sh -c 'exit 3'
    expect_status "not executable" 126 pm run --rm "$IMG" /etc/passwd
    expect_status "missing command" 127 pm run --rm "$IMG" /no/such/command
    expect_status "missing command in PATH" 127 pm run --rm "$IMG" nosuchcommand
}

s_stdin() {
    local out
    out=$(printf 'line one\nline two\n' | pm run --rm -i "$IMG" cat)
    expect_eq "stdin echoed" "line one
line two" "$out"
}

s_tty() {
    local out
    out=$(prun tty -t "$IMG" sh -c 'test -t 0 && test -t 1 && echo is-a-tty; tty' </dev/null)
    expect_match "tty test" "is-a-tty" "$out"
    expect_match "tty name" "/dev/pts/[0-9]+" "$out"
    # The pty turns \n into \r\n: the output really went through a terminal.
    expect_match "pty line ending" $'is-a-tty\r' "$out"
}

s_exec() {
    local c=bp-exec-$$ out
    start_bg "$c" "$IMG" sleep 1000
    expect_eq "exec output" hi "$(pm exec "$c" echo hi)"
    out=$(pm exec -t "$c" sh -c 'test -t 0 && echo tty-yes' </dev/null)
    expect_match "exec -t" $'tty-yes\r' "$out"
    expect_eq "exec --user 1000" "1000 1000" "$(pm exec --user 1000 "$c" sh -c 'echo $(id -u) $(id -g)')"
    expect_eq "exec --workdir" /home/user "$(pm exec --workdir /home/user "$c" pwd)"
    expect_eq "exec --env" bar "$(pm exec --env FOO=bar "$c" sh -c 'echo $FOO')"
    expect_status "exec exit code" 5 pm exec "$c" sh -c 'exit 5'
    expect_status "exec missing command" 127 pm exec "$c" /no/such/command
    pm exec -d "$c" sh -c 'sleep 0.5; echo detached >/tmp/d'
    wait_for 15 pm exec "$c" grep -q detached /tmp/d
    grep -q " exec .*--detach" "$T/berth-calls.log" || fail "no berth exec call logged"
}

s_stop_term() {
    local c=bp-stopterm-$$ t0
    start_bg "$c" "$IMG" sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
    t0=$SECONDS
    pm stop -t 20 "$c" >/dev/null
    [ $((SECONDS - t0)) -lt 10 ] || fail "stop took $((SECONDS - t0)) s: TERM was not seen"
    expect_eq "exit code after TERM" 7 "$(exit_code_of "$c")"
    expect_match "trap ran" got-term "$(pm logs "$c")"
}

s_stop_kill() {
    local c=bp-stopkill-$$ t0
    start_bg "$c" "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    sleep 1
    t0=$SECONDS
    pm stop -t 2 "$c" >/dev/null 2>&1
    [ $((SECONDS - t0)) -ge 2 ] || fail "stopped before the 2 s timeout although TERM is ignored"
    expect_eq "exit code after KILL" 137 "$(exit_code_of "$c")"
    grep -q "kill $(pm inspect --format '{{.Id}}' "$c") 9" "$T/berth-calls.log" || fail "no kill ... 9 logged"
}

s_kill_signal() {
    local c=bp-kill-$$
    start_bg "$c" "$IMG" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
    wait_for 10 sh -c "podman logs $c | grep -q ready"
    pm kill -s USR1 "$c" >/dev/null
    wait_for 10 sh -c "podman logs $c | grep -q got-usr1"
    expect_eq "still running" running "$(state_of "$c")"
}

s_pause() {
    local c=bp-pause-$$ pid a b
    # mv: a reader never sees the file truncated and not yet written.
    start_bg "$c" "$IMG" sh -c \
        'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.1; done'
    pid=$(pid_of "$c")
    wait_for 10 test -s "/proc/$pid/root/tmp/count"
    pm pause "$c" >/dev/null
    expect_eq "state" paused "$(state_of "$c")"
    a=$(cat "/proc/$pid/root/tmp/count")
    sleep 1.5
    b=$(cat "/proc/$pid/root/tmp/count")
    expect_eq "counter while paused" "$a" "$b"
    pm unpause "$c" >/dev/null
    expect_eq "state" running "$(state_of "$c")"
    sleep 1
    b=$(cat "/proc/$pid/root/tmp/count")
    [ "$b" -gt "$a" ] || fail "counter did not advance after unpause ($a -> $b)"
}

s_memory() {
    local c=bp-mem-$$ pid
    # dd's 100 MiB buffer is filled: more than --memory plus podman's swap (2x).
    expect_status "allocating over --memory 32m" 137 \
        pm run --rm --memory 32m "$IMG" dd if=/dev/zero of=/dev/null bs=100M count=1
    start_bg "$c" --memory 32m "$IMG" sleep 1000
    pid=$(pid_of "$c")
    expect_eq "memory.limit_in_bytes" 33554432 "$(host_cgroup_file "$pid" memory memory.limit_in_bytes)"
    expect_eq "inspect Memory" 33554432 "$(pm inspect --format '{{.HostConfig.Memory}}' "$c")"
}

s_pids_limit() {
    local out
    out=$(prun resources --memory 32m --pids-limit 10 --cpus 0.5 "$IMG" sh -c '
        cat /sys/fs/cgroup/pids/pids.max
        cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us
        for i in $(seq 20); do sleep 3 & done 2>&1; wait' 2>&1) || true
    echo "$out"
    expect_match "pids.max in the container" "^10" "$out"
    expect_match "fork refused over the limit" "can.t fork|Resource temporarily unavailable" "$out"
}

s_cpus() {
    local c=bp-cpu-$$ pid
    start_bg "$c" --cpus 0.5 "$IMG" sleep 1000
    pid=$(pid_of "$c")
    expect_eq "cpu.cfs_quota_us" 50000 "$(host_cgroup_file "$pid" cpu cpu.cfs_quota_us)"
    expect_eq "cpu.cfs_period_us" 100000 "$(host_cgroup_file "$pid" cpu cpu.cfs_period_us)"
}

s_read_only() {
    local out
    out=$(prun read-only --read-only "$IMG" sh -c '
        touch /x 2>/dev/null && echo root-writable
        touch /tmp/a && touch /run/b && echo tmp-run-writable
        cat /run/copied
        grep -E " /(tmp|run) " /proc/mounts' 2>&1)
    echo "$out"
    [[ "$out" != *root-writable* ]] || fail "/ is writable with --read-only"
    expect_match "/tmp and /run writable" tmp-run-writable "$out"
    expect_match "/run copied up from the image" from-image "$out"
    expect_match "/tmp is tmpfs" "tmpfs /tmp tmpfs" "$out"
    expect_match "/run is tmpfs" "tmpfs /run tmpfs" "$out"
}

s_user() {
    expect_eq "id" "1000 1000" "$(prun user --user 1000 "$IMG" sh -c 'echo $(id -u) $(id -g)')"
}

s_cap_drop() {
    expect_eq "CapEff with --cap-drop ALL" "CapEff:	0000000000000000" \
        "$(prun cap-drop-all --cap-drop ALL "$IMG" grep CapEff /proc/self/status)"
    local eff
    eff=$(pm run --rm --cap-drop CHOWN "$IMG" awk '/CapEff/ { print $2 }' /proc/self/status)
    [ $((0x$eff & 1)) = 0 ] || fail "CAP_CHOWN still in CapEff $eff"
    [ $((0x$eff)) != 0 ] || fail "every capability dropped: CapEff $eff"
    expect_status "chown without CAP_CHOWN" 1 pm run --rm --cap-drop CHOWN "$IMG" \
        sh -c 'touch /tmp/f && chown 1000 /tmp/f'
}

s_privileged() {
    local runc_out runc_rc=0 out rc=0
    runc_out=$(pm run --rm --runtime runc --privileged "$IMG" sh -c 'grep CapEff /proc/self/status' 2>&1) || runc_rc=$?
    echo "runc: rc=$runc_rc $runc_out"
    out=$(prun privileged --privileged "$IMG" sh -c 'grep CapEff /proc/self/status' 2>&1) || rc=$?
    echo "berth: rc=$rc $out"
    if [ "$runc_rc" != 0 ]; then
        echo "--privileged fails with runc too here; berth is not required to run it"
        return 0
    fi
    expect_eq "berth exit status (runc: 0)" 0 "$rc"
    expect_eq "CapEff as runc" "$runc_out" "$out"
}

s_no_new_privs() {
    # podman's seccomp profile is loaded, and no_new_privs follows the config
    # alone (off unless --security-opt no-new-privileges), as with runc.
    local want='NoNewPrivs:	0
Seccomp:	2' probe='grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
    expect_eq "runc" "$want" "$(pm run --rm --runtime runc "$IMG" sh -c "$probe")"
    expect_eq "berth" "$want" "$(pm run --rm "$IMG" sh -c "$probe")"
    local c=bp-nnp-$$
    start_bg "$c" "$IMG" sleep 1000
    expect_eq "berth exec" "$want" "$(pm exec "$c" sh -c "$probe")"
    expect_eq "berth with no-new-privileges" "NoNewPrivs:	1
Seccomp:	2" "$(pm run --rm --security-opt no-new-privileges "$IMG" sh -c "$probe")"
}

s_init() {
    local out
    # podman binds catatonit to /run/podman-init and makes it PID 1.
    out=$(prun init --init "$IMG" \
        sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo pid=$$; cmp /proc/1/exe /run/podman-init && echo same-exe')
    expect_match "PID 1" "^/run/podman-init -- sh -c" "$out"
    expect_match "PID 1 runs the init binary" "same-exe" "$out"
    expect_match "the command is not PID 1" "pid=[2-9]" "$out"
    expect_match "the init binary is catatonit" "catatonit" \
        "$(grep -o '"/usr/[^"]*catatonit"' "$FIXTURES_DIR/podman/init.json")"
}

s_bind_mounts() {
    mkdir -p "$T/data"
    echo from-host >"$T/data/in"
    expect_eq "rw bind" from-host \
        "$(pm run --rm -v "$T/data:/data" "$IMG" sh -c 'cat /data/in; echo from-container >/data/out')"
    expect_eq "written through the bind" from-container "$(cat "$T/data/out")"
    expect_status "write to a :ro bind" 1 pm run --rm -v "$T/data:/data:ro" "$IMG" sh -c 'echo x >/data/out2'
    [ ! -e "$T/data/out2" ] || fail "a :ro bind was written"
    expect_eq "ro bind readable" from-host "$(pm run --rm -v "$T/data:/data:ro" "$IMG" cat /data/in)"
}

s_top_stats() {
    local c=bp-top-$$ out
    start_bg "$c" "$IMG" sleep 1000
    out=$(pm top "$c")
    echo "$out"
    expect_match "top shows the process" "sleep 1000" "$out"
    out=$(pm stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$c")
    echo "$out"
    expect_match "stats" "^$c [0-9.]+[kKMG]?i?B / .* 1$" "$out"
}

s_no_leftovers() {
    pm rm -af -t 0 >/dev/null
    run_cleanups_podman_only
    local id bad=0
    for id in $(created_ids); do
        [ ! -e "$BERTH_ROOT/$id" ] || { echo "berth state left: $BERTH_ROOT/$id"; bad=1; }
        pgrep -f "conmon.*$id" && { echo "conmon left for $id"; bad=1; }
    done
    [ -n "$(created_ids)" ] || { echo "no berth create call was logged"; bad=1; }
    # Container cgroups first, strictly; then podman's own parents (it never
    # removes /libpod_parent or its conmon cgroup), rmdir'd only when empty.
    snapshot_host "$T/host-mid"
    local new
    new=$(comm -13 "$T/host-before/cgroups" "$T/host-mid/cgroups" | grep -E "$CG_CONTAINER" || true)
    [ -z "$new" ] || { echo "leftover container cgroups:"; echo "$new"; bad=1; }
    remove_podman_parent_cgroups
    expect_no_leftovers 'libpod' || bad=1
    host_podman_paths >"$T/host-podman-after"
    diff "$T/host-podman-before" "$T/host-podman-after" || { echo "the host's podman paths changed"; bad=1; }
    return $bad
}
# The podman part of the exit cleanup, run early for the leftovers check.
# Its failures show as leftovers below.
run_cleanups_podman_only() { cleanup_podman >"$T/cleanup.log" 2>&1 || true; }

scenario config-is-private s_config_is_private
scenario run-output s_run_output
scenario exit-codes s_exit_codes
scenario stdin s_stdin
scenario tty s_tty
scenario exec s_exec
scenario stop-term s_stop_term
scenario stop-kill s_stop_kill
scenario kill-signal s_kill_signal
scenario pause-unpause s_pause
scenario memory-limit s_memory
scenario pids-limit s_pids_limit
scenario cpus s_cpus
scenario read-only s_read_only
scenario user s_user
scenario cap-drop s_cap_drop
scenario privileged s_privileged
scenario no-new-privs s_no_new_privs
scenario init s_init
scenario bind-mounts s_bind_mounts
scenario top-stats s_top_stats
scenario no-leftovers s_no_leftovers

summary podman
