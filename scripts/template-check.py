#!/usr/bin/env python3
"""Runs ComfyUI's official workflow templates, as the frontend saves them (UI format), with `loom run` on the
tiny models in graphs/models. The templates come from PyPI (comfyui-workflow-templates-json) and are never
committed; each template's EmptyLatentImage is shrunk to 128 × 128 and ImageScaleToTotalPixels to 0.02 megapixels so that
the check takes seconds, the pictures its LoadImage nodes name (not in the package) are made up: 64 × 64 RGBA with a
transparent square, so that a mask comes out too; the rest (nodes, links, subgraphs, primitives, widget values, model
names) is the template's own. The models are graphs/models plus what is too large to commit: a random Lotus-D UNet
(the depth template's Lotus subgraph; context 1024, written here) and the tiny SD VAE under the name it asks for.

    python3 scripts/template-check.py [.build/debug/loom]
"""
import glob
import json
import os
import subprocess
import sys
import random
import struct
import tempfile
import zipfile
import zlib

TEMPLATES = ["sdxl_simple_example", "image_sdxl_simple", "image_flux.1_fill_dev_OneReward", "flux_depth_lora_example"]
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


def lotus_unet_tensors(width=64, context=1024):
    """Lotus-D's layout (an SD2.x UNet, linear projections, heads of 64, a 4-wide class vector) at one level of `width`."""
    embedding = 4 * width
    tensors = []

    def linear(name, inputs, outputs, bias=True):
        tensors.append((name + ".weight", [outputs, inputs]))
        if bias:
            tensors.append((name + ".bias", [outputs]))

    def convolution(name, inputs, outputs, kernel=3):
        tensors.extend([(name + ".weight", [outputs, inputs, kernel, kernel]), (name + ".bias", [outputs])])

    def norm(name, channels):
        tensors.extend([(name + ".weight", [channels]), (name + ".bias", [channels])])

    def res_block(name, inputs, outputs):
        norm(name + ".in_layers.0", inputs)
        convolution(name + ".in_layers.2", inputs, outputs)
        linear(name + ".emb_layers.1", embedding, outputs)
        norm(name + ".out_layers.0", outputs)
        convolution(name + ".out_layers.3", outputs, outputs)
        if inputs != outputs:
            convolution(name + ".skip_connection", inputs, outputs, kernel=1)

    def transformer(name):
        norm(name + ".norm", width)
        linear(name + ".proj_in", width, width)
        block = name + ".transformer_blocks.0"
        for attention, source in (("attn1", width), ("attn2", context)):
            linear(f"{block}.{attention}.to_q", width, width, bias=False)
            linear(f"{block}.{attention}.to_k", source, width, bias=False)
            linear(f"{block}.{attention}.to_v", source, width, bias=False)
            linear(f"{block}.{attention}.to_out.0", width, width)
        for index in (1, 2, 3):
            norm(f"{block}.norm{index}", width)
        linear(block + ".ff.net.0.proj", width, 8 * width)
        linear(block + ".ff.net.2", 4 * width, width)
        linear(name + ".proj_out", width, width)

    linear("time_embed.0", width, embedding)
    linear("time_embed.2", embedding, embedding)
    linear("label_emb.0.0", 4, embedding)
    linear("label_emb.0.2", embedding, embedding)
    convolution("input_blocks.0.0", 4, width)
    res_block("input_blocks.1.0", width, width)
    transformer("input_blocks.1.1")
    res_block("middle_block.0", width, width)
    transformer("middle_block.1")
    res_block("middle_block.2", width, width)
    for block in (0, 1):
        res_block(f"output_blocks.{block}.0", 2 * width, width)
        transformer(f"output_blocks.{block}.1")
    norm("out.0", width)
    convolution("out.2", width, 4)
    return tensors


def write_safetensors_f16(path, tensors, seed=5):
    """Random f16 values of about 1/√fan-in (norm scales near 1, biases small)."""
    generator = random.Random(seed)
    header, offset, blobs = {}, 0, []
    for name, shape in tensors:
        count = 1
        for side in shape:
            count *= side
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + 2 * count]}
        offset += 2 * count
        is_scale = len(shape) == 1 and name.endswith(".weight")
        spread = 0.1 if len(shape) == 1 else (count // shape[0]) ** -0.5
        blobs.append(struct.pack(f"<{count}e", *((1.0 if is_scale else 0.0) + spread * generator.uniform(-1, 1) for _ in range(count))))
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def models_folder(work):
    """graphs/models linked file by file, with the files the templates need that are too large to commit."""
    root = os.path.join(work, "models")
    source = os.path.join(ROOT, "graphs", "models")
    for folder in os.listdir(source):
        if not os.path.isdir(os.path.join(source, folder)):
            continue
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        for name in os.listdir(os.path.join(source, folder)):
            os.symlink(os.path.realpath(os.path.join(source, folder, name)), os.path.join(root, folder, name))
    write_safetensors_f16(os.path.join(root, "diffusion_models", "lotus-depth-d-v1-1.safetensors"), lotus_unet_tensors())
    os.symlink(os.path.join(ROOT, "Tests", "Fixtures", "models", "sd", "sdxl-vae-tiny.safetensors"),
               os.path.join(root, "vae", "vae-ft-mse-840000-ema-pruned.safetensors"))
    return root


def nodes(workflow):
    """The workflow's nodes and those of its subgraph definitions."""
    yield from workflow["nodes"]
    for subgraph in workflow.get("definitions", {}).get("subgraphs", []):
        yield from subgraph["nodes"]


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        archive = template_files(work)
        models = models_folder(work)
        for name in TEMPLATES:
            workflow = json.loads(archive.read(f"comfyui_workflow_templates_json/templates/{name}.json"))
            inputs = os.path.join(work, "input")
            os.makedirs(inputs, exist_ok=True)
            for node in nodes(workflow):
                if node["type"] == "EmptyLatentImage":
                    node["widgets_values"][:2] = [128, 128]
                if node["type"] == "ImageScaleToTotalPixels":
                    node["widgets_values"][1] = 0.02
                if node["type"] == "LoadImage":
                    write_input_picture(os.path.join(inputs, node["widgets_values"][0]))
            path = os.path.join(work, name + ".json")
            with open(path, "w") as f:
                json.dump(workflow, f)
            result = subprocess.run([LOOM, "run", path, "--models-dir", models,
                                     "--output-directory", os.path.join(work, "output"), "--input-directory", inputs, "--no-disk-cache"], capture_output=True, text=True)
            print(f"{name}: exit {result.returncode}: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()}")
            failures += result.returncode != 0
    print(f"{len(TEMPLATES) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
