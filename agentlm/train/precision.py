"""Whether bf16 autocast makes training faster on this machine, decided by measuring it.

A CPU flag cannot tell: on an Intel Xeon with AVX-512 BF16 but no AMX, PyTorch's bf16 matrix multiply ran at
about half of MKL's fp32 (bf16 training 0.81x), while on an AMD EPYC with AVX-512 BF16 it runs 2.5x faster
(bf16 training 1.38x); AMX CPUs gain more. So `precision="auto"` times one matrix multiply shaped like a small
model's MLP in both dtypes, once per process (~0.1 s; ~1 s where bf16 is slow), and trains in bf16 when it wins
by `MIN_GEMM_SPEEDUP`.
"""

from __future__ import annotations

import functools
import time

import torch

# bf16 autocast also pays for casting weights and activations (~7% of a step); a GEMM speed-up below this
# does not cover it. Measured: GEMM 2.5x -> training 1.38x; GEMM 0.53x -> training 0.81x.
MIN_GEMM_SPEEDUP = 1.3
_SHAPE = (4096, 256, 704)  # tokens x hidden x MLP width of the `small` preset


def gemm_seconds(dtype: torch.dtype, shape: tuple[int, int, int] = _SHAPE, repeats: int = 5,
                 budget_seconds: float = 0.5) -> float:
    """Fastest of up to `repeats` timed CPU matrix multiplies of `shape` (m, k, n) in `dtype`, after one warm-up.

    Stops once the runs, warm-up included, have taken `budget_seconds`; a warm-up that alone takes that long is the
    answer. Where a dtype is slow (bf16 on a CPU without bf16 units: ~0.5-0.9 s per GEMM, 45x fp32) one run tells.
    """
    m, k, n = shape
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=generator).to(dtype)
    b = torch.randn(k, n, generator=generator).to(dtype)
    start = time.perf_counter()
    a @ b
    warm_up = spent = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        if spent >= budget_seconds:
            break
        start = time.perf_counter()
        a @ b
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
    return best if best < float("inf") else warm_up


def bf16_pays(fp32_seconds: float, bf16_seconds: float) -> bool:
    """Whether a bf16 GEMM this much faster than fp32 makes bf16 autocast training faster."""
    return fp32_seconds >= MIN_GEMM_SPEEDUP * bf16_seconds


@functools.cache
def bf16_is_fast() -> bool:
    """bf16 autocast for `precision="auto"`: on a GPU when it supports bf16; on a CPU when measured faster."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return bf16_pays(gemm_seconds(torch.float32), gemm_seconds(torch.bfloat16))


def use_bf16(precision: str) -> bool:
    """Whether to train under bf16 autocast for a `precision` of "bf16", "fp32" or "auto" (measured)."""
    return precision == "bf16" or (precision == "auto" and bf16_is_fast())
