"""Direct preference optimisation (TRL's DPOTrainer) on preference pairs.

Pairs come as TRL's conversational preference rows (`prompt`, `chosen`, `rejected`, optional `tools`)
or OpenAI's DPO rows (`input`, `preferred_output`, `non_preferred_output`); both are read. On a CPU the LM
head scores only the reply tokens (`agentlm.train.dpo_trainer`): the same loss, less work. `method="lora"`
trains LoRA adapters on every linear layer and uses the model with its adapters off as the reference (no
second copy of the weights); the adapters are merged into the saved model.

    run_dpo(DPOStageConfig(model="runs/sft", train_file="data/skills/preference_train.jsonl", out_dir="runs/dpo"))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset

from agentlm.data.formats import convert
from agentlm.data.validate import ensure_valid
from agentlm.model.loading import load_model
from agentlm.train.common import ProgressCallback, finish_model, trainer_arguments
from agentlm.train.sft import _clean_message, all_linear_lora


@dataclass
class DPOStageConfig:
    model: Path                   # the SFT model dir
    train_file: Path              # preference JSONL
    out_dir: Path
    epochs: float = 1.0
    lr: float = 5e-5
    beta: float = 0.1
    sft_weight: float = 0.0       # > 0 adds the NLL of the chosen reply (RPO), anchoring what SFT taught
    batch_size: int = 8
    grad_accum: int = 1
    max_length: int = 512
    max_steps: int = -1
    precision: str = "auto"
    seed: int = 0
    max_examples: int | None = None
    method: str = "full"          # full | lora
    lora_r: int = 16
    lora_alpha: int = 32


def load_preference_rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Preference rows for TRL: prompt/chosen/rejected as message lists, tools as a JSON string."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = convert(json.loads(line), "preference")
        rows.append({"prompt": [_clean_message(m) for m in row["prompt"]],
                     "chosen": [_clean_message(m) for m in row["chosen"]],
                     "rejected": [_clean_message(m) for m in row["rejected"]],
                     "tools": json.dumps(row.get("tools") or [], ensure_ascii=False)})
        if limit and len(rows) >= limit:
            break
    return rows


def lora_config(cfg: DPOStageConfig):
    """LoRA on every linear layer for `method="lora"`; None for full fine-tuning."""
    if cfg.method not in ("full", "lora"):
        raise ValueError(f"DPO method must be 'full' or 'lora', got {cfg.method!r}")
    return all_linear_lora(cfg.lora_r, cfg.lora_alpha) if cfg.method == "lora" else None


def run_dpo(cfg: DPOStageConfig) -> dict[str, Any]:
    """Align `cfg.model` with DPO; the policy starts from, and is regularised towards, the SFT model."""
    from trl import DPOConfig

    from agentlm.train.dpo_trainer import CompactHeadDPOTrainer

    out = Path(cfg.out_dir)
    peft_config = lora_config(cfg)  # a wrong method fails before anything heavy loads
    ensure_valid(Path(cfg.train_file))
    rows = load_preference_rows(Path(cfg.train_file), cfg.max_examples)
    model, tokenizer = load_model(cfg.model, dtype="float32")
    model.train()
    args = DPOConfig(**trainer_arguments(out, epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                                         grad_accum=cfg.grad_accum, max_steps=cfg.max_steps, seed=cfg.seed,
                                         precision=cfg.precision),
                     beta=cfg.beta, max_length=cfg.max_length, include_num_input_tokens_seen="non_padding",
                     **({"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, cfg.sft_weight]}
                        if cfg.sft_weight > 0 else {}))
    log_path = out / "log.jsonl"
    trainer = CompactHeadDPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                                    processing_class=tokenizer, peft_config=peft_config,
                                    callbacks=[ProgressCallback(log_path, f"dpo/{cfg.method}")])
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    logs = [h for h in trainer.state.log_history if "rewards/accuracies" in h]
    result = {"stage": "dpo", "method": cfg.method, "pairs": len(rows), "epochs": cfg.epochs,
              "trainable_parameters": trainable, "train_seconds": round(seconds, 1),
              "loss_type": list(args.loss_type), "loss_weights": args.loss_weights,
              "final_reward_accuracy": logs[-1]["rewards/accuracies"] if logs else None,
              "final_reward_margin": logs[-1].get("rewards/margins") if logs else None}
    final = trainer.model.merge_and_unload() if cfg.method == "lora" else trainer.model
    finish_model(final, tokenizer, out, {**result, "base_model": str(cfg.model), "config": cfg}, log_path)
    print(json.dumps(result, indent=2))
    return result
