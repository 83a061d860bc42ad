#!/usr/bin/env bash
# Quick start: install what debertac needs, build it, and run it on the checkpoint in
# examples/tiny-nli (a toy-width DeBERTa-v2 NLI classifier stored as fp16 pytorch_model.bin).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

scripts/setup.sh
swift build -c release --product debertac 2>&1 | tail -n 3
debertac=$(swift build -c release --show-bin-path)/debertac

echo "== debertac inspect examples/tiny-nli"
"$debertac" inspect examples/tiny-nli
