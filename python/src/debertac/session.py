"""A session: a model's scratch arena and thread pool, sized for a maximum batch and length."""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence, Union, overload

import numpy as np

from ._inputs import Text, encode_text, int32_matrix, logits_buffer, string_array, text_list
from .errors import InvalidArgumentError, Status
from .model import Model
from .results import Encoding, Prediction, ZeroShotResult, predictions, zero_shot_result

#: The zero-shot pipeline's default template.
DEFAULT_HYPOTHESIS_TEMPLATE = "This example is {}."


class Session:
    """Runs a `Model` on batches of up to `max_batch` sequences of up to `max_length` tokens.

    A session must be used by one thread at a time: give each thread its own (they share the model).
    Calling one session from two threads at once raises `RuntimeError` instead of corrupting its arena.
    The GIL is released while the library computes, so sessions in different threads run in parallel.
    Close it with `close()` or a `with` block; it is also closed when collected."""

    def __init__(self, model: Model, max_batch: int = 8, max_length: Optional[int] = None) -> None:
        self._handle: Optional[ctypes.c_void_p] = None
        self.model = model
        self._lib = model._lib
        self.max_batch = int(max_batch)
        self.max_length = int(max_length) if max_length is not None else model.max_length
        handle = ctypes.c_void_p()
        status = self._lib.session_create(model._require_open("session"), self.max_batch, self.max_length,
                                          ctypes.byref(handle))
        if status != 0:
            raise self._lib.error(status, "debertac_session_create", self._lib.open_error())
        self._handle = handle
        self._lock = threading.Lock()
        model._sessions.add(self)

    # ---- token ids ------------------------------------------------------------------------------

    def classify_ids(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None,
                     out: Optional[np.ndarray] = None) -> np.ndarray:
        """Logits, float32 [batch, num_labels], of token ids [batch, sequence_length].

        `attention_mask` (1 = token, 0 = padding; None = all ones) and `token_type_ids` (None = zeros) have
        the ids' shape. Integer arrays of any dtype are accepted; C-contiguous int32 ones are passed without
        a copy. `out`, a C-contiguous float32 [batch, num_labels] array, receives the logits (and is
        returned) instead of a new array. Batch and length must not exceed the session's maxima."""
        ids = int32_matrix(input_ids, "input_ids", "classify_ids")
        mask = None if attention_mask is None else \
            int32_matrix(attention_mask, "attention_mask", "classify_ids", ids.shape)
        types = None if token_type_ids is None else \
            int32_matrix(token_type_ids, "token_type_ids", "classify_ids", ids.shape)
        logits = logits_buffer(out, ids.shape[0], self.model.num_labels, "classify_ids")
        with self._using("classify_ids") as handle:
            status = self._lib.classify(handle, ids.shape[0], ids.shape[1], ids.ctypes.data,
                                        None if mask is None else mask.ctypes.data,
                                        None if types is None else types.ctypes.data, logits.ctypes.data)
            if status != 0:
                raise self._lib.error(status, "debertac_classify", self._lib.session_last_error(handle))
        return logits

    # ---- text -----------------------------------------------------------------------------------

    def tokenize(self, text: Text, pair: Optional[Text] = None, max_length: Optional[int] = None) -> Encoding:
        """`Model.tokenize` truncated, by default, to this session's maximum length: the ids `classify` runs."""
        return self.model.tokenize(text, pair, self.max_length if max_length is None else max_length)

    def classify_logits(self, texts: Sequence[Text], pairs: Optional[Sequence[Optional[Text]]] = None) -> np.ndarray:
        """Logits, float32 [len(texts), num_labels], of texts (or pairs texts[i], pairs[i]; a None pair is a
        single text) tokenized by the .so, truncated "longest_first" to the session's maximum length.
        Any number of texts: they run `max_batch` at a time."""
        self.model._require_tokenizer("classify")
        rows = text_list(texts, "texts", "classify")
        if not rows:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "no texts, expected at least one", "classify")
        encoded = [encode_text(t, f"texts[{i}]", "classify") for i, t in enumerate(rows)]
        encoded_pairs: Optional[List[Optional[bytes]]] = None
        if pairs is not None:
            second = text_list(pairs, "pairs", "classify")
            if len(second) != len(rows):
                raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{len(second)} pairs for {len(rows)} texts, "
                                           "expected one pair (or None) per text", "classify")
            encoded_pairs = [None if p is None else encode_text(p, f"pairs[{i}]", "classify")
                             for i, p in enumerate(second)]
        logits = np.empty((len(rows), self.model.num_labels), dtype=np.float32)
        with self._using("classify") as handle:
            for start in range(0, len(rows), self.max_batch):
                stop = min(start + self.max_batch, len(rows))
                firsts = string_array(encoded[start:stop])
                seconds = None if encoded_pairs is None else string_array(encoded_pairs[start:stop])
                status = self._lib.classify_text(handle, stop - start, firsts, seconds, logits[start:stop].ctypes.data)
                if status != 0:
                    message = self._lib.session_last_error(handle)
                    if start:
                        message = f"(texts {start} to {stop - 1}) ".encode() + (message or b"")
                    raise self._lib.error(status, "debertac_classify_text", message)
        return logits

    def classify(self, texts: Sequence[Text], pairs: Optional[Sequence[Optional[Text]]] = None) -> List[Prediction]:
        """One `Prediction` (best label, its probability, every label's probability, the raw logits) per
        text or pair, as `classify_logits` computes them. For example
        `session.classify(["A man plays a guitar."], ["A person makes music."])[0].label`."""
        return predictions(self.classify_logits(texts, pairs), self.model.labels)

    # A str is also a Sequence[str]: the first overload that matches (one text, one dict) is the one meant.
    @overload
    def zero_shot(self, sequences: Text,  # type: ignore[overload-overlap]
                  candidate_labels: Union[str, Sequence[str]],
                  hypothesis_template: str = ..., multi_label: bool = ...) -> ZeroShotResult: ...

    @overload
    def zero_shot(self, sequences: Sequence[Text], candidate_labels: Union[str, Sequence[str]],
                  hypothesis_template: str = ..., multi_label: bool = ...) -> List[ZeroShotResult]: ...

    def zero_shot(self, sequences: Any, candidate_labels: Union[str, Sequence[str]],
                  hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
                  multi_label: bool = False) -> Union[ZeroShotResult, List[ZeroShotResult]]:
        """Hugging Face's `pipeline("zero-shot-classification")`, computed by the .so: for one sequence a dict
        `{"sequence", "labels", "scores"}` with labels sorted by descending score, for a list of sequences a
        list of such dicts. `candidate_labels` is a list, or one comma-separated str as the pipeline accepts.
        Each label makes the pair (sequence, template with "{}" replaced by the label), truncated "only_first"
        to the session's maximum length and run `max_batch` pairs at a time. `multi_label=False`: scores are a
        softmax of the entailment logits over the labels (they sum to 1); `True` (or one label): each label's
        own softmax over [contradiction, entailment]."""
        self.model._require_tokenizer("zero_shot")
        if isinstance(candidate_labels, str):
            candidate_labels = [label.strip() for label in candidate_labels.split(",") if label.strip()]
        labels = text_list(candidate_labels, "candidate_labels", "zero_shot")
        if not labels:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "no candidate labels, expected at least one",
                                       "zero_shot")
        single = isinstance(sequences, (str, bytes))
        texts = [sequences] if single else text_list(sequences, "sequences", "zero_shot")
        if not texts:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, "no sequences, expected at least one", "zero_shot")
        encoded_labels = [encode_text(label, f"candidate_labels[{i}]", "zero_shot") for i, label in enumerate(labels)]
        label_array = string_array(encoded_labels)
        template = encode_text(hypothesis_template, "hypothesis_template", "zero_shot")
        if not isinstance(multi_label, (bool, int, np.bool_)) or int(multi_label) not in (0, 1):
            raise TypeError(f"zero_shot: multi_label is {multi_label!r}, expected True or False")
        encoded = [encode_text(t, f"sequences[{i}]", "zero_shot") for i, t in enumerate(texts)]
        results = []
        scores = np.empty(len(labels), dtype=np.float32)
        with self._using("zero_shot") as handle:
            for text, data in zip(texts, encoded):
                status = self._lib.zero_shot(handle, data, len(labels), label_array, template, int(multi_label),
                                             scores.ctypes.data)
                if status != 0:
                    raise self._lib.error(status, "debertac_zero_shot", self._lib.session_last_error(handle))
                results.append(zero_shot_result(text, labels, scores.copy()))
        return results[0] if single else results

    # ---- lifetime -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after `close()` (or after its model was closed)."""
        return self._handle is None

    def close(self) -> None:
        """Stops the session's threads and frees its arena. Idempotent; waits for a call in progress."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.session_destroy(handle)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._handle is not None:
                self._lib.session_destroy(self._handle)
                self._handle = None
        except Exception:  # interpreter exit: the library may be gone already
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"max batch {self.max_batch}, max length {self.max_length}"
        return f"<debertac.Session {state}>"

    @contextmanager
    def _using(self, function: str) -> Iterator[ctypes.c_void_p]:
        """Holds the session for one call: one thread at a time, and never after close()."""
        if not self._lock.acquire(blocking=False):
            raise RuntimeError(f"{function}: this session is in use by another thread; a session serves one "
                               "thread at a time: create one session per thread (they share the model)")
        try:
            if self._handle is None:
                raise InvalidArgumentError(Status.INVALID_ARGUMENT, "the session is closed", function)
            yield self._handle
        finally:
            self._lock.release()
