"""`precision="auto"` trains in bf16 exactly when a timed matrix multiply says bf16 is faster on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agentlm.train import precision
from agentlm.train.common import trainer_arguments
from agentlm.train.pretrain import PretrainConfig


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch):
    """Pretend the GEMM timings are `times[dtype]` on a machine without a GPU; returns the call log."""
    calls: list[torch.dtype] = []

    def use(times: dict[torch.dtype, float]) -> list[torch.dtype]:
        monkeypatch.setattr(precision, "gemm_seconds", lambda dtype: calls.append(dtype) or times[dtype])
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        precision.bf16_is_fast.cache_clear()
        return calls

    yield use
    precision.bf16_is_fast.cache_clear()


def test_threshold() -> None:
    assert precision.bf16_pays(1.0, 1.0 / precision.MIN_GEMM_SPEEDUP)
    assert not precision.bf16_pays(1.0, 0.9)  # a 1.1x GEMM does not cover autocast's casts
    assert not precision.bf16_pays(1.0, 2.0)  # Xeon without AMX: bf16 GEMM at half of fp32


@pytest.mark.parametrize(("bf16_seconds", "expected"), [(0.4, True), (0.95, False), (2.0, False)])
def test_auto_follows_the_measurement_everywhere(measured, bf16_seconds: float, expected: bool) -> None:
    calls = measured({torch.float32: 1.0, torch.bfloat16: bf16_seconds})
    cfg = PretrainConfig(corpus=Path("."), tokenizer=Path("."), out_dir=Path("."), precision="auto")
    assert cfg.bf16 is expected
    args = trainer_arguments(Path("out"), epochs=1, lr=1e-4, batch_size=2, grad_accum=1, max_steps=1, seed=0,
                             precision="auto")
    assert args["bf16"] is expected
    assert sorted(map(str, calls)) == ["torch.bfloat16", "torch.float32"]  # measured once per process
    # an explicit choice is never second-guessed
    assert PretrainConfig(corpus=Path("."), tokenizer=Path("."), out_dir=Path("."), precision="fp32").bf16 is False
    assert trainer_arguments(Path("out"), epochs=1, lr=1e-4, batch_size=2, grad_accum=1, max_steps=1, seed=0,
                             precision="bf16")["bf16"] is True


def test_gemm_seconds_times_a_real_multiply() -> None:
    fp32 = precision.gemm_seconds(torch.float32, shape=(256, 64, 128), repeats=2)
    assert 0 < fp32 < 1
    assert isinstance(precision.bf16_is_fast(), bool)


@pytest.mark.parametrize(("budget", "timed_runs"), [(0.5, 0), (2.5, 2), (100.0, 5)])
def test_gemm_seconds_stops_repeating_once_its_budget_is_spent(monkeypatch, budget: float, timed_runs: int) -> None:
    """Where one GEMM is slow (bf16 without bf16 units) the measurement must not cost every process seconds."""
    clock = iter(range(100))  # every perf_counter() call moves one "second": each run, warm-up too, costs one
    reads: list[int] = []
    monkeypatch.setattr(precision.time, "perf_counter", lambda: reads.append(1) or float(next(clock)))
    seconds = precision.gemm_seconds(torch.float32, shape=(8, 8, 8), repeats=5, budget_seconds=budget)
    assert seconds == 1.0
    assert len(reads) == 2 * (1 + timed_runs)


@pytest.mark.parametrize(("bf16_seconds", "expected"), [(0.4, torch.bfloat16), (2.0, torch.float32)])
def test_bf16_weights_compute_in_fp32_where_bf16_is_slow(measured, bf16_seconds: float,
                                                           expected: torch.dtype) -> None:
    """The shipped model is stored in bf16; a CPU that runs bf16 no faster gets it in fp32, unless asked."""
    from agentlm.model.loading import load_model

    shipped = Path(__file__).resolve().parents[1] / "models" / "agentlm-small"
    measured({torch.float32: 1.0, torch.bfloat16: bf16_seconds})
    model, _ = load_model(shipped)
    assert {p.dtype for p in model.parameters()} == {expected}
    model, _ = load_model(shipped, dtype=torch.bfloat16)
    assert next(model.parameters()).dtype == torch.bfloat16
