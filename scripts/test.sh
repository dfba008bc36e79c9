#!/usr/bin/env bash
# `make test`: the whole suite against one DynamoDB Local and one moto, started here
# on their own ports (so a `make run` may keep going beside it) and stopped after.
set -euo pipefail
cd "$(dirname "$0")/.."
export DYNAMODB_PORT=${TEST_DYNAMODB_PORT:-8100} MOTO_PORT=${TEST_MOTO_PORT:-5100}
state=.local/test

scripts/install-browser.sh
# The console: npm ci once per lockfile, bundled (the gateway serves console/dist) and
# type-checked.
scripts/console.sh build
scripts/console.sh typecheck

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cfn-lint template.yaml"
.tools/venv/bin/cfn-lint template.yaml

# SAM's own check of the transform (with its bundled cfn-lint). It reads nothing from
# AWS: a region and dummy credentials only keep it from looking for a profile.
echo "==> sam validate --lint"
env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=none \
  AWS_SECRET_ACCESS_KEY=none SAM_CLI_TELEMETRY=0 .tools/sam-venv/bin/sam validate --lint --template template.yaml

echo "==> building the workspace (one dev profile for binaries and tests)"
cargo build --workspace --bins --tests --quiet

trap 'scripts/stack.sh down "$state"' EXIT INT TERM
echo "==> starting DynamoDB Local on :$DYNAMODB_PORT and moto on :$MOTO_PORT"
scripts/stack.sh up "$state" "$DYNAMODB_PORT" "$MOTO_PORT"
# shellcheck source=scripts/aws-env.sh
. scripts/aws-env.sh
export PARTNER_HUB_BIN_DIR="$PWD/target/debug"

echo "==> cargo test"
log=$state/cargo-test.log
set +e
cargo test --workspace --quiet --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo "==> API fuzzer: schemathesis against openapi.yaml, through a gateway on this stack"
fuzzer=passed
scripts/fuzz.sh "$state" || { status=1; fuzzer=FAILED; }
# One closing line for the whole suite (cargo's own last line is a crate's doc-tests).
awk -v fuzzer="$fuzzer" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\nsuite: %d passed, %d failed; API fuzzer %s\n", p, f, fuzzer }' "$log"
exit "$status"
