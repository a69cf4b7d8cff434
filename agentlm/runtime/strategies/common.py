"""What every strategy does: build the prompt from the thread, call the model, record the step."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage

from agentlm.runtime.state import AgentState, RunContext, add_step


def history(state: AgentState, ctx: RunContext) -> list[AnyMessage]:
    """The last `ctx.history_turns` question/answer pairs before the current question."""
    earlier = [m for m in state.get("messages", [])[:-1] if isinstance(m, HumanMessage | AIMessage)]
    return earlier[-2 * ctx.history_turns:] if ctx.history_turns > 0 else []


def prompt(state: AgentState, ctx: RunContext, system: str | None = None,
           question: str | None = None) -> list[AnyMessage]:
    """System prompt (the strategy's, then the user's), recent history, and the question."""
    parts = [p for p in (system, ctx.system_prompt) if p]
    head: list[AnyMessage] = [SystemMessage("\n".join(parts))] if parts else []
    return [*head, *history(state, ctx), HumanMessage(question or state["question"])]


def call_model(ctx: RunContext, state: AgentState, messages: list[AnyMessage], node: str,
               tools: list[dict[str, Any]] | None = None, tool_choice: str | dict | None = None,
               **kwargs: Any) -> tuple[AIMessage, dict[str, Any]]:
    """One model call; returns the reply and the state update recording it as a step."""
    model = ctx.model.bind_tools(tools, tool_choice=tool_choice) if tools else ctx.model
    started = time.perf_counter()
    reply = model.invoke(messages, **kwargs)
    step: dict[str, Any] = {"node": node, "content": reply.content}
    if reply.tool_calls:
        step["tool_calls"] = [{"name": c["name"], "arguments": c["args"]} for c in reply.tool_calls]
    if reply.invalid_tool_calls:
        step["invalid_tool_calls"] = [{"raw": c.get("args"), "error": c.get("error")}
                                      for c in reply.invalid_tool_calls]
    if reasoning := reply.additional_kwargs.get("reasoning_content"):
        step["reasoning"] = reasoning
    update = {"steps": add_step(state, "model", started, **step),
              "model_calls": state.get("model_calls", 0) + 1}
    return reply, update


def text_of(message: AnyMessage) -> str:
    """A message's content as plain text."""
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)
