"""A minimal OpenAI-compatible server for tests: the real local model behind `/v1`, scripted failures elsewhere.

    with serve(create_app(LocalChatModel(model_path=...))) as (base, app):
        OpenAIChatModel(base_url=f"{base}/v1", model="agentlm-small").invoke("Hi")

Routes: `/v1/models`, `/v1/chat/completions` (JSON or SSE, `n`, `tools`). Under `/{mode}/v1/chat/completions`:
`fail500` always answers 500, `flaky` answers 503 twice then serves, `garbage` answers 200 with HTML,
`badcall` returns a tool call whose arguments are broken JSON, `one` ignores `n` like llama.cpp.
`app.state.hits[mode]` counts requests; `app.state.auth` records the Authorization headers seen.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from langchain_core.messages import AIMessage, convert_to_messages

from agentlm.runtime.chat_model import LocalChatModel

BROKEN_ARGUMENTS = '{"expression": "(82 + 30) * 25'


def create_app(model: LocalChatModel) -> FastAPI:
    """The test server's app around a real LocalChatModel."""
    app = FastAPI()
    app.state.hits = Counter()
    app.state.auth = []

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model.model_name, "object": "model", "owned_by": "agentlm"}]}

    @app.post("/v1/chat/completions")
    def chat(request: Request, body: dict[str, Any] = Body(...)) -> Any:  # noqa: B008 - FastAPI's idiom
        app.state.hits["v1"] += 1
        app.state.auth.append(request.headers.get("authorization"))
        return _complete(model, body)

    @app.post("/{mode}/v1/chat/completions")
    def scripted(mode: str, body: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        app.state.hits[mode] += 1
        if mode == "fail500":
            return JSONResponse({"error": {"message": "model crashed: out of memory", "type": "server_error"}}, 500)
        if mode == "flaky" and app.state.hits[mode] <= 2:
            return JSONResponse({"error": {"message": "warming up"}}, 503, headers={"Retry-After": "0"})
        if mode == "garbage":
            return PlainTextResponse("<html>502 Bad Gateway</html>", 200)
        if mode == "badcall":
            call = {"id": "call_bad", "type": "function",
                    "function": {"name": "calculator", "arguments": BROKEN_ARGUMENTS}}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return {"id": "chatcmpl-bad", "object": "chat.completion", "model": model.model_name,
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
        if mode == "one":
            body = {**body, "n": 1}
        return _complete(model, body)

    return app


def _complete(model: LocalChatModel, body: dict[str, Any]) -> Any:
    messages = convert_to_messages(body["messages"])
    options = {key: body[key] for key in ("temperature", "top_p", "max_tokens", "seed", "tools", "tool_choice")
               if body.get(key) is not None}
    n = body.get("n") or 1
    if body.get("stream"):
        chunks = model.stream(messages, stop=body.get("stop"), **options)
        return StreamingResponse(_events(chunks, model.model_name), media_type="text/event-stream")
    if n > 1:
        options.pop("tool_choice", None)
        replies = model.sample(messages, n, **options)
    else:
        replies = [model.invoke(messages, stop=body.get("stop"), **options)]
    return _response(replies, [r.response_metadata["finish_reason"] for r in replies], model.model_name)


def _openai_message(reply: AIMessage) -> dict[str, Any]:
    """Valid calls as `tool_calls`; a broken call stays in the content as the text the model wrote."""
    invalid = "\n".join(c["args"] or "" for c in reply.invalid_tool_calls)
    message: dict[str, Any] = {"role": "assistant", "content": "\n".join(p for p in (reply.text, invalid) if p)}
    calls = [{"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}
             for c in reply.tool_calls]
    if calls:
        message["tool_calls"] = calls
    if reply.additional_kwargs.get("reasoning_content"):
        message["reasoning_content"] = reply.additional_kwargs["reasoning_content"]
    return message


def _response(replies: list[AIMessage], finish: list[str], name: str) -> dict[str, Any]:
    usage = [r.usage_metadata or {"input_tokens": 0, "output_tokens": 0} for r in replies]
    prompt, completion = usage[0]["input_tokens"], sum(u["output_tokens"] for u in usage)
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": name,
        "choices": [{"index": i, "message": _openai_message(r), "finish_reason": f}
                    for i, (r, f) in enumerate(zip(replies, finish, strict=True))],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def _events(chunks: Iterator[Any], name: str) -> Iterator[str]:
    """SSE events; tool-call arguments are split over two deltas so clients must assemble them by index."""
    usage = None
    for chunk in chunks:
        delta: dict[str, Any] = {}
        if chunk.content:
            delta["content"] = chunk.content
        if chunk.additional_kwargs.get("reasoning_content"):
            delta["reasoning_content"] = chunk.additional_kwargs["reasoning_content"]
        calls = [c for c in chunk.tool_call_chunks if not (c["args"] or "").startswith("<tool_call>")]
        if broken := [c["args"] for c in chunk.tool_call_chunks if c not in calls]:
            delta["content"] = delta.get("content", "") + "\n".join(broken)
        finish = chunk.response_metadata.get("finish_reason")
        usage = chunk.usage_metadata or usage
        if calls:
            first = [{"index": c["index"], "id": c["id"], "type": "function",
                      "function": {"name": c["name"], "arguments": c["args"][: len(c["args"]) // 2]}} for c in calls]
            rest = [{"index": c["index"], "function": {"arguments": c["args"][len(c["args"]) // 2:]}} for c in calls]
            for tool_deltas in (first, rest):
                yield _sse({"choices": [{"index": 0, "delta": {"tool_calls": tool_deltas}, "finish_reason": None}]},
                           name)
        if delta or finish:
            yield _sse({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}, name)
    if usage:
        yield _sse({"choices": [], "usage": {"prompt_tokens": usage["input_tokens"],
                                             "completion_tokens": usage["output_tokens"],
                                             "total_tokens": usage["total_tokens"]}}, name)
    yield "data: [DONE]\n\n"


def _sse(event: dict[str, Any], name: str) -> str:
    return "data: " + json.dumps({"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": name,
                                  **event}) + "\n\n"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` with uvicorn on a free 127.0.0.1 port in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test model server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
