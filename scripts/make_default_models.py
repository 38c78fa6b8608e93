#!/usr/bin/env python3
"""The small default diffusion models bundled in graphs/models, so the ready workflows run on a fresh
machine without downloads: random Flux dev and Fill transformers with the real BFL / ComfyUI key layout
and storage type (BF16), sized to the bundled text encoders (T5 width 16, CLIP-L width 8).

    pip install numpy ml_dtypes
    python scripts/make_default_models.py        # writes graphs/models/diffusion_models/*.safetensors

The text encoders and the VAE in graphs/models are links to test fixtures that already have the
needed layout (see graphs/models/README.md). Output is deterministic.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_model_fixtures import BF16, random_tensors, write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HIDDEN, HEAD_DIM, MLP, DOUBLE, SINGLE = 32, 16, 128, 2, 2
CONTEXT, POOLED = 16, 8


def flux_shapes(in_channels: int) -> dict:
    h, m = HIDDEN, MLP
    shapes = {
        "img_in.weight": (h, in_channels), "img_in.bias": (h,),
        "txt_in.weight": (h, CONTEXT), "txt_in.bias": (h,),
    }
    for embedder, width in (("time_in", 256), ("guidance_in", 256), ("vector_in", POOLED)):
        shapes.update({
            f"{embedder}.in_layer.weight": (h, width), f"{embedder}.in_layer.bias": (h,),
            f"{embedder}.out_layer.weight": (h, h), f"{embedder}.out_layer.bias": (h,),
        })
    for n in range(DOUBLE):
        for stream in ("img", "txt"):
            p = f"double_blocks.{n}.{stream}_"
            shapes.update({
                p + "mod.lin.weight": (6 * h, h), p + "mod.lin.bias": (6 * h,),
                p + "attn.qkv.weight": (3 * h, h), p + "attn.qkv.bias": (3 * h,),
                p + "attn.norm.query_norm.scale": (HEAD_DIM,), p + "attn.norm.key_norm.scale": (HEAD_DIM,),
                p + "attn.proj.weight": (h, h), p + "attn.proj.bias": (h,),
                p + "mlp.0.weight": (m, h), p + "mlp.0.bias": (m,),
                p + "mlp.2.weight": (h, m), p + "mlp.2.bias": (h,),
            })
    for n in range(SINGLE):
        p = f"single_blocks.{n}."
        shapes.update({
            p + "linear1.weight": (3 * h + m, h), p + "linear1.bias": (3 * h + m,),
            p + "linear2.weight": (h, h + m), p + "linear2.bias": (h,),
            p + "norm.query_norm.scale": (HEAD_DIM,), p + "norm.key_norm.scale": (HEAD_DIM,),
            p + "modulation.lin.weight": (3 * h, h), p + "modulation.lin.bias": (3 * h,),
        })
    shapes.update({
        "final_layer.linear.weight": (64, h), "final_layer.linear.bias": (64,),
        "final_layer.adaLN_modulation.1.weight": (2 * h, h), "final_layer.adaLN_modulation.1.bias": (2 * h,),
    })
    return shapes


def main():
    out = ROOT / "graphs" / "models" / "diffusion_models"
    out.mkdir(parents=True, exist_ok=True)
    for name, in_channels, seed in (("flux1-dev.safetensors", 64, 1), ("flux1-fill-dev.safetensors", 384, 2)):
        tensors = random_tensors(flux_shapes(in_channels), np.random.default_rng(seed), BF16)
        write_safetensors(out / name, tensors)
        print(out / name)


if __name__ == "__main__":
    main()
