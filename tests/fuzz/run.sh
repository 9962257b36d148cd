#!/bin/bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/, replays each
# target's regressions, then fuzzes each for SECONDS (default 60), two at a
# time, on a copy of its seed corpus. Exits non-zero if any target crashes,
# leaks, trips UBSan, times out or runs out of memory; prints the report and
# the reproducer's path.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
targets=(spec plugin_config state mount_options seccomp)
[ "$#" -gt 0 ] && targets=("$@")
jobs=${FUZZ_JOBS:-2}
build=build-fuzz
work=$build/fuzz-work

if [ ! -f "$build/build.ninja" ]; then
    CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Db_lundef=false -Dwerror=true || exit 1
fi
meson configure "$build" -Dwerror=true || exit 1
ninja -C "$build" fuzzers || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# fuzz_one TARGET: writes $work/TARGET/result (PASS/FAIL line) and log.
fuzz_one() {
    local t=$1 bin="$build/tests/fuzz/fuzz_$1" dir="$work/$1"
    rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
    local regs=(tests/fuzz/regressions/"$t"/*)
    if [ -e "${regs[0]}" ]; then
        if ! "$bin" -timeout=10 "${regs[@]}" >"$dir/regressions.log" 2>&1; then
            echo "FAIL $t: a regression input fails again (log: $dir/regressions.log)" >"$dir/result"
            return
        fi
    fi
    cp tests/fuzz/corpus/"$t"/* "$dir/corpus/"
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/fuzz.log" 2>&1
    local rc=$?
    local last execs cov ft corp
    last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1)
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/fuzz.log" | awk '{print $2}')
    [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(ls "$dir/corpus" | wc -l)
    local summary="$t: ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus $corp files"
    if [ "$rc" -eq 0 ]; then
        echo "PASS $summary" >"$dir/result"
    else
        local repro
        repro=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$dir/fuzz.log" | tail -1)
        echo "FAIL $summary; exit $rc; reproducer: ${repro:-none} (log: $dir/fuzz.log)" >"$dir/result"
    fi
}

mkdir -p "$work"
running=0
for t in "${targets[@]}"; do
    if [ ! -d "tests/fuzz/corpus/$t" ]; then echo "unknown fuzz target: $t" >&2; exit 2; fi
    echo "fuzz $t: ${secs}s"
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

passed=0 failed=0
for t in "${targets[@]}"; do
    r=$(cat "$work/$t/result" 2>/dev/null || echo "FAIL $t: no result")
    echo "$r"
    if [[ $r == PASS* ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        # The sanitizer's or libFuzzer's report, from its first line.
        for log in "$work/$t/regressions.log" "$work/$t/fuzz.log"; do
            [ -f "$log" ] && grep -qE '^==[0-9]+==|ERROR: libFuzzer|runtime error|SUMMARY' "$log" &&
                sed -n '/^==[0-9]*==\|runtime error\|ERROR: libFuzzer/,$p' "$log" | head -60
        done
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
