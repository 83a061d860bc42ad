#!/usr/bin/env bash
# The whole test suite: setup, build, and every test target. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

scripts/setup.sh
swift build --build-tests --quiet
# Every fuzz target for 8 s under AddressSanitizer (about a minute in all), starting from its
# seeds and regression inputs, so each of them is replayed too; `scripts/fuzz.sh 600` is the
# long run (docs/security.md).
scripts/fuzz.sh 8
swift test --skip-build
# The Python package in a fresh virtual environment, its tests and the Ray example's (about a minute).
scripts/test_python.sh
