#!/usr/bin/env bash
# plugins.sh: berth `create` and `run` with the five original plugins enabled
# against every in-tree plugin enabled (issue 9's benchmark row), the two
# configs interleaved round by round on one bundle. Prints medians and the
# ratio all/five. See bench/README.md.
#
# usage: sudo bench/plugins.sh [-n N] [--rss-rounds K] [--berth PATH] [--json FILE]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

# The two plugin sets. A new in-tree plugin goes into ALL_PLUGINS (one word);
# a built plugin missing from it is reported, so the row cannot silently
# leave one out.
FIVE_PLUGINS="cgroup-cpu cgroup-memory cgroup-pids cgroup-devices mounts"
ALL_PLUGINS="$FIVE_PLUGINS cgroup-cpuset cgroup-hugetlb cgroup-io cgroup-rdma cgroup-misc cgroup-network"
SETS=(five all)

N=20
RSS_ROUNDS=3
BERTH=
JSON=
MEM_LIMIT=$((64 * 1024 * 1024))   # the same limits as compare.sh's bundle
PIDS_LIMIT=64

die() { echo "plugins.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        -n) N=${2:-}; shift 2 || die "-n needs a number" ;;
        --rss-rounds) RSS_ROUNDS=${2:-}; shift 2 || die "--rss-rounds needs a number" ;;
        --berth) BERTH=${2:-}; shift 2 || die "--berth needs a path" ;;
        --json) JSON=${2:-}; shift 2 || die "--json needs a file" ;;
        -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, not '$N'"
[[ $RSS_ROUNDS =~ ^[0-9]+$ ]] || die "--rss-rounds wants a non-negative integer, not '$RSS_ROUNDS'"
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"

PREFIX=pb$$    # container ids: pb<pid>-<set>-<what><round>
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
find_berth "$BERTH" || die "berth binary '$REPLY' not found (ninja -C $repo/build, or --berth PATH)"
BIN=$REPLY
PDIR=$(readlink -f "$(dirname "$BIN")/../plugins")

TMP=$(mktemp -d /tmp/berth-plugins.XXXXXX) || die "mktemp failed"
ROOT=$TMP/root
NERR=0
cleanup() {
    local d
    trap - EXIT INT TERM
    for d in "$ROOT"/"$PREFIX"-*; do
        [ -e "$d" ] && "$BIN" --root "$ROOT" delete --force "${d##*/}" >/dev/null 2>&1 </dev/null
    done
    close_sleep_fifo
    rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
open_sleep_fifo
mkdir -p "$ROOT"

# One plugins.yaml per set, from the plugins built next to berth.
for so in "$PDIR"/*/berth-*.so; do
    [ -e "$so" ] || die "no plugins built in $PDIR"
    name=${so##*/berth-}; name=${name%.so}
    [[ " $ALL_PLUGINS " == *" $name "* ]] ||
        echo "plugins.sh: note: $name is built but not in ALL_PLUGINS (add it at the top of $0)" >&2
done
write_config() {  # write_config SET NAMES
    local set=$1 name dirs=() entries=()
    for name in $2; do
        [ -e "$PDIR/$name/berth-$name.so" ] || die "plugin $name not built ($PDIR/$name/berth-$name.so)"
        dirs+=("$PDIR/$name"); entries+=("  - {name: $name, file: berth-$name.so}")
    done
    { (IFS=,; echo "plugin_dirs: [${dirs[*]}]"); echo "plugins:"; printf '%s\n' "${entries[@]}"; } >"$TMP/$set.yaml"
}
write_config five "$FIVE_PLUGINS"
write_config all "$ALL_PLUGINS"

# The bundle of compare.sh: busybox rootfs, `berth spec`, pids and memory limits.
# shellcheck disable=SC2015  # any step failing dies, which is what A && B || C does here
BERTH=$BIN sh "$repo/tests/scripts/make-bundle.sh" "$TMP/true" /bin/true >"$TMP/bundle.log" 2>&1 &&
    cp -a "$TMP/true" "$TMP/sleep" &&
    python3 - "$TMP" "$MEM_LIMIT" "$PIDS_LIMIT" <<'PY' >>"$TMP/bundle.log" 2>&1 ||
import json, sys
top, mem, pids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for name, args in (("true", ["/bin/true"]), ("sleep", ["sleep", "3600"])):
    path = f"{top}/{name}/config.json"
    c = json.load(open(path))
    c["linux"].setdefault("resources", {}).update({"memory": {"limit": mem}, "pids": {"limit": pids}})
    c["process"]["args"] = args
    json.dump(c, open(path, "w"), indent=2)
PY
    { cat "$TMP/bundle.log" >&2; die "making the bundle failed"; }

# leftover ID: 0 when ID left no state dir and no cgroup.
leftover() {
    local d bad=0
    [ -e "$ROOT/$1" ] && { echo "ERROR: $1: state dir left behind" >&2; bad=1; }
    for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/*/*/"$1" /sys/fs/cgroup/*/*/*/"$1"; do
        [ -d "$d" ] && { echo "ERROR: $1: cgroup $d left behind" >&2; bad=1; }
    done
    return $bad
}
fail() {  # fail ID WHAT OUT
    echo "ERROR: $2 of $1 failed:" >&2; sed 's/^/    /' "$3" >&2
    NERR=$((NERR + 1))
    "$BIN" --root "$ROOT" delete --force "$1" >/dev/null 2>&1 </dev/null
}
sample() { echo "$3" >>"$TMP/s.$1.$2"; }

# one_round SET ID [TIME]: a timed `run`, then a timed `create` of a sleeping
# container, deleted untimed. With TIME, both under /usr/bin/time for peak RSS.
one_round() {
    local set=$1 id=$2 rss=${3:-} out=$TMP/out t0 pre=()
    local C=("$BIN" --root "$ROOT" --plugin-config "$TMP/$set.yaml")
    [ -n "$rss" ] && pre=(/usr/bin/time -f %M -o "$TMP/rss")
    now_us; t0=$REPLY
    "${pre[@]}" "${C[@]}" run --bundle "$TMP/true" "$id-r" >"$out" 2>&1 </dev/null ||
        { fail "$id-r" run "$out"; return 1; }
    now_us
    if [ -n "$rss" ]; then sample rss_run "$set" "$(tail -n 1 "$TMP/rss")"; else sample run "$set" $((REPLY - t0)); fi
    leftover "$id-r" || NERR=$((NERR + 1))
    now_us; t0=$REPLY
    "${pre[@]}" "${C[@]}" create --bundle "$TMP/sleep" "$id-c" >"$out" 2>&1 </dev/null ||
        { fail "$id-c" create "$out"; return 1; }
    now_us
    if [ -n "$rss" ]; then
        sample rss_create "$set" "$(tail -n 1 "$TMP/rss")"
    else
        sample create "$set" $((REPLY - t0))
    fi
    "${C[@]}" delete --force "$id-c" >"$out" 2>&1 </dev/null || { fail "$id-c" delete "$out"; return 1; }
    leftover "$id-c" || NERR=$((NERR + 1))
}

echo "plugins.sh: $BIN; five: $FIVE_PLUGINS; all: $ALL_PLUGINS" >&2
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up, untimed: page cache, and the plugin index (/run/berth-plugin-index.json,
# keyed by plugin file, so one record serves both sets) gets every plugin's record.
for set in "${SETS[@]}"; do
    one_round "$set" "$PREFIX-$set-w" || die "berth fails with the '$set' plugin set (see above)"
done
rm -f "$TMP"/s.*
for ((r = 1; r <= N; r++)); do
    order=("${SETS[@]}"); ((r % 2)) && order=("${SETS[1]}" "${SETS[0]}")
    for set in "${order[@]}"; do one_round "$set" "$PREFIX-$set-$r"; done
done
for ((r = 1; r <= RSS_ROUNDS; r++)); do
    for set in "${SETS[@]}"; do one_round "$set" "$PREFIX-$set-m$r" rss; done
done

FIGS=(create run rss_create rss_run)
declare -A LABEL=([create]="create, sleeping container (ms)" [run]="run /bin/true wall (ms)"
                  [rss_create]="peak RSS of create (kB)" [rss_run]="peak RSS of run (kB)")
declare -A VAL=()
for f in "${FIGS[@]}"; do
    for set in "${SETS[@]}"; do
        v=$(median "$TMP/s.$f.$set")
        [[ $f == rss_* || $v == - ]] || v=$(awk -v u="$v" 'BEGIN {printf "%.2f", u / 1000}')
        VAL["$f $set"]=$v
    done
done
echo
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cpus; kernel $(uname -r);" \
     "load $LOAD_START -> $(cut -d' ' -f1-3 /proc/loadavg)"
echo "n=$N rounds, peak RSS: $RSS_ROUNDS rounds;" \
     "cgroups as the host has them ($(mountpoint -q /sys/fs/cgroup/unified && echo hybrid || echo as mounted))"
{
    printf 'figure\tfive\tall\tall/five\n'
    for f in "${FIGS[@]}"; do
        a=${VAL["$f five"]} b=${VAL["$f all"]} q=-
        [[ $a =~ ^[0-9.]+$ && $b =~ ^[0-9.]+$ ]] && q=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')
        printf '%s\t%s\t%s\t%s\n' "${LABEL[$f]}" "$a" "$b" "$q"
    done
} | column -t -s $'\t'
echo "errors: $NERR"
if [ -n "$JSON" ]; then
    {
        printf '{"date": "%s", "rounds": %s, "berth": "%s", ' "$(date -u +%FT%TZ)" "$N" "$BIN"
        printf '"sets": {"five": "%s", "all": "%s"}, "errors": %s, "medians": {' \
            "$FIVE_PLUGINS" "$ALL_PLUGINS" "$NERR"
        sep=
        for f in "${FIGS[@]}"; do
            a=${VAL["$f five"]} b=${VAL["$f all"]}
            [ "$a" = - ] && a=null; [ "$b" = - ] && b=null
            printf '%s"%s": {"five": %s, "all": %s}' "$sep" "$f" "$a" "$b"; sep=', '
        done
        printf '}}\n'
    } >"$JSON"
fi
[ $NERR = 0 ] || { echo "plugins.sh: $NERR failure(s); see ERROR lines above" >&2; exit 1; }
