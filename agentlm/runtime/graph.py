"""The agent graph (LangGraph `StateGraph`): route, run one strategy, finish with an answer and a trace.

    question ─▶ route ─┬─▶ direct | few_shot | cot | few_shot_cot | self_consistency ───────┐
                       ├─▶ plan ─▶ agent ⇄ (approve ─▶) tools;  agent ─▶ replan ─▶ agent ┤
                       ├─▶ agent ⇄ (approve ─▶) tools   (ReAct) ────────────────────────┼─▶ finish
                       ├─▶ draft ─▶ critique   (reflection) ─────────────────────────────┤
                       └─▶ retrieve ─▶ grounded_answer   (rag) ─────────────────────────┘
"""

from __future__ import annotations

import contextlib
import json
import time

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agentlm.runtime.prompts import CONTEXT_LIMIT, FOUND_SO_FAR, NO_ANSWER, STEP_LIMIT, language
from agentlm.runtime.routing import choose_strategy
from agentlm.runtime.state import STRATEGIES, AgentState, RunContext
from agentlm.runtime.strategies import cot, direct, few_shot, plan_execute, rag, react, reflection, self_consistency
from agentlm.runtime.strategies.common import text_of

ENTRY = {"direct": "direct", "few_shot": "few_shot", "cot": "cot", "few_shot_cot": "few_shot_cot",
         "self_consistency": "self_consistency", "plan_execute": "plan", "react": "agent",
         "reflection": "draft", "rag": "retrieve"}


def route(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Start a run: read the question, pick the strategy, reset the run's fields."""
    started = time.perf_counter()
    question = text_of(state["messages"][-1]).strip()
    requested = state.get("requested") or "auto"
    if requested == "auto":
        strategy, reason = choose_strategy(question, runtime.context)
    elif requested in STRATEGIES:
        strategy, reason = requested, "requested"
    else:
        raise ValueError(f"unknown strategy {requested!r}; choose auto or one of {', '.join(STRATEGIES)}")
    step = {"type": "route", "requested": requested, "strategy": strategy, "reason": reason,
            "seconds": round(time.perf_counter() - started, 4)}
    get_stream_writer()(dict(step))
    return {"question": question, "lang": language(question), "strategy": strategy, "reason": reason, "work": [],
            "steps": [step], "tool_calls": [], "sources": [], "votes": None, "plan": [], "plan_step": 0,
            "replans": 0, "model_calls": 0, "approvals": {}, "answer": "", "stopped": None, "next": ""}


def finish(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """The final answer (a graceful one when the step limit ended the run) joins the thread."""
    answer = state.get("answer", "")
    if state.get("stopped"):
        lang = state["lang"]
        template = STEP_LIMIT if state["stopped"] == "step_limit" else CONTEXT_LIMIT
        answer = template[lang].format(steps=runtime.context.max_steps)
        if state.get("tool_calls"):
            answer += FOUND_SO_FAR[lang].format(found=_short(state["tool_calls"][-1]["result"]))
    elif not answer.strip():
        answer = NO_ANSWER[state["lang"]]
    get_stream_writer()({"type": "answer", "answer": answer})
    return {"answer": answer, "messages": [AIMessage(answer)]}


def _short(result: str, limit: int = 300) -> str:
    with contextlib.suppress(TypeError, json.JSONDecodeError):
        result = json.dumps(json.loads(result), ensure_ascii=False)
    return result if len(result) <= limit else result[:limit] + " …"


def _next(state: AgentState) -> str:
    return state["next"]


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """The compiled graph; pass a checkpointer to keep conversations per thread and allow approvals."""
    g = StateGraph(AgentState, context_schema=RunContext)
    g.add_node("route", route)
    g.add_node("direct", direct.direct)
    g.add_node("few_shot", few_shot.few_shot)
    g.add_node("cot", cot.cot)
    g.add_node("few_shot_cot", cot.few_shot_cot)
    g.add_node("self_consistency", self_consistency.self_consistency)
    g.add_node("plan", plan_execute.plan)
    g.add_node("agent", react.agent)
    g.add_node("approve", react.approve)
    g.add_node("tools", react.tools)
    g.add_node("replan", plan_execute.replan)
    g.add_node("draft", reflection.draft)
    g.add_node("critique", reflection.critique)
    g.add_node("retrieve", rag.retrieve)
    g.add_node("grounded_answer", rag.grounded_answer)
    g.add_node("finish", finish)

    g.add_edge(START, "route")
    g.add_conditional_edges("route", lambda s: ENTRY[s["strategy"]], list(ENTRY.values()))
    for node in ("direct", "few_shot", "cot", "few_shot_cot", "self_consistency", "critique", "grounded_answer"):
        g.add_edge(node, "finish")
    g.add_edge("draft", "critique")
    g.add_edge("retrieve", "grounded_answer")
    g.add_conditional_edges("plan", _next, ["approve", "tools", "replan", "finish"])
    g.add_conditional_edges("agent", _next, ["approve", "tools", "replan", "finish"])
    g.add_edge("approve", "tools")
    g.add_edge("tools", "agent")
    g.add_conditional_edges("replan", _next, ["agent", "finish"])
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


def question_input(question: str, strategy: str = "auto") -> dict:
    """The graph input for one question."""
    return {"messages": [HumanMessage(question)], "requested": strategy}
