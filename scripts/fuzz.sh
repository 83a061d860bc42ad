#!/usr/bin/env bash
# Coverage-guided fuzzing of every untrusted-input parser (docs/security.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Builds the libFuzzer targets (Fuzz/build.sh), then runs each target in turn, one at a time,
# for SECONDS_PER_TARGET seconds (default 600; CI uses 10; 0 only replays the seeds and
# regressions). Each run starts from Fuzz/seeds/<target> and Fuzz/regressions/<target> and
# keeps what it finds in a per-target corpus under $FUZZ_BUILD_DIR (default
# .build-fuzz-targets/), so later runs resume from it. Inputs that take longer than 10 s
# count as timeouts.
#
# Exits 1 if any target crashed, timed out, ran out of memory, broke a harness invariant or
# got a sanitizer report; the input is saved as $FUZZ_BUILD_DIR/artifacts/<target>/crash-*
# (or timeout-*, oom-*), and the log as .../logs/<target>.log. Turn a finding into a
# regression: fix it, add a unit test, and copy the input to Fuzz/regressions/<target>/.
# Ends with a table of executions per second, coverage and corpus size per target.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

seconds="${1:-600}"
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
targets=("$@")
((${#targets[@]})) || targets=(safetensors zip pickle torch-zip torch-legacy config ir spm-model tokenizer-json bpe-vocab)

out="${FUZZ_BUILD_DIR:-$PWD/.build-fuzz-targets}"
export FUZZ_BUILD_DIR="$out"
Fuzz/build.sh "${targets[@]}"

# Let libFuzzer and ASan report crashes themselves (Swift's backtracer would also catch the
# signal, slowly), and fail on leaks too.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"

mkdir -p "$out/logs"
failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$out/corpus/$target"
    artifacts="$out/artifacts/$target"
    log="$out/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "Fuzz/regressions/$target"
    args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
    [ -f "Fuzz/dict/$target.dict" ] && args+=(-dict="Fuzz/dict/$target.dict")
    if ((seconds == 0)); then args+=(-runs=0); else args+=(-max_total_time="$seconds"); fi
    echo "fuzz: $target for ${seconds}s (log: $log)" >&2
    status=0
    "$out/bin/fuzz-$target" "${args[@]}" "$corpus" "Fuzz/seeds/$target" "Fuzz/regressions/$target" >"$log" 2>&1 || status=$?

    # The last status line: "#N DONE cov: C ft: F corp: U/Sb ... exec/s: E rss: R".
    line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -1 || true)
    field() { sed -nE "s/.*[[:space:]]$1:? ([^[:space:]]+).*/\\1/p" <<<"$line"; }
    stat() { sed -nE "s/^stat::$1:[[:space:]]*([0-9]+).*/\\1/p" "$log" | tail -1; }
    runs=$(stat number_of_executed_units)
    result=ok
    if ((status != 0)); then
        result="FAILED ($status)"
        failed+=("$target")
        { grep -E "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|fuzz invariant|SUMMARY|Test unit written" "$log" | head -6
          grep -E "^ +#[0-9]+ .*/(Sources|Fuzz)/" "$log" | head -3; } | sed 's/^/    /' >&2 || true
    fi
    summary+=("$(printf '%-15s %-11s %10s %9s %6s %7s %8s %9s %6s' "$target" "$result" "${runs:-?}" \
        "$(stat average_exec_per_sec)" "$(field cov)" "$(field ft)" "$(field corp | cut -d/ -f1)" \
        "$(field corp | cut -d/ -f2)" "$(stat peak_rss_mb)")")
done

echo
echo "fuzzing: ${seconds}s per target on $(nproc) cores ($(uname -m), $(swiftc --version 2>&1 | head -1 | sed 's/ (.*//'))"
printf '%-15s %-11s %10s %9s %6s %7s %8s %9s %6s\n' target result execs exec/s cov ft corpus size rss_mb
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $out/artifacts/, logs in $out/logs/)" >&2
    exit 1
fi
