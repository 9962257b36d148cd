#!/bin/sh
# Installs what berth needs to build and test, from Debian 12's packages only.
# Boost: libboost1.81-dev rather than 1.74, for Boost.DLL's import_symbol /
# import_alias names (1.76+) and its std::filesystem mode (no Boost.Filesystem).
# valgrind: scripts/hot-text.sh profiles the release build's verbs with it.
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="meson ninja-build g++ pkg-config python3 git libboost1.81-dev libyaml-cpp-dev nlohmann-json3-dev
      libspdlog-dev libgtest-dev libcap-dev libseccomp-dev libsystemd-dev busybox-static procps bash-completion
      valgrind"
# With --tests: qemu for the cgroup v2 guest; clang and its runtimes for the
# libFuzzer targets (tests/fuzz/run.sh); the clients of the end-to-end tests
# (tests/clients/), each run as a private daemon, and runc/crun to compare with;
# groff-base for the man pages' check (tests/integration/cli_test.cpp); time
# (/usr/bin/time) for the peak RSS figures of bench/compare.sh.
# systemd and dbus: the v2 guest boots them as its init for the systemd cgroup
# driver's tests (tests/v2vm/run.sh --systemd); installing them does not make
# systemd the host's init (that is systemd-sysv). apparmor: apparmor_parser
# loads the LSM test's profile in the guest, whose kernel has AppArmor on
# (tests/integration/lsm_test.cpp); on a host without it, it does nothing.
# uidmap: newuidmap/newgidmap for the rootless tier (tests/scripts/rootless.sh).
# The CRI tier (tests/clients/cri.sh) stands in for a kubelet: python3-grpcio
# and python3-grpc-tools (grpc_tools.protoc makes the stubs of
# tests/clients/cri_min.proto at run time) with python3-protobuf for the gRPC
# calls, python3-websocket for the streaming exec and port-forward URLs, and
# containernetworking-plugins for the pods' network (the CNI bridge,
# host-local and loopback plugins). clang-format (14, with git-clang-format):
# scripts/format-check.sh.
# criu: the checkpoint-criu plugin runs it (checkpoint_test, in the guest, whose
# root is the host's /), and its rpc.proto is what the plugin's hand-written
# codec is checked against (tests/unit/criu_rpc_test.cpp).
[ "${1:-}" = "--tests" ] && pkgs="$pkgs qemu-system-x86 systemd dbus clang libclang-rt-14-dev clang-format
      podman conmon catatonit containerd docker.io umoci runc crun procps groff-base time apparmor
      python3-grpcio python3-grpc-tools python3-protobuf python3-websocket containernetworking-plugins criu"
missing=""
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
    apt-get update -qq
    # Installing containerd/docker.io would start their services: the tests run
    # private daemons only, so keep invoke-rc.d from starting anything.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
