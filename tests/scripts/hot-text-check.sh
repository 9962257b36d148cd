#!/bin/sh
# hot-text-check.sh FILE SCRIPT: fails when FILE (berth or a plugin) was not
# linked with its hot-text SCRIPT, or when the section it packs has shrunk
# below 70% of what it packed when SCRIPT was generated: functions renamed or
# moved since then fall back among the cold code, and every verb's RSS grows
# with them (scripts/hot-text.py). The fix: sudo scripts/hot-text.sh BUILD.
set -eu
file=$1 script=$2
command -v readelf >/dev/null || { echo "hot-text-check.sh: readelf missing (binutils)" >&2; exit 1; }
want=$(sed -n 's/^\/\* packed when generated: \([0-9]*\) bytes \*\/$/\1/p' "$script")
[ -n "$want" ] || { echo "hot-text-check.sh: $script names no generated size" >&2; exit 1; }
hex=$(readelf -SW "$file" | awk '$2 == ".text.hot" { print $6 }')
[ -n "$hex" ] || { echo "$file has no .text.hot section: not linked with $script" >&2; exit 1; }
size=$(printf '%d' "0x$hex")
if [ "$size" -lt $((want * 7 / 10)) ]; then
    echo "$file packs $size bytes of hot code, $script packed $want when generated:" \
         "regenerate it (sudo scripts/hot-text.sh BUILD)" >&2
    exit 1
fi
echo "$file packs $size bytes of hot code ($script: $want when generated)"
