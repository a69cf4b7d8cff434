"""Mix the skill generators into a dataset: chat JSONL train/test splits plus preference pairs.

    report = build_skill_data(Path("data/skills"), n_train=20000, n_test=1500, seed=0)

Writes `train.jsonl` and `test.jsonl` (OpenAI chat format, `metadata` per row), `preference_train.jsonl`
(TRL's conversational prompt/chosen/rejected) and `preference_train.openai.jsonl` (OpenAI's DPO format),
and `report.json` / `report.md` with the counts per family and language.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentlm.data.formats import preference_to_openai_dpo, write_jsonl
from agentlm.data.synth import (
    conversation,
    grounded_qa,
    math_problems,
    planning,
    reflection,
    safety,
    structured,
    tool_use,
)
from agentlm.data.synth.base import Example, Generator

MODULES = [math_problems, tool_use, grounded_qa, planning, reflection, structured, conversation, safety]

# Share of each sub-family in the mix (renormalised over the ones that exist).
DEFAULT_MIX: dict[str, float] = {
    "math_direct": 0.05, "math_cot": 0.08, "math_calc": 0.12,
    "tool_choice": 0.16, "no_tool": 0.04, "tool_error": 0.04,
    "grounded_qa": 0.11, "grounded_unanswerable": 0.05, "grounded_tool": 0.05,
    "plan_execute": 0.04, "reflection": 0.04, "json_extract": 0.06,
    "style": 0.04, "identity": 0.02, "smalltalk": 0.02, "harmful": 0.04, "harmless_lookalike": 0.04,
}


def generators() -> dict[str, tuple[Generator, Callable[[Example, random.Random], tuple[int, dict] | None]]]:
    """Every sub-family's generator with its module's `corrupt` (for preference pairs)."""
    out = {}
    for module in MODULES:
        for name, make in module.GENERATORS.items():
            out[name] = (make, module.corrupt)
    return out


def generate(split: str, n: int, seed: int, zh_share: float = 0.25,
             mix: dict[str, float] | None = None) -> list[Example]:
    """`n` examples of `split`, families drawn by `mix`, a `zh_share` of them in Chinese."""
    gens = generators()
    weights = {k: v for k, v in (mix or DEFAULT_MIX).items() if k in gens}
    unknown = set(mix or {}) - set(gens)
    if unknown:
        raise ValueError(f"unknown families in mix: {sorted(unknown)}; known: {sorted(gens)}")
    names, probs = list(weights), list(weights.values())
    rng = random.Random(f"{seed}-{split}")
    examples = []
    for _ in range(n):
        name = rng.choices(names, probs)[0]
        lang = "zh" if rng.random() < zh_share else "en"
        examples.append(gens[name][0](rng, split, lang))
    return examples


def prompt_key(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
    """What the model sees before its first reply, as a string to compare: the messages up to the first
    assistant turn, and the tools."""
    first = next((i for i, m in enumerate(messages) if m["role"] == "assistant"), len(messages))
    return json.dumps([messages[:first], tools or []], sort_keys=True, ensure_ascii=False)


def unique_prompts(examples: list[Example]) -> list[Example]:
    """The examples without repeated prompts (`prompt_key`), first occurrence kept, order unchanged.

    Families with few templates repeat test prompts when drawn with replacement (seed 0, 2,000 rows: 93
    repeats; English harmful requests 54 rows but 38 prompts). A repeat adds no evidence, yet it counts twice in a
    score and in a paired sign test, so the test split keeps each prompt once.
    """
    seen: set[str] = set()
    out = []
    for ex in examples:
        key = prompt_key(ex.messages, ex.tools)
        if key not in seen:
            seen.add(key)
            out.append(ex)
    return out


def preference_pairs(examples: list[Example], seed: int) -> list[dict[str, Any]]:
    """Chosen = the reference reply; rejected = the family's corruption of it (wrong, ungrounded, unsafe...)."""
    gens = generators()
    rng = random.Random(f"{seed}-pairs")
    pairs = []
    for ex in examples:
        bad = gens[ex.family][1](ex, rng)
        if bad is None:
            continue
        idx, rejected = bad
        pair = {"prompt": ex.messages[:idx], "chosen": [ex.messages[idx]], "rejected": [rejected],
                "metadata": {"family": ex.family, "lang": ex.lang}}
        if ex.tools:
            pair["tools"] = ex.tools
        pairs.append(pair)
    return pairs


def build_skill_data(out_dir: Path, n_train: int = 20000, n_test: int = 1500, seed: int = 0,
                     zh_share: float = 0.25, mix: dict[str, float] | None = None) -> dict[str, Any]:
    """Generate and write the skill dataset (`n_test` test rows drawn, repeated prompts dropped); return the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    train = generate("train", n_train, seed, zh_share, mix)
    test = unique_prompts(generate("test", n_test, seed, zh_share, mix))
    pairs = preference_pairs(train, seed)
    write_jsonl(out_dir / "train.jsonl", [e.to_json() for e in train])
    write_jsonl(out_dir / "test.jsonl", [e.to_json() for e in test])
    write_jsonl(out_dir / "preference_train.jsonl", pairs)
    write_jsonl(out_dir / "preference_train.openai.jsonl", [preference_to_openai_dpo(p) for p in pairs])
    report = {"seed": seed, "train": len(train), "test": len(test), "preference_pairs": len(pairs),
              "families": {split: dict(sorted(Counter(f"{e.family}/{e.lang}" for e in rows).items()))
                           for split, rows in (("train", train), ("test", test))}}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(report_markdown(report))
    return report


def report_markdown(report: dict[str, Any]) -> str:
    fams = sorted({k for split in report["families"].values() for k in split})
    lines = [f"train {report['train']}, test {report['test']}, preference pairs {report['preference_pairs']}", "",
             "| family/lang | train | test |", "|---|---|---|"]
    lines += [f"| {k} | {report['families']['train'].get(k, 0)} | {report['families']['test'].get(k, 0)} |"
              for k in fams]
    return "\n".join(lines) + "\n"
