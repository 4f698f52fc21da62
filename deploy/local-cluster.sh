#!/usr/bin/env bash
# A cluster of Summoner nodes on this machine, behind a real nginx that hashes each user's
# routing key to one node: for development, and for the tests that kill, pause and stop
# nodes under load (tests/cluster_nginx.rs).
#
#   deploy/local-cluster.sh start        # 3 nodes (NODES=...) and nginx on 127.0.0.1:8080 (PORT=...)
#   deploy/local-cluster.sh status       # which nodes run
#   deploy/local-cluster.sh kill N       # kill -9 node N
#   deploy/local-cluster.sh pause N      # SIGSTOP node N (its lease lapses; others take its users)
#   deploy/local-cluster.sh resume N     # SIGCONT node N (its stale actors retire; it serves again)
#   deploy/local-cluster.sh term N       # SIGTERM node N (resumed first; it drains and exits)
#   deploy/local-cluster.sh node N       # start node N again
#   deploy/local-cluster.sh stop         # SIGTERM every node, stop nginx
#
# Node N listens on 127.0.0.1:(API_BASE+N) (API, 8080+N by default), :(ADMIN_BASE+N) (admin,
# 9090+N) and :(INTERNAL_BASE+N) (internal, 7070+N). nginx gives up on a node that has not
# answered within READ_TIMEOUT (12s; keep it above the server's limits.request_timeout_ms).
# The databases and Redis come from the SUMMONER_* variables in the environment (e.g.
# SUMMONER_STORAGE__COMMON_URL, SUMMONER_REDIS__URLS); without them the nodes share the
# embedded SQLite files in $RUN_DIR/data (SQLite has no idle-transaction limit, so a paused
# node there can hold the write lock until resumed: use PostgreSQL or MariaDB to try node loss).
# nginx comes from Debian's nginx-light.
set -euo pipefail

cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-target/local-cluster}
NODES=${NODES:-3}
PORT=${PORT:-8080}
API_BASE=${API_BASE:-8080}
ADMIN_BASE=${ADMIN_BASE:-9090}
INTERNAL_BASE=${INTERNAL_BASE:-7070}
READ_TIMEOUT=${READ_TIMEOUT:-12s}
BIN=${SUMMONER_BIN:-target/release/summoner}
NGINX=${NGINX_BIN:-nginx}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

die() { echo "local-cluster: $*" >&2; exit 1; }

secret() {
  if [ ! -s "$RUN_DIR/secret" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN_DIR/secret"
  fi
  cat "$RUN_DIR/secret"
}

pid_of() { cat "$RUN_DIR/node-$1.pid" 2>/dev/null || true; }

# Alive, not a zombie (a killed node may wait a while to be reaped by whoever inherited it),
# and still our server: a pid file left by a node that died may name a reused pid.
running() {
  local pid state command
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 1
  state=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d " ") || return 1
  command=$(ps -o comm= -p "$pid" 2>/dev/null | tr -d " ") || return 1
  [ -n "$state" ] && [ "${state#Z}" = "$state" ] && [ "$command" = "$(basename "$BIN" | cut -c1-15)" ]
}

start_node() {
  local n=$1
  [ -x "$BIN" ] || die "no server binary at $BIN (cargo build --release, or set SUMMONER_BIN)"
  running "$n" && die "node $n runs already (pid $(pid_of "$n"))"
  SUMMONER_LISTEN="127.0.0.1:$((API_BASE + n))" \
  SUMMONER_ADMIN__LISTEN="127.0.0.1:$((ADMIN_BASE + n))" \
  SUMMONER_CLUSTER__INTERNAL_LISTEN="127.0.0.1:$((INTERNAL_BASE + n))" \
  SUMMONER_CLUSTER__SECRET="$(secret)" \
  SUMMONER_STORAGE__DATA_DIR="${SUMMONER_STORAGE__DATA_DIR:-$RUN_DIR/data}" \
  SUMMONER_LOG__FORMAT="${SUMMONER_LOG__FORMAT:-json}" \
    env -u SUMMONER_BIN "$BIN" >> "$RUN_DIR/node-$n.log" 2>&1 &
  echo $! > "$RUN_DIR/node-$n.pid"
  # Ready once its public /readyz answers 200.
  for _ in $(seq 1 200); do
    if curl -sf "http://127.0.0.1:$((API_BASE + n))/readyz" > /dev/null 2>&1; then
      echo "node $n: pid $(pid_of "$n"), api 127.0.0.1:$((API_BASE + n))"
      return 0
    fi
    running "$n" || die "node $n exited; see $RUN_DIR/node-$n.log"
    sleep 0.1
  done
  die "node $n did not become ready; see $RUN_DIR/node-$n.log"
}

nginx_conf() {
  local servers=""
  for n in $(seq 1 "$NODES"); do
    servers+="        server 127.0.0.1:$((API_BASE + n)) max_fails=1 fail_timeout=2s;"$'\n'
  done
  cat > "$RUN_DIR/nginx.conf" <<EOF
# Written by deploy/local-cluster.sh: deploy/nginx/summoner.conf without TLS, on loopback.
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/nginx.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $RUN_DIR/nginx-body;
    proxy_temp_path $RUN_DIR/nginx-proxy;
    map \$http_x_summoner_route \$summoner_route {
        ""      \$request_id;
        default \$http_x_summoner_route;
    }
    upstream summoner {
        hash \$summoner_route consistent;
$servers        keepalive 256;
    }
    server {
        listen 127.0.0.1:$PORT;
        client_max_body_size 64k;
        client_body_buffer_size 64k;
        location = /api {
            proxy_pass http://summoner;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout $READ_TIMEOUT;
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout $READ_TIMEOUT;
        }
        location = /readyz { proxy_pass http://summoner; }
        location / { return 404; }
    }
}
EOF
}

case "${1:-}" in
  start)
    command -v "$NGINX" > /dev/null || die "nginx is not installed (apt-get install nginx-light)"
    for n in $(seq 1 "$NODES"); do start_node "$n"; done
    nginx_conf
    "$NGINX" -t -q -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" || die "nginx refuses $RUN_DIR/nginx.conf"
    # nginx keeps its standard streams: pointed at its log, they hold no caller's pipe open.
    "$NGINX" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" < /dev/null >> "$RUN_DIR/nginx.error.log" 2>&1
    echo "nginx: http://127.0.0.1:$PORT/api in front of $NODES nodes"
    ;;
  status)
    for n in $(seq 1 "$NODES"); do
      if running "$n"; then echo "node $n: running (pid $(pid_of "$n"))"; else echo "node $n: stopped"; fi
    done
    ;;
  kill)
    if running "$2"; then
      kill -9 "$(pid_of "$2")"
      while running "$2"; do sleep 0.05; done
    fi
    ;;
  pause) running "$2" && kill -STOP "$(pid_of "$2")" ;;
  resume) running "$2" && kill -CONT "$(pid_of "$2")" ;;
  term)
    pid=$(pid_of "$2")
    if running "$2"; then
      # A paused node would hold the signal until resumed: resume it so it drains now.
      kill -CONT "$pid" 2>/dev/null || true
      kill -TERM "$pid"
      while running "$2"; do sleep 0.1; done
    fi
    ;;
  node) start_node "$2" ;;
  stop)
    for n in $(seq 1 "$NODES"); do
      if running "$n"; then kill -CONT "$(pid_of "$n")" 2>/dev/null || true; kill -TERM "$(pid_of "$n")"; fi
    done
    for n in $(seq 1 "$NODES"); do
      while running "$n"; do sleep 0.1; done
    done
    if [ -s "$RUN_DIR/nginx.pid" ]; then "$NGINX" -s quit -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" || true; fi
    ;;
  *)
    sed -n '2,22p' "$0"
    exit 2
    ;;
esac
