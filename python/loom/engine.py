"""The engine: loads, validates and runs workflows with its folders, models and caches."""

from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Union

import numpy as np

from . import _native
from .errors import ExecutionError, Interrupted, LoomError, check, last_error
from .result import RunResult
from .workflow import Workflow

PathLike = Union[str, "os.PathLike[str]"]
WorkflowSource = Union[Workflow, PathLike, dict, bytes]


@dataclass
class Event:
    """One ComfyUI WebSocket message of a run: `type` ("executing", "progress", "executed", "b_preview", ...), its
    `data` as ComfyUI sends it, and for "b_preview" the sampler's current picture (height × width × 3 uint8)."""

    type: str
    json_text: bytes = field(repr=False)
    preview: np.ndarray | None = None

    @cached_property
    def data(self) -> dict[str, Any]:
        return json.loads(self.json_text)["data"]


EventHandler = Callable[[Event], None]


class Engine:
    """Runs ComfyUI workflows. Defaults follow the `loom` command: folders input/, output/, temp/ and user/ under
    `base_dir` (the current directory), models from `models_dir`, $LOOM_MODELS_DIR or <base>/models.

    cache: "unbounded" (the default: every node output stays in memory), "none", "lru" (keep `cache_limit`
    outputs) or "ram" (keep outputs within `cache_limit` GB). disk_cache keeps cheap, deterministic outputs on disk
    for later processes (in `disk_cache_dir`, default ~/.cache/loom/outputs). device picks the Vulkan device by
    index or name. An engine runs one workflow at a time; engines are independent of each other.
    """

    def __init__(
        self,
        models_dir: PathLike | None = None,
        *,
        base_dir: PathLike | None = None,
        input_dir: PathLike | None = None,
        output_dir: PathLike | None = None,
        temp_dir: PathLike | None = None,
        user_dir: PathLike | None = None,
        extra_model_paths: PathLike | None = None,
        cache: str = "unbounded",
        cache_limit: float | None = None,
        disk_cache: bool = True,
        disk_cache_dir: PathLike | None = None,
        disk_cache_gb: float = 4.0,
        device: str | int | None = None,
    ) -> None:
        self._handle: ctypes.c_void_p | None = None
        if cache not in _native.CACHE_POLICIES:
            raise ValueError(f"cache must be one of {sorted(_native.CACHE_POLICIES)}, not {cache!r}")
        if cache in ("lru", "ram") and cache_limit is None:
            raise ValueError(f'cache="{cache}" needs cache_limit ({"a count" if cache == "lru" else "GB"})')
        options = _native.EngineOptions()
        _native.lib.loom_engine_options_init(ctypes.byref(options))
        for name, value in (
            ("base_dir", base_dir), ("models_dir", models_dir), ("extra_model_paths_config", extra_model_paths),
            ("input_dir", input_dir), ("output_dir", output_dir), ("temp_dir", temp_dir), ("user_dir", user_dir),
            ("disk_cache_dir", disk_cache_dir), ("device", None if device is None else str(device)),
        ):
            if value is not None:
                setattr(options, name, os.fsencode(value))
        options.cache_policy = _native.CACHE_POLICIES[cache]
        if cache == "lru":
            options.cache_lru_count = int(cache_limit)
        elif cache == "ram":
            options.cache_ram_bytes = int(cache_limit * 2**30)
        options.disk_cache = 1 if disk_cache else 0
        options.disk_cache_bytes = int(disk_cache_gb * 2**30)
        handle = ctypes.c_void_p()
        check(_native.lib.loom_engine_create(ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle

    @property
    def handle(self) -> ctypes.c_void_p:
        if not self._handle:
            raise LoomError(_native.ERROR_INVALID_HANDLE, "the engine is closed")
        return self._handle

    def load(self, source: WorkflowSource, format: str | None = None) -> Workflow:
        """A workflow from a file (API or UI JSON, YAML, or a PNG that embeds one), a dict in API or UI format,
        or bytes of any of these (`format` "json", "yaml" or "png", else told by content)."""
        if isinstance(source, Workflow):
            return source
        handle = ctypes.c_void_p()
        if isinstance(source, dict):
            data = json.dumps(source).encode()
            check(_native.lib.loom_workflow_load_data(self.handle, data, len(data), b"json", ctypes.byref(handle)))
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
            kind = format.encode() if format else None
            check(_native.lib.loom_workflow_load_data(self.handle, data, len(data), kind, ctypes.byref(handle)))
        else:
            check(_native.lib.loom_workflow_load_file(self.handle, os.fsencode(source), ctypes.byref(handle)))
        return Workflow(handle)

    def validate(self, workflow: WorkflowSource) -> None:
        """Checks the workflow without running it; raises ValidationError carrying ComfyUI's node_errors JSON."""
        loaded = self.load(workflow)  # kept alive until the call returns
        check(_native.lib.loom_validate(self.handle, loaded.handle))

    def run(self, workflow: WorkflowSource, on_event: EventHandler | None = None) -> RunResult:
        """Validates and runs the workflow, calling `on_event` with each message while it runs (on a Loom thread).
        Returns the outputs; raises ValidationError (nothing ran), ExecutionError or Interrupted (both with
        `.result`). An exception raised by `on_event` interrupts the run and is raised here."""
        workflow = self.load(workflow)
        failures: list[BaseException] = []
        callback = _native.EventCallback(0)
        if on_event is not None:
            callback = _native.EventCallback(lambda event, _: self._deliver(event.contents, on_event, failures))
        handle = ctypes.c_void_p()
        status = _native.lib.loom_run(self.handle, workflow.handle, callback, None, ctypes.byref(handle))
        error = None if status == _native.OK else last_error(status)
        result = RunResult(handle) if handle else None
        if failures:
            raise failures[0]
        if error is not None:
            if isinstance(error, (ExecutionError, Interrupted)):
                error.result = result
            raise error
        assert result is not None
        return result

    def _deliver(self, event: _native.Event, on_event: EventHandler, failures: list[BaseException]) -> None:
        if failures:
            return
        try:
            preview = None
            if event.preview_rgb:
                size = event.preview_width * event.preview_height * 3
                preview = np.frombuffer(ctypes.string_at(event.preview_rgb, size), dtype=np.uint8).reshape(
                    event.preview_height, event.preview_width, 3
                )
            on_event(Event(event.type.decode(), ctypes.string_at(event.json, event.json_length), preview))
        except BaseException as error:  # noqa: BLE001 - handed to the caller of run()
            failures.append(error)
            _native.lib.loom_interrupt(self._handle)

    def interrupt(self) -> None:
        """Stops the run in flight before its next node (samplers stop between steps). Safe from any thread."""
        check(_native.lib.loom_interrupt(self.handle))

    def close(self) -> None:
        """Interrupts a run in flight, waits for it, and releases the engine and its caches."""
        if self._handle:
            handle, self._handle = self._handle, None
            check(_native.lib.loom_engine_destroy(handle))

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._handle:
            _native.lib.loom_engine_destroy(self._handle)
            self._handle = None


__all__ = ["Engine", "Event", "EventHandler"]
