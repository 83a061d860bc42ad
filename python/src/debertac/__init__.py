"""debertac: run DeBERTa classifiers compiled by `debertac compile` into a native .so, from Python.

    import debertac

    model = debertac.load("nli.so")
    with model.session(max_batch=8) as session:
        session.classify(["A man is playing a guitar."], ["A person is making music."])[0].label
        session.zero_shot("The team won the final.", ["sports", "politics"])   # as Hugging Face's pipeline

Pure Python over ctypes (the .so's C ABI, include/debertac.h): no compiled extension. A `Model` is
immutable and shared across threads; a `Session` serves one thread at a time. The GIL is released while
the library computes. Failures raise `DebertacError` subclasses carrying the C status and message.
"""

from __future__ import annotations

import os
from typing import Optional

from ._native import ABI_VERSION
from .errors import (AbiVersionError, DebertacError, InternalError, InvalidArgumentError, LibraryIOError,
                     OutOfMemoryError, OutOfRangeError, Status, UnsupportedCPUError)
from .model import Model
from .results import Encoding, Prediction, ZeroShotResult
from .session import DEFAULT_HYPOTHESIS_TEMPLATE, Session

__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION", "AbiVersionError", "DEFAULT_HYPOTHESIS_TEMPLATE", "DebertacError", "Encoding", "InternalError",
    "InvalidArgumentError", "LibraryIOError", "Model", "OutOfMemoryError", "OutOfRangeError", "Prediction",
    "Session", "Status", "UnsupportedCPUError", "ZeroShotResult", "load",
]


def load(path: "str | os.PathLike[str]", weights: "Optional[str | os.PathLike[str]]" = None) -> Model:
    """Opens the model compiled into the .so at `path` (`weights`: an external weights file, see `Model`)."""
    return Model(path, weights)
