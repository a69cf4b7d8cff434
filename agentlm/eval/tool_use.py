"""Tool manipulation: tool choice, argument exact match, tools never seen in training, recovery from errors.

Fresh held-out examples of the `tool_choice`, `tool_error` and `no_tool` skill families run through the
agent's ReAct loop with the example's tools. The tools are real plugin `Tool` objects built from the
example's schemas; they validate the arguments and answer with the results recorded in the example (the
fictional tools have no backend). The first model turn is graded by the skill graders
(`agentlm.eval.skills.grade_turn`); for a `tool_error` example whose first call fails with a fixable error,
the agent gets a second turn and `error_recovered` says whether it retried with the corrected arguments.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

from agentlm.data.synth.base import Example
from agentlm.eval.datasets import first_user, held_out
from agentlm.eval.metrics import mean
from agentlm.eval.models import EvalModel, ask
from agentlm.eval.skills import grade_turn
from agentlm.plugins import Tool, ToolRegistry

MIX = {"tool_choice": 0.6, "tool_error": 0.2, "no_tool": 0.2}
METRICS = ("tool_choice", "valid_call", "arguments_exact", "tool_choice_seen", "tool_choice_unseen",
           "no_call_when_not_needed", "error_recovered")


class ReplayTool(Tool):
    """A tool with a given schema that answers with recorded results, in order (the last one repeats)."""

    parameters = {"type": "object", "properties": {}}

    def __init__(self, schema: dict[str, Any], results: list[str]) -> None:
        self.name = schema["name"]
        self.description = schema.get("description", "")
        self.parameters = schema.get("parameters") or {"type": "object", "properties": {}}
        self.results = results or [json.dumps({"ok": True})]
        self.calls = 0

    def run(self, **kwargs: Any) -> str:
        result = self.results[min(self.calls, len(self.results) - 1)]
        self.calls += 1
        return result


def replay_tools(example: Example) -> ToolRegistry:
    """The example's tools as a registry, each answering with the example's recorded results for it."""
    results: dict[str, list[str]] = defaultdict(list)
    for m in example.messages:
        if m["role"] == "tool":
            results[m.get("name", "")].append(m["content"])
    return ToolRegistry([ReplayTool(t["function"], results[t["function"]["name"]]) for t in example.tools])


def turn_text(step: dict[str, Any]) -> str:
    """A model step of the agent's trace written back in the protocol the skill graders parse."""
    calls = [f'<tool_call>{json.dumps({"name": c["name"], "arguments": c["arguments"]}, ensure_ascii=False)}'
             "</tool_call>" for c in step.get("tool_calls", [])]
    broken = [c["raw"] for c in step.get("invalid_tool_calls", []) if isinstance(c.get("raw"), str)]
    return "\n".join(part for part in (step.get("content") or "", *calls, *broken) if part)


def grade(example: Example, result: dict[str, Any]) -> dict[str, float]:
    """Scores of one run: the first turn by the skill graders, then the recovery turn for fixable errors."""
    turns = [s for s in result["steps"] if s.get("type") == "model"]
    first = turn_text(turns[0]) if turns else ""
    scores = grade_turn(example.family, example.meta, first, example.tools)
    if example.family != "no_tool":
        scores[f"tool_choice_{'unseen' if example.meta.get('unseen_tool') else 'seen'}"] = scores["tool_choice"]
    if example.meta.get("recovery") == "retry":
        second = turn_text(turns[1]) if len(turns) > 1 else ""
        retry = {**example.meta, "arguments": example.meta["retry_arguments"]}
        scores["error_recovered"] = grade_turn("tool_error", retry, second, example.tools)["arguments_exact"]
    return scores


def evaluate_tools(model: EvalModel, limit: int = 20, seed: int = 0, max_tokens: int = 96,
                   **_: Any) -> dict[str, Any]:
    """Tool choice, valid calls, argument exact match (seen and unseen tools), no call when none is needed."""
    examples = held_out(MIX, limit, seed)
    agent = model.agent(max_tokens=max_tokens, tools=None)
    started = time.perf_counter()
    items = []
    for ex in examples:
        system, user = first_user(ex)
        steps = 2 if ex.meta.get("recovery") == "retry" else 1
        result = ask(agent, user, strategy="react", tools=replay_tools(ex), max_tools=None, max_steps=steps,
                     system_prompt=system)
        items.append({"family": ex.family, "lang": ex.lang, "prompt": user, "tool": ex.meta.get("tool"),
                      "arguments": ex.meta.get("arguments"), "unseen_tool": ex.meta.get("unseen_tool", False),
                      "tool_calls": [{"name": c["name"], "arguments": c["arguments"]} for c in result["tool_calls"]],
                      "answer": result["answer"], "scores": grade(ex, result), "error": result.get("error")})
    rows, metrics = [], {}
    for name in METRICS:
        values = [i["scores"][name] for i in items if name in i["scores"]]
        metrics[name] = mean(values)
        rows.append({"metric": name, "n": len(values), "score": metrics[name]})
    return {"suite": "tools", "title": "Tool manipulation", "model": model.name, "spec": model.spec,
            "data": f"{len(items)} held-out examples (test split, seed {seed}): "
                    + ", ".join(f"{f} {sum(1 for i in items if i['family'] == f)}" for f in MIX)
                    + f"; {sum(1 for i in items if i['unseen_tool'])} with a tool unseen in training; strategy react "
                      f"with the example's tools; replies capped at {max_tokens} tokens.",
            "metrics": metrics, "rows": rows, "items": items,
            "chart": {"type": "bar", "labels": [r["metric"] for r in rows], "ylabel": "share",
                      "series": {model.name: [r["score"] for r in rows]}, "title": f"Tool use: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}
