#!/usr/bin/env python3
"""Benchmark debertac against ONNX Runtime, OpenVINO and PyTorch eager on random-weight DeBERTa-v2 models.

    python3 bench/bench.py [--quick] [--write-docs] [--shapes base,xxlarge] [--engines ...]

One run: measures the system OpenBLAS's sgemm peak, then for each shape makes (or reuses) a random
checkpoint, compiles it with debertac, exports (or reuses) its ONNX, loads every engine in its own
process, checks every engine's logits against PyTorch on every input, times the inputs with engines
interleaved round-robin, and prints Markdown tables (absolute times, ratios, GFLOP/s against the FLOP
count and the sgemm peak, compile / load / first-call / peak RSS). See bench/README.md.
"""

import argparse
import json
import os
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402
from shapes import SHAPES, Case, forward_flops  # noqa: E402

ENGINES = ["debertac", "onnxruntime", "openvino", "torch"]
REFERENCE = "torch"
# Bumped when checkpoints.py changes what it writes, so cached checkpoints are remade.
CHECKPOINT_VERSION = 1
ONNX_VERSION = 2      # likewise for the ONNX export (2: weights in one external-data file)
# (warm-up rounds, timed rounds) per shape and case; a round runs every engine once. Sized so that
# a full run (both shapes, first run included) stays under 30 minutes on 2 cores; see README.md.
REPETITIONS = {
    "base": {"1x128": (3, 30), "8x128": (2, 8), "1x512": (2, 10)},
    "xxlarge": {"1x128": (1, 7)},
}
QUICK_REPETITIONS = (1, 3)
FULL_SHAPES, QUICK_SHAPES = ["base", "xxlarge"], ["base-quick", "xxlarge-quick"]


class EngineFailure(Exception):
    """An engine could not be built, loaded or run; the others carry on without it."""


# Python packages the benchmark needs: import name -> pip requirement. torch comes from PyTorch's CPU
# index (PyPI's Linux wheel pulls in gigabytes of CUDA libraries this benchmark never uses).
PACKAGES = {"numpy": "numpy", "safetensors": "safetensors", "transformers": "transformers", "onnx": "onnx",
            "onnxscript": "onnxscript", "onnxruntime": "onnxruntime", "openvino": "openvino"}
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"


def ensure_python_packages() -> None:
    """pip-installs whatever is missing, quietly; does nothing (and imports nothing) when all are there."""
    from importlib.util import find_spec
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if find_spec("torch") is None:
        log("installing torch (CPU build)")
        subprocess.run(pip + ["--index-url", TORCH_INDEX, "torch"], check=True)
    missing = [requirement for module, requirement in PACKAGES.items() if find_spec(module) is None]
    if missing:
        log(f"installing {', '.join(missing)}")
        subprocess.run(pip + missing, check=True)


# ----------------------------------------------------------------------------------------------------
# Child processes

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_measured(argv, log_path: Path, env=None) -> dict:
    """Runs a command to completion with its output in log_path; returns wall time, CPU time, peak RSS."""
    with open(log_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss}


class Worker:
    """An engine in its own process (bench/engines.py), driven one JSON line at a time."""

    def __init__(self, engine: str, argv, env, log_path: Path, timeout: float):
        self.engine, self.log_path, self.timeout = engine, log_path, timeout
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log_file,
                                     env=env, text=True, bufsize=1, cwd=REPO)

    def call(self, **request) -> dict:
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._failure(f"the {self.engine} worker died")
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            self.kill()
            raise self._failure(f"no answer to '{request['cmd']}' within {self.timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise self._failure(f"the {self.engine} worker exited with status {code} during '{request['cmd']}'")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise self._failure(reply.get("error", "unknown error"))
        return reply

    def _failure(self, message: str) -> EngineFailure:
        self.log_file.flush()
        return EngineFailure(f"{message}\n    (log {self.log_path}; last lines:)\n" +
                             "\n".join("    | " + l for l in tail(self.log_path).splitlines()))

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call(cmd="quit")
                self.proc.wait(timeout=60)
            except (EngineFailure, subprocess.TimeoutExpired, OSError):
                self.kill()
        self.log_file.close()


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads
    except (OSError, IndexError):
        return 0.0


class CpuMonitor:
    """How much CPU other processes used while we timed: (all busy time - ours) / wall time, in cores."""

    def __init__(self):
        self.wall = self.foreign = self.steal = 0.0

    @staticmethod
    def _system():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
        user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
        return (user + nice + system + irq + softirq) / tick, steal / tick

    def measure(self, workers, body):
        own = lambda: process_cpu_seconds(os.getpid()) + sum(w.cpu_seconds() for w in workers)  # noqa: E731
        busy0, steal0, own0, t0 = *self._system(), own(), time.perf_counter()
        body()
        busy1, steal1, own1, t1 = *self._system(), own(), time.perf_counter()
        self.wall += t1 - t0
        self.foreign += max(0.0, (busy1 - busy0) - (own1 - own0))
        self.steal += steal1 - steal0

    def summary(self) -> dict:
        wall = max(self.wall, 1e-9)
        return {"timed_wall_s": self.wall, "foreign_cores": self.foreign / wall, "steal_cores": self.steal / wall}


# ----------------------------------------------------------------------------------------------------
# Artifacts: checkpoint, debertac .so, ONNX

def stamp_matches(path: Path, stamp: dict) -> bool:
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return {k: old.get(k) for k in stamp} == stamp


def ensure_checkpoint(shape, cache: Path, logs: Path) -> Path:
    directory = cache / shape.name / "checkpoint"
    stamp_path = cache / shape.name / "checkpoint.json"
    stamp = {"version": CHECKPOINT_VERSION, "config": shape.config, "dtype": shape.dtype}
    if directory.is_dir() and stamp_matches(stamp_path, stamp):
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    log(f"{shape.name}: making a random {shape.dtype} checkpoint")
    result = run_measured([sys.executable, str(HERE / "checkpoints.py"), "make", shape.name, str(directory)],
                          logs / f"{shape.name}-checkpoint.log")
    if result["returncode"] != 0:
        raise SystemExit(f"error: making the {shape.name} checkpoint failed:\n{tail(logs / f'{shape.name}-checkpoint.log')}")
    stamp_path.write_text(json.dumps({**stamp, "seconds": result["wall_s"]}, indent=1))
    return directory


def ensure_onnx(shape, checkpoint: Path, cache: Path, logs: Path, exporter: str, opset: int) -> dict:
    from importlib.metadata import version
    out = cache / shape.name / f"onnx-{exporter}-opset{opset}" / "model.onnx"
    stamp_path = out.parent.with_suffix(".json")
    stamp = {"version": ONNX_VERSION, "checkpoint": json.loads((cache / shape.name / "checkpoint.json").read_text())["version"],
             "torch": version("torch"), "transformers": version("transformers"), "exporter": exporter, "opset": opset}
    if out.exists() and stamp_matches(stamp_path, stamp):
        return {"path": out, **json.loads(stamp_path.read_text()), "cached": True}
    log(f"{shape.name}: exporting ONNX ({exporter} exporter, opset {opset})")
    raw = out.parent.with_name(out.parent.name + ".raw") / out.name
    script = str(HERE / "checkpoints.py")
    result = {"wall_s": 0.0, "maxrss_kb": 0}
    for step, argv in (("export", [script, "export", str(checkpoint), str(raw), "--exporter", exporter,
                                   "--opset", str(opset)]),
                       ("single-file", [script, "single-file", str(raw.parent), str(out)])):
        log_path = logs / f"{shape.name}-onnx-{step}.log"
        r = run_measured([sys.executable] + argv, log_path)
        if r["returncode"] != 0:
            raise EngineFailure(f"ONNX {step} failed (log {log_path}):\n{tail(log_path)}")
        result = {"wall_s": result["wall_s"] + r["wall_s"], "maxrss_kb": max(result["maxrss_kb"], r["maxrss_kb"])}
    info = {**stamp, "seconds": result["wall_s"], "maxrss_kb": result["maxrss_kb"],
            "bytes": sum(p.stat().st_size for p in out.parent.iterdir())}
    stamp_path.write_text(json.dumps(info, indent=1))
    return {"path": out, **info, "cached": False}


def compile_debertac(shape, checkpoint: Path, debertac: Path, cache: Path, logs: Path, reuse: bool,
                     unavailable: str | None) -> dict:
    if unavailable:
        raise EngineFailure(unavailable)
    out = cache / shape.name / "model.so"
    if reuse and out.exists():
        return {"path": out, "cached": True}
    if not debertac.exists():
        raise EngineFailure(f"no debertac binary at {debertac}: build it with "
                            "'swift build -c release --scratch-path .build-bench --product debertac' (bench/run.sh does)")
    log(f"{shape.name}: debertac compile")
    log_path = logs / f"{shape.name}-debertac-compile.log"
    result = run_measured([str(debertac), "compile", str(checkpoint), "-o", str(out)], log_path)
    if result["returncode"] != 0:
        raise EngineFailure(f"'debertac compile' failed with status {result['returncode']} (log {log_path}):\n"
                            + tail(log_path))
    result["bytes"] = sum(p.stat().st_size for p in out.parent.glob("model.so*"))
    return {"path": out, **result, "cached": False}


def blas_library(so: Path | None) -> str:
    """The libopenblas the compiled .so resolves to (what debertac really calls), else the system default."""
    if so and so.exists():
        for line in subprocess.run(["ldd", str(so)], capture_output=True, text=True).stdout.splitlines():
            if "openblas" in line and "=>" in line:
                return line.split("=>")[1].split("(")[0].strip()
    for candidate in ("/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"):
        if Path(candidate).exists():
            return candidate
    import ctypes.util
    return ctypes.util.find_library("openblas") or "libopenblas.so.0"


def measure_sgemm(shape_names, threads: int, library: str, logs: Path, reps: int) -> dict:
    mnk = []
    for name in shape_names:
        c = SHAPES[name].config
        for case in SHAPES[name].cases:
            if case.timed:
                m = case.batch * case.length
                for shape in ((m, c["intermediate_size"], c["hidden_size"]), (m, c["hidden_size"], c["intermediate_size"])):
                    if shape not in mnk:
                        mnk.append(shape)
    log(f"sgemm peak: {library}, {len(mnk)} FFN shapes")
    argv = [sys.executable, str(HERE / "sgemm.py"), "--lib", library, "--threads", str(threads)] + \
           (["1"] if threads != 1 else []) + ["--reps", str(reps)]
    for m, n, k in mnk:
        argv += ["--shape", f"{m},{n},{k}"]
    out = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
    (logs / "sgemm.log").write_text(out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"error: the sgemm measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


# ----------------------------------------------------------------------------------------------------
# Measuring one shape

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

    # -- the two schedules --------------------------------------------------------------------------

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

    def sequential(self) -> None:
        """One engine in memory at a time (the shape does not fit 4 times in RAM): PyTorch first, as
        the reference; each engine is checked, timed and closed before the next is loaded."""
        for engine in [REFERENCE] + [e for e in self.args.engines if e != REFERENCE]:
            try:
                self.bring_up(engine)
                if engine == REFERENCE:
                    self.check(engine)
                else:
                    self.handle_mismatches(self.check(engine))
                    if self.results[engine]["status"] != "ok":
                        continue
                self.timed_block([engine])
                if self.results[engine]["status"] == "ok":
                    self.finish(engine)
            except EngineFailure as error:
                self.fail(engine, error)
            if engine == REFERENCE:
                self.require_reference()

    def require_reference(self) -> None:
        if self.results[REFERENCE]["status"] != "ok":
            raise SystemExit(f"error: PyTorch, the reference every engine is checked against, failed on "
                             f"{self.shape.name}: {self.results[REFERENCE].get('error')}")

    def measure(self, mode: str) -> dict:
        self.mode = mode
        (self.interleaved if mode == "interleaved" else self.sequential)()
        return {"mode": mode, "engines": self.results, "rounds": self.rounds, "cpu": self.monitor.summary(),
                "flops": {c.name: forward_flops(self.shape.config, c.batch, c.length) for c in self.timed},
                "cases": [c.__dict__ for c in self.shape.cases]}


def choose_mode(shape, requested: str) -> str:
    """Interleave when every engine's model fits in RAM at once (each engine holds about 1-2.5 copies of
    the fp32 weights while it loads), else run engines one at a time."""
    if requested != "auto":
        return requested
    with open("/proc/meminfo") as f:
        available_kb = next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:"))
    need = shape.weight_bytes_fp32() * (1.2 + 2.5 + 2.5 + 1.2) + 4 * 600 * 2**20
    return "interleaved" if need < 0.7 * available_kb * 1024 else "sequential"


# ----------------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="toy shapes and 1 warm-up + 3 timed rounds (smoke run)")
    parser.add_argument("--shapes", help=f"comma-separated, from {', '.join(SHAPES)} "
                                         f"(default {','.join(FULL_SHAPES)}; with --quick {','.join(QUICK_SHAPES)})")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated; torch is always included")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for every engine (default: all cores this process may use)")
    parser.add_argument("--mode", choices=["auto", "interleaved", "sequential"], default="auto",
                        help="interleaved: all engines loaded, round-robin; sequential: one engine in memory at "
                             "a time; auto: interleaved when the shape fits in RAM four times over")
    parser.add_argument("--reps-scale", type=float, default=1.0, help="multiply the timed rounds by this")
    parser.add_argument("--gap-ms", type=float, default=50.0, help="pause between two timed calls (default 50)")
    parser.add_argument("--atol", type=float, default=1e-3, help="logit tolerance: |x - torch| <= atol + rtol |torch|")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--skip-mismatched", action="store_true",
                        help="drop engines whose logits disagree instead of stopping the run")
    parser.add_argument("--onnx-exporter", choices=["legacy", "dynamo"], default="legacy")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--debertac", type=Path, default=REPO / ".build-bench" / "release" / "debertac",
                        help="the debertac binary (default .build-bench/release/debertac)")
    parser.add_argument("--debertac-unavailable", metavar="REASON",
                        help="do not compile: report debertac as failed for this reason (run.sh: the build failed)")
    parser.add_argument("--reuse-so", action="store_true", help="reuse a cached model.so instead of compiling")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a worker may take to answer")
    parser.add_argument("--sgemm-reps", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true", help="also write the results to docs/benchmarks.md")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, help="write the raw results here (default: CACHE/results-TIME.json)")
    parser.add_argument("--install-only", action="store_true", help="install missing Python packages and exit")
    parser.add_argument("--prepare-only", action="store_true",
                        help="make the checkpoints, .so files and ONNX exports, then exit (nothing is timed)")
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
    if args.write_docs and args.quick and args.docs == REPO / "docs" / "benchmarks.md":
        parser.error("--quick results are not benchmarks: give --docs OTHER.md to write them somewhere else")
    return args


def main(argv) -> int:
    args = parse_args(argv)
    ensure_python_packages()
    if args.install_only:
        return 0
    started = time.time()
    command = os.environ.get("BENCH_COMMAND") or shlex.join(["python3", "bench/bench.py"] + argv)
    logs = args.cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    machine = report.machine(args.threads, args.debertac)
    log(f"{machine['cpu']}, {args.threads} threads; shapes {', '.join(args.shapes)}; "
        f"engines {', '.join(args.engines)}; load average {machine['loadavg']}")

    # 1. Artifacts for every shape first (checkpoints, debertac compile, ONNX), then the sgemm peak.
    artifacts = {}
    for name in args.shapes:
        shape = SHAPES[name]
        a = artifacts[name] = {"checkpoint": ensure_checkpoint(shape, args.cache, logs)}
        if "debertac" in args.engines:
            try:
                a["debertac"] = compile_debertac(shape, a["checkpoint"], args.debertac, args.cache, logs, args.reuse_so,
                                                 args.debertac_unavailable)
            except EngineFailure as error:
                log(f"{name}: debertac unavailable: {error}")
                a["debertac_error"] = str(error)
        if {"onnxruntime", "openvino"} & set(args.engines):
            try:
                a["onnx"] = ensure_onnx(shape, a["checkpoint"], args.cache, logs, args.onnx_exporter, args.opset)
            except EngineFailure as error:
                log(f"{name}: ONNX unavailable: {error}")
                a["onnx_error"] = str(error)
    if args.prepare_only:
        log(f"artifacts ready in {args.cache} after {(time.time() - started) / 60:.1f} min")
        return 0
    so = next((a["debertac"]["path"] for a in artifacts.values() if "debertac" in a), None)
    sgemm = measure_sgemm(args.shapes, args.threads, blas_library(so), logs,
                          3 if args.quick else args.sgemm_reps)

    # 2. Each shape: bring up, check, time.
    shapes = {}
    for name in args.shapes:
        mode = choose_mode(SHAPES[name], args.mode)
        log(f"{name}: {mode} schedule")
        shapes[name] = ShapeRun(SHAPES[name], artifacts[name], args, args.cache, logs).measure(mode)
        shapes[name]["artifacts"] = {k: ({kk: str(vv) for kk, vv in v.items()} if isinstance(v, dict) else str(v))
                                     for k, v in artifacts[name].items()}

    # 3. Report.
    machine["loadavg_end"] = report.loadavg()
    results = {"machine": machine, "command": command, "args": {k: str(v) for k, v in vars(args).items()},
               "sgemm": sgemm, "shapes": shapes, "elapsed_s": time.time() - started,
               "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    json_path = args.json or args.cache / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    json_path.write_text(json.dumps(results, indent=1, default=str))
    tables = report.tables(results)
    print(tables)
    failed = [f"{s} {e}" for s, r in shapes.items() for e, v in r["engines"].items() if v["status"] != "ok"]
    if args.write_docs:
        if failed and not args.quick:
            log(f"not writing {args.docs}: failed engines: {', '.join(failed)}")
        else:
            args.docs.write_text(report.document(tables, results))
            log(f"wrote {args.docs}")
    log(f"done in {(time.time() - started) / 60:.1f} min; raw results in {json_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
