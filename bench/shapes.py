"""The model shapes the benchmark measures, the inputs it feeds them, and the FLOP count of a forward pass.

Everything here is plain data and arithmetic (no torch), so the orchestrator and every engine worker can
import it cheaply.
"""

import math
from dataclasses import dataclass

MNLI = {"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}

# Settings shared by deberta-v3-base and deberta-v2-xxlarge-mnli (see /work/shared/DEBERTA.md).
_COMMON = {
    "architectures": ["DebertaV2ForSequenceClassification"],
    "model_type": "deberta-v2",
    "attention_probs_dropout_prob": 0.1,
    "hidden_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "initializer_range": 0.02,
    "max_position_embeddings": 512,
    "relative_attention": True,
    "position_buckets": 256,
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "pos_att_type": "p2c|c2p",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "type_vocab_size": 0,
    "vocab_size": 128100,
    "pad_token_id": 0,
    "id2label": MNLI,
    "label2id": {v: int(k) for k, v in MNLI.items()},
}


# microsoft/deberta-large-mnli (DeBERTa v1, model_type "deberta"; see /work/shared/DEBERTA.md): fused
# in_proj with q/v biases, pos_proj / pos_q_proj, raw relative embeddings over 2 · 512 positions, no buckets.
_V1_LARGE = {
    "architectures": ["DebertaForSequenceClassification"],
    "model_type": "deberta",
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 1024,
    "initializer_range": 0.02,
    "intermediate_size": 4096,
    "max_position_embeddings": 512,
    "relative_attention": True,
    "pos_att_type": "c2p|p2c",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "num_attention_heads": 16,
    "num_hidden_layers": 24,
    "type_vocab_size": 0,
    "vocab_size": 50265,
    "pad_token_id": 0,
    "id2label": MNLI,
    "label2id": {v: int(k) for k, v in MNLI.items()},
}


def is_v1(config: dict) -> bool:
    """DeBERTa v1 (model_type "deberta", DebertaForSequenceClassification) rather than v2/v3."""
    return config.get("model_type") == "deberta"


@dataclass(frozen=True)
class Case:
    """One input shape: `batch` sequences of `length` tokens. `padded` rows end early (mask 0 after)."""
    name: str
    batch: int
    length: int
    timed: bool = True        # False: only checked against PyTorch, never timed
    padded: bool = False


@dataclass(frozen=True)
class Shape:
    """A model shape: its config.json, the checkpoint dtype it is saved in, and the inputs measured on it."""
    name: str
    config: dict
    dtype: str                 # "float32" or "float16": how the checkpoint is stored on disk
    cases: tuple
    note: str = ""

    @property
    def hidden(self) -> int:
        return self.config["hidden_size"]

    def parameters(self) -> int:
        """Parameter count of DebertaV2ForSequenceClassification (DebertaForSequenceClassification for a
        v1 config) with this config (no position_ids buffer)."""
        c = self.config
        h, f, n, v = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
        span = 2 * attention_span(c)
        if is_v1(c):
            terms = [p.strip() for p in str(c.get("pos_att_type", "")).split("|")] if c.get("relative_attention") else []
            # in_proj + q/v biases, pos_proj (c2p), pos_q_proj (p2c), output dense, its LN, FFN, its LN
            layer = 3 * h * h + 2 * h + ("c2p" in terms) * h * h + ("p2c" in terms) * (h * h + h) \
                + (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h
            embeddings = v * h + 2 * h + (span * h if c.get("relative_attention") else 0) \
                + (c["max_position_embeddings"] * h if c.get("position_biased_input", True) else 0)
            labels = len(c["id2label"])
            return embeddings + n * layer + h * h + h + h * labels + labels
        layer = 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h   # attention, its LN, FFN, its LN
        conv = c.get("conv_kernel_size", 0) * h * h + h + 2 * h if c.get("conv_kernel_size", 0) else 0
        embeddings = v * h + 2 * h + span * h + 2 * h                        # words + LN; rel_embeddings + LN
        labels = len(c["id2label"])
        head = h * h + h + h * labels + labels
        return embeddings + n * layer + conv + head

    def weight_bytes_fp32(self) -> int:
        return 4 * self.parameters()


def _shape(name, dtype, cases, note="", base=None, **overrides) -> Shape:
    return Shape(name, {**(_COMMON if base is None else base), **overrides}, dtype, tuple(cases), note)


_BASE_CASES = (Case("1x128", 1, 128), Case("8x128", 8, 128), Case("1x512", 1, 512),
               Case("8x128 padded", 8, 128, timed=False, padded=True))
_XXL_CASES = (Case("1x128", 1, 128), Case("2x64 padded", 2, 64, timed=False, padded=True))

SHAPES = {
    # microsoft/deberta-v3-base fine-tuned for NLI: fine-tunes on the Hub ship fp32 safetensors.
    "base": _shape("base", "float32", _BASE_CASES,
                   "deberta-v3-base (hidden 768, 12 layers, 12 heads, FFN 3072); fp32 safetensors",
                   hidden_size=768, num_hidden_layers=12, num_attention_heads=12, attention_head_size=64,
                   intermediate_size=3072),
    # microsoft/deberta-v2-xxlarge-mnli ships fp16 weights (pytorch_model.bin); we save fp16 safetensors.
    "xxlarge": _shape("xxlarge", "float16", _XXL_CASES,
                      "deberta-v2-xxlarge-mnli (hidden 1536, 48 layers, 24 heads, FFN 6144, conv 3 gelu); "
                      "fp16 safetensors, computed in fp32 by every engine",
                      hidden_size=1536, num_hidden_layers=48, num_attention_heads=24, attention_head_size=64,
                      intermediate_size=6144, conv_kernel_size=3, conv_act="gelu"),
    # microsoft/deberta-large-mnli (DeBERTa v1) ships fp16 weights (pytorch_model.bin); we save fp16 safetensors.
    "v1-large": _shape("v1-large", "float16", _XXL_CASES,
                       "deberta-large-mnli, DeBERTa v1 (hidden 1024, 24 layers, 16 heads, FFN 4096, vocab 50265, "
                       "no buckets); fp16 safetensors, computed in fp32 by every engine", base=_V1_LARGE),
    # --quick: toy widths with the same structure and the same input shapes (bucketing is exercised at 512).
    "base-quick": _shape("base-quick", "float32", _BASE_CASES, "toy base: hidden 64, 2 layers, 4 heads, FFN 256",
                         hidden_size=64, num_hidden_layers=2, num_attention_heads=4, attention_head_size=16,
                         intermediate_size=256, vocab_size=1000),
    "xxlarge-quick": _shape("xxlarge-quick", "float16", _XXL_CASES,
                            "toy xxlarge: hidden 96, 3 layers, 6 heads, FFN 384, conv 3 gelu, fp16",
                            hidden_size=96, num_hidden_layers=3, num_attention_heads=6, attention_head_size=16,
                            intermediate_size=384, vocab_size=1000, conv_kernel_size=3, conv_act="gelu"),
}


def attention_span(config: dict) -> int:
    """att_span of modeling_deberta_v2: position_buckets when positive, else max_relative_positions."""
    if config.get("position_buckets", -1) > 0:
        return config["position_buckets"]
    mrp = config.get("max_relative_positions", -1)
    return mrp if mrp >= 1 else config["max_position_embeddings"]


def bucket(r: int, config: dict) -> int:
    """make_log_bucket_position of modeling_deberta_v2 for one relative position r (float32 in HF; the
    values used here are far from rounding edges)."""
    buckets = config.get("position_buckets", -1)
    maxpos = config.get("max_relative_positions", -1)
    if maxpos < 1:
        maxpos = config["max_position_embeddings"]
    if buckets <= 0:
        return r
    mid = buckets // 2
    if abs(r) <= mid:
        return r
    log_pos = math.ceil(math.log(abs(r) / mid) / math.log((maxpos - 1) / mid) * (mid - 1)) + mid
    return int(math.copysign(log_pos, r))


def reachable_positions(config: dict, length: int) -> int:
    """W: how many rows of the relative-embedding table a sequence of `length` tokens can index.
    idx(i, j) = clamp(bucket(i - j) + span, 0, 2 span - 1), and bucket is odd and monotonic, so the
    reachable rows are the 2 * bucket(length - 1) + 1 around the centre (clamped to the table)."""
    span = attention_span(config)
    return min(2 * min(bucket(length - 1, config), span) + 1, 2 * span)


def forward_flops(config: dict, batch: int, length: int) -> dict:
    """FLOPs (2 per multiply-add) of one forward pass, by term. Only contractions are counted; the
    elementwise work (softmax, LayerNorm, GELU, gathers) is below 1 % and is left out. Work that depends
    on weights alone (the position projections key_proj(R), query_proj(R)) is not counted: every engine
    but PyTorch eager folds it ahead of time. See docs/benchmarks.md for the derivation."""
    b, t = batch, length
    h, f, n = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    labels = len(config["id2label"])
    terms_per_pos = len([p for p in str(config.get("pos_att_type", "")).replace(",", "|").split("|") if p.strip()])
    w = reachable_positions(config, t) if config.get("relative_attention") else 0
    k = config.get("conv_kernel_size", 0)
    per_layer = {
        "qkv + output projections": 8 * b * t * h * h,
        "FFN": 4 * b * t * h * f,
        "scores QK^T + context PV": 4 * b * t * t * h,
        "relative c2p + p2c": 2 * terms_per_pos * b * t * w * h,
    }
    flops = {name: n * v for name, v in per_layer.items()}
    flops["conv layer"] = 2 * b * t * h * h * k if k else 0
    flops["pooler + classifier"] = 2 * b * h * h + 2 * b * h * labels
    flops["total"] = sum(flops.values())
    return flops


def hf_position_projection_flops(config: dict, length: int = 0) -> int:
    """What PyTorch eager spends per forward on key_proj(R) and query_proj(R) (v1: pos_proj and pos_q_proj),
    which depend on weights alone: v2 projects the whole 2·span-row table; v1 the 2·min(T, span) rows around
    its centre, so its count needs the sequence length T."""
    h, n = config["hidden_size"], config["num_hidden_layers"]
    rows = 2 * (min(length, attention_span(config)) if is_v1(config) else attention_span(config))
    return n * 2 * (2 * rows) * h * h


def make_inputs(case: Case, vocab: int, seed: int = 0):
    """Deterministic token ids and mask for a case: [CLS] random ids [SEP] random ids [SEP], int64
    numpy arrays [batch, length]. Padded cases give row b the length T - b * T / (2 B) (row 0 full)."""
    import numpy as np
    rng = np.random.default_rng(seed + 1000 * case.batch + case.length)
    ids = rng.integers(5, min(vocab, 128000), size=(case.batch, case.length), dtype=np.int64)
    mask = np.ones((case.batch, case.length), dtype=np.int64)
    for row in range(case.batch):
        n = case.length - (row * case.length) // (2 * case.batch) if case.padded else case.length
        ids[row, 0] = 1                     # [CLS]
        ids[row, n // 2] = 2                # [SEP] between premise and hypothesis
        ids[row, n - 1] = 2                 # final [SEP]
        ids[row, n:] = 0                    # [PAD]
        mask[row, n:] = 0
    return ids, mask
