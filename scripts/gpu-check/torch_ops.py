#!/usr/bin/env python3
"""PyTorch's time for the matrix products and attentions that `loom bench ops --json` measured, at the same shapes.

Reads Loom's report (argument 1) and prints one JSON document: per operator, PyTorch's best time and TFLOP/s for
bf16 × bf16 GEMMs (cuBLAS), fp8 × fp8 GEMMs by torch._scaled_mm where the GPU has them, and
scaled_dot_product_attention in bf16 (flash attention on a GPU).
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def best_seconds(run, device, repetitions=10):
    run()  # warm-up: kernel selection, workspace allocation
    if device.type == "cuda":
        torch.cuda.synchronize()
        times = []
        for _ in range(repetitions):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1000)
        return min(times)
    times = []
    for _ in range(max(repetitions // 3, 1)):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    loom = json.load(open(sys.argv[1]))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    for op in loom["operators"]:
        row = dict(name=op["name"])
        try:
            if op.get("gemm"):
                m, n, k = op["gemm"]
                a = torch.randn(m, k, device=device, dtype=torch.bfloat16)
                b = torch.randn(n, k, device=device, dtype=torch.bfloat16)
                if "f8" in op["name"]:
                    if device.type != "cuda":
                        raise RuntimeError("fp8 GEMMs need a GPU")
                    a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)
                    one = torch.ones((), device=device)
                    row["torch_op"] = "torch._scaled_mm fp8 e4m3 → bf16"
                    seconds = best_seconds(lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16), device)
                else:
                    row["torch_op"] = "torch.mm bf16"
                    seconds = best_seconds(lambda: torch.mm(a, b.t()), device)
                flops = 2 * m * n * k
            elif op.get("attention"):
                tokens, heads, depth = op["attention"]
                q, k, v = (torch.randn(1, heads, tokens, depth, device=device, dtype=torch.bfloat16) for _ in range(3))
                row["torch_op"] = "scaled_dot_product_attention bf16"
                seconds = best_seconds(lambda: F.scaled_dot_product_attention(q, k, v), device)
                flops = 4 * tokens * tokens * heads * depth
            else:
                continue
            row.update(microseconds=seconds * 1e6, tflops=flops / seconds / 1e12)
        except Exception as error:  # one shape PyTorch cannot run must not hide the others
            row["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
        rows.append(row)
    print(json.dumps(dict(device=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                          torch=torch.__version__, operators=rows), indent=1))


if __name__ == "__main__":
    main()
