#!/usr/bin/env bash
# Runs the whole workspace's tests with cargo-nextest when installed (one
# process per test), otherwise with cargo test.
set -euo pipefail
if cargo nextest --version >/dev/null 2>&1; then
    exec cargo nextest run --workspace --no-fail-fast "$@"
else
    exec cargo test --workspace --no-fail-fast "$@"
fi
