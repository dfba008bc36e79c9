#!/usr/bin/env bash
# `make bench`: builds the deployable binaries (for their sizes), starts its own
# DynamoDB Local and moto, and runs the latency benchmark. Writes BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
export DYNAMODB_PORT=${BENCH_DYNAMODB_PORT:-8300} MOTO_PORT=${BENCH_MOTO_PORT:-5300}
state=.local/bench
echo "==> building the benchmark (release)"
cargo build --release -q -p partner-hub-tests --bin bench
trap 'scripts/stack.sh down "$state"' EXIT INT TERM
scripts/stack.sh up "$state" "$DYNAMODB_PORT" "$MOTO_PORT"
# shellcheck source=scripts/aws-env.sh
. scripts/aws-env.sh
RUST_LOG=warn target/release/bench
