"""A compiled model: the loaded .so and its `debertac_model`, immutable and shared across threads."""

from __future__ import annotations

import ctypes
import json
import os
import weakref
from typing import TYPE_CHECKING, Any, Dict, List, Optional

import numpy as np

from ._inputs import Text, encode_text
from ._native import Library
from .errors import InvalidArgumentError, Status
from .results import Encoding

if TYPE_CHECKING:
    from .session import Session


class Model:
    """A model compiled by `debertac compile`, opened from its .so.

    A model is immutable: share it between threads and give each thread its own `Session`. Close it with
    `close()` or a `with` block (open sessions are closed first); it is also closed when collected.

    `weights` names an external weights file (a .so compiled with `--external-weights` finds
    `<so>.weights` beside it by itself); `None` means the weights inside the .so."""

    def __init__(self, path: "str | os.PathLike[str]", weights: "str | os.PathLike[str] | None" = None) -> None:
        self._handle: Optional[ctypes.c_void_p] = None
        self._lib = Library(path)
        lib = self._lib
        handle = ctypes.c_void_p()
        status = lib.model_open(os.fsencode(weights) if weights is not None else None, ctypes.byref(handle))
        if status != 0:
            raise lib.error(status, "debertac_model_open", lib.open_error())
        self._handle = handle
        self._sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()
        self.path: str = lib.path
        #: The .so's `debertac_abi_version()`.
        self.abi_version: int = lib.abi_version
        #: Class names in logit order (id2label).
        self.labels: List[str] = [lib.model_label(handle, i).decode("utf-8", "replace")
                                  for i in range(lib.model_num_labels(handle))]
        #: Longest sequence the model accepts, in tokens (max_position_embeddings).
        self.max_length: int = lib.model_max_sequence_length(handle)
        #: Token ids must lie in [0, vocab_size).
        self.vocab_size: int = lib.model_vocab_size(handle)
        #: Whether the .so carries its tokenizer, so that the text calls work.
        self.has_tokenizer: bool = bool(lib.has_text_calls and lib.model_has_tokenizer(handle))
        #: `debertac_model_info`: config, precision, target CPU, compiler version, weights digest.
        self.info: Dict[str, Any] = json.loads(lib.model_info(handle).decode("utf-8"))

    @property
    def num_labels(self) -> int:
        """Number of logits per sequence (1 for a regression head)."""
        return len(self.labels)

    @property
    def closed(self) -> bool:
        """True after `close()`."""
        return self._handle is None

    def session(self, max_batch: int = 8, max_length: Optional[int] = None) -> "Session":
        """A new session for batches of up to `max_batch` sequences of up to `max_length` tokens (default:
        the model's maximum). Its arena is sized for those maxima; use one session per thread."""
        from .session import Session
        return Session(self, max_batch, max_length)

    def tokenize(self, text: Text, pair: Optional[Text] = None, max_length: int = 0) -> Encoding:
        """Token ids and token types of `text` (or of the pair `text`, `pair`), exactly as the checkpoint's
        Hugging Face tokenizer gives them with special tokens, truncated "longest_first" to `max_length`
        tokens (0: the model's maximum). Thread-safe."""
        handle = self._require_open("tokenize")
        self._require_tokenizer("tokenize")
        data = encode_text(text, "text", "tokenize")
        pair_data = encode_text(pair, "pair", "tokenize") if pair is not None else None
        capacity = max_length if max_length > 0 else self.max_length
        length = ctypes.c_int32(0)
        while True:
            ids = np.zeros(max(capacity, 1), dtype=np.int32)
            types = np.zeros(max(capacity, 1), dtype=np.int32)
            status = self._lib.tokenize(handle, data, pair_data, max_length, ids.ctypes.data, types.ctypes.data,
                                        capacity, ctypes.byref(length))
            if status != 0:
                raise self._lib.error(status, "debertac_tokenize", self._lib.open_error())
            if length.value <= capacity:
                return Encoding(ids[:length.value].copy(), types[:length.value].copy())
            capacity = length.value

    def close(self) -> None:
        """Closes the model's open sessions, then the model. Idempotent."""
        for session in list(self._sessions):
            session.close()
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.model_close(handle)

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Sessions hold a reference to their model, so none is alive here; at interpreter exit the
        # library may already be gone, and there is nothing left to free then.
        try:
            if self._handle is not None:
                self._lib.model_close(self._handle)
                self._handle = None
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.num_labels} labels, max length {self.max_length}"
        return f"<debertac.Model '{self.path}' ABI {self.abi_version}, {state}>"

    def _require_open(self, function: str) -> ctypes.c_void_p:
        if self._handle is None:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "the model is closed", function)
        return self._handle

    def _require_tokenizer(self, function: str) -> None:
        if not self.has_tokenizer:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "the model was compiled without a tokenizer "
                                       "(an ids-only .so): pass token ids to Session.classify_ids", function)
