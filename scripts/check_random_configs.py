#!/usr/bin/env python3
"""Parity of debertac with Hugging Face transformers on randomly drawn configurations.

    nice -n 19 python3 scripts/check_random_configs.py [--cases 60] [--seed 0] [--family v1|v2|both]
        [--precisions fp32[,bf16,int8]] [--debertac PATH] [--keep DIR] [--only I,J] [--no-so]

Acceptance across the configuration space, not the committed fixtures: every case draws a small
DeBERTa configuration (v2/v3 `DebertaV2ForSequenceClassification` or v1
`DebertaForSequenceClassification`) from everything transformers 5.25 accepts, with random weights
scaled as scripts/make_fixtures.py scales them (its helpers; see Tests/Fixtures/README.md), saves it
in one of the checkpoint formats (rotating: safetensors fp32 / fp16, torch zip fp32 / fp16, legacy
torch pickle fp32 / fp16), and compares on two random padded batches:

  * the Hugging Face oracle: the class built from the saved config.json, in eval mode, fp32, holding
    the weights read back from the saved file (fp16 values widened to fp32, as debertac widens them);
  * `debertac run FOLDER --input in.json` (the reference interpreter), |a - b| <= 1e-4 (1 + |b|);
  * `debertac compile FOLDER -o x.so [--precision P]` + `debertac run x.so --input in.json`,
    |a - b| <= tau (1 + |b|) with tau = 2e-4 (fp32), 2^-5 (bf16), 2^-4 (int8): the rule of
    Tests/DebertacInterpreterTests/GoldenParityTests.swift and Tests/DebertacBackendTests/GoldenParityTests.swift.

A case ends as one of:
  pass      transformers and every debertac path agree within the tolerances;
  refused   transformers runs it, debertac refuses it cleanly (exit status 1, one 'error: ...'
            message, no output file) and the script expected that: an activation debertac does not
            implement (UNSUPPORTED_ACTIVATIONS), or log buckets with max_relative_positions - 1 ==
            position_buckets / 2 (transformers divides by log(1) = 0 and casts inf to an integer);
  rejected  transformers cannot build or run the configuration (e.g. hidden_size not a multiple of
            the heads, pooler_hidden_size != hidden_size, an even conv kernel) and debertac refuses
            it cleanly too;
  FAIL      anything else: logits outside the tolerance, a crash (signal) or time-out, an unclean or
            unexpected refusal, a configuration transformers cannot run accepted, a partial output file.

Each case is seeded from (--seed, its index), so `--only 17` redraws case 17 exactly; `--keep DIR`
keeps every failing case's folder (config.json, weights, inputs, transformers' logits, the commands).
Prints one line per case and a summary; exits 1 on any FAIL. Run it under `nice`; nothing it writes
is meant to be committed (it works in a temporary folder).
"""

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import torch
import transformers
from transformers import (DebertaConfig, DebertaForSequenceClassification, DebertaV2Config,
                          DebertaV2ForSequenceClassification)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as base  # noqa: E402  (weights, formats)
import make_v1_fixtures as v1base  # noqa: E402  (v1 weights)

# ACT2FN names debertac lowers (Sources/DebertacIR/Activation.swift). Drawn for every activation field.
SUPPORTED_ACTIVATIONS = ["gelu", "gelu_python", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "gelu_python_tanh",
                         "gelu_accurate", "relu", "tanh", "sigmoid", "silu", "swish", "quick_gelu", "linear"]
# ACT2FN names transformers runs and debertac does not implement: it must refuse them by name.
# ("prelu" and "xielu" are left out: they carry parameters the weight helpers do not draw.)
UNSUPPORTED_ACTIVATIONS = ["gelu_10", "mish", "relu6", "leaky_relu", "hardswish", "laplace", "relu2", "sqrtsoftplus"]

# Checkpoint formats, rotated over the cases of each family.
FORMATS = ["safetensors-f32", "safetensors-f16", "torch-zip-f32", "torch-legacy-f32", "torch-zip-f16",
           "torch-legacy-f16"]

TOLERANCE = {"interp": 1e-4, "fp32": 2e-4, "bf16": 2.0 ** -5, "int8": 2.0 ** -4}
TIMEOUT = 600  # seconds per debertac command; a time-out is a FAIL


# ---------------------------------------------------------------------------------------------
# Drawing a configuration. Keys are sometimes absent (transformers' defaults apply), sometimes
# explicit, sometimes spelled in the other ways transformers accepts.
# ---------------------------------------------------------------------------------------------


def maybe(rng, p, key, config, value):
    """Sets config[key] = value with probability p (else leaves the key absent)."""
    if rng.random() < p:
        config[key] = value


def draw_pos_att_type(rng):
    """(value to write or None for absent, the description). Both the "a|b" string (lowercased and
    stripped by transformers) and the list (taken verbatim) forms, unknown and repeated entries."""
    terms = rng.choice([["c2p", "p2c"], ["p2c", "c2p"], ["c2p"], ["p2c"], [], ["c2p", "p2c"]])
    if rng.random() < 0.2:
        terms = terms + [rng.choice(["p2p", "c2c", "c2p"])]  # v1 counts every entry in the scale
    form = rng.choice(["string", "string", "list", "list", "spaced", "upper", "upper-list", "null", "absent"])
    if form == "string":
        return "|".join(terms)
    if form == "spaced":
        return " | ".join(terms)
    if form == "upper":
        return "|".join(terms).upper()
    if form == "list":
        return list(terms)
    if form == "upper-list":  # not lowercased in a list: "C2P" is then not c2p
        return [t.upper() for t in terms]
    return None if form == "null" else "absent"


def draw_labels(rng, config):
    n = rng.randint(1, 5)
    names = [f"LABEL_{i}" for i in range(n)] if rng.random() < 0.5 else \
        rng.sample(["contradiction", "neutral", "entailment", "negative", "positive", "other", "spam"], n)
    form = rng.choice(["maps", "maps", "num_labels", "absent"])
    if form == "maps":
        config["id2label"] = {str(i): name for i, name in enumerate(names)}
        config["label2id"] = {name: i for i, name in enumerate(names)}
    elif form == "num_labels":
        config["num_labels"] = n


def draw_activation(rng):
    return "gelu" if rng.random() < 0.4 else rng.choice(SUPPORTED_ACTIVATIONS)


def draw_common(rng, family):
    """Fields both families read."""
    hidden = rng.choice(range(16, 65, 4))
    divisors = [h for h in (2, 3, 4, 5, 6, 8) if hidden % h == 0 and hidden // h >= 2]
    heads = 1 if rng.random() < 0.15 else rng.choice(divisors)
    maxpos = rng.choice([8, 12, 16, 24, 32, 48, 64, 96, 128])
    c = {
        "architectures": ["DebertaV2ForSequenceClassification" if family == "v2" else "DebertaForSequenceClassification"],
        "model_type": "deberta-v2" if family == "v2" else "deberta",
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_hidden_layers": rng.randint(1, 3),
        "intermediate_size": rng.choice([hidden, 2 * hidden, 4 * hidden, rng.randint(8, 4 * hidden)]),
        "vocab_size": rng.randint(100, 300),
        "max_position_embeddings": maxpos,
    }
    if rng.random() < 0.5:
        c.update(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, initializer_range=0.02)
    maybe(rng, 0.85, "hidden_act", c, draw_activation(rng))
    maybe(rng, 0.7, "layer_norm_eps", c, rng.choice([1e-12, 1e-7, 1e-7, 1e-6, 1e-5, 1e-3]))
    maybe(rng, 0.7, "type_vocab_size", c, rng.choice([0, 0, 1, 2, 3]))
    maybe(rng, 0.8, "position_biased_input", c, rng.random() < 0.5)
    r = rng.random()
    if r < 0.1:
        c["embedding_size"] = hidden
    elif r < 0.35:
        c["embedding_size"] = rng.choice([s for s in (8, 12, 16, 20, 24, 32, 48, 80) if s != hidden])
    maybe(rng, 0.85, "relative_attention", c, rng.random() < 0.8)
    r = rng.random()
    if r < 0.15:
        c["max_relative_positions"] = -1
    elif r < 0.2:
        c["max_relative_positions"] = 0
    elif r < 0.45:
        c["max_relative_positions"] = rng.randint(1, max(1, min(8, maxpos - 1)))  # small: below the lengths
    elif r < 0.65:
        c["max_relative_positions"] = rng.randint(2, maxpos)
    elif r < 0.8:
        c["max_relative_positions"] = rng.randint(maxpos + 1, 2 * maxpos + 16)  # beyond max_position_embeddings
    pos = draw_pos_att_type(rng)
    if pos != "absent":
        c["pos_att_type"] = pos
    draw_labels(rng, c)
    maybe(rng, 0.5, "pooler_hidden_act", c, draw_activation(rng))
    maybe(rng, 0.2, "pooler_hidden_size", c, hidden)
    maybe(rng, 0.3, "pooler_dropout", c, rng.choice([0, 0.1]))
    maybe(rng, 0.15, "pad_token_id", c, rng.randint(0, 5))
    return c


def effective_max_relative(c):
    m = c.get("max_relative_positions", -1)
    return c["max_position_embeddings"] if m < 1 else m


def draw_v2(rng):
    c = draw_common(rng, "v2")
    hidden, heads = c["hidden_size"], c["num_attention_heads"]
    maybe(rng, 0.3, "attention_head_size", c, hidden // heads)
    r = rng.random()
    if r < 0.15:
        c["position_buckets"] = rng.choice([-1, 0])
    elif r < 0.85:
        c["position_buckets"] = rng.choice([2, 3, 4, 5, 7, 8, 8, 16, 32, 64, 256])
        # max_relative_positions - 1 == buckets / 2 divides by log(1) = 0 in transformers: a
        # planned refusal case of its own below, not drawn here.
        while effective_max_relative(c) - 1 == c["position_buckets"] // 2:
            c["position_buckets"] += 1
    maybe(rng, 0.85, "norm_rel_ebd", c, rng.choice(["layer_norm", "layer_norm", "none", "Layer_Norm ", "none|layer_norm"]))
    maybe(rng, 0.85, "share_att_key", c, rng.random() < 0.6)
    if rng.random() < 0.4:
        c["conv_kernel_size"] = rng.choice([0, 1, 3, 3, 5, 7])
        maybe(rng, 0.7, "conv_act", c, draw_activation(rng))
        maybe(rng, 0.4, "conv_groups", c, rng.choice([g for g in (1, 2, 4) if hidden % g == 0]))
    maybe(rng, 0.1, "talking_head", c, True)  # a v1 key: DebertaV2 ignores it
    return c


def draw_v1(rng):
    c = draw_common(rng, "v1")
    maybe(rng, 0.4, "talking_head", c, rng.random() < 0.6)
    if rng.random() < 0.2:  # v2-only keys: DebertaConfig ignores them, so must debertac
        c.update(position_buckets=8, share_att_key=True, norm_rel_ebd="layer_norm", conv_kernel_size=3,
                 attention_head_size=4)
    return c


# Mutations that make a configuration transformers cannot build or run (expected: "rejected"),
# or that it runs on undefined values (expected: "refused").
def invalid_mutations(c, family):
    hidden, heads = c["hidden_size"], c["num_attention_heads"]
    out = {
        "heads-not-dividing": lambda: c.update(num_attention_heads=next(h for h in (3, 5, 7, 9) if hidden % h)),
        "pooler-hidden-size": lambda: c.update(pooler_hidden_size=hidden + 4),
        "unknown-activation": lambda: c.update(hidden_act="not_an_activation"),
    }
    if family == "v2":
        out.update({
            "attention-head-size": lambda: c.update(attention_head_size=hidden // heads + 1),
            "even-conv-kernel": lambda: c.update(conv_kernel_size=2),
            "conv-groups": lambda: c.update(conv_kernel_size=3, conv_groups=next(g for g in (3, 5, 7) if hidden % g)),
            "position-buckets-1": lambda: c.update(relative_attention=True, pos_att_type="c2p|p2c", position_buckets=1),
            "log-of-one": lambda: c.update(relative_attention=True, pos_att_type="p2c|c2p", position_buckets=8,
                                           max_relative_positions=5),
        })
    return out


def draw_case(seed, index, family):
    """(config, planned mutation or None) for case `index`, deterministic in (seed, index)."""
    rng = random.Random(f"debertac-random-config:{seed}:{index}")
    config = draw_v2(rng) if family == "v2" else draw_v1(rng)
    plan = None
    r = rng.random()
    if r < 0.08:
        mutations = invalid_mutations(config, family)
        plan = rng.choice(sorted(mutations))
        mutations[plan]()
    elif r < 0.16:
        field = rng.choice(["hidden_act", "pooler_hidden_act"] + (["conv_act"] if config.get("conv_kernel_size", 0) > 0 else []))
        config[field] = rng.choice(UNSUPPORTED_ACTIVATIONS)
        plan = f"unsupported-{field}"
    return config, plan, rng


def expected_refusal(plan):
    """Whether transformers runs the case but debertac is expected to refuse it."""
    return plan is not None and (plan.startswith("unsupported-") or plan == "log-of-one")


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def draw_batch(rng, config, long):
    """A padded batch: row 0 is real over the whole length T; the others are shorter, some with
    masked holes after the first token. Long batches reach max_position_embeddings."""
    maxpos, vocab = config["max_position_embeddings"], config["vocab_size"]
    types = config.get("type_vocab_size", 0)
    if long:
        batch, length = rng.randint(1, 3), maxpos if rng.random() < 0.4 else rng.randint(2, maxpos)
    else:
        batch, length = rng.randint(1, 4), rng.randint(1, min(maxpos, 12))
    ids, mask, tt = [], [], []
    for row in range(batch):
        n = length if row == 0 else rng.randint(1, length)
        m = [1] * n + [0] * (length - n)
        if row > 0 and n > 2 and rng.random() < 0.2:
            for j in rng.sample(range(1, n), rng.randint(1, n - 1)):
                m[j] = 0
        random_padding = rng.random() < 0.3
        ids.append([rng.randrange(vocab) if m[j] or random_padding else 0 for j in range(length)])
        mask.append(m)
        tt.append([rng.randrange(types) if m[j] and types > 0 else 0 for j in range(length)])
    doc = {"input_ids": ids, "attention_mask": mask}
    if types > 0:
        doc["token_type_ids"] = tt
    elif rng.random() < 0.3:
        # No token type embeddings: transformers ignores token types, so must debertac.
        doc["token_type_ids"] = [[rng.randint(0, 1) if m else 0 for m in row] for row in mask]
    return doc


# ---------------------------------------------------------------------------------------------
# Checkpoint and oracle
# ---------------------------------------------------------------------------------------------


def classes(family):
    return (DebertaV2Config, DebertaV2ForSequenceClassification) if family == "v2" else \
        (DebertaConfig, DebertaForSequenceClassification)


def carrier_config(config):
    """A configuration transformers can build with the same tensor names, used only to make weights
    for a configuration it cannot build (debertac must still refuse the real config.json)."""
    c = dict(config)
    c["num_attention_heads"] = 1
    c.pop("conv_groups", None)
    if c.get("hidden_act") not in transformers.activations.ACT2FN:
        c["hidden_act"] = "gelu"
    return c


def make_weights(folder, config, family, weight_seed):
    """Random weights (the fixtures' scaling: activations at about unit variance) for the config."""
    config_class, model_class = classes(family)
    gen = torch.Generator().manual_seed(weight_seed)
    try:
        model = model_class(config_class.from_json_file(str(folder / "config.json"))).eval()
    except Exception:  # noqa: BLE001  transformers cannot build it: weights of a carrier
        model = model_class(config_class(**carrier_config(config))).eval()
    (base.redraw_weights_ if family == "v2" else v1base.redraw_weights_)(model, gen)
    return base.state_dict_of(model)


def save_checkpoint(folder, weights, fmt):
    """Writes the weights in `fmt`; returns the path of the file written."""
    kind, dtype = fmt.rsplit("-", 1)
    tensors = {k: (v.half() if dtype == "f16" else v) for k, v in weights.items()}
    if kind == "safetensors":
        path = folder / "model.safetensors"
        base.save_safetensors(tensors, path)
    elif kind == "torch-zip":
        path = folder / "pytorch_model.bin"
        base.save_torch(tensors, path)
    else:
        path = folder / "pytorch_model.bin"
        base.save_legacy(tensors, path)
    return path


@torch.no_grad()
def oracle(folder, path, family, batches):
    """transformers' logits per batch from the saved config.json and weights file (fp16 widened to
    fp32), or the exception message when it cannot build or run the configuration."""
    config_class, model_class = classes(family)
    try:
        stored = base.load_safetensors([path]) if path.suffix == ".safetensors" else base.load_torch([path])
        model = model_class(config_class.from_json_file(str(folder / "config.json"))).eval()
        model.load_state_dict({k: v.float() for k, v in stored.items()}, strict=True)
        out = []
        for b in batches:
            inputs = {k: torch.tensor(v) for k, v in b.items()}
            logits = model(**inputs).logits
            if not torch.isfinite(logits).all():
                return None, "non-finite logits"
            out.append(logits.tolist())
        return out, None
    except Exception as error:  # noqa: BLE001
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"


# ---------------------------------------------------------------------------------------------
# debertac
# ---------------------------------------------------------------------------------------------


class Outcome:
    """One debertac command: logits, a clean refusal (message), or a failure (crash, time-out,
    unclean refusal, malformed output)."""

    def __init__(self, logits=None, refusal=None, failure=None):
        self.logits, self.refusal, self.failure = logits, refusal, failure


def run_debertac(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Outcome(failure=f"timed out after {TIMEOUT} s: {' '.join(argv[1:3])}")
    if p.returncode < 0:
        return Outcome(failure=f"crashed with signal {-p.returncode}: {' '.join(argv[1:3])}: {p.stderr.strip()[-300:]}")
    if p.returncode != 0:
        message = p.stderr.strip()
        if p.returncode != 1 or not message.startswith("error: ") or p.stdout.strip():
            return Outcome(failure=f"unclean refusal (status {p.returncode}): {message[-300:]!r}")
        return Outcome(refusal=message.splitlines()[0][len("error: "):])
    if argv[1] == "compile":
        return Outcome(logits=[])
    try:
        return Outcome(logits=json.loads(p.stdout)["logits"])
    except (ValueError, KeyError) as error:
        return Outcome(failure=f"unreadable output ({error}): {p.stdout[:200]!r}")


def worst_error(got, want):
    """(max |a - b|, max |a - b| / (1 + |b|)) over every logit, inf on a shape mismatch or null."""
    diff = rel = 0.0
    for g_batch, w_batch in zip(got, want, strict=True):
        if len(g_batch) != len(w_batch):
            return math.inf, math.inf
        for g_row, w_row in zip(g_batch, w_batch):
            if len(g_row) != len(w_row):
                return math.inf, math.inf
            for a, b in zip(g_row, w_row):
                if a is None:
                    return math.inf, math.inf
                diff, rel = max(diff, abs(a - b)), max(rel, abs(a - b) / (1 + abs(b)))
    return diff, rel


def check_case(debertac, folder, batches, precisions, use_so):
    """Runs every debertac path. Returns {path name: Outcome}, with "interp" and each precision."""
    inputs = []
    for i, b in enumerate(batches):
        inputs.append(folder / f"in-{i}.json")
        inputs[-1].write_text(json.dumps(b))
    results = {}

    def run_all(model):
        logits = []
        for path in inputs:
            o = run_debertac([debertac, "run", str(model), "--input", str(path)])
            if o.logits is None:
                return o
            logits.append(o.logits)
        return Outcome(logits=logits)

    results["interp"] = run_all(folder)
    if not use_so:
        return results
    for precision in precisions:
        so = folder / f"model-{precision}.so"
        o = run_debertac([debertac, "compile", str(folder), "-o", str(so), "--precision", precision, "--quiet"])
        if o.logits is None:
            if o.refusal is not None and so.exists():
                o = Outcome(failure=f"refused but left a partial output file: {o.refusal}")
            results[precision] = o
            if o.refusal is not None:
                break  # the config is refused: no point compiling it at the other precisions
            continue
        results[precision] = run_all(so)
    return results


def classify(plan, hf_logits, hf_error, results):
    """(status, detail, errors {path: max|Δ|}) for one case."""
    failures = [f"{k}: {o.failure}" for k, o in results.items() if o.failure]
    if failures:
        return "FAIL", "; ".join(failures), {}
    refusals = {k: o.refusal for k, o in results.items() if o.refusal is not None}
    if refusals and len(refusals) != len(results):
        accepted = [k for k in results if k not in refusals]
        return "FAIL", f"refused by {sorted(refusals)} but accepted by {accepted}: {next(iter(refusals.values()))}", {}
    if refusals:
        message = next(iter(refusals.values()))
        if hf_logits is None:
            return "rejected", f"{message}  [transformers: {hf_error}]", {}
        if expected_refusal(plan):
            return "refused", message, {}
        return "FAIL", f"unexpected refusal of a configuration transformers runs: {message}", {}
    if hf_logits is None:
        return "FAIL", f"accepted a configuration transformers cannot run ({hf_error})", {}
    errors, bad = {}, []
    for k, o in results.items():
        diff, rel = worst_error(o.logits, hf_logits)
        errors[k] = diff
        if not rel <= TOLERANCE[k]:
            bad.append(f"{k} |a-b|/(1+|b|) = {rel:.2e} > {TOLERANCE[k]:.1e}")
    if bad:
        return "FAIL", "; ".join(bad), errors
    return "pass", "", errors


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def summary_of(c, family):
    """A compact description of the fields that matter."""
    parts = [f"h{c['hidden_size']}x{c['num_attention_heads']}", f"L{c['num_hidden_layers']}",
             f"ffn{c['intermediate_size']}", f"pos{c['max_position_embeddings']}"]
    if c.get("relative_attention", False):
        parts.append(f"rel:{json.dumps(c.get('pos_att_type', None)).replace(' ', '')}")
        parts.append(f"mrp{c.get('max_relative_positions', '_')}")
        if family == "v2":
            parts.append(f"bkt{c.get('position_buckets', '_')}")
            parts.append("share" if c.get("share_att_key") else "noshare")
            parts.append(f"norm:{c.get('norm_rel_ebd', '_').strip()}")
    else:
        parts.append(f"norel:{json.dumps(c.get('pos_att_type', None)).replace(' ', '')}")
    if c.get("position_biased_input", True):
        parts.append("abspos")
    if c.get("type_vocab_size", 0):
        parts.append(f"tt{c['type_vocab_size']}")
    if c.get("embedding_size", c["hidden_size"]) != c["hidden_size"]:
        parts.append(f"emb{c['embedding_size']}")
    if family == "v2" and c.get("conv_kernel_size", 0) > 0:
        parts.append(f"conv{c['conv_kernel_size']}/{c.get('conv_groups', 1)}/{c.get('conv_act', '_')}")
    if family == "v1" and c.get("talking_head"):
        parts.append("talking")
    parts.append(f"act:{c.get('hidden_act', '_')}/{c.get('pooler_hidden_act', '_')}")
    parts.append(f"eps{c.get('layer_norm_eps', '_')}")
    labels = len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)
    parts.append(f"nl{labels}")
    return " ".join(parts)


def keep_case(folder, keep, index, config, batches, hf_logits, hf_error, debertac, status, detail):
    dest = keep / f"case-{index:03d}"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("*.so", "*.h"))
    (dest / "transformers.json").write_text(json.dumps({"logits": hf_logits, "error": hf_error}, indent=1) + "\n")
    lines = [f"# {status}: {detail}", f"# transformers {transformers.__version__}, torch {torch.__version__}",
             f"{debertac} run {dest} --input {dest}/in-0.json",
             f"{debertac} compile {dest} -o /tmp/case-{index:03d}.so && {debertac} run /tmp/case-{index:03d}.so --input {dest}/in-0.json"]
    (dest / "repro.sh").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--family", choices=["v1", "v2", "both"], default="both")
    parser.add_argument("--precisions", default="fp32", help="comma-separated: fp32, bf16, int8")
    parser.add_argument("--debertac", default="/work/main/.build-bench/release/debertac")
    parser.add_argument("--keep", type=Path, help="keep failing cases' folders here")
    parser.add_argument("--only", help="comma-separated case indices to run (same draws as in the full run)")
    parser.add_argument("--no-so", action="store_true", help="interpreter only, no compile")
    args = parser.parse_args()
    precisions = [p for p in args.precisions.split(",") if p]
    if any(p not in ("fp32", "bf16", "int8") for p in precisions):
        parser.error(f"unknown precision in {args.precisions!r}")
    torch.set_num_threads(1)
    indices = [int(i) for i in args.only.split(",")] if args.only else list(range(args.cases))
    families = ["v2", "v1"] if args.family == "both" else [args.family]
    print(f"seed {args.seed}, {len(indices)} cases, family {args.family}, precisions {','.join(precisions)}"
          f"{'' if not args.no_so else ' (interpreter only)'}; transformers {transformers.__version__}, "
          f"torch {torch.__version__}; {args.debertac}", flush=True)

    counts = {"pass": 0, "refused": 0, "rejected": 0, "FAIL": 0}
    failures, refusals, times = [], [], []
    worst = {k: 0.0 for k in ["interp"] + precisions}
    work = Path(tempfile.mkdtemp(prefix="debertac-random-"))
    try:
        for index in indices:
            start = time.time()
            family = families[index % len(families)]
            fmt = FORMATS[(index // len(families)) % len(FORMATS)]
            config, plan, rng = draw_case(args.seed, index, family)
            folder = work / f"case-{index:03d}"
            folder.mkdir()
            (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
            weights = make_weights(folder, config, family, zlib.crc32(f"{args.seed}:{index}".encode()))
            path = save_checkpoint(folder, weights, fmt)
            batches = [draw_batch(rng, config, long=True), draw_batch(rng, config, long=False)]
            hf_logits, hf_error = oracle(folder, path, family, batches)
            results = check_case(args.debertac, folder, batches, precisions, not args.no_so)
            status, detail, errors = classify(plan, hf_logits, hf_error, results)
            counts[status] += 1
            for k, e in errors.items():
                worst[k] = max(worst[k], e)
            elapsed = time.time() - start
            times.append(elapsed)
            shapes = ",".join(f"{len(b['input_ids'])}x{len(b['input_ids'][0])}" for b in batches)
            measured = " ".join(f"{k} {e:.1e}" for k, e in errors.items())
            tag = f" [{plan}]" if plan else ""
            line = (f"{index:3d} {family} {fmt:16s} {summary_of(config, family)}{tag} | {shapes} | "
                    f"{measured + ' | ' if measured else ''}{status}{': ' + detail if detail else ''} ({elapsed:.1f} s)")
            print(line, flush=True)
            if status == "FAIL":
                failures.append(line)
                if args.keep:
                    keep_case(folder, args.keep, index, config, batches, hf_logits, hf_error, args.debertac, status, detail)
            elif status in ("refused", "rejected"):
                refusals.append(f"{index:3d} {status}: {detail}")
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    total = len(indices)
    print(f"\nsummary: {total} cases: {counts['pass']} pass, {counts['refused']} refused (debertac does not implement), "
          f"{counts['rejected']} rejected (transformers cannot run them either), {counts['FAIL']} FAIL")
    print("worst max |logit - transformers| over passing cases: " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    if times:
        print(f"time per case: median {sorted(times)[len(times) // 2]:.1f} s, max {max(times):.1f} s, total {sum(times):.0f} s")
    for line in refusals:
        print("  " + line)
    for line in failures:
        print("  FAIL " + line)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
