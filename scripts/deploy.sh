#!/usr/bin/env bash
# `make deploy`: the console and every function built, the stack deployed with the SAM
# CLI (.tools/sam-venv), the console's files uploaded to its bucket. Needs AWS
# credentials for the target account (any way the AWS SDK finds them).
#   1. scripts/console.sh build           console/dist (esbuild)
#   2. sam build                          every function, for arm64, with cargo-lambda + Zig
#   3. sam deploy --guided                the first time (answers saved in samconfig.toml),
#      sam deploy                         afterwards
#   4. PublicBaseUrl still the placeholder? deploy again with the stack's ConsoleUrl
#      (CloudFront's address is known only once the distribution exists)
#   5. config.json + console/dist -> the ConsoleBucket, CloudFront invalidated
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/venv/bin:$PATH"
export SAM_CLI_TELEMETRY=${SAM_CLI_TELEMETRY:-0}
SAM=.tools/sam-venv/bin/sam
PY=.tools/sam-venv/bin/python

scripts/console.sh build
echo "==> sam build"
$SAM build
if [ -f samconfig.toml ]; then
  echo "==> sam deploy (settings from samconfig.toml)"
  $SAM deploy --no-fail-on-empty-changeset
else
  echo "==> sam deploy --guided (say yes to saving the answers in samconfig.toml)"
  $SAM deploy --guided
fi

console_url=$($PY scripts/deploy_console.py console-url)
base_url=$($PY scripts/deploy_console.py parameter PublicBaseUrl)
if [ "$base_url" = "https://partnerhub.example.com" ]; then
  echo "==> PublicBaseUrl is still the placeholder: deploying again with $console_url"
  $SAM deploy --no-fail-on-empty-changeset --parameter-overrides "PublicBaseUrl=$console_url"
fi

echo "==> uploading the console"
$PY scripts/deploy_console.py upload
