"""`POST /v1/chat/completions` over the local chat models: JSON or SSE, tools and tool_choice, n choices, stop.

Parameters follow OpenAI's (defaults too: temperature 1, top_p 1); `max_tokens` (or
`max_completion_tokens`) defaults to the model's 256 and is cut to what is left of its context;
`repetition_penalty` is accepted as an extension. `n` > 1 samples all choices in one batched generate call.
`response_format` `json_object` or `json_schema` makes the reply JSON by grammar-constrained decoding, and tool
calls always follow their tools' schemas. Unsupported features (`logprobs`, non-text content) answer 400.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_messages
from pydantic import BaseModel, ConfigDict, Field

from agentlm.model.constrained import response_format_constraint
from agentlm.runtime.chat_model import LocalChatModel, normalize_tool_choice, to_chat_messages, to_openai_tool
from agentlm.serve.errors import APIError, error_body
from agentlm.serve.streaming import DONE, ThreadedStream, sse

router = APIRouter()
_ROLES = ("system", "developer", "user", "assistant", "tool")


class ChatRequest(BaseModel):
    """The body of a chat completion request (unknown fields such as `user` or `store` are accepted)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: bool | None = False
    stream_options: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    n: int | None = Field(1, ge=1, le=16)
    stop: str | list[str] | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    repetition_penalty: float | None = Field(None, gt=0, le=3)
    logprobs: bool | None = None
    response_format: dict[str, Any] | None = None


@router.post("/v1/chat/completions", response_model=None)
def chat_completions(body: ChatRequest, request: Request) -> dict[str, Any] | StreamingResponse:
    model = request.app.state.registry.chat_model(body.model)
    _check_supported(body, model)
    messages = to_messages(body.messages)
    tools = _tools(body.tools)
    choice = _tool_choice(body.tool_choice, tools)
    stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    options = {"temperature": 1.0 if body.temperature is None else body.temperature,
               "top_p": body.top_p or 1.0, "seed": body.seed,
               "max_tokens": body.max_completion_tokens or body.max_tokens,
               "repetition_penalty": body.repetition_penalty, "tools": tools or None,
               "tool_choice": choice if tools else None, "response_format": body.response_format}
    options = {k: v for k, v in options.items() if v is not None}
    meta = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": body.model}
    usage_wanted = bool((body.stream_options or {}).get("include_usage"))
    n = body.n or 1
    if body.stream and n == 1:
        chunks = ThreadedStream(lambda: model.stream(messages, stop=stop or None, **options)).first()
        return StreamingResponse(_stream_events(chunks, meta, usage_wanted), media_type="text/event-stream")
    replies = _replies(model, messages, n, stop, options)
    if body.stream:
        return StreamingResponse(_choices_as_events(replies, meta, usage_wanted), media_type="text/event-stream")
    return {**meta, "object": "chat.completion", "system_fingerprint": None,
            "choices": [{"index": i, "message": openai_message(r), "logprobs": None,
                         "finish_reason": r.response_metadata.get("finish_reason", "stop")}
                        for i, r in enumerate(replies)],
            "usage": _usage(replies)}


def _replies(model: Any, messages: list[BaseMessage], n: int, stop: list[str],
             options: dict[str, Any]) -> list[AIMessage]:
    """n replies: one call for n = 1; otherwise one batched call (`sample`, or `batch` for greedy or forced tools)."""
    if n == 1:
        return [model.invoke(messages, stop=stop or None, **options)]
    forced = options.get("tool_choice") not in (None, "none") or options.get("response_format") is not None
    if isinstance(model, LocalChatModel) and options["temperature"] > 0 and not forced:
        sampler = model.model_copy(update={"stop": [*(model.stop or []), *stop]}) if stop else model
        if options.get("repetition_penalty"):
            sampler = sampler.model_copy(update={"repetition_penalty": options["repetition_penalty"]})
        tools = options.get("tools") if options.get("tool_choice") != "none" else None
        return sampler.sample(messages, n, temperature=options["temperature"], top_p=options["top_p"],
                              max_tokens=options.get("max_tokens"), tools=tools, seed=options.get("seed"))
    return model.batch([messages] * n, stop=stop or None, **options)


def _check_supported(body: ChatRequest, model: Any) -> None:
    if body.logprobs:
        raise APIError(400, "logprobs are not supported by this server", "logprobs", "unsupported_parameter")
    try:
        constraint = response_format_constraint(body.response_format)
    except ValueError as err:
        raise APIError(400, str(err), "response_format", "invalid_value") from err
    if constraint is not None and not isinstance(model, LocalChatModel):
        raise APIError(400, f"response_format {body.response_format.get('type')!r} needs a local model",
                       "response_format", "unsupported_parameter")


def to_messages(raw: list[dict[str, Any]]) -> list[BaseMessage]:
    """OpenAI message dicts as langchain messages (text content only; `developer` counts as `system`)."""
    out = []
    for i, message in enumerate(raw):
        role = message.get("role")
        if role not in _ROLES:
            raise APIError(400, f"messages[{i}].role must be one of {', '.join(_ROLES)}, got {role!r}",
                           f"messages[{i}].role", "invalid_value")
        item: dict[str, Any] = {"role": "system" if role == "developer" else role,
                                "content": _text(message.get("content"), i)}
        if role == "assistant" and message.get("tool_calls"):
            item["tool_calls"] = message["tool_calls"]
        if role == "tool":
            if not message.get("tool_call_id"):
                raise APIError(400, f"messages[{i}] (role tool) needs a tool_call_id", f"messages[{i}].tool_call_id")
            item["tool_call_id"] = message["tool_call_id"]
        if message.get("name"):
            item["name"] = message["name"]
        out.append(item)
    try:
        return convert_to_messages(out)
    except Exception as err:
        raise APIError(400, f"messages could not be read: {err}", "messages", "invalid_value") from err


def _text(content: Any, i: int) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise APIError(400, f"messages[{i}].content: this model reads text only, not {kind!r} parts",
                               f"messages[{i}].content", "invalid_value")
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise APIError(400, f"messages[{i}].content must be a string or a list of text parts", f"messages[{i}].content")


def _tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    specs = []
    for i, tool in enumerate(tools or []):
        function = tool.get("function") if tool.get("type", "function") == "function" else None
        if not isinstance(function, dict) or not function.get("name"):
            raise APIError(400, f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ..., ...}}}}",
                           f"tools[{i}]", "invalid_value")
        specs.append(to_openai_tool({"type": "function", "function": function}))
    return specs


def _tool_choice(choice: Any, tools: list[dict[str, Any]]) -> Any:
    if choice is None or (not tools and choice in ("none", "auto")):
        return None
    if not tools:
        raise APIError(400, f"tool_choice {choice!r} needs `tools`", "tool_choice", "invalid_value")
    try:
        return normalize_tool_choice(choice, tools)
    except (TypeError, ValueError) as err:
        raise APIError(400, str(err), "tool_choice", "invalid_value") from err


def openai_message(reply: AIMessage) -> dict[str, Any]:
    """The assistant message as OpenAI returns it; a call the model wrote badly stays in the content as written."""
    chat = to_chat_messages([reply])[0]
    calls = [{"id": c["id"], "type": "function",
              "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
             for c in chat.get("tool_calls") or []]
    message: dict[str, Any] = {"role": "assistant", "content": chat.get("content") or (None if calls else ""),
                               "refusal": None}
    if calls:
        message["tool_calls"] = calls
    if chat.get("reasoning_content"):
        message["reasoning_content"] = chat["reasoning_content"]
    return message


def _usage(replies: list[AIMessage]) -> dict[str, int]:
    usage = [r.usage_metadata or {"input_tokens": 0, "output_tokens": 0} for r in replies]
    prompt, completion = usage[0]["input_tokens"], sum(u["output_tokens"] for u in usage)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _chunk(meta: dict[str, Any], delta: dict[str, Any], finish: str | None = None, index: int = 0) -> str:
    return sse({**meta, "object": "chat.completion.chunk", "system_fingerprint": None,
                "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]})


def _stream_events(chunks: ThreadedStream, meta: dict[str, Any], usage_wanted: bool) -> Iterator[str]:
    """OpenAI chunks from the model's stream: role, content (and reasoning) deltas, tool calls, finish, usage."""
    yield _chunk(meta, {"role": "assistant", "content": ""})
    finish, usage, wrote, calls = "stop", None, False, 0
    try:
        for chunk in chunks:
            assert isinstance(chunk, AIMessageChunk)
            content = chunk.content if isinstance(chunk.content, str) else ""
            broken = [c.get("args") or "" for c in chunk.tool_call_chunks
                      if (c.get("args") or "").startswith("<tool_call>")]
            if broken:  # as in the non-streamed message: the text the model wrote, after the content
                content = "\n".join(p for p in (content, *broken) if p)
                content = "\n" + content if wrote and not chunk.content else content
            delta: dict[str, Any] = {}
            if content:
                delta["content"] = content
                wrote = True
            if reasoning := chunk.additional_kwargs.get("reasoning_content"):
                delta["reasoning_content"] = reasoning
            if delta:
                yield _chunk(meta, delta)
            for call in chunk.tool_call_chunks:
                if (call.get("args") or "").startswith("<tool_call>"):
                    continue
                yield _chunk(meta, {"tool_calls": [{"index": calls, "id": call["id"], "type": "function",
                                                    "function": {"name": call["name"], "arguments": call["args"]}}]})
                calls += 1
            finish = chunk.response_metadata.get("finish_reason", finish)
            usage = chunk.usage_metadata or usage
    except Exception as err:  # the status line is gone: report the error as an event, as OpenAI does
        yield sse(error_body(f"The stream failed: {err}", "server_error"))
        yield DONE
        return
    yield _chunk(meta, {}, finish)
    if usage_wanted and usage:
        yield sse({**meta, "object": "chat.completion.chunk", "choices": [],
                   "usage": {"prompt_tokens": usage["input_tokens"], "completion_tokens": usage["output_tokens"],
                             "total_tokens": usage["total_tokens"]}})
    yield DONE


def _choices_as_events(replies: list[AIMessage], meta: dict[str, Any], usage_wanted: bool) -> Iterator[str]:
    """Several finished choices as a stream (n > 1 with stream=true): each choice's deltas by index."""
    for i, reply in enumerate(replies):
        message = openai_message(reply)
        yield _chunk(meta, {"role": "assistant", "content": ""}, index=i)
        if message["content"]:
            yield _chunk(meta, {"content": message["content"]}, index=i)
        for j, call in enumerate(message.get("tool_calls", [])):
            yield _chunk(meta, {"tool_calls": [{"index": j, **call}]}, index=i)
        yield _chunk(meta, {}, reply.response_metadata.get("finish_reason", "stop"), index=i)
    if usage_wanted:
        yield sse({**meta, "object": "chat.completion.chunk", "choices": [], "usage": _usage(replies)})
    yield DONE
