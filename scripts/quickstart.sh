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

echo "== debertac compile examples/tiny-nli -o nli.so, then run it natively (debertac run, examples/c)"
out=.build/quickstart   # git-ignored; keep the results to play with
mkdir -p "$out"
"$debertac" compile examples/tiny-nli -o "$out/nli.so"
"$debertac" run "$out/nli.so" --input examples/tiny-nli/input.json
cc -I include examples/c/classify.c -o "$out/classify" -ldl -lm
"$out/classify" "$out/nli.so" "85 95 69 71|94 48 24" "38 94 78|15 5 56"
echo "== done: $out/nli.so, its header $out/debertac.h, and the C host $out/classify"
