#!/usr/bin/env bash
# `make bench`: builds the deployable binaries (arm64, for their sizes and zips) and the
# same functions and the cold-start baselines for this machine (to run them), starts
# its own DynamoDB Local and moto, and runs every benchmark. Writes BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
echo "==> zipping each bootstrap as Lambda is given it"
for dir in target/lambda/*/; do
  python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1] + "bootstrap.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1] + "bootstrap", "bootstrap")' "$dir"
done

functions=$(sed -n "s/^ *Binary: *//p" template.yaml)
packages=()
for f in $functions; do packages+=(-p "$f"); done
echo "==> building the cold-start baselines and the functions (release, $(uname -m))"
# The SDK-defaults baseline alone first: its feature turns on aws-lc, which must not
# reach the functions' build.
cargo build --release -q -p cold-start-baselines --features sdk-default-tls --bin baseline-sdk
cp target/release/baseline-sdk target/release/baseline-sdk-aws-lc
cargo build --release -q -p cold-start-baselines "${packages[@]}"
echo "==> building the benchmark (release)"
cargo build --release -q -p partner-hub-tests --bin bench

export DYNAMODB_PORT=${BENCH_DYNAMODB_PORT:-8300} MOTO_PORT=${BENCH_MOTO_PORT:-5300}
state=.local/bench
sections=.local/bench-sections
rm -rf "$sections" && mkdir -p "$sections"
trap 'scripts/stack.sh down "$state"' EXIT INT TERM
# shellcheck source=scripts/aws-env.sh
. scripts/aws-env.sh
# Each section on a DynamoDB Local and moto of its own: what one section leaves in the
# table (a year of usage, thousands of signups) must not slow the next one down.
for section in latency coldstart load usage scale; do
  echo "==> bench: $section"
  scripts/stack.sh up "$state" "$DYNAMODB_PORT" "$MOTO_PORT"
  BENCH_ONLY=$section BENCH_SECTION_DIR=$sections RUST_LOG=warn target/release/bench
  scripts/stack.sh down "$state"
done
target/release/bench --assemble "$sections"
echo "==> wrote BENCHMARKS.md"
