#!/usr/bin/env python3
"""One Flux transformer evaluation in PyTorch, computed the way ComfyUI's comfy/ldm/flux does it, with random weights.

The yardstick for `loom bench flux --synthetic`: the same layout (BFL tensor names, Flux dev's shape by default),
random weights made on the device, activations in bf16 as ComfyUI runs Flux on a GPU. Weight modes:
  bf16      bf16 weights
  fp8       float8_e4m3fn weights cast to bf16 in each linear (ComfyUI's default for fp8 checkpoints)
  fp8-fast  float8_e4m3fn weights multiplied by torch._scaled_mm (ComfyUI's --fast fp8_matrix_mult)
`compare_comfyui.py` checks this forward against ComfyUI's own module on tiny shapes.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def flux_shapes(width, heads, double_blocks, single_blocks):
    """Tensor names and shapes of a Flux dev transformer (guidance embedding, q/k/v biases), as BFL stores them."""
    head = width // heads
    shapes = {}

    def linear(name, inputs, outputs):
        shapes[name + ".weight"] = (outputs, inputs)
        shapes[name + ".bias"] = (outputs,)

    def norms(name):
        shapes[name + ".query_norm.scale"] = (head,)
        shapes[name + ".key_norm.scale"] = (head,)

    linear("img_in", 64, width)
    linear("txt_in", 4096, width)
    for embedder, inputs in [("time_in", 256), ("guidance_in", 256), ("vector_in", 768)]:
        linear(embedder + ".in_layer", inputs, width)
        linear(embedder + ".out_layer", width, width)
    for block in range(double_blocks):
        for stream in ["img", "txt"]:
            name = f"double_blocks.{block}.{stream}"
            linear(name + "_mod.lin", width, 6 * width)
            linear(name + "_attn.qkv", width, 3 * width)
            norms(name + "_attn.norm")
            linear(name + "_attn.proj", width, width)
            linear(name + "_mlp.0", width, 4 * width)
            linear(name + "_mlp.2", 4 * width, width)
    for block in range(single_blocks):
        name = f"single_blocks.{block}"
        linear(name + ".linear1", width, 7 * width)
        linear(name + ".linear2", 5 * width, width)
        norms(name + ".norm")
        linear(name + ".modulation.lin", width, 3 * width)
    linear("final_layer.linear", width, 64)
    linear("final_layer.adaLN_modulation.1", width, 2 * width)
    return shapes


def random_weights(shapes, matrix_dtype, device, seed=0):
    """Matrices uniform in ±1/√width in `matrix_dtype`, biases small and norm scales near 1 in bf16."""
    generator = torch.Generator(device=device).manual_seed(seed)
    width = shapes["img_in.weight"][0]
    weights = {}
    for name, shape in shapes.items():
        if len(shape) == 2:
            spread, center, dtype = 1 / math.sqrt(width), 0.0, matrix_dtype
        elif name.endswith(".scale"):
            spread, center, dtype = 0.1, 1.0, torch.bfloat16
        else:
            spread, center, dtype = 0.05, 0.0, torch.bfloat16
        values = torch.rand(shape, generator=generator, device=device, dtype=torch.float32) * 2 - 1
        weights[name] = (center + spread * values).to(dtype)
    return weights


class FluxForward:
    """Flux's forward pass over a dict of BFL-named weights; `mode` says how linears use fp8 weights."""

    def __init__(self, weights, heads, mode="bf16", dtype=torch.bfloat16, axes=None):
        self.w, self.heads, self.mode, self.dtype = weights, heads, mode, dtype
        width = weights["img_in.weight"].shape[0]
        head = width // heads
        self.axes = axes or [head // 8, (head - head // 8) // 2, (head - head // 8) // 2]
        self.double_blocks = len({k.split(".")[1] for k in weights if k.startswith("double_blocks.")})
        self.single_blocks = len({k.split(".")[1] for k in weights if k.startswith("single_blocks.")})

    def linear(self, x, name):
        weight, bias = self.w[name + ".weight"], self.w.get(name + ".bias")
        bias = None if bias is None else bias.to(x.dtype)
        if weight.dtype == torch.float8_e4m3fn and self.mode == "fp8-fast":
            rows = x.reshape(-1, x.shape[-1])
            quantised = rows.clamp(-448, 448).to(torch.float8_e4m3fn)
            one = torch.ones((), device=x.device, dtype=torch.float32)
            out = torch._scaled_mm(quantised, weight.t(), scale_a=one, scale_b=one, bias=bias, out_dtype=x.dtype)
            return out.reshape(*x.shape[:-1], weight.shape[0])
        return F.linear(x, weight.to(x.dtype), bias)

    @staticmethod
    def timestep_embedding(t, dim=256, max_period=10000, time_factor=1000.0):
        half = dim // 2
        frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        arguments = (time_factor * t)[:, None].float() * frequencies[None]
        return torch.cat([torch.cos(arguments), torch.sin(arguments)], dim=-1)

    def embed(self, x, name):
        return self.linear(F.silu(self.linear(x, name + ".in_layer")), name + ".out_layer")

    def rotary(self, ids, theta=10000):
        """[B, 1, L, head/2, 2, 2] rotation matrices: per axis, angle = position × θ^(−2i/d)."""
        parts = []
        for axis, dim in enumerate(self.axes):
            scale = torch.linspace(0, (dim - 2) / dim, steps=dim // 2, dtype=torch.float64, device=ids.device)
            omega = 1.0 / (theta ** scale)
            angles = ids[..., axis].to(torch.float32)[..., None] * omega
            cos, sin = torch.cos(angles), torch.sin(angles)
            parts.append(torch.stack([cos, -sin, sin, cos], dim=-1).reshape(*angles.shape, 2, 2).float())
        return torch.cat(parts, dim=-3).unsqueeze(1)

    @staticmethod
    def rotate(x, pe):
        pairs = x.to(pe.dtype).reshape(*x.shape[:-1], -1, 1, 2)
        return (pe[..., 0] * pairs[..., 0] + pe[..., 1] * pairs[..., 1]).reshape(*x.shape)

    def attention(self, q, k, v, pe):
        q, k = self.rotate(q, pe).to(v.dtype), self.rotate(k, pe).to(v.dtype)
        out = F.scaled_dot_product_attention(q, k, v)
        return out.transpose(1, 2).reshape(out.shape[0], out.shape[2], -1)

    def split_heads(self, qkv):
        b, length, _ = qkv.shape
        return qkv.view(b, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4).unbind(0)

    def qk_norm(self, q, k, v, name):
        scale_q, scale_k = self.w[name + ".query_norm.scale"], self.w[name + ".key_norm.scale"]
        q = F.rms_norm(q, scale_q.shape, weight=scale_q.to(q.dtype), eps=1e-6)
        k = F.rms_norm(k, scale_k.shape, weight=scale_k.to(k.dtype), eps=1e-6)
        return q.to(v.dtype), k.to(v.dtype)

    def modulation(self, vec, name, count):
        return self.linear(F.silu(vec), name)[:, None, :].chunk(count, dim=-1)

    @staticmethod
    def norm(x):
        return F.layer_norm(x, (x.shape[-1],), eps=1e-6)

    def double_block(self, index, img, txt, vec, pe):
        prefix = f"double_blocks.{index}."
        streams = {}
        for stream, x in [("img", img), ("txt", txt)]:
            shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(vec, prefix + stream + "_mod.lin", 6)
            qkv = self.linear(self.norm(x) * (1 + scale1) + shift1, prefix + stream + "_attn.qkv")
            q, k, v = self.split_heads(qkv)
            q, k = self.qk_norm(q, k, v, prefix + stream + "_attn.norm")
            streams[stream] = (x, q, k, v, gate1, shift2, scale2, gate2)
        t, i = streams["txt"], streams["img"]
        attn = self.attention(torch.cat((t[1], i[1]), 2), torch.cat((t[2], i[2]), 2), torch.cat((t[3], i[3]), 2), pe)
        text_length = txt.shape[1]
        outputs = []
        for stream, part in [("img", attn[:, text_length:]), ("txt", attn[:, :text_length])]:
            x, _, _, _, gate1, shift2, scale2, gate2 = streams[stream]
            x = x + gate1 * self.linear(part, prefix + stream + "_attn.proj")
            hidden = self.linear(self.norm(x) * (1 + scale2) + shift2, prefix + stream + "_mlp.0")
            x = x + gate2 * self.linear(F.gelu(hidden, approximate="tanh"), prefix + stream + "_mlp.2")
            outputs.append(x)
        return outputs

    def single_block(self, index, x, vec, pe):
        prefix = f"single_blocks.{index}."
        shift, scale, gate = self.modulation(vec, prefix + "modulation.lin", 3)
        width = x.shape[-1]
        qkv, mlp = torch.split(self.linear(self.norm(x) * (1 + scale) + shift, prefix + "linear1"), [3 * width, 4 * width], dim=-1)
        q, k, v = self.split_heads(qkv)
        q, k = self.qk_norm(q, k, v, prefix + "norm")
        attn = self.attention(q, k, v, pe)
        return x + gate * self.linear(torch.cat((attn, F.gelu(mlp, approximate="tanh")), 2), prefix + "linear2")

    def __call__(self, x, timestep, context, y, guidance):
        b, channels, height, width = x.shape
        x = F.pad(x, (0, width % 2, 0, height % 2), mode="circular")
        rows, columns = x.shape[2] // 2, x.shape[3] // 2
        img = x.reshape(b, channels, rows, 2, columns, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, rows * columns, channels * 4)
        image_ids = torch.zeros(rows, columns, 3, device=x.device, dtype=x.dtype)
        image_ids[..., 1] += torch.arange(rows, device=x.device, dtype=x.dtype)[:, None]
        image_ids[..., 2] += torch.arange(columns, device=x.device, dtype=x.dtype)[None, :]
        ids = torch.cat((torch.zeros(b, context.shape[1], 3, device=x.device, dtype=x.dtype),
                         image_ids.reshape(1, rows * columns, 3).expand(b, -1, -1)), dim=1)
        pe = self.rotary(ids)

        img = self.linear(img, "img_in")
        vec = self.embed(self.timestep_embedding(timestep).to(img.dtype), "time_in")
        vec = vec + self.embed(self.timestep_embedding(guidance).to(img.dtype), "guidance_in")
        vec = vec + self.embed(y, "vector_in")
        txt = self.linear(context, "txt_in")
        for index in range(self.double_blocks):
            img, txt = self.double_block(index, img, txt, vec, pe)
        joined = torch.cat((txt, img), 1)
        for index in range(self.single_blocks):
            joined = self.single_block(index, joined, vec, pe)
        img = joined[:, txt.shape[1]:]
        shift, scale = self.linear(F.silu(vec), "final_layer.adaLN_modulation.1")[:, None, :].chunk(2, dim=-1)
        img = self.linear(self.norm(img) * (1 + scale) + shift, "final_layer.linear")
        out = img.reshape(b, rows, columns, channels, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, channels, rows * 2, columns * 2)
        return out[:, :, :height, :width]


def inputs(latent, text_tokens, device, dtype, seed=7):
    generator = torch.Generator(device=device).manual_seed(seed)

    def noise(*shape):
        return (torch.rand(shape, generator=generator, device=device) * 2 - 1).to(dtype)

    return dict(x=noise(1, 16, latent, latent), timestep=torch.tensor([0.8], device=device, dtype=dtype),
                context=noise(1, text_tokens, 4096), y=noise(1, 768), guidance=torch.tensor([3.5], device=device, dtype=dtype))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", nargs="+", choices=["bf16", "fp8", "fp8-fast"], default=["bf16"],
                        help="weight modes, timed one after the other (fp8 modes share one set of weights)")
    parser.add_argument("--size", type=int, default=1024, help="square image size in pixels (the latent is an eighth)")
    parser.add_argument("--text-tokens", type=int, default=512)
    parser.add_argument("--width", type=int, default=3072)
    parser.add_argument("--heads", type=int, default=24)
    parser.add_argument("--double-blocks", type=int, default=19)
    parser.add_argument("--single-blocks", type=int, default=38)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    device = torch.device(args.device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    feed = inputs(args.size // 8, args.text_tokens, device, torch.bfloat16)
    shapes = flux_shapes(args.width, args.heads, args.double_blocks, args.single_blocks)
    runs, weights, weights_dtype = [], None, None
    for mode in args.modes:
        run = dict(mode=mode)
        runs.append(run)
        try:
            started = time.perf_counter()
            matrix_dtype = torch.bfloat16 if mode == "bf16" else torch.float8_e4m3fn
            if weights_dtype != matrix_dtype:
                weights = model = None  # the previous set goes before the next is made
                weights, weights_dtype = random_weights(shapes, matrix_dtype, device), matrix_dtype
            model = FluxForward(weights, args.heads, mode=mode)
            synchronize()
            run.update(load_seconds=time.perf_counter() - started, parameters=sum(w.numel() for w in weights.values()))
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            with torch.inference_mode():
                started = time.perf_counter()
                out = model(**feed)
                synchronize()
                run["first_seconds"] = time.perf_counter() - started
                started = time.perf_counter()
                for _ in range(args.repetitions):
                    out = model(**feed)
                synchronize()
                run["seconds"] = (time.perf_counter() - started) / max(args.repetitions, 1)
            run["finite"] = bool(torch.isfinite(out).all())
            if device.type == "cuda":
                run["peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        except Exception as error:  # fp8-fast needs a GPU with fp8 tensor cores; report and go on
            run["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
        if not args.json:
            if "error" in run:
                print(f"PyTorch Flux {mode}: {run['error']}")
            else:
                print(f"PyTorch Flux {mode}: {run['parameters'] / 1e9:.2f} billion parameters, {args.size}²: "
                      f"{run['seconds']:.3f} s/evaluation (first {run['first_seconds']:.2f} s)")
    report = dict(device=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", torch=torch.__version__,
                  size=args.size, tokens=args.text_tokens + (args.size // 16) ** 2, runs=runs)
    if args.json:
        print(json.dumps(report, indent=1))
    return 0 if all(run.get("finite") for run in runs if "error" not in run) else 1


if __name__ == "__main__":
    sys.exit(main())
