"""The Python agent API: a model, tools and indexes behind one object.

    from agentlm import Agent

    agent = Agent(index="docs")                       # the shipped model, the built-in tools, an index
    result = agent.run("What is 17 * 23?")            # strategy="auto" picks one and says why
    print(result.answer, result.strategy, result.tool_calls)
    for event in agent.stream("Summarise the install guide", strategy="rag"):
        ...                                           # route, token, tool_call, sources, answer, result

Conversations persist per `thread_id` (SQLite when `checkpoint_db` is given); tool calls can wait for
approval (`approve_tools=True`), in which case `run` returns with `result.pending` and `resume`
continues the run with the decision.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agentlm.runtime.graph import build_graph, question_input
from agentlm.runtime.state import STRATEGIES, RunContext
from agentlm.runtime.strategies.common import text_of

STRATEGY_CHOICES = ("auto", *STRATEGIES)


@dataclass
class AgentResult:
    """One run: the answer and its trace (the `agentlm ask --json` contract)."""

    answer: str
    strategy: str
    reason: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    votes: dict[str, Any] | None = None
    thread_id: str = ""
    seconds: float = 0.0
    stopped: str | None = None  # "step_limit" when the run ended at max_steps
    pending: dict[str, Any] | None = None  # tool calls waiting for approval (resume with Agent.resume)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Agent:
    """A model with tools and indexes, answering through the strategy graph.

    Args:
        model: a chat model, or a spec for `load_chat_model` (None: the shipped model; a model dir, a
            `.gguf` file, "smollm2", or an OpenAI-compatible server URL).
        tools: "builtin" (built-ins, installed plugins and `tools_dirs`), None for no tools, or a list of
            tools (functions decorated with `@tool`, `Tool` objects) or a `ToolRegistry`.
        tools_dirs: folders of plugin files to load as well.
        index: an index name, path or open `Index`, or a list of them.
        strategy: the default strategy ("auto" or one of STRATEGIES).
        checkpoint_db: a SQLite file that keeps threads across restarts (default: in memory).
        source_chars: retrieved text shown to the model per answer (default: about half its context).
        tool_choice: None/"auto" lets the model decide; "required" or a tool name forces a call each turn.
        approve_tools: True to make every tool call wait for approval, or a list of tool names.
    """

    def __init__(self, model: BaseChatModel | str | Path | None = None, *, tools: Any = "builtin",
                 tools_dirs: Iterable[str | Path] = (), index: Any = None, strategy: str = "auto",
                 samples: int = 5, temperature: float = 0.7, top_p: float = 0.95, max_steps: int = 6,
                 approve_tools: bool | Iterable[str] = False, system_prompt: str | None = None,
                 checkpoint_db: str | Path | None = None, top_k: int = 4, few_shot_k: int = 2,
                 source_chars: int | None = None, tool_choice: str | None = None) -> None:
        _check_strategy(strategy)
        if samples < 1 or max_steps < 1:
            raise ValueError("samples and max_steps must be at least 1")
        self.model = model if isinstance(model, BaseChatModel) else _load_model(model)
        self.indexes = _open_indexes(index)
        self.tools = _tool_registry(tools, tools_dirs)
        self.strategy = strategy
        self.context = RunContext(
            model=self.model, tools=self.tools, indexes=self.indexes, samples=samples, temperature=temperature,
            top_p=top_p, max_steps=max_steps, top_k=top_k, few_shot_k=few_shot_k, system_prompt=system_prompt,
            source_chars=source_chars or _source_budget(self.model), tool_choice=tool_choice,
            approve_tools=approve_tools if isinstance(approve_tools, bool) else frozenset(approve_tools))
        if self.tools is not None:  # e.g. the knowledge-base tool searches the first index
            self.tools.setup({"index": self.indexes[0] if self.indexes else None, "indexes": self.indexes,
                              "top_k": min(top_k, 3), "source_chars": self.context.source_chars // 2})
        self._conn = None
        if checkpoint_db is not None:
            from langgraph.checkpoint.sqlite import SqliteSaver

            Path(checkpoint_db).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(checkpoint_db), check_same_thread=False)
            self.checkpointer = SqliteSaver(self._conn)
        else:
            self.checkpointer = InMemorySaver()
        self.graph = build_graph(self.checkpointer)

    # -- running -------------------------------------------------------------------------------------------
    def run(self, question: str, *, thread_id: str | None = None, strategy: str | None = None,
            **settings: Any) -> AgentResult:
        """Answer one question; `settings` override RunContext fields for this run (samples, temperature, …)."""
        result = None
        for event in self.stream(question, thread_id=thread_id, strategy=strategy, tokens=False, **settings):
            if event["type"] == "result":
                result = event["result"]
        assert result is not None
        return result

    def stream(self, question: str, *, thread_id: str | None = None, strategy: str | None = None,
               tokens: bool = True, **settings: Any) -> Iterator[dict[str, Any]]:
        """Run and yield events: route, token, tool_call, tool_error, sources, step, answer, interrupt, result."""
        if not question or not question.strip():
            raise ValueError("the question is empty")
        strategy = strategy or self.strategy
        _check_strategy(strategy)
        yield from self._drive(question_input(question, strategy), thread_id, tokens, settings)

    def resume(self, thread_id: str, decision: Any = True, **settings: Any) -> AgentResult:
        """Continue a run paused for approval: True/False, "approve"/"reject", or {call_id: bool}."""
        result = None
        for event in self._drive(Command(resume=decision), thread_id, False, settings):
            if event["type"] == "result":
                result = event["result"]
        assert result is not None
        return result

    async def arun(self, question: str, **kwargs: Any) -> AgentResult:
        """`run` in a worker thread, so an event loop stays responsive while the model computes."""
        import asyncio

        return await asyncio.to_thread(self.run, question, **kwargs)

    async def astream(self, question: str, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """`stream` as an async iterator (the model runs in a worker thread)."""
        import asyncio

        events = self.stream(question, **kwargs)
        done = object()
        while (event := await asyncio.to_thread(next, events, done)) is not done:
            yield event

    def _drive(self, graph_input: Any, thread_id: str | None, tokens: bool,
               settings: dict[str, Any]) -> Iterator[dict[str, Any]]:
        thread_id = thread_id or uuid.uuid4().hex
        config = {"configurable": {"thread_id": thread_id}}
        context = replace(self.context, **settings) if settings else self.context
        choice = context.tool_choice
        if isinstance(choice, str) and choice not in ("auto", "none", "required", "any") \
                and (context.tools is None or choice not in context.tools):
            available = ", ".join(context.tools.names()) if context.tools is not None else "none"
            raise ValueError(f"tool_choice {choice!r} is not an available tool (available: {available})")
        started = time.perf_counter()
        modes = ["updates", "custom", "messages"] if tokens else ["updates", "custom"]
        pending = None
        # durability="exit": the thread's state is checkpointed once, when the run ends or pauses for approval,
        # not after every step (about 2 ms a run less graph overhead; a run killed midway restarts anyway).
        for mode, payload in self.graph.stream(graph_input, config, context=context, stream_mode=modes,
                                               durability="exit"):
            if mode == "custom":
                yield payload
            elif mode == "messages":
                chunk, meta = payload
                if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                    yield {"type": "token", "text": chunk.content, "node": meta.get("langgraph_node")}
            elif "__interrupt__" in payload:
                pending = payload["__interrupt__"][0].value
                yield {"type": "interrupt", **pending}
            else:
                for node, update in payload.items():
                    yield {"type": "step", "node": node, "update": _summary(update)}
        values = self.graph.get_state(config).values
        yield {"type": "result", "result": AgentResult(
            answer=values.get("answer", "") if pending is None else "", strategy=values.get("strategy", ""),
            reason=values.get("reason", ""), steps=values.get("steps", []), tool_calls=values.get("tool_calls", []),
            sources=values.get("sources", []), votes=values.get("votes"), thread_id=thread_id,
            seconds=round(time.perf_counter() - started, 3), stopped=values.get("stopped"), pending=pending)}

    # -- threads -------------------------------------------------------------------------------------------
    def history(self, thread_id: str) -> list[dict[str, str]]:
        """The thread's conversation as {role, content} dicts."""
        values = self.graph.get_state({"configurable": {"thread_id": thread_id}}).values
        return [{"role": "user" if m.type == "human" else "assistant", "content": text_of(m)}
                for m in values.get("messages", [])]

    def threads(self) -> list[str]:
        """Thread ids with saved conversations, newest first."""
        seen: dict[str, None] = {}
        for checkpoint in self.checkpointer.list(None):
            seen.setdefault(checkpoint.config["configurable"]["thread_id"], None)
        return list(seen)

    def close(self) -> None:
        for index in self.indexes:
            if hasattr(index, "close"):
                index.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGY_CHOICES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGY_CHOICES)}")


def _summary(update: Any) -> dict[str, Any]:
    """A node's state update without the bulky message lists (for step events)."""
    if not isinstance(update, dict):
        return {}
    return {k: v for k, v in update.items() if k not in ("messages", "work", "steps")}


def _source_budget(model: BaseChatModel) -> int:
    from agentlm.runtime.models import source_budget

    return source_budget(model)


def _load_model(spec: str | Path | None) -> BaseChatModel:
    from agentlm.runtime.models import load_chat_model

    return load_chat_model(None if spec is None else str(spec))


def _open_indexes(index: Any) -> list[Any]:
    if index is None:
        return []
    items = index if isinstance(index, list | tuple) else [index]
    if not all(hasattr(i, "search") for i in items):
        from agentlm.retrieval import open_index

        items = [i if hasattr(i, "search") else open_index(i) for i in items]
    return list(items)


def _tool_registry(tools: Any, dirs: Iterable[str | Path]) -> Any:
    from agentlm.plugins import ToolRegistry, discover_tools

    dirs = [Path(d) for d in dirs]
    if tools == "builtin":
        return discover_tools(dirs)
    if tools is None and not dirs:
        return None
    if isinstance(tools, ToolRegistry):
        registry = tools
    else:
        registry = discover_tools(dirs, builtins=False, entry_points=False) if dirs else ToolRegistry()
        for t in tools or []:
            registry.add(t)
    return registry
