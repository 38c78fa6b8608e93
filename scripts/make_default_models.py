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
from make_model_fixtures import BF16, flux_shapes, random_tensors, write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"hidden": 32, "head_dim": 16, "mlp": 128, "double": 2, "single": 2, "context": 16, "pooled": 8}


def main():
    out = ROOT / "graphs" / "models" / "diffusion_models"
    out.mkdir(parents=True, exist_ok=True)
    for name, in_channels, seed in (("flux1-dev.safetensors", 64, 1), ("flux1-fill-dev.safetensors", 384, 2)):
        tensors = random_tensors(flux_shapes(in_channels, True, **SIZES), np.random.default_rng(seed), BF16)
        write_safetensors(out / name, tensors)
        print(out / name)


if __name__ == "__main__":
    main()
