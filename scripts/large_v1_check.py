#!/usr/bin/env python3
"""The opt-in heavy check of DeBERTa v1 support on a checkpoint shaped exactly like
microsoft/deberta-large-mnli (24 layers, hidden 1024, 16 heads, FFN 4096, vocab 50265, c2p|p2c,
no absolute positions, max_relative_positions -1, 3 MNLI labels), random weights, fp16
pytorch_model.bin (torch zip) as on the Hub:

    python3 scripts/large_v1_check.py WORKDIR [--debertac PATH] [--precisions fp32,bf16,int8] [--keep]

Writes WORKDIR/model (config.json + pytorch_model.bin, about 0.8 GB), runs transformers'
DebertaForSequenceClassification (fp32, from the fp16 weights) on one 128-token pair, then for each
precision compiles the checkpoint with `debertac compile --precision P` under /usr/bin/time -v and
runs the .so on the same input, printing compile time, peak RSS, .so size and the largest
|logit - torch|. Run it under `nice`; it deletes WORKDIR at the end unless --keep. Never commit its output.

Weights as scripts/make_large_checkpoint.py makes them: windows of one N(0, 1) pool, scaled per tensor
(weights N(0, 1/fan_in), embeddings N(0, 1), biases and v1's q_bias / v_bias 0.1 N(0, 1), LayerNorm
weights 1 + 0.1 N(0, 1)).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

import torch
from transformers import DebertaConfig, DebertaForSequenceClassification

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_large_checkpoint import POOL_SIZE, fill, scale_and_mean  # noqa: E402

# The Hub config.json of microsoft/deberta-large-mnli: the benchmark's v1-large shape (one copy).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from shapes import SHAPES  # noqa: E402

CONFIG = SHAPES["v1-large"].config


def make_checkpoint(folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    with torch.device("meta"):
        shapes = {n: t.shape for n, t in DebertaForSequenceClassification(DebertaConfig(**CONFIG)).state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    pool = torch.randn(POOL_SIZE, generator=gen).half()
    state = OrderedDict((n, fill(s, *scale_and_mean(n, s), pool, gen)) for n, s in shapes.items())
    (folder / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    torch.save(state, folder / "pytorch_model.bin")
    return state


def input_pair(length: int = 128):
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(5, CONFIG["vocab_size"], (1, length), generator=gen)
    ids[0, 0], ids[0, length // 2], ids[0, -1] = 1, 2, 2   # [CLS] premise [SEP] hypothesis [SEP]
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--debertac", default=".build/release/debertac")
    parser.add_argument("--precisions", default="fp32,bf16,int8")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = args.workdir
    try:
        start = time.time()
        state = make_checkpoint(work / "model")
        size = (work / "model" / "pytorch_model.bin").stat().st_size
        print(f"checkpoint: {sum(t.numel() for t in state.values()):,} parameters, {size / 2**30:.2f} GiB fp16, "
              f"{time.time() - start:.0f} s", flush=True)
        model = DebertaForSequenceClassification(DebertaConfig(**CONFIG)).eval()
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
        del state
        ids = input_pair()
        with torch.no_grad():
            reference = model(input_ids=ids).logits[0].tolist()
        del model
        print(f"torch fp32 logits: {[round(x, 5) for x in reference]}", flush=True)
        (work / "input.json").write_text(json.dumps({"input_ids": ids.tolist()}))

        for precision in args.precisions.split(","):
            so = work / f"nli-{precision}.so"
            timed = subprocess.run(["/usr/bin/time", "-v", args.debertac, "compile", str(work / "model"), "-o", str(so),
                                    "--precision", precision, "--quiet"], capture_output=True, text=True)
            if timed.returncode != 0:
                print(f"{precision}: compile failed\n{timed.stderr[-2000:]}")
                return 1
            elapsed = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", timed.stderr).group(1)
            rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1))
            run = subprocess.run([args.debertac, "run", str(so), "--input", str(work / "input.json")],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{precision}: run failed\n{run.stderr[-2000:]}")
                return 1
            logits = json.loads(run.stdout)["logits"][0]
            diff = max(abs(a - b) for a, b in zip(logits, reference))
            print(f"{precision}: compile {elapsed}, peak RSS {rss / 2**20:.2f} GiB, .so {so.stat().st_size / 2**30:.2f} GiB, "
                  f"logits {[round(x, 5) for x in logits]}, max |logit - torch| {diff:.2e}", flush=True)
            so.unlink()
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
