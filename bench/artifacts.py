"""What a run needs before anything is timed: Python packages, the random checkpoints, their ONNX
exports and the peers' int8 models (cached in bench/cache/ between runs), the debertac .so files, one per
precision (compiled every run: compile time is a result), the OpenBLAS sgemm peak and the per-precision
instruction peaks (peak.c)."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from catalogue import ARTIFACT_INPUTS, ENGINES
from processes import EngineFailure, EngineSkipped, log, run_measured, tail
from shapes import SHAPES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Bumped when checkpoints.py changes what it writes, so cached checkpoints are remade.
CHECKPOINT_VERSION = 1
ONNX_VERSION = 2      # likewise for the ONNX export (2: weights in one external-data file)
INT8_VERSION = 1      # likewise for quantize.py's int8 models
# Peak RSS of quantize.py per byte of the fp32 ONNX export, above a fixed 0.5 GB, measured on base
# (0.74 GB of weights): ONNX Runtime 4.7 GB (quant_pre_process and quantize_dynamic, which deep-copies,
# saves and reloads the model), NNCF PTQ 3.6 GB, NNCF weight compression 1.6 GB. Where PTQ would not fit in
# the memory available, NNCF compresses weights instead; a model that does not fit at all is not attempted
# and its engine is reported failed with these numbers (xxlarge on a 23 GB machine: ONNX Runtime about
# 36 GB, not attempted; NNCF PTQ about 27 GB, so weight compression, about 10 GB).
INT8_PEAK = {"onnx-int8": 5.7, "ov-int8": 4.2, "ov-int8-compress": 1.5}
INT8_PEAK_FIXED = 0.5e9

# Python packages the benchmark needs: import name -> pip requirement. torch comes from PyTorch's CPU
# index (PyPI's Linux wheel pulls in gigabytes of CUDA libraries this benchmark never uses).
PACKAGES = {"numpy": "numpy", "safetensors": "safetensors", "transformers": "transformers", "onnx": "onnx",
            "onnxscript": "onnxscript", "onnxruntime": "onnxruntime", "openvino": "openvino"}
# Needed by one engine only (NNCF: openvino-int8); if it cannot be installed, that engine is reported failed.
OPTIONAL_PACKAGES = {"nncf": "nncf"}
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"


def ensure_python_packages(packages: dict = PACKAGES, optional: dict | None = None) -> None:
    """pip-installs whatever is missing (torch and `packages`: import name -> requirement; then `optional`,
    whose failure is only logged), quietly; does nothing (and imports nothing) when all are there."""
    from importlib.util import find_spec
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if find_spec("torch") is None:
        log("installing torch (CPU build)")
        subprocess.run(pip + ["--index-url", TORCH_INDEX, "torch"], check=True)
    missing = [requirement for module, requirement in packages.items() if find_spec(module) is None]
    if missing:
        log(f"installing {', '.join(missing)}")
        subprocess.run(pip + missing, check=True)
    for module, requirement in (optional or {}).items():
        if find_spec(module) is None:
            log(f"installing {requirement}")
            if subprocess.run(pip + [requirement]).returncode != 0:
                log(f"could not install {requirement}: the engines that need it will be reported as failed")


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


def artifacts_for(engines) -> list:
    """The artifacts these engines load, with what they are made from, in the order to build them."""
    wanted = {ENGINES[e].artifact for e in engines} - {None}
    wanted |= {ARTIFACT_INPUTS[k] for k in wanted} - {None}
    return [k for k in ARTIFACT_INPUTS if k in wanted]


def build_artifacts(shape, checkpoint: Path, engines, args, logs: Path) -> dict:
    """Every artifact the engines need: {"built": {kind: info with "path"}, "errors": {kind: reason},
    "skipped": [kinds deliberately not made]}. A failure is recorded against its kind (and whatever is made
    from it), and the run goes on."""
    built, errors, skipped = {}, {}, []
    for kind in artifacts_for(engines):
        source = ARTIFACT_INPUTS[kind]
        if source in errors:
            errors[kind] = f"needs the {source} artifact, which failed: {errors[source]}"
            continue
        try:
            if kind.startswith("so"):
                precision = "fp32" if kind == "so" else kind.split("-", 1)[1]
                built[kind] = compile_debertac(shape, checkpoint, args.debertac, args.cache, logs, args.reuse_so,
                                               args.debertac_unavailable, precision)
            elif kind == "onnx":
                built[kind] = ensure_onnx(shape, checkpoint, args.cache, logs, args.onnx_exporter, args.opset)
            else:
                built[kind] = ensure_int8(kind, shape, built[source], args.cache, logs, args.calibration_samples)
        except EngineFailure as error:
            log(f"{shape.name}: {kind} unavailable: {error}")
            errors[kind] = str(error)
            if isinstance(error, EngineSkipped):
                skipped.append(kind)
    return {"checkpoint": checkpoint, "built": built, "errors": errors, "skipped": skipped}


def compile_debertac(shape, checkpoint: Path, debertac: Path, cache: Path, logs: Path, reuse: bool,
                     unavailable: str | None, precision: str = "fp32") -> dict:
    """`debertac compile [--precision P]` into cache/SHAPE/model.so (fp32) or model-P.so."""
    if unavailable:
        raise EngineFailure(unavailable)
    stem = "model" if precision == "fp32" else f"model-{precision}"
    out = cache / shape.name / f"{stem}.so"
    if reuse and out.exists():
        return {"path": out, "precision": precision, "cached": True}
    if not debertac.exists():
        raise EngineFailure(f"no debertac binary at {debertac}: build it with "
                            "'swift build -c release --scratch-path .build-bench --product debertac' (bench/run.sh does)")
    log(f"{shape.name}: debertac compile --precision {precision}")
    log_path = logs / f"{shape.name}-debertac-compile{'' if precision == 'fp32' else '-' + precision}.log"
    argv = [str(debertac), "compile", str(checkpoint), "-o", str(out)]
    if precision != "fp32":     # fp32 without the flag, so that a binary from before it still works
        argv[3:3] = ["--precision", precision]
    result = run_measured(argv, log_path)
    if result["returncode"] != 0:
        raise EngineFailure(f"'debertac compile --precision {precision}' failed with status {result['returncode']} "
                            f"(log {log_path}):\n" + tail(log_path))
    result["bytes"] = sum(p.stat().st_size for p in out.parent.glob(f"{stem}.so*"))
    return {"path": out, "precision": precision, **result, "cached": False}


def ensure_int8(kind: str, shape, onnx: dict, cache: Path, logs: Path, samples: int) -> dict:
    """The peers' int8 model (quantize.py, in a child process), cached in cache/SHAPE/KIND/ with a stamp:
    onnx-int8 (ONNX Runtime quantize_dynamic) or ov-int8 (NNCF post-training quantization, OpenVINO IR;
    NNCF weight compression where PTQ would not fit in memory). Not attempted when it would not fit."""
    from importlib.metadata import version
    from importlib.util import find_spec
    needs = {"onnx-int8": ["onnxruntime", "onnx"], "ov-int8": ["nncf", "openvino"]}[kind]
    missing = [m for m in needs if find_spec(m) is None]
    if missing:
        raise EngineFailure(f"{', '.join(missing)} not installed (pip install {' '.join(missing)})")
    onnx_bytes = sum(p.stat().st_size for p in Path(onnx["path"]).parent.iterdir())
    available = memory_available()
    need = INT8_PEAK_FIXED + INT8_PEAK[kind] * onnx_bytes
    too_big = (f"it peaks at about {need / 1e9:.1f} GB (the peak measured on base, scaled to this "
               f"{onnx_bytes / 1e9:.1f} GB ONNX export; artifacts.INT8_PEAK) and {available / 1e9:.1f} GB is available")
    compress_because = None
    compress_need = INT8_PEAK_FIXED + INT8_PEAK["ov-int8-compress"] * onnx_bytes
    if need > available and kind == "ov-int8" and compress_need < available:
        compress_because = too_big
    out = cache / shape.name / kind
    stamp_path = out.with_suffix(".json")
    stamp = {"version": INT8_VERSION, "source": {k: onnx.get(k) for k in ("version", "checkpoint", "torch",
                                                                          "transformers", "exporter", "opset")},
             "packages": {m: version(m) for m in needs}}
    if kind == "ov-int8":
        stamp.update(samples=samples, attempt="compress_weights" if compress_because else "ptq")
    model = out / ("model.onnx" if kind == "onnx-int8" else "model.xml")
    if model.exists() and stamp_matches(stamp_path, stamp):
        return {"path": model, **json.loads(stamp_path.read_text()), "cached": True}
    if need > available and not compress_because:
        raise EngineSkipped(f"{kind} not attempted: {too_big}")
    method = "NNCF weight compression" if compress_because else "NNCF PTQ" if kind == "ov-int8" else "quantize_dynamic"
    log(f"{shape.name}: making the {kind} model ({method})")
    log_path = logs / f"{shape.name}-{kind}.log"
    argv = [sys.executable, str(HERE / "quantize.py"), kind.replace("onnx", "ort"), str(onnx["path"]), str(out)]
    if kind == "ov-int8":
        argv += ["--shape", shape.name, "--samples", str(samples)]
        if compress_because:
            argv += ["--compress-because", compress_because]
    result = run_measured(argv, log_path)
    if result["returncode"] != 0 or not model.exists():
        raise EngineFailure(f"quantize.py {argv[2]} failed with status {result['returncode']} (log {log_path}):\n"
                            + tail(log_path))
    info = {**stamp, **json.loads((out / "info.json").read_text()), "seconds": result["wall_s"],
            "maxrss_kb": result["maxrss_kb"], "bytes": sum(p.stat().st_size for p in out.iterdir())}
    stamp_path.write_text(json.dumps(info, indent=1))
    return {"path": model, **info, "cached": False}


def memory_available() -> int:
    with open("/proc/meminfo") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:")) * 1024


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


# The instruction each precision's peak is measured with, and the /proc/cpuinfo flags it needs.
PEAK_FLAGS = {"fp32": ["avx512f"], "bf16": ["avx512f", "avx512_bf16"], "int8": ["avx512f", "avx512bw", "avx512_vnni"]}


def cpu_flags() -> set:
    with open("/proc/cpuinfo") as f:
        return set(next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), []))


def measure_peaks(threads: int, cache: Path, logs: Path, quick: bool) -> dict:
    """The best GFLOP/s of peak.c's instruction loops per precision on 1 and `threads` cores; a precision
    whose instruction the CPU lacks (or that does not build or run) is skipped with the reason."""
    source = HERE / "peak.c"
    binary = cache / "peak"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    stamp = cache / "peak.json"
    skipped, results = {}, []
    compiler = shutil.which("cc")
    if compiler is None:
        return {"results": [], "skipped": {p: "no C compiler (cc)" for p in PEAK_FLAGS}, "compiler": None}
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    if not binary.exists() or not stamp_matches(stamp, {"source": digest, "compiler": version}):
        build = subprocess.run([compiler, "-O2", "-pthread", str(source), "-o", str(binary)],
                               capture_output=True, text=True)
        (logs / "peak-build.log").write_text(build.stdout + build.stderr)
        if build.returncode != 0:
            reason = f"peak.c did not build (log {logs / 'peak-build.log'})"
            return {"results": [], "skipped": {p: reason for p in PEAK_FLAGS}, "compiler": version}
        stamp.write_text(json.dumps({"source": digest, "compiler": version}))
    flags = cpu_flags()
    reps, iterations = (2, 30_000_000) if quick else (5, 100_000_000)
    log(f"instruction peaks: {', '.join(PEAK_FLAGS)} on 1 and {threads} cores")
    with open(logs / "peak.log", "w") as out:
        for precision, needed in PEAK_FLAGS.items():
            lacking = [f for f in needed if f not in flags]
            if lacking:
                skipped[precision] = f"the CPU lacks {', '.join(lacking)} (/proc/cpuinfo)"
                continue
            for n in sorted({1, threads}):
                runs = []
                for _ in range(reps):
                    r = subprocess.run([str(binary), precision, str(n), str(iterations)],
                                       capture_output=True, text=True)
                    out.write(r.stdout + r.stderr)
                    if r.returncode != 0:
                        skipped[precision] = f"peak {precision} exited with status {r.returncode}"
                        break
                    runs.append(json.loads(r.stdout))
                if precision in skipped:
                    break
                best = max(runs, key=lambda r: r["gflops"])
                results.append({**best, "runs_gflops": [r["gflops"] for r in runs]})
    return {"results": results, "skipped": skipped, "compiler": version}
