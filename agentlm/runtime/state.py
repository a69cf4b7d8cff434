"""The graph's state (one typed dict) and its run context (the model, tools, indexes and settings).

`messages` is the thread's conversation and persists across runs through the checkpointer; every other
field belongs to the current run and is reset by the `route` node.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

STRATEGIES = ("direct", "few_shot", "cot", "few_shot_cot", "self_consistency", "plan_execute", "react", "reflection",
              "rag")


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]  # the thread: questions and final answers
    question: str
    requested: str  # the strategy asked for ("auto" or a name)
    strategy: str  # the strategy that ran
    reason: str  # why `auto` picked it
    lang: str  # "en" or "zh"
    work: list[AnyMessage]  # the strategy's working messages for this run
    steps: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    votes: dict[str, Any] | None
    plan: list[str]
    plan_step: int  # how many plan steps have been started
    replans: int
    model_calls: int
    approvals: dict[str, bool]  # tool-call id -> approved, from the last approval interrupt
    next: str  # where the graph goes after a branching node
    answer: str
    stopped: str | None  # "step_limit" when the run ended at max_steps


@dataclass
class RunContext:
    """What the nodes work with; passed to every run as LangGraph's runtime context."""

    model: BaseChatModel
    tools: Any = None  # agentlm.plugins.ToolRegistry, or None for no tools
    indexes: list[Any] = field(default_factory=list)  # open agentlm.retrieval.Index objects
    examples: Any = None  # agentlm.runtime.strategies.few_shot.ExamplePool, built on first use
    samples: int = 5
    temperature: float = 0.7
    top_p: float = 0.95
    max_steps: int = 6
    max_replans: int = 2
    top_k: int = 4  # passages retrieved for grounded answers
    source_chars: int | None = None  # passage text shown to the model in total; None: from the model's context
    few_shot_k: int = 2
    max_tools: int | None = 3  # tools shown to the model per run, most relevant first (None: all)
    tool_choice: str | dict | None = None  # "auto", "required", or a tool name to force (OpenAI semantics)
    approve_tools: bool | frozenset[str] = False  # True: every tool call waits for approval; or a set of names
    system_prompt: str | None = None
    history_turns: int = 2  # earlier question/answer pairs of the thread shown to the model

    def needs_approval(self, name: str) -> bool:
        if isinstance(self.approve_tools, bool):
            return self.approve_tools
        return name in self.approve_tools


def add_step(state: AgentState, kind: str, started: float | None = None, **data: Any) -> list[dict[str, Any]]:
    """The run's steps with one more: `{"type": kind, ..., "seconds": …}` (plain JSON values only)."""
    step: dict[str, Any] = {"type": kind, **data}
    if started is not None:
        step["seconds"] = round(time.perf_counter() - started, 4)
    return [*state.get("steps", []), step]
