#!/usr/bin/env python3
"""PyTorch-CPU timing of the same autoencoder decode that `loom bench vae --python` times.

Reads the AE's decoder tensors from the safetensors file and runs the LDM/BFL decoder (conv_in; mid: ResNet block,
single-head attention, ResNet block; up blocks from the deepest with nearest ×2 upsampling and a 3×3 conv; GroupNorm
32 + SiLU; conv_out) with torch.nn.functional in f32, as ComfyUI runs it on a CPU. Prints one JSON line per size:
{"size": S, "seconds": best of --repeats}.
"""
import argparse
import json
import re
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    weights = {k[len("decoder."):]: v.float() for k, v in load_file(args.model).items() if k.startswith("decoder.")}
    ups = sorted({int(m.group(1)) for k in weights for m in [re.match(r"up\.(\d+)\.", k)] if m})
    blocks = {i: sorted({int(m.group(1)) for k in weights for m in [re.match(rf"up\.{i}\.block\.(\d+)\.", k)] if m}) for i in ups}
    latent_channels = weights["conv_in.weight"].shape[1]

    def conv(x, name, padding=1):
        return F.conv2d(x, weights[name + ".weight"], weights[name + ".bias"], padding=padding)

    def norm(x, name, silu=True):
        x = F.group_norm(x, 32, weights[name + ".weight"], weights[name + ".bias"], eps=1e-6)
        return F.silu(x) if silu else x

    def resnet(x, name):
        h = conv(norm(x, name + ".norm1"), name + ".conv1")
        h = conv(norm(h, name + ".norm2"), name + ".conv2")
        if name + ".nin_shortcut.weight" in weights:
            x = conv(x, name + ".nin_shortcut", padding=0)
        return x + h

    def attention(x, name):
        b, c, h, w = x.shape
        n = norm(x, name + ".norm", silu=False)
        q, k, v = (conv(n, f"{name}.{p}", padding=0).reshape(b, 1, c, h * w).transpose(2, 3) for p in "qkv")
        out = F.scaled_dot_product_attention(q, k, v).transpose(2, 3).reshape(b, c, h, w)
        return x + conv(out, name + ".proj_out", padding=0)

    @torch.inference_mode()
    def decode(z):
        h = conv(z, "conv_in")
        h = resnet(h, "mid.block_1")
        h = attention(h, "mid.attn_1")
        h = resnet(h, "mid.block_2")
        for i in reversed(ups):
            for j in blocks[i]:
                h = resnet(h, f"up.{i}.block.{j}")
            if f"up.{i}.upsample.conv.weight" in weights:
                h = conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), f"up.{i}.upsample.conv")
        return conv(norm(h, "norm_out"), "conv_out")

    factor = 2 ** sum(1 for i in ups if f"up.{i}.upsample.conv.weight" in weights)
    for size in args.sizes:
        cells = size // factor
        z = torch.sin(torch.arange(latent_channels * cells * cells, dtype=torch.float32) * 0.37).reshape(1, latent_channels, cells, cells)
        best = float("inf")
        for _ in range(max(args.repeats, 1)):
            start = time.perf_counter()
            decode(z)
            best = min(best, time.perf_counter() - start)
        print(json.dumps({"size": size, "seconds": best}), flush=True)


if __name__ == "__main__":
    main()
