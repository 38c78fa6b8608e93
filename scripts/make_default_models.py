#!/usr/bin/env python3
"""The small default models bundled in graphs/models, so the ready workflows run on a fresh machine
without downloads: random Flux dev and Fill transformers with the real BFL / ComfyUI key layout and
storage type (BF16), sized to the bundled text encoders (T5 width 16, CLIP-L width 8), and a random
T5 v1.1 encoder with T5's real vocabulary (32,128 embedding rows), so that it needs no tokenizer file:
Loom's bundled T5 tokenizer serves it, as it serves a ComfyUI user's t5xxl file.

    pip install numpy ml_dtypes gguf
    python scripts/make_default_models.py   # writes graphs/models/{diffusion_models,text_encoders}/*.safetensors

CLIP-L and the VAE in graphs/models are links to test fixtures that already have the needed layout
(see graphs/models/README.md). Output is deterministic.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_model_fixtures import BF16, flux_shapes, random_tensors, t5_shapes, write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"hidden": 32, "head_dim": 16, "mlp": 128, "double": 2, "single": 2, "context": 16, "pooled": 8}
T5_SIZES = {"d_model": SIZES["context"], "layers": 2, "heads": 2, "d_kv": 8, "d_ff": 32, "vocab": 32128}


def main():
    out = ROOT / "graphs" / "models"
    for name, in_channels, seed in (("flux1-dev.safetensors", 64, 1), ("flux1-fill-dev.safetensors", 384, 2)):
        tensors = random_tensors(flux_shapes(in_channels, True, **SIZES), np.random.default_rng(seed), BF16)
        write_safetensors(out / "diffusion_models" / name, tensors)
        print(out / "diffusion_models" / name)
    t5 = random_tensors(t5_shapes(**T5_SIZES), np.random.default_rng(3), BF16)
    write_safetensors(out / "text_encoders" / "t5xxl_fp16.safetensors", t5, {"format": "pt"})
    print(out / "text_encoders" / "t5xxl_fp16.safetensors")


if __name__ == "__main__":
    main()
