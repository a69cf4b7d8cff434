"""Resumable training checkpoints: model, optimizer, scheduler and RNG, all in safetensors + JSON.

A checkpoint is written to `<dir>.tmp` and swapped in with renames, so a kill at any moment leaves
either the previous checkpoint or the new one, never half of one. No pickle anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

STATE_FILE = "trainer_state.json"


def _optimizer_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    names = {id(p): n for n, p in model.named_parameters()}
    out: dict[str, torch.Tensor] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                t = value if torch.is_tensor(value) else torch.tensor(value)
                out[f"{names[id(p)]}::{key}"] = t.detach().contiguous().cpu()
    return out


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, state: dict[str, Any]) -> None:
    """Atomically write a resumable checkpoint of `model` (a `PreTrainedModel`) to `path`."""
    path = Path(path)
    tmp, old = path.with_name(path.name + ".tmp"), path.with_name(path.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    save_file(_optimizer_tensors(model, optimizer), str(tmp / "optimizer.safetensors"))
    save_file({"torch_rng": torch.get_rng_state()}, str(tmp / "rng.safetensors"))
    full_state = {**state, "scheduler": scheduler.state_dict(),
                  "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]}
    (tmp / STATE_FILE).write_text(json.dumps(full_state, indent=2, default=float))
    for f in tmp.iterdir():  # make the bytes durable before the rename publishes them
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    if path.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def find_checkpoint(path: str | Path) -> Path | None:
    """The usable checkpoint at `path`, or the previous one if a swap was interrupted."""
    path = Path(path)
    for candidate in (path, path.with_name(path.name + ".old")):
        if (candidate / STATE_FILE).is_file():
            return candidate
    return None


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and RNG in place; return the saved trainer state."""
    path = Path(path)
    state = json.loads((path / STATE_FILE).read_text())
    weights = load_file(str(path / "model.safetensors"))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    # Tied embeddings are stored once; anything else missing is a real mismatch.
    missing = [k for k in missing if not k.endswith("lm_head.weight")]
    if missing or unexpected:
        raise ValueError(f"{path}: checkpoint does not match the model (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    opt_tensors = load_file(str(path / "optimizer.safetensors"))
    for name, p in model.named_parameters():
        entries = {k.split("::", 1)[1]: (v if k.endswith("::step") else v.to(p.device))
                   for k, v in opt_tensors.items() if k.split("::", 1)[0] == name}
        if entries:
            optimizer.state[p] = entries
    for group, saved in zip(optimizer.param_groups, state["param_groups"], strict=True):
        group.update(saved)
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(load_file(str(path / "rng.safetensors"))["torch_rng"])
    return state
