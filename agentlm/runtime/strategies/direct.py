"""Direct answering: one model call on the conversation, no extra instructions."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agentlm.runtime.state import AgentState, RunContext
from agentlm.runtime.strategies.common import call_model, prompt, text_of


def direct(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    reply, update = call_model(ctx, state, prompt(state, ctx), "direct")
    return {**update, "answer": text_of(reply).strip()}
