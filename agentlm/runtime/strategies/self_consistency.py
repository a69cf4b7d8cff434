"""Self-consistency: sample N chain-of-thought paths, normalise their answers, take the majority.

With a local model the N paths come from ONE batched generate call that stops as soon as the finished
paths settle the vote (no outcome of the unfinished ones could change the winner); the unfinished paths
are dropped. Other models (OpenAI-compatible servers) sample in batched rounds: first the smallest
majority (N // 2 + 1); if those all agree the run stops early, otherwise the rest come in a second call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.runtime import Runtime

from agentlm.runtime.answers import extract_answer, normalize_answer, vote
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.prompts import COT_SYSTEM
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import prompt, text_of


def sample_paths(model: BaseChatModel, messages: list[AnyMessage], n: int, temperature: float, top_p: float
                 ) -> list[AIMessage]:
    """n sampled replies: one batched call when the model has `sample` (our adapters), else `batch`."""
    if hasattr(model, "sample"):
        return model.sample(messages, n, temperature=temperature, top_p=top_p)
    return model.batch([messages] * n)


def _settles(total: int) -> Callable[[list[str]], bool]:
    return lambda texts: vote([extract_answer(t) for t in texts]).settled(total)


def self_consistency(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    total = max(1, ctx.samples)
    messages = prompt(state, ctx, COT_SYSTEM[state["lang"]])
    update: dict[str, Any] = {"steps": list(state.get("steps", []))}
    texts: list[str] = []
    rounds = 0
    result = vote([])
    one_call = isinstance(ctx.model, LocalChatModel)
    while len(texts) < total and not (one_call and rounds):
        want = total // 2 + 1 if not texts and total > 2 and not one_call else total - len(texts)
        started = time.perf_counter()
        if one_call:
            replies = ctx.model.sample(messages, want, temperature=ctx.temperature, top_p=ctx.top_p,
                                       stop_when=_settles(total))
        else:
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
