"""Fixtures: the example model (examples/synthetic-nli) compiled once per test run, and its goldens.

The compiler comes from $DEBERTAC (scripts/test.sh points it at the freshly built .build/debug/debertac),
else from the repository's .build/{debug,release}/debertac. $DEBERTAC_TEST_SO names an already compiled
examples/synthetic-nli .so instead (no compiler needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import debertac

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "synthetic-nli"


def compiler() -> Path:
    candidates = [os.environ.get("DEBERTAC", "")] + [str(REPO / ".build" / c / "debertac") for c in ("debug", "release")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    pytest.fail("no debertac compiler: set DEBERTAC=/path/to/debertac (scripts/test.sh sets it) "
                "or DEBERTAC_TEST_SO to a compiled examples/synthetic-nli .so", pytrace=False)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/synthetic-nli compiled to a .so with its tokenizer."""
    given = os.environ.get("DEBERTAC_TEST_SO")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("model") / "nli.so"
    subprocess.run([str(compiler()), "compile", str(EXAMPLE), "-o", str(out), "--quiet"], check=True)
    return out


@pytest.fixture(scope="session")
def golden() -> Dict[str, Any]:
    """examples/synthetic-nli/golden.json: Hugging Face's pair logits and zero-shot pipeline outputs."""
    return json.loads((EXAMPLE / "golden.json").read_text())


@pytest.fixture(scope="session")
def model(model_path: Path) -> Iterator[debertac.Model]:
    with debertac.load(model_path) as m:
        yield m


@pytest.fixture()
def session(model: debertac.Model) -> Iterator[debertac.Session]:
    with model.session(max_batch=4) as s:
        yield s


@pytest.fixture(scope="session")
def cc() -> str:
    found = shutil.which("cc") or shutil.which("gcc")
    if not found:
        pytest.fail("no C compiler (cc) to build the fake libraries (scripts/setup.sh installs gcc)", pytrace=False)
    return found
