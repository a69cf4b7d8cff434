"""`OpenAIChatModel`: the same chat-model interface over any OpenAI-compatible server (vLLM, llama.cpp, Ollama, ours).

    model = OpenAIChatModel(base_url="http://127.0.0.1:8000/v1", model="agentlm-small")
    model.bind_tools([calculator_schema]).invoke("What is 3 * 4?").tool_calls

Requests go through httpx (sync and async); connection errors, 429 and 5xx answers are retried with exponential
backoff (honouring `Retry-After`), other failures raise `ServerError` with the server's error body. Replies are
parsed like `LocalChatModel`'s: the server's `tool_calls` (bad JSON arguments → `invalid_tool_calls`),
`reasoning_content`, and AgentLM protocol text in the content for servers that do not parse tool calls themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import secret_from_env
from pydantic import Field, SecretStr

from agentlm.runtime.chat_model import (
    ReplyStream,
    delta_chunk,
    last_chunk,
    new_call_id,
    normalize_tool_choice,
    parse_arguments,
    parse_message,
    to_chat_messages,
    to_openai_tool,
)

RETRY_ERRORS = (httpx.NetworkError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
MAX_DELAY = 30.0


class ServerError(RuntimeError):
    """An OpenAI-compatible server failed, could not be reached, or answered something unreadable."""

    def __init__(self, message: str, *, status_code: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


def list_models(base_url: str, *, api_key: str | None = None, timeout: float = 10.0) -> list[str]:
    """The model ids a server lists at `{base_url}/models`."""
    url = base_url.rstrip("/") + "/models"
    try:
        response = httpx.get(url, headers=_headers(api_key), timeout=timeout)
    except httpx.TransportError as err:
        raise ServerError(f"Could not reach {url}: {err!r}") from err
    if response.status_code >= 400:
        raise _status_error(response, 1)
    data = _json(response)
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise ServerError(f"{url} did not answer a model list: {response.text[:500]}", body=response.text)
    return [m["id"] for m in models if isinstance(m, dict) and "id" in m]


class OpenAIChatModel(BaseChatModel):
    """A chat model served over the OpenAI chat-completions API.

    `base_url` includes the API prefix (`http://host:8000/v1`). `api_key` defaults to `$OPENAI_API_KEY` and is
    sent as a Bearer token. Call-time keyword arguments (`temperature`, `top_p`, `max_tokens`, `seed`, `tools`,
    `tool_choice`) override the fields.
    """

    base_url: str
    model: str
    api_key: SecretStr | None = Field(default_factory=secret_from_env("OPENAI_API_KEY", default=None))
    timeout: float = 120.0
    max_retries: int = 2
    retry_backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: list[str] | None = None
    seed: int | None = None

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model_name": self.model, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_p": self.top_p, "stop": self.stop, "seed": self.seed}

    def list_models(self) -> list[str]:
        """The model ids the server lists."""
        return list_models(self.base_url, api_key=self._key(), timeout=self.timeout)

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | dict[str, Any] | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (schema dicts, langchain tools, functions, objects with `.schema()`); sent as `tools`."""
        specs = [to_openai_tool(t) for t in tools]
        return self.bind(tools=specs, tool_choice=normalize_tool_choice(tool_choice, specs), **kwargs)

    def sample(
        self,
        messages: LanguageModelInput,
        n: int,
        *,
        temperature: float = 0.8,
        top_p: float = 0.95,
        max_tokens: int | None = None,
        tools: Sequence[Any] | None = None,
        seed: int | None = None,
    ) -> list[AIMessage]:
        """n sampled replies: one request with `n`, topped up by further requests if the server returns fewer
        (llama.cpp ignores `n`). Each further request gets the next seed, so it does not repeat a sample."""
        if temperature <= 0:
            raise ValueError("sample() needs temperature > 0: greedy decoding has a single answer")
        chat = self._convert_input(messages).to_messages()
        options: dict[str, Any] = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens,
                                   "tools": tools, "seed": seed}
        replies: list[AIMessage] = []
        while len(replies) < n:
            replies += self._replies(*self._post(self._payload(chat, None, options, n=n - len(replies))))
            if seed is not None:
                options["seed"] = seed + len(replies)
        return replies[:n]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        replies = self._replies(*self._post(self._payload(messages, stop, kwargs)))
        return ChatResult(generations=[ChatGeneration(message=replies[0])])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        replies = self._replies(*await self._apost(self._payload(messages, stop, kwargs)))
        return ChatResult(generations=[ChatGeneration(message=replies[0])])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        payload = self._payload(messages, stop, kwargs, stream=True)
        state = _StreamState(self)
        with self._client() as client:
            response = self._send(client, client.build_request("POST", self._url(), json=payload), stream=True)
            try:
                if not _is_event_stream(response):  # the server ignored "stream": one ordinary answer
                    response.read()
                    yield from state.whole(_json(response))
                    return
                for line in response.iter_lines():
                    yield from state.feed(line)
                    if state.done:
                        break
            finally:
                response.close()
        yield state.finish()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        payload = self._payload(messages, stop, kwargs, stream=True)
        state = _StreamState(self)
        async with self._aclient() as client:
            request = client.build_request("POST", self._url(), json=payload)
            response = await self._asend(client, request, stream=True)
            try:
                if not _is_event_stream(response):
                    await response.aread()
                    for chunk in state.whole(_json(response)):
                        yield chunk
                    return
                async for line in response.aiter_lines():
                    for chunk in state.feed(line):
                        yield chunk
                    if state.done:
                        break
            finally:
                await response.aclose()
        yield state.finish()

    # ------------------------------------------------------------ requests

    def _payload(
        self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any], *, n: int = 1,
        stream: bool = False,
    ) -> dict[str, Any]:
        def option(name: str) -> Any:
            return options[name] if options.get(name) is not None else getattr(self, name)

        payload: dict[str, Any] = {
            "model": self.model,
            "messages": to_chat_messages(messages, reasoning=False),
            "max_tokens": option("max_tokens"),
            "temperature": option("temperature"),
            "top_p": option("top_p"),
        }
        if stops := list(dict.fromkeys([*(self.stop or []), *(stop or [])])):
            payload["stop"] = stops
        if option("seed") is not None:
            payload["seed"] = option("seed")
        if n != 1:
            payload["n"] = n
        if tools := [to_openai_tool(t) for t in options.get("tools") or []]:
            payload["tools"] = tools
            if (choice := normalize_tool_choice(options.get("tool_choice"), tools)) is not None:
                payload["tool_choice"] = choice
        if stream:
            payload.update(stream=True, stream_options={"include_usage": True})
        return payload

    def _key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None

    def _url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def _client(self) -> httpx.Client:
        return httpx.Client(headers=_headers(self._key()), timeout=self.timeout)

    def _aclient(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(headers=_headers(self._key()), timeout=self.timeout)

    def _post(self, payload: dict[str, Any]) -> tuple[Any, float]:
        start = time.perf_counter()
        with self._client() as client:
            response = self._send(client, client.build_request("POST", self._url(), json=payload))
        return _json(response), time.perf_counter() - start

    async def _apost(self, payload: dict[str, Any]) -> tuple[Any, float]:
        start = time.perf_counter()
        async with self._aclient() as client:
            response = await self._asend(client, client.build_request("POST", self._url(), json=payload))
        return _json(response), time.perf_counter() - start

    def _send(self, client: httpx.Client, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries; a returned response has a success status (and, with `stream`, an unread body)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = client.send(request, stream=stream)
            except httpx.TransportError as err:
                time.sleep(self._retry_delay(attempt, request, error=err))
                continue
            if response.status_code < 400:
                return response
            response.read()
            response.close()
            time.sleep(self._retry_delay(attempt, request, response=response))

    async def _asend(
        self, client: httpx.AsyncClient, request: httpx.Request, *, stream: bool = False
    ) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await client.send(request, stream=stream)
            except httpx.TransportError as err:
                await asyncio.sleep(self._retry_delay(attempt, request, error=err))
                continue
            if response.status_code < 400:
                return response
            await response.aread()
            await response.aclose()
            await asyncio.sleep(self._retry_delay(attempt, request, response=response))

    def _retry_delay(
        self,
        attempt: int,
        request: httpx.Request,
        *,
        error: httpx.TransportError | None = None,
        response: httpx.Response | None = None,
    ) -> float:
        """Seconds to wait before retrying a failed attempt, or raise ServerError when it should not be retried."""
        if error is not None:
            url = request.url
            if not isinstance(error, RETRY_ERRORS):
                raise ServerError(f"Request to {url} failed after {attempt} attempt(s): {error!r}") from error
            if attempt > self.max_retries:
                raise ServerError(f"Could not reach {url} after {attempt} attempt(s): {error!r}") from error
            return min(self.retry_backoff * 2 ** (attempt - 1), MAX_DELAY)
        assert response is not None
        if not (response.status_code == 429 or response.status_code >= 500) or attempt > self.max_retries:
            raise _status_error(response, attempt)
        delay = self.retry_backoff * 2 ** (attempt - 1)
        with contextlib.suppress(TypeError, ValueError):
            delay = max(delay, float(response.headers.get("retry-after")))
        return min(delay, MAX_DELAY)

    def _replies(self, data: Any, seconds: float) -> list[AIMessage]:
        """The messages of a chat-completions response, in choice order."""
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise ServerError(f"{self._url()} answered without choices: {json.dumps(data)[:1000]}",
                              body=json.dumps(data))
        choices = sorted(choices, key=lambda c: c.get("index", 0))
        usage = _usage(data.get("usage"), len(choices))
        replies = []
        for choice in choices:
            body = choice.get("message") or {}
            message = _server_message(body.get("content"), body.get("reasoning_content") or body.get("reasoning"),
                                      body.get("tool_calls"))
            replies.append(self._finish(message, data.get("model"), choice.get("finish_reason"), usage, seconds))
        return replies

    def _finish(
        self, message: AIMessage, model: str | None, finish: str | None, usage: UsageMetadata | None, seconds: float
    ) -> AIMessage:
        if finish in (None, "stop") and (message.tool_calls or message.invalid_tool_calls):
            finish = "tool_calls"
        message.response_metadata = {"model_name": model or self.model, "finish_reason": finish or "stop",
                                     "seconds": round(seconds, 4)}
        if usage:
            message.usage_metadata = usage
            rate = usage["output_tokens"] / seconds if seconds > 0 else 0.0
            message.response_metadata["tokens_per_second"] = round(rate, 1)
        return message


class _StreamState:
    """Reads a chat-completions SSE stream: content and reasoning deltas, tool-call deltas assembled by index."""

    def __init__(self, owner: OpenAIChatModel) -> None:
        self.owner = owner
        self.reader = ReplyStream()
        self.reasoning = ""
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.usage: dict[str, Any] | None = None
        self.done = False
        self.start = time.perf_counter()

    def feed(self, line: str) -> Iterator[ChatGenerationChunk]:
        """Chunks for one SSE line (`data: {...}`; other lines are ignored, `data: [DONE]` ends the stream)."""
        if not line.startswith("data:"):
            return
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            self.done = True
            return
        try:
            event = json.loads(data)
        except json.JSONDecodeError as err:
            raise ServerError(f"{self.owner._url()} streamed an unreadable event: {data[:500]}", body=data) from err
        if not isinstance(event, dict):
            raise ServerError(f"{self.owner._url()} streamed an unexpected event: {data[:500]}", body=data)
        if "error" in event:
            raise ServerError(f"{self.owner._url()} streamed an error: {json.dumps(event['error'])}", body=data)
        self.model = event.get("model") or self.model
        self.usage = event.get("usage") or self.usage
        for choice in event.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            delta = choice.get("delta") or {}
            for call in delta.get("tool_calls") or []:
                self._add_call(call)
            reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
            self.reasoning += reasoning
            content, more_reasoning = self.reader.feed(delta.get("content") or "")
            if content or reasoning or more_reasoning:
                yield delta_chunk(content, reasoning + more_reasoning)

    def finish(self) -> ChatGenerationChunk:
        """The last chunk: remaining text, the tool calls, usage and metadata."""
        calls = [self.calls[i] for i in sorted(self.calls)]
        message = _server_message(self.reader.text, self.reasoning, calls)
        seconds = time.perf_counter() - self.start
        message = self.owner._finish(message, self.model, self.finish_reason, _usage(self.usage, 1), seconds)
        return ChatGenerationChunk(message=last_chunk(message, *self.reader.finish()))

    def whole(self, data: Any) -> Iterator[ChatGenerationChunk]:
        """A non-streamed answer to a streaming request, as one chunk."""
        message = self.owner._replies(data, time.perf_counter() - self.start)[0]
        yield ChatGenerationChunk(
            message=last_chunk(message, str(message.content), message.additional_kwargs.get("reasoning_content", ""))
        )

    def _add_call(self, delta: dict[str, Any]) -> None:
        slot = self.calls.setdefault(delta.get("index", len(self.calls)),
                                     {"id": None, "function": {"name": "", "arguments": ""}})
        slot["id"] = slot["id"] or delta.get("id")
        function = delta.get("function") or {}
        slot["function"]["name"] = slot["function"]["name"] or function.get("name") or ""
        arguments = function.get("arguments") or ""
        if isinstance(arguments, dict):  # some servers send the whole object at once
            arguments = json.dumps(arguments)
        slot["function"]["arguments"] += arguments


def _server_message(content: str | None, reasoning: str | None, calls: list[dict[str, Any]] | None) -> AIMessage:
    """An AIMessage from a server's content, reasoning and OpenAI tool calls (protocol text in content too)."""
    base = parse_message(content or "")
    valid, invalid = list(base.tool_calls), list(base.invalid_tool_calls)
    for call in calls or []:
        function = call.get("function") or {}
        name, raw = function.get("name"), function.get("arguments")
        call_id = call.get("id") or new_call_id()
        args, error = parse_arguments(raw)
        if args is not None and name:
            valid.append(tool_call(name=name, args=args, id=call_id))
        else:
            text = raw if isinstance(raw, str) or raw is None else json.dumps(raw)
            invalid.append(invalid_tool_call(name=name, args=text, id=call_id, error=error or "tool call has no name"))
    reasonings = [r for r in (reasoning, base.additional_kwargs.get("reasoning_content")) if r]
    extra = {"reasoning_content": "\n".join(reasonings)} if reasonings else {}
    return AIMessage(content=base.content, additional_kwargs=extra, tool_calls=valid, invalid_tool_calls=invalid)


def _usage(usage: Any, choices: int) -> UsageMetadata | None:
    """Usage per choice: the prompt's tokens and this choice's share of the completion tokens."""
    if not isinstance(usage, dict) or usage.get("prompt_tokens") is None:
        return None
    prompt = int(usage["prompt_tokens"])
    output = round(int(usage.get("completion_tokens") or 0) / max(choices, 1))
    return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ServerError(
            f"{response.request.method} {response.request.url} answered HTTP {response.status_code} with a body "
            f"that is not JSON: {response.text[:1000]!r}", status_code=response.status_code, body=response.text
        ) from err


def _status_error(response: httpx.Response, attempts: int) -> ServerError:
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    return ServerError(
        f"{response.request.method} {response.request.url} failed with HTTP {response.status_code}{tries}: "
        f"{response.text[:2000]}", status_code=response.status_code, body=response.text
    )
