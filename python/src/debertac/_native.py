"""The C ABI of a compiled .so (include/debertac.h) bound with ctypes.

The library is opened with `ctypes.CDLL`, never `PyDLL`: ctypes releases the GIL around every foreign
call of a CDLL, so threads running their own sessions compute in parallel.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Optional

from .errors import AbiVersionError, DebertacError, LibraryIOError, Status, error_for

#: The newest `DEBERTAC_ABI_VERSION` this package was written for. Versions only grow by adding calls
#: or statuses (2 added the text calls, 3 `DEBERTAC_UNSUPPORTED_CPU`), so older .so files load (without
#: text calls below 2); a newer one may have changed a behaviour this package relies on and is refused.
ABI_VERSION = 3

_vp, _i32, _u32, _str = ctypes.c_void_p, ctypes.c_int32, ctypes.c_uint32, ctypes.c_char_p
_i32p = ctypes.POINTER(_i32)
_f32p = ctypes.POINTER(ctypes.c_float)
_strv = ctypes.POINTER(_str)

# name: (restype, argtypes). Pointers to arrays are passed as c_void_p (numpy's .ctypes.data).
_CALLS = {
    "debertac_status_string": (_str, [ctypes.c_int]),
    "debertac_model_open": (ctypes.c_int, [_str, ctypes.POINTER(_vp)]),
    "debertac_open_error": (_str, []),
    "debertac_model_close": (None, [_vp]),
    "debertac_model_num_labels": (_i32, [_vp]),
    "debertac_model_label": (_str, [_vp, _i32]),
    "debertac_model_max_sequence_length": (_i32, [_vp]),
    "debertac_model_vocab_size": (_i32, [_vp]),
    "debertac_model_info": (_str, [_vp]),
    "debertac_session_create": (ctypes.c_int, [_vp, _i32, _i32, ctypes.POINTER(_vp)]),
    "debertac_session_destroy": (None, [_vp]),
    "debertac_session_last_error": (_str, [_vp]),
    "debertac_classify": (ctypes.c_int, [_vp, _i32, _i32, _vp, _vp, _vp, _vp]),
}
_TEXT_CALLS = {  # ABI 2
    "debertac_model_has_tokenizer": (_i32, [_vp]),
    "debertac_tokenize": (ctypes.c_int, [_vp, _str, _str, _i32, _vp, _vp, _i32, _i32p]),
    "debertac_classify_text": (ctypes.c_int, [_vp, _i32, _strv, _strv, _vp]),
    "debertac_zero_shot": (ctypes.c_int, [_vp, _str, _i32, _strv, _str, _i32, _vp]),
}


class Library:
    """One loaded .so with its functions typed; `abi_version` is what the .so reports. Each function of
    the header is an attribute named without its `debertac_` prefix (text calls only from ABI 2)."""

    model_open: Any
    open_error: Any
    status_string: Any
    model_close: Any
    model_num_labels: Any
    model_label: Any
    model_max_sequence_length: Any
    model_vocab_size: Any
    model_info: Any
    session_create: Any
    session_destroy: Any
    session_last_error: Any
    classify: Any
    model_has_tokenizer: Any
    tokenize: Any
    classify_text: Any
    zero_shot: Any

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise LibraryIOError(Status.IO_ERROR, f"'{self.path}' does not exist", "load")
        try:
            # A name without a slash would be searched on the library path: always pass a path.
            self.dll = ctypes.CDLL(os.path.abspath(self.path), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as error:
            raise LibraryIOError(Status.IO_ERROR, f"cannot load '{self.path}' as a shared object: {error}",
                                 "load") from None
        try:
            version = self.dll.debertac_abi_version
        except AttributeError:
            raise LibraryIOError(Status.IO_ERROR, f"'{self.path}' is not a model compiled by debertac "
                                 "(it exports no 'debertac_abi_version')", "load") from None
        version.restype, version.argtypes = _u32, []
        self.abi_version = int(version())
        if not 1 <= self.abi_version <= ABI_VERSION:
            raise AbiVersionError(Status.INVALID_ARGUMENT, f"'{self.path}' has ABI version {self.abi_version}, "
                                  f"this debertac package knows versions 1 to {ABI_VERSION}: upgrade the package "
                                  "(pip install the python/ folder of the debertac that compiled it)", "load")
        calls = dict(_CALLS, **(_TEXT_CALLS if self.abi_version >= 2 else {}))
        for name, (restype, argtypes) in calls.items():
            try:
                function = getattr(self.dll, name)
            except AttributeError:
                raise LibraryIOError(Status.IO_ERROR, f"'{self.path}' (ABI version {self.abi_version}) does not "
                                     f"export '{name}'", "load") from None
            function.restype, function.argtypes = restype, argtypes
            setattr(self, name[len("debertac_"):], function)
        self.has_text_calls = self.abi_version >= 2

    def error(self, status: int, function: str, message: Optional[bytes]) -> "DebertacError":
        """The exception of a non-zero `status`, with `message` (the library's words, UTF-8) as its text."""
        return error_for(status, (message or b"").decode("utf-8", "replace"), function)
