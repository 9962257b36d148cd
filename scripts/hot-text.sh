#!/bin/bash
# hot-text.sh BUILD: makes BUILD/hot-text/*.ld, the linker scripts that pack
# the code berth's verbs run (scripts/hot-text.py says why), from a profile
# of BUILD's own verbs, and relinks BUILD with them. scripts/setup.sh runs it
# on the release build it installs; the scripts live in the build tree and
# are never committed, so they always describe the code they are linked
# with (-O2 and -O3 inline differently, and scripts made from one build
# packed 10-40% less of another). tests/scripts/installed-build.sh checks the
# result. Root (it runs containers); needs valgrind and busybox-static
# (scripts/install-deps.sh). About a minute.
#
# The verbs are profiled with callgrind as the benchmark runs them
# (bench/compare.sh): create/start/state/kill/delete of a sleeping container,
# run /bin/true, each with pids and memory limits, plus a create with cpu
# limits so that plugin is profiled too; and spec, list, ps, events --stats.
# Each binary is linked again (ninja's link, plus -Map, minus the current
# scripts) and those copies are the ones profiled: the map names the input
# section of every function that ran. A script is written for each binary a
# profile ran.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: hot-text.sh BUILD}" && pwd)
[ "$(id -u)" = 0 ] || { echo "hot-text.sh: run as root (it runs containers)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "hot-text.sh: needs valgrind (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-hot-text.XXXXXX)
root=$work/root
berth=$work/cli/berth
cleanup() {
    for id in $("$berth" --root "$root" list -q 2>/dev/null); do
        "$berth" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    done
    if [ -n "${HOT_TEXT_KEEP:-}" ]; then echo "hot-text.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Reconfigured: meson looks for the scripts at configure time.
meson setup --reconfigure "$build" >/dev/null
ninja -C "$build" >/dev/null

# relink TARGET OUT: the build's link of TARGET, to OUT, with OUT.map, and
# without the current hot-text script: valgrind reads function symbols only
# inside .text, so a binary with a packed section would profile as addresses.
relink() {
    local cmd
    cmd=$(cd "$build" && ninja -t commands "$1" | tail -n 1)
    [[ $cmd == *" -o $1 "* ]] || { echo "hot-text.sh: cannot find the link of $1" >&2; exit 1; }
    cmd=$(sed 's/ -Wl,-T,[^ ]*\/hot-text\/[^ ]*\.ld//' <<<"${cmd/ -o $1 / -o $2 }")
    mkdir -p "$(dirname "$2")"
    (cd "$build" && eval "$cmd -Wl,-Map=$2.map")
}
targets=(cli/berth)
for so in "$build"/plugins/*/berth-*.so; do targets+=("plugins/$(basename "$(dirname "$so")")/$(basename "$so")"); done
relink cli/berth "$berth"
for t in "${targets[@]:1}"; do relink "$t" "$work/$t"; done

# The bench's bundles (bench/compare.sh): busybox rootfs, pids and memory limits.
BERTH=$berth sh "$repo/tests/scripts/make-bundle.sh" "$work/sleep" sleep 3600 >/dev/null
python3 - "$work" <<'PY'
import json, os, shutil, sys
work = sys.argv[1]
path = os.path.join(work, "sleep", "config.json")
c = json.load(open(path))
res = c["linux"].setdefault("resources", {})
res["pids"] = {"limit": 1024}
res["memory"] = {"limit": 64 << 20}
json.dump(c, open(path, "w"))
for name, args, extra in (("true", ["/bin/true"], {}),
                          ("cpu", ["sleep", "3600"], {"cpu": {"shares": 512, "quota": 50000, "period": 100000}})):
    shutil.copytree(os.path.join(work, "sleep"), os.path.join(work, name), symlinks=True)
    d = json.loads(json.dumps(c))
    d["process"]["args"] = args
    d["linux"]["resources"].update(extra)
    json.dump(d, open(os.path.join(work, name, "config.json"), "w"))
PY
# The relinked plugins, as bench/lib.sh's build_tree_plugin_config lists a build tree's.
{
    printf 'plugin_dirs: ['; ls -d "$work"/plugins/*/ | sed 's,/$,,' | paste -sd, | sed 's/,/, /g; s/$/]/'
    echo 'plugins:'
    for so in "$work"/plugins/*/berth-*.so; do
        f=$(basename "$so"); n=${f#berth-}; n=${n%.so}; echo "  - {name: $n, file: $f}"
    done
} >"$work/plugins.yaml"
B=("$berth" --root "$root" --plugin-config "$work/plugins.yaml")
# Once natively: the plugin index learns the files, so the profiled creates
# skip the plugins they do not need, as every create after the first does.
"${B[@]}" create --bundle "$work/sleep" warm >/dev/null 2>&1 </dev/null
"${B[@]}" delete --force warm

profile() {  # profile NAME CMD...: callgrind of berth's own process (not the container's)
    local name=$1; shift
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/prof.$name.%p" "$@" \
        >/dev/null 2>&1 </dev/null || true
}
# Under valgrind the container's side of create fails (valgrind 3.19 lacks
# open_tree, which the child calls before it execs berth init), so create
# and run are profiled up to that failure and the error path; the rest of
# what they run (state, the fifo, hooks) is profiled through the other
# verbs, on a container created natively.
profile create "${B[@]}" create --bundle "$work/sleep" p1
"${B[@]}" delete --force p1 >/dev/null 2>&1 || true
"${B[@]}" create --bundle "$work/sleep" c1 >/dev/null 2>&1 </dev/null
profile start "${B[@]}" start c1
profile state "${B[@]}" state c1
profile ps "${B[@]}" ps c1
profile events "${B[@]}" events --stats c1
profile kill "${B[@]}" kill c1 KILL
for _ in $(seq 50); do
    # A state that fails (the container gone) is not an error here, under set -e.
    status=$("${B[@]}" state c1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') ||
        true
    [ "$status" = stopped ] && break
    sleep 0.1
done
profile delete "${B[@]}" delete c1
profile create-cpu "${B[@]}" create --bundle "$work/cpu" c2
"${B[@]}" delete --force c2 >/dev/null 2>&1 || true
profile run "${B[@]}" run --bundle "$work/true" r1
"${B[@]}" delete --force r1 >/dev/null 2>&1 || true
mkdir -p "$work/spec-out"; profile spec "$berth" spec --bundle "$work/spec-out"
profile list "${B[@]}" list
grep -q 'LockedContainer4load' "$work"/prof.state.* ||
    { echo "hot-text.sh: the state profile did not load a container" >&2; exit 1; }
profiles=("$work"/prof.*)
[ ${#profiles[@]} -ge 10 ] || { echo "hot-text.sh: only ${#profiles[@]} profiles were written" >&2; exit 1; }

generate() {  # generate TARGET SCRIPT
    local name; name=$(basename "$1")
    python3 "$repo/scripts/hot-text.py" --object "$name" --binary "$work/$1" --map "$work/$1.map" "${profiles[@]}" \
        >"$work/$name.ld"
    if grep -q '^    \*(\.text\.[^s]' "$work/$name.ld" || grep -q '\.a:' "$work/$name.ld"; then
        mv "$work/$name.ld" "$2"; echo "hot-text.sh: wrote $2"
    else
        rm -f "$2"; echo "hot-text.sh: $name: no profile ran it, no script"
    fi
}
mkdir -p "$build/hot-text"
for t in "${targets[@]}"; do
    case $t in
        cli/*) generate "$t" "$build/hot-text/berth.ld" ;;
        *) generate "$t" "$build/hot-text/$(basename "$(dirname "$t")").ld" ;;
    esac
done
# meson looks for the scripts at configure time.
meson setup --reconfigure "$build" >/dev/null
ninja -C "$build" >/dev/null
echo "hot-text.sh: $build relinked with them"
