#!/usr/bin/env bash
# Quick start: install what debertac needs, build it, compile the trained example checkpoint in
# examples/synthetic-nli (a small DeBERTa-v2 NLI classifier, fp16 pytorch_model.bin, with its
# SentencePiece tokenizer) into a .so, then classify sentence pairs given as text with a C host
# and run one zero-shot classification.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

scripts/setup.sh
swift build -c release --product debertac 2>&1 | tail -n 3
debertac=$(swift build -c release --show-bin-path)/debertac

out=.build/quickstart   # git-ignored; keep the results to play with
mkdir -p "$out"
echo "== debertac compile examples/synthetic-nli -o $out/nli.so   (weights and tokenizer in one .so)"
"$debertac" compile examples/synthetic-nli -o "$out/nli.so"

echo "== a C host (examples/c/classify.c) classifies premise|hypothesis pairs given as text"
cc -I include examples/c/classify.c -o "$out/classify" -ldl -lm
"$out/classify" "$out/nli.so" \
    "A man is playing a guitar on stage.|A person is making music." \
    "A man is playing a guitar on stage.|The man is sleeping."

echo "== zero-shot classification, as Hugging Face's pipeline does it"
"$debertac" zero-shot "$out/nli.so" "The team won the championship last night." --labels "sports,politics,cooking"
echo "== done: $out/nli.so, its header $out/debertac.h, and the C host $out/classify"
