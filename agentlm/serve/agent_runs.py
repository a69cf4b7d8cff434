"""`POST /v1/agent/runs`: one question through the agent graph with a chosen strategy.

Body: `question`, `strategy` ("auto" or one of the strategies), `model` (default: the server's first),
`samples`, `temperature`, `max_steps`, `index` (a name or a list; default: the server's `--index`),
`tools` (built-in tools, default true), `thread_id` (continue a conversation; threads persist in
`DATA_DIR/threads.sqlite`), `stream`. The answer is `AgentResult.to_dict()` (the `agentlm ask --json`
contract), or with `stream` SSE events (`route`, `token`, `tool_call`, `sources`, `step`, `answer`,
then `result` with that dict) ending with `data: [DONE]`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agentlm.serve.errors import APIError, error_body
from agentlm.serve.streaming import DONE, ThreadedStream, sse

router = APIRouter()


class AgentRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    strategy: str = "auto"
    model: str | None = None
    samples: int | None = Field(None, ge=1, le=32)
    temperature: float | None = Field(None, gt=0, le=2)
    max_steps: int | None = Field(None, ge=1, le=20)
    index: str | list[str] | None = None
    tools: bool = True
    thread_id: str | None = None
    stream: bool = False


class AgentPool:
    """One `Agent` per (model, indexes, tools), built on first use and kept for later runs."""

    def __init__(self, registry: Any, data_dir: Path, default_index: str | None) -> None:
        self.registry, self.data_dir, self.default_index = registry, data_dir, default_index
        self._agents: dict[tuple[str, tuple[str, ...], bool], Any] = {}
        self._lock = threading.Lock()

    def get(self, model_id: str, index: str | list[str] | None, tools: bool) -> Any:
        from agentlm.agent import Agent

        index = self.default_index if index is None else index
        names = tuple([index] if isinstance(index, str) else index or [])
        key = (model_id, names, tools)
        with self._lock:
            if key not in self._agents:
                model = self.registry.chat_model(model_id)
                try:
                    self._agents[key] = Agent(model, tools="builtin" if tools else None, index=list(names) or None,
                                              checkpoint_db=self.data_dir / "threads.sqlite")
                except FileNotFoundError as err:
                    raise APIError(404, f"Index not found: {err}", "index", "index_not_found") from err
            return self._agents[key]

    def close(self) -> None:
        with self._lock:
            for agent in self._agents.values():
                agent.close()
            self._agents.clear()


@router.post("/v1/agent/runs", response_model=None)
def run_agent(body: AgentRunRequest, request: Request) -> dict[str, Any] | StreamingResponse:
    from agentlm.agent import STRATEGY_CHOICES

    if body.strategy not in STRATEGY_CHOICES:
        raise APIError(400, f"unknown strategy {body.strategy!r}; choose one of {', '.join(STRATEGY_CHOICES)}",
                       "strategy", "invalid_value")
    model_id = body.model or request.app.state.registry.default_id
    agent = request.app.state.agents.get(model_id, body.index, body.tools)
    settings = {k: v for k, v in (("samples", body.samples), ("temperature", body.temperature),
                                  ("max_steps", body.max_steps)) if v is not None}
    try:
        if not body.stream:
            return agent.run(body.question, thread_id=body.thread_id, strategy=body.strategy, **settings).to_dict()
        events = ThreadedStream(lambda: agent.stream(body.question, thread_id=body.thread_id,
                                                     strategy=body.strategy, **settings)).first()
    except ValueError as err:
        raise APIError(400, str(err), "question", "invalid_value") from err
    return StreamingResponse(_events(events), media_type="text/event-stream")


def _events(events: ThreadedStream) -> Iterator[str]:
    try:
        for event in events:
            if event.get("type") == "result":
                event = {"type": "result", "result": event["result"].to_dict()}
            yield sse(event)
    except Exception as err:
        yield sse(error_body(f"The agent run failed: {err}", "server_error"))
    yield DONE
