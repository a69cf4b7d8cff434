"""What every post-training stage shares: TRL arguments sized for a CPU, progress with tokens/s and ETA,
loss curves as PNG, and the `agentlm.json` record written next to each stage's model.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import GenerationConfig, PreTrainedModel, TrainerCallback

from agentlm.model.tokenizer import stop_token_ids
from agentlm.train.plots import LOSS_LABELS, plot_loss
from agentlm.train.precision import use_bf16


def trainer_arguments(out_dir: Path, *, epochs: float, lr: float, batch_size: int, grad_accum: int,
                      max_steps: int, seed: int, precision: str, log_every: int = 10) -> dict[str, Any]:
    """Keyword arguments every TRL `*Config` takes, set for this machine.

    TRL turns bf16 on by default; on some CPUs bf16 is slower than fp32, so `precision="auto"` follows a
    measurement (agentlm.train.precision), as pretraining does. Checkpoints are safetensors; the last two are
    kept so an interrupted stage resumes.
    """
    return dict(
        output_dir=str(out_dir / "checkpoints"),
        num_train_epochs=epochs,
        max_steps=max_steps if max_steps > 0 else -1,
        learning_rate=lr,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=grad_accum,
        logging_steps=log_every,
        save_strategy="steps",
        save_steps=200,
        save_total_limit=2,
        report_to="none",
        seed=seed,
        bf16=use_bf16(precision),
        use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0,
        disable_tqdm=True,  # ProgressCallback below prints tokens/s and ETA instead
        gradient_checkpointing=False,  # TRL turns it on; small models fit in memory, and it costs ~30% speed
    )


class ProgressCallback(TrainerCallback):
    """One line per log step: step/total, loss, tokens/s, ETA; and a JSONL log for the loss curve.

    A run resumed from a checkpoint keeps the log up to that checkpoint (so `loss.png` shows the whole run) and
    counts the train seconds already spent: each checkpoint records them in `PROGRESS_FILE`.
    """

    PROGRESS_FILE = "agentlm_progress.json"

    def __init__(self, log_path: Path, stage: str) -> None:
        self.log_path, self.stage = log_path, stage
        self.start = time.perf_counter()
        self.seconds_before = 0.0
        log_path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def train_seconds(self) -> float:
        """Train seconds of the whole run so far, the parts before a resume included."""
        return self.seconds_before + time.perf_counter() - self.start

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = time.perf_counter()
        self.first_step = state.global_step
        self.first_tokens = state.num_input_tokens_seen or 0
        kept = []
        if state.global_step > 0 and self.log_path.is_file():  # resumed: keep the log up to the checkpoint
            kept = [line for line in self.log_path.read_text().splitlines()
                    if (row := _json_or_none(line)) is not None and row.get("step", 0) <= state.global_step]
            progress = Path(args.output_dir) / f"checkpoint-{state.global_step}" / self.PROGRESS_FILE
            if progress.is_file():
                self.seconds_before = float(json.loads(progress.read_text())["train_seconds"])
        self.log_path.write_text("".join(line + "\n" for line in kept))

    def on_save(self, args, state, control, **kwargs):
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            (checkpoint / self.PROGRESS_FILE).write_text(json.dumps({"train_seconds": self.train_seconds}))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        steps_done = max(state.global_step - self.first_step, 1)
        seen = state.num_input_tokens_seen or int(logs.get("num_tokens", 0))  # TRL counts when HF does not
        tokens = seen - self.first_tokens
        eta = (state.max_steps - state.global_step) * elapsed / steps_done
        loss = logs.get("loss", logs.get("train_loss"))
        row = {"kind": "eval" if "eval_loss" in logs else "train", "step": state.global_step,
               "tokens": seen, "loss": loss, "val_loss": logs.get("eval_loss"),
               "tokens_per_second": tokens / elapsed, "seconds": self.seconds_before + elapsed,
               **{k: v for k, v in logs.items() if isinstance(v, int | float)}}
        with self.log_path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        shown = f"loss {loss:.4f}" if isinstance(loss, float) else ", ".join(
            f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, float))[:120]
        print(f"[{self.stage}] step {state.global_step}/{state.max_steps} {shown} | "
              f"{tokens / elapsed:,.0f} tok/s | ETA {eta / 60:.1f} min", flush=True)


def _json_or_none(line: str) -> dict | None:
    """A log row, or None for a blank line or one a killed process left half-written."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def finish_model(model: PreTrainedModel, tokenizer, out_dir: Path, record: dict[str, Any],
                 log_path: Path | None = None) -> Path:
    """Save a stage's model as plain `save_pretrained` output, its tokenizer, `agentlm.json` and `loss.png`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "generation_config") and tokenizer is not None and hasattr(tokenizer, "get_vocab"):
        stops = stop_token_ids(tokenizer)
        model.generation_config = GenerationConfig(eos_token_id=stops or None,
                                                   pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    if hasattr(model, "config"):
        model.config.use_cache = True  # trainers switch the KV cache off; inference wants it back
    model.save_pretrained(out_dir, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(out_dir)
    if log_path is not None and log_path.is_file() and log_path.stat().st_size:
        stage = record.get("stage", "training")
        plot_loss(log_path, out_dir / "loss.png", title=f"{stage} loss",
                  ylabel=LOSS_LABELS.get(stage, "cross-entropy (nats/token)"))
        if stage == "rl":  # GRPO's loss says little; the rewards of the sampled replies say how it goes
            plot_loss(log_path, out_dir / "reward.png", title="rl reward", key="reward",
                      ylabel="mean reward of the sampled replies")
    previous = _read_record(record.get("base_model"))
    record = {**record, "history": previous.get("history", []) + ([previous] if previous.get("stage") else [])}
    for old in record["history"]:
        old.pop("history", None)
    (out_dir / "agentlm.json").write_text(json.dumps(jsonable(record), indent=2, ensure_ascii=False))
    return out_dir


def _read_record(model_dir: str | Path | None) -> dict[str, Any]:
    if model_dir is None:
        return {}
    path = Path(model_dir) / "agentlm.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def jsonable(value: Any) -> Any:
    """Dataclasses, paths and tuples as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
