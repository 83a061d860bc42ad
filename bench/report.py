"""The machine description and docs/benchmarks.md (its method text and the tables of tables.py)."""

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from catalogue import FP32_NOISE
from shapes import SHAPES, forward_flops, hf_position_projection_flops
from tables import tables  # noqa: F401  (bench.py: report.tables(results))

REPO = Path(__file__).resolve().parent.parent


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine(threads: int, debertac: Path) -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:"))
    os_name = platform.platform()
    try:
        with open("/etc/os-release") as f:
            os_name = next(l.split("=", 1)[1].strip().strip('"') for l in f if l.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("torch", "transformers", "onnxruntime", "openvino", "nncf", "onnx", "numpy", "safetensors"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "missing"

    def output(argv) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    doctor = dict(line.split(None, 1) for line in output([str(debertac), "doctor"]).splitlines() if " " in line)
    commit = output(["git", "rev-parse", "--short", "HEAD"])
    dirty = " (uncommitted changes)" if output(["git", "status", "--porcelain", "--untracked-files=no"]) else ""
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "threads": threads, "ram_gib": mem_kb / 2**20, "os": f"{os_name}, Linux {platform.release()}",
            "python": platform.python_version(), "versions": versions,
            "debertac": output([str(debertac), "--version"]) or "not built", "llvm": doctor.get("llvm", "?"),
            "llvm_cpu": doctor.get("cpu", "?"), "commit": commit + dirty, "loadavg": loadavg()}


# ----------------------------------------------------------------------------------------------------

# Sections of docs/benchmarks.md that other commands write, each between its markers: document() carries
# them over from the file it replaces, in this order, after the tables. The tokenization section is written
# by bench/tokenization.py; the compile section holds what scripts/large_model_check.sh measured (the flagship
# compiled from its fp16 pytorch_model.bin), copied in by hand with the command that printed it.
COMPILE_BEGIN = "<!-- scripts/large_model_check.sh: begin -->"
COMPILE_END = "<!-- scripts/large_model_check.sh: end -->"
TOKENIZATION_BEGIN = "<!-- bench/tokenization.py: begin -->"
TOKENIZATION_END = "<!-- bench/tokenization.py: end -->"
KEPT_SECTIONS = ((COMPILE_BEGIN, COMPILE_END), (TOKENIZATION_BEGIN, TOKENIZATION_END))


def section(doc: str, begin_marker: str, end_marker: str) -> str:
    """The section of doc between the markers, markers included, or ""."""
    begin, end = doc.find(begin_marker), doc.find(end_marker)
    return doc[begin:end + len(end_marker)] + "\n" if 0 <= begin < end else ""


def with_section(doc: str, text: str, begin_marker: str, end_marker: str) -> str:
    """doc with the section between the markers replaced by `text` (appended when it has none)."""
    begin, end = doc.find(begin_marker), doc.find(end_marker)
    if 0 <= begin < end:
        return doc[:begin] + text.rstrip("\n") + doc[end + len(end_marker):]
    return doc.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"


def with_tokenization_section(doc: str, text: str) -> str:
    """doc with its tokenization section replaced by `text` (appended when it has none)."""
    return with_section(doc, text, TOKENIZATION_BEGIN, TOKENIZATION_END)


def document(tables_markdown: str, results, previous: str = "") -> str:
    """The whole of docs/benchmarks.md; `previous` is the file it replaces (its KEPT_SECTIONS are kept)."""
    doc = _document(tables_markdown, results)
    for begin, end in KEPT_SECTIONS:
        kept = section(previous, begin, end)
        if kept:
            doc = with_section(doc, kept, begin, end)
    return doc


def _document(tables_markdown: str, results) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return _method() + f"""
## Results

Measured {results['date']} with `{results['command']}` in {results['elapsed_s'] / 60:.1f} minutes.

- CPU: {m['cpu']} ({m['usable_cpus']} cores usable, {m['logical_cpus']} logical); RAM {m['ram_gib']:.1f} GiB
- OS: {m['os']}; Python {m['python']}
- debertac {m['debertac']} at commit {m['commit']}, LLVM {m['llvm']}, code generated for `{m['llvm_cpu']}`
- {versions}; OpenBLAS: {results['sgemm']['config']}

{tables_markdown}"""


METHOD = """# Benchmarks

This page is written by `bench/run.sh` (that is, `bench/bench.py --write-docs`, then
`bench/tokenization.py --write-docs` for the tokenization section); do not edit the results by hand. The
one exception is the section on compiling the flagship, which `scripts/large_model_check.sh` measures on
the fp16 `pytorch_model.bin` the Hub ships: it is pasted in from that script's output, between its markers,
and kept by every run. `bench/README.md` explains the options.

## What is measured

debertac, compiled at three precisions, against three peers and their own reduced-precision modes, on the
same machine, in the same run, on random-weight checkpoints of three shapes made with transformers
(`DebertaV2ForSequenceClassification`, and `DebertaForSequenceClassification` for the DeBERTa v1 shape; 3
labels):

- **base**: deberta-v3-base (hidden 768, 12 layers, 12 heads, FFN 3072, vocab 128100, relative attention
  with 256 position buckets, `norm_rel_ebd` layer_norm, `share_att_key`, p2c|c2p, no absolute positions),
  saved as fp32 safetensors like the NLI fine-tunes of it on the Hub. Inputs 1 × 128, 8 × 128, 1 × 512 tokens.
- **xxlarge**: deberta-v2-xxlarge-mnli (hidden 1536, 48 layers, 24 heads, FFN 6144, conv layer of kernel 3
  with GELU, otherwise the same), saved as fp16 safetensors (the real checkpoint ships fp16). Input 1 × 128.
- **v1-large**: deberta-large-mnli, DeBERTa v1 (`model_type` "deberta"; hidden 1024, 24 layers, 16 heads,
  FFN 4096, vocab 50265, a fused `in_proj` with q/v biases, c2p|p2c through `pos_proj` / `pos_q_proj`,
  relative positions over 2 × 512 rows without buckets or layer norm, no absolute positions), saved as fp16
  safetensors. Input 1 × 128.

Engines (the `--engines` key in brackets). fp32, computing in fp32 throughout:

- **debertac** (`debertac`): `debertac compile CHECKPOINT -o model.so`, driven through its C ABI by the
  `debertac` Python package (`python/`, ctypes: `debertac_model_open`, `debertac_session_create`, `debertac_classify`), `DEBERTAC_NUM_THREADS` = all cores.
- **ONNX Runtime** (`onnxruntime`): the checkpoint exported with `torch.onnx.export` (legacy TorchScript
  exporter, `dynamo=False`, opset 17, dynamic batch and sequence axes, traced at 2 × 48 so that no benchmark
  shape is baked in), stored as the graph plus one external-data file; CPU execution provider,
  `ORT_ENABLE_ALL`, `intra_op_num_threads` = all cores, sequential execution. (The dynamo exporter gives the
  same logits with torch 2.15 and transformers 5.24: `--onnx-exporter dynamo`.)
- **OpenVINO** (`openvino`): the same ONNX file, `compile_model(..., "CPU")` with `INFERENCE_PRECISION_HINT`
  f32, `INFERENCE_NUM_THREADS` = all cores, `PERFORMANCE_HINT` LATENCY, one stream, dynamic shapes.
- **PyTorch eager** (`torch`, the reference): `from_pretrained(..., dtype=float32)`, `eval()`,
  `torch.inference_mode()`, `torch.set_num_threads` = all cores.

Reduced precision (the precision is that of the matrix products; what else each engine keeps in fp32 is
its own choice, docs/precision.md for debertac):

- **debertac bf16** (`debertac-bf16`), **debertac int8** (`debertac-int8`): the same checkpoint compiled with
  `--precision bf16` / `--precision int8`; each .so's `debertac_model_info` must say that precision.
- **OpenVINO default** (`openvino-default`): the fp32 ONNX file compiled like OpenVINO fp32 but without
  `INFERENCE_PRECISION_HINT`, so OpenVINO picks its default for the CPU (bf16 on CPUs with AVX512-BF16 or
  AMX); the table names what `compiled.get_property("INFERENCE_PRECISION_HINT")` reported.
- **ONNX Runtime int8** (`onnxruntime-int8`), ONNX Runtime's recipe for transformers on CPU: the fp32 ONNX
  file through `onnxruntime.quantization.quant_pre_process` (symbolic shape inference, basic graph
  optimisation, skipped above 2 GB, ONNX shape inference), then `quantize_dynamic(per_channel=True,
  weight_type=QInt8, use_external_data_format=True)` over every op type ORT quantizes dynamically: int8
  weights per output channel, activations quantized to uint8 at run time per tensor (U8S8, the VNNI path;
  `reduce_range` is for CPUs without VNNI). That makes every product with a constant weight int8 (base: the
  72 per-token linears, the pooler and the classifier); attention's own products stay fp32. Run like ONNX
  Runtime fp32.
- **OpenVINO int8** (`openvino-int8`), OpenVINO's recipe for BERT-family models: NNCF post-training
  quantization of the OpenVINO model read from the fp32 ONNX file, `nncf.quantize(model, dataset,
  model_type=TRANSFORMER, preset=MIXED, target_device=CPU)` (symmetric int8 weights, asymmetric int8
  activations, SmoothQuant), calibrated on 32 random-id single sequences at the shape's timed lengths (seeds
  other than the measured inputs'), saved as OpenVINO IR and compiled without a precision hint (what NNCF
  did not quantize runs in OpenVINO's default precision). On base it quantizes the inputs of 98 of the 146
  matrix products: every linear layer and attention's Q·Kᵀ, c2p and p2c (P·V, on softmax's output, stays in
  floating point). Where `nncf.quantize` fails, or would not fit in memory, `nncf.compress_weights` (int8
  weights, activations in floating point) stands in and the engine's name says "NNCF weight compression".

The int8 models are made by `bench/quantize.py` in a child process and cached in
`bench/cache/<shape>/onnx-int8/` and `bench/cache/<shape>/ov-int8/`; the debertac builds are compiled
every run (compile time is a result) into `model.so`, `model-bf16.so` and `model-int8.so`. Both quantizers
hold several copies of the fp32 model (measured on base: ONNX Runtime 4.7 GB, NNCF 3.6 GB for 0.74 GB of
weights); scaled to xxlarge (6.3 GB) that is about 36 and 27 GB, more than a 23 GB machine has, so there
ONNX Runtime int8 is not attempted (reported as skipped, with the numbers) and OpenVINO int8 is NNCF weight
compression (about 10 GB).

Random weights are scaled (weights N(0, 1/fan_in), embeddings N(0, 1), LayerNorm 1 + 0.1 N(0, 1)) so that
logits are O(1): with Hugging Face's N(0, 0.02) init every logit is ~0.01 and a wrong kernel hides inside
any tolerance. Token ids are random (seeded) with [CLS] … [SEP] … [SEP]; timed inputs are unpadded, and a
padded batch is checked (not timed) to exercise the masks.

Procedure, per shape: each engine runs in its own process that imports only that engine. Engines are
loaded one after another (so loads do not compete), each classifies the first input once (first-call
latency, then `ru_maxrss`), and every engine's logits on every input are compared with PyTorch's. An fp32
engine with any logit outside the tolerance stops the run before anything is timed. A bf16 or int8 engine
is not held to it: its accuracy against PyTorch fp32 is recorded over all checked inputs (the largest and
the mean |Δlogit|, and on how many sequences the predicted class agrees) and reported; it stops the run only
when grossly wrong (a non-finite logit, or a difference above 1.0, `--reduced-max-diff`). Then, per input,
a few warm-up rounds and the timed rounds run; in a round every engine classifies the input once, engines
in round-robin order rotated each round, with a 50 ms pause between calls so that no engine's spinning
worker threads overlap the next engine's call. With `--repeat N` (`bench/run.sh` passes 3) the timing is
done N times over with the engines loaded once: a repetition is every input's warm-up and timed rounds. An
engine's median is then the median of its per-repetition medians, with their range; a ratio between two
engines is the median of the per-repetition ratios of their medians, with their range. The tables quote
medians with the interquartile range and min–max of all calls. Ratios are taken to the debertac build of
the same precision (the bf16 and int8 builds to debertac fp32), always over calls interleaved in the same
block. When all engines do not fit in RAM at once (xxlarge: about 6 GB of fp32 weights per engine on a
23 GB machine), the shape runs **paired** instead: each peer in turn, PyTorch first, is loaded, checked,
timed round-robin together with the debertac builds it is compared with (its own precision's, and debertac
bf16 and int8 beside OpenVINO default for the targets), and closed; the debertac builds (pages mapped from
their .so files) stay loaded while a later block needs them, and are timed together in a block of their
own after the fp32 peers; repetitions then run within each block. So the host's drift over minutes does not
enter the ratios. (**Sequential**, one engine in memory at a time, remains for machines where even that
does not fit.) A mismatch still stops the run before anything is reported. The run also records how much
CPU other processes used while timing, and how much the hypervisor took (steal); above 0.1 cores together
the notes flag the numbers as noisy.

Targets (issue 13), each a ratio of medians from interleaved calls, met when its median over repetitions
is at or below the limit: debertac bf16 ≤ 0.85 × OpenVINO default; debertac int8 ≤ 0.6 × OpenVINO default
and ≤ 0.8 × the faster of ONNX Runtime int8 and OpenVINO int8; and fp32 must not regress, read as: debertac
fp32 ÷ the faster fp32 peer no more than {fp32_noise:.0f} % above its value before the low-precision work
(`FP32_REFERENCE` in `bench/catalogue.py`: base 0.887, 0.820, 0.739 at 1 × 128, 8 × 128, 1 × 512; xxlarge 0.901).

Memory: peak RSS counts the pages a process touched. An engine that maps its weights from a file
(debertac maps its .so, ONNX Runtime the external-data file, PyTorch may map fp32 safetensors) never
reads the rows of the 128100-row word-embedding table that no input token uses (for base that table is
394 MB of the 738 MB of weights); an engine that copies, converts or re-packs its weights (OpenVINO;
ONNX Runtime's pre-packed matrices; PyTorch on the fp16 xxlarge checkpoint) counts those copies. The compiler's peak
RSS is that of the largest process of the compile (debertac itself, or the assembler and linker it runs).

Reference points measured by the issue author on this machine (base, 1 × 128, 2 cores): ONNX Runtime
≈ 140 ms, OpenVINO f32 ≈ 157 ms, PyTorch eager ≈ 315 ms, sgemm ≈ 190 GFLOP/s on the FFN shapes; a run
far from these was probably disturbed.

## FLOP count of the forward pass

B sequences of T tokens, hidden H, L layers, FFN width F, C labels, conv kernel k (0 if none), and W the
number of relative positions a sequence can reach. FLOPs count 2 per multiply-add of the matrix products:

    FLOPs = L · ( 8·B·T·H²          Q, K, V and attention-output projections
                + 4·B·T·H·F         FFN up and down
                + 4·B·T²·H          scores Q·Kᵀ and context P·V, all heads
                + 4·B·T·W·H )       c2p (Q·Pkᵀ) and p2c (K·Pqᵀ) against the W reachable position rows
          + 2·k·B·T·H²              conv layer (xxlarge: k = 3, applied once)
          + 2·B·H² + 2·B·H·C        pooler and classifier on token 0

W: positions i − j are bucketed (log buckets beyond ±128 with 256 buckets) and index
`idx(i, j) = clamp(bucket(i − j) + 256, 0, 511)`, so T tokens reach W = 2·bucket(T − 1) + 1 rows of the
512-row relative table: W = 255 for T = 128 and W = 511 for T = 512. Each of c2p and p2c is a product of
the T queries (keys) with those W position rows per head: 2·B·T·W·H each. (Hugging Face computes it
against all 512 rows and gathers: 24.76 instead of 23.55 GFLOP at base 1 × 128.)

Not counted: the position projections `key_proj(R)` and `query_proj(R)` of the 512-row relative table,
which depend on weights alone. debertac folds them at compile time (`fold-constants`) and ONNX Runtime
and OpenVINO constant-fold them when they load the graph (checked in their optimised graphs), but PyTorch eager recomputes them in every forward pass ({hf_base:.1f} GFLOP extra for base,
{hf_xxl:.0f} for xxlarge), so PyTorch's GFLOP/s column understates the work it does. Softmax, LayerNorm,
GELU, gathers and the embedding lookup are under 1 % and left out.

Check: base at 1 × 128 gives **{flops_base:.2f} GFLOP** ({terms_base}), matching the issue's ≈ 23.5 GFLOP;
xxlarge at 1 × 128 gives **{flops_xxl:.0f} GFLOP**; v1-large at 1 × 128 **{flops_v1:.1f} GFLOP** (DeBERTa v1 has no
buckets: `idx(i, j) = clamp(512 + i − j, 0, 1023)` over its 1024-row table, so again W = 2·(T − 1) + 1 = 255).
For v1, Hugging Face projects only the 2·T table rows around the centre, a slice that depends on T, in every
forward pass ({hf_v1:.1f} GFLOP at T = 128), and the exported ONNX graph inherits that slice; debertac folds
the projection of the whole table at compile time and gathers from it.

Achieved GFLOP/s = FLOPs / median time, whatever the precision (an int8 multiply-add counts 2, like an fp32
one). The machine's peaks are measured, not taken from a data sheet. fp32 as before: `cblas_sgemm` of the
OpenBLAS the compiled .so links (the system's libopenblas, loaded with ctypes; numpy's bundled OpenBLAS can
be a different build) on the FFN shapes, with all cores and with one; the peak is the better of the all-core
rate and cores × the one-core rate (on this VM OpenBLAS's own threading barely beats one thread, while
independent tiles scale). debertac itself no longer calls sgemm for `linear` or the fused attention (its own
packed kernel, docs/architecture.md); sgemm stands for "what a good BLAS gets here". Per precision, the
instruction peak (`bench/peak.c`, built with `cc -O2`): 12 independent accumulator chains, each in its own
register, of the instruction the precision's products are made of: `vfmadd231ps zmm` for fp32 (32 FLOP),
`vdpbf16ps zmm` for bf16 (64), `vpdpbusd zmm` for int8 (128 operations), on one core and on every core (one
pinned thread each), the better of the all-core rate and cores × the one-core rate. A precision whose
instruction the CPU lacks (no `avx512_bf16` or `avx512_vnni` in /proc/cpuinfo) is skipped with a note. Each
engine's achieved rate is shown against the peak of the precision it computes in (fp32 engines also against
sgemm, as before).
"""


def _method() -> str:
    """The method text with its FLOP counts filled in."""
    base, xxl, v1 = SHAPES["base"].config, SHAPES["xxlarge"].config, SHAPES["v1-large"].config
    f_base = forward_flops(base, 1, 128)
    return METHOD.format(
        flops_base=f_base["total"] / 1e9, flops_xxl=forward_flops(xxl, 1, 128)["total"] / 1e9,
        flops_v1=forward_flops(v1, 1, 128)["total"] / 1e9,
        hf_base=hf_position_projection_flops(base) / 1e9, hf_xxl=hf_position_projection_flops(xxl) / 1e9,
        hf_v1=hf_position_projection_flops(v1, 128) / 1e9,
        terms_base=", ".join(f"{k} {v / 1e9:.2f}" for k, v in f_base.items() if k != "total" and v),
        fp32_noise=100 * FP32_NOISE,
    )


def pending() -> str:
    """docs/benchmarks.md before the first full run."""
    return _method() + """
## Results

Not measured yet: the numbers appear here after `bench/run.sh` runs on a quiet machine.
"""
