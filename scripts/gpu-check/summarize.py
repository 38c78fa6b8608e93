#!/usr/bin/env python3
"""Gathers what .gpu-check/run.sh's stages left in its work folder into summary.json and summary.txt there.

Reads stages.tsv (stage, status, seconds, note), tests.log's closing line, ops.json / torch_ops.json and the Flux
reports flux-loom-*.json / flux-torch.json. Usage: summarize.py FOLDER
"""
import json
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])


def load(name):
    try:
        return json.loads((out / name).read_text())
    except (OSError, ValueError):
        return None


summary = dict(stages=[], tests=None, ops=[], flux=[])
lines = []
for row in (out / "stages.tsv").read_text().splitlines() if (out / "stages.tsv").exists() else []:
    stage, status, seconds, note = (row.split("\t") + ["", "", ""])[:4]
    summary["stages"].append(dict(stage=stage, status=status, seconds=float(seconds or 0), note=note))
    lines.append(f"{stage:<16} {status:<8} {float(seconds or 0):6.0f} s  {note}")

log = (out / "tests.log").read_text(errors="replace") if (out / "tests.log").exists() else ""
closing = re.findall(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", log, re.M)
device = re.findall(r"^device: (.*)$", log, re.M)
if closing:
    passed, failed, skipped = map(int, closing[-1])
    summary["tests"] = dict(passed=passed, failed=failed, skipped=skipped, device=device[0] if device else None,
                            failures=re.findall(r"^FAIL (\S+)", log, re.M))
    lines += ["", f"operator tests on {summary['tests']['device']}: {passed} passed, {failed} failed, {skipped} skipped"]
    lines += [f"  FAIL {name}" for name in summary["tests"]["failures"]]

ops, torch_ops = load("ops.json"), load("torch_ops.json")
if ops:
    theirs = {row["name"]: row for row in (torch_ops or {}).get("operators", [])}
    lines += ["", f"operators on {ops['device']} (cooperative matrices: {ops['cooperativeMatrix']}), {ops['tokens']} tokens, "
              f"width {ops['width']}, {ops['heads']} heads" + (f"; PyTorch {torch_ops['torch']} on {torch_ops['device']}" if torch_ops else ""),
              f"{'operator':<16} {'shape':<36} {'Loom µs':>10} {'TFLOP/s':>8} {'PyTorch µs':>11} {'TFLOP/s':>8} {'Loom speed':>10}"]
    for op in ops["operators"]:
        other = theirs.get(op["name"], {})
        # Loom's speed as a multiple of PyTorch's: PyTorch's time over Loom's (above 1: Loom is faster).
        speed = other["microseconds"] / op["microseconds"] if other.get("microseconds") else None
        summary["ops"].append(dict(name=op["name"], shape=op["shape"], loom_us=op["microseconds"], loom_tflops=op["tflops"],
                                   torch_op=other.get("torch_op"), torch_us=other.get("microseconds"), torch_tflops=other.get("tflops"),
                                   loom_speed_vs_torch=speed, torch_error=other.get("error")))
        torch_text = (f"{other['microseconds']:>11.0f} {other['tflops']:>8.2f} {speed:>9.2f}×" if speed
                      else f"{'':>11} {'':>8} {'':>10}" + (f"  ({other['error']})" if other.get("error") else ""))
        lines.append(f"{op['name']:<16} {op['shape']:<36} {op['microseconds']:>10.0f} {op['tflops']:>8.3f} " + torch_text)

torch_flux = load("flux-torch.json")
torch_runs = {run["mode"]: run for run in (torch_flux or {}).get("runs", [])}
for dtype, modes in [("bf16", ["bf16"]), ("f8_e4m3", ["fp8", "fp8-fast"])]:
    loom = load(f"flux-loom-{dtype}.json")
    compared = [torch_runs[mode] for mode in modes if mode in torch_runs]
    if not loom and not compared:
        continue
    entry = dict(weights=dtype, loom=None, torch=compared)
    if loom:
        evaluation = loom["evaluations"][0] if loom["evaluations"] else {}
        entry["loom"] = dict(device=loom["device"], activations=loom.get("activationStorage"), parameters=loom["parameters"], load_seconds=loom["loadSeconds"],
                             size=evaluation.get("size"), tokens=evaluation.get("tokens"), seconds=evaluation.get("seconds"),
                             first_seconds=evaluation.get("firstSeconds"), peak_allocated_mib=evaluation.get("peakAllocatedMiB"),
                             resident_blocks=f"{loom['residentBlocks']}/{loom['blocks']}")
    summary["flux"].append(entry)
    lines.append("")
    if entry["loom"]:
        l = entry["loom"]
        lines.append(f"Flux step, {dtype} weights, {l['size']}² ({l['tokens']} tokens), {l['parameters'] / 1e9:.2f} B parameters: "
                     f"Loom {l['seconds']:.3f} s/evaluation ({l['activations']} activations; first {l['first_seconds']:.2f} s, weights made and loaded in "
                     f"{l['load_seconds']:.1f} s, peak {l['peak_allocated_mib']:.0f} MiB, {l['resident_blocks']} blocks resident)")
    for run in compared:
        if "error" in run:
            lines.append(f"  PyTorch {run['mode']}: {run['error']}")
            continue
        run["loom_speed_vs_torch"] = run["seconds"] / entry["loom"]["seconds"] if entry["loom"] and entry["loom"]["seconds"] else None
        ratio = f", Loom at {run['loom_speed_vs_torch']:.2f}× PyTorch's speed" if run["loom_speed_vs_torch"] else ""
        peak = f", peak {run['peak_mib']:.0f} MiB" if run.get("peak_mib") else ""
        lines.append(f"  PyTorch {run['mode']}: {run['seconds']:.3f} s/evaluation (first {run['first_seconds']:.2f} s{peak}){ratio}")

(out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
(out / "summary.txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
