#!/usr/bin/env python3
"""Tokenization speed (issue 12): debertac_tokenize against the sentencepiece and tokenizers packages on the same texts.

    python3 bench/tokenization.py [--quick] [--write-docs] [--vocabs 16k,128k] [--rounds 7]

(Not bench/tokenize.py: a script named tokenize.py in bench/ would shadow the standard library's
`tokenize` module, which `inspect` and so torch import, in every script of this folder.)

One run, top to bottom (main):
1. Texts (tokenization_texts.py, cached in bench/cache/tokenization/): about 0.4 MB of NLI-style
   premise/hypothesis pairs and 1 MB of ~1 KB English paragraphs from the standard library's docstrings,
   and 1 MB of ~1 KB paragraphs in 24 languages from the gettext catalogues.
2. Tokenizers: Tests/Fixtures/tokenizers/v3-nfkc-16k (deberta-v3 layout, nmt_nfkc, 16,000 pieces), and a
   128,000-piece model of the same layout trained here with sentencepiece on other local text (32,000
   pieces if that fails); each also converted to tokenizer.json by transformers' DebertaV2TokenizerFast.
3. One random DeBERTa-v2 checkpoint (1 layer, hidden 32, vocab 128100: it covers both tokenizers; the
   model is never run) compiled with each tokenizer by the release `debertac compile --tokenizer`.
4. Engines, each in its own process: debertac (tokenization_host.c, built with cc: dlopen, then
   debertac_tokenize on every text or pair in a loop into one preallocated buffer); sentencepiece
   (`encode(list)` with 1 thread and with its default, all cores; a per-text Python loop); tokenizers
   (`Tokenizer.encode_batch` on the converted tokenizer.json with TOKENIZERS_PARALLELISM=false, i.e.
   1 thread, and with its default pool); transformers' fast tokenizer `__call__` (default threads).
5. Correctness: debertac's ids against sentencepiece's with [CLS]/[SEP] on every text and pair
   (and, for information, the tokenizers library's).
6. Timing: warm-up rounds, then timed rounds; in a round every engine tokenizes each corpus once,
   engines in an order rotated each round. Medians, IQR and min-max per pass over a corpus.
7. Markdown tables (tokens/s, MB/s, ratios, the time of a 128-token pair next to one forward pass of the
   base model from the latest bench/cache/results-*.json) and, with --write-docs, the tokenization
   section of docs/benchmarks.md (between its markers; bench/bench.py keeps that section).
"""

import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

FIXTURE_16K = REPO / "Tests" / "Fixtures" / "tokenizers" / "v3-nfkc-16k"
CORPORA = ["pairs", "english", "multilingual"]
CORPUS_NAMES = {"pairs": "NLI pairs", "english": "English ¶ ~1 KB", "multilingual": "multilingual ¶ ~1 KB"}
# Engine variants: (worker, variant) -> what the tables call it, and its threads ("all" = every core).
UNITS = [("debertac", "loop"), ("sentencepiece", "batch1"), ("sentencepiece", "batch"), ("sentencepiece", "loop"),
         ("tokenizers", "batch1"), ("tokenizers", "batch"), ("transformers", "call")]
UNIT_NAMES = {("debertac", "loop"): ("debertac_tokenize (C loop)", "1"),
              ("sentencepiece", "batch1"): ("sentencepiece encode(list)", "1"),
              ("sentencepiece", "batch"): ("sentencepiece encode(list)", "all"),
              ("sentencepiece", "loop"): ("sentencepiece encode(text), Python loop", "1"),
              ("tokenizers", "batch1"): ("tokenizers encode_batch", "1"),
              ("tokenizers", "batch"): ("tokenizers encode_batch", "all"),
              ("transformers", "call"): ("transformers fast tokenizer __call__", "all")}
# What this script needs (torch too: it makes the tiny checkpoint); bench.py's other engines are not needed.
PACKAGES = {"numpy": "numpy", "safetensors": "safetensors", "transformers": "transformers",
            "sentencepiece": "sentencepiece", "tokenizers": "tokenizers", "google.protobuf": "protobuf"}
TEXTS_SEED = 12
TINY_CONFIG = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "attention_head_size": 16,
               "intermediate_size": 64, "vocab_size": 128100, "position_buckets": 256, "max_position_embeddings": 512}


def log(message: str) -> None:
    print(f"[tokenization {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stamp_matches(path: Path, stamp: dict) -> bool:
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return {k: old.get(k) for k in stamp} == stamp


def run_logged(argv, log_path: Path, env=None) -> float:
    """Runs a command with its output in log_path; raises with the log's tail when it fails."""
    start = time.perf_counter()
    with open(log_path, "w") as out:
        code = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env).returncode
    if code != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{shlex.join(str(a) for a in argv)} failed with status {code} (log {log_path}):\n{tail}")
    return time.perf_counter() - start


# ----------------------------------------------------------------------------------------------------
# Preparation (nothing here is timed)

def ensure_texts(cache: Path, scale: float) -> tuple:
    """The texts (cached) and one corpus file per corpus for the C host."""
    import tokenization_texts
    path = cache / f"texts-{scale:g}.json"
    stamp = {"version": tokenization_texts.VERSION, "seed": TEXTS_SEED, "scale": scale, "python": sys.version}
    texts = None
    if path.exists():
        texts = json.loads(path.read_text())
        if texts.get("stamp") != stamp:
            texts = None
    if texts is None:
        log("making the texts")
        texts = tokenization_texts.make_texts(TEXTS_SEED, int(400_000 * scale), int(1_000_000 * scale),
                                              int(1_000_000 * scale))
        texts["stamp"] = stamp
        path.write_text(json.dumps(texts, ensure_ascii=False))
    files = {}
    for corpus in CORPORA:
        records = bytearray()
        for item in texts[corpus]:
            if isinstance(item, list):
                records += b"P" + item[0].encode() + b"\0" + item[1].encode() + b"\0"
            else:
                records += b"T" + item.encode() + b"\0"
        files[corpus] = cache / f"corpus-{scale:g}-{corpus}.bin"
        files[corpus].write_bytes(bytes(records))
    return path, texts, files


def tokenizer_config(pieces: int) -> dict:
    """The 16k fixture's tokenizer_config.json with [MASK] moved to the id after the last piece."""
    config = json.loads((FIXTURE_16K / "tokenizer_config.json").read_text())
    decoder = config["added_tokens_decoder"]
    decoder[str(pieces)] = decoder.pop("16000")
    return config


def ensure_tokenizers(cache: Path, vocabs, logs: Path) -> dict:
    """{vocab: {"dir": folder with spm.model + tokenizer_config.json, "fast": folder with tokenizer.json, ...}}."""
    out = {}
    for vocab in vocabs:
        folder = cache / f"spm-{vocab}"
        folder.mkdir(parents=True, exist_ok=True)
        if vocab == "16k":
            for name in ("spm.model", "tokenizer_config.json"):
                shutil.copyfile(FIXTURE_16K / name, folder / name)
            info = {"pieces": 16000, "source": "the fixture Tests/Fixtures/tokenizers/v3-nfkc-16k"}
        else:
            import tokenization_texts
            stamp = {"texts_version": tokenization_texts.VERSION, "python": sys.version, "requested": 128000}
            stamp_path = folder / "stamp.json"
            if not (folder / "spm.model").exists() or not stamp_matches(stamp_path, stamp):
                info = None
                for pieces in (128000, 32000):
                    log(f"training a {pieces}-piece SentencePiece model (a few minutes; cached)")
                    try:
                        seconds = run_logged([sys.executable, str(Path(__file__)), "--train-spm", str(folder),
                                              str(pieces)], logs / f"train-spm-{pieces}.log")
                    except RuntimeError as error:
                        log(f"training {pieces} pieces failed: {str(error).splitlines()[-1]}")
                        continue
                    info = {**stamp, "pieces": pieces, "train_s": seconds,
                            **json.loads((folder / "corpus.json").read_text())}
                    break
                if info is None:
                    raise SystemExit("error: could not train the large SentencePiece model (see bench/cache/tokenization/logs)")
                (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(info["pieces"]), indent=2))
                stamp_path.write_text(json.dumps(info, indent=1))
            info = json.loads(stamp_path.read_text())
            info["source"] = (f"trained here in {info['train_s'] / 60:.1f} min on {info['corpus_mb']:.0f} MB of other "
                              "local text")
        fast = cache / f"fast-{vocab}"
        spm_hash = sha256(folder / "spm.model")
        fast_stamp = {"spm": spm_hash, "transformers": _version("transformers")}
        if not (fast / "tokenizer.json").exists() or not stamp_matches(fast / "stamp.json", fast_stamp):
            log(f"{vocab}: converting spm.model to tokenizer.json (DebertaV2TokenizerFast)")
            shutil.rmtree(fast, ignore_errors=True)
            run_logged([sys.executable, str(Path(__file__)), "--convert", str(folder), str(fast)],
                       logs / f"convert-{vocab}.log")
            (fast / "stamp.json").write_text(json.dumps(fast_stamp))
        out[vocab] = {"dir": folder, "fast": fast, "spm_sha256": spm_hash, **info}
    return out


def ensure_checkpoint(cache: Path, logs: Path) -> Path:
    directory = cache / "checkpoint-tiny"
    stamp = {"config": TINY_CONFIG, "version": 1}
    if not (directory / "config.json").exists() or not stamp_matches(cache / "checkpoint-tiny.json", stamp):
        log("making a tiny random checkpoint (1 layer, hidden 32, vocab 128100)")
        shutil.rmtree(directory, ignore_errors=True)
        run_logged([sys.executable, str(Path(__file__)), "--make-checkpoint", str(directory)], logs / "checkpoint.log")
        (cache / "checkpoint-tiny.json").write_text(json.dumps(stamp))
    return directory


def ensure_so(cache: Path, checkpoint: Path, tokenizers: dict, debertac: Path, logs: Path, recompile: bool) -> dict:
    if not debertac.exists():
        raise RuntimeError(f"no debertac binary at {debertac}: build it with "
                           "'swift build -c release --scratch-path .build-bench --product debertac' (bench/run.sh does)")
    compiler = sha256(debertac)
    out = {}
    for vocab, tok in tokenizers.items():
        so = cache / f"model-{vocab}.so"
        stamp = {"debertac": compiler, "spm": tok["spm_sha256"], "config": TINY_CONFIG}
        stamp_path = cache / f"model-{vocab}.json"
        if recompile or not so.exists() or not stamp_matches(stamp_path, stamp):
            log(f"{vocab}: debertac compile --tokenizer {tok['dir'].name}")
            seconds = run_logged([str(debertac), "compile", str(checkpoint), "--tokenizer", str(tok["dir"]), "-o", str(so),
                                  "--quiet"], logs / f"compile-{vocab}.log")
            stamp_path.write_text(json.dumps({**stamp, "compile_s": seconds}))
        out[vocab] = so
    return out


def build_host(cache: Path, logs: Path) -> Path:
    host = cache / "tokenization_host"
    compiler = os.environ.get("CC", "cc")
    run_logged([compiler, "-O2", "-std=gnu11", "-I", str(REPO / "include"), str(HERE / "tokenization_host.c"),
                "-o", str(host), "-ldl"], logs / "host-build.log")
    return host


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(package)
    except PackageNotFoundError:
        return "missing"


# ----------------------------------------------------------------------------------------------------
# Child-process entry points: training, conversion, checkpoint, and the Python engine workers

def train_spm(folder: Path, pieces: int) -> None:
    import io

    import sentencepiece as spm

    import tokenization_texts
    start = time.time()
    lines = list(tokenization_texts.training_lines())
    corpus_mb = sum(len(line.encode()) for line in lines) / 1e6
    print(f"{len(lines):,} lines, {corpus_mb:.1f} MB in {time.time() - start:.0f} s", flush=True)
    writer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=writer, model_type="unigram", vocab_size=pieces,
        normalization_rule_name="nmt_nfkc", num_threads=len(os.sched_getaffinity(0)), pad_id=0, pad_piece="[PAD]",
        bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]", unk_id=3, unk_piece="[UNK]", minloglevel=1,
        input_sentence_size=2_000_000, shuffle_input_sentence=True, max_sentence_length=8192)
    (folder / "spm.model").write_bytes(writer.getvalue())
    (folder / "corpus.json").write_text(json.dumps({"corpus_lines": len(lines), "corpus_mb": corpus_mb}))
    print(f"trained {pieces} pieces in {time.time() - start:.0f} s", flush=True)


def convert(folder: Path, out: Path) -> None:
    import tempfile

    from transformers import DebertaV2TokenizerFast
    fast = DebertaV2TokenizerFast.from_pretrained(str(folder))
    with tempfile.TemporaryDirectory() as tmp:
        fast.save_pretrained(tmp)
        out.mkdir(parents=True)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            if (Path(tmp) / name).exists():
                shutil.copyfile(Path(tmp) / name, out / name)


def make_checkpoint(directory: Path) -> None:
    import torch
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification

    from shapes import SHAPES
    torch.manual_seed(0)
    config = {**SHAPES["base"].config, **TINY_CONFIG}
    model = DebertaV2ForSequenceClassification(DebertaV2Config(**config)).eval()
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tmp.rename(directory)


class PythonEngine:
    """One Python engine in a worker process: runs a variant over a corpus and reports the time."""

    def __init__(self, engine: str, tok_dir: Path, fast_dir: Path, texts_path: Path):
        self.engine = engine
        texts = json.loads(Path(texts_path).read_text())
        self.corpora = {c: texts[c] for c in CORPORA}
        if engine == "sentencepiece":
            import sentencepiece as spm
            self.sp = spm.SentencePieceProcessor(model_file=str(tok_dir / "spm.model"))
            config = json.loads((tok_dir / "tokenizer_config.json").read_text())
            self.cls, self.sep = (self.sp.piece_to_id(config[k]) for k in ("cls_token", "sep_token"))
        elif engine == "tokenizers":
            from tokenizers import Tokenizer
            self.tok = Tokenizer.from_file(str(fast_dir / "tokenizer.json"))
        elif engine == "transformers":
            from transformers import AutoTokenizer
            self.tok = AutoTokenizer.from_pretrained(str(fast_dir))
        else:
            raise ValueError(engine)

    def run(self, corpus: str, variant: str):
        """(wall ns, CPU ns of the process (all its threads), ids of every record with its special tokens);
        both clocks cover the engine's call alone, not the adding of [CLS]/[SEP] for sentencepiece."""
        items = self.corpora[corpus]
        pairs = isinstance(items[0], list)
        if self.engine == "sentencepiece":
            threads = {"batch1": 1, "batch": -1}.get(variant)
            encode = self.sp.encode
            texts = [[p[0] for p in items], [p[1] for p in items]] if pairs else [items]
            clock = Clock()
            if variant == "loop":
                out = [[encode(t) for t in group] for group in texts]
            else:
                out = [encode(group, num_threads=threads) for group in texts]
            ns, cpu = clock.stop()
            cls, sep = [self.cls], [self.sep]
            if pairs:
                return ns, cpu, [cls + x + sep + y + sep for x, y in zip(*out)]
            return ns, cpu, [cls + x + sep for x in out[0]]
        if self.engine == "tokenizers":
            os.environ["TOKENIZERS_PARALLELISM"] = "false" if variant == "batch1" else "true"
            inputs = [tuple(p) for p in items] if pairs else items
            clock = Clock()
            encodings = self.tok.encode_batch(inputs)
            ns, cpu = clock.stop()
            return ns, cpu, [e.ids for e in encodings]
        # transformers __call__: lists of ids, as a user gets them.
        clock = Clock()
        if pairs:
            result = self.tok([p[0] for p in items], [p[1] for p in items])
        else:
            result = self.tok(items)
        ns, cpu = clock.stop()
        return ns, cpu, result["input_ids"]


class Clock:
    """Wall and process CPU time from construction to stop()."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter_ns(), time.process_time_ns()

    def stop(self):
        return time.perf_counter_ns() - self.wall, time.process_time_ns() - self.cpu


def worker(engine: str, tok_dir: str, fast_dir: str, texts_path: str) -> None:
    """Answers JSON lines on stdin as bench/processes.py's Worker expects."""
    try:
        e = PythonEngine(engine, Path(tok_dir), Path(fast_dir), Path(texts_path))
    except Exception as error:  # reported on the first call
        e, failure = None, f"{type(error).__name__}: {error}"
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "quit":
            print(json.dumps({"ok": True}), flush=True)
            return
        if e is None:
            print(json.dumps({"ok": False, "error": failure}), flush=True)
            continue
        corpus = CORPORA[request["corpus"]]
        try:
            ns, cpu, ids = e.run(corpus, request.get("variant", "batch"))
        except Exception as error:
            print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)
            continue
        if request["cmd"] == "dump":
            Path(request["path"]).write_text(json.dumps(ids))
        print(json.dumps({"ok": True, "ns": ns, "cpu_ns": cpu, "tokens": sum(len(x) for x in ids), "calls": len(ids)}),
              flush=True)


# ----------------------------------------------------------------------------------------------------
# The run

def read_host_dump(path: Path):
    data = path.read_bytes()
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from("<i", data, i)
        out.append(list(struct.unpack_from(f"<{n}i", data, i + 4)))
        i += 4 + 4 * n
    return out


def base_forward_ms(cache_root: Path):
    """debertac's median at base 1x128 and where it comes from: the latest bench/cache/results-*.json,
    else the table in docs/benchmarks.md (said so), else None."""
    results = sorted(cache_root.glob("results-*.json"))
    for path in reversed(results):
        try:
            r = json.loads(path.read_text())
            times = r["shapes"]["base"]["engines"]["debertac"]["times"]["1x128"]
            return statistics.median(times) * 1e3, f"bench/cache/{path.name} ({r.get('date', '?')})"
        except (OSError, ValueError, KeyError, TypeError, statistics.StatisticsError):
            continue
    docs = REPO / "docs" / "benchmarks.md"
    try:
        lines = docs.read_text().splitlines()
        for line in lines:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[:3] == ["base", "1x128", "debertac"]:
                measured = next((l for l in lines if l.startswith("Measured ")), "Measured earlier with").split(" with ")[0]
                cpu = next((l[len("- CPU: "):].split(" (")[0] for l in lines if l.startswith("- CPU: ")), "another CPU")
                return float(cells[3].strip("*").replace(",", "")), \
                    f"no bench/cache/results-*.json here, so the table above: {measured[0].lower()}{measured[1:]} on {cpu}"
    except (OSError, ValueError, IndexError):
        pass
    return None, "no base-model result: no bench/cache/results-*.json and no table in docs/benchmarks.md"


def measure(args, vocab: str, tok: dict, so, host: Path, texts_path: Path, corpus_files: dict, logs: Path) -> dict:
    from processes import CpuMonitor, EngineFailure, Worker
    units = [u for u in UNITS if u[0] != "debertac" or so is not None]
    workers, failures = {}, {}
    env = {**os.environ}
    env.pop("TOKENIZERS_PARALLELISM", None)
    for engine in dict.fromkeys(u[0] for u in units):
        if engine == "debertac":
            argv = [str(host), str(so)] + [str(corpus_files[c]) for c in CORPORA]
        else:
            argv = [sys.executable, str(Path(__file__)), "--worker", engine, str(tok["dir"]), str(tok["fast"]),
                    str(texts_path)]
        workers[engine] = Worker(engine, argv, env, logs / f"{vocab}-{engine}.log", args.timeout)

    # Correctness first: every engine's ids on every corpus (also the first, untimed pass).
    dumps = logs.parent / "dumps"
    dumps.mkdir(exist_ok=True)
    ids = {}
    for engine, variant in [("debertac", "loop"), ("sentencepiece", "batch"), ("tokenizers", "batch")]:
        if engine not in workers:
            continue
        for i, corpus in enumerate(CORPORA):
            path = dumps / f"{vocab}-{engine}-{corpus}.{'bin' if engine == 'debertac' else 'json'}"
            try:
                workers[engine].call(cmd="dump", corpus=i, variant=variant, path=str(path))
            except EngineFailure as error:
                failures[engine] = str(error)
                break
            ids[engine, corpus] = read_host_dump(path) if engine == "debertac" else json.loads(path.read_text())
    agreement = {}
    for corpus in CORPORA:
        reference = ids.get(("sentencepiece", corpus))
        if reference is None:
            continue
        row = {"records": len(reference), "reference_tokens": sum(len(x) for x in reference)}
        for engine in ("debertac", "tokenizers"):
            got = ids.get((engine, corpus))
            if got is not None:
                row[engine] = sum(1 for x, y in zip(got, reference) if x == y)
                row[engine + "_tokens"] = sum(len(x) for x in got)
                first = next((k for k, (x, y) in enumerate(zip(got, reference)) if x != y), None)
                if first is not None:
                    row[engine + "_first_difference"] = first
        agreement[corpus] = row
    units = [u for u in units if u[0] not in failures]

    # Timing: rounds of every unit on every corpus, order rotated each round.
    times = {f"{e}/{v}": {c: [] for c in CORPORA} for e, v in units}
    cpu_times = {f"{e}/{v}": {c: [] for c in CORPORA} for e, v in units}
    tokens = {f"{e}/{v}": {} for e, v in units}
    monitor = CpuMonitor()
    rounds = args.warmup + args.rounds
    for r in range(rounds):
        order = units[r % len(units):] + units[:r % len(units)]

        def one_round():
            for i, corpus in enumerate(CORPORA):
                for engine, variant in order:
                    if engine in failures:
                        continue
                    try:
                        reply = workers[engine].call(cmd="run", corpus=i, variant=variant)
                    except EngineFailure as error:
                        failures[engine] = str(error)
                        continue
                    if r >= args.warmup:
                        times[f"{engine}/{variant}"][corpus].append(reply["ns"] / 1e9)
                        cpu_times[f"{engine}/{variant}"][corpus].append(reply["cpu_ns"] / 1e9)
                    tokens[f"{engine}/{variant}"][corpus] = reply["tokens"]
                    time.sleep(args.gap_ms / 1e3)

        monitor.measure(list(workers.values()), one_round)
        log(f"{vocab}: round {r + 1}/{rounds}" + (" (warm-up)" if r < args.warmup else ""))
    for w in workers.values():
        w.close()
    return {"times": times, "cpu_times": cpu_times, "tokens": tokens, "agreement": agreement, "failures": failures, "cpu": monitor.summary(),
            "pieces": tok["pieces"], "source": tok["source"]}


# ----------------------------------------------------------------------------------------------------
# Report

def table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def tables(results) -> str:
    out = []
    sizes = results["corpus_bytes"]
    records = results["corpus_records"]
    rows, ratio_rows, model_rows, agree_rows, notes = [], [], [], [], []
    peers = [u for u in UNITS if u[0] != "debertac"]
    for vocab, r in results["vocabs"].items():
        for corpus in CORPORA:
            reference = r["agreement"].get(corpus, {}).get("reference_tokens")
            base = r["times"].get("debertac/loop", {}).get(corpus)
            base = statistics.median(base) if base else None
            base_cpu = r["cpu_times"].get("debertac/loop", {}).get(corpus)
            base_cpu = statistics.median(base_cpu) if base_cpu else None
            ratio_row = [vocab, CORPUS_NAMES[corpus]]
            for engine, variant in UNITS:
                key = f"{engine}/{variant}"
                name, threads = UNIT_NAMES[engine, variant]
                ts = r["times"].get(key, {}).get(corpus)
                if not ts:
                    rows.append([vocab, CORPUS_NAMES[corpus], name, threads, "failed", "", "", "", "", "", "", ""])
                    if (engine, variant) in peers:
                        ratio_row.append("n/a")
                    continue
                median = statistics.median(ts)
                cpu = statistics.median(r["cpu_times"][key][corpus])
                q = statistics.quantiles(ts, n=4, method="inclusive") if len(ts) > 1 else [ts[0], ts[0], ts[0]]
                count = reference or r["tokens"][key][corpus]
                rows.append([vocab, CORPUS_NAMES[corpus], name, threads, f"**{median * 1e3:,.1f}**",
                             f"{q[0] * 1e3:,.1f}–{q[2] * 1e3:,.1f}", f"{cpu * 1e3:,.1f}",
                             f"{median / records[corpus] * 1e6:,.1f}", f"{count / median / 1e6:.2f}",
                             f"{sizes[corpus] / median / 1e6:.2f}", f"{median / base:.2f}" if base else "n/a",
                             f"{cpu / base_cpu:.2f}" if base_cpu and threads == "1" else "—"])
                if (engine, variant) in peers:
                    ratio_row.append((f"{median / base:.2f}×" if base else "n/a") +
                                     (f" / {cpu / base_cpu:.2f}×" if base_cpu and threads == "1" else ""))
            ratio_rows.append(ratio_row)
        # A 128-token pair next to one forward pass of the base model.
        ts = r["times"].get("debertac/loop", {}).get("pairs")
        sp = r["times"].get("sentencepiece/batch1", {}).get("pairs")
        if ts and r["agreement"].get("pairs"):
            per_token = statistics.median(ts) / r["agreement"]["pairs"]["reference_tokens"]
            per_pair_us = 128 * per_token * 1e6
            per_pair_cpu_us = 128 * statistics.median(r["cpu_times"]["debertac/loop"]["pairs"]) / \
                r["agreement"]["pairs"]["reference_tokens"] * 1e6
            sp_us = 128 * statistics.median(sp) / r["agreement"]["pairs"]["reference_tokens"] * 1e6 if sp else None
            forward_ms, source = results["base_forward"]
            model_rows.append([vocab, f"{per_pair_us:,.1f} µs (CPU {per_pair_cpu_us:,.1f} µs)",
                               f"{sp_us:,.1f} µs" if sp_us else "n/a",
                               f"{forward_ms:,.1f} ms" if forward_ms else "n/a",
                               f"{per_pair_us / 1e3 / forward_ms * 100:.3f} %" if forward_ms else "n/a"])
        for corpus in CORPORA:
            a = r["agreement"].get(corpus)
            if not a:
                continue
            agree_rows.append([vocab, CORPUS_NAMES[corpus], f"{a['records']:,}", f"{a['reference_tokens']:,}",
                               f"{a['debertac']:,} / {a['records']:,}" if "debertac" in a else "n/a",
                               f"{a['tokenizers']:,} / {a['records']:,}" if "tokenizers" in a else "n/a"])
        cpu = r["cpu"]
        notes.append(f"- {vocab} ({r['pieces']:,} pieces, {r['source']}): {results['warmup']} warm-up + "
                     f"{results['rounds']} timed rounds. While timing, other processes used "
                     f"{cpu['foreign_cores']:.2f} cores on average (steal {cpu['steal_cores']:.2f})" +
                     (" — **the machine was busy: these numbers are noisy**."
                      if cpu["foreign_cores"] + cpu["steal_cores"] > 0.1 else "."))
        for engine, error in r["failures"].items():
            notes.append(f"- {vocab}: **{engine} failed**: {error}".replace("\n", " "))
    # One sentence per vocabulary: debertac's speed and its CPU-time ratios to the one-thread peers.
    summary = []
    for vocab, r in results["vocabs"].items():
        def cpu_median(key, corpus):
            ts = r["cpu_times"].get(key, {}).get(corpus)
            return statistics.median(ts) if ts else None
        mbs = [sizes[c] / statistics.median(r["times"]["debertac/loop"][c]) / 1e6 for c in CORPORA
               if r["times"].get("debertac/loop", {}).get(c)]
        ratios = {}
        for peer in ("sentencepiece/batch1", "tokenizers/batch1"):
            values = [cpu_median("debertac/loop", c) / cpu_median(peer, c) for c in CORPORA
                      if cpu_median("debertac/loop", c) and cpu_median(peer, c)]
            ratios[peer] = (min(values), max(values)) if values else None
        if mbs and all(ratios.values()):
            sp, tk = ratios["sentencepiece/batch1"], ratios["tokenizers/batch1"]
            pair = {row[0]: row for row in model_rows}.get(vocab)
            summary.append(f"{vocab}: debertac_tokenize runs at {min(mbs):.1f}–{max(mbs):.1f} MB/s on one thread, "
                           f"takes {sp[0]:.1f}–{sp[1]:.1f}× the CPU time of sentencepiece's `encode(list)` and "
                           f"{tk[0]:.2f}–{tk[1]:.2f}× that of the tokenizers library's `encode_batch` (both on one "
                           "thread)" + (f"; a 128-token pair takes {pair[1]}, {pair[4]} of a base forward pass"
                                        if pair else "") + ".")
    m = results["machine"]
    out += (["Summary (the tables below):", ""] + [f"- {line}" for line in summary] + [""] if summary else [])
    out += [f"Machine: {m['cpu']}, {m['usable_cpus']} cores, {m['os']}; Python {m['python']}, "
            f"{', '.join(f'{k} {v}' for k, v in results['versions'].items())}; debertac {m['debertac']} "
            f"at commit {m['commit']}. Load average {m['loadavg']} at the start, {m['loadavg_end']} at the end.", "",
            "Texts: " + "; ".join(f"{CORPUS_NAMES[c]}: {records[c]:,} {'pairs' if c == 'pairs' else 'texts'}, "
                                  f"{sizes[c] / 1e6:.2f} MB" for c in CORPORA) +
            f" ({results['sources']['english']}; {results['sources']['multilingual']}).", "",
            "#### Throughput", "",
            "One pass = every text (or pair) of a corpus tokenized once; median wall time over the timed rounds. "
            "CPU ms = the median CPU time of the engine's process over the pass (all its threads), which waiting "
            "for a core on a busy host does not inflate. Mtok/s = the reference's token count (sentencepiece with "
            "[CLS]/[SEP], the same for every engine) / median; MB/s = UTF-8 bytes of the texts / median; µs/text = "
            "median / texts (pairs) in the corpus. ÷ debertac: the median relative to debertac's (above 1: slower "
            "than debertac); CPU ÷ debertac: the same on CPU time, for the one-thread engines.", "",
            table(["vocab", "texts", "engine", "threads", "median ms", "IQR ms", "CPU ms", "µs/text", "Mtok/s", "MB/s",
                   "÷ debertac", "CPU ÷ debertac"], rows), "",
            "#### Relative to debertac", "",
            "Peer median / debertac median on the same corpus (above 1: debertac is faster; debertac runs on one "
            "thread); for the one-thread peers, wall time / CPU time. On a busy host the CPU-time ratio is the "
            "steadier one: a pass that takes longer than a scheduler time slice waits for a core more often than a "
            "short one, so wall time penalises the slower engine beyond its own cost.", "",
            table(["vocab", "texts"] + [f"{UNIT_NAMES[u][0]} ({UNIT_NAMES[u][1]})" for u in peers], ratio_rows), "",
            "#### Next to the model", "",
            "Time to tokenize a 128-token pair (128 × the per-token time on the NLI pairs, call overhead included) "
            f"next to debertac's median forward pass of the base model at 1 × 128 ({results['base_forward'][1]}).", "",
            table(["vocab", "debertac_tokenize, 128-token pair", "sentencepiece encode(list), 1 thread",
                   "base forward pass, 1 × 128", "tokenization / forward"], model_rows), "",
            "#### Agreement", "",
            "Texts whose ids equal the reference: sentencepiece's `encode` with [CLS] … [SEP] (… [SEP]) around it. "
            "The tokenizers library's conversion is known to differ on some texts (docs/tokenizer.md, \"Known "
            "disagreements\"); it is shown for information.", "",
            table(["vocab", "texts", "texts (pairs)", "reference tokens", "debertac = reference",
                   "tokenizers = reference"], agree_rows), "",
            "#### Notes", ""] + notes + [""]
    return "\n".join(out)


METHOD = """## Tokenization

Written by `bench/tokenization.py` (the last step of `bench/run.sh`; on its own:
`python3 bench/tokenization.py --write-docs`, about 3.5 minutes on 2 cores, plus about 4 the first time to
train the large model; texts, models and .so files are cached in `bench/cache/tokenization/`).
Issue 12: tokenizing must be negligible next to the model.

debertac's tokenizer (`debertac_tokenize` in a compiled .so, the C encoder of docs/tokenizer.md) against
the `sentencepiece` package (the reference implementation, C++) and the `tokenizers` library (Rust) on the
same texts, in the same run. Two DeBERTa-v3-style tokenizers (nmt_nfkc, [PAD] [CLS] [SEP] [UNK] = 0–3,
[MASK] after the last piece, no lowercasing, no punctuation split): `Tests/Fixtures/tokenizers/v3-nfkc-16k`
(16,000 pieces) and a model of the real deberta-v3 vocabulary size trained with sentencepiece on text of
this machine that the benchmark texts do not come from
({large}).
Each is compiled into a tiny random DeBERTa-v2 checkpoint (1 layer, hidden 32; the model is not run) with
the release `debertac compile --tokenizer`, and converted to tokenizer.json by transformers'
`DebertaV2TokenizerFast` for the tokenizers library.

Engines, each in its own process: **debertac**: a C program (`bench/tokenization_host.c`, built with cc)
that dlopens the .so and calls `debertac_tokenize` on every text or pair in a loop, into one preallocated
buffer, no truncation (every call allocates its own scratch, as the ABI documents); **sentencepiece**:
`SentencePieceProcessor.encode(list)` (its C++ batch call; pairs: the premises, then the hypotheses) with
`num_threads=1` and with its default (all cores), and a per-text Python loop of `encode(text)`;
**tokenizers**: `Tokenizer.encode_batch` (pairs as tuples, [CLS]/[SEP] from the file's post-processor) with
`TOKENIZERS_PARALLELISM=false` (1 thread) and with its default pool (all cores); **transformers**: the fast
tokenizer's `__call__` on the whole list (lists of ids, as a user gets them). Every engine tokenizes the
same texts every round, so the tokenizers library's word cache (10,000 words) is warm after the first;
sentencepiece and debertac keep no cache. Before timing, every engine's ids on every text are written out
and compared with sentencepiece's. Then warm-up rounds and timed rounds: in a round every engine tokenizes
each corpus once, engines in an order rotated each round, 20 ms apart. The host is shared: the notes say
how much CPU other processes took while timing.
"""


def document_section(tables_markdown: str, results) -> str:
    large = next((f"{r['pieces']:,} pieces, {r['source']}" for v, r in results["vocabs"].items() if v != "16k"),
                 "not measured in this run")
    import report
    return "\n".join([report.TOKENIZATION_BEGIN, METHOD.format(large=large),
                      "### Results", "",
                      f"Measured {results['date']} with `{results['command']}` in {results['elapsed_s'] / 60:.1f} "
                      "minutes.", "", tables_markdown.rstrip(), report.TOKENIZATION_END, ""])


def write_docs(path: Path, section: str) -> None:
    """Replaces the tokenization section of docs/benchmarks.md (between its markers), or appends it."""
    import report
    path.write_text(report.with_tokenization_section(path.read_text() if path.exists() else "", section))


# ----------------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fifth of the texts, 1 warm-up + 2 timed rounds (smoke run)")
    parser.add_argument("--vocabs", default="16k,128k", help="comma-separated: 16k (the fixture), 128k (trained here)")
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds (default 11)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up rounds (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the size of the texts")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause between two timed passes")
    parser.add_argument("--debertac", type=Path, default=REPO / ".build-bench" / "release" / "debertac")
    parser.add_argument("--debertac-unavailable", metavar="REASON", help="measure the peers only (run.sh: the build failed)")
    parser.add_argument("--recompile", action="store_true", help="compile the .so files even when cached ones match")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--write-docs", action="store_true", help="write the tokenization section of docs/benchmarks.md")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--install-only", action="store_true", help="install missing Python packages and exit")
    parser.add_argument("--prepare-only", action="store_true", help="make texts, tokenizers and .so files, then exit")
    # Child processes.
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "SPM_DIR", "FAST_DIR", "TEXTS"), help=argparse.SUPPRESS)
    parser.add_argument("--train-spm", nargs=2, metavar=("DIR", "PIECES"), help=argparse.SUPPRESS)
    parser.add_argument("--convert", nargs=2, metavar=("SPM_DIR", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--make-checkpoint", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.rounds, args.warmup = min(args.scale, 0.2), min(args.rounds, 2), 1
    args.vocabs = [v.strip() for v in args.vocabs.split(",") if v.strip()]
    for v in args.vocabs:
        if v not in ("16k", "128k"):
            parser.error(f"unknown vocabulary '{v}'; expected 16k or 128k")
    if args.write_docs and args.quick and args.docs == REPO / "docs" / "benchmarks.md":
        parser.error("--quick results are not benchmarks: give --docs OTHER.md to write them somewhere else")
    return args


def main(argv) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if args.train_spm:
        train_spm(Path(args.train_spm[0]), int(args.train_spm[1]))
        return 0
    if args.convert:
        convert(Path(args.convert[0]), Path(args.convert[1]))
        return 0
    if args.make_checkpoint:
        make_checkpoint(Path(args.make_checkpoint))
        return 0

    from artifacts import ensure_python_packages
    ensure_python_packages(PACKAGES)
    if args.install_only:
        return 0
    import report
    started = time.time()
    command = shlex.join(["python3", "bench/tokenization.py"] + argv)
    if os.environ.get("BENCH_COMMAND"):
        command = f"{os.environ['BENCH_COMMAND']}` (its step `{command}"
    cache = args.cache / "tokenization"
    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    machine = report.machine(1, args.debertac)
    log(f"{machine['cpu']}; vocabularies {', '.join(args.vocabs)}; load average {machine['loadavg']}")

    texts_path, texts, corpus_files = ensure_texts(cache, args.scale)
    tokenizers = ensure_tokenizers(cache, args.vocabs, logs)
    unavailable = args.debertac_unavailable
    sos = {v: None for v in args.vocabs}
    host = None
    if not unavailable:
        try:
            sos = ensure_so(cache, ensure_checkpoint(cache, logs), tokenizers, args.debertac, logs, args.recompile)
            host = build_host(cache, logs)
        except RuntimeError as error:
            unavailable = str(error)
            log(f"debertac unavailable: {error}")
    if args.prepare_only:
        log(f"ready in {cache} after {(time.time() - started) / 60:.1f} min")
        return 0

    vocabs = {}
    for vocab in args.vocabs:
        vocabs[vocab] = measure(args, vocab, tokenizers[vocab], sos[vocab], host, texts_path, corpus_files, logs)
        if unavailable:
            vocabs[vocab]["failures"]["debertac"] = unavailable

    def size(item):
        return sum(len(t.encode()) for t in item) if isinstance(item, list) else len(item.encode())

    machine["loadavg_end"] = report.loadavg()
    results = {"machine": machine, "command": command, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
               "versions": {p: _version(p) for p in ("sentencepiece", "tokenizers", "transformers")},
               "corpus_bytes": {c: sum(size(x) for x in texts[c]) for c in CORPORA},
               "corpus_records": {c: len(texts[c]) for c in CORPORA}, "sources": texts["sources"],
               "rounds": args.rounds, "warmup": args.warmup, "base_forward": base_forward_ms(args.cache),
               "vocabs": vocabs, "elapsed_s": time.time() - started}
    json_path = cache / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    json_path.write_text(json.dumps(results, indent=1, default=str))
    markdown = tables(results)
    print(markdown)
    failed = [f"{v} {e}" for v, r in vocabs.items() for e in r["failures"]]
    disagree = [f"{v} {c}" for v, r in vocabs.items() for c, a in r["agreement"].items()
                if a.get("debertac", a["records"]) != a["records"]]
    if args.write_docs:
        if failed:
            log(f"not writing {args.docs}: failed engines: {', '.join(failed)}")
        else:
            write_docs(args.docs, document_section(markdown, results))
            log(f"wrote the tokenization section of {args.docs}")
    if disagree:
        log(f"debertac's ids differ from sentencepiece's on: {', '.join(disagree)} (dumps in {cache / 'dumps'})")
    log(f"done in {(time.time() - started) / 60:.1f} min; raw results in {json_path}")
    return 1 if failed or disagree else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
