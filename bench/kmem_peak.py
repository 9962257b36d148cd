#!/usr/bin/env python3
"""kmem_peak.py TRACE: the kernel memory a container's init had charged at
its peak, from `perf script` output of bench/kmem-peak.sh.

The trace holds every memcg-accounted allocation (slab objects with
accounted=true, kmalloc and pages with __GFP_ACCOUNT), every free, and the
execs. The init is the process that execs the container's program (the last
exec of the trace). Its allocations are followed until freed (by anyone);
the peak is the largest live sum, which is what a memory limit must hold.
Each allocation is labelled with the phase of the init it was made in (the
runtime's code before any exec, then each exec from the moment it is
entered: an exec builds the new image's page tables before it completes)
and its slab cache and call site, or "pages" for whole pages (page tables,
pipe buffers).
"""
import collections
import re
import sys

FIELD = {k: re.compile(k + r"=(\S+)") for k in ("ptr", "pfn", "order", "bytes_alloc", "name", "call_site", "filename")}


def field(line, key):
    m = FIELD[key].search(line)
    return m.group(1) if m else None


def main(path):
    lines = open(path, errors="replace").read().splitlines()
    execs = [(l.split()[1].split("/")[0], field(l, "filename")) for l in lines if "sched_process_exec" in l]
    if not execs:
        sys.exit("kmem_peak.py: no exec in the trace")
    init = execs[-1][0]
    names = ["runtime"]  # phase names; an exec is named once it completes
    phase = 0
    live = {}
    peak, at_peak = 0, {}
    total = 0
    for l in lines:
        parts = l.split()
        if len(parts) < 3:
            continue
        pid = parts[1].split("/")[0]
        if "sys_enter_exec" in l:
            if pid == init:
                names.append("a failed exec")
                phase = len(names) - 1
            continue
        if "sched_process_exec" in l:
            if pid == init:
                names[phase] = "exec " + field(l, "filename")
            continue
        if "kmem_cache_free" in l or "kfree:" in l:
            v = live.pop(("o", field(l, "ptr")), None)
            if v:
                total -= v[0]
            continue
        if "mm_page_free" in l:
            v = live.pop(("p", field(l, "pfn")), None)
            if v:
                total -= v[0]
            continue
        if pid != init:
            continue
        if "mm_page_alloc" in l:
            key, size, what = ("p", field(l, "pfn")), 4096 << int(field(l, "order")), "pages"
        else:
            site = (field(l, "call_site") or "?").split("+")[0]
            key, size, what = (("o", field(l, "ptr")), int(field(l, "bytes_alloc")),
                               (field(l, "name") or "kmalloc") + " @" + site)
        old = live.pop(key, None)
        if old:
            total -= old[0]
        live[key] = (size, phase, what)
        total += size
        if total > peak:
            peak, at_peak = total, dict(live)
    by_phase, by_what = collections.Counter(), collections.Counter()
    for size, ph, what in at_peak.values():
        ph = names[ph]
        by_phase[ph] += size
        by_what[(ph, what)] += size
    print(f"peak: {peak / 1024:.1f} KiB live, allocated by the init (pid {init})")
    for ph, size in by_phase.items():
        print(f"  {size / 1024:7.1f} KiB  {ph}")
    print("largest parts at the peak:")
    for (ph, what), size in by_what.most_common(12):
        print(f"  {size / 1024:7.1f} KiB  {ph}: {what}")


if __name__ == "__main__":
    main(sys.argv[1])
