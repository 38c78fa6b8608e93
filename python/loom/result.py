"""What a run produced: the images its output nodes received, as NumPy arrays or PIL images, and its history."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _native
from ._handle import OwnedHandle
from .errors import check

if TYPE_CHECKING:
    import PIL.Image


@dataclass(frozen=True)
class ImageInfo:
    """Where an image came from (the output node and its input, e.g. a SaveImage's "images") and its shape."""

    node_id: str
    input_name: str
    batch_index: int
    width: int
    height: int
    channels: int


class RunResult(OwnedHandle):
    """A finished run. Images are read from Loom when first asked for, straight into the arrays returned."""

    _kind = "result"
    _release = _native.lib.loom_result_free

    def __init__(self, handle: ctypes.c_void_p) -> None:
        super().__init__(handle)
        self._history: dict[str, Any] | None = None
        self._info: list[ImageInfo] | None = None

    @property
    def history(self) -> dict[str, Any]:
        """ComfyUI's history entry: {"prompt", "outputs", "status": {"status_str", "completed", "messages"}, "meta"}."""
        if self._history is None:
            pointer = ctypes.c_void_p()
            check(_native.lib.loom_result_history_json(self.handle, ctypes.byref(pointer)))
            self._history = json.loads(_native.take_string(pointer))
        return self._history

    @property
    def outputs(self) -> dict[str, Any]:
        """Each output node's UI results by node id: saved files, PreviewAny's text, ..."""
        return self.history["outputs"]

    @property
    def prompt_id(self) -> str:
        return self.history["prompt"][1]

    @property
    def image_info(self) -> list[ImageInfo]:
        """One entry per image (every frame of every batch), in the order the output nodes ran."""
        if self._info is None:
            count = ctypes.c_size_t()
            check(_native.lib.loom_result_image_count(self.handle, ctypes.byref(count)))
            infos = []
            for index in range(count.value):
                info = _native.ImageInfo()
                check(_native.lib.loom_result_image_info(self.handle, index, ctypes.byref(info)))
                infos.append(
                    ImageInfo(
                        info.node_id.decode(), info.input_name.decode(), info.batch_index, info.width, info.height,
                        info.channels,
                    )
                )
            self._info = infos
        return self._info

    def image(self, index: int, dtype: type = np.uint8) -> np.ndarray:
        """Image `index` as a height × width × channels array: uint8 as a saved PNG holds it, or float32 as
        ComfyUI's IMAGE (nominally 0...1, unclamped)."""
        info = self.image_info[index]
        dtype = np.dtype(dtype)
        if dtype == np.uint8:
            pixel_format = _native.PIXELS_UINT8
        elif dtype == np.float32:
            pixel_format = _native.PIXELS_FLOAT32
        else:
            raise ValueError(f"dtype must be numpy.uint8 or numpy.float32, not {dtype}")
        array = np.empty((info.height, info.width, info.channels), dtype=dtype)
        check(_native.lib.loom_result_read_image(self.handle, index, pixel_format, array.ctypes.data, array.nbytes))
        return array

    @property
    def images(self) -> list[np.ndarray]:
        """Every image as a uint8 array (height × width × channels)."""
        return [self.image(index) for index in range(len(self.image_info))]

    def images_of(self, node_id: str, dtype: type = np.uint8) -> list[np.ndarray]:
        """The images one output node received, in batch order."""
        return [self.image(index, dtype) for index, info in enumerate(self.image_info) if info.node_id == node_id]

    def pil_images(self) -> list[PIL.Image.Image]:
        """Every image as a PIL image (needs Pillow: pip install pillow)."""
        try:
            import PIL.Image
        except ImportError as error:
            raise ImportError("RunResult.pil_images needs Pillow: pip install pillow") from error
        images = []
        for index, info in enumerate(self.image_info):
            if info.channels not in (1, 3, 4):
                raise ValueError(f"image {index} has {info.channels} channels; PIL takes 1 (L), 3 (RGB) or 4 (RGBA)")
            array = self.image(index)
            images.append(PIL.Image.fromarray(array[:, :, 0] if info.channels == 1 else array))
        return images

    def __repr__(self) -> str:
        if not self._handle:
            return "<loom.RunResult (closed)>"
        return f"<loom.RunResult {self.history['status']['status_str']}, {len(self.image_info)} images>"
