#!/usr/bin/env python3
"""Generate debertac's committed test fixtures and Hugging Face goldens.

    python3 scripts/make_fixtures.py

Writes (see Tests/Fixtures/README.md for the formats):
  Tests/Fixtures/models/<variant>/   config.json, model.safetensors, tensors.json, golden.json
  Tests/Fixtures/formats/<format>/   the xxlarge-toy weights in every checkpoint format + tensors.json,
                                     golden.json (HF run on that folder's weights as stored, widened to fp32)
  Tests/Fixtures/hostile/            malicious pickles our reader must reject (never loaded here)
  examples/tiny-nli/                 fp16 quick-start checkpoint, input.json, golden.json

Everything is seeded, so a rerun is byte-identical as long as torch's CPU kernels are
(we pin one thread). The oracle is transformers' DebertaV2ForSequenceClassification in eval mode.
"""

import io
import json
import os
import pickle
import pickletools
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from torch import nn
from transformers import DebertaV2Config, DebertaV2ForSequenceClassification
from transformers.models.deberta_v2.modeling_deberta_v2 import build_relative_position, make_log_bucket_position

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"
EXAMPLE = ROOT / "examples" / "tiny-nli"

# ---------------------------------------------------------------------------------------------
# Configs. Keys and key order follow the real Hub config.json files (microsoft/deberta-v2-xxlarge-mnli,
# microsoft/deberta-v3-base), at toy width. They are written verbatim and parsed back with
# DebertaV2Config.from_json_file, so HF sees exactly the file the compiler will read.
# ---------------------------------------------------------------------------------------------

MNLI = {"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}


def labels(id2label):
    return {"id2label": id2label, "label2id": {v: int(k) for k, v in id2label.items()}}


XXLARGE_TOY = {
    "architectures": ["DebertaV2ForSequenceClassification"],
    "model_type": "deberta-v2",
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "relative_attention": True,
    "position_buckets": 8,
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "pos_att_type": "p2c|c2p",
    "conv_kernel_size": 3,
    "conv_act": "gelu",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "num_attention_heads": 4,
    "attention_head_size": 8,
    "num_hidden_layers": 2,
    "type_vocab_size": 0,
    "vocab_size": 96,
    **labels(MNLI),
}

V3_TOY = {
    "architectures": ["DebertaV2ForSequenceClassification"],
    "model_type": "deberta-v2",
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 48,
    "initializer_range": 0.02,
    "intermediate_size": 96,
    "max_position_embeddings": 64,
    "relative_attention": True,
    "position_buckets": 8,
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "pos_att_type": ["p2c", "c2p"],
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "position_biased_input": False,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "type_vocab_size": 0,
    "vocab_size": 96,
    **labels(MNLI),
}

CONV_KEYS = ("conv_kernel_size", "conv_act")
RELATIVE_KEYS = ("position_buckets", "norm_rel_ebd", "share_att_key", "pos_att_type", "max_relative_positions")


def derive(base, drop=(), **changes):
    """A copy of `base` without the `drop` keys, with `changes` applied (new keys go last)."""
    config = {k: v for k, v in base.items() if k not in drop}
    config.update(changes)
    return config


VARIANTS = {
    "xxlarge-toy": XXLARGE_TOY,
    "v3-toy": V3_TOY,
    "unshared-keys": derive(XXLARGE_TOY, drop=CONV_KEYS, share_att_key=False),
    "c2p-only": derive(XXLARGE_TOY, pos_att_type="c2p", share_att_key=False),
    "p2c-only": derive(XXLARGE_TOY, pos_att_type="p2c", share_att_key=True),
    "biased-input-types": derive(V3_TOY, position_biased_input=True, type_vocab_size=2),
    "no-relative": derive(
        XXLARGE_TOY, drop=CONV_KEYS + RELATIVE_KEYS,
        relative_attention=False, position_biased_input=True, type_vocab_size=2),
    "embed-proj": derive(XXLARGE_TOY, embedding_size=16),
    # 2 * 16 = 32 rel_embeddings rows; lengths 20 and 24 exceed the span, so the clamp matters.
    "no-buckets": derive(XXLARGE_TOY, position_buckets=-1, max_relative_positions=16),
    "max-relative-positions": derive(XXLARGE_TOY, max_relative_positions=32),
    "no-rel-norm": derive(XXLARGE_TOY, norm_rel_ebd="none"),
    "regression": derive(XXLARGE_TOY, **labels({"0": "LABEL_0"})),
    # HF's ContextPooler is Linear(pooler_hidden_size, pooler_hidden_size) applied to the
    # hidden_size-wide token 0 and the classifier reads hidden_size: any pooler_hidden_size
    # other than hidden_size crashes HF. So this variant is 24 wide throughout (6 per head).
    "binary-pooler": derive(
        XXLARGE_TOY, hidden_size=24, attention_head_size=6, hidden_act="gelu_new",
        pooler_hidden_size=24, pooler_hidden_act="tanh", pooler_dropout=0,
        **labels({"0": "not_entailment", "1": "entailment"})),
    "conv-variants": derive(XXLARGE_TOY, conv_kernel_size=5, conv_groups=2, conv_act="tanh", num_hidden_layers=3),
}

# ---------------------------------------------------------------------------------------------
# Small helpers: hashing, JSON, dtype names.
# ---------------------------------------------------------------------------------------------

_fnv_cache = {}


def fnv1a64(data: bytes) -> str:
    """FNV-1a 64-bit as 16 hex digits. Cached: the formats re-hash the same weights many times."""
    if data not in _fnv_cache:
        h = 0xCBF29CE484222325
        for byte in data:
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        _fnv_cache[data] = f"{h:016x}"
    return _fnv_cache[data]


DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def manifest(tensors: dict) -> dict:
    """{"tensors": {name: {dtype, shape, fnv1a64}}}; the hash is over the little-endian fp32 bytes."""
    entries = {}
    for name, t in tensors.items():
        fnv = fnv1a64(t.float().contiguous().numpy().tobytes()) if t.is_floating_point() else None
        entries[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "fnv1a64": fnv}
    return {"tensors": entries}


def f32_list(t: torch.Tensor):
    """Nested lists of floats that print as the shortest string that round-trips the float32."""
    a = t.detach().float().numpy()
    shortest = [float(str(x)) for x in a.ravel()]  # str(np.float32) is float32-shortest
    return np.array(shortest, dtype=np.float64).reshape(a.shape).tolist()


def write_json(path: Path, obj):
    """Indented JSON with every innermost number list on one line: small files, readable diffs."""
    text = json.dumps(obj, indent=1)
    text = re.sub(r"\[\s+([-+0-9.eE,\s]+?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def write_config(folder: Path, config: dict):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def seed_of(name: str) -> int:
    """A per-variant seed that does not shift when variants are added or reordered."""
    return zlib.crc32(name.encode())


# ---------------------------------------------------------------------------------------------
# Models: build, re-draw weights, make inputs, run HF.
# ---------------------------------------------------------------------------------------------


def build_model(config_dir: Path, seed: int) -> DebertaV2ForSequenceClassification:
    """An eval-mode fp32 model for config_dir/config.json with unit-variance random weights."""
    config = DebertaV2Config.from_json_file(str(config_dir / "config.json"))
    model = DebertaV2ForSequenceClassification(config).eval()
    redraw_weights_(model, torch.Generator().manual_seed(seed))
    return model


@torch.no_grad()
def redraw_weights_(model: nn.Module, gen: torch.Generator, layer_norms=(nn.LayerNorm,), own_biases=()):
    """Replace HF's 0.02 init (which makes every layer nearly the identity, so parity tests
    would prove little) with weights that keep activations at about unit variance.
    `layer_norms`: the module types drawn as layer norms (DeBERTa v1 has its own); `own_biases`:
    bias parameters a module holds itself rather than in a Linear (v1's q_bias and v_bias)."""
    touched = set()

    def draw(param, std, mean=0.0):
        param.copy_(torch.randn(param.shape, generator=gen) * std + mean)
        touched.add(id(param))

    for module in model.modules():
        if isinstance(module, nn.Linear):
            draw(module.weight, module.in_features ** -0.5)
            if module.bias is not None:
                draw(module.bias, 0.1)
        elif isinstance(module, nn.Conv1d):
            fan_in = module.weight.shape[1] * module.weight.shape[2]  # (in / groups) * kernel
            draw(module.weight, fan_in ** -0.5)
            draw(module.bias, 0.1)
        elif isinstance(module, nn.Embedding):
            draw(module.weight, 1.0)
        elif isinstance(module, layer_norms):
            draw(module.weight, 0.1, mean=1.0)
            draw(module.bias, 0.1)
        else:
            for name in own_biases:
                if isinstance(getattr(module, name, None), nn.Parameter):
                    draw(getattr(module, name), 0.1)
    missed = [n for n, p in model.named_parameters() if id(p) not in touched]
    assert not missed, f"parameters left at HF init: {missed}"


def make_batches(config: DebertaV2Config, gen: torch.Generator) -> list:
    """single: 1x20; padded: 3x24 with real lengths 24, 17, 9; short: 1x3."""
    specs = [("single", 20, [20]), ("padded", 24, [24, 17, 9]), ("short", 3, [3])]
    batches = []
    for name, length, real_lengths in specs:
        ids = torch.zeros(len(real_lengths), length, dtype=torch.long)  # 0 = [PAD]
        mask = torch.zeros_like(ids)
        types = torch.zeros_like(ids)
        for row, n in enumerate(real_lengths):
            ids[row, :n] = torch.randint(4, config.vocab_size, (n,), generator=gen)
            ids[row, 0], ids[row, n - 1] = 1, 2  # [CLS] ... [SEP]
            mask[row, :n] = 1
            types[row, :n] = torch.randint(0, 2, (n,), generator=gen)
        batch = {"name": name, "input_ids": ids, "attention_mask": mask}
        if config.type_vocab_size > 0:
            batch["token_type_ids"] = types
        batches.append(batch)
    return batches


def fixture_batches(name: str) -> list:
    """The golden inputs of models/<name>; the formats reuse xxlarge-toy's."""
    config = DebertaV2Config.from_json_file(str(FIXTURES / "models" / name / "config.json"))
    return make_batches(config, torch.Generator().manual_seed(seed_of(name) + 1))


def model_inputs(batch: dict) -> dict:
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in batch}


@torch.no_grad()
def run_golden(model, batches: list) -> list:
    """Logits and all hidden states (index 0 = embedding output, i = output of layer i-1)."""
    out = []
    for batch in batches:
        result = model(**model_inputs(batch), output_hidden_states=True)
        entry = {k: (v.tolist() if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
        entry["logits"] = f32_list(result.logits)
        entry["hidden_states"] = [f32_list(h) for h in result.hidden_states]
        entry["_logits"] = result.logits  # kept for the checks below, stripped before writing
        entry["_hidden"] = result.hidden_states
        out.append(entry)
    return out


@torch.no_grad()
def check_golden(name: str, model, batches: list, goldens: list):
    """Fail if the logits barely depend on the input, or if padding changes a real row's output."""
    logits = torch.cat([g["_logits"] for g in goldens])
    spread = logits.std(dim=0).mean().item()
    print(f"  {name}: logits std across {logits.shape[0]} rows (mean over labels) = {spread:.3f}")
    assert spread > 0.1, f"{name}: logits hardly vary between inputs ({spread})"
    # Row 1 of "padded" (17 real tokens) must match running it alone, unpadded.
    padded = next(b for b in batches if b["name"] == "padded")
    golden = next(g for g in goldens if g["name"] == "padded")
    alone = {k: v[1:2, :17] for k, v in model_inputs(padded).items()}
    result = model(**alone, output_hidden_states=True)
    diff = (result.logits - golden["_logits"][1:2]).abs().max().item()
    for ours, theirs in zip(result.hidden_states, golden["_hidden"]):
        diff = max(diff, (ours[0] - theirs[1, :17]).abs().max().item())
    assert diff < 1e-4, f"{name}: padding changes real tokens' outputs by {diff}"


def relative_position_index(model, length: int):
    """HF's bucketed relative positions for `length` tokens, before the +att_span and clamp."""
    encoder = model.deberta.encoder
    dummy = torch.empty(length, 1)
    rel = build_relative_position(
        dummy, dummy, bucket_size=encoder.position_buckets, max_position=encoder.max_relative_positions)
    # p2c indexes with clamp(-bucket(j - i) + span) and transposes; that equals the c2p index
    # clamp(bucket(i - j) + span) because bucketing is odd. One table serves both.
    assert torch.equal(rel[0], -rel[0].t())
    return rel[0].tolist()


def golden_document(name, model, batches, goldens) -> dict:
    doc = {
        "variant": name,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "batches": [{k: v for k, v in g.items() if not k.startswith("_")} for g in goldens],
    }
    if model.config.relative_attention:
        doc["relative_position_index"] = relative_position_index(model, max(b["input_ids"].shape[1] for b in batches))
    return doc


def state_dict_of(model) -> dict:
    # Clone so no two entries share storage (safetensors refuses shared tensors).
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def make_model_fixture(name: str, config: dict) -> dict:
    folder = fresh_dir(FIXTURES / "models" / name)
    write_config(folder, config)
    model = build_model(folder, seed_of(name))
    batches = fixture_batches(name)
    goldens = run_golden(model, batches)
    check_golden(name, model, batches, goldens)
    weights = state_dict_of(model)
    save_safetensors(weights, folder / "model.safetensors")
    write_json(folder / "tensors.json", manifest(weights))
    write_json(folder / "golden.json", golden_document(name, model, batches, goldens))
    return weights


# ---------------------------------------------------------------------------------------------
# Checkpoint formats. Every writer is followed by a load-back whose manifest must match.
# ---------------------------------------------------------------------------------------------


def save_safetensors(tensors: dict, path: Path):
    safetensors.torch.save_file(tensors, str(path), metadata={"format": "pt"})


def load_safetensors(paths) -> dict:
    out = {}
    for path in paths:
        out.update(safetensors.torch.load_file(str(path)))
    return out


def save_torch(tensors: dict, path: Path):
    # An OrderedDict, as model.state_dict() gives and as real HF .bin files hold at top level.
    torch.save(OrderedDict(tensors), path)


def load_torch(paths) -> dict:
    out = {}
    for path in paths:
        out.update(torch.load(path, map_location="cpu", weights_only=True))
    return out


POSITION_IDS = "deberta.embeddings.position_ids"


def model_from_stored(folder: Path, stored: dict) -> DebertaV2ForSequenceClassification:
    """An eval-mode fp32 model for folder/config.json holding `stored` (a state dict exactly as
    read from a checkpoint file), fp16 / bf16 values widened to fp32 (as model.float() would)."""
    config = DebertaV2Config.from_json_file(str(folder / "config.json"))
    model = DebertaV2ForSequenceClassification(config).eval()
    if POSITION_IDS in stored:  # non-persistent in this transformers version; from_pretrained drops it too
        assert torch.equal(stored[POSITION_IDS], torch.arange(config.max_position_embeddings).unsqueeze(0))
    model.load_state_dict({k: v.float() for k, v in stored.items() if k != POSITION_IDS}, strict=True)
    return model


def finish_format(folder: Path, intended: dict, loaded: dict, config: dict, batches: list):
    """Write config.json, the manifest and golden.json, after checking the file loads back as
    intended. The golden is computed from `loaded`, i.e. the weights as stored in this folder."""
    expected = manifest(intended)
    assert manifest(loaded) == expected, f"{folder.name}: loaded tensors differ from what was written"
    write_config(folder, config)
    write_json(folder / "tensors.json", expected)
    model = model_from_stored(folder, loaded)
    goldens = run_golden(model, batches)
    check_golden(f"formats/{folder.name}", model, batches, goldens)
    write_json(folder / "golden.json", golden_document(folder.name, model, batches, goldens))


def check_format_goldens(root: Path, reference: Path):
    """Read the written goldens back: every folder has the reference's inputs, and folders whose
    weights are bit-identical in fp32 (same manifest hashes) have identical goldens."""
    def read(folder):
        hashes = json.loads((folder / "tensors.json").read_text())["tensors"]
        weights = tuple(sorted((k, v["fnv1a64"]) for k, v in hashes.items() if v["fnv1a64"] is not None))
        return weights, json.loads((folder / "golden.json").read_text())["batches"]

    def inputs(batches):
        return [{k: v for k, v in b.items() if k not in ("logits", "hidden_states")} for b in batches]

    _, ref_batches = read(reference)
    first_with = {}  # fp32 weight hashes -> (first folder with them, its golden batches)
    for folder in [reference] + sorted(root.iterdir()):
        weights, batches = read(folder)
        assert inputs(batches) == inputs(ref_batches), f"{folder.name}: inputs differ from {reference.name}'s"
        same, same_batches = first_with.setdefault(weights, (folder, batches))
        assert batches == same_batches, f"{folder.name}: same weights as {same.name} but a different golden"
        diff = max(abs(x - y) for b, r in zip(batches, ref_batches)
                   for row, ref_row in zip(b["logits"], r["logits"]) for x, y in zip(row, ref_row))
        group = "first with its fp32 weights" if same == folder else f"identical to {same.parent.name}/{same.name}'s"
        print(f"  {folder.parent.name}/{folder.name}: golden {group}, max |logit - {reference.name}| = {diff:.2e}")


def split_in_half(tensors: dict) -> tuple:
    """Two shards in state-dict order, split where the running byte count passes half."""
    total = sum(t.nbytes for t in tensors.values())
    first, second, running = {}, {}, 0
    for name, t in tensors.items():
        (first if running < total / 2 else second)[name] = t
        running += t.nbytes
    return first, second, total


def write_index(path: Path, shards: list, total: int):
    weight_map = {name: file for file, tensors in shards for name in tensors}
    path.write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n")


def zip_entries(path: Path) -> list:
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def write_renamed_zip(entries: list, path: Path, new_root: str):
    """Re-root a torch zip: readers must take the folder name from the first entry, not assume 'archive/'."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(new_root + name.split("/", 1)[1], date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, data)


def write_zip64(entries: list, path: Path):
    """A stored zip in which every size and offset lives in zip64 extra fields, as a >4 GB
    checkpoint would have them. Data stays 64-byte aligned (padding extra field), as torch's."""
    dos_date = (0 << 9) | (1 << 5) | 1  # 1980-01-01
    out, central = bytearray(), bytearray()
    for name, data in entries:
        name_b, crc, size, offset = name.encode(), zlib.crc32(data), len(data), len(out)
        extra = struct.pack("<HHQQ", 0x0001, 16, size, size)  # zip64: uncompressed, compressed
        pad = -(offset + 30 + len(name_b) + len(extra) + 4) % 64
        extra += struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # 'FB' padding block, like torch
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, dos_date, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(extra))
        out += name_b + extra + data
        cextra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, dos_date, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name_b + cextra
    cd_offset, n = len(out), len(entries)
    out += central
    eocd64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(bytes(out))
    with zipfile.ZipFile(path) as z:  # Python's reader agrees (torch.load is checked by the caller)
        assert z.testzip() is None and [i.filename for i in z.infolist()] == [e[0] for e in entries]
        assert all(i.file_size == len(d) for i, (_, d) in zip(z.infolist(), entries))


def save_legacy(tensors: dict, path: Path):
    """torch.save in the pre-1.6 format, with the storage keys made deterministic.

    torch's legacy writer keys each storage by its memory address (str(storage._cdata)) and
    writes the raw storages sorted by that key, so two runs never produce the same bytes.
    We rename the keys to fixed address-like numbers in first-use order and reorder the raw
    records to match; torch.load neither knows nor cares (checked by the caller)."""
    buf = io.BytesIO()
    torch.save(OrderedDict(tensors), buf, _use_new_zipfile_serialization=False)
    raw = buf.getvalue()
    # The file is five pickles (magic, protocol, sys_info, object, storage keys) then the records.
    spans, pos = [], 0
    for _ in range(5):
        ops = list(pickletools.genops(io.BytesIO(raw[pos:])))
        spans.append((pos, pos + ops[-1][2] + 1, ops))
        pos = spans[-1][1]
    old_keys = pickle.loads(raw[spans[4][0]:spans[4][1]])  # a plain list of str: safe
    obj_start, obj_end, obj_ops = spans[3]
    first_use = [arg for _, arg, _ in obj_ops if isinstance(arg, str) and arg in old_keys]
    assert sorted(first_use) == sorted(old_keys) and len(first_use) == len(tensors)
    new_key = {old: str(94_000_000_000_000 + 0x1000 * i) for i, old in enumerate(first_use)}
    # Raw records: int64 element count, then the bytes, in sorted-old-key order.
    elem_size = {old: t.element_size() for old, t in zip(first_use, tensors.values())}
    records = {}
    for old in old_keys:
        count = struct.unpack("<q", raw[pos:pos + 8])[0]
        records[old] = raw[pos:pos + 8 + count * elem_size[old]]
        pos += len(records[old])
    assert pos == len(raw)
    # Rewrite the object pickle's key strings (BINUNICODE: 'X', u32 length, utf-8).
    obj = bytearray()
    last = obj_start
    for op, arg, at in obj_ops:
        if op.name == "BINUNICODE" and arg in new_key:
            obj += raw[last:obj_start + at] + b"X" + struct.pack("<I", len(new_key[arg])) + new_key[arg].encode()
            last = obj_start + at + 5 + len(arg.encode())
    obj += raw[last:obj_end]
    order = sorted(old_keys, key=lambda k: new_key[k])
    keys_pickle = pickle.dumps([new_key[k] for k in order], protocol=2)
    path.write_bytes(raw[:obj_start] + bytes(obj) + keys_pickle + b"".join(records[k] for k in order))


def noncontiguous_state_dict(weights: dict) -> tuple:
    """Same values, but some tensors stored transposed (strides [1, rows]) and some as views
    into a shared storage at a nonzero offset. Returns the dict and the names to check."""
    out = dict(weights)
    transposed = ["deberta.encoder.layer.0.attention.self.query_proj.weight",
                  "deberta.encoder.layer.0.intermediate.dense.weight",  # 64x32: non-square
                  "classifier.weight"]
    for name in transposed:
        out[name] = weights[name].t().contiguous().t()
    # q and k biases share one storage; k starts at element 32.
    q, k = (f"deberta.encoder.layer.1.attention.self.{p}_proj.bias" for p in ("query", "key"))
    shared = torch.cat([weights[q], weights[k]])
    out[q], out[k] = shared[:weights[q].numel()], shared[weights[q].numel():]
    # A 2-D view at offset 32: value bias first, then the value weight.
    vb, vw = (f"deberta.encoder.layer.1.attention.self.value_proj.{p}" for p in ("bias", "weight"))
    shared = torch.cat([weights[vb], weights[vw].flatten()])
    out[vb], out[vw] = shared[:weights[vb].numel()], shared[weights[vb].numel():].view(weights[vw].shape)
    return out, transposed, [k, vw]


def make_formats(config: dict, weights: dict, batches: list):
    root = FIXTURES / "formats"
    if root.exists():
        shutil.rmtree(root)
    position_ids = torch.arange(config["max_position_embeddings"]).unsqueeze(0)  # int64 [1, 64]
    with_ids = {**weights, "deberta.embeddings.position_ids": position_ids}
    cast = {"f32": weights,
            "f16": {k: v.half() for k, v in weights.items()},
            "bf16": {k: v.bfloat16() for k, v in weights.items()}}

    for suffix, tensors in cast.items():
        folder = fresh_dir(root / f"safetensors-{suffix}")
        save_safetensors(tensors, folder / "model.safetensors")
        finish_format(folder, tensors, load_safetensors([folder / "model.safetensors"]), config, batches)

    folder = fresh_dir(root / "safetensors-sharded")
    first, second, total = split_in_half(weights)
    shards = [("model-00001-of-00002.safetensors", first), ("model-00002-of-00002.safetensors", second)]
    for file, tensors in shards:
        save_safetensors(tensors, folder / file)
    write_index(folder / "model.safetensors.index.json", shards, total)
    finish_format(folder, weights, load_safetensors([folder / f for f, _ in shards]), config, batches)

    for suffix, tensors in cast.items():
        folder = fresh_dir(root / f"torch-zip-{suffix}")
        if suffix == "f32":
            tensors = with_ids  # an int64 buffer readers must tolerate
        save_torch(tensors, folder / "pytorch_model.bin")
        finish_format(folder, tensors, load_torch([folder / "pytorch_model.bin"]), config, batches)
    zip_f32 = root / "torch-zip-f32" / "pytorch_model.bin"

    folder = fresh_dir(root / "torch-zip-renamed-root")
    write_renamed_zip(zip_entries(zip_f32), folder / "weights.bin", "my_checkpoint/")
    finish_format(folder, with_ids, load_torch([folder / "weights.bin"]), config, batches)

    folder = fresh_dir(root / "torch-zip64")
    write_zip64(zip_entries(zip_f32), folder / "pytorch_model.bin")
    finish_format(folder, with_ids, load_torch([folder / "pytorch_model.bin"]), config, batches)

    folder = fresh_dir(root / "torch-zip-sharded")
    shards = [("pytorch_model-00001-of-00002.bin", first), ("pytorch_model-00002-of-00002.bin", second)]
    for file, tensors in shards:
        torch.save(tensors, folder / file)  # a plain dict, like HF's old shard_checkpoint
    write_index(folder / "pytorch_model.bin.index.json", shards, total)
    finish_format(folder, weights, load_torch([folder / f for f, _ in shards]), config, batches)

    for suffix in ("f32", "f16"):
        folder = fresh_dir(root / f"torch-legacy-{suffix}")
        tensors = with_ids if suffix == "f32" else cast[suffix]
        save_legacy(tensors, folder / "pytorch_model.bin")
        finish_format(folder, tensors, load_torch([folder / "pytorch_model.bin"]), config, batches)

    folder = fresh_dir(root / "torch-zip-noncontiguous")
    tensors, transposed, offset_views = noncontiguous_state_dict(weights)
    save_torch(tensors, folder / "pytorch_model.bin")
    loaded = load_torch([folder / "pytorch_model.bin"])
    for name in transposed:  # the file really holds the odd layouts
        assert loaded[name].stride() == (1, loaded[name].shape[0]), name
    for name in offset_views:
        assert loaded[name].storage_offset() > 0, name
    finish_format(folder, weights, loaded, config, batches)

    check_format_goldens(root, FIXTURES / "models" / "xxlarge-toy")
    for folder in sorted(root.iterdir()):
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"  formats/{folder.name}: {size} bytes")


# ---------------------------------------------------------------------------------------------
# Hostile files. Built with pickle/zipfile only; nothing here is ever unpickled.
# ---------------------------------------------------------------------------------------------


class _Call:
    """Pickles as `func(*args)`: the shape of every pickle exploit."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def globals_named(data: bytes) -> list:
    """The GLOBAL opcodes of a pickle, read with pickletools (which never executes anything)."""
    return [arg for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"]


def make_hostile():
    folder = fresh_dir(FIXTURES / "hostile")

    # os.system pickles as GLOBAL 'posix system' on Linux and macOS (its __module__ is 'posix'),
    # exactly as in malicious checkpoints found in the wild.
    payload = pickle.dumps(_Call(os.system, ("echo pwned",)), protocol=2)
    with zipfile.ZipFile(folder / "os-system.bin", "w", zipfile.ZIP_STORED) as z:
        for name, data in [("archive/data.pkl", payload), ("archive/byteorder", b"little"),
                           ("archive/data/0", struct.pack("<4f", 0, 1, 2, 3)), ("archive/version", b"3\n")]:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)

    # Legacy layout: magic, protocol 1001, sys_info, then the object pickle. fix_imports=False
    # keeps the Python 3 names: protocol 2 would otherwise write '__builtin__ eval' and
    # 'commands Popen' (the Python 2 spellings).
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    evil = pickle.dumps(_Call(eval, ("__import__('os').system('echo pwned')",)), protocol=2, fix_imports=False)
    legacy = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, sys_info))
    (folder / "builtins-eval-legacy.bin").write_bytes(legacy + evil + pickle.dumps([], protocol=2))

    popen = pickle.dumps(_Call(subprocess.Popen, (["echo", "pwned"],)), protocol=2, fix_imports=False)
    (folder / "subprocess-global.pkl").write_bytes(popen)

    for name, data in [("os-system.bin", payload), ("builtins-eval-legacy.bin", evil),
                       ("subprocess-global.pkl", popen)]:
        print(f"  hostile/{name}: GLOBAL {globals_named(data)}")
    assert globals_named(payload) == ["posix system"]
    assert globals_named(evil) == ["builtins eval"]
    assert globals_named(popen) == ["subprocess Popen"]


# ---------------------------------------------------------------------------------------------
# examples/tiny-nli: the quick-start checkpoint (xxlarge-toy shape, fp16 torch zip).
# ---------------------------------------------------------------------------------------------


def make_example():
    for stale in ("pytorch_model.bin", "config.json", "input.json", "golden.json"):
        (EXAMPLE / stale).unlink(missing_ok=True)
    write_config(EXAMPLE, XXLARGE_TOY)
    model = build_model(EXAMPLE, seed_of("tiny-nli"))
    save_torch({k: v.half() for k, v in state_dict_of(model).items()}, EXAMPLE / "pytorch_model.bin")

    # The golden comes from the fp16 file itself, upcast into an fp32 model, so fp16 rounding
    # of the weights is part of the expected output.
    reloaded = model_from_stored(EXAMPLE, load_torch([EXAMPLE / "pytorch_model.bin"]))

    gen = torch.Generator().manual_seed(seed_of("tiny-nli-input"))
    ids = torch.zeros(2, 16, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, n in enumerate([16, 11]):
        ids[row, :n] = torch.randint(4, model.config.vocab_size, (n,), generator=gen)
        ids[row, 0], ids[row, n - 1] = 1, 2
        mask[row, :n] = 1
    batch = {"name": "input", "input_ids": ids, "attention_mask": mask}
    write_json(EXAMPLE / "input.json", {"input_ids": ids.tolist(), "attention_mask": mask.tolist()})
    goldens = run_golden(reloaded, [batch])
    write_json(EXAMPLE / "golden.json", golden_document("tiny-nli", reloaded, [batch], goldens))
    print(f"  tiny-nli logits: {goldens[0]['logits']}")


def check_bucketing_rule():
    """DEBERTA.md's closed form for the log buckets, against HF, for our configs and the flagship."""
    for buckets, max_position in [(8, 64), (8, 32), (256, 512)]:
        r = torch.arange(-2 * max_position, 2 * max_position + 1)
        mid = buckets // 2
        a = r.abs().float()
        log_part = torch.ceil(torch.log(a / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
        ours = torch.where(r.abs() <= mid, r, (torch.sign(r) * log_part).long())
        assert torch.equal(ours, make_log_bucket_position(r, buckets, max_position).long())


def main():
    torch.set_num_threads(1)  # thread count can change float summation order
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, safetensors {safetensors.__version__}")
    check_bucketing_rule()
    print("models:")
    weights = {name: make_model_fixture(name, config) for name, config in VARIANTS.items()}
    print("formats (xxlarge-toy weights):")
    make_formats(XXLARGE_TOY, weights["xxlarge-toy"], fixture_batches("xxlarge-toy"))
    print("hostile:")
    make_hostile()
    print("example:")
    make_example()


if __name__ == "__main__":
    sys.exit(main())
