"""Chain-of-thought: numbered steps ending in an answer line; zero-shot, or few-shot with worked examples."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agentlm.runtime.answers import extract_answer
from agentlm.runtime.prompts import COT_SYSTEM
from agentlm.runtime.state import AgentState, RunContext
from agentlm.runtime.strategies.common import call_model, prompt, text_of
from agentlm.runtime.strategies.few_shot import with_examples


def cot(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Zero-shot chain-of-thought."""
    ctx = runtime.context
    reply, update = call_model(ctx, state, prompt(state, ctx, COT_SYSTEM[state["lang"]]), "cot")
    return {**update, "answer": extract_answer(text_of(reply))}


def few_shot_cot(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Chain-of-thought after worked examples chosen by similarity to the question."""
    ctx = runtime.context
    messages, chosen = with_examples(ctx, state, prompt(state, ctx, COT_SYSTEM[state["lang"]]), cot_only=True)
    reply, update = call_model(ctx, state, messages, "few_shot_cot")
    update["steps"][-1]["examples"] = chosen
    return {**update, "answer": extract_answer(text_of(reply))}
