#!/usr/bin/env bash
# valgrind.sh — `make test-valgrind`: the whole suite once with the C server under Valgrind
# (issue 9). A plain debug build (build-vg/, no sanitizers: Valgrind and ASan do not mix) runs
# every CTest entry with TGR_VALGRIND set, so tests/http/tgrtest.py starts each `tgr serve` under
# memcheck (one log per process in build-vg/valgrind/); the cmocka unit tests run under memcheck
# directly. At the end every log is read: any error or definitely/indirectly lost block fails
# the run, and the summary says how many processes were checked.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build-vg
LOGS=$PWD/$BUILD/valgrind
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (scripts/deps.sh valgrind)" >&2; exit 1; }
cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build $BUILD -j"$(nproc)"
rm -rf "$LOGS"
mkdir -p "$LOGS"
export TGR_VALGRIND=$LOGS
rc=0
ctest --test-dir $BUILD --output-on-failure -j2 -E '^(unit\.|fuzz\.|soak\.|browser\.)' --timeout 3600 || rc=1
# The unit tests: each binary under memcheck.
for t in $BUILD/test_*; do
  [ -x "$t" ] || continue
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --log-file="$LOGS/unit.$(basename "$t").%p.log" "$t" >/dev/null 2>&1 || rc=1
done
n=$(ls "$LOGS" | wc -l)
# With --quiet a log has content only when memcheck reported something.
bad=$(find "$LOGS" -type f -size +0 | sort)
if [ -n "$bad" ]; then
  echo "valgrind: problems in $(echo "$bad" | wc -l) of $n processes:" >&2
  for f in $bad; do echo "--- $f" >&2; head -60 "$f" >&2; done
  rc=1
fi
echo "valgrind: $n processes checked (servers and unit tests), $(echo -n "$bad" | grep -c . || true) with errors or leaks; ctest rc=$rc"
exit $rc
