#!/usr/bin/env bash
# The whole test suite: setup, build, and every test target. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

scripts/setup.sh
swift build --build-tests --quiet
# Replay every fuzz seed and regression input under AddressSanitizer (deterministic, no new
# fuzzing: `scripts/fuzz.sh 600` is the long run, see docs/security.md).
scripts/fuzz.sh 0
swift test --skip-build
