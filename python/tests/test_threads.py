"""Threads: the GIL is released during calls (the library is a CDLL, not a PyDLL), sessions of one model in
different threads give identical results, and one session used from two threads at once is refused."""

from __future__ import annotations

import ctypes
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import debertac


def test_calls_release_the_gil(model: debertac.Model) -> None:
    # ctypes drops the GIL around a foreign call unless the function carries FUNCFLAG_PYTHONAPI (PyDLL).
    lib = model._lib
    assert type(lib.dll) is ctypes.CDLL
    for function in (lib.classify, lib.classify_text, lib.zero_shot, lib.tokenize, lib.session_create):
        assert function._flags_ & ctypes._FUNCFLAG_PYTHONAPI == 0


def test_python_runs_during_a_call(model: debertac.Model) -> None:
    """Behaviour, not timing: while one thread is inside a long call of the library, the main thread keeps
    running Python. Were the GIL held during calls, no main-thread timestamp could fall in the middle half of
    the call (it could only run within a switch interval of the call's edges)."""
    labels = [f"label {i}" for i in range(1000)]   # 1000 pairs: a call of tens of milliseconds or more
    with model.session(max_batch=8) as session:
        for _ in range(5):
            window: dict = {}
            done = threading.Event()

            def call() -> None:
                window["start"] = time.perf_counter()
                session.zero_shot("The team won the championship last night.", labels)
                window["end"] = time.perf_counter()
                done.set()

            seen = []
            thread = threading.Thread(target=call)
            thread.start()
            while not done.is_set():
                seen.append(time.perf_counter())
            thread.join()
            start, end = window["start"], window["end"]
            quarter = (end - start) / 4
            if end - start > 0.02 and any(start + quarter < t < end - quarter for t in seen):
                return
    pytest.fail("the main thread never ran during the middle of a call: is the GIL held during calls?")


def test_sessions_in_threads_agree(model: debertac.Model, golden: dict) -> None:
    premises = [p["premise"] for p in golden["pairs"]]
    hypotheses = [p["hypothesis"] for p in golden["pairs"]]
    zero_shot = golden["zero_shot"][0]
    with model.session(max_batch=4) as session:
        expected = session.classify_logits(premises, hypotheses)
        expected_scores = session.zero_shot(zero_shot["text"], zero_shot["candidate_labels"])["scores"]

    def work(_: int):
        with model.session(max_batch=4) as own:
            runs = [(own.classify_logits(premises, hypotheses),
                     own.zero_shot(zero_shot["text"], zero_shot["candidate_labels"])["scores"]) for _ in range(5)]
        return runs

    with ThreadPoolExecutor(4) as pool:
        for runs in pool.map(work, range(4)):
            for logits, scores in runs:
                np.testing.assert_array_equal(logits, expected)   # bit-identical, as docs/abi.md promises
                assert scores == expected_scores


def test_one_session_two_threads_is_refused(session: debertac.Session) -> None:
    errors = []
    with session._using("test"):       # this thread is inside a call
        thread = threading.Thread(target=lambda: errors.append(_capture(lambda: session.classify(["a"]))))
        thread.start()
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert "one session per thread" in str(errors[0])
    assert session.classify(["a"])[0].label in session.model.labels   # free again


def _capture(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - handed back to the test thread
        return error
    pytest.fail("expected an error")
