"""Exceptions for Loom's error codes, carrying ComfyUI's JSON where ComfyUI has one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import _native

if TYPE_CHECKING:
    from .result import RunResult


class LoomError(Exception):
    """A Loom call failed. `status` is the loom_status code, `json` ComfyUI's JSON for the failure or None."""

    def __init__(self, status: int, message: str, json_text: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.json: Any = json.loads(json_text) if json_text else None


class ValidationError(LoomError):
    """The workflow is invalid. `json` is ComfyUI's answer to POST /prompt: {"error": ..., "node_errors": ...}."""

    @property
    def node_errors(self) -> dict[str, Any]:
        """ComfyUI's node_errors: per node id, {"errors": [...], "dependent_outputs": [...], "class_type": ...}."""
        return (self.json or {}).get("node_errors", {})


class ExecutionError(LoomError):
    """A node failed while running. `json` is ComfyUI's execution_error data; `result` what the run produced."""

    result: RunResult | None = None


class Interrupted(LoomError):
    """Engine.interrupt() stopped the run. `result` holds what it produced before stopping."""

    result: RunResult | None = None


_CLASSES: dict[int, type[LoomError]] = {
    _native.ERROR_VALIDATION: ValidationError,
    _native.ERROR_EXECUTION: ExecutionError,
    _native.ERROR_INTERRUPTED: Interrupted,
}


def check(status: int) -> None:
    """Raises the error this thread's last Loom call reported, unless `status` is LOOM_OK."""
    if status != _native.OK:
        raise last_error(status)


def last_error(status: int) -> LoomError:
    message = (_native.lib.loom_last_error() or b"").decode("utf-8", "replace")
    json_text = _native.lib.loom_last_error_json()
    kind = _CLASSES.get(status, LoomError)
    return kind(status, message, json_text.decode("utf-8") if json_text else None)
