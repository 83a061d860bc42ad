#!/usr/bin/env python3
"""Generate debertac's byte-level BPE (DeBERTa v1) tokenizer fixtures and their goldens.

    nice -n 19 python3 scripts/make_bpe_tokenizer_fixtures.py      # about a minute on one core

Needs transformers 5 (its `DebertaTokenizer` is the oracle; run with the system python3, not the
transformers-4 venv of make_tokenizer_fixtures.py) and tokenizers. Writes three folders into
Tests/Fixtures/tokenizers/ next to the SentencePiece ones (make_tokenizer_fixtures.py leaves
`bpe-*` folders alone) and bpe-manifest.json:

  bpe-1k          vocab.json + merges.txt, ~1,000 tokens, [MASK] missing from the vocabulary
                  (transformers adds it at len(vocab)), no tokenizer_config.json
  bpe-prefix-3k   vocab.json + merges.txt, ~3,000 tokens, tokenizer_config.json with
                  add_prefix_space true and [MASK] in the vocabulary at the last id
                  (as microsoft/deberta-base: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3, [MASK] last)
  bpe-tokjson     tokenizer.json only (ByteLevelBPETokenizer.save, plus an added token <extra> at
                  len(vocab)), ~600 tokens: DebertaTokenizer takes the model's vocab and merges and
                  the added_tokens from it (not its pre-tokenizer or post-processor)

Vocabularies are trained here with the tokenizers library's ByteLevelBPETokenizer on the corpus of
make_tokenizer_fixtures.py (template English, multilingual lines, licences, stdlib docstrings) plus
the hard texts; specials [PAD] [CLS] [SEP] [UNK] get ids 0-3. Every case is
`DebertaTokenizer.from_pretrained(folder)(text, text_pair, truncation=True, max_length=N)`.
"""

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_texts as T  # noqa: E402
from make_tokenizer_fixtures import (DEGENERATE, OUT, SEED, SWEEP_PAIRS, SWEEP_SINGLES,  # noqa: E402
                                     base_cases, build_corpus, corpus_sha256)

SPECIALS = ["[PAD]", "[CLS]", "[SEP]", "[UNK]"]

FIXTURES = [
    {"name": "bpe-1k", "vocab_size": 1000, "files": "vocab", "mask_in_vocab": False, "config": None,
     "what": "vocab.json + merges.txt, [MASK] not in the vocabulary (added at len(vocab)), no tokenizer_config.json"},
    {"name": "bpe-prefix-3k", "vocab_size": 3000, "files": "vocab", "mask_in_vocab": True,
     "config": {"add_prefix_space": True, "model_max_length": 512},
     "what": "vocab.json + merges.txt + tokenizer_config.json: add_prefix_space, [MASK] at the last vocabulary id"},
    {"name": "bpe-tokjson", "vocab_size": 600, "files": "tokenizer.json", "mask_in_vocab": False, "config": None,
     "what": "tokenizer.json only (ByteLevelBPETokenizer.save, plus an added token <extra>): DebertaTokenizer reads its model's vocab, merges and added_tokens"},
]

PAIR_SPECIALS = 4  # [CLS] A [SEP] [SEP] B [SEP]


def train(lines, spec, folder):
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(lines, vocab_size=spec["vocab_size"], min_frequency=2, special_tokens=SPECIALS,
                            show_progress=False)
    if spec["files"] == "tokenizer.json":
        tok.save(str(folder / "tokenizer.json"))
        # An added token beyond the vocabulary: DebertaTokenizer keeps the file's added_tokens
        # (it splits "<extra>" out and gives [MASK] the next id).
        j = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        j["added_tokens"].append({"id": len(j["model"]["vocab"]), "content": "<extra>", "single_word": False,
                                  "lstrip": False, "rstrip": False, "normalized": False, "special": True})
        (folder / "tokenizer.json").write_text(json.dumps(j, ensure_ascii=False), encoding="utf-8")
        return
    tok.save_model(str(folder))
    if spec["mask_in_vocab"]:
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        vocab["[MASK]"] = len(vocab)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    if spec["config"] is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(spec["config"], indent=2) + "\n", encoding="utf-8")


class Reference:
    def __init__(self, folder):
        from transformers import DebertaTokenizer

        self.tok = DebertaTokenizer.from_pretrained(str(folder))

    def encode(self, text, pair, max_length):
        if max_length is None:
            enc = self.tok(text, pair)
        else:
            enc = self.tok(text, pair, truncation=True, max_length=max_length)
        return {"input_ids": list(enc["input_ids"]), "token_type_ids": list(enc["token_type_ids"])}


def run_cases(ref, cases):
    out = []
    for label, text, pair, ml in cases:
        d = {"label": label, "text": text, "text_pair": pair, "max_length": ml}
        d.update(ref.encode(text, pair, ml))
        out.append(d)
    return out


def sweep_cases(ref):
    cases = []
    for text in SWEEP_SINGLES:
        n = len(ref.encode(text, None, None)["input_ids"])
        cases += [("sweep-single", text, None, ml) for ml in range(3, n + 3)]
    for a, b in SWEEP_PAIRS:
        n = len(ref.encode(a, b, None)["input_ids"])
        cases += [("sweep-pair", a, b, ml) for ml in range(PAIR_SPECIALS, n + 3)]
    return cases


def extra_cases():
    """Byte-level specifics: contractions, digits, space runs before words, the prefix space."""
    texts = ["I'm sure they'll say it's 'fine'", "don't DON'T 'S 's 're've", "  two  spaces\t\ttabs\n\nnewlines  ",
             "x  ", "   ", "1234567 12,345.67 ½ ⅔ ٣٤ 𝟙𝟚", "hello[MASK]world [MASK] x [CLS]y", " leading space",
             "naïve café ﬁ Ωmega", "\u00a0nbsp\u2003em\u3000ideo", "a\u0085b\u2028c", "😀😀 👍🏽 🇫🇷", "[MASK]", " [MASK] ",
             "[UNK] [PAD][SEP]", "a<extra>b <extra> <extra", "e\u0301 \u0301", "Ġ Ċ ĉ", "\x01\x02\x7f", "?!?! ... ---- ''''"]
    return [("bpe-extra", t, None, 512) for t in texts] + [("bpe-extra-pair", t, texts[-1 - i], 64)
                                                           for i, t in enumerate(texts)]


def dump_golden(path, reference, versions, cases, degenerate):
    lines = ["{", '  "reference": %s,' % json.dumps(reference, ensure_ascii=False),
             '  "versions": %s,' % json.dumps(versions, sort_keys=True),
             '  "pair_specials": %d,' % PAIR_SPECIALS, '  "cases": [',
             ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in cases), "  ],",
             '  "degenerate_cases": [', ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in degenerate),
             "  ],", '  "invalid_utf8": %s' % json.dumps(T.INVALID_UTF8), "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    import tokenizers
    import transformers
    from transformers.utils import logging

    logging.set_verbosity_error()
    versions = {"python": sys.version.split()[0], "transformers": transformers.__version__,
                "tokenizers": tokenizers.__version__}
    if not transformers.__version__.startswith("5."):
        raise SystemExit("needs transformers 5 (found %s)" % transformers.__version__)
    lines = build_corpus() + [t for _, t in T.HARD_TEXTS]
    manifest = {"generator": "scripts/make_bpe_tokenizer_fixtures.py", "versions": versions,
                "corpus": {"lines": len(lines), "sha256": corpus_sha256(lines)}, "fixtures": {}}
    reference = ("transformers %s DebertaTokenizer.from_pretrained(folder)(text, text_pair, truncation=True, "
                 "max_length=N) (tokenizers %s)" % (transformers.__version__, tokenizers.__version__))
    for idx, spec in enumerate(FIXTURES):
        folder = OUT / spec["name"]
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        train(lines, spec, folder)
        ref = Reference(folder)
        cases = base_cases(200 + idx) + sweep_cases(ref) + extra_cases()
        # max_length below the 4 specials of a pair is degenerate (debertac refuses it).
        good = [c for c in cases if c[3] >= (2 if c[2] is None or c[2] == "" else PAIR_SPECIALS)]
        degenerate = [c for c in cases if c not in good] + DEGENERATE
        results = run_cases(ref, good)
        for r in results:
            if len(r["input_ids"]) > r["max_length"]:
                raise SystemExit("oracle overflowed max_length on %r in %s" % (r["label"], spec["name"]))
        dump_golden(folder / "golden.json", reference, versions, results, run_cases(ref, degenerate))
        files = sorted(p.name for p in folder.iterdir())
        manifest["fixtures"][spec["name"]] = {
            "what": spec["what"], "files": files, "vocab_size": spec["vocab_size"],
            "mask_id": ref.tok.mask_token_id, "cases": len(results),
            "sha256": {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in files if f != "golden.json"},
        }
        print("%-16s %5d cases  %s" % (spec["name"], len(results), ", ".join(files)))
    (OUT / "bpe-manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
