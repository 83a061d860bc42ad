"""Bad input raises a DebertacError subclass carrying the C status and the library's message, before or
instead of a call; nothing crashes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import debertac
from debertac import Status


def fake_library(tmp_path: Path, cc: str, source: str) -> Path:
    c, so = tmp_path / "fake.c", tmp_path / "fake.so"
    c.write_text(source)
    subprocess.run([cc, "-shared", "-fPIC", str(c), "-o", str(so)], check=True)
    return so


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(debertac.LibraryIOError) as caught:
        debertac.load(tmp_path / "missing.so")
    assert caught.value.status == Status.IO_ERROR
    assert "does not exist" in caught.value.message


def test_not_a_shared_object(tmp_path: Path) -> None:
    path = tmp_path / "notes.so"
    path.write_text("not an ELF file")
    with pytest.raises(debertac.LibraryIOError, match="cannot load .* as a shared object"):
        debertac.load(path)


def test_not_a_debertac_library(tmp_path: Path, cc: str) -> None:
    so = fake_library(tmp_path, cc, "int something(void) { return 0; }\n")
    with pytest.raises(debertac.LibraryIOError, match="not a model compiled by debertac"):
        debertac.load(so)


def test_newer_abi_is_refused(tmp_path: Path, cc: str) -> None:
    so = fake_library(tmp_path, cc, "unsigned debertac_abi_version(void) { return 99; }\n")
    with pytest.raises(debertac.AbiVersionError) as caught:
        debertac.load(so)
    assert "ABI version 99" in caught.value.message and "upgrade" in caught.value.message
    assert isinstance(caught.value, debertac.DebertacError)


def test_missing_call_is_named(tmp_path: Path, cc: str) -> None:
    so = fake_library(tmp_path, cc, "unsigned debertac_abi_version(void) { return 3; }\n")
    with pytest.raises(debertac.LibraryIOError, match="does not export 'debertac_status_string'"):
        debertac.load(so)


def test_wrong_external_weights(model_path: Path, tmp_path: Path) -> None:
    weights = tmp_path / "other.weights"
    weights.write_bytes(b"\0" * 64)
    with pytest.raises(debertac.LibraryIOError) as caught:
        debertac.load(model_path, weights=weights)
    assert caught.value.status == Status.IO_ERROR and caught.value.function == "debertac_model_open"
    assert caught.value.message


def test_session_maxima(model: debertac.Model) -> None:
    with pytest.raises(debertac.OutOfRangeError) as caught:
        model.session(max_batch=1, max_length=model.max_length + 1)
    assert caught.value.function == "debertac_session_create"
    assert "129" in caught.value.message
    with pytest.raises(debertac.InvalidArgumentError):
        model.session(max_batch=0)


def test_batch_and_length_above_the_session(session: debertac.Session) -> None:
    with pytest.raises(debertac.OutOfRangeError) as caught:
        session.classify_ids(np.ones((5, 3), dtype=np.int32))
    assert caught.value.status == Status.OUT_OF_RANGE
    assert caught.value.message == "batch size 5 exceeds the session's maximum batch (4)"
    assert str(caught.value) == "debertac_classify: out of range: batch size 5 exceeds the session's maximum batch (4)"
    with pytest.raises(debertac.OutOfRangeError, match="exceeds 'max_position_embeddings'"):
        session.classify_ids(np.ones((1, 129), dtype=np.int32))


def test_ids_checks(session: debertac.Session, model: debertac.Model) -> None:
    with pytest.raises(debertac.OutOfRangeError, match=r"row 0 column 1 is \d+, expected a token id"):
        session.classify_ids([[1, model.vocab_size, 2]])
    with pytest.raises(debertac.OutOfRangeError, match="does not fit in int32"):
        session.classify_ids(np.array([[1, 2**40, 2]], dtype=np.int64))
    with pytest.raises(debertac.InvalidArgumentError, match="row 0 column 2 is 2, expected 0 or 1"):
        session.classify_ids([[1, 5, 2]], [[1, 1, 2]])
    with pytest.raises(debertac.InvalidArgumentError, match="masks its first token"):
        session.classify_ids([[1, 5, 2]], [[0, 1, 1]])
    with pytest.raises(debertac.InvalidArgumentError, match="dtype float64, expected integers"):
        session.classify_ids(np.ones((1, 3)))
    with pytest.raises(debertac.InvalidArgumentError, match="1 dimensions"):
        session.classify_ids(np.ones(3, dtype=np.int32))
    with pytest.raises(debertac.InvalidArgumentError, match=r"shape \[1, 2\], expected \[1, 3\]"):
        session.classify_ids([[1, 5, 2]], [[1, 1]])
    with pytest.raises(debertac.InvalidArgumentError, match="'out' is float64"):
        session.classify_ids([[1, 5, 2]], out=np.zeros((1, 3)))
    with pytest.raises(debertac.InvalidArgumentError, match="batch size 0"):
        session.classify_ids(np.zeros((0, 3), dtype=np.int32))


def test_text_checks(session: debertac.Session) -> None:
    with pytest.raises(debertac.InvalidArgumentError) as caught:
        session.classify([b"ok", b"caf\xff"])
    assert caught.value.function == "debertac_classify_text"
    assert "texts[1]: the text is not valid UTF-8 at byte 3 (0xFF)" in caught.value.message
    with pytest.raises(debertac.InvalidArgumentError, match="NUL character at byte 1"):
        session.classify(["a\0b"])
    with pytest.raises(debertac.InvalidArgumentError, match="cannot be encoded as UTF-8"):
        session.classify(["\ud800"])
    with pytest.raises(TypeError, match="texts\\[0\\] is a NoneType"):
        session.classify([None])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single text"):
        session.classify("one text")  # type: ignore[arg-type]
    with pytest.raises(debertac.InvalidArgumentError, match="2 pairs for 1 texts"):
        session.classify(["a"], ["b", "c"])
    with pytest.raises(debertac.InvalidArgumentError, match="no texts"):
        session.classify([])
    with pytest.raises(debertac.InvalidArgumentError, match="at byte 0"):
        session.model.tokenize(b"\xc3")


def test_zero_shot_checks(session: debertac.Session) -> None:
    with pytest.raises(debertac.InvalidArgumentError, match="has 0 '{}' fields"):
        session.zero_shot("text", ["a"], hypothesis_template="This is it.")
    with pytest.raises(debertac.InvalidArgumentError, match="no candidate labels"):
        session.zero_shot("text", " , ")
    with pytest.raises(debertac.InvalidArgumentError, match="no sequences"):
        session.zero_shot([], ["a"])
    with pytest.raises(TypeError, match="multi_label"):
        session.zero_shot("text", ["a"], multi_label=2)  # type: ignore[arg-type]


def test_closed_objects(model_path: Path) -> None:
    model = debertac.load(model_path)
    session = model.session(max_batch=1, max_length=16)
    model.close()                       # closes its sessions first
    assert session.closed and model.closed
    with pytest.raises(debertac.InvalidArgumentError, match="the session is closed"):
        session.classify(["a"])
    with pytest.raises(debertac.InvalidArgumentError, match="the model is closed"):
        model.session()
    session.close()
    model.close()                       # idempotent


def test_statuses_are_the_headers() -> None:
    header = (Path(__file__).resolve().parents[2] / "include" / "debertac.h").read_text()
    for status in Status:
        assert f"DEBERTAC_{status.name} = {status.value}" in header
    assert f"#define DEBERTAC_ABI_VERSION {debertac.ABI_VERSION} " in header
