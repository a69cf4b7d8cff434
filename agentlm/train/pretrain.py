"""Pretraining from scratch: next-token prediction on packed blocks of a tokenized corpus.

Read it top to bottom like nanoGPT's train.py: config, data, model, optimizer, loop. The same code
runs in one process or under `torchrun --nproc_per_node=N` (DDP; gloo on CPU, nccl on GPU).
A run directory holds `checkpoint/` (resumable), `log.jsonl`, `loss.png` and, at the end, the final
model as plain `save_pretrained` output plus `agentlm.json`.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, GenerationConfig, PreTrainedModel
from transformers.utils import logging as hf_logging

from agentlm.data.packing import PackedBlocks, tokenize_corpus
from agentlm.data.repeats import mix_repeats
from agentlm.eval.induction import far_gap, induction_losses
from agentlm.model.presets import PRESETS, build_config
from agentlm.model.tokenizer import load_tokenizer, stop_token_ids
from agentlm.train import zero
from agentlm.train.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from agentlm.train.plots import plot_loss, read_log
from agentlm.train.precision import use_bf16


@dataclass
class PretrainConfig:
    corpus: Path                      # corpus dir with train.jsonl / val.jsonl
    tokenizer: Path                   # tokenizer dir (agentlm train tokenizer)
    out_dir: Path
    preset: str = "small"
    init_from: Path | None = None     # continue pretraining an existing HF model dir instead
    context: int | None = None        # tokens per block; default: the preset's context
    batch_size: int = 16              # blocks per micro-batch, per process
    grad_accum: int = 1
    max_steps: int = 1000
    max_minutes: float | None = None  # stop (with a checkpoint) after this much wall time
    copy_fraction: float = 0.0        # share of blocks replaced by repeated spans (agentlm.data.repeats)
    copy_warmup_steps: int = 0        # the first steps train on repeated spans only (forms induction heads)
    copy_far_from: int | None = None  # from this step on, copies land anywhere in a block (None: back to back)
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    precision: str = "auto"           # "bf16" autocast | "fp32" | "auto": bf16 where measured faster
    compile: bool = True              # torch.compile the model (the first steps pay ~30 s of compilation)
    deepspeed: Path | None = None     # a DeepSpeed JSON (ZeRO stage etc.): train through a DeepSpeed engine
    eval_interval: int = 100
    eval_batches: int = 16
    save_interval: int = 100
    log_interval: int = 1
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("corpus", "tokenizer", "out_dir", "init_from", "deepspeed"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, Path(value))
        if self.init_from is None and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose from {sorted(PRESETS)}")
        for name in ("batch_size", "grad_accum", "max_steps", "eval_batches", "save_interval", "eval_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 <= self.copy_fraction <= 1:
            raise ValueError("copy_fraction must be in [0, 1]")
        if self.copy_warmup_steps < 0:
            raise ValueError("copy_warmup_steps must be >= 0")
        if self.copy_far_from is not None and self.copy_far_from < 0:
            raise ValueError("copy_far_from must be >= 0")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError("min_lr_ratio must be in [0, 1]")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ValueError(f"precision must be auto, bf16 or fp32, not {self.precision!r}")

    @property
    def bf16(self) -> bool:
        """Whether training runs under bf16 autocast."""
        return use_bf16(self.precision)


def lr_at(step: int, cfg: PretrainConfig) -> float:
    """Linear warmup, then cosine decay to `min_lr_ratio * lr` at `max_steps`."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def causal_lm_loss(model: torch.nn.Module, block: torch.Tensor, aux_coef: float = 0.0) -> torch.Tensor:
    """Mean next-token cross-entropy over a batch of `context + 1` token blocks.

    For Mixture-of-Experts models, `aux_coef` weights the router's load-balancing loss.
    """
    out = model(input_ids=block[:, :-1])
    loss = F.cross_entropy(out.logits.float().flatten(0, 1), block[:, 1:].flatten())
    aux = getattr(out, "aux_loss", None)
    if aux is not None and aux_coef:
        loss = loss + aux_coef * aux
    return loss


def router_aux_coef(model: PreTrainedModel) -> float:
    """Weight of the MoE router's load-balancing loss (0 for dense models)."""
    return float(getattr(model.config, "router_aux_loss_coef", 0.0) or 0.0)


class Dist:
    """Rank and world size from torchrun's environment (one process when absent)."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.enabled = self.world > 1
        self.device = torch.device(f"cuda:{self.local_rank}") if torch.cuda.is_available() else torch.device("cpu")
        if self.enabled and not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        if self.enabled and not torch.cuda.is_available():
            # Share the cores between processes instead of oversubscribing them.
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mean(self, value: float) -> float:
        if not self.enabled:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def _build_model(cfg: PretrainConfig, tokenizer) -> PreTrainedModel:
    if cfg.init_from is not None:
        return AutoModelForCausalLM.from_pretrained(cfg.init_from, dtype=torch.float32, local_files_only=True)
    stops = stop_token_ids(tokenizer)
    config = build_config(cfg.preset, len(tokenizer), eos_token_id=stops[0] if len(stops) == 1 else stops,
                          pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(cfg.seed)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32)


def make_optimizer(model: torch.nn.Module, cfg: PretrainConfig
                   ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW (weight decay on matrices only) with the warmup + cosine schedule of `lr_at`."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=cfg.lr, betas=cfg.betas, foreach=True)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_at(s, cfg) / cfg.lr)


def wrap_for_training(model: PreTrainedModel, cfg: PretrainConfig, ddp: Dist) -> torch.nn.Module:
    """The module the training step calls: compiled if asked, wrapped in DDP under torchrun."""
    model.train()
    train_model: torch.nn.Module = torch.compile(model) if cfg.compile else model
    if ddp.enabled:
        train_model = torch.nn.parallel.DistributedDataParallel(
            train_model, device_ids=[ddp.local_rank] if ddp.device.type == "cuda" else None)
    return train_model


def training_step(train_model: torch.nn.Module, model: PreTrainedModel, optimizer: torch.optim.Optimizer,
                  scheduler: torch.optim.lr_scheduler.LRScheduler, micro_batches: list[torch.Tensor],
                  cfg: PretrainConfig, ddp: Dist) -> tuple[float, float]:
    """One optimizer step over `micro_batches` (gradient accumulation); returns (loss, grad norm)."""
    aux_coef = router_aux_coef(model)
    loss_sum = 0.0
    for i, block in enumerate(micro_batches):
        last = i == len(micro_batches) - 1
        with nullcontext() if (not ddp.enabled or last) else train_model.no_sync():
            with torch.autocast(ddp.device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = causal_lm_loss(train_model, block, aux_coef) / len(micro_batches)
            loss.backward()
        loss_sum += loss.item()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip).item()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_sum, grad_norm


@torch.no_grad()
def evaluate(model: torch.nn.Module, val: PackedBlocks, batches: int, batch_size: int, bf16: bool,
             ddp: Dist) -> float:
    """Mean validation loss over `batches * batch_size` fixed blocks spread evenly over the validation
    tokens (so every source in the split counts), shared between processes."""
    model.eval()
    losses = []
    n = min(batches * batch_size, len(val))
    indices = np.linspace(0, len(val) - 1, n).round().astype(int).tolist()[ddp.rank::ddp.world]
    for i in range(0, len(indices), batch_size):
        block = torch.from_numpy(np.stack([val.block(j) for j in indices[i:i + batch_size]])).to(ddp.device)
        with torch.autocast(ddp.device.type, dtype=torch.bfloat16, enabled=bf16):
            losses.append(causal_lm_loss(model, block).item() * len(block))
    model.train()
    local = sum(losses) / max(1, len(indices))
    return ddp.mean(local)


def pretrain(cfg: PretrainConfig) -> dict:
    """Run (or resume) pretraining; return the final metrics."""
    ddp = Dist()
    hf_logging.disable_progress_bar()  # one progress bar: ours (no per-checkpoint "Writing model shards")
    out = cfg.out_dir
    tokenizer = load_tokenizer(cfg.tokenizer)
    if ddp.main:
        out.mkdir(parents=True, exist_ok=True)
        token_dir = tokenize_corpus(cfg.corpus, tokenizer, progress=cfg.progress)
    ddp.barrier()
    token_dir = tokenize_corpus(cfg.corpus, tokenizer, progress=False)
    meta = json.loads((token_dir / "meta.json").read_text())

    model = _build_model(cfg, tokenizer).to(ddp.device)
    context = cfg.context or model.config.max_position_embeddings
    train = PackedBlocks(token_dir / "train.bin", context, meta["dtype"], seed=cfg.seed)
    val = PackedBlocks(token_dir / "val.bin", context, meta["dtype"], seed=cfg.seed)
    n_params = sum(p.numel() for p in model.parameters())

    optimizer, scheduler = make_optimizer(model, cfg)

    step, tokens_seen, train_seconds = 0, 0, 0.0
    engine = None
    if cfg.deepspeed is not None:  # DeepSpeed ZeRO: the engine owns backward, step and its checkpoints
        engine = zero.initialize(model, optimizer, scheduler,
                                 zero.ds_config(cfg.deepspeed, cfg.batch_size, cfg.grad_accum, cfg.grad_clip, cfg.bf16))
        ckpt, state = out / "checkpoint-zero", zero.load(engine, out / "checkpoint-zero")
        train_model = engine
    else:
        ckpt = find_checkpoint(out / "checkpoint")
        state = load_checkpoint(ckpt, model, optimizer, scheduler) if ckpt is not None else None
        train_model = wrap_for_training(model, cfg, ddp)
    if state is not None:
        step, tokens_seen, train_seconds = state["step"], state["tokens"], state["train_seconds"]
        if ddp.main:
            _truncate_log(out / "log.jsonl", step)
            print(f"resumed from {ckpt} at step {step}", flush=True)
    tokens_per_step = cfg.batch_size * cfg.grad_accum * ddp.world * context
    aux_coef = router_aux_coef(model)

    def checkpoint(current_step: int) -> None:
        state = {"step": current_step, "tokens": tokens_seen, "train_seconds": train_seconds,
                 "config": _jsonable(asdict(cfg))}
        if engine is not None:
            zero.save(engine, out / "checkpoint-zero", state)  # collective: every rank writes its shard
        elif ddp.main:
            save_checkpoint(out / "checkpoint", model, optimizer, scheduler, state)
        ddp.barrier()

    bar = tqdm(total=cfg.max_steps, initial=step, desc="pretrain", unit="step", disable=not (cfg.progress and ddp.main),
               dynamic_ncols=True)
    started = time.time()
    log = (out / "log.jsonl").open("a") if ddp.main else None
    stopped_early = False
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        copy_fraction = 1.0 if step < cfg.copy_warmup_steps else cfg.copy_fraction
        copy_far = cfg.copy_far_from is not None and step >= cfg.copy_far_from
        micro_batches = []
        for micro in range(cfg.grad_accum):
            first = ((step * cfg.grad_accum + micro) * ddp.world + ddp.rank) * cfg.batch_size
            rows = mix_repeats(train.batch(first, cfg.batch_size), copy_fraction, (cfg.seed, first),
                               model.config.vocab_size, far=copy_far)
            micro_batches.append(torch.from_numpy(rows).to(ddp.device))
        if engine is not None:
            loss_sum, grad_norm = zero.step(engine, micro_batches, lambda m, b: causal_lm_loss(m, b, aux_coef))
        else:
            loss_sum, grad_norm = training_step(train_model, model, optimizer, scheduler, micro_batches, cfg, ddp)
        step += 1
        tokens_seen += tokens_per_step
        dt = time.perf_counter() - t0
        train_seconds += dt
        loss_value = ddp.mean(loss_sum)
        if ddp.main:
            bar.update(1)
            bar.set_postfix(loss=f"{loss_value:.3f}", tok_s=f"{tokens_per_step / dt:,.0f}",
                            lr=f"{scheduler.get_last_lr()[0]:.2e}")
            if step % cfg.log_interval == 0:
                log.write(json.dumps({"kind": "train", "step": step, "tokens": tokens_seen, "loss": loss_value,
                                      "lr": scheduler.get_last_lr()[0], "grad_norm": grad_norm,
                                      "tokens_per_s": tokens_per_step / dt}) + "\n")
                log.flush()
        if step % cfg.eval_interval == 0 or step == cfg.max_steps:
            val_loss = evaluate(model, val, cfg.eval_batches, cfg.batch_size, cfg.bf16, ddp)
            if ddp.main:
                first, repeat = induction_losses(model)  # copying from the context: repeat << first
                _, far = induction_losses(model, gap=far_gap(model))  # ... and from far back in it
                log.write(json.dumps({"kind": "eval", "step": step, "tokens": tokens_seen, "val_loss": val_loss,
                                      "val_ppl": math.exp(val_loss), "induction_first": first,
                                      "induction_repeat": repeat, "induction_far": far}) + "\n")
                log.flush()
                bar.write(f"step {step}: val loss {val_loss:.4f}, perplexity {math.exp(val_loss):.2f}, "
                          f"induction probe {first:.2f} -> {repeat:.2f} on the repeat, {far:.2f} far back")
        out_of_time = cfg.max_minutes is not None and (time.time() - started) / 60 >= cfg.max_minutes
        if out_of_time and ddp.enabled:  # every rank must agree to stop at the same step
            out_of_time = ddp.mean(float(out_of_time)) > 0
        if step % cfg.save_interval == 0 or step == cfg.max_steps or out_of_time:
            checkpoint(step)
        if out_of_time and step < cfg.max_steps:
            stopped_early = True
            break
    bar.close()
    if log:
        log.close()

    result: dict = {"step": step, "tokens": tokens_seen, "train_seconds": round(train_seconds, 1),
                    "parameters": n_params, "finished": not stopped_early}
    if ddp.main:
        rows = read_log(out / "log.jsonl")
        evals = [r for r in rows if r["kind"] == "eval"]
        speeds = [r["tokens_per_s"] for r in rows if r["kind"] == "train"][-50:]
        if evals:
            result.update(val_loss=round(evals[-1]["val_loss"], 4), val_ppl=round(evals[-1]["val_ppl"], 2))
            if "induction_repeat" in evals[-1]:
                result.update(induction_first=round(evals[-1]["induction_first"], 3),
                              induction_repeat=round(evals[-1]["induction_repeat"], 3))
            if "induction_far" in evals[-1]:
                result["induction_far"] = round(evals[-1]["induction_far"], 3)
        if speeds:
            result["tokens_per_s"] = round(float(np.median(speeds)), 1)
        plot_loss(out / "log.jsonl", out / "loss.png", title=f"pretraining {cfg.preset} ({n_params / 1e6:.1f}M)")
        _export(model, tokenizer, out, cfg, result, meta)  # also when out of time: the best model so far
    ddp.barrier()
    if ddp.enabled:
        dist.destroy_process_group()
    return result


def _export(model: PreTrainedModel, tokenizer, out: Path, cfg: PretrainConfig, result: dict, meta: dict) -> None:
    """Write the final model as plain `save_pretrained` output plus `agentlm.json`."""
    stops = stop_token_ids(tokenizer)
    model.generation_config = GenerationConfig(eos_token_id=stops, pad_token_id=tokenizer.pad_token_id,
                                               bos_token_id=None)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    card = {"stage": "pretrain", "recipe": _jsonable(asdict(cfg)), "results": result,
            "data": {k: meta[k] for k in ("train", "val") if k in meta}}
    (out / "agentlm.json").write_text(json.dumps(card, indent=2))


def _truncate_log(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint we resume from."""
    rows = [r for r in read_log(path) if r["step"] <= step]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _jsonable(d: dict) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}
