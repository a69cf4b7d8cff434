"""Self-consistency: sample N chain-of-thought paths, normalise their answers, take the majority.

Paths are sampled in batched rounds: first the smallest majority (N // 2 + 1) in one batched generate
call; if they all agree, no later path can change the outcome and the run stops early. Otherwise the
remaining paths come in a second batched call.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.runtime import Runtime

from agentlm.runtime.answers import extract_answer, normalize_answer, vote
from agentlm.runtime.prompts import COT_SYSTEM
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import prompt, text_of


def sample_paths(model: BaseChatModel, messages: list[AnyMessage], n: int, temperature: float, top_p: float
                 ) -> list[AIMessage]:
    """n sampled replies: one batched call when the model has `sample` (our adapters), else `batch`."""
    if hasattr(model, "sample"):
        return model.sample(messages, n, temperature=temperature, top_p=top_p)
    return model.batch([messages] * n)


def self_consistency(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    total = max(1, ctx.samples)
    messages = prompt(state, ctx, COT_SYSTEM[state["lang"]])
    update: dict[str, Any] = {"steps": list(state.get("steps", []))}
    texts: list[str] = []
    rounds = 0
    result = vote([])
    while len(texts) < total:
        want = total // 2 + 1 if not texts and total > 2 else total - len(texts)
        started = time.perf_counter()
        replies = sample_paths(ctx.model, messages, want, ctx.temperature, ctx.top_p)
        rounds += 1
        for reply in replies:
            text = text_of(reply)
            texts.append(text)
            update["steps"] = add_step(update, "path", started, index=len(texts), round=rounds, content=text,
                                       answer=extract_answer(text))
        result = vote([extract_answer(t) for t in texts])
        if result.settled(total):
            break
    votes = {**result.to_dict(), "samples": total, "rounds": rounds, "stopped_early": len(texts) < total}
    update["steps"] = add_step(update, "vote", **votes)
    answer = next((extract_answer(t) for t in texts if normalize_answer(extract_answer(t)) == result.winner), "")
    return {**update, "votes": votes, "answer": answer,
            "model_calls": state.get("model_calls", 0) + rounds}
