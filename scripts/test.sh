#!/usr/bin/env bash
# The whole test suite: setup, build, and every test target. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

scripts/setup.sh
swift build --build-tests --quiet
swift test --skip-build
