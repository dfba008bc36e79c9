#!/usr/bin/env bash
# `make build`: every function as an arm64 Lambda (provided.al2023), with cargo-lambda
# and Zig from .tools/ (ziglang pinned to 0.14.1: Zig 0.16+ breaks the aws-lc-sys/ring
# cross builds). Output: target/lambda/<function>/bootstrap, where SAM's
# rust-cargolambda build method expects it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/venv/bin:$PATH"
target=aarch64-unknown-linux-gnu

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "==> adding the Rust standard library for $target (rustup target add $target)"
  if ! rustup target add "$target"; then
    cat >&2 <<MSG
error: the Rust target $target is not installed and could not be added.
  make build cross-compiles for AWS Lambda on arm64 (Graviton) and needs:
    - rustup target add $target   (the standard library for the target)
    - Zig, which .tools/ provides (pip package ziglang==0.14.1)
  Install the target, then run make build again.
MSG
    exit 1
  fi
fi

functions=$(ls functions)
args=()
for f in $functions; do args+=(--bin "$f"); done
echo "==> cargo lambda build --release --arm64 (${functions//$'\n'/, })"
cargo lambda build --release --arm64 "${args[@]}"
for f in $functions; do
  size=$(stat -c %s "target/lambda/$f/bootstrap")
  printf '    %-24s %6d KiB  target/lambda/%s/bootstrap\n' "$f" $((size / 1024)) "$f"
done
