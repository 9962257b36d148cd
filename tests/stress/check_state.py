#!/usr/bin/env python3
"""After a round of concurrent verbs on one id: is berth's state consistent
with the machine?

usage: check_state.py ROOT ID ROOTFS STATE_RC STATE_OUT STATE_ERR [OK_OUT...]

STATE_* are the exit status, stdout and stderr of `berth state ID` run once
every verb of the round had returned; OK_OUT are the outputs of the round's
own `state`, `ps` and `list` calls that succeeded, named ok.VERB.N. Prints one line per problem and
exits 1 if there is any.
"""
import json
import os
import sys

root, cid, rootfs, state_rc, state_out, state_err = sys.argv[1:7]
ok_outputs = sys.argv[7:]
problems = []
_r = os.stat(rootfs)
ROOTFS_ID = (_r.st_dev, _r.st_ino)
STATUSES = ("created", "running", "stopped")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def proc_stat(pid):
    """(state, start_time) from /proc/PID/stat, or None when gone."""
    text = read(f"/proc/{pid}/stat")
    if not text:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return fields[0], int(fields[19])


def alive(pid, start_time):
    st = proc_stat(pid)
    return st is not None and st[1] == start_time and st[0] not in "ZX"


def runs_stub(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe").startswith("/memfd:berth-init")
    except OSError:
        return False


def container_processes():
    """Live pids whose cgroup is the id's default cgroup, or whose root is the bundle's rootfs."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(name)
        if st is None or st[0] in "ZX":
            continue
        cg = read(f"/proc/{name}/cgroup") or ""
        if any(line.endswith(f":/{cid}") for line in cg.splitlines()):
            found.add(int(name))
            continue
        # A container's root is a bind mount of the rootfs: same device and inode.
        try:
            r = os.stat(f"/proc/{name}/root")
            if (r.st_dev, r.st_ino) == ROOTFS_ID:
                found.add(int(name))
        except OSError:
            pass
    return found


# The round's own successful `state`, `ps` and `list` calls (files named
# ok.VERB.N) printed whole, valid JSON.
for path in ok_outputs:
    verb = os.path.basename(path).split(".")[1]
    try:
        j = json.loads(read(path) or "")
        if verb == "state":
            states = [j]
        elif verb == "list":
            states = j
        else:
            states = []
            if not isinstance(j, list) or not all(isinstance(p, int) for p in j):
                problems.append(f"a `ps` during the round printed {j!r:.200}")
        for st in states:
            if st.get("id") != cid or st.get("status") not in STATUSES:
                problems.append(f"a `{verb}` during the round printed id {st.get('id')!r} status {st.get('status')!r}")
    except (ValueError, AttributeError, TypeError) as e:
        problems.append(f"a `{verb}` during the round printed invalid JSON ({e}): {read(path)!r:.200}")

entries = sorted(os.listdir(root)) if os.path.isdir(root) else []
for e in entries:
    if e != cid:
        problems.append(f"stray entry in the state root: {e}")

cdir = os.path.join(root, cid)
raw = None
if os.path.isdir(cdir):
    files = sorted(os.listdir(cdir))
    extra = [f for f in files if f not in ("state.json", "exec.fifo", "exec.json")]
    if extra:
        problems.append(f"unexpected files in {cdir}: {extra}")
    text = read(os.path.join(cdir, "state.json"))
    if text is None:
        problems.append(f"{cdir} has no state.json once every verb has returned")
    else:
        try:
            raw = json.loads(text)
        except ValueError as e:
            problems.append(f"state.json is not valid JSON ({e}): {text!r:.200}")

if state_rc == "0":
    try:
        st = json.loads(read(state_out) or "")
    except ValueError as e:
        st = None
        problems.append(f"`state` printed invalid JSON ({e})")
    if not os.path.isdir(cdir):
        problems.append("`state` succeeded but there is no state directory")
    if st is not None and raw is not None:
        status = st.get("status")
        pid, start = raw.get("pid", 0), raw.get("start_time", 0)
        live = alive(pid, start) if pid > 0 else False
        fifo = os.path.exists(os.path.join(cdir, "exec.fifo"))
        if status not in STATUSES:
            problems.append(f"status {status!r} once every verb has returned")
        elif status == "created" and not (live and runs_stub(pid) and fifo):
            problems.append(f"status created but init {pid} alive={live} stub={runs_stub(pid)} fifo={fifo}")
        elif status == "running" and not (live and not runs_stub(pid)):
            problems.append(f"status running but init {pid} alive={live} stub={runs_stub(pid)}")
        elif status == "stopped" and live:
            problems.append(f"status stopped but init {pid} is alive")
        if st.get("pid") != (0 if status == "stopped" else pid):
            problems.append(f"`state` says pid {st.get('pid')}, state.json {pid}")
        procs = container_processes()
        allowed = {pid} if status in ("created", "running") else set()
        if procs - allowed:
            problems.append(f"container processes {sorted(procs - allowed)} besides init {sorted(allowed)} "
                            f"(status {status})")
else:
    err = read(state_err) or ""
    if os.path.isdir(cdir):
        problems.append(f"`state` failed ({state_rc}) though {cdir} exists: {err.strip()[:200]}")
    elif state_rc != "1" or "container does not exist" not in err:
        problems.append(f"`state` of a deleted container: exit {state_rc}, {err.strip()[:200]!r}")
    procs = container_processes()
    if procs:
        problems.append(f"container processes {sorted(procs)} left with no state")
    for base in ("/sys/fs/cgroup", *(f"/sys/fs/cgroup/{h}" for h in sorted(os.listdir("/sys/fs/cgroup")))):
        d = f"{base}/{cid}"
        if os.path.isdir(d):
            problems.append(f"cgroup {d} left with no state")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
