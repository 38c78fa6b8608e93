#!/usr/bin/env python3
"""One workflow on the bundled tiny models, run by ComfyUI (PyTorch on the CPU) and by Loom, node by node, each
time as the first prompt of a new process.

ComfyUI runs in a child process through scripts/fixtures/comfyui_executor.py (the executor and size patches the
whole-workflow goldens use; comfyui_controlnet_aux loaded for the annotators), each node's time being the sum of
its `execution.execute` calls. Loom runs `loom run --timings-file` with the disk cache off. Both start cold: model
files are read inside the loader nodes' times, and neither process is timed while it imports or initialises.
Each side runs `--repeat` times, each time in a new process, and the best time of each node and of the whole
prompt is kept. Prints a table per stage and per node with Loom's time as a multiple of ComfyUI's.

Loom's first run on a machine also compiles its shaders (lavapipe's LLVM; about half a minute for this workflow),
which Mesa's shader cache (~/.cache/mesa_shader_cache) keeps for later processes, and notes the pipelines it made
in ~/.cache/loom/pipelines, which later processes create ahead of need; with `--repeat` above 1 the best run is one
that found both there.

    /work/venv-models/bin/python scripts/bench/workflow_vs_comfyui.py [--graph graphs/dashtailor.json]
        [--loom .build/release/loom] [--comfyui DIR] [--pack DIR] [--repeat 3] [--json FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Stages by node class; anything else counts as image work (loading, compositing, cropping, saving).
STAGES = {
    "loading models": {"CheckpointLoaderSimple", "UNETLoader", "VAELoader", "DualCLIPLoader", "CLIPLoader",
                       "ControlNetLoader", "LoraLoader", "CLIPVisionLoader", "StyleModelLoader"},
    "text encoding": {"CLIPTextEncode", "CLIPTextEncodeFlux"},
    "pose annotation": {"OpenposePreprocessor", "DWPreprocessor"},
    "sampling": {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"},
    "VAE": {"VAEDecode", "VAEEncode", "VAEEncodeForInpaint", "InpaintModelConditioning", "VAEDecodeTiled",
            "VAEEncodeTiled"},
    "vision encoding": {"CLIPVisionEncode", "StyleModelApply"},
}


def stage_of(class_type):
    return next((stage for stage, classes in STAGES.items() if class_type in classes), "image work")


def run_comfyui(graph, comfyui, pack, out):
    sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
    from comfyui_executor import ComfyUI
    runner = ComfyUI(comfyui, pack=pack)
    execution = runner.execution
    seconds = {}
    original = execution.execute

    async def timed(server, dynprompt, caches, node_id, *args, **kwargs):
        start = time.perf_counter()
        try:
            return await original(server, dynprompt, caches, node_id, *args, **kwargs)
        finally:
            seconds[node_id] = seconds.get(node_id, 0.0) + time.perf_counter() - start

    execution.execute = timed
    with open(graph) as f:
        prompt = json.load(f)
    start = time.perf_counter()
    runner.run(prompt)
    total = time.perf_counter() - start
    runner.close()
    import torch
    nodes = [{"node": node, "class_type": prompt[node]["class_type"], "seconds": s} for node, s in seconds.items()]
    with open(out, "w") as f:
        json.dump({"seconds": total, "nodes": nodes, "threads": torch.get_num_threads()}, f)


def run_loom(graph, loom, out):
    with tempfile.TemporaryDirectory(prefix="loom-bench-output-") as output:
        command = [loom, "run", graph, "--models-dir", os.path.join(ROOT, "graphs", "models"),
                   "--input-directory", os.path.join(ROOT, "graphs", "input"), "--output-directory", output,
                   "--no-disk-cache", "--timings-file", out]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def comfyui_run(args):
    with tempfile.TemporaryDirectory(prefix="loom-bench-") as scratch:
        out = os.path.join(scratch, "comfyui.json")
        # A process of its own, so PyTorch's threads and memory are gone before Loom starts.
        subprocess.run([sys.executable, __file__, "--graph", args.graph, "--comfyui", args.comfyui, "--pack",
                        args.pack, "--comfyui-side", out], check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def loom_run(args):
    with tempfile.TemporaryDirectory(prefix="loom-bench-") as scratch:
        out = os.path.join(scratch, "loom.json")
        run_loom(args.graph, args.loom, out)
        with open(out) as f:
            return json.load(f)


def best_of(runs):
    """Each node's and the prompt's shortest time over the runs."""
    best = dict(runs[0], seconds=min(run["seconds"] for run in runs))
    nodes = {}
    for run in runs:
        for node in run["nodes"]:
            kept = nodes.setdefault(node["node"], dict(node))
            kept["seconds"] = min(kept["seconds"], node["seconds"])
    best["nodes"] = list(nodes.values())
    best["runs"] = len(runs)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", default=os.path.join(ROOT, "graphs", "dashtailor.json"))
    parser.add_argument("--loom", default=os.path.join(ROOT, ".build", "release", "loom"))
    parser.add_argument("--comfyui", default="/work/upstream/ComfyUI")
    parser.add_argument("--pack", default="/work/upstream/controlnet_aux")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best time counts")
    parser.add_argument("--json", help="also write both runs' timings and the ratios here")
    parser.add_argument("--comfyui-side", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.comfyui_side:
        run_comfyui(args.graph, args.comfyui, args.pack, args.comfyui_side)
        return

    comfy = best_of([comfyui_run(args) for _ in range(max(args.repeat, 1))])
    loom = best_of([loom_run(args) for _ in range(max(args.repeat, 1))])

    comfy_nodes = {n["node"]: n for n in comfy["nodes"]}
    loom_nodes = {n["node"]: n for n in loom["nodes"]}
    order = [n["node"] for n in loom["nodes"]] + [n for n in comfy_nodes if n not in loom_nodes]
    stages = {}
    rows = []
    for node in order:
        class_type = (loom_nodes.get(node) or comfy_nodes[node])["class_type"]
        c = comfy_nodes.get(node, {}).get("seconds", 0.0)
        lo = loom_nodes.get(node, {}).get("seconds", 0.0)
        rows.append({"node": node, "class_type": class_type, "comfyui": c, "loom": lo})
        stage = stages.setdefault(stage_of(class_type), {"comfyui": 0.0, "loom": 0.0})
        stage["comfyui"] += c
        stage["loom"] += lo

    def ratio(loom_s, comfy_s):
        return f"{loom_s / comfy_s:6.2f}×" if comfy_s > 0.0005 else "      —"

    print(f"{os.path.relpath(args.graph, ROOT)}: ComfyUI (PyTorch, {comfy['threads']} threads) and Loom, seconds, "
          f"best of {comfy['runs']} new processes each")
    print(f"{'stage':<18} {'ComfyUI':>8} {'Loom':>8} {'Loom/ComfyUI':>13}")
    for name in list(STAGES) + ["image work"]:
        if name in stages:
            s = stages[name]
            print(f"{name:<18} {s['comfyui']:8.3f} {s['loom']:8.3f} {ratio(s['loom'], s['comfyui']):>13}")
    c_total = sum(s["comfyui"] for s in stages.values())
    l_total = sum(s["loom"] for s in stages.values())
    print(f"{'all nodes':<18} {c_total:8.3f} {l_total:8.3f} {ratio(l_total, c_total):>13}")
    print(f"{'prompt wall time':<18} {comfy['seconds']:8.3f} {loom['seconds']:8.3f} "
          f"{ratio(loom['seconds'], comfy['seconds']):>13}")
    print()
    print(f"{'node':<22} {'class':<28} {'ComfyUI':>8} {'Loom':>8} {'ratio':>8}")
    for row in rows:
        if max(row["comfyui"], row["loom"]) >= 0.001:
            print(f"{row['node']:<22} {row['class_type']:<28} {row['comfyui']:8.3f} {row['loom']:8.3f} "
                  f"{ratio(row['loom'], row['comfyui']):>8}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"comfyui": comfy, "loom": loom, "stages": stages, "nodes": rows}, f, indent=1)


if __name__ == "__main__":
    main()
