#!/bin/bash
# The whole test suite, as root: unit and integration tests on this host
# (cgroup v1 on hybrid machines), the cgroup tests again on a pure cgroup v2
# kernel under qemu, and the out-of-tree plugin SDK example.
#
# usage: tests/run.sh [--only REGEX]
#   --only REGEX  run only the tiers whose name matches REGEX (bash =~), e.g.
#                 --only 'guest: (cli|probe_fixtures)_test': the others are
#                 listed as not selected and counted in neither total
set -uo pipefail
only=
while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "tests/run.sh: --only needs a REGEX" >&2; exit 2; }; only=$2; shift 2 ;;
        *) echo "tests/run.sh: unknown argument '$1' (usage: tests/run.sh [--only REGEX])" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests || exit 1
# The test build has crash points (fault_injection_test needs them);
# scripts/setup.sh's release build does not. Every build CI makes treats a
# warning as an error (-Dwerror=true; g++ 12 at warning_level=2, -Wall -Wextra).
[ -d build ] || meson setup build -Dfault_injection=true -Dwerror=true --prefix=/usr/local --sysconfdir=/etc || exit 1
meson configure build -Dfault_injection=true -Dwerror=true || exit 1
ninja -C build || exit 1

passed=0 failed=0
tier() {  # tier NAME COMMAND...
    if [ -n "$only" ] && ! [[ $1 =~ $only ]]; then echo "=== $1: not selected (--only)"; return; fi
    echo "=== $1"
    local t0=$SECONDS
    if "${@:2}"; then passed=$((passed + 1)); echo "=== $1: PASS ($((SECONDS - t0)) s)"
    else failed=$((failed + 1)); echo "=== $1: FAIL ($((SECONDS - t0)) s)"; fi
}
echo "=== built in $SECONDS s"

# The house style on the lines this change touches (the checkout's branch
# against main, or main's last commit): seconds, and before the tests, so
# that a formatting slip is seen before an hour of them.
tier "format: scripts/format-check.sh (changed lines: clang-format 14, 120 columns)" scripts/format-check.sh

tier "unit and integration tests (meson test)" meson test -C build --print-errorlogs
# What users install: the README's first command, and the packed code of its
# release build.
tier "installed build: scripts/setup.sh, hot text packed" tests/scripts/installed-build.sh

# The clients drive berth as they drive runc: private podman, containerd and
# dockerd daemons under temp dirs, each scenario a real container.
for client in podman containerd docker; do
    tier "client end-to-end: $client" bash "tests/clients/$client.sh"
done
# Kubernetes without a kubelet: containerd's CRI plugin driven over gRPC by
# the test (pods, exec, port-forward, stats, update, OOM, security contexts,
# mount propagation), berth and runc as its runtime handlers.
tier "client end-to-end: CRI" bash tests/clients/cri.sh

# berth as a user who is not root, alone and under rootless podman (its test
# user also serves the guest's rootless tier below).
tier "rootless: berth and rootless podman as a user" bash tests/scripts/rootless.sh

# The same suites with berth, its plugins and the tests built under ASan+UBSan
# (UBSan made fatal, so a report fails the test instead of scrolling by).
sanitized_tests() {
    if [ ! -d build-asan ]; then
        # -O1 -g1 (line tables only): half the compile time of -O2 -g under
        # the sanitizers, and reports still name file and line.
        meson setup build-asan --prefix=/usr/local --sysconfdir=/etc -Dfault_injection=true -Dwerror=true \
            -Db_sanitize=address,undefined -Doptimization=1 \
            -Dcpp_args='-fno-sanitize-recover=undefined -g1' -Dc_args=-g1 || return 1
    fi
    # fault_injection and stress (suite slow) run in the plain build, on the host
    # and in the guest; under ASan they would add a quarter of CI's time.
    ninja -C build-asan && meson test -C build-asan --print-errorlogs --timeout-multiplier 3 --no-suite slow
}
tier "unit and integration tests under ASan+UBSan" sanitized_tests
# The guest tiers: one guest boot per test binary. The guest sees the host's /
# read-only but gets a fresh /tmp and /run, so a checkout there (CI's clone
# under /tmp) would be missing: the whole checkout, build tree and the source
# files the tests read (fixtures, cli/install-docs.sh), is shared at the same
# path. A TCG guest keeps one core busy, so they run in two lanes at once (one
# per core), each lane's log printed when both are done.
v2vm=tests/v2vm/run.sh
share=(--share "$PWD")
# cpuset update needs two CPUs, the io throttles a loop device, hugetlb
# enforcement free huge pages.
controllers_cmd="echo 4 >/proc/sys/vm/nr_hugepages"
controllers_cmd+=" && exec $PWD/build/tests/integration/cgroup_controllers_test --gtest_brief=1"
checkpoint_cmd="$PWD/build/tests/integration/checkpoint_test --gtest_brief=1; a=\$?; \
    bash $PWD/tests/clients/podman-checkpoint.sh; b=\$?; [ \$a = 0 ] && [ \$b = 0 ]"
# The systemd cgroup driver against a real systemd: the guest boots the host's
# systemd as PID 1 (--systemd). Where PID 1 is not systemd these tests report
# SKIPPED, so the tier also checks that they ran.
systemd_guest() {  # systemd_guest TEST
    local out
    out=$("$v2vm" --systemd "${share[@]}" --timeout 600 -- "$PWD/build/tests/integration/$1" --gtest_brief=1 2>&1)
    local rc=$?
    echo "$out"
    [ $rc -eq 0 ] || return 1
    ! grep -q SKIPPED <<<"$out" || { echo "$1: skipped under --systemd: systemd was not PID 1"; return 1; }
}
guest() {  # guest TEST [RUN.SH OPTION...]: the test binary in a guest
    local t=$1
    tier "cgroup v2 guest: $t" "$v2vm" "${share[@]}" --timeout 900 "${@:2}" -- \
        "$PWD/build/tests/integration/$t" --gtest_brief=1
}
# Each lane's sum of test time is about equal (TCG seconds from CI logs).
guest_lane() {  # guest_lane 1|2
    if [ "$1" = 1 ]; then
        # Crash at every step (~4 min under TCG). The walk with a nested
        # cgroupsPath makes every directory the default one does and more; the
        # default walk runs on the host.
        tier "cgroup v2 guest: fault_injection_test" "$v2vm" "${share[@]}" --timeout 1200 -- \
            "$PWD/build/tests/integration/fault_injection_test" --gtest_brief=1 \
            --gtest_filter=-FaultInjection.EveryStepDefaultConfig
        # Stress, smaller still: a TCG guest runs ~0.5 lifecycles/s.
        tier "cgroup v2 guest: stress_test (12 sequential, 4 x 4 parallel, 6 hammer rounds)" \
            "$v2vm" "${share[@]}" --timeout 600 --env BERTH_STRESS_SEQUENTIAL=12 --env BERTH_STRESS_PER_LOOP=4 \
            --env BERTH_STRESS_ROUNDS=6 -- "$PWD/build/tests/integration/stress_test" --gtest_brief=1
        guest exec_test
        guest probe_fixtures_test
        guest mounts_test
        guest events_test
        tier "cgroup v2 guest, non-root leaf (systemd-like): cgroup_limits_test" \
            "$v2vm" "${share[@]}" --cgroup ci/job.scope --timeout 900 -- \
            "$PWD/build/tests/integration/cgroup_limits_test" --gtest_brief=1
        # The devices test's allowed device is /dev/loop-control.
        guest cgroup_devices_test --modules loop
        # The guest's kernel has AppArmor on: profiles are applied for real
        # there (and the test fails rather than skips if it is off).
        guest lsm_test --env BERTH_TEST_REQUIRE_APPARMOR=1
        # CRIU runs in the guest (Debian's 3.17 on its 6.1 kernel, with the
        # modules criu-probe.sh lists; not on this host's kernel): the
        # checkpoint tests must run there (BERTH_TEST_REQUIRE_CRIU), then
        # podman's checkpoint/restore and --export/--import through berth.
        # One boot, both always run (~2.5 min under TCG: 124-162 s measured).
        tier "cgroup v2 guest: checkpoint_test + podman checkpoint (CRIU)" "$v2vm" "${share[@]}" --timeout 1200 \
            --modules "$(tests/v2vm/criu-probe.sh --modules)" --env BERTH_TEST_REQUIRE_CRIU=1 -- \
            bash -c "$checkpoint_cmd"
    else
        guest lifecycle_test
        tier "cgroup v2 guest: cgroup_controllers_test" "$v2vm" "${share[@]}" --smp 2 --modules loop \
            --timeout 900 -- sh -c "$controllers_cmd"
        guest cli_test
        tier "cgroup v2 guest under systemd: systemd_driver_test" systemd_guest systemd_driver_test
        guest update_pause_test
        guest client_fixtures_test
        guest cgroup_limits_test
        guest rootfs_ns_test
        guest spec_fields_test --modules veth
        # A cgroup v2 subtree delegated to the user: limits, update, pause
        # and events for a rootless container.
        guest rootless_test --env BERTH_ROOTLESS_USER=berth-rootless --env BERTH_TEST_REQUIRE_DELEGATION=1 \
            --env BERTH_TEST_REQUIRE_SUBUID=1
        tier "cgroup v2 guest under systemd: systemd_scope_test" systemd_guest systemd_scope_test
        # The ways out through cgroup v2 (~200 s under TCG); the two v1
        # hierarchy tests run on the host only.
        tier "cgroup v2 guest: escape_test" "$v2vm" "${share[@]}" --timeout 900 -- \
            "$PWD/build/tests/integration/escape_test" --gtest_brief=1 \
            --gtest_filter=-Escape.EveryV1HierarchyHasTheContainersOwnCgroup:Escape.V1HierarchyRootsAreOutOfReachFromAUserAndCgroupNamespace
    fi
}
guest_tiers() {
    # A guest that cannot be prepared is a failure, not seventeen silent passes.
    if ! "$v2vm" --prepare >/dev/null; then
        failed=$((failed + 1)); echo "=== cgroup v2 guest: v2vm --prepare: FAIL"; return
    fi
    local dir
    dir=$(mktemp -d /tmp/berth-guest-lanes.XXXXXX)
    for lane in 1 2; do
        ( passed=0 failed=0; guest_lane "$lane"; echo "$passed $failed" >"$dir/$lane.count" ) >"$dir/$lane.log" 2>&1 &
    done
    wait
    local p f
    for lane in 1 2; do
        cat "$dir/$lane.log"
        read -r p f <"$dir/$lane.count" || { p=0 f=1; echo "=== guest lane $lane: no result"; }
        passed=$((passed + p)) failed=$((failed + f))
    done
    rm -rf "$dir"
}
guest_tiers
# The benchmark runs end to end and prints its table (tiny sizes, coarse
# memory floor; its numbers are not checked).
bench_smoke() {
    local out
    out=$(bench/compare.sh -n 2 --quick --mem-res 256 --berth build/cli/berth --floor build/bench/floor) ||
        { echo "$out"; return 1; }
    echo "$out"
    grep -q '^run /bin/true wall' <<<"$out"
}
tier "benchmark smoke: bench/compare.sh -n 2 --quick" bench_smoke
tier "benchmark smoke: bench/plugins.sh -n 2 (five plugins vs all in-tree)" \
    bench/plugins.sh -n 2 --rss-rounds 1 --berth build/cli/berth
# The SDK as installed from the tested build (meson install --destdir): no
# second build of berth.
tier "plugin SDK example built out of tree" env SDK_EXAMPLE_INSTALL_FROM=build tests/scripts/sdk-example.sh
tier "fuzzers (30 s each, ASan+UBSan)" tests/fuzz/run.sh 30

echo "tiers: $passed passed, $failed failed, $SECONDS s"
# A filter that matched nothing ran nothing: that is not a pass.
[ "$passed" -gt 0 ] || [ "$failed" -gt 0 ] || { echo "tests/run.sh: no tier matched --only '$only'"; exit 1; }
[ "$failed" -eq 0 ]
