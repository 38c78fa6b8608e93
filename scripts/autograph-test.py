"""Drives `loom serve` with comfyui-autograph, a ComfyUI automation package from PyPI: it converts a UI workflow
(ComfyUI's Flux.1 Dev text-to-image template from the installed comfyui-workflow-templates packages, with its
subgraph) to an API prompt using the server's /object_info, submits it, follows it and downloads the image.
Runs with the bundled tiny models (graphs/models) at 64 × 64, asserting each step.
"""

import glob
import importlib.util
import json
import os
import shutil
import sys
import tempfile

from autograph import ApiFlow, NodeInfo

from loom_server import REPOSITORY, LoomServer

TEMPLATE = "flux_dev_full_text_to_image.json"


def template_path():
    spec = importlib.util.find_spec("comfyui_workflow_templates_json")
    assert spec and spec.submodule_search_locations, "install comfyui-workflow-templates"
    return os.path.join(list(spec.submodule_search_locations)[0], "templates", TEMPLATE)


def main():
    work = tempfile.mkdtemp(prefix="loom-autograph-")
    server = LoomServer(work, arguments=["--models-dir", os.path.join(REPOSITORY, "graphs", "models")])
    try:
        print("1. node info from the server's /object_info")
        node_info = NodeInfo("fetch", server_url=server.url)
        node_info.save(os.path.join(work, "node-info.json"))
        with open(os.path.join(work, "node-info.json"), encoding="utf-8") as file:
            saved = json.load(file)
        assert "KSampler" in saved and "UNETLoader" in saved, sorted(saved)[:5]

        print(f"2. convert the UI workflow {TEMPLATE} (a subgraph around Flux nodes) to an API prompt")
        api = ApiFlow(template_path(), node_info=node_info)
        api.save(os.path.join(work, "workflow-api.json"))
        with open(os.path.join(work, "workflow-api.json"), encoding="utf-8") as file:
            prompt = json.load(file)
        classes = sorted(node["class_type"] for node in prompt.values())
        for expected in ("UNETLoader", "DualCLIPLoader", "VAELoader", "KSampler", "EmptySD3LatentImage", "SaveImage"):
            assert expected in classes, classes
        api.EmptySD3LatentImage.width = 64
        api.EmptySD3LatentImage.height = 64
        api.KSampler.steps = 4
        api.SaveImage.filename_prefix = "autograph"

        print("3. submit, wait, and download the image")
        result = api.submit(server_url=server.url, wait=True)
        images = result.fetch_images()
        paths = images.save(os.path.join(work, "downloaded", "frame.###.png"))
        files = sorted(glob.glob(os.path.join(work, "downloaded", "*.png")))
        assert files, f"nothing downloaded: {paths}"
        with open(files[0], "rb") as file:
            data = file.read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (64, 64), (width, height)
        history = server.get_json("/history")
        entry = next(iter(history.values()))
        assert entry["status"]["status_str"] == "success", entry["status"]
        saved_names = [image["filename"] for output in entry["outputs"].values() for image in output.get("images", [])]
        assert saved_names and saved_names[0].startswith("autograph"), saved_names
        print(f"  downloaded {files[0]} ({width} × {height}) from {saved_names[0]}")
        print("comfyui-autograph check passed")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
