#!/usr/bin/env python3
"""Compare debertac's compiled tokenizer with the reference tokenizer on random (or given) texts.

    python3 scripts/check_tokenizer.py FOLDER [--seed 1] [--n 500] \\
        [--cmd 'debertac tokenize {folder} --input {input}'] [--golden] [--cases CASES.json] \\
        [--invalid-utf8] [--show 5]

FOLDER is a tokenizer folder (spm.model [+ tokenizer_config.json], or tokenizer.json only, or a DeBERTa v1
byte-level BPE folder: vocab.json + merges.txt [+ tokenizer_config.json], or a BPE tokenizer.json). The
texts come from a seeded generator (scripts/tokenizer_texts.py) that mixes whitespace runs, control
and zero-width characters, NFKC-sensitive characters, combining marks, many scripts, emoji
sequences, private-use and other random code points from ~50 Unicode blocks, literal special
tokens, digits and punctuation, with random max_length (>= 3) and half of them pairs.
--golden adds the cases of FOLDER/golden.json, --cases a JSON list of {text, text_pair, max_length}.

The reference is scripts/tokenizer_reference.py (transformers<5 slow DebertaV2Tokenizer, or the
tokenizers library for tokenizer.json-only folders); this script re-runs itself under
/tmp/venv-tf4 for that, creating the venv if needed. For a byte-level BPE folder the reference is
the installed transformers 5's DebertaTokenizer.from_pretrained(FOLDER) (no venv); pairs whose
max_length is below its 4 special tokens are skipped (debertac refuses them).

The command is run once per (single|pair, max_length) group. {folder} and {input} are replaced
(the input path is appended if {input} is absent). The input file is
{"text": [...], "text_pair": [...], "max_length": N} ("text_pair" only for pair groups); the
command must print {"input_ids": [[...]], "token_type_ids": [[...]], "attention_mask": [[...]]},
rows right-padded with the [PAD] id to the longest row. A row passes when its unpadded ids and
token types equal the reference, its mask is 1...1 0...0 with as many ones as reference tokens,
padding uses the [PAD] id, and the row width is the longest row of the group.

--invalid-utf8 also writes one input file per invalid UTF-8 byte string of tokenizer_texts.py
(raw bytes inside the JSON string) and expects the command to exit non-zero.

To try the script without debertac, use the reference itself as the command:
    --cmd 'python3 scripts/tokenizer_reference.py --debertac-format {folder} {input}'

Ends with 'N passed, M failed' and exits 1 if anything failed.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_reference  # noqa: E402
import tokenizer_texts  # noqa: E402

DEFAULT_CMD = "debertac tokenize {folder} --input {input}"


def build_command(template, folder, input_path):
    args = shlex.split(template)
    has_input = any("{input}" in a for a in args)
    args = [a.replace("{folder}", str(folder)).replace("{input}", str(input_path)) for a in args]
    if not has_input:
        args.append(str(input_path))
    return args


def is_bpe_folder(folder):
    """vocab.json + merges.txt, or a tokenizer.json whose model is BPE (and no spm.model)."""
    if (folder / "spm.model").exists():
        return False
    if (folder / "tokenizer.json").exists():
        model = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8")).get("model", {})
        return model.get("type") == "BPE"
    return (folder / "vocab.json").exists()


class BPEReference:
    """transformers 5's DebertaTokenizer (DeBERTa v1) on a byte-level BPE folder."""

    def __init__(self, folder):
        import tokenizers
        import transformers
        from transformers import DebertaTokenizer
        from transformers.utils import logging

        logging.set_verbosity_error()
        self.tok = DebertaTokenizer.from_pretrained(str(folder))
        self.pad_id = self.tok.pad_token_id
        self.reference = "transformers %s DebertaTokenizer.from_pretrained(folder) (tokenizers %s)" % (
            transformers.__version__, tokenizers.__version__)

    def encode(self, case):
        pair = case.get("text_pair")
        if pair and case["max_length"] < 4:
            return {"error": "max_length below the 4 special tokens of a pair"}
        enc = self.tok(case["text"], pair, truncation=True, max_length=case["max_length"])
        return {"input_ids": list(enc["input_ids"]), "token_type_ids": list(enc["token_type_ids"])}


def short(s, n=120):
    r = repr(s)
    return r if len(r) <= n else r[: n - 3] + "..."


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else -1


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError as e:
        return None, "cannot run %s: %s" % (cmd[0], e), None
    except subprocess.TimeoutExpired:
        return None, "timed out after %ss" % timeout, None
    return p.returncode, p.stderr.decode("utf-8", "replace"), p.stdout


def check_group(cmd_template, folder, cases, refs, pad_id, tmpdir, gid, timeout):
    """Returns a list of (ok, message) per case."""
    is_pair = cases[0].get("text_pair") is not None
    req = {"text": [c["text"] for c in cases], "max_length": cases[0]["max_length"]}
    if is_pair:
        req["text_pair"] = [c["text_pair"] for c in cases]
    path = Path(tmpdir) / ("group%03d.json" % gid)
    path.write_text(json.dumps(req, ensure_ascii=False), encoding="utf-8")
    cmd = build_command(cmd_template, folder, path)
    rc, err, out = run(cmd, timeout)
    if rc != 0:
        msg = "command failed (exit %s): %s\n      stderr: %s" % (rc, " ".join(cmd), err.strip()[:500])
        return [(False, msg)] * len(cases)
    try:
        got = json.loads(out.decode("utf-8"))
        ids, tts, masks = got["input_ids"], got["token_type_ids"], got["attention_mask"]
    except Exception as e:
        return [(False, "unparsable output (%s): %s" % (e, out[:300]))] * len(cases)
    if not (len(ids) == len(tts) == len(masks) == len(cases)):
        return [(False, "expected %d rows, got %d/%d/%d" % (len(cases), len(ids), len(tts), len(masks)))] * len(cases)
    width = max((len(r["input_ids"]) for r in refs), default=0)
    results = []
    for c, r, gi, gt, gm in zip(cases, refs, ids, tts, masks):
        n = len(r["input_ids"])
        problems = []
        if len(gi) != width or len(gt) != width or len(gm) != width:
            problems.append("row width %d/%d/%d, expected %d (longest row)" % (len(gi), len(gt), len(gm), width))
        k = sum(1 for m in gm if m == 1)
        if gm != [1] * k + [0] * (len(gm) - k):
            problems.append("attention_mask is not 1..1 0..0: %s" % gm)
        if gi[:k] != r["input_ids"]:
            d = first_diff(gi[:k], r["input_ids"])
            problems.append("input_ids differ at %d\n      reference %s\n      debertac  %s"
                            % (d, r["input_ids"], gi[:k]))
        if gt[:k] != r["token_type_ids"]:
            problems.append("token_type_ids differ\n      reference %s\n      debertac  %s" % (r["token_type_ids"], gt[:k]))
        if k == n and any(x != pad_id for x in gi[k:]):
            problems.append("padding ids %s, expected [PAD] id %s" % (gi[k:], pad_id))
        if problems:
            head = "text=%s text_pair=%s max_length=%s" % (short(c["text"]), short(c.get("text_pair")),
                                                            c["max_length"])
            results.append((False, head + "\n    " + "\n    ".join(problems)))
        else:
            results.append((True, ""))
    return results


def check_invalid(cmd_template, folder, tmpdir, timeout):
    results = []
    for i, hx in enumerate(tokenizer_texts.INVALID_UTF8):
        raw = bytes.fromhex(hx)
        body = b'{"text": ["ok", "' + raw + b'"], "max_length": 16}'
        path = Path(tmpdir) / ("invalid%02d.json" % i)
        path.write_bytes(body)
        cmd = build_command(cmd_template, folder, path)
        rc, err, out = run(cmd, timeout)
        if rc is None or rc == 0:
            results.append((False, "invalid UTF-8 %s accepted (exit %s), output %s" % (hx, rc, (out or b"")[:200])))
        else:
            results.append((True, ""))
    return results


def main():
    if not any(is_bpe_folder(Path(a)) for a in sys.argv[1:] if not a.startswith("-") and Path(a).is_dir()):
        tokenizer_reference.ensure_reference_python()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=500, help="random cases (0 for none)")
    ap.add_argument("--cmd", default=DEFAULT_CMD)
    ap.add_argument("--golden", action="store_true", help="also run FOLDER/golden.json's cases")
    ap.add_argument("--cases", help="JSON list of {text, text_pair, max_length} to add")
    ap.add_argument("--invalid-utf8", action="store_true", help="expect rejection of invalid UTF-8 inputs")
    ap.add_argument("--show", type=int, default=5, help="failures to print")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    folder = Path(args.folder)
    cases = tokenizer_texts.random_cases(args.seed, args.n) if args.n else []
    if args.golden:
        g = json.loads((folder / "golden.json").read_text(encoding="utf-8"))
        cases += [{"text": c["text"], "text_pair": c["text_pair"], "max_length": c["max_length"]} for c in g["cases"]]
    if args.cases:
        cases += json.loads(Path(args.cases).read_text(encoding="utf-8"))

    if is_bpe_folder(folder):
        ref = BPEReference(folder)
        refs = [ref.encode(c) for c in cases]
    else:
        tokenizer_reference._quiet_transformers()
        ref, refs = tokenizer_reference.encode_cases(folder, cases)
    groups = OrderedDict()
    for i, c in enumerate(cases):
        groups.setdefault((c.get("text_pair") is not None, c["max_length"]), []).append(i)

    outcomes = [None] * len(cases)
    skipped = 0
    with tempfile.TemporaryDirectory() as tmp:
        for gid, (key, idxs) in enumerate(groups.items()):
            usable = [i for i in idxs if "error" not in refs[i]]
            skipped += len(idxs) - len(usable)
            if not usable:
                continue
            res = check_group(args.cmd, folder, [cases[i] for i in usable], [refs[i] for i in usable],
                              ref.pad_id, tmp, gid, args.timeout)
            for i, r in zip(usable, res):
                outcomes[i] = r
        results = [o for o in outcomes if o is not None]
        if args.invalid_utf8:
            results += check_invalid(args.cmd, folder, tmp, args.timeout)

    failed = [m for ok, m in results if not ok]
    print("reference: %s" % ref.reference)
    print("folder: %s, seed %d, %d random + %d other cases, %d groups" % (
        folder, args.seed, args.n, len(cases) - args.n, len(groups)))
    if skipped:
        print("skipped %d cases the reference itself refuses" % skipped)
    shown = set()
    for m in failed:
        if len(shown) >= args.show:
            break
        if m in shown:
            continue
        shown.add(m)
        print("FAIL " + m)
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
