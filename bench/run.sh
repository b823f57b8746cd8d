#!/usr/bin/env bash
# bench/run.sh — `make bench`: how fast tgr answers GET /healthz next to nginx on this machine.
#
# Owns the whole benchmark run: it starts nginx (one worker, a throwaway config whose only
# location answers a 302, logs in a temp dir) and `tgr serve` (default threads, a throwaway data
# dir) on free loopback ports, runs `wrk -t2 -c64 -d10s` against nginx / and tgr /healthz,
# alternating nginx, tgr, nginx, tgr (ROUNDS pairs) and keeping the best run of each, then
# prints both requests/sec and the ratio tgr/nginx (target >= 0.8) and writes them to
# bench/out/healthz.txt (and healthz.json for bench/summary.py). Both servers are stopped and the temp dir removed on any exit.
# `make bench` builds tgr and installs nginx-light and wrk (scripts/deps.sh bench) first.
#
# Settings (environment): TGR_BIN (default build/tgr), WRK_THREADS (2), WRK_CONNECTIONS (64),
# WRK_DURATION (10s), ROUNDS (2), NGINX (nginx, else /usr/sbin/nginx).
set -euo pipefail
cd "$(dirname "$0")/.."

TGR_BIN=${TGR_BIN:-build/tgr}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
ROUNDS=${ROUNDS:-2}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
OUT_DIR=bench/out
OUT=$OUT_DIR/healthz.txt
TARGET=0.8

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$TGR_BIN" ] || die "no $TGR_BIN; run make first"
[ -x "$NGINX" ] || die "no nginx; run scripts/deps.sh bench"
command -v wrk >/dev/null || die "no wrk; run scripts/deps.sh bench"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tgr-bench.XXXXXX")
nginx_pid=""
tgr_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "$tgr_pid" "$nginx_pid"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$tgr_pid" "$nginx_pid"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until 127.0.0.1:port accepts connections, or fail after 30 s showing the tail of log.
wait_port() {
  local port=$1 name=$2 pid=$3 log=$4 i
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || die "$name exited while starting: $(tail -n 5 "$log" 2>/dev/null)"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$name did not accept connections on port $port within 30 s: $(tail -n 5 "$log" 2>/dev/null)"
}

# --- nginx: one worker, no daemon, everything it writes kept in $tmp ---------------------------
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/temp"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/temp/body;
  proxy_temp_path $tmp/nginx/temp/proxy;
  fastcgi_temp_path $tmp/nginx/temp/fastcgi;
  uwsgi_temp_path $tmp/nginx/temp/uwsgi;
  scgi_temp_path $tmp/nginx/temp/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 302 http://example.invalid/; }
  }
}
EOF
"$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" \
  >"$tmp/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port/"
wait_port "$nginx_port" nginx "$nginx_pid" "$tmp/nginx/logs/error.log"

# --- tgr: port 0, its `listening on` line says where -------------------------------------------
"$TGR_BIN" serve --listen 127.0.0.1:0 --data "$tmp/tgr-data" >"$tmp/tgr.out" 2>"$tmp/tgr.err" &
tgr_pid=$!
tgr_port=""
for i in $(seq 300); do
  tgr_port=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$tmp/tgr.out" | head -n1)
  [ -n "$tgr_port" ] && break
  kill -0 "$tgr_pid" 2>/dev/null || die "tgr exited while starting: $(tail -n 5 "$tmp/tgr.err")"
  sleep 0.1
done
[ -n "$tgr_port" ] || die "tgr printed no 'listening on' line within 30 s: $(tail -n 5 "$tmp/tgr.err")"
tgr_url="http://127.0.0.1:$tgr_port/healthz"

# --- runs ------------------------------------------------------------------------------------
# One wrk run; prints its requests/sec. wrk's own report goes to $tmp/wrk-NAME-N.txt; a run with
# socket errors or answers outside 2xx/3xx is reported, since its number would not mean much.
run_wrk() {
  local name=$1 url=$2 n=$3 log rps
  log="$tmp/wrk-$name-$n.txt"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" "$url" >"$log" 2>&1 || die "wrk failed: $(cat "$log")"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$log")
  [ -n "$rps" ] || die "no Requests/sec in wrk's report for $name: $(cat "$log")"
  if grep -qE '^ *(Non-2xx or 3xx responses|Socket errors):' "$log"; then
    echo "bench: warning: $name run $n: $(grep -E '^ *(Non-2xx or 3xx responses|Socket errors):' "$log" | tr -s ' ')" >&2
  fi
  echo "$rps"
}

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }

echo "bench: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, $ROUNDS round(s): nginx $nginx_url vs tgr $tgr_url"
nginx_best=0
tgr_best=0
runs=""
for n in $(seq "$ROUNDS"); do
  r=$(run_wrk nginx "$nginx_url" "$n")
  echo "  round $n nginx  $r req/s"
  nginx_best=$(best "$nginx_best" "$r")
  runs="$runs nginx=$r"
  r=$(run_wrk tgr "$tgr_url" "$n")
  echo "  round $n tgr    $r req/s"
  tgr_best=$(best "$tgr_best" "$r")
  runs="$runs tgr=$r"
done

ratio=$(awk -v t="$tgr_best" -v n="$nginx_best" 'BEGIN { printf "%.3f", (n > 0) ? t / n : 0 }')
verdict=$(awk -v r="$ratio" -v g="$TARGET" 'BEGIN { print (r + 0 >= g + 0) ? "meets" : "BELOW" }')
mkdir -p "$OUT_DIR"
{
  echo "# tgr GET /healthz vs nginx 302, best of $ROUNDS wrk runs each (-t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION)"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "tgr_version=$("$TGR_BIN" --version 2>/dev/null | head -n1)"
  echo "cpus=$(nproc 2>/dev/null || echo '?')"
  echo "nginx_rps=$nginx_best"
  echo "tgr_rps=$tgr_best"
  echo "ratio=$ratio"
  echo "target=$TARGET"
  echo "runs=${runs# }"
} >"$OUT"
echo "nginx  $nginx_best req/s"
echo "tgr    $tgr_best req/s"
echo "ratio  $ratio tgr/nginx ($verdict the target of $TARGET)"
# The figures for bench/summary.py (issue 21 item 7), in bench/figures.py's shape.
python3 - "$tgr_best" "$nginx_best" "$TARGET" <<'EOF'
import sys
sys.path.insert(0, "bench")
from figures import figure, write_figures
tgr, nginx, target = map(float, sys.argv[1:])
write_figures("healthz", [figure("healthz_rps", "GET /healthz", tgr, "req/s", peer="nginx return 302", peer_value=nginx,
                                 op=">=", target=target, of="ratio")])
EOF
echo "bench: written to $OUT and bench/out/healthz.json"
