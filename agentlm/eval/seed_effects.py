"""Is a training change better? Skill reports of the old and the new recipe at the same seeds, paired per row.

    effects = seed_effects([old_s0, old_s100], [new_s0, new_s100])   # `agentlm eval skills` reports
    print(seed_effects_markdown(effects))

Per metric and seed, the held-out rows whose grade got better and worse give a one-sided sign test. A single
run per side overstates the evidence (the test pairs rows, not runs; a change of seed alone moves some families
"measurably", docs/posttrain.md, session 15), so an effect **counts** only when it is measurable (p < `alpha`)
at one seed and goes the same way (more better rows than worse, or fewer) at every other seed. With one seed
per side it is the plain paired sign test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentlm.eval.paired import flat_scores, paired_flips, sign_test

# The skill targets' headline metrics, as (label, family, metric); each is reported per language.
HEADLINE: list[tuple[str, str, str]] = [
    ("tool choice", "tool_choice", "tool_choice"),
    ("tool choice, unseen tools", "tool_choice", "tool_choice_unseen"),
    ("valid tool call", "tool_choice", "valid_call"),
    ("plan with a first call", "plan_execute", "plan_and_first_call"),
    ("plan's first call is a needed one", "plan_execute", "first_call_needed"),
    ("valid JSON", "json_extract", "valid_json"),
    ("unanswerable recognised", "grounded_unanswerable", "unanswerable_recognised"),
    ("harmful refused", "harmful", "refused"),
    ("look-alikes refused (lower is better)", "harmless_lookalike", "wrongly_refused"),
    ("CoT + calculator", "math_calc", "accuracy"),
    ("grounded exact match", "grounded_qa", "exact_match"),
    ("identity (\"who are you\")", "identity", "identity"),
]
LANGS = ("en", "zh")


def load_reports(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Skill reports written by `agentlm eval skills --out`; they must carry per-row grades."""
    reports = []
    for path in paths:
        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not a JSON skill report ({err})") from err
        if not report.get("grades"):
            raise ValueError(f"{path}: no per-row grades; write it with `agentlm eval skills --out`")
        reports.append(report)
    return reports


def seed_effects(base: Sequence[dict], new: Sequence[dict], alpha: float = 0.05,
                 metrics: Sequence[tuple[str, str, str]] = HEADLINE) -> list[dict[str, Any]]:
    """One row per headline metric and language: per seed the scores, better/worse rows and p; and the verdict
    `gain`, `loss` or None. `base[i]` and `new[i]` must be the same seed's runs on the same test file."""
    if not base or len(base) != len(new):
        raise ValueError(f"need one base and one new report per seed, got {len(base)} and {len(new)}")
    flips = [paired_flips(b, n) for b, n in zip(base, new, strict=True)]
    if not any(flips):
        raise ValueError("the reports share no graded rows (different test files?)")
    scores = [(flat_scores(b), flat_scores(n)) for b, n in zip(base, new, strict=True)]
    rows = []
    for label, family, metric in metrics:
        for lang in LANGS:
            key = f"{family}/{lang}:{metric}"
            if not all(key in f for f in flips):
                continue
            seeds = []
            for f, (old, now) in zip(flips, scores, strict=True):
                better, worse = f[key]
                seeds.append({"base": old.get(key), "new": now.get(key), "better": better, "worse": worse,
                              "p": sign_test(max(better, worse), better + worse)})
            signs = {(s["better"] > s["worse"]) - (s["better"] < s["worse"]) for s in seeds}
            verdict = None
            if len(signs) == 1 and 0 not in signs and any(s["p"] < alpha for s in seeds):
                verdict = "gain" if signs == {1} else "loss"
            rows.append({"metric": f"{label}, {lang}", "key": key, "seeds": seeds, "verdict": verdict})
    return rows


def seed_effects_markdown(rows: list[dict[str, Any]], names: Sequence[str] | None = None) -> str:
    """The effects as a Markdown table: `base → new (better/worse rows, p)` per seed, then the verdict."""
    n = len(rows[0]["seeds"]) if rows else 0
    names = list(names or [f"run {i + 1}" for i in range(n)])
    lines = ["| metric | " + " | ".join(f"{name}: base → new (better/worse, p)" for name in names) + " | counts |",
             "|---|" + "---|" * n + "---|"]
    for row in rows:
        cells = [f"{100 * s['base']:.1f} → {100 * s['new']:.1f} ({s['better']}/{s['worse']}, p = {s['p']:.3f})"
                 for s in row["seeds"]]
        lines.append(f"| {row['metric']} | " + " | ".join(cells) + f" | {row['verdict'] or ''} |")
    return "\n".join(lines)
