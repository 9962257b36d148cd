#!/bin/bash
# The whole test suite, as root: unit and integration tests on this host
# (cgroup v1 on hybrid machines), the cgroup tests again on a pure cgroup v2
# kernel under qemu, and the out-of-tree plugin SDK example.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests || exit 1
# The test build has crash points (fault_injection_test needs them);
# scripts/setup.sh's release build does not.
[ -d build ] || meson setup build -Dfault_injection=true --prefix=/usr/local --sysconfdir=/etc || exit 1
meson configure build -Dfault_injection=true || exit 1
ninja -C build || exit 1

passed=0 failed=0
tier() {  # tier NAME COMMAND...
    echo "=== $1"
    if "${@:2}"; then passed=$((passed + 1)); echo "=== $1: PASS"; else failed=$((failed + 1)); echo "=== $1: FAIL"; fi
}

tier "unit and integration tests (meson test)" meson test -C build --print-errorlogs

# The clients drive berth as they drive runc: private podman, containerd and
# dockerd daemons under temp dirs, each scenario a real container.
for client in podman containerd docker; do
    tier "client end-to-end: $client" bash "tests/clients/$client.sh"
done

# The same suites with berth, its plugins and the tests built under ASan+UBSan
# (UBSan made fatal, so a report fails the test instead of scrolling by).
sanitized_tests() {
    if [ ! -d build-asan ]; then
        meson setup build-asan --prefix=/usr/local --sysconfdir=/etc -Dfault_injection=true \
            -Db_sanitize=address,undefined -Dcpp_args=-fno-sanitize-recover=undefined || return 1
    fi
    ninja -C build-asan && meson test -C build-asan --print-errorlogs --timeout-multiplier 3
}
tier "unit and integration tests under ASan+UBSan" sanitized_tests
# One guest boot per test binary; the build tree is shared at the same path.
v2vm=tests/v2vm/run.sh
for t in cgroup_limits_test lifecycle_test exec_test update_pause_test events_test cli_test client_fixtures_test \
    mounts_test rootfs_ns_test probe_fixtures_test; do
    tier "cgroup v2 guest: $t" "$v2vm" --share "$PWD/build" --timeout 900 -- "$PWD/build/tests/integration/$t" --gtest_brief=1
done
# The allowed device of the devices test is /dev/loop-control: the loop driver must be loaded.
tier "cgroup v2 guest: cgroup_devices_test" "$v2vm" --share "$PWD/build" --modules loop --timeout 900 -- \
    "$PWD/build/tests/integration/cgroup_devices_test" --gtest_brief=1
# cpuset update needs two CPUs, the io throttles a loop device, hugetlb enforcement free huge pages.
tier "cgroup v2 guest: cgroup_controllers_test" "$v2vm" --share "$PWD/build" --smp 2 --modules loop --timeout 900 -- \
    sh -c "echo 4 >/proc/sys/vm/nr_hugepages && exec $PWD/build/tests/integration/cgroup_controllers_test --gtest_brief=1"
# Crash at every step (~8 min under TCG, far less with KVM). The walk with a
# nested cgroupsPath makes every directory the default one does and more; the
# default walk runs on the host.
tier "cgroup v2 guest: fault_injection_test" \
    "$v2vm" --share "$PWD/build" --timeout 1200 -- "$PWD/build/tests/integration/fault_injection_test" --gtest_brief=1 \
        --gtest_filter=-FaultInjection.EveryStepDefaultConfig
# Stress, smaller still: a TCG guest runs ~0.5 lifecycles/s (about 2 min here).
tier "cgroup v2 guest: stress_test (12 sequential, 4 x 4 parallel, 6 hammer rounds)" \
    "$v2vm" --share "$PWD/build" --timeout 600 --env BERTH_STRESS_SEQUENTIAL=12 --env BERTH_STRESS_PER_LOOP=4 \
    --env BERTH_STRESS_ROUNDS=6 -- "$PWD/build/tests/integration/stress_test" --gtest_brief=1
tier "cgroup v2 guest, non-root leaf (systemd-like): cgroup_limits_test" \
    "$v2vm" --share "$PWD/build" --cgroup ci/job.scope --timeout 900 -- "$PWD/build/tests/integration/cgroup_limits_test" --gtest_brief=1
# The systemd cgroup driver against a real systemd: the guest boots the host's
# systemd as PID 1 (--systemd). Where PID 1 is not systemd these tests report
# SKIPPED, so the tier also checks that they ran.
systemd_guest() {  # systemd_guest TEST
    local out
    out=$("$v2vm" --systemd --share "$PWD/build" --timeout 600 -- "$PWD/build/tests/integration/$1" --gtest_brief=1 2>&1)
    local rc=$?
    echo "$out"
    [ $rc -eq 0 ] || return 1
    ! grep -q SKIPPED <<<"$out" || { echo "$1: skipped under --systemd: systemd was not PID 1"; return 1; }
}
for t in systemd_scope_test systemd_driver_test; do
    tier "cgroup v2 guest under systemd: $t" systemd_guest "$t"
done
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
tier "plugin SDK example built out of tree" tests/scripts/sdk-example.sh
tier "fuzzers (60 s each, ASan+UBSan)" tests/fuzz/run.sh 60

echo "tiers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
