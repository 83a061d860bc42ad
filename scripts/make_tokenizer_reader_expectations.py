#!/usr/bin/env python3
"""What the reference libraries read from each tokenizer fixture, for the Swift readers' tests.

    python3 scripts/make_tokenizer_reader_expectations.py     # a few seconds

For every folder of Tests/Fixtures/tokenizers/ (scripts/make_tokenizer_fixtures.py makes them) it
writes Tests/Fixtures/tokenizer-readers/<name>.json:

- spm.model folders: the sentencepiece package's ModelProto (piece count, types, sample pieces and
  scores, normalizer and trainer flags, charsmap size) and transformers' slow DebertaV2Tokenizer
  (4.x) for what it adds: every added token with its id and lstrip/rstrip/single_word, and the
  [CLS]/[SEP]/[PAD] ids, do_lower_case, split_by_punct and model_max_length;
- tokenizer.json folders: the `tokenizers` library's reading (vocabulary size, added tokens, the
  post-processor's [CLS]/[SEP] ids, the [PAD] id) plus the file's own Unigram fields.

Needs transformers < 5 with sentencepiece and tokenizers: like the fixture script it re-executes
itself under scripts/tokenizer_reference.py's venv (/tmp/venv-tf4). The Swift tests read only the
JSON files; they never run Python.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_reference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "tokenizers"
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer-readers"


def sample_ids(n):
    ids = set(range(min(n, 12))) | set(range(max(0, n - 4), n)) | set(range(0, n, max(1, n // 40)))
    return sorted(ids)


def utf8_key(text):
    return text.encode("utf-8")


def added_tokens(decoder, encoder):
    """[(content, id, lstrip, rstrip, single_word)] sorted by UTF-8 bytes, as TokenizerModel keeps them."""
    rows = []
    for content, idx in encoder.items():
        if content == "":
            continue
        tok = decoder.get(idx)
        flags = (tok.lstrip, tok.rstrip, tok.single_word) if tok is not None and tok.content == content else (False,) * 3
        rows.append([content, idx, *flags])
    return sorted(rows, key=lambda r: utf8_key(r[0]))


def json_added_tokens(tok, decoder, encoder):
    """added_tokens() plus a sixth column, `normalized`: such a token is matched in the normalized
    text, so its content is given as the file's normalizer writes it (AddedVocabulary normalizes it
    too); sorted by UTF-8 bytes, raw before normalized."""
    rows = []
    for row in added_tokens(decoder, encoder):
        t = decoder.get(row[1])
        normalized = bool(t is not None and t.normalized)
        if normalized and tok.normalizer is not None:
            row[0] = tok.normalizer.normalize_str(row[0])
        rows.append(row + [normalized])
    return sorted(rows, key=lambda r: (utf8_key(r[0]), r[5]))


def spm_expectations(folder):
    import sentencepiece.sentencepiece_model_pb2 as pb
    from transformers import DebertaV2Tokenizer

    proto = pb.ModelProto()
    proto.ParseFromString((folder / "spm.model").read_bytes())
    pieces = proto.pieces
    counts = {}
    for p in pieces:
        counts[str(p.type)] = counts.get(str(p.type), 0) + 1
    tok = DebertaV2Tokenizer.from_pretrained(str(folder))
    max_len = tok.model_max_length
    return {
        "format": "spm.model",
        "pieces": len(pieces),
        "unk_id": next(i for i, p in enumerate(pieces) if p.type == 2),
        "type_counts": counts,
        "sample": [[i, pieces[i].piece, pieces[i].score, pieces[i].type] for i in sample_ids(len(pieces))],
        "byte_fallback": proto.trainer_spec.byte_fallback,
        "treat_whitespace_as_suffix": proto.trainer_spec.treat_whitespace_as_suffix,
        "add_dummy_prefix": proto.normalizer_spec.add_dummy_prefix,
        "remove_extra_whitespaces": proto.normalizer_spec.remove_extra_whitespaces,
        "escape_whitespaces": proto.normalizer_spec.escape_whitespaces,
        "charsmap_bytes": len(proto.normalizer_spec.precompiled_charsmap),
        "do_lower_case": bool(tok.do_lower_case),
        "split_by_punct": bool(tok.split_by_punct),
        "cls_id": tok.cls_token_id,
        "sep_id": tok.sep_token_id,
        "pad_id": tok.pad_token_id,
        "model_max_length": max_len if 0 < max_len <= 2**31 - 1 else None,
        "special_tokens": added_tokens(tok._added_tokens_decoder, tok._added_tokens_encoder),
    }


def json_expectations(folder):
    import base64

    from tokenizers import Tokenizer

    doc = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    model = doc["model"]
    vocab = model["vocab"]
    decoder = tok.get_added_tokens_decoder()
    encoder = {t.content: i for i, t in decoder.items()}
    special = doc["post_processor"]["special_tokens"]
    charsmap = 0
    for n in doc["normalizer"].get("normalizers", [doc["normalizer"]]):
        if n.get("type") == "Precompiled":
            charsmap = len(base64.b64decode(n["precompiled_charsmap"]))
    return {
        "format": "tokenizer.json",
        "pieces": tok.get_vocab_size(with_added_tokens=False),
        "unk_id": model["unk_id"],
        "sample": [[i, vocab[i][0], vocab[i][1]] for i in sample_ids(len(vocab))],
        "byte_fallback": model.get("byte_fallback", False),
        "charsmap_bytes": charsmap,
        "cls_id": special["[CLS]"]["ids"][0],
        "sep_id": special["[SEP]"]["ids"][0],
        "pad_id": tok.token_to_id("[PAD]"),
        "special_tokens": json_added_tokens(tok, decoder, encoder),
        "special_flags": {t.content: bool(t.special) for t in decoder.values()},
    }


def dumps(doc):
    """JSON with one top-level member per line and one list row per line."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            rows = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in value)
            text = "[\n" + rows + "\n ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        lines.append(" %s: %s" % (json.dumps(key), text))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("*.json"):
        stale.unlink()
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        if (folder / "spm.model").exists():
            doc = spm_expectations(folder)
        elif (folder / "tokenizer.json").exists():
            doc = json_expectations(folder)
        else:
            continue
        doc["generator"] = "scripts/make_tokenizer_reader_expectations.py"
        doc["versions"] = tokenizer_reference.versions()
        (OUT / (folder.name + ".json")).write_text(dumps(doc), encoding="utf-8")
        print("%-28s %6d pieces, %d special tokens" % (folder.name, doc["pieces"], len(doc["special_tokens"])))


if __name__ == "__main__":
    tokenizer_reference.ensure_reference_python()
    main()
