#!/bin/sh
# From a fresh Debian 12 machine, as root: install the dependencies, build and
# install berth, its plugins and /etc/berth/plugins.yaml, make an example
# bundle from Debian's busybox-static and run a container in it.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# -Dwerror=true: CI builds this too (tests/scripts/installed-build.sh), and a
# warning from Debian 12's g++ is a defect to fix, not to ship.
[ -d build-release ] ||
    meson setup build-release --buildtype=release --prefix=/usr/local --sysconfdir=/etc -Dtests=false -Dwerror=true
meson configure build-release -Dwerror=true
ninja -C build-release
# Then linked again with the code its verbs run packed together, from a
# profile of this very build (scripts/hot-text.sh says why; about a minute).
scripts/hot-text.sh build-release
meson install -C build-release --quiet
bundle=${BERTH_EXAMPLE_BUNDLE:-/var/lib/berth/example}
BERTH=/usr/local/bin/berth tests/scripts/make-bundle.sh "$bundle" echo "hello from a berth container"
berth delete --force example >/dev/null 2>&1 || true
berth run --bundle "$bundle" example
