#!/bin/bash
# installed-build.sh: the README's first command (scripts/setup.sh: install,
# release build, install, run a container), then a check that the build users
# install packs the code its verbs run. The hot-text scripts are generated
# from this release configuration (scripts/hot-text.sh build-release); the
# test build's -O2 inlines differently, so checking them there would say
# nothing about the installed binaries (they packed 10-40% less there, and
# `create` of a release build linked with -O2 scripts peaked at 3.7 MB
# instead of 3.2).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
rc=0
sh tests/scripts/hot-text-check.sh build-release/cli/berth cli/hot-text.ld || rc=1
for script in plugins/*/hot-text.ld; do
    name=$(basename "$(dirname "$script")")
    sh tests/scripts/hot-text-check.sh "build-release/plugins/$name/berth-$name.so" "$script" || rc=1
done
exit $rc
