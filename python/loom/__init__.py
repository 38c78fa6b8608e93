"""Loom: run ComfyUI workflows from Python, headless, through libLoomC.so.

    import loom
    engine = loom.Engine(models_dir="graphs/models", input_dir="graphs/input")
    result = engine.run("graphs/dashtailor-fill.yaml")

`result.images` are NumPy arrays (height × width × channels, uint8), `result.pil_images()` PIL images,
`result.history` ComfyUI's history entry. Set widgets before a run with `wf = engine.load(path)` and
`wf["KSampler"].seed = 7` (nodes by id, title or class). Validation errors raise `loom.ValidationError` with
ComfyUI's node_errors in `.json`.
"""

from ._native import lib as _lib
from .engine import Engine, Event, EventHandler
from .errors import ExecutionError, Interrupted, LoomError, ValidationError
from .result import ImageInfo, RunResult
from .workflow import Node, Workflow

__version__: str = _lib.loom_version().decode()

__all__ = [
    "Engine",
    "Event",
    "EventHandler",
    "ExecutionError",
    "ImageInfo",
    "Interrupted",
    "LoomError",
    "Node",
    "RunResult",
    "ValidationError",
    "Workflow",
]
