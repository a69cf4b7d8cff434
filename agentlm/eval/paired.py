"""Paired comparison of two skill reports on the same test rows: per-metric scores, flips and a sign test.

The recipe's alignment rule and `agentlm eval skills-compare` both judge a change this way: count the rows whose
grade went up and down between two reports of the same test file, and ask how likely that split is by chance.
"""

from __future__ import annotations

import math

# Metrics where a lower value is better (a wrong refusal); every other metric is better higher.
LOWER_IS_BETTER = {"wrongly_refused"}


def direction(metric: str) -> int:
    """+1 when a higher value of `metric` is better, -1 when lower is better."""
    return -1 if metric in LOWER_IS_BETTER else 1


def flat_scores(report: dict) -> dict[str, float]:
    """Every metric of a skills report as one flat `family:metric -> value` mapping."""
    return {f"{fam}:{k}": v for fam, m in report["families"].items() for k, v in m.items() if k != "n"}


def paired_flips(base: dict, aligned: dict) -> dict[str, tuple[int, int]]:
    """Per metric, (examples the aligned model gets better, examples it gets worse) against the base, from
    the reports' per-example grades (same test file, same order). Empty when a report has no grades."""
    flips: dict[str, tuple[int, int]] = {}
    for fam, base_rows in (base.get("grades") or {}).items():
        rows = (aligned.get("grades") or {}).get(fam)
        if rows is None or len(rows) != len(base_rows):
            continue
        for metric in {k for r in base_rows for k in r}:
            changes = [direction(metric) * (a[metric] - b[metric]) for b, a in zip(base_rows, rows, strict=True)
                       if metric in b and metric in a]
            flips[f"{fam}:{metric}"] = (sum(c > 0 for c in changes), sum(c < 0 for c in changes))
    return flips


def sign_test(k: int, n: int) -> float:
    """One-sided p-value of `k` or more of `n` flipped examples going one way if each way were equally likely."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n if n else 1.0
