#!/bin/bash
# criu-probe.sh: can CRIU checkpoint and restore here? Runs `criu check`, then checkpoints and
# restores (1) a plain counting process, (2) a runc busybox container, (3) with PODMAN=1, a podman
# container. Each counter appends 1,2,3,... to a log, and the check is that the log goes on
# growing after the restore with no gap and no restart. Prints one PASS/FAIL line per step and
# exits 0 only if every step passed. Logs and images stay in WORKDIR (default /tmp/criu-probe).
#
# Guest (Debian 6.1 kernel, Debian's CRIU 3.17.1 from `apt-get install criu`):
#   tests/v2vm/run.sh --modules "$(tests/v2vm/criu-probe.sh --modules)" -- tests/v2vm/criu-probe.sh
#   (the host's / is the guest's read-only root, so no --share is needed; WORKDIR is guest tmpfs.)
#   Measured under TCG on a busy 2-core host (load 12): 39-90 s per boot; criu check 1-2 s,
#   dump/restore of a process 0.5-1.6 s, runc checkpoint/restore 2-5.5 s each, podman 5-8 s each.
#   On the host with CRIU 4.1.1: 0.05-0.45 s per step.
#   The modules, in this order, are required:
#   * crc32c_generic first: busybox modprobe ignores libcrc32c's softdep on crc32c, and the
#     kernel's own request_module finds no usable modules.dep.bin, so nf_tables (which needs
#     libcrc32c) fails with "unknown symbol" unless crc32c is already loaded.
#   * nfnetlink + nf_tables: CRIU's kerndat nftables probe calls libnftables, which exit()s
#     ("mnl.c:60: Unable to initialize Netlink socket: Protocol not supported") without nfnetlink.
#   * nf_conntrack_netlink: dumping a container's network namespace dumps its conntrack table
#     over nfnetlink; without it the dump fails ("-22 reported by netlink: Invalid argument").
#   * *_diag: CRIU dumps sockets through sock_diag; without them `criu check` logs "Diag module
#     missing". Not needed by this probe (its processes hold no sockets); kept for real workloads.
#
# Host (6.18): Debian's CRIU 3.17 cannot start there ("vdso: Unexpected rt vDSO area bounds":
# it does not know the [vvar_vclock] mapping of kernels >= 6.13). Debian trixie's CRIU 4.1.1 works;
# tests/v2vm/criu-trixie.sh DIR fetches it (with its own glibc) and prints a wrapper to use:
#   CRIU=$(tests/v2vm/criu-trixie.sh /tmp/criu-4.1) tests/v2vm/criu-probe.sh
#
# Environment: CRIU (default: criu on PATH), PODMAN=1 to add the podman step (needs podman, runc).
set -u
MODULES="crc32c_generic nfnetlink nf_tables nf_conntrack_netlink"
MODULES="$MODULES unix_diag inet_diag tcp_diag udp_diag netlink_diag af_packet_diag"
if [ "${1:-}" = --modules ]; then echo "$MODULES"; exit 0; fi
W=${1:-/tmp/criu-probe}
CRIU=${CRIU:-$(command -v criu)}
[ -n "$CRIU" ] || { echo "FAIL no criu (apt-get install criu)"; exit 1; }
mkdir -p "$W" && W=$(cd "$W" && pwd) || exit 1
FAILED=0
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f s", b-a}'; }
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED+1)); }
errors() { [ -f "$1" ] && grep Error "$1" | tail -5 | sed 's/^/     /'; }
# the log must read 1..N with N > $2 (it went on counting after the restore)
unbroken() {
  awk -v min="$2" 'NR!=$1{print "gap at line " NR ": " $1; bad=1}
    END{if(bad) exit 1; if(NR<=min){print "not counting: " NR " lines"; exit 1}
        print NR " lines, 1.." NR " unbroken"}' "$1"
}
COUNTER='i=0; while :; do i=$((i+1)); echo $i >> LOG; sleep 0.2; done'

echo "kernel $(uname -r); $("$CRIU" --version | head -1) ($CRIU)"

# 1. criu check
t=$(now); out=$("$CRIU" check -v4 -o "$W/check.log" 2>&1); rc=$?
if [ $rc = 0 ]; then pass "criu check: $(echo $out) ($(since $t))"
else fail "criu check rc=$rc: $out"; errors "$W/check.log"; echo "criu cannot start; stopping"; exit 1; fi

# 2. a plain process (a session leader with no tty: no --shell-job)
P=$W/proc; rm -rf "$P"; mkdir -p "$P/img"
setsid sh -c "${COUNTER//LOG/$P/log}" </dev/null >/dev/null 2>&1 &
pid=$!; disown $pid; sleep 1.5   # bash still reaps it, without a "Killed" notice
t=$(now)
if "$CRIU" dump -t $pid -D "$P/img" -v4 -o dump.log; then
  d=$(since $t)
  # restore needs the pid free: wait until no zombie still holds it as its session id (the
  # killed `sleep` child is reparented to PID 1, which may take a second or two to reap it)
  for _ in $(seq 100); do ps -eo sid= | grep -qx " *$pid" || break; sleep 0.1; done
  n=$(wc -l < "$P/log"); sleep 0.6
  if [ "$(wc -l < "$P/log")" != "$n" ]; then fail "process: still counting after dump"; fi
  t=$(now)
  if "$CRIU" restore -D "$P/img" -d -v4 -o restore.log; then
    r=$(since $t); sleep 1.5
    if msg=$(unbroken "$P/log" $((n+2))); then pass "process: dump $d, restore $r, $msg"
    else fail "process: $msg"; fi
    kill $pid 2>/dev/null
  else fail "process: restore"; errors "$P/img/restore.log"; fi
else fail "process: dump"; errors "$P/img/dump.log"; kill $pid; fi

# a busybox rootfs (busybox-static) for the container steps
R=$W/rootfs; rm -rf "$R"; mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
BB=$(command -v busybox) && cp "$BB" "$R/bin/busybox" || { fail "no busybox (apt-get install busybox-static)"; exit 1; }
for a in sh sleep cat tail ps ls; do ln -s busybox "$R/bin/$a"; done  # few: each exec costs ~0.1 s over 9p
command -v jq >/dev/null || { fail "no jq"; exit 1; }

# 3. runc checkpoint / restore (runc drives `criu swrk` over RPC)
if command -v runc >/dev/null; then
  B=$W/runc; rm -rf "$B"; mkdir -p "$B/bundle"; cp -a "$R" "$B/bundle/rootfs"
  ( cd "$B/bundle" && runc spec ) || fail "runc spec"
  jq --arg c "${COUNTER//LOG//log}" '.process.terminal=false | .process.args=["sh","-c",$c] | .root.readonly=false' \
    "$B/bundle/config.json" > "$B/c.json" && mv "$B/c.json" "$B/bundle/config.json"
  RC="runc --root $B/state --criu $CRIU"; id=criu-probe-$$
  $RC run -d --bundle "$B/bundle" $id </dev/null >/dev/null 2>&1 || fail "runc run"
  sleep 1.5; t=$(now)
  if $RC checkpoint --image-path "$B/img" --work-path "$B/work" $id; then
    d=$(since $t); n=$(wc -l < "$B/bundle/rootfs/log"); sleep 0.6
    [ "$(wc -l < "$B/bundle/rootfs/log")" = "$n" ] || fail "runc: still counting after checkpoint"
    t=$(now)
    if $RC restore -d --image-path "$B/img" --work-path "$B/work2" --bundle "$B/bundle" $id \
        </dev/null >/dev/null 2>&1; then
      r=$(since $t); sleep 1.5
      if msg=$(unbroken "$B/bundle/rootfs/log" $((n+2))); then
        pass "runc $(runc --version | head -1 | cut -d' ' -f3): checkpoint $d, restore $r, $msg," \
             "image $(du -sh "$B/img" | cut -f1)"
      else fail "runc: $msg"; fi
    else fail "runc restore"; errors "$B/work2/restore.log"; fi
  else fail "runc checkpoint"; errors "$B/work/dump.log"; fi
  $RC delete -f $id >/dev/null 2>&1
else echo "SKIP runc: not installed"; fi

# 4. podman (Debian's crun 1.8.1 is built without CRIU: podman must use runc)
if [ "${PODMAN:-0}" = 1 ]; then
  M=$W/podman; rm -rf "$M"; mkdir -p "$M"
  # podman -> runc -> `criu` on PATH: put $CRIU first there
  mkdir -p "$M/bin" && ln -sf "$CRIU" "$M/bin/criu" && export PATH="$M/bin:$PATH"
  PM="podman --root $M/root --runroot $M/run --storage-driver vfs --cgroup-manager cgroupfs"
  PM="$PM --events-backend file --runtime runc"
  tar -C "$R" -cf "$M/rootfs.tar" . && $PM import -q "$M/rootfs.tar" localhost/criu-probe >/dev/null ||
    fail "podman import"
  $PM run -d --name criu-probe --network none localhost/criu-probe sh -c "${COUNTER//LOG//log}" >/dev/null ||
    fail "podman run"
  sleep 1.5; t=$(now)
  if $PM container checkpoint criu-probe >/dev/null; then
    d=$(since $t); sleep 0.6; t=$(now)
    if $PM container restore criu-probe >/dev/null; then
      r=$(since $t); sleep 1.5
      $PM exec criu-probe cat /log > "$M/log"
      if msg=$(unbroken "$M/log" 8); then
        pass "podman $(podman --version | cut -d' ' -f3): checkpoint $d, restore $r, $msg"
      else fail "podman: $msg"; fi
    else fail "podman restore"; fi
  else fail "podman checkpoint"; fi
  $PM rm -f -t 0 criu-probe >/dev/null 2>&1
fi

[ $FAILED = 0 ] && echo "criu-probe: all passed" || echo "criu-probe: $FAILED failed"
exit $((FAILED > 0))
