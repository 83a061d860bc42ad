"""Checks and conversions of Python inputs before they reach the C ABI, so that mistakes the library
cannot see (a NUL inside a str, a float array, ragged shapes, ids that do not fit int32) get a clear
error instead of a silently wrong call."""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence, Union

import numpy as np

from .errors import InvalidArgumentError, OutOfRangeError, Status

#: A text: a str (encoded as UTF-8) or bytes (passed as they are, so invalid UTF-8 reaches the library's check).
Text = Union[str, bytes]


def encode_text(text: Any, what: str, function: str) -> bytes:
    """`text` as the NUL-terminated UTF-8 the C ABI takes."""
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{what}: the text cannot be encoded as UTF-8 "
                                       f"({error.reason} at character {error.start})", function) from None
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise TypeError(f"{function}: {what} is a {type(text).__name__}, expected a str or bytes")
    if b"\0" in data:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{what} contains a NUL character at byte "
                                   f"{data.index(0)}, which C strings cannot hold", function)
    return data


def text_list(texts: Any, what: str, function: str) -> "list[Any]":
    """A list of texts from a list/tuple, refusing a lone str (which would be iterated by character)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{function}: {what} is a single text, expected a list of texts")
    try:
        return list(texts)
    except TypeError:
        raise TypeError(f"{function}: {what} is a {type(texts).__name__}, expected a list of texts") from None


def string_array(items: Sequence[Optional[bytes]]) -> "ctypes.Array[ctypes.c_char_p]":
    """A `const char *const *` over `items` (None becomes NULL). The bytes objects must outlive the call."""
    return (ctypes.c_char_p * len(items))(*items)


def int32_matrix(array: Any, name: str, function: str, shape: Optional["tuple[int, int]"] = None) -> np.ndarray:
    """`array` as a C-contiguous int32 [batch, length] numpy array, without a copy when it is one already.
    Integers (and booleans, for masks) only; values outside int32 are an out-of-range error, not a wrap."""
    a = np.asarray(array)
    if a.dtype == np.int32 and a.flags.c_contiguous and a.ndim == 2 and (shape is None or a.shape == shape):
        return a
    if a.ndim != 2:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"'{name}' has {a.ndim} dimensions (shape "
                                   f"{list(a.shape)}), expected 2: [batch, sequence_length]", function)
    if shape is not None and a.shape != shape:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"'{name}' has shape {list(a.shape)}, expected "
                                   f"{list(shape)} like 'input_ids'", function)
    if a.dtype == np.bool_:
        a = a.astype(np.int32)
    elif not np.issubdtype(a.dtype, np.integer):
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"'{name}' has dtype {a.dtype}, expected integers "
                                   "(int32 avoids a copy)", function)
    elif a.dtype != np.int32 and a.size:
        low, high = int(a.min()), int(a.max())
        info = np.iinfo(np.int32)
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise OutOfRangeError(Status.OUT_OF_RANGE, f"'{name}' holds {bad}, which does not fit in int32", function)
    return np.ascontiguousarray(a, dtype=np.int32)


def logits_buffer(out: Optional[np.ndarray], batch: int, labels: int, function: str) -> np.ndarray:
    """`out` checked to be a writable C-contiguous float32 [batch, labels] array, or a new one."""
    if out is None:
        return np.empty((batch, labels), dtype=np.float32)
    if not isinstance(out, np.ndarray) or out.dtype != np.float32 or out.shape != (batch, labels) \
            or not out.flags.c_contiguous or not out.flags.writeable:
        got = f"{out.dtype} {list(out.shape)}" if isinstance(out, np.ndarray) else type(out).__name__
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"'out' is {got}, expected a writable C-contiguous "
                                   f"float32 array of shape {[batch, labels]}", function)
    return out
