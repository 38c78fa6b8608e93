"""Starts `loom serve` on a free loopback port for the scripts in this folder, and small HTTP and PNG helpers.

Only the standard library, so every script can import it whatever else it installs.
"""

import json
import os
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zlib

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM = os.environ.get("LOOM", os.path.join(REPOSITORY, ".build", "debug", "loom"))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoomServer:
    """`loom serve --base-directory base` on 127.0.0.1; stopped with SIGTERM (or SIGKILL) by the caller."""

    def __init__(self, base, port=None, arguments=(), log_path=None, environment=None):
        self.base = base
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(log_path or os.path.join(base, "server.log"), "ab")
        self.process = subprocess.Popen(
            [LOOM, "serve", "--port", str(self.port), "--base-directory", base, *arguments],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"loom serve exited with {self.process.returncode}; see {log.name}")
            try:
                self.get("/system_stats")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("loom serve did not answer within 60 s")

    def get(self, path, timeout=30):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return response.read()

    def get_json(self, path, timeout=30):
        return json.loads(self.get(path, timeout))

    def post_json(self, path, body, timeout=30):
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def wait_for_history(self, prompt_id, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            entry = self.get_json(f"/history/{prompt_id}")
            if prompt_id in entry:
                return entry[prompt_id]
            time.sleep(0.1)
        raise TimeoutError(f"prompt {prompt_id} did not finish within {timeout} s")

    def stop(self, kill=False):
        if self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=30)


def png(width, height, pixel):
    """An 8-bit RGB PNG whose pixel (x, y) is `pixel(x, y)` -> (r, g, b)."""
    rows = b"".join(b"\0" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write_input_image(base, name="example.png", size=(64, 48)):
    """A gradient test image in `base/input`."""
    os.makedirs(os.path.join(base, "input"), exist_ok=True)
    path = os.path.join(base, "input", name)
    with open(path, "wb") as file:
        file.write(png(*size, lambda x, y: (x * 4 % 256, y * 5 % 256, 128)))
    return path


def invert_workflow(image="example.png", prefix="loom_test"):
    """LoadImage → ImageInvert → SaveImage in ComfyUI's API format."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }
