"""Compare fine-tuning methods on the same budget: full, LoRA, (IA)^3 adapters, prefix and prompt tuning.

    table = compare_methods(PeftCompareConfig(model="runs/recipe/pretrain", train_file="data/skills/train.jsonl",
                                              test_file="data/skills/test.jsonl", out_dir="runs/peft"))

Every method trains for the same number of steps on the same examples; the table gives trainable
parameters, training time and the held-out skill score (the mean of every family's metrics), under a first row
for the model as it was given (`start`). Rows already in `out_dir/results.json` are kept, so an interrupted
comparison goes on where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentlm.eval.skills import evaluate_skills
from agentlm.model.loading import load_model
from agentlm.train.sft import SFTStageConfig, run_sft

# Learning rates that suit each method (PEFT methods train few weights and want larger steps).
DEFAULT_LR = {"full": 1e-3, "lora": 3e-3, "ia3": 1e-2, "prefix": 1e-2, "prompt": 3e-2}


@dataclass
class PeftCompareConfig:
    model: Path
    train_file: Path
    test_file: Path
    out_dir: Path
    methods: list[str] = field(default_factory=lambda: ["full", "lora", "ia3", "prefix", "prompt"])
    max_steps: int = 150
    batch_size: int = 16
    per_family: int = 15
    seed: int = 0


def overall_score(report: dict[str, Any]) -> float:
    """Mean over families of the mean of their metrics (a wrong refusal counts as a miss)."""
    per_family = []
    for metrics in report["families"].values():
        vals = [1 - v if k == "wrongly_refused" else v for k, v in metrics.items() if k != "n"]
        if vals:
            per_family.append(sum(vals) / len(vals))
    return sum(per_family) / max(len(per_family), 1)


def compare_methods(cfg: PeftCompareConfig) -> list[dict[str, Any]]:
    """Evaluate the start model, then train and evaluate each method; write `results.json` and `results.md`."""
    unknown = [m for m in cfg.methods if m not in DEFAULT_LR]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {sorted(DEFAULT_LR)}")
    results, settings_file = Path(cfg.out_dir, "results.json"), Path(cfg.out_dir, "settings.json")
    settings = {k: str(v) for k, v in asdict(cfg).items() if k not in ("out_dir", "methods")}
    if settings_file.is_file() and json.loads(settings_file.read_text()) != settings:
        raise ValueError(f"{cfg.out_dir} holds a comparison with other settings ({settings_file}); "
                         "choose another output folder")
    Path(cfg.out_dir).mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(settings, indent=2))
    done = {r["method"]: r for r in json.loads(results.read_text())} if results.is_file() else {}
    others = [r for m, r in done.items() if m not in ("start", *cfg.methods)]  # earlier calls' methods: kept
    rows = []
    for method in ["start", *cfg.methods]:
        if method in done:
            rows.append(done[method])
            continue
        if method == "start":
            model, tokenizer = load_model(cfg.model)
            total = sum(p.numel() for p in model.parameters())
            result = {"trainable_parameters": 0, "total_parameters": total, "train_seconds": 0.0, "train_loss": None}
        else:
            out = Path(cfg.out_dir) / method
            result = run_sft(SFTStageConfig(model=cfg.model, train_file=cfg.train_file, out_dir=out, method=method,
                                            lr=DEFAULT_LR[method], max_steps=cfg.max_steps,
                                            batch_size=cfg.batch_size, seed=cfg.seed))
            model, tokenizer = load_model(out)
        report = evaluate_skills(model, tokenizer, cfg.test_file, per_family=cfg.per_family)
        rows.append({"method": method, "trainable_parameters": result["trainable_parameters"],
                     "trainable_share": result["trainable_parameters"] / result["total_parameters"],
                     "train_seconds": result["train_seconds"], "train_loss": result["train_loss"],
                     "score": round(overall_score(report), 4), "families": report["families"]})
        results.write_text(json.dumps(rows + others, indent=2))
        Path(cfg.out_dir, "results.md").write_text(comparison_markdown(rows + others, cfg))
    return rows + others


def comparison_markdown(rows: list[dict[str, Any]], cfg: PeftCompareConfig) -> str:
    lines = [f"Same budget for every method: {cfg.max_steps} steps x {cfg.batch_size} examples from "
             f"`{cfg.model}`; score = mean held-out skill metric ({cfg.per_family} examples per family/language); "
             "`start` is the model before any training.",
             "", "| method | trainable parameters | share | train time (s) | final train loss | score |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        loss = f"{r['train_loss']:.3f}" if isinstance(r["train_loss"], float) else "-"
        lines.append(f"| {r['method']} | {r['trainable_parameters']:,} | {r['trainable_share']:.2%} | "
                     f"{r['train_seconds']:.0f} | {loss} | {r['score']:.1%} |")
    return "\n".join(lines) + "\n"
