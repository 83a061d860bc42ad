#!/usr/bin/env bash
# The full benchmark in one command (about 20-25 minutes on 2 cores the first time; see bench/README.md):
# system packages, Python packages, a release build of debertac, then bench/bench.py, which prints the
# tables and writes docs/benchmarks.md. Extra arguments go to bench.py, e.g. `bench/run.sh --shapes base`;
# with --quick (a smoke run) nothing is written to docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
python=${PYTHON:-python3}

scripts/setup.sh                                         # LLVM 19, OpenBLAS, a C compiler (idempotent)
"$python" bench/bench.py --install-only                  # pip-installs missing Python packages, quietly

echo "bench: building debertac (release, .build-bench)" >&2
swift build -c release --scratch-path .build-bench --product debertac 2>&1 | tail -n 1 >&2

docs=(--write-docs)
for arg in "$@"; do
    [ "$arg" = "--quick" ] && docs=()
done
export BENCH_COMMAND="bench/run.sh${*:+ $*}"
exec "$python" bench/bench.py --debertac .build-bench/release/debertac "${docs[@]}" "$@"
