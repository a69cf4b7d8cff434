"""Reward model (TRL's RewardTrainer): a sequence-scoring head on the SFT model, trained on preference pairs.

    run_reward(RewardStageConfig(model="runs/sft", train_file="data/skills/preference_train.jsonl",
                                 out_dir="runs/reward"))

The result is a plain `AutoModelForSequenceClassification` directory (one logit: the reward); the RL
stage scores sampled replies with it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from agentlm.data.validate import ensure_valid
from agentlm.train.common import ProgressCallback, finish_model, trainer_arguments
from agentlm.train.dpo import load_preference_rows


@dataclass
class RewardStageConfig:
    model: Path
    train_file: Path
    out_dir: Path
    epochs: float = 1.0
    lr: float = 1e-4
    batch_size: int = 8
    grad_accum: int = 1
    max_length: int = 512
    max_steps: int = -1
    holdout: float = 0.1          # share of pairs kept aside to measure pairwise accuracy
    precision: str = "auto"
    seed: int = 0
    max_examples: int | None = None


def load_reward_model(path: str | Path):
    """A reward model and its tokenizer, in eval mode."""
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, local_files_only=True)
    return model.eval(), tokenizer


@torch.no_grad()
def score(model, tokenizer, texts: list[str], batch_size: int = 16) -> list[float]:
    """The reward of each full text (prompt and reply rendered together)."""
    out: list[float] = []
    tokenizer.padding_side = "right"
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(texts[i : i + batch_size], return_tensors="pt", padding=True, truncation=True,
                        max_length=1024, add_special_tokens=False)
        out += model(**enc).logits[:, 0].float().tolist()
    return out


def pairwise_accuracy(model, tokenizer, rows: list[dict[str, Any]]) -> float:
    """Share of held-out pairs where the chosen reply scores above the rejected one."""
    def render(prompt, reply, tools):
        return tokenizer.apply_chat_template(prompt + reply, tools=json.loads(tools) or None, tokenize=False)

    chosen = score(model, tokenizer, [render(r["prompt"], r["chosen"], r["tools"]) for r in rows])
    rejected = score(model, tokenizer, [render(r["prompt"], r["rejected"], r["tools"]) for r in rows])
    return sum(c > r for c, r in zip(chosen, rejected, strict=True)) / max(len(rows), 1)


def run_reward(cfg: RewardStageConfig) -> dict[str, Any]:
    """Train the reward model; report pairwise accuracy on held-out pairs before and after."""
    from trl import RewardConfig, RewardTrainer

    out = Path(cfg.out_dir)
    ensure_valid(Path(cfg.train_file))
    rows = load_preference_rows(Path(cfg.train_file), cfg.max_examples)
    n_hold = max(1, int(len(rows) * cfg.holdout))
    train_rows, hold_rows = rows[n_hold:], rows[:n_hold]

    tokenizer = AutoTokenizer.from_pretrained(cfg.model, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(cfg.model, num_labels=1, local_files_only=True,
                                                               dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    before = pairwise_accuracy(model.eval(), tokenizer, hold_rows)
    model.train()
    args = RewardConfig(**trainer_arguments(out, epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                                            grad_accum=cfg.grad_accum, max_steps=cfg.max_steps, seed=cfg.seed,
                                            precision=cfg.precision),
                        max_length=cfg.max_length)
    log_path = out / "log.jsonl"
    trainer = RewardTrainer(model=model, args=args, train_dataset=Dataset.from_list(train_rows),
                            processing_class=tokenizer, callbacks=[ProgressCallback(log_path, "reward")])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    after = pairwise_accuracy(trainer.model.eval(), tokenizer, hold_rows)
    result = {"stage": "reward", "pairs": len(train_rows), "heldout_pairs": len(hold_rows),
              "pairwise_accuracy_before": round(before, 4), "pairwise_accuracy": round(after, 4),
              "train_seconds": round(seconds, 1)}
    finish_model(trainer.model, tokenizer, out, {**result, "base_model": str(cfg.model), "config": cfg}, log_path)
    print(json.dumps(result, indent=2))
    return result
