#!/usr/bin/env bash
# deps.sh — installs what tgr needs and is missing, nothing else (`make deps`).
#   scripts/deps.sh            build + test + run dependencies
#   scripts/deps.sh test       also what `make test` needs (Debian's chromium for browser tests,
#                              postgresql for the PostgreSQL runs of the tests, debhelper and
#                              lintian for the package, prometheus for promtool, and Redocly's
#                              CLI from npm in tests/openapi/ for the API document)
#   scripts/deps.sh bench      also what `make bench` needs (nginx, wrk, postgresql, and chromium
#                              with Lighthouse from npm in bench/lighthouse/ for the web app's scores)
# Debian packages come from apt-get (apt-get update runs first, once, and only when something is
# missing); npm packages from `npm ci` with the committed lock files, re-run when a lock changes.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc clang make cmake pkg-config git python3 tzdata ca-certificates
      libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libpq-dev
      libcurl4-openssl-dev libmagic-dev libcsv-dev libcmocka-dev libclang-rt-14-dev clang-format)
npm_dirs=(bridge web)
for extra in "$@"; do
  case "$extra" in
    bench) pkgs+=(nginx-light wrk postgresql chromium); npm_dirs+=(bench/lighthouse) ;;
    valgrind) pkgs+=(valgrind) ;;
    test) pkgs+=(chromium postgresql debhelper lintian prometheus); npm_dirs+=(tests/openapi) ;;
    *) echo "deps.sh: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "deps.sh: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: one `npm ci` per package with a lock file, skipped when the lock is unchanged.
for dir in "${npm_dirs[@]}"; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.tgr-lock.sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "deps.sh: npm ci in $dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
done
