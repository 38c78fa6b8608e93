#!/usr/bin/env python3
"""Checks torch_flux.py's Flux forward against ComfyUI's own (comfy/ldm/flux/model.py) on tiny shapes on the CPU.

Both get the same random weights (BFL names, loaded into ComfyUI's module with strict=True) and the same inputs,
in float32 and in bf16; the outputs must agree to float rounding. ComfyUI is not on PyPI: point $COMFYUI at a
checkout of github.com/comfyanonymous/ComfyUI whose requirements (einops among them) are importable.
  COMFYUI=/path/to/ComfyUI python scripts/gpu-check/compare_comfyui.py
"""
import os
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from torch_flux import FluxForward, flux_shapes, random_weights  # noqa: E402

comfyui = os.environ.get("COMFYUI")
if not comfyui or not os.path.isfile(os.path.join(comfyui, "comfy", "ldm", "flux", "model.py")):
    sys.exit("set COMFYUI to a ComfyUI checkout (comfy/ldm/flux/model.py)")
sys.path.insert(0, comfyui)
try:
    from comfy.cli_args import args
    args.cpu = True
except ImportError:  # a partial checkout without ComfyUI's command line
    pass
import comfy.ops  # noqa: E402
from comfy.ldm.flux.model import Flux  # noqa: E402

width, heads, double_blocks, single_blocks = 128, 4, 2, 2
head = width // heads
axes = [head // 8, (head - head // 8) // 2, (head - head // 8) // 2]
worst = 0.0
for dtype, tolerance in [(torch.float32, 1e-10), (torch.bfloat16, 1e-4)]:
    weights = {name: value.to(dtype) for name, value in
               random_weights(flux_shapes(width, heads, double_blocks, single_blocks), torch.float32, torch.device("cpu"), seed=3).items()}
    theirs = Flux(in_channels=16, out_channels=16, vec_in_dim=768, context_in_dim=4096, hidden_size=width, mlp_ratio=4.0,
                  num_heads=heads, depth=double_blocks, depth_single_blocks=single_blocks, axes_dim=axes, theta=10000,
                  patch_size=2, qkv_bias=True, guidance_embed=True, dtype=dtype, device="cpu",
                  operations=comfy.ops.disable_weight_init)
    theirs.load_state_dict(weights, strict=True)
    ours = FluxForward(weights, heads, mode="bf16", axes=axes)
    generator = torch.Generator().manual_seed(11)
    # An odd latent size exercises the patch padding; 7 text tokens the joint attention's split.
    feed = dict(x=torch.randn(1, 16, 9, 12, generator=generator).to(dtype), timestep=torch.tensor([0.7]).to(dtype),
                context=torch.randn(1, 7, 4096, generator=generator).to(dtype), y=torch.randn(1, 768, generator=generator).to(dtype),
                guidance=torch.tensor([3.5]).to(dtype))
    with torch.inference_mode():
        expected = theirs(feed["x"], feed["timestep"], feed["context"], feed["y"], guidance=feed["guidance"]).float()
        actual = ours(**feed).float()
    if expected.shape != actual.shape:
        sys.exit(f"{dtype}: shape {tuple(actual.shape)}, ComfyUI {tuple(expected.shape)}")
    nmse = float(((actual - expected) ** 2).sum() / (expected ** 2).sum())
    print(f"{dtype}: output {tuple(actual.shape)}, NMSE against ComfyUI's Flux {nmse:.3e} (limit {tolerance:.0e}), "
          f"max |difference| {float((actual - expected).abs().max()):.3e}")
    if not nmse <= tolerance:
        sys.exit(f"{dtype}: torch_flux.py differs from ComfyUI's Flux")
print("torch_flux.py computes ComfyUI's Flux forward")
