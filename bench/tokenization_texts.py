"""Texts for the tokenization benchmark (bench/tokenization.py), and the training text of its 128k-piece model.

Everything comes from files on this machine, read in sorted order and sampled with a fixed seed, so one
environment (Python, its packages, Debian's message catalogues) gives the same texts on every run:

- English: the prose paragraphs of the docstrings of Python's standard library and of networkx
  (doctests, parameter lists, tables and code-like lines left out). NLI-style pairs are a premise sentence of 8 to 45 words
  and a hypothesis sentence of 4 to 16 words from the same module; paragraphs are consecutive prose
  of one module cut at a sentence end near 1 KB.
- Multilingual: translated messages (msgstr) of the gettext catalogues in /usr/share/locale, in 24
  languages of 12 scripts, joined into paragraphs near 1 KB per language.

The 128k model is trained on other text (held out from the benchmark texts): docstrings of large
site-packages (transformers, torch, numpy, scipy, sympy, ...), man pages in every language, the files of
/usr/share/doc, /usr/share/common-licenses, and the catalogues of the other half of the gettext domains
(domains are split by a hash of their name).
"""

import ast
import gettext
import gzip
import hashlib
import random
import re
import sys
import sysconfig
from pathlib import Path

VERSION = 1  # bumped when what these functions return changes, so cached texts are remade

LANGUAGES = ["de", "fr", "es", "it", "pt_BR", "nl", "sv", "pl", "cs", "tr", "fi", "hu", "ru", "uk", "el",
             "ar", "he", "fa", "hi", "th", "zh_CN", "zh_TW", "ja", "ko"]
BENCHMARK_PACKAGES = ["networkx"]  # besides the standard library
TRAINING_PACKAGES = ["transformers", "torch", "numpy", "scipy", "sympy", "pip", "setuptools", "IPython",
                     "hypothesis", "pygments", "docutils", "jinja2", "botocore"]
LOCALE = Path("/usr/share/locale")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
CODE_LIKE = (">>>", "...", ":", "-", "*", "|", "+", "=", "#", "..")


def _prose_paragraphs(path: Path):
    """Prose paragraphs of every docstring in one Python file, in source order."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError, RecursionError):
        return []
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node)
        if not doc:
            continue
        for para in re.split(r"\n\s*\n", doc):
            lines = [line.strip() for line in para.splitlines()]
            if not lines or any(line.startswith(CODE_LIKE) for line in lines):
                continue
            text = " ".join(lines)
            if len(text) < 60 or not text.endswith((".", "!", "?")):
                continue
            if sum(c.isalpha() or c == " " for c in text) / len(text) < 0.9:
                continue
            out.append(re.sub(r"\s+", " ", text))
    return out


def _python_files(root: Path, skip=("test", "tests", "idlelib", "site-packages", "__pycache__", "testing")):
    return sorted(p for p in root.rglob("*.py") if not set(p.relative_to(root).parts) & set(skip))


def _catalogue_messages(path: Path):
    """Translated messages of one .mo file, cleaned of format codes, markup and short labels."""
    try:
        with open(path, "rb") as f:
            catalogue = gettext.GNUTranslations(f)._catalog
    except Exception:  # a damaged or exotic catalogue is skipped, not fatal
        return []
    out = []
    for key in sorted(catalogue, key=lambda k: str(k)):
        message = catalogue[key]
        if not key or not isinstance(message, str):
            continue
        message = re.sub(r"\s+", " ", message).strip()
        if len(message) < 24 or re.search(r"%|\{|<|\\|_\w|--|https?:", message):
            continue
        if sum(c.isalpha() or c.isspace() for c in message) / len(message) < 0.8:
            continue
        out.append(message)
    return out


def _held_out(domain: str) -> bool:
    """Half of the gettext domains (by a hash of the name) are benchmark text, the rest training text."""
    return hashlib.sha256(domain.encode()).digest()[0] % 2 == 0


def _catalogues(language: str, benchmark: bool):
    directory = LOCALE / language / "LC_MESSAGES"
    return [p for p in sorted(directory.glob("*.mo")) if _held_out(p.stem) == benchmark] if directory.is_dir() else []


def _paragraphs(sentences, target: int):
    """Consecutive sentences joined up to about `target` bytes (never cut inside a sentence)."""
    out, current = [], []
    for sentence in sentences:
        current.append(sentence)
        if len(" ".join(current).encode()) >= target:
            out.append(" ".join(current))
            current = []
    return out


def make_texts(seed: int = 12, pair_bytes: int = 400_000, english_bytes: int = 1_000_000,
               multilingual_bytes: int = 1_000_000) -> dict:
    """{"pairs": [[premise, hypothesis], ...], "english": [paragraph, ...], "multilingual": [...],
    "sources": {...}}: about pair_bytes, english_bytes and multilingual_bytes of UTF-8."""
    rng = random.Random(seed)
    stdlib, site = Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])
    files = _python_files(stdlib) + [p for package in BENCHMARK_PACKAGES for p in _python_files(site / package)]
    modules = [(str(p), _prose_paragraphs(p)) for p in files]
    modules = [(name, paras) for name, paras in modules if paras]

    # English paragraphs: the prose of one module at a time, cut near 1 KB; modules in a seeded order.
    # Pairs: sentences of the modules not used for paragraphs.
    # Sentences are deduplicated over all modules (docstrings repeat one another).
    rng.shuffle(modules)
    english, english_size, pair_modules, seen = [], 0, [], set()

    def sentences_of(paras):
        out = [s for p in paras for s in SENTENCE_END.split(p) if s not in seen]
        seen.update(out)
        return out

    for name, paras in modules:
        if english_size >= english_bytes:
            pair_modules.append((name, paras))
            continue
        sentences = sentences_of(paras)
        for paragraph in _paragraphs(sentences, 1000):
            english.append(paragraph)
            english_size += len(paragraph.encode())
    pairs, pair_size = [], 0
    for name, paras in pair_modules:
        sentences = sentences_of(paras)
        premises = [s for s in sentences if 8 <= len(s.split()) <= 45]
        hypotheses = [s for s in sentences if 4 <= len(s.split()) <= 16]
        if not premises or not hypotheses:
            continue
        for premise in premises:
            hypothesis = rng.choice(hypotheses)
            if hypothesis == premise:
                continue
            pairs.append([premise, hypothesis])
            pair_size += len(premise.encode()) + len(hypothesis.encode())
        if pair_size >= pair_bytes:
            break

    # Multilingual paragraphs: per language, messages of the benchmark half of the catalogues,
    # deduplicated, in a seeded order, joined near 1 KB; languages take turns.
    per_language = {}
    for language in LANGUAGES:
        seen, messages = set(), []
        for path in _catalogues(language, benchmark=True):
            for message in _catalogue_messages(path):
                if message not in seen:
                    seen.add(message)
                    messages.append(message)
        rng.shuffle(messages)
        per_language[language] = _paragraphs(messages, 1000)
    multilingual, multilingual_size, index = [], 0, 0
    while multilingual_size < multilingual_bytes and any(index < len(p) for p in per_language.values()):
        for language in LANGUAGES:
            if index < len(per_language[language]) and multilingual_size < multilingual_bytes:
                paragraph = per_language[language][index]
                multilingual.append(paragraph)
                multilingual_size += len(paragraph.encode())
        index += 1
    languages = {language: sum(1 for p in multilingual if p in set(per_language[language])) for language in LANGUAGES}
    return {"version": VERSION, "seed": seed, "pairs": pairs, "english": english, "multilingual": multilingual,
            "sources": {"english": f"docstrings of Python {sys.version.split()[0]}'s standard library and "
                                   f"{', '.join(BENCHMARK_PACKAGES)} ({len(modules)} modules with prose)",
                        "multilingual": "gettext catalogues in /usr/share/locale: " +
                                        ", ".join(f"{k} {v}" for k, v in languages.items() if v) + " paragraphs"}}


def _prose_lines(text: str):
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 20 and sum(c.isalpha() or c == " " for c in line) / len(line) >= 0.7:
            yield line


def _shuffled(paths, seed: int):
    paths = sorted(paths)
    random.Random(seed).shuffle(paths)
    return paths


def training_lines(seed: int = 0):
    """Lines of training text for the 128k model (about 70 MB), none from the benchmark texts' sources:
    docstrings and comments of large site-packages (string literals found with a regular expression:
    fast, and prose enough for training), the text lines of the man pages in every language, the files
    of /usr/share/doc, the common licences, and the training half of the gettext catalogues."""
    site = Path(sysconfig.get_paths()["purelib"])
    strings = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.S)
    size, cap = 0, 20_000_000
    for package in TRAINING_PACKAGES:
        root = site / package
        for path in _python_files(root, skip=("__pycache__",)) if root.is_dir() else []:
            for m in strings.finditer(path.read_text(errors="replace")):
                for line in _prose_lines(m.group(1) or m.group(2) or ""):
                    yield line
                    size += len(line)
            if size > cap:
                break
        if size > cap:
            break
    roff = re.compile(r"\\f[BIRP]|\\f\(..|\\\(..|\\[-&e|^ ]|\\s[+-]?\d")
    size, cap = 0, 25_000_000
    for path in _shuffled(Path("/usr/share/man").rglob("*.gz"), seed):
        try:
            text = gzip.open(path, "rt", errors="replace").read()
        except (OSError, EOFError):
            continue
        for line in text.splitlines():
            if line.startswith((".", "'")):
                continue
            line = roff.sub("", line).strip()
            if len(line) >= 20:
                yield line
                size += len(line)
        if size > cap:
            break
    size, cap = 0, 15_000_000
    for path in _shuffled((p for p in Path("/usr/share/doc").rglob("*") if p.is_file()), seed):
        try:
            text = gzip.open(path, "rt").read() if path.suffix == ".gz" else path.read_text()
        except (OSError, EOFError, UnicodeDecodeError):
            continue
        for line in _prose_lines(text):
            yield line
            size += len(line)
        if size > cap:
            break
    for path in sorted(Path("/usr/share/common-licenses").glob("*")):
        if path.is_file():
            yield from _prose_lines(path.read_text(errors="replace"))
    for language_dir in sorted(LOCALE.iterdir()) if LOCALE.is_dir() else []:
        for path in _catalogues(language_dir.name, benchmark=False):
            yield from _catalogue_messages(path)
