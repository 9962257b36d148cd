#!/bin/bash
# Checks the lines a change touches (the tree was formatted wholesale once,
# in 0.2.0; a change keeps it so):
#  * C and C++ lines must be as clang-format 14 formats them (.clang-format,
#    through git clang-format --diff, from Debian's clang-format package);
#  * added lines of code, scripts and build files must fit in 120 columns
#    (clang-format does not shorten comments, and does not see the others).
#
# usage: scripts/format-check.sh [BASE]
# The change is the working tree against BASE, which is, in order: the
# argument; $BERTH_FORMAT_BASE; the merge base with main when HEAD is on
# another branch; else HEAD~1, so that a fresh clone of main checks its last
# commit. With no commit to compare against (a one-commit or shallow clone)
# it says so and exits 0; it never checks nothing without saying so.
# Exit: 0 clean (or nothing to compare, said), 1 findings, 2 cannot run.
set -uo pipefail
cd "$(dirname "$0")/.."

command -v git-clang-format >/dev/null && command -v clang-format-14 >/dev/null ||
    { echo "format-check: needs clang-format 14 and git-clang-format (apt-get install clang-format)" >&2; exit 2; }

base=${1:-${BERTH_FORMAT_BASE:-}}
if [ -z "$base" ]; then
    head=$(git rev-parse HEAD)
    for main in main origin/main; do
        mb=$(git merge-base HEAD "$main" 2>/dev/null) || continue
        [ "$mb" != "$head" ] && base=$mb
        break
    done
fi
if [ -z "$base" ]; then
    if ! git rev-parse -q --verify HEAD~1 >/dev/null; then
        echo "format-check: SKIPPED: no commit before HEAD to compare against (a one-commit or shallow clone);" \
             "give a BASE to check a change"
        exit 0
    fi
    base=HEAD~1
fi
git rev-parse -q --verify "$base^{commit}" >/dev/null || { echo "format-check: unknown BASE '$base'" >&2; exit 2; }
echo "format-check: the change since $(git rev-parse --short=12 "$base") ($base), working tree included"

rc=0
# clang-format on the changed C/C++ lines only. git-clang-format 14 exits 0
# whether or not it would change something (main's result is dropped), so the
# verdict is read from what it prints: a diff when a line is off.
out=$(git clang-format --binary clang-format-14 --diff --extensions c,h,cpp,hpp "$base" 2>&1) ||
    { echo "$out" >&2; exit 2; }
if grep -q '^diff --git' <<<"$out"; then
    echo "format-check: C/C++ lines not in the house style (.clang-format); the fix:"
    echo "$out"
    echo "format-check: apply it with: git clang-format --binary clang-format-14 $base"
    rc=1
elif ! grep -qx 'no modified files to format\|clang-format did not modify any files' <<<"$out"; then
    echo "$out" >&2
    echo "format-check: git clang-format said something unexpected" >&2
    exit 2
fi

# Added lines longer than 120 columns, in the files whose kind has a formatter
# or a style here: code, scripts, build files (not prose, data or fixtures).
long=$(git diff -U0 --no-color "$base" -- '*.c' '*.h' '*.cpp' '*.hpp' '*.sh' '*.py' '*.ld' \
           'meson.build' 'meson_options.txt' '.ci/run' |
       awk '/^\+\+\+ /{file=substr($0, 7); next}
            /^@@/{split($3, a, ","); line=substr(a[1], 2) - 1; next}
            /^\+/{line++; if (length($0) - 1 > 120) printf "%s:%d: %d columns\n", file, line, length($0) - 1; next}')
if [ -n "$long" ]; then
    echo "format-check: added lines over 120 columns:"
    echo "$long"
    rc=1
fi
[ "$rc" = 0 ] && echo "format-check: clean"
exit "$rc"
