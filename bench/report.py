"""The machine description, the Markdown tables, and docs/benchmarks.md."""

import os
import platform
import statistics
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from shapes import SHAPES, forward_flops, hf_position_projection_flops

NAMES = {"debertac": "debertac", "onnxruntime": "ONNX Runtime", "openvino": "OpenVINO", "torch": "PyTorch eager"}
PEERS = ["onnxruntime", "openvino", "torch"]
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
    for package in ("torch", "transformers", "onnxruntime", "openvino", "onnx", "numpy", "safetensors"):
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

def ms(seconds) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e3:,.0f}" if seconds >= 1 else f"{seconds * 1e3:.1f}"


def mib(kb) -> str:
    return "n/a" if kb is None else f"{kb / 1024:,.0f} MiB"


def quartiles(times):
    if len(times) < 2:
        return times[0], times[0]
    q = statistics.quantiles(times, n=4, method="inclusive")
    return q[0], q[2]


def table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def medians(shape_result) -> dict:
    return {e: {case: statistics.median(ts) for case, ts in r["times"].items() if ts}
            for e, r in shape_result["engines"].items() if r["status"] == "ok"}


def paired_base(shape_result, peer: str, case: str, overall: float) -> float:
    """debertac's median for a ratio to `peer`: over the calls interleaved with that peer's under the
    paired schedule, else over all of debertac's calls."""
    times = shape_result["engines"].get("debertac", {}).get("paired", {}).get(peer, {}).get(case)
    return statistics.median(times) if times else overall


def sgemm_rates(sgemm, threads):
    """{M: GFLOP/s of the two FFN products of that M together} at the given thread count, and the peak."""
    by_m = {}
    for r in sgemm["results"]:
        if r["threads"] == threads:
            flops, seconds = by_m.get(r["m"], (0, 0))
            by_m[r["m"]] = (flops + 2 * r["m"] * r["n"] * r["k"], seconds + r["median_s"])
    rates = {m: f / s / 1e9 for m, (f, s) in by_m.items()}
    # The peak is the better of the best median at `threads` threads and `threads` × the best
    # single-thread median: OpenBLAS's own threading can scale worse than independent tiles.
    candidates = [r["gflops"] for r in sgemm["results"] if r["threads"] == threads]
    candidates += [threads * r["gflops"] for r in sgemm["results"] if r["threads"] == 1]
    peak = max(candidates, default=None)
    return rates, peak


def tables(results) -> str:
    m, threads = results["machine"], results["machine"]["threads"]
    out = [f"Machine: {m['cpu']}, {m['usable_cpus']} cores, {m['ram_gib']:.1f} GiB RAM, {m['os']}; "
           f"every engine uses {threads} threads. Load average {m['loadavg']} at the start, {m['loadavg_end']} at the end.",
           ""]
    rates, peak = sgemm_rates(results["sgemm"], threads)

    # Latency and throughput.
    rows, speedups, roofline, agreement = [], [], [], []
    for name, r in results["shapes"].items():
        med = medians(r)
        for case in (c for c in r["cases"] if c["timed"]):
            case_name, batch = case["name"], case["batch"]
            flops = r["flops"][case_name]["total"]
            base = med.get("debertac", {}).get(case_name)
            for engine, result in r["engines"].items():
                times = result["times"].get(case_name)
                if result["status"] != "ok" or not times:
                    rows.append([name, case_name, NAMES[engine], "failed" if result["status"] == "failed" else "n/a",
                                 "", "", "", "", ""])
                    continue
                median = statistics.median(times)
                q1, q3 = quartiles(times)
                rows.append([name, case_name, NAMES[engine], f"**{ms(median)}**", f"{ms(q1)}–{ms(q3)}",
                             f"{ms(min(times))}–{ms(max(times))}", f"{batch / median:.2f}",
                             f"{flops / median / 1e9:.0f}", f"{median / base:.2f}" if base else "n/a"])
            if base:
                speedups.append([name, case_name] + [f"{med[p][case_name] / paired_base(r, p, case_name, base):.2f}×"
                                                     if case_name in med.get(p, {}) else "n/a" for p in PEERS])
                rate = rates.get(case["batch"] * case["length"])
                achieved = flops / base / 1e9
                roofline.append([name, case_name, f"{flops / 1e9:.1f}", f"{achieved:.0f}",
                                 f"{rate:.0f}" if rate else "n/a", f"{100 * achieved / rate:.0f} %" if rate else "n/a",
                                 f"{100 * achieved / peak:.0f} %" if peak else "n/a"])
        for case in r["cases"]:
            agreement.append([name, case["name"]] +
                             [(f"{r['engines'][e]['max_abs_diff'][case['name']]:.1e}"
                               if case["name"] in r["engines"][e]["max_abs_diff"] else r["engines"][e]["status"])
                              for e in r["engines"] if e != "torch"])
    out += ["### Latency and throughput",
            "",
            "Wall time of one call, after warm-up; median over the timed rounds (engines interleaved round-robin "
            "unless the shape says paired or sequential). seq/s = batch / median. GFLOP/s = the forward pass's FLOPs "
            "(below) / median. The last column is the median relative to debertac's (above 1: slower than debertac).",
            "",
            table(["shape", "input", "engine", "median ms", "IQR ms", "min–max ms", "seq/s", "GFLOP/s", "÷ debertac"],
                  rows), ""]
    out += ["### debertac's speed-up over each peer",
            "",
            "Peer median / debertac median (above 1: debertac is faster); under the paired schedule, debertac's "
            "median over the calls interleaved with that peer's.",
            "",
            table(["shape", "input"] + [NAMES[p] for p in PEERS], speedups) if speedups else
            "debertac was not measured (see the failures below).", ""]

    # Roofline.
    sg_rows = [[f"{r['m']}×{r['n']}×{r['k']}", r["threads"], f"{r['gflops']:.0f}", f"{r['gflops_best']:.0f}",
                ms(r["median_s"])] for r in results["sgemm"]["results"]]
    out += ["### Roofline",
            "",
            f"sgemm: `cblas_sgemm` of {results['sgemm']['library']} ({results['sgemm']['config']}), "
            "row-major C[M,N] = A[M,K]·B[N,K]ᵀ as in a linear layer, on the FFN shapes of each input "
            "(M = batch × tokens; N×K = FFN×hidden and hidden×FFN). Peak = the best median at "
            f"{threads} threads, or {threads} × the best single-thread median where that is higher (OpenBLAS's "
            f"own threading scales worse than independent tiles on some machines): **{peak:.0f} GFLOP/s**."
            if peak else "sgemm: not measured.",
            "",
            table(["M×N×K", "threads", "GFLOP/s (median)", "GFLOP/s (best)", "median ms"], sg_rows), ""]
    if roofline:
        out += ["debertac's achieved rate against the FLOP count, against sgemm on the same M (the two FFN "
                "products together) and against the sgemm peak:",
                "",
                table(["shape", "input", "GFLOP", "debertac GFLOP/s", "sgemm GFLOP/s at this M", "% of sgemm at M",
                       "% of sgemm peak"], roofline), ""]

    # Start-up and memory.
    start_rows = []
    for name, r in results["shapes"].items():
        a = r["artifacts"]
        for engine, result in r["engines"].items():
            if engine == "debertac":
                build = (f"compile {float(a['debertac']['wall_s']):.1f} s, {mib(int(a['debertac']['maxrss_kb']))}, "
                         f".so {int(a['debertac']['bytes']) / 2**20:,.0f} MiB"
                         if "debertac" in a and "wall_s" in a["debertac"] else
                         "reused .so" if "debertac" in a else "n/a")
            elif engine in ("onnxruntime", "openvino"):
                build = (f"ONNX export {float(a['onnx']['seconds']):.0f} s" +
                         (" (cached)" if a["onnx"]["cached"] == "True" else "")) if "onnx" in a else "n/a"
            else:
                build = "—"
            if result["status"] != "ok" and "load_s" not in result:
                start_rows.append([name, NAMES[engine], build, "failed", "", "", "", ""])
                continue
            start_rows.append([name, NAMES[engine], build, f"{result['import_s']:.1f} s",
                               f"{result['load_s']:.2f} s",
                               f"{ms(result.get('first_call_s'))} ms ({result.get('first_case')})",
                               mib(result.get("maxrss_first_kb")), mib(result.get("rss_after_import_kb")),
                               mib(result.get("maxrss_end_kb"))])
    out += ["### Compile, load, first call, memory",
            "",
            "Build: debertac's `compile` (wall time, its peak RSS, size of the .so); ONNX Runtime and OpenVINO "
            "load the same ONNX export. Load: debertac = dlopen + `debertac_model_open`; ONNX Runtime = "
            "`InferenceSession` (graph optimisation included); OpenVINO = `read_model` + `compile_model`; PyTorch = "
            "`from_pretrained`. Import = importing the engine's Python package (not part of load). First call: the "
            "first classification after loading. Peak RSS: `ru_maxrss` of the engine's own process after loading "
            "and classifying the first input (the process imports only its engine); the last column is the peak "
            "over the whole run (larger inputs included).",
            "",
            table(["shape", "engine", "build", "import", "load", "first call", "peak RSS (load + first call)",
                   "RSS after import", "peak RSS (all inputs)"], start_rows), ""]

    # Checks, schedule, noise, failures.
    engines = [e for e in next(iter(results["shapes"].values()))["engines"] if e != "torch"]
    args = results["args"]
    out += ["### Agreement with PyTorch",
            "",
            f"Max |logit − PyTorch logit| on every input before anything was timed; the run stops unless every "
            f"logit is within {args['atol']} + {args['rtol']}·|PyTorch logit|. Padded inputs are checked but not timed.",
            "",
            table(["shape", "input"] + [NAMES[e] for e in engines], agreement), ""]
    notes = []
    for name, r in results["shapes"].items():
        cpu = r["cpu"]
        rounds = ", ".join(f"{c}: {w} warm-up + {n} timed" for c, (w, n) in r["rounds"].items())
        notes.append(f"- {name}: {r['mode']} schedule; rounds {rounds}. While timing, other processes used "
                     f"{cpu['foreign_cores']:.2f} cores on average (steal {cpu['steal_cores']:.2f})" +
                     (" — **the machine was busy: these numbers are noisy**."
                      if cpu["foreign_cores"] + cpu["steal_cores"] > 0.1 else "."))
        for engine, result in r["engines"].items():
            if result["status"] != "ok":
                notes.append(f"- {name}: **{NAMES[engine]} failed**: {result.get('error', '?')}".replace("\n", " "))
    out += ["### Notes", ""] + notes + [""]
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------------

# docs/benchmarks.md ends with the tokenization section, written by bench/tokenization.py between these
# markers; document() carries it over from the file it replaces.
TOKENIZATION_BEGIN = "<!-- bench/tokenization.py: begin -->"
TOKENIZATION_END = "<!-- bench/tokenization.py: end -->"


def tokenization_section(doc: str) -> str:
    """The tokenization section of a docs/benchmarks.md, markers included, or ""."""
    begin, end = doc.find(TOKENIZATION_BEGIN), doc.find(TOKENIZATION_END)
    return doc[begin:end + len(TOKENIZATION_END)] + "\n" if 0 <= begin < end else ""


def with_tokenization_section(doc: str, section: str) -> str:
    """doc with its tokenization section replaced by `section` (appended when it has none)."""
    begin, end = doc.find(TOKENIZATION_BEGIN), doc.find(TOKENIZATION_END)
    if 0 <= begin < end:
        return doc[:begin] + section.rstrip("\n") + doc[end + len(TOKENIZATION_END):]
    return doc.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def document(tables_markdown: str, results, previous: str = "") -> str:
    """The whole of docs/benchmarks.md; `previous` is the file it replaces (its tokenization section is kept)."""
    doc, kept = _document(tables_markdown, results), tokenization_section(previous)
    return with_tokenization_section(doc, kept) if kept else doc


def _document(tables_markdown: str, results) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    base, xxl = SHAPES["base"].config, SHAPES["xxlarge"].config
    f_base = forward_flops(base, 1, 128)
    f_xxl = forward_flops(xxl, 1, 128)
    return METHOD.format(
        flops_base=f_base["total"] / 1e9, flops_xxl=f_xxl["total"] / 1e9,
        hf_base=hf_position_projection_flops(base) / 1e9, hf_xxl=hf_position_projection_flops(xxl) / 1e9,
        terms_base=", ".join(f"{k} {v / 1e9:.2f}" for k, v in f_base.items() if k != "total" and v),
    ) + f"""
## Results

Measured {results['date']} with `{results['command']}` in {results['elapsed_s'] / 60:.1f} minutes.

- CPU: {m['cpu']} ({m['usable_cpus']} cores usable, {m['logical_cpus']} logical); RAM {m['ram_gib']:.1f} GiB
- OS: {m['os']}; Python {m['python']}
- debertac {m['debertac']} at commit {m['commit']}, LLVM {m['llvm']}, code generated for `{m['llvm_cpu']}`
- {versions}; OpenBLAS: {results['sgemm']['config']}

{tables_markdown}"""


METHOD = """# Benchmarks

This page is written by `bench/run.sh` (that is, `bench/bench.py --write-docs`); do not edit the results
by hand. `bench/README.md` explains the options.

## What is measured

debertac against three peers on the same machine, in the same run, on random-weight checkpoints of two
shapes made with transformers (`DebertaV2ForSequenceClassification`, 3 labels):

- **base**: deberta-v3-base (hidden 768, 12 layers, 12 heads, FFN 3072, vocab 128100, relative attention
  with 256 position buckets, `norm_rel_ebd` layer_norm, `share_att_key`, p2c|c2p, no absolute positions),
  saved as fp32 safetensors like the NLI fine-tunes of it on the Hub. Inputs 1 × 128, 8 × 128, 1 × 512 tokens.
- **xxlarge**: deberta-v2-xxlarge-mnli (hidden 1536, 48 layers, 24 heads, FFN 6144, conv layer of kernel 3
  with GELU, otherwise the same), saved as fp16 safetensors (the real checkpoint ships fp16). Input 1 × 128.

Every engine computes in fp32. Engines:

- **debertac**: `debertac compile CHECKPOINT -o model.so`, driven through its C ABI with ctypes
  (`debertac_model_open`, `debertac_session_create`, `debertac_classify`), `DEBERTAC_NUM_THREADS` = all cores.
- **ONNX Runtime**: the checkpoint exported with `torch.onnx.export` (legacy TorchScript exporter,
  `dynamo=False`, opset 17, dynamic batch and sequence axes, traced at 2 × 48 so that no benchmark shape
  is baked in), stored as the graph plus one external-data file; CPU execution provider, `ORT_ENABLE_ALL`,
  `intra_op_num_threads` = all cores, sequential execution. (The dynamo exporter gives the same logits
  with torch 2.15 and transformers 5.24: `--onnx-exporter dynamo`.)
- **OpenVINO**: the same ONNX file, `compile_model(..., "CPU")` with `INFERENCE_PRECISION_HINT` f32,
  `INFERENCE_NUM_THREADS` = all cores, `PERFORMANCE_HINT` LATENCY, one stream, dynamic shapes.
- **PyTorch eager**: `from_pretrained(..., dtype=float32)`, `eval()`, `torch.inference_mode()`,
  `torch.set_num_threads` = all cores.

Random weights are scaled (weights N(0, 1/fan_in), embeddings N(0, 1), LayerNorm 1 + 0.1 N(0, 1)) so that
logits are O(1): with Hugging Face's N(0, 0.02) init every logit is ~0.01 and a wrong kernel hides inside
any tolerance. Token ids are random (seeded) with [CLS] … [SEP] … [SEP]; timed inputs are unpadded, and a
padded batch is checked (not timed) to exercise the masks.

Procedure, per shape: each engine runs in its own process that imports only that engine. Engines are
loaded one after another (so loads do not compete), each classifies the first input once (first-call
latency, then `ru_maxrss`), and every engine's logits on every input are compared with PyTorch's; any
logit outside the tolerance stops the run before anything is timed. Then, per input, a few warm-up rounds
and the timed rounds run; in a round every engine classifies the input once, engines in round-robin order
rotated each round, with a 50 ms pause between calls so that no engine's spinning worker threads overlap
the next engine's call. The tables quote medians with the interquartile range and min–max. When four
copies of a shape do not fit in RAM (xxlarge: about 6 GB of fp32 weights per engine on a 23 GB machine),
the shape runs **paired** instead: debertac (whose weights are pages mapped from its .so) stays loaded,
and each peer in turn, PyTorch first, is loaded, checked, timed round-robin against debertac and closed;
each ratio to a peer then uses debertac's calls from that peer's block, so the host's drift over minutes
does not enter the ratios. (**Sequential**, one engine in memory at a time, remains for machines where
even that does not fit.) A mismatch still stops the run before anything is reported. The run also
records how much CPU other processes used while timing, and how much the hypervisor took (steal); above
0.1 cores together the notes flag the numbers as noisy.

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
xxlarge at 1 × 128 gives **{flops_xxl:.0f} GFLOP**.

Achieved GFLOP/s = FLOPs / median time. The machine's peak is measured, not taken from a data sheet:
`cblas_sgemm` of the OpenBLAS the compiled .so links (the system's libopenblas, loaded with ctypes; numpy's
bundled OpenBLAS can be a different build) on the FFN shapes, with all cores and with one; the peak is the
better of the all-core rate and cores × the one-core rate (on this VM OpenBLAS's own threading barely beats
one thread, while independent tiles scale). debertac itself no longer calls sgemm for `linear` or the fused
attention (its own packed kernel, docs/architecture.md); sgemm stands for "what a good BLAS gets here".
"""


def pending() -> str:
    """docs/benchmarks.md before the first full run."""
    base, xxl = SHAPES["base"].config, SHAPES["xxlarge"].config
    f_base = forward_flops(base, 1, 128)
    return METHOD.format(
        flops_base=f_base["total"] / 1e9, flops_xxl=forward_flops(xxl, 1, 128)["total"] / 1e9,
        hf_base=hf_position_projection_flops(base) / 1e9, hf_xxl=hf_position_projection_flops(xxl) / 1e9,
        terms_base=", ".join(f"{k} {v / 1e9:.2f}" for k, v in f_base.items() if k != "total" and v),
    ) + """
## Results

Not measured yet: the numbers appear here after `bench/run.sh` runs on a quiet machine.
"""
