"""What a run needs before anything is timed: Python packages, the random checkpoints, their ONNX
exports (both cached in bench/cache/ between runs), the debertac .so (compiled every run: its compile
time is a result), and the OpenBLAS sgemm peak."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from processes import EngineFailure, log, run_measured, tail
from shapes import SHAPES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Bumped when checkpoints.py changes what it writes, so cached checkpoints are remade.
CHECKPOINT_VERSION = 1
ONNX_VERSION = 2      # likewise for the ONNX export (2: weights in one external-data file)

# Python packages the benchmark needs: import name -> pip requirement. torch comes from PyTorch's CPU
# index (PyPI's Linux wheel pulls in gigabytes of CUDA libraries this benchmark never uses).
PACKAGES = {"numpy": "numpy", "safetensors": "safetensors", "transformers": "transformers", "onnx": "onnx",
            "onnxscript": "onnxscript", "onnxruntime": "onnxruntime", "openvino": "openvino"}
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"


def ensure_python_packages(packages: dict = PACKAGES) -> None:
    """pip-installs whatever is missing (torch and `packages`: import name -> requirement), quietly; does
    nothing (and imports nothing) when all are there."""
    from importlib.util import find_spec
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if find_spec("torch") is None:
        log("installing torch (CPU build)")
        subprocess.run(pip + ["--index-url", TORCH_INDEX, "torch"], check=True)
    missing = [requirement for module, requirement in packages.items() if find_spec(module) is None]
    if missing:
        log(f"installing {', '.join(missing)}")
        subprocess.run(pip + missing, check=True)


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
