#!/bin/bash
# installed-build.sh: the README's first command (scripts/setup.sh: install,
# release build, its hot-text scripts made from a profile of its own verbs,
# relink, install, run a container), then a check that the installed berth
# and each plugin the profile ran were linked with their script and pack
# what it lists (tests/scripts/hot-text-check.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
rc=0
if [ ! -e build-release/hot-text/berth.ld ]; then
    echo "scripts/setup.sh made no build-release/hot-text/berth.ld" >&2; exit 1
fi
for script in build-release/hot-text/*.ld; do
    name=$(basename "$script" .ld)
    if [ "$name" = berth ]; then file=build-release/cli/berth; else file=build-release/plugins/$name/berth-$name.so; fi
    sh tests/scripts/hot-text-check.sh "$file" "$script" || rc=1
done
exit $rc
