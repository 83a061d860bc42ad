#!/usr/bin/env python3
"""Generate the DeBERTa v1 (model_type "deberta") test fixtures and Hugging Face goldens.

    python3 scripts/make_v1_fixtures.py

Writes Tests/Fixtures/models/v1-<variant>/ (config.json, the weights, tensors.json, golden.json),
in the same formats as scripts/make_fixtures.py, whose helpers it reuses (see
Tests/Fixtures/README.md). The oracle is transformers' DebertaForSequenceClassification
(modeling_deberta.py) in eval mode, fp32, built from the config.json written beside it.
Everything is seeded; torch is pinned to one thread.
"""

import sys
from pathlib import Path

import torch
import transformers
from transformers import DebertaConfig, DebertaForSequenceClassification
from transformers.models.deberta.modeling_deberta import (
    DebertaLayerNorm, build_relative_position)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as base  # noqa: E402  (helpers: weights, batches, formats, JSON)

FIXTURES = base.FIXTURES

# microsoft/deberta-large-mnli's config.json at toy width (keys in the Hub file's order).
LARGE_TOY = {
    "architectures": ["DebertaForSequenceClassification"],
    "model_type": "deberta",
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "relative_attention": True,
    "pos_att_type": "c2p|p2c",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "type_vocab_size": 0,
    "vocab_size": 96,
    **base.labels(base.MNLI),
}

# deberta-base's shape of config: v1's defaults (relative_attention false, position_biased_input
# true, no pos_att_type) come from DebertaConfig, not from the file.
V1_DEFAULTS_KEYS = ("relative_attention", "pos_att_type", "max_relative_positions", "position_biased_input")

VARIANTS = {
    "v1-large-toy": LARGE_TOY,
    # c2p alone (pos_proj only), absolute positions and token types on top of relative attention.
    "v1-c2p-only": base.derive(LARGE_TOY, pos_att_type="c2p", position_biased_input=True, type_vocab_size=2),
    # p2c alone as a list; 2 * 4 = 8 rel_embeddings rows, lengths 20 and 24 exceed the span so the
    # clamp matters; a regression head (one label).
    "v1-p2c-clamped": base.derive(LARGE_TOY, pos_att_type=["p2c"], max_relative_positions=4,
                                  **base.labels({"0": "LABEL_0"})),
    # No relative attention keys at all: DebertaConfig's defaults (relative_attention false,
    # position_biased_input true), 2 labels, tanh GELU, tanh pooler.
    "v1-defaults": base.derive(LARGE_TOY, drop=V1_DEFAULTS_KEYS, hidden_act="gelu_new", pooler_hidden_act="tanh",
                               **base.labels({"0": "not_entailment", "1": "entailment"})),
    # embedding_size != hidden_size (embed_proj), and a pos_att_type entry that is neither c2p
    # nor p2c: v1 scales by 1/sqrt(d * (1 + len(pos_att_type))) = 1/sqrt(4d), v2 would use 3d.
    "v1-embed-proj-p2p": base.derive(LARGE_TOY, embedding_size=16, pos_att_type="p2c|c2p|p2p",
                                     max_relative_positions=16, type_vocab_size=2),
    # talking_head: head_logits_proj / head_weights_proj mix the heads around the softmax.
    "v1-talking-head": base.derive(LARGE_TOY, talking_head=True),
    # relative_attention false but pos_att_type set: no position terms, scale still 1/sqrt(3d).
    "v1-no-relative-scaled": base.derive(LARGE_TOY, relative_attention=False, position_biased_input=True,
                                         num_hidden_layers=3),
}

# The v1-large-toy weights in the other checkpoint formats the Hub has for v1 (fp16 .bin, as
# deberta-large-mnli's pytorch_model.bin; legacy pickles; fp16 safetensors).
FORMATS = ["v1-torch-zip-f16", "v1-torch-legacy-f32", "v1-safetensors-f16"]


def build_model(folder: Path, seed: int) -> DebertaForSequenceClassification:
    config = DebertaConfig.from_json_file(str(folder / "config.json"))
    model = DebertaForSequenceClassification(config).eval()
    redraw_weights_(model, torch.Generator().manual_seed(seed))
    return model


def redraw_weights_(model, gen: torch.Generator):
    """make_fixtures.redraw_weights_'s distributions, plus v1's own parameters: q_bias and
    v_bias like biases, DebertaLayerNorm (not an nn.LayerNorm) like a LayerNorm."""
    base.redraw_weights_(model, gen, layer_norms=(DebertaLayerNorm,), own_biases=("q_bias", "v_bias"))


def batches_for(name: str) -> list:
    config = DebertaConfig.from_json_file(str(FIXTURES / "models" / name / "config.json"))
    return base.make_batches(config, torch.Generator().manual_seed(base.seed_of(name) + 1))


def check_v1_index(model, lengths):
    """HF v1 slices rel_embeddings to [P - s, P + s) with s = min(T, P) and indexes the slice
    with clamp(i - j + s, 0, 2s - 1) (c2p) and, transposed, clamp(-(j - i) + s) (p2c). Both are
    the full table's row clamp(P + i - j, 0, 2P - 1): the static index debertac uses."""
    attention = model.deberta.encoder.layer[0].attention.self
    if not attention.relative_attention:
        return
    P = attention.max_relative_positions
    for T in lengths:
        r = build_relative_position(torch.empty(T, 1), torch.empty(T, 1))[0]
        s = min(T, P)
        c2p = torch.clamp(r + s, 0, 2 * s - 1) + (P - s)
        p2c = (torch.clamp(-r + s, 0, 2 * s - 1) + (P - s)).t()  # gathered at [j, i], then transposed
        ours = torch.clamp(P + r, 0, 2 * P - 1)
        assert torch.equal(c2p, ours) and torch.equal(p2c, ours), T


def golden_document(name, model, batches, goldens) -> dict:
    doc = {
        "variant": name,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "batches": [{k: v for k, v in g.items() if not k.startswith("_")} for g in goldens],
    }
    if model.config.relative_attention:
        length = max(b["input_ids"].shape[1] for b in batches)
        doc["relative_position_index"] = build_relative_position(torch.empty(length, 1), torch.empty(length, 1))[0].tolist()
    return doc


def finish(folder: Path, name: str, model, stored: dict, save):
    batches = batches_for(name)
    goldens = base.run_golden(model, batches)
    base.check_golden(name, model, batches, goldens)
    check_v1_index(model, [b["input_ids"].shape[1] for b in batches])
    save(stored)
    base.write_json(folder / "tensors.json", base.manifest(stored))
    base.write_json(folder / "golden.json", golden_document(name, model, batches, goldens))


def model_from_stored(folder: Path, stored: dict) -> DebertaForSequenceClassification:
    config = DebertaConfig.from_json_file(str(folder / "config.json"))
    model = DebertaForSequenceClassification(config).eval()
    model.load_state_dict({k: v.float() for k, v in stored.items() if k != base.POSITION_IDS}, strict=True)
    return model


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    weights = {}
    for name, config in VARIANTS.items():
        folder = base.fresh_dir(FIXTURES / "models" / name)
        base.write_config(folder, config)
        model = build_model(folder, base.seed_of(name))
        weights[name] = base.state_dict_of(model)
        finish(folder, name, model, weights[name], lambda w, f=folder: base.save_safetensors(w, f / "model.safetensors"))

    reference = weights["v1-large-toy"]
    for name in FORMATS:
        folder = base.fresh_dir(FIXTURES / "models" / name)
        base.write_config(folder, LARGE_TOY)
        if name == "v1-torch-zip-f16":
            stored, path = {k: v.half() for k, v in reference.items()}, folder / "pytorch_model.bin"
            base.save_torch(stored, path)
        elif name == "v1-torch-legacy-f32":
            stored, path = dict(reference), folder / "pytorch_model.bin"
            base.save_legacy(stored, path)
        else:
            stored, path = {k: v.half() for k, v in reference.items()}, folder / "model.safetensors"
            base.save_safetensors(stored, path)
        loaded = base.load_safetensors([path]) if path.suffix == ".safetensors" else base.load_torch([path])
        assert base.manifest(loaded) == base.manifest(stored), name
        # Inputs are v1-large-toy's; the golden is computed from the weights as stored here.
        model = model_from_stored(folder, loaded)
        batches = batches_for("v1-large-toy")
        goldens = base.run_golden(model, batches)
        base.check_golden(name, model, batches, goldens)
        base.write_json(folder / "tensors.json", base.manifest(stored))
        base.write_json(folder / "golden.json", golden_document(name, model, batches, goldens))
    for folder in sorted((FIXTURES / "models").glob("v1-*")):
        print(f"  models/{folder.name}: {sum(f.stat().st_size for f in folder.iterdir())} bytes")


if __name__ == "__main__":
    sys.exit(main())
