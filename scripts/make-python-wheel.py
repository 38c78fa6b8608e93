"""Packs python/loom, libLoomC.so, its resources and the Swift runtime libraries it links into a wheel.

Called by scripts/build-python-wheel.sh after the build; standard library only. The Swift libraries are the ones
`ldd` resolves into the toolchain folder that holds libswiftCore.so; they find each other through their own
RUNPATH ($ORIGIN), and the package loads them before libLoomC.so (loom/_native.py).
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

NAME = "loom"
SUMMARY = "Run ComfyUI workflows headless: Loom's engine through its C API (libLoomC.so)."


def swift_runtime_libraries(library: Path) -> list[Path]:
    """The Swift toolchain's shared libraries `library` loads, directly or not."""
    listing = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True).stdout
    resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", listing, re.MULTILINE))
    missing = re.findall(r"^\s*(\S+) => not found", listing, re.MULTILINE)
    if missing:
        raise SystemExit(f"ldd cannot resolve {', '.join(missing)} for {library}")
    if "libswiftCore.so" not in resolved:
        raise SystemExit(f"{library} does not link libswiftCore.so; is it a Swift library?")
    runtime = Path(resolved["libswiftCore.so"]).resolve().parent
    return sorted(Path(path) for path in resolved.values() if Path(path).resolve().parent == runtime)


def library_version(library: Path) -> str:
    loaded = ctypes.CDLL(str(library))
    loaded.loom_version.restype = ctypes.c_char_p
    return loaded.loom_version().decode()


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True, help="the built libLoomC.so")
    parser.add_argument("--resources", type=Path, required=True, help="the built Loom_LoomText.resources folder")
    parser.add_argument("--package", type=Path, required=True, help="python/loom")
    parser.add_argument("--out", type=Path, required=True, help="where the wheel goes")
    arguments = parser.parse_args()

    version = library_version(arguments.library)
    tag = f"py3-none-linux_{platform.machine()}"
    distribution = f"{NAME}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for source in sorted(arguments.package.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts and source.suffix != ".pyc":
            files[f"{NAME}/{source.relative_to(arguments.package).as_posix()}"] = source.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        # Debug information is most of a debug build's size and no use to a Python user.
        stripped = Path(scratch) / arguments.library.name
        shutil.copyfile(arguments.library, stripped)
        subprocess.run(["strip", "--strip-debug", str(stripped)], check=True)
        files[f"{NAME}/_lib/{arguments.library.name}"] = stripped.read_bytes()
    for resource in sorted(arguments.resources.rglob("*")):
        if resource.is_file():
            relative = resource.relative_to(arguments.resources.parent).as_posix()
            files[f"{NAME}/_lib/{relative}"] = resource.read_bytes()
    for runtime in swift_runtime_libraries(arguments.library):
        files[f"{NAME}/_lib/{runtime.name}"] = runtime.read_bytes()

    files[f"{distribution}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\nVersion: {version}\nSummary: {SUMMARY}\n"
        "Requires-Python: >=3.9\nRequires-Dist: numpy\n"
        "Provides-Extra: pil\nRequires-Dist: pillow; extra == \"pil\"\n"
    ).encode()
    files[f"{distribution}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: loom scripts/make-python-wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    ).encode()
    files[f"{distribution}/top_level.txt"] = f"{NAME}\n".encode()
    record = [record_line(path, data) for path, data in files.items()] + [f"{distribution}/RECORD,,"]
    files[f"{distribution}/RECORD"] = ("\n".join(record) + "\n").encode()

    arguments.out.mkdir(parents=True, exist_ok=True)
    wheel = arguments.out / f"{NAME}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=1)
    print(f"{wheel} ({os.path.getsize(wheel) / 2**20:.1f} MiB, {len(files)} files)")


if __name__ == "__main__":
    main()
