#!/usr/bin/env python3
"""Benchmark debertac (fp32, bf16, int8) against ONNX Runtime, OpenVINO and PyTorch eager on random-weight
DeBERTa-v2 models.

    python3 bench/bench.py [--quick] [--write-docs] [--shapes base,xxlarge,v1-large] [--engines ...] [--repeat N]

One run, top to bottom (main): install missing Python packages; per shape make (or reuse) a random
checkpoint, compile it with debertac at each precision, export (or reuse) its ONNX and the peers' int8
models; measure the system OpenBLAS's sgemm peak and each precision's instruction peak; per shape load
every engine in its own process, check every engine's logits against PyTorch on every input (fp32: within
tolerance; bf16 and int8: accuracy recorded), and time the inputs with engines interleaved round-robin,
--repeat times; print Markdown tables (absolute times, ratios with their spread over repetitions, the
issue's targets, accuracy, GFLOP/s against the FLOP count and the peaks, compile / load / first-call / peak
RSS) and, with --write-docs, write them to docs/benchmarks.md. See bench/README.md.
"""

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402
from artifacts import (OPTIONAL_PACKAGES, blas_library, build_artifacts, ensure_checkpoint,  # noqa: E402
                       ensure_python_packages, measure_peaks, measure_sgemm)
from catalogue import ENGINES, REFERENCE  # noqa: E402
from processes import log  # noqa: E402
from schedule import ShapeRun, choose_mode  # noqa: E402
from shapes import SHAPES  # noqa: E402

FULL_SHAPES, QUICK_SHAPES = ["base", "xxlarge", "v1-large"], ["base-quick", "xxlarge-quick"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="toy shapes and 1 warm-up + 3 timed rounds (smoke run)")
    parser.add_argument("--shapes", help=f"comma-separated, from {', '.join(SHAPES)} "
                                         f"(default {','.join(FULL_SHAPES)}; with --quick {','.join(QUICK_SHAPES)})")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated, from {', '.join(ENGINES)} (default: all); torch is always included")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for every engine (default: all cores this process may use)")
    parser.add_argument("--mode", choices=["auto", "interleaved", "paired", "sequential"], default="auto",
                        help="interleaved: all engines loaded, round-robin; paired: each peer loaded in turn and "
                             "timed round-robin with the debertac builds it is compared with; sequential: one "
                             "engine in memory at a time; auto: interleaved when every engine's model fits in RAM "
                             "at once (catalogue.py rss_factor), else paired when its fullest block fits")
    parser.add_argument("--reps-scale", type=float, default=1.0, help="multiply the timed rounds by this")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time each block this many times over (all cases' warm-up and timed rounds each); "
                             "tables give the median of the per-repetition medians and their min-max")
    parser.add_argument("--gap-ms", type=float, default=50.0, help="pause between two timed calls (default 50)")
    parser.add_argument("--atol", type=float, default=1e-3, help="logit tolerance: |x - torch| <= atol + rtol |torch|")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--reduced-max-diff", type=float, default=1.0,
                        help="bf16 and int8 engines are not held to --atol/--rtol (their accuracy is reported), "
                             "but a logit further than this from PyTorch's, or not finite, is an error (default 1.0: "
                             "the random checkpoints' logits are O(1))")
    parser.add_argument("--skip-mismatched", action="store_true",
                        help="drop engines whose logits disagree instead of stopping the run")
    parser.add_argument("--onnx-exporter", choices=["legacy", "dynamo"], default="legacy")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--debertac", type=Path, default=REPO / ".build-bench" / "release" / "debertac",
                        help="the debertac binary (default .build-bench/release/debertac)")
    parser.add_argument("--debertac-unavailable", metavar="REASON",
                        help="do not compile: report debertac as failed for this reason (run.sh: the build failed)")
    parser.add_argument("--reuse-so", action="store_true", help="reuse cached model*.so files instead of compiling")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a worker may take to answer")
    parser.add_argument("--calibration-samples", type=int, default=32,
                        help="inputs NNCF calibrates openvino-int8 on (default 32)")
    parser.add_argument("--sgemm-reps", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true", help="also write the results to docs/benchmarks.md")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, help="write the raw results here (default: CACHE/results-TIME.json)")
    parser.add_argument("--install-only", action="store_true", help="install missing Python packages and exit")
    parser.add_argument("--prepare-only", action="store_true",
                        help="make the checkpoints, .so files, ONNX exports and int8 models, then exit "
                             "(nothing is timed)")
    args = parser.parse_args(argv)
    args.shapes = args.shapes.split(",") if args.shapes else (QUICK_SHAPES if args.quick else FULL_SHAPES)
    for name in args.shapes:
        if name not in SHAPES:
            parser.error(f"unknown shape '{name}'; expected one of {', '.join(SHAPES)}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ENGINES:
            parser.error(f"unknown engine '{e}'; expected some of {', '.join(ENGINES)}")
    args.engines = [e for e in ENGINES if e in engines or e == REFERENCE]
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.write_docs and args.quick and args.docs == REPO / "docs" / "benchmarks.md":
        parser.error("--quick results are not benchmarks: give --docs OTHER.md to write them somewhere else")
    return args


def main(argv) -> int:
    args = parse_args(argv)
    ensure_python_packages(optional=OPTIONAL_PACKAGES)
    if args.install_only:
        return 0
    started = time.time()
    command = os.environ.get("BENCH_COMMAND") or shlex.join(["python3", "bench/bench.py"] + argv)
    logs = args.cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    machine = report.machine(args.threads, args.debertac)
    log(f"{machine['cpu']}, {args.threads} threads; shapes {', '.join(args.shapes)}; "
        f"engines {', '.join(args.engines)}; load average {machine['loadavg']}")

    # 1. Artifacts for every shape first (checkpoint; debertac compiles, one per precision; the ONNX
    #    export and the peers' int8 models made from it), then the sgemm and instruction peaks.
    artifacts = {}
    for name in args.shapes:
        shape = SHAPES[name]
        artifacts[name] = build_artifacts(shape, ensure_checkpoint(shape, args.cache, logs), args.engines, args, logs)
    if args.prepare_only:
        log(f"artifacts ready in {args.cache} after {(time.time() - started) / 60:.1f} min")
        return 0
    so = next((a["built"][k]["path"] for a in artifacts.values() for k in ("so", "so-bf16", "so-int8")
               if k in a["built"]), None)
    sgemm = measure_sgemm(args.shapes, args.threads, blas_library(so), logs,
                          3 if args.quick else args.sgemm_reps)
    peaks = measure_peaks(args.threads, args.cache, logs, args.quick)

    # 2. Each shape: bring up, check, time.
    shapes = {}
    for name in args.shapes:
        mode = choose_mode(SHAPES[name], args.mode, args.engines)
        log(f"{name}: {mode} schedule")
        shapes[name] = ShapeRun(SHAPES[name], artifacts[name], args, args.cache, logs).measure(mode)
        shapes[name]["artifacts"] = artifacts[name]

    # 3. Report.
    machine["loadavg_end"] = report.loadavg()
    results = {"machine": machine, "command": command, "args": {k: str(v) for k, v in vars(args).items()},
               "sgemm": sgemm, "peaks": peaks, "shapes": shapes, "elapsed_s": time.time() - started,
               "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    # Through JSON, so the tables are made from exactly what the results file holds.
    results = json.loads(json.dumps(results, default=str))
    json_path = args.json or args.cache / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    json_path.write_text(json.dumps(results, indent=1, default=str))
    tables = report.tables(results)
    print(tables)
    failed = [f"{s} {e}" for s, r in shapes.items() for e, v in r["engines"].items()
              if v["status"] not in ("ok", "skipped")]     # skipped: would not fit in memory here, said why
    if args.write_docs:
        if failed and not args.quick:
            log(f"not writing {args.docs}: failed engines: {', '.join(failed)}")
        else:
            previous = args.docs.read_text() if args.docs.exists() else ""
            args.docs.write_text(report.document(tables, results, previous))
            log(f"wrote {args.docs}")
    log(f"done in {(time.time() - started) / 60:.1f} min; raw results in {json_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
