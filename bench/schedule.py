"""Measuring one shape: bring every engine up in its own process, check its logits against PyTorch,
then time it: all engines in memory and interleaved round-robin, or debertac interleaved with one peer
at a time, or one engine at a time."""

import os
import sys
import time
from pathlib import Path

from processes import CpuMonitor, EngineFailure, Worker, log
from shapes import Case, forward_flops

HERE = Path(__file__).resolve().parent
REFERENCE = "torch"
# (warm-up rounds, timed rounds) per shape and case; a round runs every engine once. Sized so that
# a full run (both shapes, first run included) stays under 30 minutes on 2 cores; see README.md.
REPETITIONS = {
    "base": {"1x128": (3, 30), "8x128": (2, 10), "1x512": (2, 12)},
    "xxlarge": {"1x128": (1, 11)},
}
QUICK_REPETITIONS = (1, 3)


class ShapeRun:
    """Brings up every engine on one shape, checks them against PyTorch, and times them."""

    def __init__(self, shape, artifacts: dict, args, cache: Path, logs: Path):
        self.shape, self.artifacts, self.args, self.logs = shape, artifacts, args, logs
        self.vocab = shape.config["vocab_size"]
        self.timed = [c for c in shape.cases if c.timed]
        reps = REPETITIONS.get(shape.name, {})
        self.rounds = {c.name: QUICK_REPETITIONS if args.quick or c.name not in reps else reps[c.name]
                       for c in self.timed}
        if args.reps_scale != 1:
            self.rounds = {k: (w, max(1, round(r * args.reps_scale))) for k, (w, r) in self.rounds.items()}
        self.max_batch = max(c.batch for c in shape.cases)
        self.max_length = max(c.length for c in shape.cases)
        self.reference = {}              # case name -> PyTorch logits
        self.results = {e: {"status": "pending", "times": {}, "max_abs_diff": {}} for e in args.engines}
        self.workers = {}
        self.monitor = CpuMonitor()

    # -- engines ------------------------------------------------------------------------------------

    def start(self, engine: str) -> Worker:
        a = self.artifacts
        argv = [sys.executable, str(HERE / "engines.py"), engine, "--threads", str(self.args.threads),
                "--checkpoint", str(a["checkpoint"])]
        if engine in ("onnxruntime", "openvino"):
            if "onnx_error" in a:
                raise EngineFailure(a["onnx_error"])
            argv += ["--onnx", str(a["onnx"]["path"])]
        if engine == "debertac":
            if "debertac_error" in a:
                raise EngineFailure(a["debertac_error"])
            argv += ["--so", str(a["debertac"]["path"])]
        n = str(self.args.threads)
        env = {**os.environ, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "DEBERTAC_NUM_THREADS": n,
               "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error", "PYTHONWARNINGS": "ignore"}
        return Worker(engine, argv, env, self.logs / f"{self.shape.name}-{engine}.log", self.args.timeout)

    def run(self, engine: str, case: Case, logits: bool = False) -> dict:
        return self.workers[engine].call(cmd="run", case=case.__dict__, vocab=self.vocab, logits=logits)

    def bring_up(self, engine: str) -> None:
        """Start, load, first call at the first timed case in a session sized for it (so the peak RSS
        is that of loading and classifying it), then size the engine for the largest input."""
        result = self.results[engine]
        log(f"{self.shape.name}: loading {engine}")
        worker = self.workers[engine] = self.start(engine)
        loaded = worker.call(cmd="load")
        first = self.timed[0]
        worker.call(cmd="prepare", batch=first.batch, length=first.length)
        first_call = self.run(engine, first)
        stats = worker.call(cmd="stats")
        worker.call(cmd="prepare", batch=self.max_batch, length=self.max_length)
        result.update(status="ok", info=loaded["info"], import_s=loaded["import_s"], load_s=loaded["load_s"],
                      rss_after_import_kb=loaded["rss_after_import_kb"], first_call_s=first_call["seconds"],
                      first_case=first.name, maxrss_first_kb=stats["maxrss_kb"])

    def fail(self, engine: str, error: Exception) -> None:
        log(f"{self.shape.name}: {engine} FAILED: {error}")
        self.results[engine].update(status="failed", error=str(error).split("\n    (log")[0])
        if engine in self.workers:
            self.workers.pop(engine).close()

    def check(self, engine: str) -> list:
        """Runs every case (timed or not) and compares with PyTorch; returns the mismatches."""
        import numpy as np
        mismatches = []
        for case in self.shape.cases:
            logits = np.array(self.run(engine, case, logits=True)["logits"], dtype=np.float64)
            if engine == REFERENCE:
                self.reference[case.name] = logits
                continue
            ref = self.reference[case.name]
            diff = np.abs(logits - ref)
            self.results[engine]["max_abs_diff"][case.name] = float(diff.max())
            bad = diff > self.args.atol + self.args.rtol * np.abs(ref)
            if logits.shape != ref.shape or bad.any():
                mismatches.append(f"{self.shape.name} {case.name}: {engine} differs from PyTorch by up to "
                                  f"{diff.max():.3g} (tolerance {self.args.atol:g} + {self.args.rtol:g}·|ref|)\n"
                                  f"      {engine}: {np.array2string(logits[:2], precision=5)}\n"
                                  f"      torch:  {np.array2string(ref[:2], precision=5)}")
        return mismatches

    def finish(self, engine: str) -> None:
        stats = self.workers[engine].call(cmd="stats")
        self.results[engine]["maxrss_end_kb"] = stats["maxrss_kb"]
        self.workers.pop(engine).close()

    def handle_mismatches(self, mismatches: list) -> None:
        if not mismatches:
            return
        text = "\n  ".join(mismatches)
        if not self.args.skip_mismatched:
            for worker in self.workers.values():
                worker.close()
            raise SystemExit(f"\nerror: logits disagree with PyTorch; nothing was timed:\n  {text}\n"
                             "(--skip-mismatched drops such engines and times the rest)")
        for line in mismatches:
            engine = line.split(": ", 1)[1].split(" ", 1)[0]
            if self.results[engine]["status"] == "ok":
                self.fail(engine, EngineFailure("logits disagree with PyTorch: " + line.split(": ", 1)[1]))

    # -- timing -------------------------------------------------------------------------------------

    def time_cases(self, engines: list) -> None:
        """Round-robin: each round runs every live engine once on the case, in an order rotated by one
        each round, with a pause between calls so no engine's spinning threads overlap the next."""
        gap = self.args.gap_ms / 1000
        for case in self.timed:
            warmup, reps = self.rounds[case.name]
            log(f"{self.shape.name} {case.name}: {warmup} warm-up + {reps} timed rounds over {', '.join(engines)}")
            for r in range(warmup + reps):
                order = engines[r % len(engines):] + engines[:r % len(engines)]
                for engine in order:
                    if self.results[engine]["status"] != "ok":
                        continue
                    try:
                        seconds = self.run(engine, case)["seconds"]
                    except EngineFailure as error:
                        self.fail(engine, error)
                        continue
                    if r >= warmup:
                        self.results[engine]["times"].setdefault(case.name, []).append(seconds)
                    time.sleep(gap)

    def timed_block(self, engines: list) -> None:
        live = [e for e in engines if self.results[e]["status"] == "ok"]
        if live:
            self.monitor.measure([self.workers[e] for e in live], lambda: self.time_cases(live))

    # -- the schedules --------------------------------------------------------------------------

    def interleaved(self) -> None:
        """Every engine loaded at once (one after another, so loads do not compete), interleaved timing."""
        for engine in self.args.engines:
            try:
                self.bring_up(engine)
            except EngineFailure as error:
                self.fail(engine, error)
        self.require_reference()
        live = [e for e in self.args.engines if self.results[e]["status"] == "ok"]
        mismatches = []
        for engine in [REFERENCE] + [e for e in live if e != REFERENCE]:
            try:
                mismatches += self.check(engine)
            except EngineFailure as error:
                self.fail(engine, error)
        self.handle_mismatches(mismatches)
        self.timed_block(self.args.engines)
        for engine in list(self.workers):
            try:
                self.finish(engine)
            except EngineFailure as error:
                self.fail(engine, error)

    def one_at_a_time(self, companion: str | None = None) -> None:
        """One peer in memory at a time: PyTorch first, as the reference; each engine is checked,
        timed and closed before the next is loaded.

        Sequential (no `companion`): each engine is timed alone. Paired (`companion` = debertac):
        the companion is loaded once and kept, and each other engine is timed round-robin against
        it. The host's speed drifts by several per cent over minutes, which one-at-a-time timing
        folds into the ratios; paired, each ratio uses the companion's calls from that engine's
        block (`results[companion]["paired"]`), while the companion's own row pools them all."""
        if companion:
            try:
                self.bring_up(companion)
            except EngineFailure as error:
                self.fail(companion, error)
        for engine in [REFERENCE] + [e for e in self.args.engines if e not in (REFERENCE, companion)]:
            try:
                self.bring_up(engine)
                if engine == REFERENCE:
                    self.check(engine)
                else:
                    self.handle_mismatches(self.check(engine))
                    if self.results[engine]["status"] != "ok":
                        continue
            except EngineFailure as error:
                self.fail(engine, error)
            if engine == REFERENCE:
                self.require_reference()
                if companion and self.results[companion]["status"] == "ok":
                    try:
                        self.handle_mismatches(self.check(companion))
                    except EngineFailure as error:
                        self.fail(companion, error)
            if self.results[engine]["status"] != "ok":
                continue
            partner = [companion] if companion and self.results[companion]["status"] == "ok" else []
            before = {case: len(ts) for case, ts in self.results[companion]["times"].items()} if partner else {}
            self.timed_block(partner + [engine])
            if partner and self.results[companion]["status"] == "ok":
                self.results[companion].setdefault("paired", {})[engine] = {
                    case: ts[before.get(case, 0):] for case, ts in self.results[companion]["times"].items()}
            try:
                if self.results[engine]["status"] == "ok":
                    self.finish(engine)
            except EngineFailure as error:
                self.fail(engine, error)
        if companion in self.workers:
            try:
                self.finish(companion)
            except EngineFailure as error:
                self.fail(companion, error)

    def require_reference(self) -> None:
        if self.results[REFERENCE]["status"] != "ok":
            raise SystemExit(f"error: PyTorch, the reference every engine is checked against, failed on "
                             f"{self.shape.name}: {self.results[REFERENCE].get('error')}")

    def measure(self, mode: str) -> dict:
        self.mode = mode
        if mode == "interleaved":
            self.interleaved()
        else:
            self.one_at_a_time("debertac" if mode == "paired" else None)
        return {"mode": mode, "engines": self.results, "rounds": self.rounds, "cpu": self.monitor.summary(),
                "flops": {c.name: forward_flops(self.shape.config, c.batch, c.length) for c in self.timed},
                "cases": [c.__dict__ for c in self.shape.cases]}


def choose_mode(shape, requested: str) -> str:
    """Interleave when every engine's model fits in RAM at once (each engine holds about 1-2.5 copies of
    the fp32 weights while it loads); else pair debertac with one peer at a time when the largest peer
    fits (debertac maps its weights from its .so: clean file pages, which the kernel can drop under
    pressure); else run engines one at a time."""
    if requested != "auto":
        return requested
    with open("/proc/meminfo") as f:
        available = next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:")) * 1024
    weights = shape.weight_bytes_fp32()
    if weights * (1.2 + 2.5 + 2.5 + 1.2) + 4 * 600 * 2**20 < 0.7 * available:
        return "interleaved"
    # Peak RSS measured on xxlarge: OpenVINO 1.95 × the fp32 weights, PyTorch 1.6 ×, ONNX Runtime 1.0 ×.
    if weights * (1.0 + 2.0) + 2 * 600 * 2**20 < 0.95 * available:
        return "paired"
    return "sequential"
