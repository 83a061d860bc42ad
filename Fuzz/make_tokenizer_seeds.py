#!/usr/bin/env python3
"""Writes the seeds and dictionaries of the tokenizer fuzz targets (docs/security.md).

    python3 Fuzz/make_tokenizer_seeds.py        # a few seconds

Fuzz/seeds/spm-model/*.model: tiny SentencePiece unigram models (about 50 pieces) trained here on
a built-in corpus, one per reader path: identity normalization, a small hand-written charsmap
(normalization_rule_tsv), byte fallback, user-defined and control symbols, whitespace flags.
Fuzz/seeds/tokenizer-json/*.json: the same models as transformers' DebertaV2Converter writes them
(tokenizer.json), plus hand-made variants (legacy Metaspace, BertProcessing, null normalizer, byte
fallback, punctuation). Fuzz/dict/<target>.dict: the readers' keywords.

Needs sentencepiece; the tokenizer.json seeds need transformers < 5 with tokenizers (the script
re-executes itself under scripts/tokenizer_reference.py's venv, /tmp/venv-tf4). The output is
committed, so fuzzing needs no Python.
"""

import copy
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import tokenizer_reference  # noqa: E402

SEEDS = ROOT / "Fuzz" / "seeds"
DICTS = ROOT / "Fuzz" / "dict"

CORPUS = [
    "the cat sat on the mat.", "A dog ran to the park!", "Is it raining today?", "no, it is sunny",
    "ÉCOLE café naïve", "the end of the story", "cats and dogs and birds", "42 is the answer",
]

COMMON = dict(model_type="unigram", num_threads=1, pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]",
              eos_id=2, eos_piece="[SEP]", unk_id=3, unk_piece="[UNK]", hard_vocab_limit=False,
              minloglevel=2, seed_sentencepiece_size=1000)

MODELS = {
    "identity": dict(vocab_size=48, normalization_rule_name="identity"),
    "charsmap": dict(vocab_size=48, normalization_rule_tsv="RULES"),
    "bytefb": dict(vocab_size=300, normalization_rule_name="identity", byte_fallback=True),
    "userdef": dict(vocab_size=50, normalization_rule_name="identity", user_defined_symbols=["<url>", "[MASK]"],
                    control_symbols=["<ctl>"]),
    "rawws": dict(vocab_size=48, normalization_rule_name="identity", add_dummy_prefix=False,
                  remove_extra_whitespaces=False),
    "suffix": dict(vocab_size=48, normalization_rule_name="identity", treat_whitespace_as_suffix=True),
}

# A small charsmap: fullwidth letters and a ligature to ASCII, a tab to a space, a deletion.
RULES = "\n".join([
    "FF21\t41", "FF41\t61", "FB01\t66 69", "9\t20", "200B\t", "41 301\tC1",
]) + "\n"


def train(options):
    import sentencepiece as spm

    writer = io.BytesIO()
    opts = dict(COMMON)
    opts.update(options)
    with tempfile.TemporaryDirectory() as tmp:
        if opts.get("normalization_rule_tsv") == "RULES":
            path = Path(tmp) / "rules.tsv"
            path.write_text(RULES, encoding="utf-8")
            opts["normalization_rule_tsv"] = str(path)
        spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS * 4), model_writer=writer, **opts)
    return writer.getvalue()


def convert(model_bytes, **flags):
    """tokenizer.json as DebertaV2TokenizerFast.save_pretrained writes it for this spm.model."""
    from transformers import DebertaV2TokenizerFast

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "src", Path(tmp) / "dst"
        src.mkdir()
        (src / "spm.model").write_bytes(model_bytes)
        (src / "tokenizer_config.json").write_text(json.dumps(dict(flags, vocab_type="spm", tokenizer_class="DebertaV2Tokenizer")), encoding="utf-8")
        fast = DebertaV2TokenizerFast.from_pretrained(str(src))
        fast.save_pretrained(str(dst))
        return json.loads((dst / "tokenizer.json").read_text(encoding="utf-8"))


def dict_entry(data):
    """A libFuzzer dictionary entry: printable ASCII as is, other bytes as \\xNN."""
    out = []
    for b in data:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\x%02X" % b)
    return '"' + "".join(out) + '"'


def write_json(path, doc):
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def main():
    spm_dir, json_dir = SEEDS / "spm-model", SEEDS / "tokenizer-json"
    for folder in (spm_dir, json_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    models = {}
    for name, options in MODELS.items():
        models[name] = train(options)
        (spm_dir / (name + ".model")).write_bytes(models[name])

    identity = convert(models["identity"])
    write_json(json_dir / "identity.json", identity)
    write_json(json_dir / "charsmap-lower-punct.json", convert(models["charsmap"], do_lower_case=True, split_by_punct=True))
    write_json(json_dir / "userdef.json", convert(models["userdef"]))

    legacy = copy.deepcopy(identity)
    legacy["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    legacy["normalizer"] = None
    legacy["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]}
    legacy["padding"] = {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                         "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
    write_json(json_dir / "legacy-metaspace-bert.json", legacy)

    bytefb = convert(models["bytefb"])
    bytefb["model"]["byte_fallback"] = True
    bytefb["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False}]}
    write_json(json_dir / "bytefb-never.json", bytefb)

    # Tags of ModelProto fields (pieces, trainer_spec, normalizer_spec, score, type = 1..6,
    # byte_fallback, unk_id, unk_piece, pad_id, add_dummy_prefix, remove_extra_whitespaces), a NaN
    # score, a 5-byte varint, and piece names.
    spm_words = [bytes([0x0A]), bytes([0x12]), bytes([0x1A]), bytes([0x15])] + [bytes([0x18, t]) for t in range(1, 7)] + [
        bytes([0x98, 0x02, 0x01]), bytes([0xC0, 0x02]), bytes([0xEA, 0x02]), bytes([0xD8, 0x02]), bytes([0x18, 0x00]),
        bytes([0x20, 0x00]), bytes([0x00, 0x00, 0xC0, 0x7F]), bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        b"[UNK]", b"[CLS]", b"[SEP]", b"[PAD]", b"<0x41>", b"<0xFF>", "\u2581".encode()]
    json_words = ["Unigram", "BPE", "vocab", "unk_id", "byte_fallback", "added_tokens", "content", "special", "lstrip",
                  "rstrip", "single_word", "normalized", "normalizer", "normalizers", "Sequence", "Precompiled",
                  "precompiled_charsmap", "Lowercase", "Strip", "strip_left", "strip_right", "Replace", "pattern",
                  "Regex", " {2,}", "NFKC", "pre_tokenizer", "pretokenizers", "Metaspace", "replacement", "\u2581",
                  "prepend_scheme", "always", "first", "never", "add_prefix_space", "split", "Punctuation", "behavior",
                  "Isolated", "WhitespaceSplit", "post_processor", "TemplateProcessing", "BertProcessing", "single",
                  "pair", "SpecialToken", "type_id", "special_tokens", "ids", "tokens", "padding", "pad_id",
                  "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "<0x41>", "type", "id", "null", "true", "false"]
    (DICTS / "spm-model.dict").write_text(
        "# Written by Fuzz/make_tokenizer_seeds.py: protobuf tags of ModelProto fields and piece names.\n"
        + "\n".join(dict_entry(w) for w in spm_words) + "\n", encoding="utf-8")
    (DICTS / "tokenizer-json.dict").write_text(
        "# Written by Fuzz/make_tokenizer_seeds.py: keywords of the tokenizer.json reader.\n"
        + "\n".join(dict_entry(w.encode("utf-8")) for w in json_words) + "\n", encoding="utf-8")
    for folder in (spm_dir, json_dir):
        for path in sorted(folder.iterdir()):
            print("%-50s %7d bytes" % (path.relative_to(ROOT), path.stat().st_size))


if __name__ == "__main__":
    tokenizer_reference.ensure_reference_python()
    main()
