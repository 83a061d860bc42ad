"""The engines the benchmark can run, as data: which worker runs each (engines.py), what it loads, the
arithmetic of its matrix products, its name in the tables, which debertac build it is compared with, and
the issue's speed targets between them. Plain data (no imports beyond the standard library), so the
orchestrator, the workers and the report all read the same table."""

from dataclasses import dataclass, field

REFERENCE = "torch"
PRECISIONS = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class EngineSpec:
    """One engine as the benchmark names it (`--engines`, the results' keys)."""
    key: str
    worker: str              # the engines.py class that runs it: debertac, onnxruntime, openvino, torch
    precision: str           # arithmetic of the matrix products: fp32, bf16 or int8 (which peak it is held to)
    artifact: str | None     # what it loads (artifacts.py builds it); None: the checkpoint itself
    label: str               # its name in the tables; "{precision}" and "{method}" are filled in at report time
    baseline: str | None     # the debertac build its ratio is taken to; None for debertac fp32 itself
    rss_factor: float        # peak RSS / fp32 weight bytes, for choosing a schedule (measured or estimated)
    options: dict = field(default_factory=dict)   # engine settings passed to the worker
    method: str = ""         # how its model is meant to be made ({method} until the artifact says otherwise)

    @property
    def reduced(self) -> bool:
        """Reduced precision: its accuracy is measured and reported, not held to --atol/--rtol."""
        return self.precision != "fp32"


# Order = the order of the tables and of the round-robin. rss_factor: measured on base and xxlarge for the
# fp32 engines (peak over all inputs); estimated for the others until a full run measures them.
ENGINES = {s.key: s for s in (
    EngineSpec("debertac", "debertac", "fp32", "so", "debertac", None, 0.8),
    EngineSpec("debertac-bf16", "debertac", "bf16", "so-bf16", "debertac bf16", "debertac", 0.5),
    EngineSpec("debertac-int8", "debertac", "int8", "so-int8", "debertac int8", "debertac", 0.4),
    EngineSpec("onnxruntime", "onnxruntime", "fp32", "onnx", "ONNX Runtime", "debertac", 1.0),
    EngineSpec("onnxruntime-int8", "onnxruntime", "int8", "onnx-int8", "ONNX Runtime int8 ({method})",
               "debertac-int8", 0.6, method="quantize_dynamic"),
    EngineSpec("openvino", "openvino", "fp32", "onnx", "OpenVINO", "debertac", 2.2,
               {"INFERENCE_PRECISION_HINT": "f32"}),
    EngineSpec("openvino-default", "openvino", "bf16", "onnx", "OpenVINO default ({precision})", "debertac-bf16", 2.2),
    EngineSpec("openvino-int8", "openvino", "int8", "ov-int8", "OpenVINO int8 ({method})", "debertac-int8", 1.2,
               method="NNCF PTQ"),
    EngineSpec(REFERENCE, "torch", "fp32", None, "PyTorch eager", "debertac", 2.0),
)}
DEBERTAC_BUILDS = [k for k, s in ENGINES.items() if s.worker == "debertac"]

# What builds which artifact from which (artifacts.py): ONNX exports come from the checkpoint, the int8
# peer models from the fp32 ONNX export.
ARTIFACT_INPUTS = {"so": None, "so-bf16": None, "so-int8": None, "onnx": None, "onnx-int8": "onnx", "ov-int8": "onnx"}


@dataclass(frozen=True)
class Target:
    """The issue's speed target `engine ≤ limit × min(against)`, met when the median ratio over
    repetitions is at or below the limit. `limit` None: the limit is per shape and input (FP32_REFERENCE)."""
    engine: str
    against: tuple
    limit: float | None
    text: str


# The issue (13, low precision): bf16 and int8 must beat the peers' own low-precision modes by these
# margins, and fp32 must not regress.
TARGETS = (
    Target("debertac-bf16", ("openvino-default",), 0.85, "debertac bf16 ≤ 0.85 × OpenVINO default"),
    Target("debertac-int8", ("openvino-default",), 0.6, "debertac int8 ≤ 0.6 × OpenVINO default"),
    Target("debertac-int8", ("onnxruntime-int8", "openvino-int8"), 0.8,
           "debertac int8 ≤ 0.8 × min(ONNX Runtime int8, OpenVINO int8)"),
    Target("debertac", ("onnxruntime", "openvino"), None,
           "debertac fp32 ÷ min(ONNX Runtime, OpenVINO) does not regress"),
)
# "fp32 must not regress", as a ratio that does not depend on the host's speed that day: debertac fp32 ÷
# the faster fp32 peer, from docs/benchmarks.md as committed before the low-precision work (measured
# 2026-11-27 at commit 9ac5ba6 on the 2-core Xeon VM: base 226.5 / 255.4, 1,584 / 1,932, 1,008 / 1,364;
# xxlarge paired, speed-ups 1.11× and 1.13×). Met when the new median ratio is within FP32_NOISE of it.
FP32_REFERENCE = {("base", "1x128"): 0.887, ("base", "8x128"): 0.820, ("base", "1x512"): 0.739,
                  ("xxlarge", "1x128"): 0.901}
FP32_NOISE = 0.05


def companions(engine: str, present) -> list:
    """The debertac builds `engine` must be timed interleaved with (its baseline and the builds whose
    targets name it), among those `present`: what a paired schedule keeps loaded beside it."""
    spec = ENGINES[engine]
    wanted = {spec.baseline} | {t.engine for t in TARGETS if engine in t.against}
    return [e for e in DEBERTAC_BUILDS if e in wanted and e in present and e != engine]
