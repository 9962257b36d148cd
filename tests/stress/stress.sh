#!/usr/bin/env bash
# stress.sh: berth under load, checked for leaks (see bench/README.md, "stress").
#
#   1. N sequential lifecycles: create, start, wait for exit or kill, delete
#      (and every fourth a foreground `berth run`), each checked on its own;
#   2. P parallel loops of M lifecycles each, alternating `berth run` and
#      create/start/delete, half of the loops with an explicit cgroupsPath;
#   3. R rounds of concurrent verbs (create, start, kill, delete, delete
#      --force, state) thrown at ONE container id from many processes at once,
#      the state checked against reality after every round.
#
# After each phase nothing may be left: no berth or container process and no
# zombie of ours, no mount under the bundle or the state root, no cgroup of
# our ids (every v1 hierarchy and the unified one), an empty --root. fds of a
# foreground `berth run` and of the container's init (created and running)
# are sampled, and berth's peak RSS must not grow over the run. Every berth
# call has a timeout: a hang is a failure, not a stuck script.
#
# usage: tests/stress/stress.sh [-n N] [-p P] [-m M] [-r ROUNDS] [--berth BINARY]
#                               [--plugin-config FILE] [--root DIR] [--timeout S]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

N=1000 P=8 M=125 R=200 VT=60
BERTH= PLUGIN_CONFIG= ROOT=

usage() {
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  -n N                 sequential lifecycles (default 1000)
  -p P, -m M           P parallel loops of M lifecycles each (default 8 x 125)
  -r ROUNDS            rounds of concurrent verbs on one id (default 200)
  --berth BINARY       berth to test (default build/cli/berth, else berth on PATH)
  --plugin-config FILE passed to berth (default: generated from the build tree
                       next to the binary unless $BERTH_PLUGIN_CONFIG or
                       /etc/berth/plugins.yaml exists)
  --root DIR           berth's --root; must be empty or absent (default: in the temp dir)
  --timeout S          seconds before one berth call counts as hung (default 60)
EOF
}
die() { echo "stress.sh: $*" >&2; exit 2; }
posint() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 wants a non-negative integer, not '$2'"; }

while [ $# -gt 0 ]; do
    case $1 in
        -n) posint -n "${2-}"; N=$2; shift 2 ;;
        -p) posint -p "${2-}"; P=$2; shift 2 ;;
        -m) posint -m "${2-}"; M=$2; shift 2 ;;
        -r) posint -r "${2-}"; R=$2; shift 2 ;;
        --timeout) posint --timeout "${2-}"; VT=$2; shift 2 ;;
        --berth) BERTH=${2:?--berth needs a path}; shift 2 ;;
        --berth=*) BERTH=${1#*=}; shift ;;
        --plugin-config) PLUGIN_CONFIG=${2:?--plugin-config needs a file}; shift 2 ;;
        --plugin-config=*) PLUGIN_CONFIG=${1#*=}; shift ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        --root=*) ROOT=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
command -v timeout >/dev/null || die "timeout (coreutils) missing"
if [ -z "$BERTH" ]; then
    BERTH=$repo/build/cli/berth
    [ -x "$BERTH" ] || BERTH=$(command -v berth 2>/dev/null || true)
fi
[ -n "$BERTH" ] && [ -x "$BERTH" ] || die "no berth binary (build it: ninja -C build, or pass --berth BINARY)"
BERTH=$(readlink -f "$BERTH")
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
# The system's python: a pyenv shim first on PATH can take seconds to start.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# ------------------------------------------------------------------ setup
T=$(mktemp -d /tmp/berth-stress.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
PFX=st$$                       # every container id starts with this
CGPFX=berth-stress-$$          # the explicit cgroupsPath parent of half the loops
OWN_ROOT=0
if [ -z "$ROOT" ]; then
    ROOT=$T/root
elif [ -e "$ROOT" ]; then
    [ -d "$ROOT" ] && [ -z "$(ls -A "$ROOT")" ] || { rm -rf "$T"; die "--root $ROOT is not an empty directory"; }
else
    OWN_ROOT=1
fi
mkdir -p "$ROOT" "$T/h"
ROOT=$(readlink -f "$ROOT")
LOOP_PIDS=()

cleanup() {
    trap - EXIT INT TERM
    local p id d
    for p in "${LOOP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${LOOP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    # Whatever is left (already reported) is removed so the host stays clean.
    for d in "$ROOT"/*; do
        [ -e "$d" ] || continue
        id=${d##*/}
        [[ $id == "$PFX"-* ]] && timeout -k 5 "$VT" "$BERTH" "${G[@]}" delete --force "$id" >/dev/null 2>&1
    done
    for d in /sys/fs/cgroup/*/"$PFX"-*/ /sys/fs/cgroup/"$PFX"-*/ \
             /sys/fs/cgroup/*/"$CGPFX"/*/ /sys/fs/cgroup/"$CGPFX"/*/ \
             /sys/fs/cgroup/*/"$CGPFX"/ /sys/fs/cgroup/"$CGPFX"/; do
        [ -d "$d" ] && rmdir "$d" 2>/dev/null
    done
    [ -n "${SLEEPFD:-}" ] && exec {SLEEPFD}>&-
    if [[ $ROOT != "$T"/* ]]; then
        rmdir "$ROOT" 2>/dev/null || true
        [ $OWN_ROOT = 1 ] || mkdir -p "$ROOT"
    fi
    rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'echo "stress.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# A fifo nobody writes to: `read -t S -u $SLEEPFD` is a fork-free sleep.
mkfifo "$T/sleep.fifo"
exec {SLEEPFD}<>"$T/sleep.fifo"
nap() { read -r -t "$1" -u "$SLEEPFD"; }
now_us() { local t=$EPOCHREALTIME; REPLY=${t//[.,]/}; }

# The plugin config: as given, else berth's own default, else the build tree's.
if [ -z "$PLUGIN_CONFIG" ] && [ -z "${BERTH_PLUGIN_CONFIG:-}" ] && [ ! -e /etc/berth/plugins.yaml ]; then
    pdir=$(readlink -f "$(dirname "$BERTH")/../plugins")
    [ -d "$pdir" ] || die "no /etc/berth/plugins.yaml and no plugins next to $BERTH; pass --plugin-config FILE"
    {
        echo "plugin_dirs:"
        for so in "$pdir"/*/berth-*.so; do echo "  - $(dirname "$so")"; done
        echo "plugins:"
        for so in "$pdir"/*/berth-*.so; do
            f=${so##*/}; name=${f#berth-}; echo "  - {name: ${name%.so}, file: $f}"
        done
    } >"$T/plugins.yaml"
    PLUGIN_CONFIG=$T/plugins.yaml
fi
G=(--root "$ROOT")
[ -n "$PLUGIN_CONFIG" ] && G+=(--plugin-config "$PLUGIN_CONFIG")

# Bundles: one busybox rootfs (as tests/scripts/make-bundle.sh makes it),
# several configs pointing at it by absolute path.
BERTH=$BERTH PATH=/usr/bin:$PATH sh "$repo/tests/scripts/make-bundle.sh" "$T/b-true" true >"$T/bundle.log" 2>&1 ||
    { cat "$T/bundle.log" >&2; die "make-bundle.sh failed"; }
"$PY" - "$T" "$P" "$CGPFX" <<'PY' || die "cannot write the bundle configs"
import json, os, sys
t, loops, cgpfx = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = json.load(open(f"{t}/b-true/config.json"))
base["root"]["path"] = f"{t}/b-true/rootfs"
def bundle(name, args, cgroups_path=None):
    c = json.loads(json.dumps(base))
    c["process"]["args"] = args
    if cgroups_path:
        c["linux"]["cgroupsPath"] = cgroups_path
    os.makedirs(f"{t}/{name}", exist_ok=True)
    json.dump(c, open(f"{t}/{name}/config.json", "w"), indent=1)
bundle("b-true", ["true"])
bundle("b-sleep", ["sleep", "1000"])
# Even loops name their cgroup: one container at a time per loop.
for k in range(loops):
    bundle(f"loop{k}", ["true"], f"/{cgpfx}/loop{k}" if k % 2 == 0 else None)
PY
B_TRUE=$T/b-true B_SLEEP=$T/b-sleep B_ROOTFS=$T/b-true/rootfs

# ------------------------------------------------------------------ results
# One line per checked unit in $T/results: "PASS phase" or "FAIL phase: why".
# Appends of one short line are atomic, so parallel loops share the file.
RESULTS=$T/results
: >"$RESULTS"
pass() { echo "PASS $1" >>"$RESULTS"; }
# fail PHASE WHY [FILE...]: recorded, and printed with the files' contents.
fail() {
    local phase=$1 why=$2 f; shift 2
    echo "FAIL $phase: $why" >>"$RESULTS"
    {
        echo "FAIL $phase: $why"
        for f in "$@"; do [ -s "$f" ] && sed 's/^/    /' "$f" | head -20; done
    } >&2
}

# bcall OUT ARGS...: berth with our global flags under the timeout; stdout in
# OUT, stderr in OUT.err; berth's exit status (124/137: hung).
bcall() {
    local out=$1; shift
    timeout -k 5 "$VT" "$BERTH" "${G[@]}" "$@" >"$out" 2>"$out.err" </dev/null
}
# brss OUT RSSFILE ARGS...: bcall, with berth's peak RSS (KiB) in RSSFILE.
brss() {
    local out=$1 rss=$2; shift 2
    [ -n "$TIME" ] || { bcall "$out" "$@"; return; }
    timeout -k 5 "$VT" "$TIME" -f %M -o "$rss" "$BERTH" "${G[@]}" "$@" >"$out" 2>"$out.err" </dev/null
}

# wait_exit PID: until /proc/PID is gone or a zombie (orphans here are reaped
# late by PID 1). EXIT_CODE: the zombie's wait status, empty if already reaped.
wait_exit() {
    local pid=$1 stat rest deadline
    now_us; deadline=$((REPLY + VT * 1000000))
    EXIT_CODE=
    while :; do
        { read -r stat </proc/"$pid"/stat; } 2>/dev/null || return 0
        rest=${stat##*) }
        case ${rest%% *} in Z|X) EXIT_CODE=${rest##* }; return 0 ;; esac
        now_us; [ "$REPLY" -lt "$deadline" ] || return 1
        nap 0.005
    done
}

# fds_of PID: the process's open fds, "N->target" separated by spaces, in FDS.
fds_of() {
    local f
    FDS=
    for f in /proc/"$1"/fd/*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        FDS+="${f##*/}->$(readlink "$f") "
    done
    FDS=${FDS% }
}
# check_fds PHASE WHAT PID PARENT ALLOWED...: every fd of PID beyond 0-2
# must match one of the ALLOWED glob patterns of "N->target" or be one that
# PARENT (if not "") holds too: what berth inherited from this shell is not
# its own (0-2 may be anything: they are the caller's stdio).
check_fds() {
    local phase=$1 what=$2 pid=$3 parent=$4 fd bad= inherited=; shift 4
    if [ -n "$parent" ]; then fds_of "$parent"; inherited=" $FDS "; fi
    fds_of "$pid"
    for fd in $FDS; do
        case ${fd%%->*} in 0|1|2) continue ;; esac
        [[ $inherited == *" $fd "* ]] && continue
        local ok=0 a
        for a in "$@"; do [[ $fd == $a ]] && ok=1; done
        [ $ok = 1 ] || bad+=" $fd"
    done
    if [ -n "$bad" ]; then fail "$phase" "$what (pid $pid) holds unexpected fds:$bad (all: $FDS)"; return 1; fi
    pass "$phase"
}

# id_cgroups ID CGPATH: the cgroup directories that would belong to the
# container (its default /ID, or its explicit cgroupsPath).
id_cgroups() {
    local d
    CG=()
    if [ -n "$2" ]; then
        for d in /sys/fs/cgroup/*"$2"/ /sys/fs/cgroup"$2"/; do [ -d "$d" ] && CG+=("$d"); done
    else
        for d in /sys/fs/cgroup/*/"$1"/ /sys/fs/cgroup/"$1"/; do [ -d "$d" ] && CG+=("$d"); done
    fi
}

# after_delete PHASE ID CGPATH: delete left no state dir and no cgroup.
after_delete() {
    local bad=
    [ -e "$ROOT/$2" ] && bad+=" state dir $ROOT/$2;"
    id_cgroups "$2" "$3"
    [ ${#CG[@]} -eq 0 ] || bad+=" cgroups ${CG[*]};"
    [ -z "$bad" ] && return 0
    fail "$1" "$2: left after delete:$bad"
    return 1
}

# lifecycle PHASE ID KIND BUNDLE CGPATH: one checked lifecycle.
#   exit: create, start, wait for the container to exit (status 0), delete
#   kill: create, start, kill KILL, wait, delete
#   kill-created: create, kill (TERM: a created init dies of it), wait, delete
#   run: `berth run` in the foreground, exit status 0, nothing left
# SAMPLE_FDS=1 also checks the init's fds while created and while running;
# RSS_TAG=name records create's and delete's peak RSS.
lifecycle() {
    local phase=$1 id=$2 kind=$3 bundle=$4 cgpath=$5
    local out=$T/out.$BASHPID pidf=$T/pid.$BASHPID pid= step rc
    rm -f "$pidf"
    if [ "$kind" = run ]; then
        bcall "$out" run --bundle "$bundle" "$id"; rc=$?
        if [ $rc != 0 ]; then
            fail "$phase" "$id: run exited $rc (want 0)" "$out.err"
            bcall "$out.f" delete --force "$id"
            return 1
        fi
        after_delete "$phase" "$id" "$cgpath" || return 1
        pass "$phase"; return 0
    fi
    step=create
    if [ -n "${RSS_TAG:-}" ]; then brss "$out" "$T/rss1" create --bundle "$bundle" --pid-file "$pidf" "$id"
    else bcall "$out" create --bundle "$bundle" --pid-file "$pidf" "$id"; fi
    rc=$?
    if [ $rc = 0 ]; then
        [ -n "${RSS_TAG:-}" ] && [ -s "$T/rss1" ] && echo "$(tail -1 "$T/rss1")" >>"$T/rss.$RSS_TAG-create"
        read -r pid <"$pidf" 2>/dev/null
        if ! [[ $pid =~ ^[0-9]+$ ]]; then
            fail "$phase" "$id: create succeeded but the pid file holds '$pid'"
            bcall "$out.f" delete --force "$id"; return 1
        fi
        [ "${SAMPLE_FDS:-0}" = 1 ] &&
            check_fds "$phase-fds" "created init of $id" "$pid" "" "*->*/$id/exec.fifo"
        case $kind in
            exit|kill)
                step=start; bcall "$out" start "$id"; rc=$?
                if [ $rc = 0 ] && [ "$kind" = kill ]; then
                    [ "${SAMPLE_FDS:-0}" = 1 ] && check_fds "$phase-fds" "running init of $id" "$pid" ""
                    step=kill; bcall "$out" kill "$id" KILL; rc=$?
                fi ;;
            kill-created) step=kill; bcall "$out" kill "$id"; rc=$? ;;
        esac
    fi
    if [ $rc = 0 ]; then
        step=wait
        if ! wait_exit "$pid"; then
            echo "container pid $pid still alive $VT s after $kind" >"$out.err"; rc=124
        elif [ "$kind" = exit ] && [ -n "$EXIT_CODE" ] && [ "$EXIT_CODE" != 0 ]; then
            echo "true exited with wait status $EXIT_CODE" >"$out.err"; rc=1
        fi
    fi
    if [ $rc = 0 ]; then
        step=delete
        if [ -n "${RSS_TAG:-}" ]; then brss "$out" "$T/rss1" delete "$id"; else bcall "$out" delete "$id"; fi
        rc=$?
        [ $rc = 0 ] && [ -n "${RSS_TAG:-}" ] && [ -s "$T/rss1" ] &&
            echo "$(tail -1 "$T/rss1")" >>"$T/rss.$RSS_TAG-delete"
    fi
    if [ $rc != 0 ]; then
        fail "$phase" "$id ($kind): $step failed (exit $rc)" "$out.err"
        bcall "$out.f" delete --force "$id"
        return 1
    fi
    after_delete "$phase" "$id" "$cgpath" || return 1
    pass "$phase"
}

# run_probe PHASE ID: a foreground `berth run` of a long-running container:
# berth's fds and the container's are sampled while it runs, berth's peak RSS
# so far recorded; then kill, and run must return 137 and leave nothing.
run_probe() {
    local phase=$1 id=$2 out=$T/probe tpid bpid= pid= st i kids=
    # timeout itself in the background (not bcall's subshell): berth is its child.
    timeout -k 5 "$VT" "$BERTH" "${G[@]}" run --bundle "$B_SLEEP" "$id" >"$out" 2>"$out.err" </dev/null &
    tpid=$!
    for ((i = 0; i < VT * 20; i++)); do
        bcall "$out.st" state "$id" && st=$(<"$out.st") &&
            [[ $st == *'"status": "running"'* ]] && break
        nap 0.05
    done
    [[ ${st:-} =~ \"pid\":\ ([0-9]+) ]] && pid=${BASH_REMATCH[1]}
    # berth is the child of the timeout process we started.
    { read -r kids || [ -n "$kids" ]; } 2>/dev/null <"/proc/$tpid/task/$tpid/children" && bpid=${kids%% *}
    if [ -z "$pid" ] || [ -z "$bpid" ]; then
        fail "$phase" "$id: foreground run never reached running" "$out.err" "$out.st.err"
    else
        # Its own: only the pidfd of init it forwards signals through.
        check_fds "$phase-fds" "foreground berth run of $id" "$bpid" "$tpid" "*->anon_inode:\[pidfd\]"
        check_fds "$phase-fds" "running init of $id" "$pid" ""
        local hwm
        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$bpid/status" 2>/dev/null)
        [ -n "$hwm" ] && echo "$hwm" >>"$T/rss.run"
    fi
    bcall "$out.k" kill "$id" KILL || fail "$phase" "$id: kill of a foreground run failed" "$out.k.err"
    wait "$tpid"; local rc=$?
    if [ $rc != 137 ]; then
        fail "$phase" "$id: foreground run of a killed container exited $rc (want 137)" "$out.err"
        bcall "$out.f" delete --force "$id"
        return 1
    fi
    after_delete "$phase" "$id" "" && pass "$phase"
}

# ------------------------------------------------------------------ leftovers
# leftovers PHASE: nothing of ours may be left on the machine. Processes:
# berth (its command line names our --root), container processes (their
# cgroup is one of ours, or their root is our bundle's rootfs), zombies whose parent
# is this script; mounts under the temp dir or the state root; cgroups of our
# ids or under our cgroupsPath prefix, in every hierarchy; entries in --root.
leftovers() {
    local phase=$1 found=() d p line stat rest ppid args
    for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
        { read -r stat <"$d/stat"; } 2>/dev/null || continue
        rest=${stat##*) }; read -r _ ppid _ <<<"$rest"
        # A zombie is ours only if we are its parent: an orphaned init waits
        # for PID 1, which reaps late here, with its cgroup already removed.
        if [[ $rest == [ZX]* ]]; then
            [ "$ppid" = $$ ] && found+=("zombie $p, child of this script")
            continue
        fi
        args=()
        { mapfile -d '' args <"$d/cmdline"; } 2>/dev/null
        [[ ${args[0]:-} != *bash && "${args[*]}" == *"$BERTH"*"$ROOT"* ]] && found+=("berth process $p: ${args[*]}")
        while read -r line; do
            if [[ $line == *":/$PFX-"* || $line == *"/$CGPFX/"* ]]; then
                found+=("container process $p (${args[*]}) in cgroup ${line#*:*:}"); break
            fi
        done 2>/dev/null <"$d/cgroup"
    done
    # A container's root is a bind mount of the rootfs: same device and inode.
    local rootid
    rootid=$(stat -L -c %d:%i "$B_ROOTFS")
    while read -r line; do
        p=${line%/root *}; p=${p#/proc/}
        [ "$p" = "$BASHPID" ] || found+=("process $p has the bundle's rootfs as its root")
    done < <(stat -L -c '%n %d:%i' /proc/[0-9]*/root 2>/dev/null | grep " $rootid\$")
    while read -r line; do
        [[ $line == *" $T/"* || $line == *" $ROOT"[/\ ]* ]] && found+=("mount: $line")
    done </proc/self/mountinfo
    for d in /sys/fs/cgroup/*/"$PFX"-*/ /sys/fs/cgroup/"$PFX"-*/ \
             /sys/fs/cgroup/*/"$CGPFX"/*/ /sys/fs/cgroup/"$CGPFX"/*/; do
        [ -d "$d" ] && found+=("cgroup $d")
    done
    for d in "$ROOT"/* "$ROOT"/.[!.]*; do
        [ -e "$d" ] && found+=("state entry $d")
    done
    if [ ${#found[@]} -eq 0 ]; then
        pass "$phase-leftovers"
        echo "  $phase leftovers: none" >&2
        return 0
    fi
    local f
    for f in "${found[@]}"; do fail "$phase-leftovers" "$f"; done
    return 1
}

# ------------------------------------------------------------------ 1. sequential
rate() {  # rate COUNT START_US: "X.XX/s over Y.Y s"
    now_us
    awk -v n="$1" -v us=$((REPLY - $2)) 'BEGIN { printf "%.2f lifecycles/s over %.1f s", n / (us / 1e6), us / 1e6 }'
}
phase_fails() { grep -c "^FAIL $1" "$RESULTS"; }

echo "stress: berth $BERTH, root $ROOT, temp $T" >&2
echo "stress: 1. $N sequential lifecycles" >&2
now_us; t0=$REPLY
for ((i = 1; i <= N; i++)); do
    SAMPLE_FDS=0 RSS_TAG=
    ((i % 20 == 1 || i % 20 == 2)) && SAMPLE_FDS=1
    ((i % 10 == 1)) && RSS_TAG=seq
    if ((i % 50 == 0 || (N < 50 && i == N))); then
        run_probe seq "$PFX-s$i"
        continue
    fi
    case $((i % 4)) in
        0) kind=run ;;
        1) kind=exit ;;
        2) kind=kill ;;
        3) kind=kill-created ;;
    esac
    b=$B_TRUE; [ $kind = exit ] || [ $kind = run ] || b=$B_SLEEP
    SAMPLE_FDS=$SAMPLE_FDS RSS_TAG=$RSS_TAG lifecycle seq "$PFX-s$i" "$kind" "$b" ""
    ((i % 100 == 0)) && echo "  $i/$N: $(rate "$i" "$t0"), $(phase_fails seq) failed" >&2
done
SEQ_RATE=$(rate "$N" "$t0")
echo "  sequential: $N in $SEQ_RATE, $(phase_fails seq) failed" >&2
leftovers seq

# ------------------------------------------------------------------ 2. parallel
# par_loop K: M lifecycles, alternating foreground run and create/start/wait/delete.
par_loop() {
    local k=$1 j cg=
    ((k % 2 == 0)) && cg=/$CGPFX/loop$k
    for ((j = 1; j <= M; j++)); do
        if ((j % 2)); then lifecycle par "$PFX-p$k-$j" run "$T/loop$k" "$cg"
        else lifecycle par "$PFX-p$k-$j" exit "$T/loop$k" "$cg"; fi
    done
}
echo "stress: 2. $P parallel loops x $M lifecycles" >&2
now_us; t0=$REPLY
for ((k = 0; k < P; k++)); do
    par_loop "$k" &
    LOOP_PIDS+=($!)
done
for p in "${LOOP_PIDS[@]}"; do wait "$p"; done
LOOP_PIDS=()
PAR_RATE=$(rate $((P * M)) "$t0")
echo "  parallel: $((P * M)) in $PAR_RATE, $(phase_fails par) failed" >&2
leftovers par

# ------------------------------------------------------------------ 3. one id, many verbs
# The verbs thrown at one id at once, one row each:
#   NAME|ARGS|stderr patterns (|-separated globs) of an acceptable failure
# @ID@ is the id, @N@ a number unique to the call. A verb may fail only with
# one of its row's messages (delete --force never); any other message, a
# crash or a hang fails the round. `exec` becomes one more row once it exists
# (it is being written on another branch), e.g.
#   "exec|exec @ID@ true|*container does not exist*|*not running*"
START_ERRS="*cannot start a container that has stopped*|*cannot start an already running container*"
RUN_DETACH="run --detach --bundle $B_SLEEP --pid-file $T/h/pid.@N@ @ID@"
HAMMER=(
    "create|create --bundle $B_SLEEP --pid-file $T/h/pid.@N@ @ID@|*container with id exists*"
    "start|start @ID@|$START_ERRS|*still being created*|*container does not exist*"
    "kill|kill @ID@ KILL|*container not running*|*container does not exist*"
    "kill-term|kill @ID@|*container not running*|*container does not exist*"
    "delete|delete @ID@|*container does not exist*|*that is not stopped*|*being created or was left half-created*"
    "delete-force|delete --force @ID@"
    "state|state @ID@|*container does not exist*"
    "run-detach|$RUN_DETACH|*container with id exists*|$START_ERRS|*container does not exist*"
    "kill-all|kill --all @ID@ KILL|*container does not exist*"
    "ps|ps --format json @ID@|*container does not exist*"
    "list|list --format json"
)
H=$PFX-h
hammer_setup() {  # the state a round starts from, by round number
    local r=$1 out=$T/h/setup pid
    case $((r % 4)) in
        0) return 0 ;;                                 # whatever the last round left
        1) bcall "$out" delete --force "$H" && bcall "$out" create --bundle "$B_SLEEP" --pid-file "$T/h/pid" "$H" ;;
        2) bcall "$out" delete --force "$H" && bcall "$out" create --bundle "$B_SLEEP" --pid-file "$T/h/pid" "$H" &&
               bcall "$out" start "$H" ;;
        3) bcall "$out" delete --force "$H" && bcall "$out" create --bundle "$B_SLEEP" --pid-file "$T/h/pid" "$H" &&
               bcall "$out" start "$H" && bcall "$out" kill "$H" KILL && pid=$(<"$T/h/pid") && wait_exit "$pid" ;;
    esac
}
# hammer_round R: every row once plus one at random, all at once.
hammer_round() {
    local r=$1 rows=() pids=() k row name args pats out rc bad= pat ok n=0
    for ((k = 0; k < ${#HAMMER[@]}; k++)); do rows+=("$k"); done
    rows+=($((RANDOM % ${#HAMMER[@]})))
    for ((k = ${#rows[@]} - 1; k > 0; k--)); do   # shuffle
        local j=$((RANDOM % (k + 1))) t=${rows[k]}; rows[k]=${rows[j]}; rows[j]=$t
    done
    for k in "${rows[@]}"; do
        row=${HAMMER[k]}; args=${row#*|}; args=${args%%|*}
        args=${args//@ID@/$H}; args=${args//@N@/$r.$n}
        # shellcheck disable=SC2086  # ARGS are words without spaces
        bcall "$T/h/o.$n" $args &
        pids+=($!); n=$((n + 1))
    done
    for ((k = 0; k < n; k++)); do
        wait "${pids[k]}"; rc=$?
        row=${HAMMER[rows[k]]}; name=${row%%|*}; pats=${row#*|}; pats=${pats#*|}
        [ "$pats" = "${row#*|}" ] && pats=
        local patlist=()
        IFS='|' read -r -a patlist <<<"$pats"
        out=$T/h/o.$k
        case $rc in
            0) case $name in state|ps|list) cp "$out" "$T/h/ok.$name.$k" ;; esac ;;
            1)
                ok=0
                local err; err=$(<"$out.err")
                if [[ $err != *"terminate called"* && $err != *"corrupt state"* && $err == "berth: "* ]]; then
                    for pat in "${patlist[@]}"; do [[ $err == $pat ]] && ok=1; done
                fi
                [ $ok = 1 ] || bad+=" $name failed with an unexpected message: $(head -c 300 "$out.err");" ;;
            124|137) bad+=" $name hung (killed after ${VT}s);" ;;
            *) bad+=" $name crashed (exit $rc): $(head -c 300 "$out.err");" ;;
        esac
    done
    # The state against reality, once every verb is done and the machine has
    # settled: `kill` returns once the signal is sent, and a dying init (its
    # memory gone, not yet a zombie) still reads as alive for a moment. A real
    # inconsistency persists; a dying process gets 3 s.
    local why oks=() attempt
    for out in "$T"/h/ok.*; do [ -e "$out" ] && oks+=("$out"); done
    for ((attempt = 0; attempt < 15; attempt++)); do
        bcall "$T/h/final" state "$H"; rc=$?
        why=$("$PY" "$here/check_state.py" "$ROOT" "$H" "$B_ROOTFS" "$rc" "$T/h/final" "$T/h/final.err" \
                  "${oks[@]}" 2>&1) && break
        nap 0.2
    done
    [ -z "$why" ] || bad+=" $why;"
    rm -f "$T"/h/ok.* "$T"/h/pid.*
    if [ -z "$bad" ]; then pass hammer; else fail hammer "round $r:$bad"; fi
}
echo "stress: 3. $R rounds of ${#HAMMER[@]}+1 concurrent verbs on one id" >&2
now_us; t0=$REPLY
for ((r = 1; r <= R; r++)); do
    hammer_setup "$r" || fail hammer "round $r: setup failed" "$T/h/setup.err"
    hammer_round "$r"
    ((r % 50 == 0)) && echo "  $r/$R rounds, $(phase_fails hammer) failed" >&2
done
bcall "$T/h/end" delete --force "$H" || fail hammer "final delete --force $H failed" "$T/h/end.err"
now_us
echo "  hammer: $R rounds in $(awk -v us=$((REPLY - t0)) 'BEGIN { printf "%.1f s", us / 1e6 }')," \
     "$(phase_fails hammer) failed" >&2
leftovers hammer

# ------------------------------------------------------------------ memory
# Peak RSS must not grow over the run: the median of the last quarter of the
# samples against the median of the first quarter, +10% (and 1 MiB) of slack.
rss_check() {
    local f=$T/rss.$1 verdict
    if [ -z "$TIME" ] && [ "$1" != run ]; then
        echo "  peak RSS of $1: NOT MEASURED (/usr/bin/time missing: apt-get install time)" >&2
        return
    fi
    if [ ! -f "$f" ] || [ "$(wc -l <"$f")" -lt 4 ]; then
        echo "  peak RSS of $1: NOT ASSESSED (fewer than 4 samples: run more lifecycles)" >&2
        return
    fi
    verdict=$(awk '{ a[NR] = $1 }
        function med(lo, hi,   n, i, j, t, b) {
            n = 0; for (i = lo; i <= hi; i++) b[++n] = a[i]
            for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j-1] > b[j]; j--) { t = b[j]; b[j] = b[j-1]; b[j-1] = t }
            return b[int((n + 1) / 2)]
        }
        END {
            q = int(NR / 4); if (q < 1) q = 1
            first = med(1, q); last = med(NR - q + 1, NR)
            slack = first / 10; if (slack < 1024) slack = 1024
            printf "%s %d samples, first quarter %d KiB, last quarter %d KiB\n",
                (last > first + slack) ? "GROWS" : "ok", NR, first, last
        }' "$f")
    echo "  peak RSS of $1: ${verdict#* }" >&2
    if [[ $verdict == ok* ]]; then pass rss; else fail rss "peak RSS of $1 grows: ${verdict#* }"; fi
}
echo "stress: memory" >&2
rss_check seq-create
rss_check seq-delete
rss_check run

# ------------------------------------------------------------------ summary
passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
lfail=$(grep -c '^FAIL [a-z]*-leftovers' "$RESULTS")
echo
echo "sequential: $N lifecycles, $SEQ_RATE, $(grep -c '^FAIL seq:' "$RESULTS") failed"
echo "parallel:   $P x $M lifecycles, $PAR_RATE, $(grep -c '^FAIL par:' "$RESULTS") failed"
echo "hammer:     $R rounds on one id, $(grep -c '^FAIL hammer:' "$RESULTS") failed"
echo "fd samples: $(grep -c '^PASS [a-z]*-fds' "$RESULTS") ok, $(grep -c '^FAIL [a-z]*-fds' "$RESULTS") failed"
echo "leftovers:  $lfail"
echo "stress: $passed passed, $failed failed"
[ "$failed" = 0 ]
