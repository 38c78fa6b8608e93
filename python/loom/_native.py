"""ctypes declarations of libLoomC.so's C API (Sources/CLoom/include/loom.h) and where to find the library."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

LIBRARY_NAME = "libLoomC.so"

# loom_status
OK = 0
ERROR_INVALID_ARGUMENT = 1
ERROR_INVALID_HANDLE = 2
ERROR_IO = 3
ERROR_FORMAT = 4
ERROR_VALIDATION = 5
ERROR_EXECUTION = 6
ERROR_INTERRUPTED = 7
ERROR_NOT_FOUND = 8
ERROR_REENTRANT = 9
ERROR_BUFFER_TOO_SMALL = 10
ERROR_INTERNAL = 11

# loom_cache_policy
CACHE_POLICIES = {"unbounded": 0, "none": 1, "lru": 2, "ram": 3}

# loom_pixel_format
PIXELS_UINT8 = 0
PIXELS_FLOAT32 = 1


class EngineOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("base_dir", ctypes.c_char_p),
        ("models_dir", ctypes.c_char_p),
        ("extra_model_paths_config", ctypes.c_char_p),
        ("input_dir", ctypes.c_char_p),
        ("output_dir", ctypes.c_char_p),
        ("temp_dir", ctypes.c_char_p),
        ("user_dir", ctypes.c_char_p),
        ("cache_policy", ctypes.c_int),
        ("cache_lru_count", ctypes.c_int64),
        ("cache_ram_bytes", ctypes.c_int64),
        ("disk_cache", ctypes.c_int32),
        ("disk_cache_dir", ctypes.c_char_p),
        ("disk_cache_bytes", ctypes.c_int64),
        ("device", ctypes.c_char_p),
    ]


class Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_char_p),
        ("json", ctypes.c_void_p),
        ("json_length", ctypes.c_size_t),
        ("preview_rgb", ctypes.c_void_p),
        ("preview_width", ctypes.c_int32),
        ("preview_height", ctypes.c_int32),
    ]


class ImageInfo(ctypes.Structure):
    _fields_ = [
        ("node_id", ctypes.c_char_p),
        ("input_name", ctypes.c_char_p),
        ("batch_index", ctypes.c_int32),
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("channels", ctypes.c_int32),
    ]


EventCallback = ctypes.CFUNCTYPE(None, ctypes.POINTER(Event), ctypes.c_void_p)

_handle = ctypes.c_void_p
_status = ctypes.c_int
_out_handle = ctypes.POINTER(ctypes.c_void_p)
_out_string = ctypes.POINTER(ctypes.c_void_p)

_SIGNATURES = {
    "loom_version": (ctypes.c_char_p, []),
    "loom_last_error": (ctypes.c_char_p, []),
    "loom_last_error_json": (ctypes.c_char_p, []),
    "loom_free": (None, [ctypes.c_void_p]),
    "loom_engine_options_init": (None, [ctypes.POINTER(EngineOptions)]),
    "loom_engine_create": (_status, [ctypes.POINTER(EngineOptions), _out_handle]),
    "loom_engine_destroy": (_status, [_handle]),
    "loom_interrupt": (_status, [_handle]),
    "loom_workflow_load_file": (_status, [_handle, ctypes.c_char_p, _out_handle]),
    "loom_workflow_load_data": (_status, [_handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, _out_handle]),
    "loom_workflow_set_input": (_status, [_handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]),
    "loom_workflow_to_json": (_status, [_handle, _out_string]),
    "loom_workflow_free": (_status, [_handle]),
    "loom_validate": (_status, [_handle, _handle]),
    "loom_run": (_status, [_handle, _handle, EventCallback, ctypes.c_void_p, _out_handle]),
    "loom_result_history_json": (_status, [_handle, _out_string]),
    "loom_result_image_count": (_status, [_handle, ctypes.POINTER(ctypes.c_size_t)]),
    "loom_result_image_info": (_status, [_handle, ctypes.c_size_t, ctypes.POINTER(ImageInfo)]),
    "loom_result_read_image": (_status, [_handle, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]),
    "loom_result_free": (_status, [_handle]),
}


def library_path() -> Path:
    """Where libLoomC.so is: $LOOM_LIBRARY, else beside this package (a wheel's copy), else the repository's build."""
    if "LOOM_LIBRARY" in os.environ:
        return Path(os.environ["LOOM_LIBRARY"])
    package = Path(__file__).resolve().parent
    bundled = package / "_lib" / LIBRARY_NAME
    if bundled.exists():
        return bundled
    repository = package.parent.parent
    for configuration in ("release", "debug"):
        built = repository / ".build" / configuration / LIBRARY_NAME
        if built.exists():
            return built
    raise OSError(
        f"cannot find {LIBRARY_NAME}: set LOOM_LIBRARY, install the wheel (scripts/build-python-wheel.sh), "
        "or build it with `swift build --product LoomC`"
    )


def load() -> ctypes.CDLL:
    """Opens the library and declares its functions. ctypes.CDLL releases the GIL during each call.

    A wheel carries the Swift runtime beside the library. Those copies are opened first: the dynamic loader then
    satisfies the library's dependencies with them by name, even where its RUNPATH names a Swift toolchain."""
    path = library_path()
    if (path.parent / "libswiftCore.so").exists():
        for runtime in sorted(path.parent.glob("lib*.so")):
            if runtime != path:
                ctypes.CDLL(str(runtime))
    library = ctypes.CDLL(str(path))
    for name, (result, arguments) in _SIGNATURES.items():
        function = getattr(library, name)
        function.restype = result
        function.argtypes = arguments
    return library


lib = load()


def take_string(pointer: ctypes.c_void_p) -> str:
    """A string Loom returned through a `char **`, released after decoding."""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.loom_free(pointer)
