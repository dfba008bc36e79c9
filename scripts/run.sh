#!/usr/bin/env bash
# `make run`: DynamoDB Local and moto, the template's table and bus, and the API on
# http://localhost:$PORT. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PORT=${PORT:-3000} DYNAMODB_PORT=${DYNAMODB_PORT:-8000} MOTO_PORT=${MOTO_PORT:-5000}
state=.local/run

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  if [ -f "$state/gateway.pid" ] && kill -0 "$(cat "$state/gateway.pid")" 2>/dev/null; then
    echo "Partner Hub is already running on http://localhost:$PORT (pid $(cat "$state/gateway.pid"))."
    echo "Use that one, or stop it with Ctrl-C in its terminal before starting another."
  else
    echo "Port $PORT is already in use by another program; free it or run: make run PORT=3001"
  fi
  exit 1
fi

scripts/console.sh build
echo "==> building the local gateway (the same handler code the Lambda binaries run)"
cargo build --quiet -p local-gateway --bin partner-hub-local

stop() {
  trap - EXIT INT TERM
  echo
  echo "==> stopping what make run started"
  [ -f "$state/gateway.pid" ] && kill "$(cat "$state/gateway.pid")" 2>/dev/null || true
  rm -f "$state/gateway.pid"
  scripts/stack.sh down "$state"
}
trap stop EXIT INT TERM

echo "==> starting DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT and moto on 127.0.0.1:$MOTO_PORT"
scripts/stack.sh up "$state" "$DYNAMODB_PORT" "$MOTO_PORT"
# shellcheck source=scripts/aws-env.sh
. scripts/aws-env.sh

echo "==> creating what template.yaml declares, then serving"
target/debug/partner-hub-local &
echo $! >"$state/gateway.pid"
echo "    logs: $state/dynamodb.log, $state/moto.log; stop with Ctrl-C"
wait "$(cat "$state/gateway.pid")"
