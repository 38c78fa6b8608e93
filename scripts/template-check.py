#!/usr/bin/env python3
"""Runs ComfyUI's official workflow templates, as the frontend saves them (UI format), with `loom run` on tiny
models under the file names users have. The templates come from PyPI (comfyui-workflow-templates-json) and are
never committed; each template's empty latent is shrunk (128² for SDXL, 64² for Flux) so that the check takes
seconds, the rest (nodes, links, subgraphs, primitives, widget values, model names) is the template's own.

The SDXL templates, Flux Redux (whose two reference pictures are graphs/input's) and OneReward's Fill (whose
pictures are made up: 64 × 64 RGBA with a transparent square, so that a mask comes out too) run on graphs/models.
The Flux depth LoRA template runs on graphs/models plus what is too large to commit: a random Lotus-D UNet for its
Lotus depth subgraph (context 1024, written here) and the tiny SD VAE under the name it asks for; its
ImageScaleToTotalPixels is shrunk to 0.02 megapixels (a made-up 64 × 64 picture becomes about 144 × 144).
The Flux templates run on a models folder holding only the files a ComfyUI user downloads, arranged as ComfyUI's install guide arranges them: `flux1-dev.safetensors` /
`flux1-schnell.safetensors` in diffusion_models, `clip_l.safetensors` and `t5xxl_fp16.safetensors` (no tokenizer
file anywhere) in text_encoders, `ae.safetensors` in vae, and the all-in-one `flux1-schnell-fp8.safetensors` in
checkpoints. The files are the bundled tiny models: schnell is the tiny dev transformer without its guidance
embedder (as BFL's schnell has none), and the all-in-one checkpoint holds the four under ComfyUI's key prefixes.

    python3 scripts/template-check.py [.build/debug/loom]
"""
import glob
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/loom")
BUNDLED = os.path.join(ROOT, "graphs", "models")
# Template name -> (models folder: "bundled" or "downloads", latent node type, side); a template without an empty
# latent keeps the size of its pictures.
TEMPLATES = {
    "sdxl_simple_example": ("bundled", "EmptyLatentImage", 128),
    "image_sdxl_simple": ("bundled", "EmptyLatentImage", 128),
    "flux_dev_full_text_to_image": ("downloads", "EmptySD3LatentImage", 64),
    "flux_dev_checkpoint_example": ("downloads", "EmptySD3LatentImage", 64),
    "flux_schnell_full_text_to_image": ("downloads", "EmptySD3LatentImage", 64),
    "flux_schnell": ("downloads", "EmptySD3LatentImage", 64),
    "flux_redux_model_example": ("bundled", "EmptySD3LatentImage", 64),
    "image_flux.1_fill_dev_OneReward": ("bundled", None, None),
    "flux_depth_lora_example": ("lotus", None, None),
    "flux_canny_model_example": ("bundled", None, None),
}
# The pictures templates load, from graphs/input, under the names the templates give them.
INPUTS = {"flux_redux_model_example_reference_image_1.png": "garment.png",
          "flux_redux_model_example_reference_image_2.png": "person.png"}


def template_files(directory):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", directory,
                    "comfyui-workflow-templates-json"], check=True)
    wheel = glob.glob(os.path.join(directory, "comfyui_workflow_templates_json-*.whl"))[0]
    return zipfile.ZipFile(wheel)


def read_safetensors(path):
    """(header without __metadata__, data bytes) of a safetensors file."""
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
        data = file.read()
    header.pop("__metadata__", None)
    return header, data


def write_safetensors(path, parts, strip=""):
    """Writes the tensors of `parts` ((prefix, path, keep(name) -> bool), ...) into one file, renamed prefix+name
    with `strip` taken off the front of each name."""
    header, chunks, offset = {}, [], 0
    for prefix, source, keep in parts:
        tensors, data = read_safetensors(source)
        for name, info in sorted(tensors.items(), key=lambda item: item[1]["data_offsets"][0]):
            if not keep(name):
                continue
            name = name[len(strip):] if strip and name.startswith(strip) else name
            start, end = info["data_offsets"]
            chunks.append(data[start:end])
            header[prefix + name] = {"dtype": info["dtype"], "shape": info["shape"],
                                     "data_offsets": [offset, offset + end - start]}
            offset += end - start
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)) + encoded)
        for chunk in chunks:
            file.write(chunk)


def downloads_folder(directory):
    """A ComfyUI models folder with only the files users download (see the module's comment)."""
    def bundled(relative):
        return os.path.realpath(os.path.join(BUNDLED, relative))

    def place(relative, source):
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(source, path)

    everything, no_guidance = (lambda name: True), (lambda name: not name.startswith("guidance_in."))
    place("diffusion_models/flux1-dev.safetensors", bundled("diffusion_models/flux1-dev.safetensors"))
    place("text_encoders/clip_l.safetensors", bundled("text_encoders/clip_l.safetensors"))
    place("text_encoders/t5xxl_fp16.safetensors", bundled("text_encoders/t5xxl_fp16.safetensors"))
    place("vae/ae.safetensors", bundled("vae/ae.safetensors"))
    schnell = os.path.join(directory, "diffusion_models", "flux1-schnell.safetensors")
    write_safetensors(schnell, [("", bundled("diffusion_models/flux1-dev.safetensors"), no_guidance)])
    os.makedirs(os.path.join(directory, "checkpoints"))
    write_safetensors(os.path.join(directory, "checkpoints", "flux1-schnell-fp8.safetensors"), [
        ("model.diffusion_model.", schnell, everything),
        ("text_encoders.clip_l.transformer.", bundled("text_encoders/clip_l.safetensors"), everything),
        ("text_encoders.t5xxl.transformer.", bundled("text_encoders/t5xxl_fp16.safetensors"), everything),
        ("vae.", bundled("vae/ae.safetensors"), everything),
    ])
    files = sorted(os.path.relpath(os.path.join(folder, name), directory)
                   for folder, _, names in os.walk(directory) for name in names)
    assert not any("tokenizer" in name or name.endswith((".model", ".json")) for name in files), files
    print("downloads folder:", ", ".join(files))
    return directory


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


def lotus_folder(directory):
    """graphs/models linked file by file, with the Lotus-D UNet and the SD VAE name the depth template needs."""
    for folder in os.listdir(BUNDLED):
        if not os.path.isdir(os.path.join(BUNDLED, folder)):
            continue
        os.makedirs(os.path.join(directory, folder), exist_ok=True)
        for name in os.listdir(os.path.join(BUNDLED, folder)):
            os.symlink(os.path.realpath(os.path.join(BUNDLED, folder, name)), os.path.join(directory, folder, name))
    write_safetensors_f16(os.path.join(directory, "diffusion_models", "lotus-depth-d-v1-1.safetensors"), lotus_unet_tensors())
    # The tiny SD VAE, as the SD1.5 checkpoint holds it.
    write_safetensors(os.path.join(directory, "vae", "vae-ft-mse-840000-ema-pruned.safetensors"),
                      [("", os.path.join(ROOT, "Tests", "Fixtures", "models", "sd", "sd15-tiny.safetensors"),
                        lambda name: name.startswith("first_stage_model."))], strip="first_stage_model.")
    return directory


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


def shrink(workflow, latent_type, side):
    """Sets every `latent_type` node's width and height, in the graph and in its subgraphs, to `side`, and so the
    primitive nodes that feed them."""
    graphs = [workflow] + workflow.get("definitions", {}).get("subgraphs", [])
    found = 0
    for graph in graphs:
        nodes = {node["id"]: node for node in graph["nodes"]}
        origins = {link[0]: link[1] for link in graph.get("links", []) if isinstance(link, list)}
        for node in graph["nodes"]:
            if node["type"] == latent_type:
                node["widgets_values"][:2] = [side, side]
                found += 1
                for socket in node.get("inputs", []):
                    source = nodes.get(origins.get(socket.get("link")))
                    if socket.get("name") in ("width", "height") and source and source["type"] == "PrimitiveNode":
                        source["widgets_values"][0] = side
    assert found, f"no {latent_type} in the template"


def nodes(workflow):
    """The workflow's nodes and those of its subgraph definitions."""
    yield from workflow["nodes"]
    for subgraph in workflow.get("definitions", {}).get("subgraphs", []):
        yield from subgraph["nodes"]


def saved_sizes(directory, before):
    """(width, height) of each PNG under `directory` not in `before`."""
    sizes = []
    for path in set(glob.glob(os.path.join(directory, "**", "*.png"), recursive=True)) - before:
        with open(path, "rb") as file:
            sizes.append(struct.unpack(">II", file.read(24)[16:24]))
    return sizes


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        archive = template_files(work)
        folders = {"bundled": BUNDLED, "downloads": downloads_folder(os.path.join(work, "models")),
                   "lotus": lotus_folder(os.path.join(work, "lotus-models"))}
        inputs = os.path.join(work, "input")
        os.makedirs(inputs)
        for name, picture in INPUTS.items():
            shutil.copyfile(os.path.join(ROOT, "graphs", "input", picture), os.path.join(inputs, name))
        for name, (folder, latent_type, side) in TEMPLATES.items():
            workflow = json.loads(archive.read(f"comfyui_workflow_templates_json/templates/{name}.json"))
            if latent_type:
                shrink(workflow, latent_type, side)
            for node in nodes(workflow):
                if node["type"] == "ImageScaleToTotalPixels":
                    node["widgets_values"][1] = 0.02
                picture = os.path.join(inputs, str(node["widgets_values"][0])) if node["type"] == "LoadImage" else None
                if picture and not os.path.exists(picture):
                    write_input_picture(picture)
            path = os.path.join(work, name + ".json")
            with open(path, "w") as f:
                json.dump(workflow, f)
            output = os.path.join(work, "output")
            before = set(glob.glob(os.path.join(output, "**", "*.png"), recursive=True))
            result = subprocess.run([LOOM, "run", path, "--models-dir", folders[folder],
                                     "--output-directory", output, "--input-directory", inputs, "--no-disk-cache",
                                     "--temp-directory", os.path.join(work, "temp")],
                                    capture_output=True, text=True)
            last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()
            sizes = saved_sizes(output, before)
            # A template without a latent to shrink may end in previews only (OneReward's SaveImage is bypassed).
            ok = result.returncode == 0 and (side is None or (sizes and all(size == (side, side) for size in sizes)))
            print(f"{name} ({folder} models): exit {result.returncode}, saved {sizes}: {last}")
            failures += not ok
    print(f"{len(TEMPLATES) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
