#!/bin/sh
# needed-libs.sh FILE ALLOWED...: fails when FILE (an ELF executable or shared
# object) needs a shared library not in ALLOWED. Every berth verb pays at exec
# for each library the loader maps (docs/architecture.md, "Process start"), so
# a dependency that creeps back in is a performance regression.
set -eu
file=$1; shift
command -v readelf >/dev/null || { echo "needed-libs.sh: readelf missing (binutils)" >&2; exit 1; }
needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "needed-libs.sh: $file: no NEEDED entries (not a dynamic ELF file?)" >&2; exit 1; }
status=0
for lib in $needed; do
    ok=0
    for allowed in "$@"; do [ "$lib" = "$allowed" ] && ok=1; done
    [ $ok = 1 ] || { echo "$file needs $lib (allowed: $*)" >&2; status=1; }
done
[ $status = 0 ] && echo "$file needs only: $(echo $needed)"
exit $status
