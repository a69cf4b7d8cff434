"""OpenAIChatModel against a real OpenAI-compatible HTTP server on 127.0.0.1 that runs the shipped model."""

from __future__ import annotations

import asyncio
import operator
import socket
from collections.abc import Iterator
from functools import reduce
from types import SimpleNamespace

import pytest
import torch
from _model_server import BROKEN_ARGUMENTS, create_app, serve
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agentlm.data.synth.tool_specs import BUILTIN_TOOLS
from agentlm.runtime.chat_model import LocalChatModel, tool_call_error
from agentlm.runtime.models import DEFAULT_MODEL_DIR, load_chat_model
from agentlm.runtime.openai_model import OpenAIChatModel, ServerError, list_models

CALCULATOR = BUILTIN_TOOLS["calculator"]
MATH = [SystemMessage("Use tools when needed and give the final answer on its own line."),
        HumanMessage("Find the value of (82 + 30) * 25.")]


@pytest.fixture(scope="module")
def server() -> Iterator[SimpleNamespace]:
    """The test server (one torch thread while it runs) and the local model it serves."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    local = LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), max_tokens=60)
    app = create_app(local)
    with serve(app) as base:
        yield SimpleNamespace(base=base, app=app, local=local)
    torch.set_num_threads(before)


@pytest.fixture
def model(server: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> OpenAIChatModel:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return OpenAIChatModel(base_url=f"{server.base}/v1", model="agentlm-small", max_tokens=60, retry_backoff=0.01)


def scripted(server: SimpleNamespace, mode: str, **kwargs) -> OpenAIChatModel:
    return OpenAIChatModel(base_url=f"{server.base}/{mode}/v1", model="agentlm-small", retry_backoff=0.01, **kwargs)


def test_invoke_round_trips_the_local_reply(server: SimpleNamespace, model: OpenAIChatModel) -> None:
    reply = model.invoke("Hello!")
    local = server.local.invoke("Hello!")
    assert isinstance(reply, AIMessage)
    assert reply.content == local.content
    assert reply.usage_metadata == local.usage_metadata
    assert reply.response_metadata["model_name"] == "agentlm-small"
    assert reply.response_metadata["finish_reason"] == local.response_metadata["finish_reason"]


def test_the_factory_asks_the_server_for_its_model(server: SimpleNamespace) -> None:
    assert list_models(f"{server.base}/v1") == ["agentlm-small"]
    found = load_chat_model(server.base)  # no /v1 and no #MODEL: both are worked out
    assert isinstance(found, OpenAIChatModel)
    assert (found.base_url, found.model) == (f"{server.base}/v1", "agentlm-small")
    named = load_chat_model(f"{server.base}/v1#other-model", temperature=0.3)
    assert (named.model, named.temperature) == ("other-model", 0.3)


def test_stream_parses_server_sent_events(model: OpenAIChatModel) -> None:
    chunks = list(model.stream("Hello!"))
    assert len(chunks) > 3
    joined = reduce(operator.add, chunks)
    assert joined.content == model.invoke("Hello!").content
    assert joined.usage_metadata["output_tokens"] > 0
    assert joined.response_metadata["finish_reason"] in ("stop", "length")


def test_tool_calls_round_trip(server: SimpleNamespace, model: OpenAIChatModel) -> None:
    bound = model.bind_tools([CALCULATOR])
    reply = bound.invoke(MATH)
    local = server.local.bind_tools([CALCULATOR]).invoke(MATH)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [(c["name"], c["args"]) for c in local.tool_calls]
    assert reply.tool_calls and reply.response_metadata["finish_reason"] == "tool_calls"
    # the server splits the streamed arguments over two deltas: they are assembled by index
    streamed = reduce(operator.add, bound.stream(MATH))
    assert [(c["name"], c["args"]) for c in streamed.tool_calls] == [(c["name"], c["args"]) for c in reply.tool_calls]
    # the call and its result go back to the server, which renders them for the model
    call = reply.tool_calls[0]
    follow_up = bound.invoke([*MATH, reply, ToolMessage("2800", tool_call_id=call["id"])])
    expected = server.local.bind_tools([CALCULATOR]).invoke([*MATH, reply, ToolMessage("2800", tool_call_id="x")])
    assert follow_up.content == expected.content


def test_sample_uses_n_and_tops_up_when_the_server_ignores_it(server: SimpleNamespace, model: OpenAIChatModel) -> None:
    before = server.app.state.hits["v1"]
    replies = model.sample("What is 12 * 7?", 3, seed=1)
    assert server.app.state.hits["v1"] == before + 1
    assert len(replies) == 3 and all(isinstance(r, AIMessage) and r.content for r in replies)
    ignoring = scripted(server, "one", max_tokens=40)
    assert len(ignoring.sample("What is 12 * 7?", 3, seed=1)) == 3
    assert server.app.state.hits["one"] == 3


def test_api_key_is_sent_as_a_bearer_token(server: SimpleNamespace, model: OpenAIChatModel,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    model.invoke("Hi", max_tokens=2)
    assert server.app.state.auth[-1] is None
    OpenAIChatModel(base_url=model.base_url, model="m", api_key="sk-test").invoke("Hi", max_tokens=2)
    assert server.app.state.auth[-1] == "Bearer sk-test"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    from_env = OpenAIChatModel(base_url=model.base_url, model="m")
    assert "sk-from-env" not in repr(from_env)
    from_env.invoke("Hi", max_tokens=2)
    assert server.app.state.auth[-1] == "Bearer sk-from-env"


def test_server_errors_are_retried_then_reported(server: SimpleNamespace) -> None:
    with pytest.raises(ServerError, match="HTTP 500 .after 3 attempts.*model crashed: out of memory") as info:
        scripted(server, "fail500", max_retries=2).invoke("Hi")
    assert info.value.status_code == 500
    assert server.app.state.hits["fail500"] == 3
    with pytest.raises(ServerError, match="HTTP 500"):
        list(scripted(server, "fail500", max_retries=0).stream("Hi"))
    assert server.app.state.hits["fail500"] == 4
    flaky = scripted(server, "flaky", max_retries=2)  # 503 twice, then a real answer
    assert flaky.invoke("Hello!").content == server.local.invoke("Hello!").content
    assert server.app.state.hits["flaky"] == 3


def test_unreadable_answers_raise_clear_errors(server: SimpleNamespace) -> None:
    with pytest.raises(ServerError, match="not JSON.*502 Bad Gateway"):
        scripted(server, "garbage").invoke("Hi")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServerError, match="Could not reach .* after 2 attempt"):
        OpenAIChatModel(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1,
                        retry_backoff=0.01).invoke("Hi")


def test_malformed_tool_call_arguments_become_invalid_tool_calls(server: SimpleNamespace) -> None:
    reply = scripted(server, "badcall").bind_tools([CALCULATOR]).invoke("Hi")
    assert not reply.tool_calls
    [bad] = reply.invalid_tool_calls
    assert (bad["name"], bad["args"], bad["id"]) == ("calculator", BROKEN_ARGUMENTS, "call_bad")
    assert "not valid JSON" in bad["error"]
    assert tool_call_error(bad) == bad["error"]


def test_async_invoke_and_stream(model: OpenAIChatModel) -> None:
    async def run() -> tuple[AIMessage, list]:
        return await model.ainvoke("Hello!"), [chunk async for chunk in model.astream("Hello!")]

    reply, chunks = asyncio.run(run())
    assert len(chunks) > 3
    assert reduce(operator.add, chunks).content == reply.content == model.invoke("Hello!").content
