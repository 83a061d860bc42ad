#!/usr/bin/env python3
"""Generate debertac's SentencePiece tokenizer fixtures and their reference tokenizations.

    python3 scripts/make_tokenizer_fixtures.py            # about 40 s on one core

Needs transformers < 5 (its slow, sentencepiece-based DebertaV2Tokenizer is the oracle) plus
sentencepiece, tokenizers and protobuf. Run with any python3: the script re-executes itself
under /tmp/venv-tf4/bin/python, creating that venv if it is missing
(`python3 -m venv /tmp/venv-tf4 && /tmp/venv-tf4/bin/pip install 'transformers<5' sentencepiece protobuf`;
see scripts/tokenizer_reference.py).

Writes Tests/Fixtures/tokenizers/ (see the README.md written there):
  <name>/spm.model + tokenizer_config.json + golden.json   SentencePiece unigram models trained here
  <name>/tokenizer.json + golden.json                      tokenizer.json-only folders, converted from
                                                           one of the spm models the way
                                                           DebertaV2TokenizerFast.save_pretrained does
  manifest.json                                            versions, corpus hash, training options

The training corpus is built locally, with no download: template English sentences, hand-written
multilingual lines, /usr/share/common-licenses and the docstrings of this Python's standard library.
Training runs on one thread with a fixed seed and the models are written through model_writer (so
no path ends up in the proto); reruns on the same machine are byte-identical. Another Python or
Debian release changes the corpus (its sha256 is in manifest.json) and so the models.
"""

import hashlib
import io
import json
import os
import random
import shutil
import sys
import sysconfig
import tempfile
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_reference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizers"

SEED = 20240611

# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------

MULTILINGUAL = [
    # Chinese (simplified / traditional)
    "我们今天去公园散步，天气非常好。",
    "机器学习模型需要大量的数据进行训练。",
    "这个问题的答案是什么？请告诉我。",
    "北京是中国的首都，上海是最大的城市。",
    "自然語言處理是人工智慧的一個分支。",
    "我喜欢读书、写字和听音乐。",
    "中华人民共和国成立于一九四九年。",
    # Japanese
    "東京は日本の首都です。",
    "今日はとても暑いですね。",
    "私はコーヒーが好きです。カフェラテをください。",
    "この文章はテストのために書かれました。",
    "ひらがなとカタカナと漢字を使います。",
    "コンピュータ・プログラミングを勉強しています。",
    # Korean
    "안녕하세요, 만나서 반갑습니다.",
    "서울은 대한민국의 수도입니다.",
    "저는 한국어를 공부하고 있어요.",
    "오늘 날씨가 정말 좋네요.",
    # Arabic
    "مرحبا بكم في هذا الاختبار.",
    "اللغة العربية جميلة جدا.",
    "القاهرة هي عاصمة مصر.",
    "نحن نتعلم معالجة اللغات الطبيعية.",
    # Hebrew
    "שלום עולם, מה שלומך?",
    "ירושלים היא עיר עתיקה.",
    "אני אוהב ללמוד שפות חדשות.",
    # Hindi (Devanagari)
    "नमस्ते, आप कैसे हैं?",
    "भारत एक विशाल देश है।",
    "मुझे हिंदी सीखना पसंद है।",
    # Russian / Ukrainian / Greek
    "Привет, как дела? Всё хорошо, спасибо.",
    "Москва — столица России.",
    "Машинное обучение — это интересно.",
    "Київ є столицею України.",
    "Γεια σου κόσμε! Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "ΟΔΥΣΣΕΥΣ και η Οδύσσεια του Ομήρου.",
    # Thai / Vietnamese / Turkish
    "สวัสดีครับ ยินดีที่ได้รู้จัก",
    "Tiếng Việt có nhiều dấu thanh điệu.",
    "Hà Nội là thủ đô của Việt Nam.",
    "İstanbul'da çok güzel bir gün geçirdik.",
    "Türkçe öğrenmek kolay değil ama çok eğlenceli.",
    # accented Latin
    "Le café est très chaud, n'est-ce pas ? Voilà où ça commence.",
    "L'été dernier, nous sommes allés à Montréal et à Québec.",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein. Straße, Größe, Fußgänger.",
    "El niño pequeño comió una manzana en la mañana. ¿Dónde está el baño? ¡Olé!",
    "São Paulo é a maior cidade do Brasil; a população é enorme.",
    "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Smørrebrød og æblekage på Ærø. Åsa köpte ärtor i Göteborg.",
    "Ísland er eyja í Norður-Atlantshafi. Þetta er ð og þ.",
    "Naïve façade, coöperate, résumé, crème brûlée, jalapeño, piñata.",
    # emoji and symbols
    "I love pizza 🍕 and coffee ☕! 😀😂🥲",
    "Great job 👍👍🏽👍🏿 team 🎉🎉",
    "Family: 👨‍👩‍👧‍👦 flags: 🇺🇸 🇯🇵 🇩🇪 🇫🇷",
    "Weather: ☀️ 🌧️ ❄️ ⛈️ temperature 25°C (77°F).",
    "Math: α + β = γ, ∑ x² ≤ ∞, π ≈ 3.14159, √2, ∂f/∂x.",
    "Prices: €10, £5, ¥1000, $3.50, ₹250, ₩5000.",
    "Arrows → ← ↑ ↓ ⇒ and bullets • ◦ ‣ and dashes – — ‒.",
    "Quotes “double” and ‘single’ and «guillemets» and „German“.",
    "Fullwidth ＡＢＣ １２３ and ligature ﬁle ﬂow and ㎒ ㎏ and Ⅻ and ½.",
]

SUBJECTS = ["The model", "A tokenizer", "My neighbour", "The committee", "Our team", "This function",
            "The old library", "Every student", "The compiler", "A small dog", "The government",
            "She", "He", "They", "We", "The first sentence", "Alice", "Bob", "The server", "The user"]
VERBS = ["reads", "writes", "compiles", "rejects", "returns", "encodes", "decodes", "predicts",
         "ignores", "truncates", "normalizes", "splits", "merges", "counts", "loads", "saves",
         "described", "visited", "bought", "expected", "couldn't find", "won't accept", "has seen"]
OBJECTS = ["the input text", "a long document", "three apples", "the configuration file",
           "every token", "the hidden states", "an empty string", "the quick brown fox",
           "the lazy dog", "a new record", "the attention mask", "some special tokens",
           "the weather report", "a binary file", "the unknown characters", "the final answer"]
TAILS = ["yesterday", "in 2023", "at 10:45 a.m.", "for $19.99", "on page 42", "without warning",
         "twice", "again and again", "as expected", "(see section 3.2)", "-- surprisingly --",
         "with 99.5% accuracy", "on 2024-03-15", "near https://example.com/path?q=1",
         "via user@example.org", "at #42", "for ~3 hours", "in 1,234,567 steps", "etc."]
ENDS = [".", "!", "?", "...", "!?", ".", ".", ";", ":"]


def template_lines(rng, n):
    lines = []
    for _ in range(n):
        s = "%s %s %s %s%s" % (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS),
                               rng.choice(TAILS), rng.choice(ENDS))
        r = rng.random()
        if r < 0.05:
            s = s.upper()
        elif r < 0.10:
            s = s.lower()
        elif r < 0.15:
            s = '"%s" said %s.' % (s, rng.choice(["Alice", "Bob", "the manager", "Dr. Smith"]))
        if rng.random() < 0.1:
            s += " %d" % rng.randint(0, 10 ** rng.randint(1, 9))
        lines.append(s)
    return lines


def multilingual_lines(rng, n):
    lines = []
    for _ in range(n):
        k = rng.randint(1, 3)
        lines.append(" ".join(rng.choice(MULTILINGUAL) for _ in range(k)))
    return lines


def stdlib_docstring_lines():
    import ast

    std = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "test", "tests", "idle_test", "lib2to3", "__pycache__", "turtledemo",
            "ensurepip", "config-3.11-x86_64-linux-gnu", "lib-dynload"}
    files = []
    for p in sorted(std.rglob("*.py")):
        rel = p.relative_to(std)
        if any(part in skip or part.startswith("config-") for part in rel.parts):
            continue
        files.append(p)
    lines = []
    for p in files:
        try:
            tree = ast.parse(p.read_text(encoding="utf-8"))
        except Exception:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                d = ast.get_docstring(node)
                if d:
                    lines.extend(line.strip() for line in d.splitlines() if line.strip())
    try:
        import pydoc_data.topics as topics

        for key in sorted(topics.topics):
            lines.extend(line.strip() for line in topics.topics[key].splitlines() if line.strip())
    except Exception:
        pass
    return lines


def license_lines():
    lines = []
    base = Path("/usr/share/common-licenses")
    if base.is_dir():
        for p in sorted(base.iterdir()):
            if p.is_file() and not p.is_symlink():
                text = p.read_text(encoding="utf-8", errors="replace")
                lines.extend(line.strip() for line in text.splitlines() if line.strip())
    return lines


def build_corpus():
    rng = random.Random(SEED)
    lines = []
    lines += template_lines(rng, 30000)
    lines += multilingual_lines(rng, 6000)
    lines += license_lines()
    lines += stdlib_docstring_lines()
    rng.shuffle(lines)
    # SentencePiece's trainer skips sentences longer than max_sentence_length bytes (default 4192).
    lines = [line for line in lines if 0 < len(line.encode("utf-8")) < 4000]
    return lines


def corpus_sha256(lines):
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

COMMON_TRAINER = dict(
    model_type="unigram",
    num_threads=1,
    pad_id=0, pad_piece="[PAD]",
    bos_id=1, bos_piece="[CLS]",
    eos_id=2, eos_piece="[SEP]",
    unk_id=3, unk_piece="[UNK]",
    minloglevel=2,
)

# name -> trainer options, tokenizer_config flags, config style, what it covers
SPM_FIXTURES = [
    {
        "name": "v3-nfkc-16k",
        "what": "deberta-v3 layout: nmt_nfkc, no byte fallback, 16000 pieces, [MASK] added beyond the spm "
                "vocab (id 16000) via added_tokens_decoder, model_max_length 512",
        "trainer": dict(vocab_size=16000, normalization_rule_name="nmt_nfkc"),
        "config": dict(do_lower_case=False, split_by_punct=False, model_max_length=512),
        "config_style": "saved",
    },
    {
        "name": "nfkc-cf-bytefb-3k",
        "what": "nmt_nfkc_cf (NFKC + case folding in the charsmap), byte_fallback, split_digits, 3000 pieces "
                "(256 of them <0xNN>), split_by_punct=True, [MASK] added at 3000",
        "trainer": dict(vocab_size=3000, normalization_rule_name="nmt_nfkc_cf", byte_fallback=True,
                        split_digits=True),
        "config": dict(do_lower_case=False, split_by_punct=True, model_max_length=512),
        "config_style": "saved",
    },
    {
        "name": "identity-lower-1k",
        "what": "identity normalization (no charsmap: \\t \\n and controls are ordinary characters), "
                "do_lower_case=True, no byte fallback, 1000 pieces; legacy minimal tokenizer_config.json "
                "({do_lower_case, vocab_type} only, like microsoft/deberta-v3-base): [MASK] is added at "
                "load time at id 1000, model_max_length unset",
        "trainer": dict(vocab_size=1000, normalization_rule_name="identity"),
        "config": dict(do_lower_case=True, split_by_punct=False),
        "config_style": "legacy",
    },
    {
        "name": "userdef-4k",
        "what": "nmt_nfkc, user_defined_symbols (incl. [MASK] inside the spm vocab at id 4, so nothing is "
                "added beyond the vocab; 'ﬁ', which the normalizer must leave alone), 4000 pieces",
        "trainer": dict(vocab_size=4000, normalization_rule_name="nmt_nfkc",
                        user_defined_symbols=["[MASK]", "<url>", "::", "xyzzy", "🤗", "12345", "ﬁ"]),
        "config": dict(do_lower_case=False, split_by_punct=False, model_max_length=512),
        "config_style": "saved",
    },
    {
        "name": "identity-rawws-bytefb-500",
        "what": "odd normalizer flags: identity, remove_extra_whitespaces=False, add_dummy_prefix=False, "
                "byte_fallback, character_coverage 0.98, 500 pieces; [MASK] added at 500, "
                "model_max_length 128",
        "trainer": dict(vocab_size=500, normalization_rule_name="identity", remove_extra_whitespaces=False,
                        add_dummy_prefix=False, byte_fallback=True, character_coverage=0.98),
        "config": dict(do_lower_case=False, split_by_punct=False, model_max_length=128),
        "config_style": "saved",
    },
]

# tokenizer.json-only folders: converted (transformers' DebertaV2Converter, i.e. what
# DebertaV2TokenizerFast.save_pretrained writes) from one of the spm models above.
JSON_FIXTURES = [
    {
        "name": "tokjson-lower-punct",
        "what": "tokenizer.json only, converted from userdef-4k's spm.model with do_lower_case=True and "
                "split_by_punct=True: Lowercase + Strip + Precompiled + Replace normalizer, Punctuation + "
                "Metaspace pre-tokenizer, user-defined symbols as non-special added tokens",
        "source": "userdef-4k",
        "config": dict(do_lower_case=True, split_by_punct=True, model_max_length=512),
    },
    {
        "name": "tokjson-bytefb",
        "what": "tokenizer.json only, converted from nfkc-cf-bytefb-3k's spm.model (byte_fallback model): "
                "transformers' converter does not keep byte fallback (Unigram byte_fallback=false), so "
                "characters the spm model spells as <0xNN> bytes become [UNK] here",
        "source": "nfkc-cf-bytefb-3k",
        "config": dict(do_lower_case=False, split_by_punct=False, model_max_length=512),
    },
]


def train_spm(lines, trainer_opts):
    import sentencepiece as spm

    writer = io.BytesIO()
    opts = dict(COMMON_TRAINER)
    opts.update(trainer_opts)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=writer, **opts)
    return writer.getvalue()


def write_config(folder, spec):
    """tokenizer_config.json as transformers 4.x save_pretrained writes it (or the legacy 2-key form)."""
    from transformers import DebertaV2Tokenizer

    cfg = spec["config"]
    if spec["config_style"] == "legacy":
        doc = {"do_lower_case": cfg["do_lower_case"], "vocab_type": "spm"}
        (folder / "tokenizer_config.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tok = DebertaV2Tokenizer(vocab_file=str(folder / "spm.model"), vocab_type="spm", **cfg)
        tok.save_pretrained(tmp)
        doc = json.loads((Path(tmp) / "tokenizer_config.json").read_text(encoding="utf-8"))
    (folder / "tokenizer_config.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")


def convert_to_tokenizer_json(spm_path, cfg, out_folder):
    """What DebertaV2TokenizerFast.save_pretrained writes for this spm.model + flags."""
    from transformers import DebertaV2TokenizerFast

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(spm_path, src / "spm.model")
        (src / "tokenizer_config.json").write_text(json.dumps(dict(cfg, vocab_type="spm")), encoding="utf-8")
        fast = DebertaV2TokenizerFast.from_pretrained(str(src))
        dst = Path(tmp) / "dst"
        fast.save_pretrained(str(dst))
        shutil.copy(dst / "tokenizer.json", out_folder / "tokenizer.json")


# ---------------------------------------------------------------------------------------------
# Golden cases
# ---------------------------------------------------------------------------------------------

import tokenizer_texts as T  # noqa: E402

PAIR_LENGTHS = [3, 4, 5, 7, 8, 33, 128]
SINGLE_LENGTHS = [3, 4, 16, 127, 512]


def base_cases(fixture_index):
    """(label, text, text_pair, max_length) tuples common to all fixtures (before length sweeps)."""
    cases = []
    hard = T.HARD_TEXTS
    for label, text in hard:
        cases.append((label, text, None, 512))
    # pairs of hard texts
    n = len(hard)
    for i in range(0, n, 3):
        j = (i * 7 + 5) % n
        cases.append((hard[i][0] + "|" + hard[j][0], hard[i][1], hard[j][1], 512))
    # empty pair members
    for a, b in [("hello world", ""), ("", "hello world"), ("", ""), ("[SEP]", ""), (" ", " "),
                 ("", "[MASK]"), ("\x01", "\ufeff")]:
        cases.append(("empty-pair", a, b, 64))
    cases.append(("empty-pair-trunc", T.LONG_EN, "", 16))
    cases.append(("empty-pair-trunc", "", T.LONG_EN, 16))
    # long singles
    for ml in SINGLE_LENGTHS:
        cases.append(("long-single", T.LONG_EN, None, ml))
        cases.append(("long-single-multi", T.LONG_MULTI, None, ml))
    # long pairs, every length relationship
    for ml in PAIR_LENGTHS:
        cases.append(("A-longer", T.LONG_EN, T.SHORT, ml))
        cases.append(("B-longer", T.SHORT, T.LONG_EN, ml))
        cases.append(("equal", T.LONG_MULTI, T.LONG_MULTI, ml))
        cases.append(("A-tiny", T.TINY, T.LONG_EN, ml))
        cases.append(("B-tiny", T.LONG_EN, T.TINY, ml))
        cases.append(("both-long", T.LONG_EN, T.LONG_MULTI, ml))
        cases.append(("both-long-rev", T.LONG_MULTI, T.LONG_EN, ml))
    cases.append(("both-long-512", T.LONG_MULTI, T.LONG_EN, 512))
    # random texts
    for c in T.random_cases(SEED + fixture_index, 40):
        cases.append(("random", c["text"], c["text_pair"], c["max_length"]))
    return cases


SWEEP_PAIRS = [
    ("one two three four five", "six seven eight"),          # A longer
    ("alpha beta", "gamma delta epsilon zeta eta theta"),     # B longer
    ("same length text", "same length text"),                 # equal
    ("x", "a much longer second sentence here"),              # one tiny
]
SWEEP_SINGLES = ["The quick brown fox jumps.", "ΟΔΟΣ ☃☃ 👍🏽 ﬁ"]


def sweep_cases(ref):
    """Every max_length around the exact fit for a few short inputs (lengths measured with the oracle)."""
    cases = []
    for text in SWEEP_SINGLES:
        n = len(ref.encode(text, None, None)["input_ids"])
        for ml in range(3, n + 3):
            cases.append(("sweep-single", text, None, ml))
    for a, b in SWEEP_PAIRS:
        n = len(ref.encode(a, b, None)["input_ids"])
        for ml in range(3, n + 3):
            cases.append(("sweep-pair", a, b, ml))
    return cases


DEGENERATE = [
    # transformers' truncate_sequences logs an error and returns the single sequence UNtruncated when
    # it cannot remove enough tokens (max_length <= 2 with non-empty text); pairs are emptied and
    # still get their 3 special tokens; max_length=0 is falsy, so it means "no truncation".
    ("single-ml1", "hello world", None, 1),
    ("single-ml2", "hello world", None, 2),
    ("single-ml2-empty", "", None, 2),
    ("single-ml1-empty", "", None, 1),
    ("single-ml0", "hello world", None, 0),
    ("pair-ml2", "hello", "world", 2),
    ("pair-ml1", "hello", "world", 1),
    ("pair-ml0", "hello", "world", 0),
]


def run_cases(ref, cases):
    out = []
    for label, text, pair, ml in cases:
        try:
            r = ref.encode(text, pair, ml)
        except Exception as e:
            r = {"error": "%s: %s" % (type(e).__name__, e)}
        d = {"label": label, "text": text, "text_pair": pair, "max_length": ml}
        d.update(r)
        out.append(d)
    return out


def check_constructor_form(folder, cfg, cases, results):
    """The brief's form of the oracle, DebertaV2Tokenizer(vocab_file, do_lower_case, split_by_punct), must
    agree with from_pretrained(folder) on every case."""
    from transformers import DebertaV2Tokenizer

    tok = DebertaV2Tokenizer(vocab_file=str(folder / "spm.model"), do_lower_case=cfg["do_lower_case"],
                             split_by_punct=cfg["split_by_punct"])
    for (label, text, pair, ml), res in zip(cases, results):
        enc = tok(text, pair, truncation=True, max_length=ml)
        if list(enc["input_ids"]) != res["input_ids"]:
            raise SystemExit("constructor/from_pretrained disagree on %r in %s" % (label, folder.name))


def dump_golden(path, reference, versions, cases, degenerate):
    lines = ["{"]
    lines.append('  "reference": %s,' % json.dumps(reference, ensure_ascii=False))
    lines.append('  "versions": %s,' % json.dumps(versions, ensure_ascii=False, sort_keys=True))
    lines.append('  "cases": [')
    lines.append(",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in cases))
    lines.append("  ],")
    lines.append('  "degenerate_cases": [')
    lines.append(",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in degenerate))
    lines.append("  ],")
    lines.append('  "invalid_utf8": %s' % json.dumps(T.INVALID_UTF8))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


README = """# Tokenizer fixtures

Generated by `python3 scripts/make_tokenizer_fixtures.py` (do not edit by hand; about 40 s on one core;
seeded, single-threaded, byte-identical on rerun on the same machine). It needs transformers < 5 and
re-executes itself under /tmp/venv-tf4 (created if missing). Versions and the corpus hash are in
`manifest.json`.

SentencePiece unigram models are trained here on a local corpus (template English, hand-written
multilingual lines, /usr/share/common-licenses, this Python's stdlib docstrings), with DeBERTa's layout:
[PAD]=0, [CLS]=1 (bos), [SEP]=2 (eos), [UNK]=3 (unk), control pieces except [UNK].

| folder | files | what it covers |
|---|---|---|
{rows}

The `bpe-*` folders (DeBERTa v1's byte-level BPE: vocab.json + merges.txt or a BPE tokenizer.json) and
`bpe-manifest.json` are made by `scripts/make_bpe_tokenizer_fixtures.py` with transformers 5's
`DebertaTokenizer` (pairs `[CLS] A [SEP] [SEP] B [SEP]`, token types all 0, `pair_specials` 4 in their
golden.json); see docs/tokenizer.md.

## golden.json

    {{"reference": "<oracle + versions>", "versions": {{...}},
     "cases": [{{"label": str, "text": str, "text_pair": str|null, "max_length": int,
                "input_ids": [...], "token_type_ids": [...]}}, ...],
     "degenerate_cases": [...same shape...],
     "invalid_utf8": ["c3", "ed a0 80", ...]}}

* Every case is `tok(text, text_pair, truncation=True, max_length=N)` (longest_first, right side);
  max_length counts the special tokens (2 for a single, 3 for a pair). `label` only helps reading.
* Oracle for folders with spm.model: transformers 4.x's slow `DebertaV2Tokenizer.from_pretrained(folder)`
  (sentencepiece). For tokenizer.json-only folders: the `tokenizers` library reading that file
  (`Tokenizer.from_file`, `enable_truncation(N, strategy="longest_first")`, the file's post-processor).
  The two differ in more than normalization: tokenizers' longest_first gives the odd leftover token to the
  longer sequence (to B when equal), transformers always to A (B loses the odd removal): with a budget
  m = N - 3 that forces both to be cut, transformers keeps ceil(m/2) of A and floor(m/2) of B, tokenizers
  keeps ceil(m/2) of the longer one.
* `cases` only hold results whose length is <= max_length. `degenerate_cases` hold what the oracle does
  when it cannot fit: transformers returns a single sequence UNtruncated when max_length <= 2 (it logs an
  error), empties both members of a pair but keeps the 3 specials when max_length < 3, and treats
  max_length=0 as "no limit"; tokenizers skips truncation entirely when max_length < the number of
  specials. debertac may reject these max_length values instead; they document the reference.
* `invalid_utf8`: hex byte strings (not valid UTF-8: truncated and overlong sequences, surrogates,
  > U+10FFFF, stray continuation bytes) that debertac must reject with an error; there are no ids.
* Texts are stored as raw UTF-8 (`ensure_ascii=False`; C0 controls are JSON-escaped).

To compare the compiled tokenizer on texts that are not in the repository:

    python3 scripts/check_tokenizer.py FOLDER --seed 1 --n 500 [--golden] [--invalid-utf8] \\
        --cmd 'debertac tokenize {{folder}} --input {{input}}'
    python3 scripts/tokenizer_reference.py FOLDER cases.json     # reference ids for any folder
"""


def write_readme(manifest):
    rows = []
    for name, m in manifest["fixtures"].items():
        rows.append("| `%s` | %s | %s |" % (name, ", ".join(m["files"]), m["what"].replace("|", "\\|")))
    (OUT / "README.md").write_text(README.format(rows="\n".join(rows)), encoding="utf-8")


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main():
    tokenizer_reference.ensure_reference_python()
    tokenizer_reference._quiet_transformers()
    versions = tokenizer_reference.versions()

    lines = build_corpus()
    corpus_hash = corpus_sha256(lines)
    print("corpus: %d lines, %d bytes, sha256 %s" % (len(lines), sum(len(x.encode()) + 1 for x in lines),
                                                     corpus_hash))
    # bpe-* folders and bpe-manifest.json belong to scripts/make_bpe_tokenizer_fixtures.py (transformers 5).
    OUT.mkdir(parents=True, exist_ok=True)
    for entry in OUT.iterdir():
        if not entry.name.startswith("bpe-"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    manifest = {
        "generator": "scripts/make_tokenizer_fixtures.py",
        "versions": versions,
        "corpus": {"lines": len(lines), "sha256": corpus_hash},
        "common_trainer_options": COMMON_TRAINER,
        "fixtures": {},
    }

    for idx, spec in enumerate(SPM_FIXTURES):
        folder = OUT / spec["name"]
        folder.mkdir()
        (folder / "spm.model").write_bytes(train_spm(lines, spec["trainer"]))
        write_config(folder, spec)
        ref = tokenizer_reference.load(folder)
        cases = base_cases(idx) + sweep_cases(ref)
        results = run_cases(ref, cases)
        for r in results:
            if "error" in r:
                raise SystemExit("oracle failed on %r in %s: %s" % (r["label"], spec["name"], r["error"]))
            if len(r["input_ids"]) > r["max_length"]:
                raise SystemExit("oracle overflowed max_length on %r in %s" % (r["label"], spec["name"]))
        check_constructor_form(folder, spec["config"], cases, results)
        degenerate = run_cases(ref, DEGENERATE)
        dump_golden(folder / "golden.json", ref.reference, versions, results, degenerate)
        manifest["fixtures"][spec["name"]] = {
            "what": spec["what"],
            "files": ["spm.model", "tokenizer_config.json", "golden.json"],
            "trainer_options": spec["trainer"],
            "tokenizer_config": spec["config"],
            "config_style": spec["config_style"],
            "spm_pieces": len(ref.tok._tokenizer.ids_to_tokens),
            "mask_id": ref.tok.mask_token_id,
            "spm_model_sha256": sha256_file(folder / "spm.model"),
            "cases": len(results),
        }
        print("%-28s %6d cases  spm.model %7d bytes" % (spec["name"], len(results),
                                                          (folder / "spm.model").stat().st_size))

    for idx, spec in enumerate(JSON_FIXTURES):
        folder = OUT / spec["name"]
        folder.mkdir()
        convert_to_tokenizer_json(OUT / spec["source"] / "spm.model", spec["config"], folder)
        ref = tokenizer_reference.load(folder)
        cases = base_cases(100 + idx) + sweep_cases(ref)
        results = run_cases(ref, cases)
        for r in results:
            if "error" in r:
                raise SystemExit("oracle failed on %r in %s: %s" % (r["label"], spec["name"], r["error"]))
        degenerate = run_cases(ref, DEGENERATE)
        dump_golden(folder / "golden.json", ref.reference, versions, results, degenerate)
        manifest["fixtures"][spec["name"]] = {
            "what": spec["what"],
            "files": ["tokenizer.json", "golden.json"],
            "converted_from": spec["source"] + "/spm.model",
            "converter_flags": spec["config"],
            "converter": "transformers %s DebertaV2TokenizerFast.from_pretrained(spm.model + flags)"
                         ".save_pretrained() (convert_slow_tokenizer.DebertaV2Converter)" % versions["transformers"],
            "tokenizer_json_sha256": sha256_file(folder / "tokenizer.json"),
            "cases": len(results),
        }
        print("%-28s %6d cases  tokenizer.json %7d bytes" % (spec["name"], len(results),
                                                               (folder / "tokenizer.json").stat().st_size))

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_readme(manifest)


if __name__ == "__main__":
    main()
