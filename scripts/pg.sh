#!/usr/bin/env bash
# pg.sh — a throwaway PostgreSQL cluster for the tests (CTest's pg fixture, or by hand).
#   scripts/pg.sh start DIR [PORT]   initdb a new cluster and start it on 127.0.0.1:PORT (a free
#                                    port when none is given); prints the postgres:// URL of the
#                                    superuser "tgr" (also kept in DIR/url)
#   scripts/pg.sh stop DIR           stop it and remove it and DIR
# The cluster itself lives in a temporary directory (named in DIR/cluster), so that its unix
# socket path stays short and its owner can reach it wherever DIR is. Trust authentication, on
# the loopback address and on the socket in that directory only; no fsync (a test cluster is
# thrown away, never recovered). PostgreSQL refuses to run as root, so as root the cluster belongs
# to the unprivileged user "nobody" and its commands run through runuser.
set -euo pipefail

usage() { echo "usage: scripts/pg.sh start DIR [PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port=${3:-}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
else
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then bindir=$d; break; fi
  done
fi
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (Debian: apt-get install postgresql)" >&2; exit 1; }

# as_owner CMD...: run as the cluster's owner (ourselves, or "nobody" when we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

stop_cluster() {
  local c
  c=$(cat "$dir/cluster" 2>/dev/null || true)
  case "$c" in /tmp/tgr-pg.*) ;; *) return 0 ;; esac # only a cluster this script made
  if [ -f "$c/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$c/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$c"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
  stop_cluster
  rm -rf "$dir"
  mkdir -p "$dir"
  c=$(mktemp -d /tmp/tgr-pg.XXXXXX)
  echo "$c" >"$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then chown nobody "$c"; fi
  as_owner "$bindir/initdb" -D "$c/data" -U tgr --auth=trust --encoding=UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$c'"
    echo "fsync = off"
    echo "full_page_writes = off"
    echo "max_connections = 300"
    echo "shared_buffers = 64MB"
    echo "log_min_messages = warning"
  } >>"$c/data/postgresql.conf"
  for try in 1 2 3 4 5; do
    p=${port:-$(free_port)}
    if as_owner "$bindir/pg_ctl" -D "$c/data" -l "$c/server.log" -o "-p $p" -w -t 30 start >/dev/null 2>&1; then
      url="postgres://tgr@127.0.0.1:$p/postgres"
      echo "$url" >"$dir/url"
      echo "$url"
      exit 0
    fi
    [ -z "$port" ] || break # a port that was asked for is not replaced by another
  done
  echo "pg.sh: the server did not start; its log:" >&2
  tail -n 20 "$c/server.log" >&2 || true
  exit 1
  ;;
stop)
  stop_cluster
  rm -rf "$dir"
  ;;
*) usage ;;
esac
