#!/usr/bin/env bash
# format.sh — the C sources' formatting, by the checked-in .clang-format.
#   scripts/format.sh        reformat every C file of src/, tests/ and bench/ in place (`make format`)
#   scripts/format.sh check  change nothing; list what is not formatted and fail (CTest lint.format)
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' 2>/dev/null || \
        find src tests bench -name '*.[ch]' -not -path '*/corpus/*' -not -path '*/crashes/*')
if [ "${1:-}" = check ]; then
    bad=0
    for f in $files; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "not formatted: $f (run make format)"
            bad=1
        fi
    done
    exit $bad
fi
clang-format -i $files
