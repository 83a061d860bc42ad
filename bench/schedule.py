"""Measuring one shape: bring every engine up in its own process, check its logits against PyTorch, then
time it. Engines are timed in blocks, each block round-robin over the engines in it: one block of every
engine (interleaved), or each peer with the debertac builds it is compared with (paired), or each engine
alone (sequential). `--repeat N` runs each block's timing N times over; a repetition is every case's
warm-up and timed rounds."""

import math
import os
import sys
import time
from pathlib import Path

from catalogue import DEBERTAC_BUILDS, ENGINES, PRECISIONS, REFERENCE, companions
from processes import CpuMonitor, EngineFailure, EngineSkipped, Worker, log
from shapes import Case, forward_flops

HERE = Path(__file__).resolve().parent
# (warm-up rounds, timed rounds) per shape and case; a round runs every engine of a block once. Sized
# so that a full run stays within the time README.md states on 2 cores.
REPETITIONS = {
    "base": {"1x128": (3, 30), "8x128": (2, 10), "1x512": (2, 12)},
    "xxlarge": {"1x128": (1, 11)},
    "v1-large": {"1x128": (1, 11)},
}
QUICK_REPETITIONS = (1, 3)
PROCESS_BYTES = 300 * 2**20     # an engine process's own memory besides the model (Python, libraries, activations)


def plan(mode: str, engines: list) -> list:
    """The blocks, in order: [(owner, [engines])]. A block is timed when its owner (None: any engine) is
    up; an engine is loaded before its first block and closed after its last.

    interleaved: one block of everything. sequential: PyTorch alone, then each engine alone. paired:
    PyTorch, then each fp32 peer, each with the debertac builds it is compared with (its baseline and the
    builds whose targets name it); then the debertac builds together (their own ratios); then the bf16 and
    int8 peers likewise. So a build is in memory only while a block needs it (fp32 debertac is closed
    before the bf16 peers load), and every ratio comes from calls interleaved in one block."""
    others = [e for e in engines if e != REFERENCE]
    if mode == "interleaved":
        return [(None, list(engines))]
    if mode == "sequential":
        return [(e, [e]) for e in [REFERENCE] + others]
    builds = [e for e in others if e in DEBERTAC_BUILDS]
    peers = [e for e in others if e not in DEBERTAC_BUILDS]

    def block(peer):
        return peer, companions(peer, builds) + [peer]

    first = [block(REFERENCE)] + [block(p) for p in peers if ENGINES[p].precision == "fp32"]
    later = [block(p) for p in sorted((p for p in peers if ENGINES[p].precision != "fp32"),
                                      key=lambda p: PRECISIONS.index(ENGINES[p].precision))]
    elsewhere = {e for _, b in first + later for e in b}
    middle = [(None, builds)] if len(builds) > 1 or any(b not in elsewhere for b in builds) else []
    return first + middle + later


def loaded_sets(blocks: list) -> list:
    """Per block, the engines in memory while it runs: its own, and earlier ones that a later block needs."""
    out = []
    for i, (_, block) in enumerate(blocks):
        later = {e for _, b in blocks[i:] for e in b}
        out.append({e for _, b in blocks[:i + 1] for e in b if e in later})
    return out


def choose_mode(shape, requested: str, engines: list) -> str:
    """Interleave when every engine's model fits in RAM at once (catalogue rss_factor: peak RSS per byte of
    fp32 weights); else pair when the fullest block of the paired plan fits (debertac maps its weights from
    its .so: clean file pages, which the kernel can drop under pressure); else one engine at a time."""
    if requested != "auto":
        return requested
    with open("/proc/meminfo") as f:
        available = next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:")) * 1024
    weights = shape.weight_bytes_fp32()

    def need(loaded):
        return sum(ENGINES[e].rss_factor for e in loaded) * weights + PROCESS_BYTES * len(loaded)

    if need(engines) < 0.7 * available:
        return "interleaved"
    if max(need(s) for s in loaded_sets(plan("paired", engines))) < 0.95 * available:
        return "paired"
    return "sequential"


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
        # times[case]: every timed call (all repetitions and blocks); reps[case][r]: repetition r's calls;
        # blocks[key][case][r]: repetition r's calls in the block `key` (its engines joined by ",").
        self.results = {e: {"status": "pending", "times": {}, "reps": {}, "blocks": {}, "max_abs_diff": {}}
                        for e in args.engines}
        self.checked = set()
        self.workers = {}
        self.monitor = CpuMonitor()

    # -- engines ------------------------------------------------------------------------------------

    def start(self, engine: str) -> Worker:
        spec = ENGINES[engine]
        argv = [sys.executable, str(HERE / "engines.py"), engine, "--threads", str(self.args.threads),
                "--checkpoint", str(self.artifacts["checkpoint"])]
        if spec.artifact:
            if spec.artifact in self.artifacts["errors"]:
                reason = self.artifacts["errors"][spec.artifact]
                raise (EngineSkipped if spec.artifact in self.artifacts.get("skipped", []) else EngineFailure)(reason)
            argv += ["--model", str(self.artifacts["built"][spec.artifact]["path"])]
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
        spec = ENGINES[engine]
        if spec.worker == "debertac" and loaded["precision"] != spec.precision:
            raise EngineFailure(f"{self.artifacts['built'][spec.artifact]['path']} says precision "
                                f"'{loaded['precision']}', expected '{spec.precision}'")
        first = self.timed[0]
        worker.call(cmd="prepare", batch=first.batch, length=first.length)
        first_call = self.run(engine, first)
        stats = worker.call(cmd="stats")
        worker.call(cmd="prepare", batch=self.max_batch, length=self.max_length)
        result.update(status="ok", info=loaded["info"], precision=loaded["precision"], import_s=loaded["import_s"],
                      load_s=loaded["load_s"], rss_after_import_kb=loaded["rss_after_import_kb"],
                      first_call_s=first_call["seconds"], first_case=first.name, maxrss_first_kb=stats["maxrss_kb"])

    def fail(self, engine: str, error: Exception) -> None:
        skipped = isinstance(error, EngineSkipped)
        log(f"{self.shape.name}: {engine} {'skipped' if skipped else 'FAILED'}: {error}")
        self.results[engine].update(status="skipped" if skipped else "failed",
                                    error=str(error).split("\n    (log")[0])
        if engine in self.workers:
            self.workers.pop(engine).close()

    def check(self, engine: str) -> list:
        """Runs every case (timed or not), compares with PyTorch and records the accuracy; returns the
        mismatches as (engine, message). fp32 engines must be within --atol + --rtol·|PyTorch|; reduced-
        precision ones only finite and within --reduced-max-diff (their accuracy is reported instead)."""
        import numpy as np
        spec = ENGINES[engine]
        mismatches, cases = [], {}
        for case in self.shape.cases:
            logits = np.array(self.run(engine, case, logits=True)["logits"], dtype=np.float64)
            if engine == REFERENCE:
                self.reference[case.name] = logits
                continue
            ref = self.reference[case.name]
            if logits.shape != ref.shape:
                mismatches.append((engine, f"{self.shape.name} {case.name}: {engine} gave logits of shape "
                                           f"{logits.shape}, PyTorch {ref.shape}"))
                continue
            diff = np.abs(logits - ref)
            finite = bool(np.isfinite(logits).all())
            worst = float(diff.max()) if finite else float("nan")
            cases[case.name] = {"max": worst, "mean": float(diff.mean()) if finite else float("nan"),
                                "sum": float(diff.sum()) if finite else float("nan"), "logits": int(diff.size),
                                "agree": int((logits.argmax(1) == ref.argmax(1)).sum()), "sequences": len(ref)}
            self.results[engine]["max_abs_diff"][case.name] = worst
            if spec.reduced:
                bad, limit = not finite or worst > self.args.reduced_max_diff, \
                    f"limit {self.args.reduced_max_diff:g} for reduced precision, --reduced-max-diff"
            else:
                bad, limit = not finite or bool((diff > self.args.atol + self.args.rtol * np.abs(ref)).any()), \
                    f"tolerance {self.args.atol:g} + {self.args.rtol:g}·|ref|"
            if bad:
                mismatches.append((engine, f"{self.shape.name} {case.name}: {engine} differs from PyTorch by up to "
                                           f"{worst:.3g} ({limit})\n"
                                           f"      {engine}: {np.array2string(logits[:2], precision=5)}\n"
                                           f"      torch:  {np.array2string(ref[:2], precision=5)}"))
        if engine != REFERENCE:
            self.results[engine]["accuracy"] = accuracy_summary(cases)
        self.checked.add(engine)
        return mismatches

    def finish(self, engine: str) -> None:
        stats = self.workers[engine].call(cmd="stats")
        self.results[engine]["maxrss_end_kb"] = stats["maxrss_kb"]
        self.workers.pop(engine).close()

    def handle_mismatches(self, mismatches: list) -> None:
        if not mismatches:
            return
        text = "\n  ".join(message for _, message in mismatches)
        if not self.args.skip_mismatched:
            for worker in self.workers.values():
                worker.close()
            raise SystemExit(f"\nerror: logits disagree with PyTorch; the run stops:\n  {text}\n"
                             "(--skip-mismatched drops such engines and times the rest)")
        for engine, message in mismatches:
            if self.results[engine]["status"] == "ok":
                self.fail(engine, EngineFailure("logits disagree with PyTorch: " + message.split(": ", 1)[1]))

    def require_reference(self) -> None:
        if self.results[REFERENCE]["status"] != "ok":
            raise SystemExit(f"error: PyTorch, the reference every engine is checked against, failed on "
                             f"{self.shape.name}: {self.results[REFERENCE].get('error')}")

    # -- timing -------------------------------------------------------------------------------------

    def record(self, engine: str, key: str, case: str, rep: int, seconds: float) -> None:
        r = self.results[engine]
        r["times"].setdefault(case, []).append(seconds)
        for store in (r["reps"].setdefault(case, []), r["blocks"].setdefault(key, {}).setdefault(case, [])):
            while len(store) <= rep:
                store.append([])
            store[rep].append(seconds)

    def time_cases(self, engines: list, rep: int) -> None:
        """One repetition: per case, round-robin, each round running every live engine once in an order
        rotated by one each round, with a pause between calls so no engine's spinning threads overlap
        the next."""
        gap = self.args.gap_ms / 1000
        key = ",".join(engines)
        for case in self.timed:
            warmup, reps = self.rounds[case.name]
            log(f"{self.shape.name} {case.name}: repetition {rep + 1}/{self.args.repeat}, {warmup} warm-up + "
                f"{reps} timed rounds over {', '.join(engines)}")
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
                        self.record(engine, key, case.name, rep, seconds)
                    time.sleep(gap)

    def timed_block(self, engines: list) -> None:
        live = [e for e in engines if self.results[e]["status"] == "ok"]
        if live:
            self.monitor.measure([self.workers[e] for e in live],
                                 lambda: [self.time_cases(live, rep) for rep in range(self.args.repeat)])

    # -- the schedule -------------------------------------------------------------------------------

    def run_blocks(self, blocks: list) -> None:
        """Each block: bring up what is not loaded yet (one after another, so loads do not compete),
        check what is not checked yet (PyTorch first: it is the reference), time, then close the engines
        no later block needs. A mismatch stops the run before the block is timed."""
        for i, (owner, block) in enumerate(blocks):
            for engine in block:
                if self.results[engine]["status"] == "pending":
                    try:
                        self.bring_up(engine)
                    except EngineFailure as error:
                        self.fail(engine, error)
            if REFERENCE in block and REFERENCE not in self.checked:
                if self.results[REFERENCE]["status"] == "ok":
                    try:
                        self.check(REFERENCE)
                    except EngineFailure as error:
                        self.fail(REFERENCE, error)
                self.require_reference()
            mismatches = []
            for engine in block:
                if engine not in self.checked and self.results[engine]["status"] == "ok":
                    try:
                        mismatches += self.check(engine)
                    except EngineFailure as error:
                        self.fail(engine, error)
            self.handle_mismatches(mismatches)
            if owner is None or self.results[owner]["status"] == "ok":
                self.timed_block(block)
            later = {e for _, b in blocks[i + 1:] for e in b}
            for engine in [e for e in self.workers if e not in later]:
                try:
                    self.finish(engine)
                except EngineFailure as error:
                    self.fail(engine, error)

    def measure(self, mode: str) -> dict:
        blocks = plan(mode, self.args.engines)
        self.run_blocks(blocks)
        return {"mode": mode, "plan": blocks, "engines": self.results, "rounds": self.rounds,
                "repeat": self.args.repeat, "cpu": self.monitor.summary(),
                "flops": {c.name: forward_flops(self.shape.config, c.batch, c.length) for c in self.timed},
                "cases": [c.__dict__ for c in self.shape.cases]}


def accuracy_summary(cases: dict) -> dict:
    """Over every checked input: max and mean |Δlogit| (NaN if any logit was not finite), the input with
    the largest difference, and how many sequences' argmax agree with PyTorch's."""
    if not cases:
        return {}
    worst = max(cases, key=lambda k: math.inf if math.isnan(cases[k]["max"]) else cases[k]["max"])
    return {"max": cases[worst]["max"], "worst_case": worst,
            "mean": sum(c["sum"] for c in cases.values()) / sum(c["logits"] for c in cases.values()),
            "agree": sum(c["agree"] for c in cases.values()), "sequences": sum(c["sequences"] for c in cases.values()),
            "cases": cases}
