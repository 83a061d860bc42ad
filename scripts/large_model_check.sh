#!/usr/bin/env bash
# The opt-in heavy check of the backend on a 1.5B-parameter model of the deberta-v2-xxlarge-mnli shape
# (fp16 pytorch_model.bin as on the Hub, 3 GB; 6.6 GB of fp32 weights, past the 2 GB reach of 32-bit
# relocations):
#
#   scripts/large_model_check.sh [WORKDIR]          # default /tmp/debertac-large; needs ~20 GB free
#
# Makes the checkpoint (scripts/make_large_checkpoint.py, needs torch + transformers), builds debertac in
# release mode (or uses $DEBERTAC, a built binary; $LARGE_CHECKPOINT names a checkpoint folder made earlier), compiles the checkpoint with weights embedded at each
# of fp32, bf16, int8 and with --external-weights at fp32 ($RUNS: a subset of "fp32 bf16 int8 external"), each under
# /usr/bin/time -v, then loads each .so with dlopen and classifies a 128-token pair. Prints per compile:
# wall time; the peak RSS of the largest process of the compile (/usr/bin/time reports the maximum over
# the compiler and its children, which run one at a time while it waits: in practice the compiler's);
# the peak RSS and time of every tool the C compiler ran (cc1, as, collect2 and its ld, through
# `cc -wrapper`); then the .so size, dlopen / open time and latency. Deletes everything it made at the
# end. On a shared machine run it under `nice -n 19` (its times are then upper bounds). Its figures go into
# docs/benchmarks.md by hand, between the `scripts/large_model_check.sh` markers (bench/run.sh keeps them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
work="${1:-/tmp/debertac-large}"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

echo "== checkpoint" >&2
if [ -n "${LARGE_CHECKPOINT:-}" ]; then
    model="$LARGE_CHECKPOINT"     # one made earlier by make_large_checkpoint.py (kept)
else
    model="$work/model"
    python3 scripts/make_large_checkpoint.py "$model"
fi
if [ -n "${DEBERTAC:-}" ]; then
    debertac="$DEBERTAC"
else
    scratch="${DEBERTAC_SCRATCH_PATH:-.build}"   # another SwiftPM scratch path avoids a shared build lock
    swift build -c release --scratch-path "$scratch" --product debertac --quiet
    debertac="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/debertac"
fi

# Every tool the C compiler runs, under /usr/bin/time: one line each in $TOOL_RSS_LOG.
cat > "$work/tool-rss.sh" <<'EOF'
#!/bin/sh
exec /usr/bin/time -a -o "$TOOL_RSS_LOG" -f "%M KB %e s $(basename "$1")" "$@"
EOF
printf '#!/bin/sh\nexec %s -wrapper "%s" "$@"\n' "${CC:-cc}" "$work/tool-rss.sh" > "$work/cc"
chmod +x "$work/tool-rss.sh" "$work/cc"

cat > "$work/bench.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "debertac.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
#define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(lib, #name)
int main(int argc, char **argv) {
    int T = 128, runs = 5;
    double t0 = now();
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { printf("%s\n", dlerror()); return 1; }
    double t1 = now();
    LOAD(debertac_model_open); LOAD(debertac_session_create); LOAD(debertac_classify);
    LOAD(debertac_session_last_error); LOAD(debertac_open_error);
    debertac_model *m; debertac_session *s;
    if (p_debertac_model_open(NULL, &m)) { printf("open: %s\n", p_debertac_open_error()); return 1; }
    double t2 = now();
    if (p_debertac_session_create(m, 1, T, &s)) { printf("session: %s\n", p_debertac_open_error()); return 1; }
    int32_t ids[128];
    srand(1);
    for (int i = 0; i < T; i++) ids[i] = 5 + rand() % 128000;
    ids[0] = 1; ids[60] = 2; ids[T - 1] = 2;      /* [CLS] premise [SEP] hypothesis [SEP] */
    float logits[3];
    printf("dlopen %.3f s, model_open %.3f s\n", t1 - t0, t2 - t1);
    for (int r = 0; r < runs; r++) {
        double a = now();
        if (p_debertac_classify(s, 1, T, ids, NULL, NULL, logits)) { printf("%s\n", p_debertac_session_last_error(s)); return 1; }
        printf("classify 1 x %d: %.0f ms (logits %.4f %.4f %.4f)\n", T, (now() - a) * 1e3, logits[0], logits[1], logits[2]);
    }
    return 0;
}
EOF
cc -O2 -I include "$work/bench.c" -o "$work/bench" -ldl

for run in ${RUNS:-fp32 bf16 int8 external}; do
    precision="$run"
    flags=()
    [ "$run" = external ] && { precision=fp32; flags=(--external-weights); }
    mkdir -p "$work/$run"
    echo "== compile ($run: --precision $precision ${flags[*]})"
    export TOOL_RSS_LOG="$work/tools.txt"
    rm -f "$TOOL_RSS_LOG"
    if ! CC="$work/cc" /usr/bin/time -v "$debertac" compile "$model" -o "$work/$run/nli.so" \
            --precision "$precision" "${flags[@]}" 2> "$work/time.txt"; then
        cat "$work/time.txt" >&2
        exit 1
    fi
    grep "^debertac:" "$work/time.txt" | tail -3
    grep -E "Elapsed|Maximum resident|User time|System time" "$work/time.txt"
    echo "  tools of cc (peak RSS, time; the largest of each name):"
    sort -rn "$TOOL_RSS_LOG" | awk '!seen[$5]++ { printf "    %-10s %8.1f MB %7.2f s\n", $5, $1 / 1024, $3 }'
    ls -l "$work/$run"
    # A cold page cache for the load timing, only when asked (DROP_CACHES=1, as root): it empties the
    # cache of the whole machine, other people's benchmarks included.
    if [ "${DROP_CACHES:-0}" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; fi
    "$work/bench" "$work/$run/nli.so"
    rm -rf "$work/$run"
done
