#!/usr/bin/env python3
"""Runs ComfyUI's official workflow templates, as the frontend saves them (UI format), with `loom run` on the
tiny models in graphs/models. The templates come from PyPI (comfyui-workflow-templates-json) and are never
committed; each template's EmptyLatentImage is shrunk to 128 × 128 so that the check takes seconds, the pictures
its LoadImage nodes name (not in the package) are made up: 64 × 64 RGBA with a transparent square, so that a
mask comes out too; the rest (nodes, links, subgraphs, primitives, widget values, model names) is the template's own.

    python3 scripts/template-check.py [.build/debug/loom]
"""
import glob
import json
import os
import subprocess
import sys
import struct
import tempfile
import zipfile
import zlib

TEMPLATES = ["sdxl_simple_example", "image_sdxl_simple", "image_flux.1_fill_dev_OneReward"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/loom")


def template_files(directory):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", directory,
                    "comfyui-workflow-templates-json"], check=True)
    wheel = glob.glob(os.path.join(directory, "comfyui_workflow_templates_json-*.whl"))[0]
    return zipfile.ZipFile(wheel)


def write_input_picture(path, size=64):
    """A colour gradient, transparent in a square about the centre (LoadImage's mask is 1 there)."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            hole = size // 4 <= x < 3 * size // 4 and size // 4 <= y < 3 * size // 4
            row += bytes([x * 255 // size, y * 255 // size, 128, 0 if hole else 255])
        rows.append(bytes(row))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def nodes(workflow):
    """The workflow's nodes and those of its subgraph definitions."""
    yield from workflow["nodes"]
    for subgraph in workflow.get("definitions", {}).get("subgraphs", []):
        yield from subgraph["nodes"]


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        archive = template_files(work)
        for name in TEMPLATES:
            workflow = json.loads(archive.read(f"comfyui_workflow_templates_json/templates/{name}.json"))
            inputs = os.path.join(work, "input")
            os.makedirs(inputs, exist_ok=True)
            for node in nodes(workflow):
                if node["type"] == "EmptyLatentImage":
                    node["widgets_values"][:2] = [128, 128]
                if node["type"] == "LoadImage":
                    write_input_picture(os.path.join(inputs, node["widgets_values"][0]))
            path = os.path.join(work, name + ".json")
            with open(path, "w") as f:
                json.dump(workflow, f)
            result = subprocess.run([LOOM, "run", path, "--models-dir", os.path.join(ROOT, "graphs/models"),
                                     "--output-directory", os.path.join(work, "output"), "--input-directory", inputs, "--no-disk-cache"], capture_output=True, text=True)
            print(f"{name}: exit {result.returncode}: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()}")
            failures += result.returncode != 0
    print(f"{len(TEMPLATES) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
