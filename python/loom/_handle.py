"""An object that owns a Loom handle and releases it once, when closed or garbage-collected."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from . import _native
from .errors import LoomError


class OwnedHandle:
    _kind = "handle"
    _release: Callable[[ctypes.c_void_p], int]

    def __init__(self, handle: ctypes.c_void_p) -> None:
        self._handle: ctypes.c_void_p | None = handle

    @property
    def handle(self) -> ctypes.c_void_p:
        if not self._handle:
            raise LoomError(_native.ERROR_INVALID_HANDLE, f"the {self._kind} is closed")
        return self._handle

    def close(self) -> None:
        """Releases it now rather than when it is garbage-collected."""
        if self._handle:
            handle, self._handle = self._handle, None
            type(self)._release(handle)

    def __del__(self) -> None:
        self.close()
