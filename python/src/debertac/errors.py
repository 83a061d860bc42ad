"""Statuses of the C ABI (`debertac_status` in debertac.h) and the exceptions that carry them."""

from __future__ import annotations

from enum import IntEnum
from typing import Dict, Optional, Type


class Status(IntEnum):
    """`debertac_status`: what a call of the C ABI returned (0 is success)."""

    OK = 0
    INVALID_ARGUMENT = 1
    OUT_OF_RANGE = 2
    OUT_OF_MEMORY = 3
    IO_ERROR = 4
    INTERNAL_ERROR = 5
    UNSUPPORTED_CPU = 6


class DebertacError(Exception):
    """A failed debertac call: `status` (a `Status`, or the raw int for a status this package does not
    know), `message` (the library's lowercase explanation, or this package's for a check made before the
    call) and `function` (the C function, or the Python method, that failed)."""

    def __init__(self, status: "Status | int", message: str, function: str = "") -> None:
        self.status = status
        self.message = message
        self.function = function
        name = status.name.lower().replace("_", " ") if isinstance(status, Status) else f"status {status}"
        where = f"{function}: " if function else ""
        super().__init__(f"{where}{name}: {message}")


class InvalidArgumentError(DebertacError, ValueError):
    """`DEBERTAC_INVALID_ARGUMENT`: a malformed input (a bad mask, invalid UTF-8, a wrong shape or dtype)."""


class OutOfRangeError(DebertacError, ValueError):
    """`DEBERTAC_OUT_OF_RANGE`: a token id outside the vocabulary, or a batch or length above a maximum."""


class OutOfMemoryError(DebertacError, MemoryError):
    """`DEBERTAC_OUT_OF_MEMORY`: a session's arena or a model's weights could not be allocated."""


class LibraryIOError(DebertacError):
    """`DEBERTAC_IO_ERROR`: the .so or its external weights are missing, unreadable or not a debertac model."""


class InternalError(DebertacError):
    """`DEBERTAC_INTERNAL_ERROR`: a failure inside the library (for example its threads could not start)."""


class UnsupportedCPUError(DebertacError):
    """`DEBERTAC_UNSUPPORTED_CPU`: this CPU lacks instructions the model's code was compiled to use."""


class AbiVersionError(DebertacError):
    """The .so speaks an ABI version this package does not know (status `INVALID_ARGUMENT`)."""


_BY_STATUS: Dict[int, Type[DebertacError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.OUT_OF_RANGE: OutOfRangeError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.IO_ERROR: LibraryIOError,
    Status.INTERNAL_ERROR: InternalError,
    Status.UNSUPPORTED_CPU: UnsupportedCPUError,
}


def error_for(status: int, message: str, function: str = "") -> DebertacError:
    """The exception for a non-zero status: the subclass of its status, `DebertacError` for unknown ones."""
    known: Optional[Status] = Status(status) if status in Status._value2member_map_ else None
    cls = _BY_STATUS.get(status, DebertacError)
    return cls(known if known is not None else status, message, function)
