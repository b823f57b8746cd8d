#!/usr/bin/env bash
# fuzz.sh — runs the libFuzzer targets of tests/fuzz (built by CMake with -DTGR_FUZZ=ON).
#
#   scripts/fuzz.sh [SECONDS]          build build-fuzz, fuzz every target SECONDS (default
#                                      FUZZ_SECONDS or 60) two at a time, print one line each
#   scripts/fuzz.sh test               build build-fuzz, then its CTest entries (label fuzz):
#                                      replays, then FUZZ_SECONDS (default 20) per target
#   scripts/fuzz.sh run BIN NAME       fuzz one target FUZZ_SECONDS (default 20), from a temporary
#                                      copy of tests/fuzz/corpus/NAME; print its line
#   scripts/fuzz.sh replay BIN NAME    run the seeds and tests/fuzz/crashes/NAME once (no fuzzing)
#
# A crash (or leak, timeout, out-of-memory) fails the run; its input is written to
# tests/fuzz/crashes/NAME/, where it stays as a regression input: fix the bug, commit the file.
# Environment: FUZZ_BUILD (build-fuzz), FUZZ_JOBS (2 targets at a time), FUZZ_SECONDS.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ_DIR=$ROOT/tests/fuzz
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

build() {
    cd "$ROOT"
    CC=$(command -v clang) cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTGR_FUZZ=ON >/dev/null
    cmake --build "$BUILD" --target fuzz -j"$JOBS" >/dev/null
}

# Options every run shares: a dictionary when there is one, a 10 s limit per input, and inputs up
# to -max_len bytes. Without it libFuzzer keeps to 4096 bytes (or its largest seed), below the
# buffers that matter — which is how the orders reader's 4 KiB stack buffer overflowed unseen.
# Each target's length is well above its largest buffer: the CSV import and the bridge's lines
# read 64 KiB chunks (256 KiB); the others' buffers are at most 1 KiB (64 KiB).
max_len() {
    case "$1" in
    orders_csv | bridge_line) echo 262144 ;;
    *) echo 65536 ;;
    esac
}

fuzz_opts() {
    local name=$1
    local o="-timeout=10 -rss_limit_mb=2048 -max_len=$(max_len "$name")"
    if [ -f "$FUZZ_DIR/dict/$name.dict" ]; then o="$o -dict=$FUZZ_DIR/dict/$name.dict"; fi
    echo "$o"
}

# run BIN NAME: fuzz from a copy of the corpus; one summary line; keep what crashed.
run_one() {
    local bin=$1 name=$2 secs=${FUZZ_SECONDS:-20}
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/tgr-fuzz-$name.XXXXXX")
    mkdir -p "$tmp/corpus" "$tmp/artifacts"
    cp "$FUZZ_DIR/corpus/$name"/* "$tmp/corpus/" 2>/dev/null || true
    local seeds rc=0
    seeds=$(find "$tmp/corpus" -type f | wc -l)
    # shellcheck disable=SC2046
    "$bin" $(fuzz_opts "$name") -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$tmp/artifacts/" "$tmp/corpus" >"$tmp/log" 2>&1 || rc=$?
    local execs eps newu cov ft crashes
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log" | tail -1)
    newu=$(sed -n 's/^stat::new_units_added: *//p' "$tmp/log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$tmp/log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$tmp/log" | tail -1 | cut -d' ' -f2)
    crashes=$(find "$tmp/artifacts" -type f | wc -l)
    printf '%-14s %10s execs %7s exec/s  cov %5s  ft %6s  corpus %4s +%-5s crashes %s\n' \
        "$name" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$seeds" "${newu:-?}" "$crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        mkdir -p "$FUZZ_DIR/crashes/$name"
        for f in "$tmp/artifacts"/*; do
            [ -f "$f" ] || continue
            cp "$f" "$FUZZ_DIR/crashes/$name/"
            echo "$name: reproducer kept as tests/fuzz/crashes/$name/$(basename "$f")" >&2
        done
        echo "---- $name: libFuzzer's report (exit $rc) ----" >&2
        grep -v '^#\|^INFO\|^stat::' "$tmp/log" | tail -60 >&2
        rm -rf "$tmp"
        return 1
    fi
    rm -rf "$tmp"
}

# replay BIN NAME: every seed and every kept reproducer must run clean.
replay() {
    local bin=$1 name=$2 files=()
    for d in "$FUZZ_DIR/corpus/$name" "$FUZZ_DIR/crashes/$name"; do
        [ -d "$d" ] || continue
        while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f ! -name '.*' -print0 | sort -z)
    done
    if [ "${#files[@]}" -eq 0 ]; then return 0; fi
    # shellcheck disable=SC2046
    "$bin" $(fuzz_opts "$name") -runs=1 "${files[@]}" >/dev/null 2>"${TMPDIR:-/tmp}/tgr-replay-$name.log" || {
        echo "$name: an input crashed on replay:" >&2
        tail -60 "${TMPDIR:-/tmp}/tgr-replay-$name.log" >&2
        return 1
    }
    rm -f "${TMPDIR:-/tmp}/tgr-replay-$name.log"
    echo "$name: ${#files[@]} inputs replayed clean"
}

case "${1:-}" in
run) run_one "$2" "$3" ;;
replay) replay "$2" "$3" ;;
test)
    build
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} ctest --test-dir "$ROOT/$BUILD" -L fuzz --output-on-failure -j"$JOBS"
    ;;
*)
    secs=${1:-${FUZZ_SECONDS:-60}}
    build
    echo "fuzzing each target for $secs s, $JOBS at a time"
    export FUZZ_SECONDS=$secs
    fail=0
    for src in "$FUZZ_DIR"/fuzz_*.c; do
        n=$(basename "$src" .c)
        replay "$ROOT/$BUILD/$n" "${n#fuzz_}" >/dev/null || fail=1
    done
    # One line per target, as each finishes; any failure fails the whole run.
    ls "$FUZZ_DIR"/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//' |
        xargs -P "$JOBS" -I{} sh -c '"$0" run "$1/{}" "$(echo {} | sed s/^fuzz_//)"' "$ROOT/scripts/fuzz.sh" "$ROOT/$BUILD" || fail=1
    exit $fail
    ;;
esac
