#!/usr/bin/env bash
# The full benchmark in one command (about 1.5 hours on 2 cores the first time, 1 hour after; bench/README.md):
# system packages, Python packages, a release build of debertac, then bench/bench.py, which prints the
# tables and writes docs/benchmarks.md, then bench/tokenization.py (tokenization speed, a few minutes),
# which writes that page's tokenization section. Extra arguments go to bench.py, e.g.
# `bench/run.sh --shapes base` or `--repeat 1` (the default here is --repeat 3; tokenization.py takes --quick,
# --install-only and --prepare-only from them); with --quick (a smoke run, one repetition) nothing is written
# to docs/. The exit status is 1 if either failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
python=${PYTHON:-python3}

scripts/setup.sh                                         # LLVM 19, OpenBLAS, a C compiler (idempotent)
"$python" bench/bench.py --install-only                  # pip-installs missing Python packages, quietly
"$python" bench/tokenization.py --install-only           # (sentencepiece, tokenizers)

# If the tree does not build, the other engines are still measured and the debertac rows say why.
echo "bench: building debertac (release, .build-bench)" >&2
mkdir -p bench/cache/logs
unavailable=()
if swift build -c release --scratch-path .build-bench --product debertac > bench/cache/logs/swift-build.log 2>&1; then
    tail -n 1 bench/cache/logs/swift-build.log >&2
else
    grep -m 5 "error:" bench/cache/logs/swift-build.log >&2 || tail -n 5 bench/cache/logs/swift-build.log >&2
    unavailable=(--debertac-unavailable "swift build failed (bench/cache/logs/swift-build.log)")
fi

docs=(--write-docs)
repeat=(--repeat 3)                                      # every timed block three times over (bench/README.md)
tokenization=()
help=0
for arg in "$@"; do
    case "$arg" in
        --quick) docs=(); repeat=(); tokenization+=(--quick) ;;
        --install-only|--prepare-only) tokenization+=("$arg") ;;
        -h|--help) help=1 ;;
    esac
done
tokenization+=("${docs[@]}")
export BENCH_COMMAND="bench/run.sh${*:+ $*}"
status=0
"$python" bench/bench.py --debertac .build-bench/release/debertac "${unavailable[@]}" "${docs[@]}" "${repeat[@]}" "$@" \
    || status=$?
[ "$help" = 1 ] && exit "$status"
"$python" bench/tokenization.py --debertac .build-bench/release/debertac "${unavailable[@]}" "${tokenization[@]}" \
    || { [ "$status" = 0 ] && status=1; }
exit "$status"
