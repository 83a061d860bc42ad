#!/usr/bin/env python3
"""Write a random 1.5B-parameter checkpoint shaped exactly like microsoft/deberta-v2-xxlarge-mnli.

    python3 scripts/make_large_checkpoint.py OUTDIR

OUTDIR gets config.json and an fp16 pytorch_model.bin (torch zip, about 3 GB). For the opt-in
heavy tests and benchmarks only; never commit the output.

It stays cheap by never building the real model: the tensor names and shapes come from a
meta-device model (no memory), and the fp16 values are windows of one 16M-entry N(0, 1) pool at
random offsets, scaled per tensor, rather than 1.5 billion fresh normal draws (which take
about 20 s on two cores). Scales mirror make_fixtures.py: weights N(0, 1/fan_in), embeddings
N(0, 1), biases 0.1 N(0, 1), LayerNorm weights 1 + 0.1 N(0, 1), so fp16 activations stay sane.
"""

import json
import sys
import time
from collections import OrderedDict
from pathlib import Path

import torch
from transformers import DebertaV2Config, DebertaV2ForSequenceClassification

MNLI = {"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}

# The Hub config.json of microsoft/deberta-v2-xxlarge-mnli (see /work/shared/DEBERTA.md).
CONFIG = {
    "architectures": ["DebertaV2ForSequenceClassification"],
    "model_type": "deberta-v2",
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 1536,
    "initializer_range": 0.02,
    "intermediate_size": 6144,
    "max_position_embeddings": 512,
    "relative_attention": True,
    "position_buckets": 256,
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "pos_att_type": "p2c|c2p",
    "conv_kernel_size": 3,
    "conv_act": "gelu",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "num_attention_heads": 24,
    "attention_head_size": 64,
    "num_hidden_layers": 48,
    "type_vocab_size": 0,
    "vocab_size": 128100,
    "id2label": MNLI,
    "label2id": {v: int(k) for k, v in MNLI.items()},
}

POOL_SIZE = 1 << 24


def shapes(config: dict) -> dict:
    """Parameter names and shapes of the HF model, from a meta-device instance (no allocation)."""
    with torch.device("meta"):
        model = DebertaV2ForSequenceClassification(DebertaV2Config(**config))
    return {name: t.shape for name, t in model.state_dict().items()}


def scale_and_mean(name: str, shape) -> tuple:
    if "LayerNorm" in name:
        return (0.1, 1.0) if name.endswith("weight") else (0.1, 0.0)
    if name.endswith("bias"):
        return 0.1, 0.0
    if name.endswith("_embeddings.weight"):  # word_embeddings, rel_embeddings
        return 1.0, 0.0
    fan_in = shape[1:].numel()  # Linear [out, in]; Conv1d [out, in / groups, kernel]
    return fan_in ** -0.5, 0.0


def fill(shape, scale: float, mean: float, pool: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """An fp16 tensor copied out of the pool from a random offset (wrapping), times scale, plus mean."""
    out = torch.empty(shape, dtype=torch.float16)
    flat, done = out.view(-1), 0
    offset = int(torch.randint(0, POOL_SIZE, (1,), generator=gen))
    while done < flat.numel():
        n = min(flat.numel() - done, POOL_SIZE - offset)
        torch.mul(pool[offset:offset + n], scale, out=flat[done:done + n])
        done, offset = done + n, 0
    if mean:
        out += mean
    return out


def main(argv) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    outdir = Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    gen = torch.Generator().manual_seed(0)
    pool = torch.randn(POOL_SIZE, generator=gen).half()
    # An OrderedDict like model.state_dict(), which is what the real checkpoint pickles.
    state_dict = OrderedDict((name, fill(shape, *scale_and_mean(name, shape), pool, gen))
                             for name, shape in shapes(CONFIG).items())
    params = sum(t.numel() for t in state_dict.values())
    filled = time.time()
    (outdir / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    torch.save(state_dict, outdir / "pytorch_model.bin")
    done = time.time()
    size = (outdir / "pytorch_model.bin").stat().st_size
    print(f"{params:,} parameters, {size:,} bytes ({size / 2**30:.2f} GiB) in {outdir}")
    print(f"fill {filled - start:.1f} s, save {done - filled:.1f} s, total {done - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
