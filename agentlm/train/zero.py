"""DeepSpeed ZeRO for the pretraining loop: the engine replaces DDP, backward and the optimizer step.

Enabled with `--deepspeed CONFIG.json` under `torchrun` (or the `deepspeed` launcher). Batch size,
gradient accumulation, clipping and precision come from the `PretrainConfig`, so the JSON only has
to say how to shard (`zero_optimization`), e.g. `configs/deepspeed/zero2.json`. Runs on CPUs with
gloo (tested) and on GPUs with NCCL. Resumable state under ZeRO is DeepSpeed's own sharded checkpoint
(`checkpoint-zero/`); the final model is still plain `save_pretrained` safetensors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch


def ds_config(path: Path, batch_size: int, grad_accum: int, grad_clip: float, bf16: bool) -> dict[str, Any]:
    """The user's DeepSpeed JSON with the loop's own batch, accumulation, clipping and precision."""
    config = json.loads(Path(path).read_text())
    config.update(train_micro_batch_size_per_gpu=batch_size, gradient_accumulation_steps=grad_accum,
                  gradient_clipping=grad_clip, bf16={"enabled": bf16}, fp16={"enabled": False})
    config.pop("train_batch_size", None)
    config.setdefault("steps_per_print", 10**9)
    return config


def initialize(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               scheduler: torch.optim.lr_scheduler.LRScheduler, config: dict[str, Any]):
    """Wrap model, optimizer and scheduler in a DeepSpeed engine (ZeRO stage from `config`)."""
    import deepspeed

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    deepspeed.init_distributed(dist_backend=backend)
    engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer, lr_scheduler=scheduler, config=config)
    return engine


def step(engine, micro_batches: list[torch.Tensor], loss_fn) -> tuple[float, float]:
    """One optimizer step: DeepSpeed accumulates over micro-batches and steps at the boundary."""
    loss_sum = 0.0
    for block in micro_batches:
        loss = loss_fn(engine, block)
        engine.backward(loss)
        engine.step()
        loss_sum += loss.item() / len(micro_batches)
    norm = engine.get_global_grad_norm()
    return loss_sum, float(norm) if norm is not None else float("nan")


def save(engine, path: Path, state: dict[str, Any]) -> None:
    """Collective: every rank writes its shard of the optimizer state."""
    engine.save_checkpoint(str(path), tag="latest-step", client_state={"agentlm": state})


def load(engine, path: Path) -> dict[str, Any] | None:
    """Restore the engine from `path` if a checkpoint is there; return the saved trainer state."""
    if not (Path(path) / "latest").is_file():
        return None
    _, client = engine.load_checkpoint(str(path), tag="latest-step")
    return client["agentlm"] if client else None
