"""Reinforcement learning with GRPO (TRL's GRPOTrainer): sample a group of replies per prompt, reward
them, and push the policy towards the better ones.

Rewards, summed: verifiable checks from the skill graders (the right maths answer, the right tool with
valid arguments, the cited span, a refusal exactly when the request is harmful, valid JSON), and, if
given, a trained reward model's score. Prompts are first turns, except the calculator maths: its prompt is
the reference history after a random number of its steps, and the reply must make the next step's call or,
after the last step, answer without calling again.

    run_rl(RLStageConfig(model="runs/sft", train_file="data/skills/train.jsonl", out_dir="runs/rl",
                         reward_model="runs/reward"))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset

from agentlm.eval.skills import grade_calc_step, grade_turn
from agentlm.model.loading import load_model
from agentlm.train.common import ProgressCallback, finish_model, trainer_arguments

# Families whose first reply a program can grade; each maps to the metrics that make its reward.
VERIFIABLE = {
    "math_direct": ["accuracy"], "math_cot": ["accuracy"],
    "tool_choice": ["tool_choice", "valid_call", "arguments_exact"], "no_tool": ["no_call_when_not_needed"],
    "grounded_qa": ["exact_match", "citation"], "grounded_unanswerable": ["unanswerable_recognised"],
    "harmful": ["refused"], "harmless_lookalike": ["wrongly_refused"], "json_extract": ["valid_json", "json_exact"],
    "math_calc": ["step_right"],
}
# What the recipe's GRPO draws from: every first-turn family (the calculator steps are opt-in, `families`).
DEFAULT_FAMILIES = tuple(f for f in VERIFIABLE if f != "math_calc")


@dataclass
class RLStageConfig:
    model: Path
    train_file: Path              # chat JSONL with metadata (the skill data)
    out_dir: Path
    reward_model: Path | None = None
    reward_model_weight: float = 0.5
    prompts: int = 512            # prompts drawn from the verifiable families
    families: tuple[str, ...] | None = None  # any of VERIFIABLE (None: DEFAULT_FAMILIES)
    num_generations: int = 4      # replies sampled per prompt (the GRPO group)
    max_completion_length: int = 96
    lr: float = 5e-6
    beta: float = 0.02            # KL penalty towards the starting model
    batch_size: int = 8           # completions per step (a multiple of num_generations)
    max_steps: int = 60
    temperature: float = 0.9
    precision: str = "auto"
    seed: int = 0


def verifiable_reward(completions: list[str], family: list[str], meta: list[str], tools: list[str],
                      **_: Any) -> list[float]:
    """Mean of the graded metrics for each completion, in [0, 1] (wrong refusals count against)."""
    rewards = []
    for text, fam, m, t in zip(completions, family, meta, tools, strict=True):
        meta_ = json.loads(m)
        scores = (grade_calc_step(meta_, meta_["rl_step"], text) if fam == "math_calc"
                  else grade_turn(fam, meta_, text, json.loads(t)))
        keys = VERIFIABLE[fam]
        vals = [1 - scores.get(k, 0.0) if k == "wrongly_refused" else scores.get(k, 0.0) for k in keys]
        rewards.append(sum(vals) / len(vals))
    return rewards


def rl_prompts(train_file: Path, tokenizer, limit: int, seed: int,
               families: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Prompts (rendered with the chat template) from the verifiable families, shuffled: the first turn, or for
    the calculator maths the turn after a random number of reference steps (`rl_step` in the row's meta)."""
    import random

    wanted = set(families or DEFAULT_FAMILIES)
    unknown = wanted - set(VERIFIABLE)
    if unknown:
        raise ValueError(f"no verifiable reward for {sorted(unknown)}; families: {sorted(VERIFIABLE)}")
    steps = random.Random(f"{seed}-steps")
    rows = []
    for line in Path(train_file).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        meta = row.get("metadata", {})
        if meta.get("family") not in wanted:
            continue
        msgs = row["messages"]
        assistant_turns = [i for i, m in enumerate(msgs) if m["role"] == "assistant"]
        first = assistant_turns[0]
        if meta["family"] == "math_calc":  # one call per step, then the answer: turn k follows k reference steps
            meta = {**meta, "rl_step": steps.randrange(len(assistant_turns))}
            first = assistant_turns[meta["rl_step"]]
        prompt = tokenizer.apply_chat_template(msgs[:first], tools=row.get("tools") or None,
                                               add_generation_prompt=True, tokenize=False)
        rows.append({"prompt": prompt, "family": meta["family"], "meta": json.dumps(meta, ensure_ascii=False),
                     "tools": json.dumps(row.get("tools") or [], ensure_ascii=False)})
    random.Random(seed).shuffle(rows)
    return rows[:limit]


def run_rl(cfg: RLStageConfig) -> dict[str, Any]:
    """GRPO from `cfg.model` against the verifiable rewards (and the reward model if given)."""
    from trl import GRPOConfig, GRPOTrainer

    out = Path(cfg.out_dir)
    model, tokenizer = load_model(cfg.model, dtype="float32")
    rows = rl_prompts(Path(cfg.train_file), tokenizer, cfg.prompts, cfg.seed, cfg.families)
    if not rows:
        raise ValueError(f"{cfg.train_file} has no examples of the verifiable families "
                         f"{sorted(cfg.families or DEFAULT_FAMILIES)}")
    reward_funcs: list[Any] = [verifiable_reward]
    weights = [1.0]
    reward_tokenizers = [None]
    if cfg.reward_model:
        from agentlm.train.reward import load_reward_model

        rm, rm_tok = load_reward_model(cfg.reward_model)
        reward_funcs.append(rm)
        reward_tokenizers.append(rm_tok)
        weights.append(cfg.reward_model_weight)
    model.train()
    args = GRPOConfig(**trainer_arguments(out, epochs=1, lr=cfg.lr, batch_size=cfg.batch_size, grad_accum=1,
                                          max_steps=cfg.max_steps, seed=cfg.seed, precision=cfg.precision,
                                          log_every=5),
                      num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
                      temperature=cfg.temperature, beta=cfg.beta, reward_weights=weights,
                      generation_kwargs={"eos_token_id": model.generation_config.eos_token_id})
    log_path = out / "log.jsonl"
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=args, train_dataset=Dataset.from_list(rows),
                          processing_class=tokenizer, reward_processing_classes=reward_tokenizers,
                          callbacks=[ProgressCallback(log_path, "rl/grpo")])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    logs = [h for h in trainer.state.log_history if "reward" in h]
    result = {"stage": "rl", "algorithm": "grpo", "prompts": len(rows), "steps": trainer.state.global_step,
              "train_seconds": round(seconds, 1), "first_reward": logs[0]["reward"] if logs else None,
              "last_reward": logs[-1]["reward"] if logs else None,
              "reward_model": str(cfg.reward_model) if cfg.reward_model else None}
    finish_model(trainer.model, tokenizer, out, {**result, "base_model": str(cfg.model), "config": cfg}, log_path)
    print(json.dumps(result, indent=2))
    return result
