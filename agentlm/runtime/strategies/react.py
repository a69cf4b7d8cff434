"""ReAct: the model and the tools take turns until the model answers without a call or the step limit ends it.

A broken tool call is sent back to the model as an error it can recover from; a call to a tool that
needs approval pauses the run (LangGraph `interrupt`) until the caller resumes it with a decision.
"""

from __future__ import annotations

import json
import time
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agentlm.runtime.chat_model import ContextLengthError, tool_call_error
from agentlm.runtime.prompts import BAD_TOOL_CALL, DECLINED, TOOLS_SYSTEM
from agentlm.runtime.routing import rank_tools
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import call_model, prompt, text_of


def tool_schemas(ctx: RunContext, question: str) -> list[dict[str, Any]]:
    """The schemas shown to the model: the `max_tools` most relevant to the question."""
    if ctx.tools is None or not len(ctx.tools):
        return []
    names = rank_tools(question, ctx.tools)[: ctx.max_tools] if ctx.max_tools else ctx.tools.names()
    forced = ctx.tool_choice if isinstance(ctx.tool_choice, str) else None
    if forced in ctx.tools:  # a forced tool is always shown, first (tools are dropped from the end)
        names = [forced, *[n for n in names if n != forced]][: max(1, len(names))]
    return [ctx.tools[n].schema() for n in names]


def agent(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """One model turn with the tools bound; starts the working messages on the first turn."""
    ctx = runtime.context
    if state.get("model_calls", 0) >= ctx.max_steps:
        return {"stopped": "step_limit", "next": "finish"}
    work = state.get("work") or prompt(state, ctx, TOOLS_SYSTEM[state["lang"]])
    schemas = tool_schemas(ctx, state["question"])
    while True:  # a short context: show fewer tools (least relevant dropped first) until the prompt fits
        try:
            reply, update = call_model(ctx, state, work, state["strategy"], tools=schemas,
                                       tool_choice=ctx.tool_choice if schemas else None)
            break
        except ContextLengthError as err:
            if schemas and not (len(schemas) == 1 and ctx.tool_choice):
                schemas = schemas[:-1]
                continue
            if not state.get("work"):
                raise
            return {"stopped": "context_limit", "next": "finish",
                    "steps": add_step(state, "stopped", reason=str(err))}
    return {**update, "work": [*work, reply], "answer": text_of(reply).strip(), "next": after_model(ctx, state, reply)}


def after_model(ctx: RunContext, state: AgentState, reply: AIMessage) -> str:
    """Where a model turn leads: approval, tools, the plan check, or the end."""
    if reply.tool_calls and any(ctx.needs_approval(c["name"]) for c in reply.tool_calls):
        return "approve"
    if reply.tool_calls or reply.invalid_tool_calls:
        return "tools"
    return "replan" if state["strategy"] == "plan_execute" else "finish"


def approve(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Pause for a human decision on the calls that need approval (nothing before `interrupt` has effects)."""
    ctx = runtime.context
    calls = [c for c in state["work"][-1].tool_calls if ctx.needs_approval(c["name"])]
    decision = interrupt({"type": "approval",
                          "tool_calls": [{"id": c["id"], "name": c["name"], "arguments": c["args"]} for c in calls]})
    approvals = _decisions(decision, [c["id"] for c in calls])
    return {"approvals": approvals, "next": "tools",
            "steps": add_step(state, "approval", decisions=approvals)}


def _decisions(decision: Any, ids: list[str]) -> dict[str, bool]:
    """Accepts True/False, "approve"/"reject", {"approved": bool}, or {call_id: bool}."""
    if isinstance(decision, dict) and "approved" in decision:
        decision = decision["approved"]
    if isinstance(decision, dict):
        return {i: bool(decision.get(i, False)) for i in ids}
    if isinstance(decision, str):
        decision = decision.strip().lower() in ("approve", "approved", "yes", "y", "true")
    return dict.fromkeys(ids, bool(decision))


def tools(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Run the last turn's tool calls; results (and errors) go back to the model as tool messages."""
    ctx = runtime.context
    reply: AIMessage = state["work"][-1]
    lang, approvals = state["lang"], state.get("approvals") or {}
    writer = get_stream_writer()
    out: list[Any] = []
    update: dict[str, Any] = {"steps": list(state.get("steps", [])), "tool_calls": list(state.get("tool_calls", [])),
                              "sources": list(state.get("sources", []))}
    for call in reply.tool_calls:
        started = time.perf_counter()
        if approvals.get(call["id"], True) is False:
            record = {"name": call["name"], "arguments": call["args"], "ok": False,
                      "result": json.dumps({"error": DECLINED[lang]}, ensure_ascii=False)}
        elif ctx.tools is None:
            record = {"name": call["name"], "arguments": call["args"], "ok": False,
                      "result": json.dumps({"error": "no tools are available"})}
        else:
            result = ctx.tools.call(call["name"], call["args"])
            record = {"name": call["name"], "arguments": call["args"], "ok": result.ok, "result": result.content}
        record["seconds"] = round(time.perf_counter() - started, 4)
        out.append(ToolMessage(record["result"], tool_call_id=call["id"], name=call["name"]))
        update["tool_calls"].append(record)
        update["steps"] = add_step(update, "tool", **record)
        update["sources"] += _sources_from(record, len(update["sources"]))
        writer({"type": "tool_call", **record})
    for bad in reply.invalid_tool_calls:
        error = tool_call_error(bad)
        update["steps"] = add_step(update, "tool_error", raw=bad.get("args"), error=error)
        writer({"type": "tool_error", "raw": bad.get("args"), "error": error})
    if reply.invalid_tool_calls:
        out.append(HumanMessage(BAD_TOOL_CALL[lang].format(error=tool_call_error(reply.invalid_tool_calls[0]))))
    plan_step = state.get("plan_step", 0) + (1 if reply.tool_calls else 0)
    return {**update, "work": [*state["work"], *out], "approvals": {}, "plan_step": plan_step, "next": "agent"}


def _sources_from(record: dict[str, Any], offset: int) -> list[dict[str, Any]]:
    """Passages returned by a knowledge-base search become the run's sources."""
    if not record["ok"]:
        return []
    try:
        items = json.loads(record["result"])
    except (TypeError, json.JSONDecodeError):
        return []
    if not isinstance(items, list):
        return []
    return [{"id": item.get("id", offset + i + 1), "doc": item.get("source") or item.get("doc"),
             "chunk": item.get("chunk"), "score": item.get("score"), "text": item["text"]}
            for i, item in enumerate(items) if isinstance(item, dict) and "text" in item]
