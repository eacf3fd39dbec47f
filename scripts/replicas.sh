#!/usr/bin/env bash
# Several replicas of the chat page on this machine, behind HAProxy, their limits shared in Redis:
#
#   bash scripts/replicas.sh [REPLICAS]     # default 2; then open http://127.0.0.1:8500/
#
# Starts on 127.0.0.1: redis-server (unless COZE_REDIS_URL names a Redis already running),
# REPLICAS `streamlit run`s sharing one cookie secret, and HAProxy in front of them with a sticky
# cookie, health checks on /_stcore/health and websocket timeouts. A replica that stops leaves the
# others serving. Ctrl-C stops all it started.
# Installs redis-server and haproxy from Debian's packages when they are missing (as root).
#
# Environment: PORT (HAProxy's, 8500), REPLICA_PORT (the first replica's, 8601; then +1, +2...)
# or REPLICA_PORTS (one port per replica, "8601 8702"), REDIS_PORT (6390), STREAMLIT_SERVER_COOKIE_SECRET (generated when not given), RUN_DIR (the
# logs and HAProxy's configuration; a temporary folder, removed at the end, when not given),
# COZE_PYTHON (a Python with requirements.txt installed; when not given, .venv is set up as
# scripts/app.sh does), and the page's own COZE_* settings. COZE_TRUSTED_PROXIES defaults to 1:
# HAProxy is the one proxy in front, and each visitor is the address it saw (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
replicas=${1:-2}
port=${PORT:-8500}
first_replica_port=${REPLICA_PORT:-8601}
if [ -n "${REPLICA_PORTS:-}" ]; then
  read -r -a replica_ports <<<"$REPLICA_PORTS"
  replicas=${#replica_ports[@]}
else
  replica_ports=()
  for ((i = 0; i < replicas; i++)); do
    replica_ports+=($((first_replica_port + i)))
  done
fi
redis_port=${REDIS_PORT:-6390}
source scripts/debian.sh
if [ -z "${COZE_REDIS_URL:-}" ]; then
  install_missing redis-server haproxy || exit 1
else  # an existing Redis: only the proxy is needed here
  install_missing haproxy || exit 1
fi

python=${COZE_PYTHON:-}
if [ -z "$python" ]; then
  bash scripts/setup.sh requirements.txt
  python=.venv/bin/python
fi

if [ -n "${RUN_DIR:-}" ]; then
  run=$RUN_DIR
  mkdir -p "$run"
else
  run=$(mktemp -d)
fi
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait || true
  if [ -z "${RUN_DIR:-}" ]; then
    rm -rf "$run"
  fi
  echo "Stopped."
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

redis_pid=""
if [ -z "${COZE_REDIS_URL:-}" ]; then
  # Counts only, nothing worth keeping: no snapshots, no append-only file.
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run" --save "" \
    --appendonly no >"$run/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  export COZE_REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi
export COZE_TRUSTED_PROXIES=${COZE_TRUSTED_PROXIES:-1}
# Every replica must sign and check Streamlit's cookies (XSRF) with the same secret. Streamlit
# refuses it as a command-line flag; the environment works.
if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
  STREAMLIT_SERVER_COOKIE_SECRET=$("$python" -c 'import secrets; print(secrets.token_hex(32))')
fi
export STREAMLIT_SERVER_COOKIE_SECRET

servers=""
replica_pids=()
for ((i = 1; i <= replicas; i++)); do
  replica_port=${replica_ports[$((i - 1))]}
  "$python" -m streamlit run streamlit_app.py --server.port "$replica_port" \
    --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false \
    >"$run/replica-$i.log" 2>&1 &
  pids+=($!)
  replica_pids+=($!)
  servers+="    server replica$i 127.0.0.1:$replica_port cookie replica$i"$'\n'
done

cat >"$run/haproxy.cfg" <<EOF
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    # A tab's websocket to Streamlit stays open while its visitor reads and types: an hour idle.
    timeout tunnel 1h
    timeout client-fin 30s
    # Each visitor's address, for COZE_TRUSTED_PROXIES (added after any the client sent).
    option forwardfor
    # A visitor whose replica is down goes to another one (a new session there).
    option redispatch
    retries 2

frontend chat
    bind 127.0.0.1:$port
    default_backend replicas

backend replicas
    # New visitors to the replica with the fewest connections; then the cookie keeps them there.
    balance leastconn
    cookie COZE_REPLICA insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server check inter 2s fall 2 rise 1
$servers
EOF
haproxy -c -q -f "$run/haproxy.cfg"

# Wait for every replica before opening the door.
for replica_port in "${replica_ports[@]}"; do
  "$python" - "$replica_port" <<'EOF'
import sys, time, urllib.request

deadline = time.monotonic() + 120
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_stcore/health", timeout=2) as r:
            if r.read().strip() == b"ok":
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"the replica on port {sys.argv[1]} did not start")
    time.sleep(0.2)
EOF
done
haproxy -db -f "$run/haproxy.cfg" >"$run/haproxy.log" 2>&1 &
pids+=($!)

echo "Redis: $(echo "$COZE_REDIS_URL" | sed -E 's#//[^@/]*@#//#')"
echo "Replicas: $replicas, on ports ${replica_ports[*]}"
echo "Logs: $run"
echo "Open http://127.0.0.1:$port/ (Ctrl-C stops everything)"
# A replica that stops leaves the others serving (HAProxy sends its visitors to them); everything
# stops with HAProxy or the last replica. Without Redis the replicas go on, each with its own
# limits, and share them again once a Redis answers at that address.
while true; do
  ended=""
  wait -n -p ended "${pids[@]}" || true
  if [ -n "$redis_pid" ] && [ "$ended" = "$redis_pid" ]; then
    echo "redis-server stopped: each replica keeps its own limits until a Redis answers on" \
      "port $redis_port." >&2
    kept=()
    for pid in "${pids[@]}"; do
      [ "$pid" = "$redis_pid" ] || kept+=("$pid")
    done
    pids=("${kept[@]}")
    redis_pid=""
    continue
  fi
  if [[ " ${replica_pids[*]} " == *" $ended "* ]]; then
    serving=()
    for pid in "${replica_pids[@]}"; do
      [ "$pid" = "$ended" ] || serving+=("$pid")
    done
    if [ "${#serving[@]}" -gt 0 ]; then
      echo "A replica stopped (see $run); ${#serving[@]} still serving." >&2
      replica_pids=("${serving[@]}")
      kept=()
      for pid in "${pids[@]}"; do
        [ "$pid" = "$ended" ] || kept+=("$pid")
      done
      pids=("${kept[@]}")
      continue
    fi
  fi
  echo "A process ended (see $run); stopping the rest." >&2
  exit 1
done
