"""examples/ray/zero_shot_corpus.py on a local Ray cluster (2 actors) over examples/ray/corpus.txt: every text
classified once, with the scores the package gives in a plain single-process loop. Skipped, with the reason
printed (pytest -rs), when Ray is not installed: `pip install 'ray[data]'` or `scripts/setup.sh --with-ray`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import debertac

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ray" / "zero_shot_corpus.py"
CORPUS = REPO / "examples" / "ray" / "corpus.txt"
LABELS = ["sports", "politics", "cooking", "music", "technology", "weather", "travel", "health", "finance"]


def read_results(folder: Path) -> dict:
    rows = [json.loads(line) for path in sorted(folder.glob("*.json")) for line in path.open(encoding="utf-8")]
    return {row["text"]: row for row in rows}


def test_ray_matches_a_plain_loop(model_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'ray[data]', or scripts/setup.sh --with-ray)")
    out = tmp_path / "ray"
    run = subprocess.run([sys.executable, str(EXAMPLE), str(model_path), str(CORPUS), "--labels", ",".join(LABELS),
                          "--actors", "2", "--batch-size", "8", "--output", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "48 texts in" in run.stdout and "2 Ray actor(s)" in run.stdout
    results = read_results(out)
    texts = [line.rstrip("\n") for line in CORPUS.open(encoding="utf-8") if line.strip()]
    assert sorted(results) == sorted(texts)
    with debertac.load(model_path) as model, model.session(max_batch=len(LABELS)) as session:
        for text in texts:
            expected = session.zero_shot(text, LABELS)
            assert results[text]["labels"] == expected["labels"], text
            np.testing.assert_allclose(results[text]["scores"], expected["scores"], rtol=0, atol=1e-7)


def test_plain_loop_path(model_path: Path, tmp_path: Path) -> None:
    """--actors 0: the same script without Ray (the baseline of docs/scaling.md)."""
    run = subprocess.run([sys.executable, str(EXAMPLE), str(model_path), str(CORPUS), "--labels", "sports,cooking",
                          "--actors", "0", "--output", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = read_results(tmp_path)
    assert len(results) == 48
    assert results["This soup needs more pepper."]["labels"][0] == "cooking"
