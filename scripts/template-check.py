#!/usr/bin/env python3
"""Runs ComfyUI's official workflow templates, as the frontend saves them (UI format), with `loom run` on the
tiny models in graphs/models. The templates come from PyPI (comfyui-workflow-templates-json) and are never
committed; each template's EmptyLatentImage is shrunk to 128 × 128 so that the check takes seconds, the rest
(nodes, links, primitives, widget values, model names) is the template's own.

    python3 scripts/template-check.py [.build/debug/loom]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

TEMPLATES = ["sdxl_simple_example", "image_sdxl_simple"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/loom")


def template_files(directory):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", directory,
                    "comfyui-workflow-templates-json"], check=True)
    wheel = glob.glob(os.path.join(directory, "comfyui_workflow_templates_json-*.whl"))[0]
    return zipfile.ZipFile(wheel)


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        archive = template_files(work)
        for name in TEMPLATES:
            workflow = json.loads(archive.read(f"comfyui_workflow_templates_json/templates/{name}.json"))
            for node in workflow["nodes"]:
                if node["type"] == "EmptyLatentImage":
                    node["widgets_values"][:2] = [128, 128]
            path = os.path.join(work, name + ".json")
            with open(path, "w") as f:
                json.dump(workflow, f)
            result = subprocess.run([LOOM, "run", path, "--models-dir", os.path.join(ROOT, "graphs/models"),
                                     "--output-directory", os.path.join(work, "output"), "--no-disk-cache"], capture_output=True, text=True)
            print(f"{name}: exit {result.returncode}: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()}")
            failures += result.returncode != 0
    print(f"{len(TEMPLATES) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
