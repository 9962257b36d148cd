#!/usr/bin/env python3
"""profile.py TRACE CONTAINERS: where a runtime's time goes, per container,
from `perf script -F comm,tid,time,event,period,trace,ip,sym,dso` of a
system-wide `perf record -g -e cpu-clock -e sched:sched_switch` taken by
bench/profile.sh around CONTAINERS sequential `run` + `delete`.

CPU: each cpu-clock sample is a slice of one CPU. Idle is dropped, the loop's
shell is "driver", kernel threads (kworker: cgroup teardown, RCU callbacks)
are counted apart since they work for the containers outside any of their
processes, and "true" is the container's program. The runtime's kernel time is
split by the outermost kernel entry on the stack: the page-fault handler, a
system call by name, or a new process's first return (ret_from_fork).

Blocked: the time the runtime's processes spent switched out in a sleeping
state, by where they slept (the first kernel frames past the scheduler).
Waiting for another of the runtime's own processes (a socket read, wait4, a
fifo, a futex) is shown as it is: it is the handshake, not the kernel.
"""
import collections
import re
import sys

SYSCALL = re.compile(r"^(?:__x64_sys_|__do_sys_|__se_sys_)(\w+)")
DRIVER = {"loop.sh", "bash", "sh", "perf", "sleep", "timeout"}
SCHED = re.compile(r"^(__schedule|schedule\w*|io_schedule\w*|__cond_resched|preempt_schedule\w*|"
                   r"wait_for_completion\w*|do_nanosleep|hrtimer_nanosleep|__wait_rcu_gp|"
                   r"\w*_slowpath|rwsem_down_\w+|percpu_rwsem_wait|__mutex_lock\w*|mutex_lock\w*|"
                   r"down_\w+|__down_\w+|folio_wait_bit_common|wait_on_page_bit_common)$")


# The runtimes' and the container's own names. perf records fewer FORK events
# than processes under parallel loops (571 for 160 containers of 4+ processes),
# so a task is also the runtime's by its name: nothing else here runs these.
OURS_BY_NAME = re.compile(r"^(berth|crun|runc|memfd:|true$|sh$)")


def who(comm, tid, ours):
    if comm.startswith("swapper"):
        return None
    if tid not in ours and not OURS_BY_NAME.match(comm):
        if comm.startswith(("kworker", "ksoftirqd", "rcu", "migration", "kthreadd", "jbd2")):
            return "kernel threads (kworker, rcu, jbd2)"
        return "other processes"
    if comm in DRIVER:
        return "driver"
    if comm == "true":
        return "the container's program"
    return "runtime"


def cpu_class(comm, tid, ours, frames):
    w = who(comm, tid, ours)
    if w != "runtime":
        return w
    if not frames:
        return "runtime: ?"
    if "kernel" not in frames[0][1]:
        return "runtime user: " + (frames[0][1].split("/")[-1] or "?")
    entry = None
    for sym, dso in frames:
        if "kernel" not in dso:
            break
        if sym in ("exc_page_fault", "asm_exc_page_fault"):
            entry = "page faults"
        elif sym in ("ret_from_fork", "ret_from_fork_asm") and entry is None:
            entry = "new process start"
        else:
            m = SYSCALL.match(sym)
            if m:
                entry = "syscall " + m.group(1)
    return "runtime kernel: " + (entry or "other")


def block_class(frames):
    kernel = [s for s, d in frames if "kernel" in d]
    rest = [s for s in kernel if not SCHED.match(s)]
    return " < ".join(rest[:3]) or "?"


HEAD = re.compile(r"^\s*(.+?)\s+(\d+)\s+(\d+\.\d+):\s+(\d+)\s+([\w:-]+):\s*(.*)$")
TASK = re.compile(r"^.*?PERF_RECORD_(FORK\(\d+:\d+\):\(\d+:\d+\)|COMM|EXIT)\S*:?\s*(.*)$")
FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")


def samples(path):
    block = []
    for line in open(path, errors="replace"):
        if line.strip():
            block.append(line.rstrip("\n"))
            continue
        if block:
            yield block
        block = []
    if block:
        yield block


def main(path, containers):
    cpu = collections.Counter()
    blocked = collections.Counter()
    out = {}  # tid -> (time, class) of a runtime task switched out asleep
    cpu_total = 0
    idle = 0
    first = last = None
    ours = set()  # the driver (the loop's shell) and its descendants
    for block in samples(path):
        task = TASK.match(block[0])
        if task:
            what = re.sub(r"^exec:\s*", "", task.group(2))
            if task.group(1) == "COMM" and what.startswith("loop.sh:") and not ours:
                ours.add(what.split(":")[1].split("/")[1])
            elif task.group(1).startswith("FORK"):
                child, parent = re.findall(r"\((\d+):(\d+)\)", task.group(1))
                if parent[1] in ours:
                    ours.add(child[1])
            continue
        m = HEAD.match(block[0])
        if not m:
            continue
        comm, tid, t, period, event, rest = m.groups()
        frames = []
        for l in block[1:]:
            f = FRAME.match(l)
            if f:
                frames.append((re.sub(r"\+0x[0-9a-f]+$", "", f.group(1)), f.group(2)))
        if event == "cpu-clock":
            first = first if first is not None else float(t)
            last = float(t)
            if comm.startswith("swapper"):
                idle += int(period)
            c = cpu_class(comm, tid, ours, frames)
            if c:
                cpu[c] += int(period)
                cpu_total += int(period)
            continue
        if event != "sched:sched_switch":
            continue
        t = float(t)
        sw = re.search(r"prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)", rest)
        if not sw:
            continue
        prev_comm, prev_pid, state, _, next_pid = sw.groups()
        if next_pid in out:
            t0, c = out.pop(next_pid)
            blocked[c] += t - t0
        if who(prev_comm, prev_pid, ours) == "runtime" and state not in ("R", "R+"):
            out[prev_pid] = (t, block_class(frames))
    ms = lambda ns: ns / 1e6 / containers
    if first is not None and last > first:
        print(f"Wall: {last - first:.2f} s, {containers / (last - first):.1f} containers/s; "
              f"CPU idle: {ms(idle):.2f} ms per container")
    print(f"CPU, not idle: {ms(cpu_total):.2f} ms per container")
    for c, ns in sorted(cpu.items(), key=lambda kv: -kv[1]):
        if ms(ns) >= 0.1:
            print(f"  {ms(ns):7.2f} ms {100 * ns / cpu_total:5.1f}%  {c}")
    total = sum(blocked.values())
    print(f"Blocked (the runtime's processes asleep): {1e3 * total / containers:.2f} ms per container")
    for c, s in blocked.most_common(14):
        if 1e3 * s / containers >= 0.1:
            print(f"  {1e3 * s / containers:7.2f} ms  {c}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
