"""The Markdown tables of a run (bench.py prints them; report.document puts them in docs/benchmarks.md).

Every number comes from the results JSON. With --repeat N, an engine's median is the median of its N
per-repetition medians, and a ratio between two engines is the median of the N per-repetition ratios of
their medians over the calls of the block that timed them together (so paired ratios use interleaved calls).
"""

import statistics

from catalogue import ENGINES, FP32_NOISE, FP32_REFERENCE, REFERENCE, TARGETS


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


def spread(values, fmt) -> str:
    """'min–max' of per-repetition values, or '—' for a single repetition."""
    return "—" if len(values) < 2 else f"{fmt(min(values))}–{fmt(max(values))}"


def x(v) -> str:
    return f"{v:.2f}×"


def r2(v) -> str:
    return f"{v:.2f}"


# -- reading results --------------------------------------------------------------------------------

def label(engine: str, shape_result=None, results=None) -> str:
    """The engine's name in the tables, with what the run found: the precision OpenVINO chose, how the
    int8 model was made."""
    spec = ENGINES[engine]
    precision, method = None, None
    for r in ([shape_result] if shape_result else []) + list((results or {}).get("shapes", {}).values()):
        precision = precision or r["engines"].get(engine, {}).get("precision")
        method = method or r.get("artifacts", {}).get("built", {}).get(spec.artifact, {}).get("method")
    return spec.label.format(precision=precision or spec.precision, method=method or spec.method)


def short(error: str) -> str:
    """An error on one line: its first line, and the last line of the log tail it quotes."""
    lines = [l.strip(" |") for l in str(error).splitlines() if l.strip(" |")]
    return lines[0] if len(lines) < 2 else f"{lines[0]} … {lines[-1]}"


def rep_medians(result: dict, case: str) -> list:
    """The engine's median in each repetition (its calls pooled over the blocks it ran in)."""
    return [statistics.median(ts) for ts in result.get("reps", {}).get(case, []) if ts]


def ratio_reps(shape_result, a: str, b: str, case: str) -> list:
    """Per repetition, a's median ÷ b's median over the calls of a block that timed both."""
    ea, eb = shape_result["engines"].get(a), shape_result["engines"].get(b)
    if not ea or not eb or ea["status"] != "ok" or eb["status"] != "ok":
        return []
    for key, mine in ea.get("blocks", {}).items():
        theirs = eb.get("blocks", {}).get(key, {}).get(case)
        if theirs and mine.get(case):
            return [statistics.median(p) / statistics.median(q) for p, q in zip(mine[case], theirs) if p and q]
    return []


def target_reps(shape_result, target, case: str) -> list:
    """Per repetition, target.engine ÷ min(target.against) = the largest ratio to any of them."""
    lists = [ratio_reps(shape_result, target.engine, p, case) for p in target.against]
    lists = [l for l in lists if l]
    if not lists:
        return []
    return [max(l[i] for l in lists) for i in range(min(len(l) for l in lists))]


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


def instruction_peaks(peaks, threads) -> dict:
    """{precision: GFLOP/s}: the better of the all-core rate and cores × the one-core rate, as for sgemm."""
    out = {}
    for r in (peaks or {}).get("results", []):
        rate = r["gflops"] if r["threads"] == threads else threads * r["gflops"] if r["threads"] == 1 else 0
        out[r["precision"]] = max(out.get(r["precision"], 0), rate)
    return out


def timed_cases(shape_result):
    return [c for c in shape_result["cases"] if c["timed"]]


# -- the tables -------------------------------------------------------------------------------------

def tables(results) -> str:
    m, threads = results["machine"], results["machine"]["threads"]
    repeat = max((int(r.get("repeat", 1)) for r in results["shapes"].values()), default=1)
    out = [f"Machine: {m['cpu']}, {m['usable_cpus']} cores, {m['ram_gib']:.1f} GiB RAM, {m['os']}; "
           f"every engine uses {threads} threads. Load average {m['loadavg']} at the start, {m['loadavg_end']} at the end.",
           ""]
    out += latency(results, repeat) + speedups(results, repeat) + targets(results, repeat)
    out += accuracy(results) + roofline(results, threads) + startup(results) + agreement(results)
    out += engines_as_run(results) + notes(results)
    return "\n".join(out)


def latency(results, repeat) -> list:
    rows = []
    for name, r in results["shapes"].items():
        for case in timed_cases(r):
            c, batch = case["name"], case["batch"]
            flops = r["flops"][c]["total"]
            for engine, result in r["engines"].items():
                times, meds = result["times"].get(c), rep_medians(result, c)
                if result["status"] != "ok" or not meds:
                    rows.append([name, c, label(engine, r), result["status"] if result["status"] != "ok" else "n/a"] +
                                [""] * (6 if repeat > 1 else 5))
                    continue
                median = statistics.median(meds)
                q1, q3 = quartiles(times)
                base = ENGINES[engine].baseline
                ratio = ratio_reps(r, engine, base, c) if base else [1.0]
                rows.append([name, c, label(engine, r), f"**{ms(median)}**", f"{ms(q1)}–{ms(q3)}",
                             f"{ms(min(times))}–{ms(max(times))}"] + ([spread(meds, ms)] if repeat > 1 else []) +
                            [f"{batch / median:.2f}", f"{flops / median / 1e9:.0f}",
                             r2(statistics.median(ratio)) if ratio else "n/a"])
    header = ["shape", "input", "engine", "median ms", "IQR ms", "min–max ms"] + \
             (["repetition medians ms"] if repeat > 1 else []) + ["seq/s", "GFLOP/s", "÷ debertac"]
    return ["### Latency and throughput",
            "",
            "Wall time of one call, after warm-up; median over the timed rounds (engines interleaved round-robin "
            "unless the shape says paired or sequential)" +
            (f"; with {repeat} repetitions, the median of the per-repetition medians, whose range is the "
             "'repetition medians' column (IQR and min–max pool every call)" if repeat > 1 else "") +
            ". seq/s = batch / median. GFLOP/s = the forward pass's FLOPs (below) / median, int8 operations "
            "counted as FLOPs. ÷ debertac = the median relative to the debertac build of the same precision "
            "(debertac bf16 and int8: relative to debertac fp32; above 1: slower), over the calls timed together.",
            "",
            table(header, rows), ""]


def speedups(results, repeat) -> list:
    rows = []
    for name, r in results["shapes"].items():
        for case in timed_cases(r):
            c = case["name"]
            for engine in r["engines"]:
                base = ENGINES[engine].baseline
                if base is None or base not in r["engines"]:
                    continue
                if ENGINES[engine].worker == "debertac":     # a build over debertac fp32: fp32 ÷ build
                    build, other, ratios = engine, base, ratio_reps(r, base, engine, c)
                else:                                       # debertac of its precision over a peer
                    build, other, ratios = base, engine, ratio_reps(r, engine, base, c)
                rows.append([name, c, label(build, r), label(other, r),
                             f"**{x(statistics.median(ratios))}**" if ratios else "n/a"] +
                            ([spread(ratios, x) if ratios else ""] if repeat > 1 else []))
    return ["### debertac's speed-up over each engine",
            "",
            "Other engine's median / the debertac build's median, over the calls timed together (above 1: debertac "
            "is faster). Each peer is compared with the debertac build of its precision, the bf16 and int8 builds "
            "with debertac fp32" + (f"; median and range of the {repeat} per-repetition ratios" if repeat > 1 else "") +
            ".",
            "",
            table(["shape", "input", "debertac build", "over", "speed-up"] +
                  (["min–max over repetitions"] if repeat > 1 else []), rows) if rows else
            "debertac was not measured (see the failures below).", ""]


def targets(results, repeat) -> list:
    rows = []
    for name, r in results["shapes"].items():
        for case in timed_cases(r):
            c = case["name"]
            for t in TARGETS:
                if t.engine not in r["engines"] or not any(p in r["engines"] for p in t.against):
                    continue
                ratios = target_reps(r, t, c)
                if t.limit is None:
                    before = FP32_REFERENCE.get((name, c))
                    limit = before * (1 + FP32_NOISE) if before else None
                    limit_text = (f"≤ {limit:.3f} ({before:.3f} before + {FP32_NOISE:.0%})" if before else
                                  "n/a (no ratio from before issue 13 for this shape)")
                else:
                    limit, limit_text = t.limit, f"≤ {t.limit:g}"
                if not ratios:
                    rows.append([name, c, t.text, "n/a", "", limit_text, "not measured"])
                    continue
                median = statistics.median(ratios)
                verdict = "n/a" if limit is None else "**met**" if median <= limit else "not met"
                if limit is not None and len(ratios) > 1 and median <= limit < max(ratios):
                    verdict += " (not in every repetition)"
                missing = [label(p, r) for p in t.against if not ratio_reps(r, t.engine, p, c)]
                if missing:
                    verdict += f" ({', '.join(missing)} not measured)"
                rows.append([name, c, t.text, f"{median:.3f}", spread(ratios, lambda v: f"{v:.3f}"), limit_text,
                             verdict])
    if not rows:
        return []
    return ["### Targets (issue 13)",
            "",
            "Each target as a ratio of medians, debertac build ÷ peer (÷ the faster peer where two are named), from "
            "calls timed together; met when the median over repetitions is at or below the limit. fp32 must not "
            "regress: its ratio to the faster fp32 peer may not exceed the one published before the low-precision "
            f"work (docs/benchmarks.md at commit 9ac5ba6, another host of the same 2-core VM class) by more than "
            f"{FP32_NOISE:.0%}.",
            "",
            table(["shape", "input", "target", "ratio (median)", "min–max over repetitions", "limit", "met?"], rows),
            ""]


def accuracy(results) -> list:
    rows = []
    for name, r in results["shapes"].items():
        for engine, result in r["engines"].items():
            if engine == REFERENCE:
                continue
            a = result.get("accuracy")
            if not a:
                rows.append([name, label(engine, r), ENGINES[engine].precision, result["status"], "", "", ""])
                continue
            agree = f"{a['agree']} / {a['sequences']} ({100 * a['agree'] / a['sequences']:.0f} %)"
            rows.append([name, label(engine, r), result.get("precision", ENGINES[engine].precision),
                         f"{a['max']:.2e}", f"{a['mean']:.2e}", agree, a["worst_case"]])
    args = results["args"]
    return ["### Accuracy against PyTorch fp32",
            "",
            "Over every checked input of the shape (the timed ones and a padded batch): the largest and the mean "
            "|logit − PyTorch fp32 logit|, and how many sequences' predicted class (argmax) is PyTorch's. fp32 "
            f"engines must be within {args['atol']} + {args['rtol']}·|PyTorch logit| everywhere or the run stops; "
            f"bf16 and int8 engines only stop it with a non-finite logit or one further than "
            f"{args.get('reduced_max_diff', '1.0')} (`--reduced-max-diff`). The random checkpoints' logits are O(1) "
            "and the inputs few, so argmax agreement is a coarse check; the |Δ| columns are the measure.",
            "",
            table(["shape", "engine", "precision", "max |Δ|", "mean |Δ|", "argmax = PyTorch", "largest |Δ| on"],
                  rows),
            ""]


def roofline(results, threads) -> list:
    rates, sgemm_peak = sgemm_rates(results["sgemm"], threads)
    peaks = results.get("peaks") or {}
    peak = instruction_peaks(peaks, threads)
    sg_rows = [[f"{r['m']}×{r['n']}×{r['k']}", r["threads"], f"{r['gflops']:.0f}", f"{r['gflops_best']:.0f}",
                ms(r["median_s"])] for r in results["sgemm"]["results"]]
    by_precision = {}
    for r in peaks.get("results", []):
        by_precision.setdefault(r["precision"], {})[r["threads"]] = r
    peak_rows = []
    for precision in ("fp32", "bf16", "int8"):
        got = by_precision.get(precision)
        if not got:
            peak_rows.append([precision, "", "", "skipped: " + peaks.get("skipped", {}).get(precision, "not measured"),
                              "", ""])
            continue
        one = got.get(1)
        flops = {"fp32": 32, "bf16": 64, "int8": 128}[precision]
        peak_rows.append([precision, f"`{next(iter(got.values()))['instruction']}`", flops,
                          f"{one['gflops']:.0f}" if one else "n/a",
                          f"{got[threads]['gflops']:.0f}" if threads in got else "n/a", f"**{peak[precision]:.0f}**"])
    rows = []
    for name, r in results["shapes"].items():
        for case in timed_cases(r):
            c = case["name"]
            flops = r["flops"][c]["total"]
            rate = rates.get(case["batch"] * case["length"])
            for engine, result in r["engines"].items():
                meds = rep_medians(result, c)
                if result["status"] != "ok" or not meds:
                    continue
                achieved = flops / statistics.median(meds) / 1e9
                precision = result.get("precision", ENGINES[engine].precision)
                fp32 = precision == "fp32"
                rows.append([name, c, f"{flops / 1e9:.1f}", label(engine, r), precision, f"{achieved:.0f}",
                             f"{100 * achieved / peak[precision]:.0f} %" if precision in peak else "n/a",
                             f"{100 * achieved / rate:.0f} %" if fp32 and rate else "—",
                             f"{100 * achieved / sgemm_peak:.0f} %" if fp32 and sgemm_peak else "—"])
    return ["### Roofline",
            "",
            f"sgemm: `cblas_sgemm` of {results['sgemm']['library']} ({results['sgemm']['config']}), "
            "row-major C[M,N] = A[M,K]·B[N,K]ᵀ as in a linear layer, on the FFN shapes of each input "
            "(M = batch × tokens; N×K = FFN×hidden and hidden×FFN). Peak = the best median at "
            f"{threads} threads, or {threads} × the best single-thread median where that is higher (OpenBLAS's "
            f"own threading scales worse than independent tiles on some machines): **{sgemm_peak:.0f} GFLOP/s**."
            if sgemm_peak else "sgemm: not measured.",
            "",
            table(["M×N×K", "threads", "GFLOP/s (median)", "GFLOP/s (best)", "median ms"], sg_rows), "",
            "Instruction peaks (`bench/peak.c`, built with " + (peaks.get("compiler") or "cc") + " -O2): 12 "
            "independent chains of the instruction each precision's matrix products are made of, in registers, "
            "on 1 core and on every core (a pinned thread each); best of several runs. FLOPs count 2 per "
            "multiply-add, int8 operations likewise. The peak of a precision is the better of the all-core rate "
            f"and {threads} × the one-core rate.",
            "",
            table(["precision", "instruction", "FLOP / instruction", "1 core GFLOP/s", f"{threads} cores GFLOP/s",
                   "peak GFLOP/s"], peak_rows), ""] + \
        (["Every engine's achieved rate (forward-pass FLOPs / median) against the instruction peak of the "
          "precision it computes in, and, for fp32 engines, against sgemm on the same M (the two FFN products "
          "together) and against the sgemm peak:",
          "",
          table(["shape", "input", "GFLOP", "engine", "precision", "GFLOP/s", "% of its precision's peak",
                 "% of sgemm at M", "% of sgemm peak"], rows), ""] if rows else [])


def build_text(engine: str, artifacts: dict) -> str:
    """How the engine's model was made, and what that cost."""
    spec = ENGINES[engine]
    if spec.artifact is None:
        return "—"
    if spec.artifact in artifacts.get("errors", {}):
        return "skipped" if spec.artifact in artifacts.get("skipped", []) else "failed"
    a = artifacts.get("built", {}).get(spec.artifact)
    if a is None:
        return "n/a"
    cached = " (cached)" if a.get("cached") else ""
    seconds = f" {float(a['seconds']):.0f} s" if a.get("seconds") is not None else ""
    if spec.worker == "debertac":
        if "wall_s" not in a:
            return "reused .so"
        return f"compile {float(a['wall_s']):.1f} s, {mib(int(a['maxrss_kb']))}, .so {int(a['bytes']) / 2**20:,.0f} MiB"
    if spec.artifact == "onnx":
        return f"ONNX export{seconds}{cached}"
    size = f", {int(a['bytes']) / 2**20:,.0f} MiB" if a.get("bytes") else ""
    peak = f", {mib(int(a['maxrss_kb']))}" if a.get("maxrss_kb") else ""
    samples = f", {a['calibrated_on']} calibration inputs" if a.get("calibrated_on") else ""
    return f"{a.get('method', spec.artifact)}{seconds}{peak}{samples}{size}{cached} (from the ONNX export)"


def startup(results) -> list:
    rows = []
    for name, r in results["shapes"].items():
        for engine, result in r["engines"].items():
            build = build_text(engine, r.get("artifacts", {}))
            if "load_s" not in result:
                rows.append([name, label(engine, r), build, result["status"], "", "", "", "", ""])
                continue
            rows.append([name, label(engine, r), build, f"{result['import_s']:.1f} s", f"{result['load_s']:.2f} s",
                         f"{ms(result.get('first_call_s'))} ms ({result.get('first_case')})",
                         mib(result.get("maxrss_first_kb")), mib(result.get("rss_after_import_kb")),
                         mib(result.get("maxrss_end_kb"))])
    return ["### Compile, load, first call, memory",
            "",
            "Build: debertac's `compile` per precision (wall time, its peak RSS, size of the .so); ONNX Runtime and "
            "OpenVINO fp32 and OpenVINO default load the same ONNX export; the int8 peers load a model quantized "
            "from it (wall time and peak RSS of the quantization; cached between runs). Load: debertac = dlopen + "
            "`debertac_model_open`; ONNX Runtime = `InferenceSession` (graph optimisation included); OpenVINO = "
            "`read_model` + `compile_model`; PyTorch = `from_pretrained`. Import = importing the engine's Python "
            "package (not part of load). First call: the first classification after loading. Peak RSS: "
            "`ru_maxrss` of the engine's own process after loading and classifying the first input (the process "
            "imports only its engine); the last column is the peak over the whole run (larger inputs included).",
            "",
            table(["shape", "engine", "build", "import", "load", "first call", "peak RSS (load + first call)",
                   "RSS after import", "peak RSS (all inputs)"], rows), ""]


def agreement(results) -> list:
    engines = [e for e in next(iter(results["shapes"].values()))["engines"]
               if e != REFERENCE and not ENGINES[e].reduced]
    if not engines:
        return []
    rows = []
    for name, r in results["shapes"].items():
        for case in r["cases"]:
            rows.append([name, case["name"]] +
                        [(f"{r['engines'][e]['max_abs_diff'][case['name']]:.1e}"
                          if case["name"] in r["engines"][e]["max_abs_diff"] else r["engines"][e]["status"])
                         for e in engines])
    args = results["args"]
    return ["### Agreement with PyTorch (fp32 engines)",
            "",
            f"Max |logit − PyTorch logit| on every input before anything was timed; the run stops unless every "
            f"logit is within {args['atol']} + {args['rtol']}·|PyTorch logit|. Padded inputs are checked but not timed.",
            "",
            table(["shape", "input"] + [label(e, results=results) for e in engines], rows), ""]


def engines_as_run(results) -> list:
    rows, seen = [], set()
    for name, r in results["shapes"].items():
        for engine, result in r["engines"].items():
            if engine in seen or "info" not in result:
                continue
            seen.add(engine)
            rows.append([label(engine, r), f"`{engine}`", result.get("precision", "?"), result["info"]])
    return ["### Engines as run",
            "",
            "What each engine's worker reported after loading (first shape it ran on); `--engines` takes the keys.",
            "",
            table(["engine", "key", "precision", "description"], rows), ""] if rows else []


def notes(results) -> list:
    out = []
    for name, r in results["shapes"].items():
        cpu = r["cpu"]
        rounds = ", ".join(f"{c}: {w} warm-up + {n} timed" for c, (w, n) in r["rounds"].items())
        repeat = int(r.get("repeat", 1))
        blocks = "; ".join(" + ".join(b) for _, b in r.get("plan", []))
        out.append(f"- {name}: {r['mode']} schedule" +
                   (f" (blocks, in order: {blocks})" if r["mode"] != "interleaved" else "") +
                   f"; rounds {rounds}" +
                   (f"; {repeat} repetitions: each repeats every input's warm-up and timed rounds over the engines "
                    "of a block, engines loaded once" + (" (the whole interleaved round-robin)"
                                                        if r["mode"] == "interleaved" else
                                                        " (within each block, one block after another)")
                    if repeat > 1 else "") +
                   f". While timing, other processes used {cpu['foreign_cores']:.2f} cores on average "
                   f"(steal {cpu['steal_cores']:.2f})" +
                   (" — **the machine was busy: these numbers are noisy**."
                    if cpu["foreign_cores"] + cpu["steal_cores"] > 0.1 else "."))
        for kind, built in r.get("artifacts", {}).get("built", {}).items():
            if built.get("fallback_reason"):
                out.append(f"- {name}: the {kind} model was made by {built['method']}: {built['fallback_reason']}.")
        for engine, result in r["engines"].items():
            if result["status"] != "ok":
                out.append(f"- {name}: **{label(engine, r)} {result['status']}**: "
                           f"{short(result.get('error', result['status']))}")
    for precision, reason in (results.get("peaks") or {}).get("skipped", {}).items():
        out.append(f"- {precision} instruction peak skipped: {reason}.")
    return ["### Notes", ""] + out + [""]
