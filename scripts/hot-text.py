#!/usr/bin/env python3
"""hot-text.py --binary BIN --map MAP PROFILE...: a GNU ld script that packs
the code a verb runs into one output section placed before .text.

Why: a verb's peak RSS is mostly text pages, and the kernel maps 64 kB of
page cache around each fault (fault-around), so one hot function sitting
among cold ones costs the whole window. Packed, the hot code costs about its
own size. The functions come from callgrind profiles of the verbs (names as
in the symbol table, --demangle=no); the map of the same link says which
input section holds each one. A named section (-ffunction-sections) is
listed by name; an archive member built without function sections is
listed whole, by member. Names that no longer exist match nothing: a stale
script costs memory, never correctness.
"""
import argparse
import bisect
import re
import subprocess
import sys


def profile_names(paths, obj):
    """For each profile, the functions it saw run in the object whose file
    name is obj."""
    per_profile = []
    for path in paths:
        names = set()
        per_profile.append(names)
        # Compressed callgrind format: "ob=(N) PATH" once, then "ob=(N)";
        # fn= is in the current ob, cfn= in the cob= before it (else ob).
        objs, ob, cob = {}, None, None
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"(c?ob)=\((\d+)\)(?: (.+))?$", line)
                if m:
                    if m.group(3):
                        objs[m.group(2)] = m.group(3).strip().rsplit("/", 1)[-1]
                    if m.group(1) == "ob":
                        ob = objs.get(m.group(2))
                    else:
                        cob = objs.get(m.group(2))
                    continue
                m = re.match(r"(c?fn)=\(\d+\) (.+)$", line)
                if m:
                    where = ob if m.group(1) == "fn" else (cob or ob)
                    if where == obj:
                        # callgrind marks recursion depth as NAME'2
                        names.add(re.sub(r"'\d+$", "", m.group(2).strip()))
                if line.startswith(("fn=", "calls=")):
                    cob = None  # a cob= holds for one call only
    return per_profile


def symbol_addresses(binary, names):
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    addrs = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwWiI" and parts[2] in names:
            addrs.append(int(parts[0], 16))
    return sorted(addrs)


def text_input_sections(map_path):
    """(address, size, section, file) of every input section of .text and
    of a packed section from an earlier script (.text.*)."""
    sections, in_text, pending = [], False, None
    with open(map_path) as f:
        for line in f:
            if line and not line[0].isspace():
                # An output section starts at column 0.
                in_text = re.match(r"\.text(\.\S+)?(\s|$)", line) is not None
                continue
            if not in_text:
                continue
            parts = line.split()
            if not parts:
                continue
            if line.startswith(" ") and not line.startswith("  ") and parts[0].startswith(".text"):
                if len(parts) >= 4 and parts[1].startswith("0x"):
                    sections.append((int(parts[1], 16), int(parts[2], 16), parts[0], " ".join(parts[3:])))
                    pending = None
                else:
                    pending = parts[0]  # a long name: address, size and file follow
            elif pending and parts[0].startswith("0x") and len(parts) >= 3 and parts[1].startswith("0x"):
                sections.append((int(parts[0], 16), int(parts[1], 16), pending, " ".join(parts[2:])))
                pending = None
    sections.sort()
    return sections


def pattern(section, file):
    if section != ".text":
        return f"*({section})"
    m = re.match(r"(.*/)?([^/]+\.a)\(([^)]+)\)$", file)
    if m:
        return f"*{m.group(2)}:{m.group(3)}(.text)"
    return f"*{file.rsplit('/', 1)[-1]}(.text)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--map", required=True)
    ap.add_argument("--section", default=".text.hot", help="name of the packed output section")
    ap.add_argument("--object", help="the file name the profiles know BINARY by (default: its own)")
    ap.add_argument("--verbs", type=lambda v: v.split(","),
                    default="state,kill,start,delete,create,create-cpu,run,list,ps,events,spec".split(","),
                    help="verbs whose code is packed first, in this order; a profile is named prof.VERB.PID")
    ap.add_argument("profiles", nargs="+")
    args = ap.parse_args()

    per_profile = profile_names(args.profiles, args.object or args.binary.rsplit("/", 1)[-1])
    sections = text_input_sections(args.map)
    starts = [s[0] for s in sections]
    # pattern -> [profiles that ran it, first address, size]
    found = {}
    for n, names in enumerate(per_profile):
        for a in symbol_addresses(args.binary, names):
            i = bisect.bisect_right(starts, a) - 1
            if i < 0 or not sections[i][0] <= a < sections[i][0] + sections[i][1]:
                continue  # not in .text (.init, .plt, ...)
            start, length, section, file = sections[i]
            if section.startswith((".text.startup", ".text.exit")):
                continue  # listed whole below / never run before exit
            entry = found.setdefault(pattern(section, file), [set(), start, length])
            entry[0].add(n)
    # Each verb's code after what the verbs before it in --verbs ran, and
    # within one verb's part what more profiles share first: `state` touches
    # the first windows only, create and run the part up to theirs, and the
    # rarer verbs' code (ps, events, list, spec) comes after all of that.
    def rank(n):
        verb = args.profiles[n].rsplit("/", 1)[-1].split(".")[1:2]
        return args.verbs.index(verb[0]) if verb and verb[0] in args.verbs else len(args.verbs)
    chosen = sorted(found, key=lambda p: (min(rank(n) for n in found[p][0]), -len(found[p][0]), found[p][1]))
    size = sum(found[p][2] for p in chosen)
    print(f"hot-text.py: {len(set().union(*per_profile))} executed functions, "
          f"{len(chosen)} input sections, {size} bytes", file=sys.stderr)
    print("/* Generated by scripts/hot-text.sh: do not edit. Why: scripts/hot-text.py. */")
    # tests/scripts/installed-build.sh compares what a build packs with this.
    print(f"/* packed when generated: {size} bytes */")
    print("SECTIONS {")
    print(f"  {args.section} : {{")
    # Static constructors all run at every start.
    print("    *(.text.startup .text.startup.*)")
    for p in chosen:
        print(f"    {p}")
    print("  }")
    print("} INSERT BEFORE .text;")


if __name__ == "__main__":
    main()
