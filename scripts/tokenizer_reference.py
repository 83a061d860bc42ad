#!/usr/bin/env python3
"""Reference (oracle) encoder for debertac's SentencePiece tokenizer.

    python3 scripts/tokenizer_reference.py FOLDER CASES.json [--out OUT.json]
    python3 scripts/tokenizer_reference.py --debertac-format FOLDER INPUT.json

FOLDER is a DeBERTa-v2/v3 tokenizer folder: either `spm.model` (+ optional `tokenizer_config.json`)
or only `tokenizer.json`. CASES.json is a JSON list of {"text": str, "text_pair": str|null,
"max_length": int}. Prints (or writes) {"reference": ..., "results": [{"input_ids": [...],
"token_type_ids": [...]}, ...]}, one result per case, in order.

--debertac-format mimics `debertac tokenize FOLDER --input INPUT.json`: INPUT is {"text": [...],
"text_pair": [...] (optional; entries may be null), "max_length": N}; output is {"input_ids": [[...]],
"token_type_ids": [[...]], "attention_mask": [[...]]}, rows right-padded with the [PAD] id (type 0,
mask 0) to the longest row. check_tokenizer.py can run it as a stand-in for debertac.

The oracle is what debertac must match:

* folder with `spm.model`: transformers 4.x's *slow* `DebertaV2Tokenizer` (sentencepiece-based),
  loaded with `DebertaV2Tokenizer.from_pretrained(FOLDER)` so tokenizer_config.json
  (do_lower_case, split_by_punct, added_tokens_decoder, ...) is honoured, called as
  `tok(text, text_pair, truncation=True, max_length=N)` (longest_first, right side).
* folder with only `tokenizer.json`: the `tokenizers` library's reading of that file
  (`Tokenizer.from_file`, `enable_truncation(N, strategy="longest_first")`, the file's
  post-processor adds [CLS]/[SEP]), i.e. what a fast tokenizer loaded from it does.

transformers >= 5 has no slow DebertaV2Tokenizer, so this module needs transformers < 5. When
imported or run under an interpreter without it, `ensure_reference_python()` re-executes the
script with /tmp/venv-tf4/bin/python, creating that venv first if it is missing:

    python3 -m venv /tmp/venv-tf4 && /tmp/venv-tf4/bin/pip install 'transformers<5' sentencepiece protobuf

(no torch needed; the fixtures were made with transformers 4.57.6, sentencepiece 0.2.3,
tokenizers 0.22.2, protobuf 7.36.2).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

VENV = Path(os.environ.get("DEBERTAC_TF4_VENV", "/tmp/venv-tf4"))
VENV_PY = VENV / "bin" / "python"
PIP_REQS = ["transformers<5", "sentencepiece", "protobuf"]


def _have_reference_stack():
    try:
        import transformers  # noqa: F401
        import sentencepiece  # noqa: F401
        import tokenizers  # noqa: F401
        import google.protobuf  # noqa: F401
    except Exception:
        return False
    return int(transformers.__version__.split(".")[0]) < 5


def ensure_reference_python():
    """Re-exec the running script under the transformers<5 venv unless we already have it."""
    if _have_reference_stack():
        return
    if os.environ.get("DEBERTAC_TF4_REEXEC"):
        sys.exit("tokenizer_reference: %s does not provide transformers<5 + sentencepiece + tokenizers" % VENV_PY)
    if not VENV_PY.exists():
        print("tokenizer_reference: creating %s (transformers<5, sentencepiece, protobuf)" % VENV, file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(VENV_PY), "-m", "pip", "install", "-q"] + PIP_REQS)
    env = dict(os.environ, DEBERTAC_TF4_REEXEC="1")
    os.execve(str(VENV_PY), [str(VENV_PY)] + sys.argv, env)


def _quiet_transformers():
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import warnings

    warnings.filterwarnings("ignore")
    import transformers

    # truncate_sequences reports impossible single-sequence truncations with logger.error
    transformers.logging.set_verbosity(transformers.logging.CRITICAL)


def versions():
    import google.protobuf
    import sentencepiece
    import tokenizers
    import transformers

    return {
        "python": sys.version.split()[0],
        "transformers": transformers.__version__,
        "sentencepiece": sentencepiece.__version__,
        "tokenizers": tokenizers.__version__,
        "protobuf": google.protobuf.__version__,
    }


class SlowReference:
    """transformers 4.x slow DebertaV2Tokenizer over spm.model (+ tokenizer_config.json)."""

    kind = "slow"

    def __init__(self, folder):
        _quiet_transformers()
        from transformers import DebertaV2Tokenizer

        self.folder = Path(folder)
        self.tok = DebertaV2Tokenizer.from_pretrained(str(self.folder))
        v = versions()
        self.reference = (
            "transformers %s slow DebertaV2Tokenizer.from_pretrained(folder) (sentencepiece %s, protobuf %s, "
            "python %s); tok(text, text_pair, truncation=True, max_length=N): longest_first, right truncation, "
            "[CLS] A [SEP] (B [SEP])" % (v["transformers"], v["sentencepiece"], v["protobuf"], v["python"])
        )

    def encode(self, text, text_pair=None, max_length=None):
        enc = self.tok(text, text_pair, truncation=True, max_length=max_length)
        return {"input_ids": list(enc["input_ids"]), "token_type_ids": list(enc["token_type_ids"])}

    @property
    def pad_id(self):
        return self.tok.pad_token_id


class JsonReference:
    """The `tokenizers` library's reading of a tokenizer.json (normalizer, pre-tokenizer, model, post-processor)."""

    kind = "tokenizer.json"

    def __init__(self, folder):
        import tokenizers
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.path = self.folder / "tokenizer.json"
        self.tok = Tokenizer.from_file(str(self.path))
        self.tok.no_padding()
        self.reference = (
            "tokenizers %s Tokenizer.from_file(tokenizer.json) with enable_truncation(N, strategy='longest_first', "
            "direction='right'), encode(text, text_pair, add_special_tokens=True) using the file's post_processor; "
            "python %s" % (tokenizers.__version__, sys.version.split()[0])
        )

    def encode(self, text, text_pair=None, max_length=None):
        if max_length is None:
            self.tok.no_truncation()
        else:
            self.tok.enable_truncation(max_length, strategy="longest_first", direction="right")
        enc = self.tok.encode(text, text_pair, add_special_tokens=True)
        return {"input_ids": list(enc.ids), "token_type_ids": list(enc.type_ids)}

    @property
    def pad_id(self):
        return self.tok.token_to_id("[PAD]")


def load(folder):
    folder = Path(folder)
    if (folder / "spm.model").exists():
        return SlowReference(folder)
    if (folder / "tokenizer.json").exists():
        return JsonReference(folder)
    raise FileNotFoundError("%s has neither spm.model nor tokenizer.json" % folder)


def encode_cases(folder, cases):
    ref = load(folder)
    out = []
    for c in cases:
        try:
            out.append(ref.encode(c["text"], c.get("text_pair"), c.get("max_length")))
        except Exception as e:  # the tokenizers library refuses some max_length values
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    return ref, out


def debertac_format(folder, input_path):
    with open(input_path, encoding="utf-8") as f:
        req = json.load(f)
    texts = req["text"]
    pairs = req.get("text_pair") or [None] * len(texts)
    ref = load(folder)
    rows = [ref.encode(t, p, req.get("max_length")) for t, p in zip(texts, pairs)]
    width = max((len(r["input_ids"]) for r in rows), default=0)
    pad = ref.pad_id
    out = {"input_ids": [], "token_type_ids": [], "attention_mask": []}
    for r in rows:
        n = len(r["input_ids"])
        out["input_ids"].append(r["input_ids"] + [pad] * (width - n))
        out["token_type_ids"].append(r["token_type_ids"] + [0] * (width - n))
        out["attention_mask"].append([1] * n + [0] * (width - n))
    return out


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("cases", help="JSON list of {text, text_pair, max_length}")
    ap.add_argument("--out", help="write here instead of stdout")
    ap.add_argument("--debertac-format", action="store_true",
                    help="CASES is a debertac tokenize --input file; print debertac's output format")
    args = ap.parse_args(argv)
    if args.debertac_format:
        sys.stdout.write(json.dumps(debertac_format(args.folder, args.cases)) + "\n")
        return
    with open(args.cases, encoding="utf-8") as f:
        cases = json.load(f)
    ref, results = encode_cases(args.folder, cases)
    doc = {"reference": ref.reference, "results": results}
    text = json.dumps(doc, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    ensure_reference_python()
    main()
