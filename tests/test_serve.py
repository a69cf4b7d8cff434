"""The OpenAI-compatible server with the official `openai` client: models, chat (JSON and SSE), tools, n, stop,
usage, embeddings, the agent endpoint, the API key and OpenAI-shaped errors. A real uvicorn server on 127.0.0.1
serves the shipped model."""

from __future__ import annotations

import base64
import json

import httpx
import numpy as np
import openai
import pytest

from agentlm.serve.app import ServerConfig, background, create_app

KEY = "test-key"
CALCULATOR = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
HELLO = [{"role": "user", "content": "Who are you?"}]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None) -> str:
    config = ServerConfig(api_key=KEY, data_dir=tmp_path_factory.mktemp("service"), max_request_bytes=64 * 1024,
                          train_threads=1)
    with background(create_app(config)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=120)


def _greedy(client: openai.OpenAI, **kwargs) -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(model="agentlm-small", temperature=0, **{"messages": HELLO, **kwargs})


def test_models_are_listed_and_retrieved(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "agentlm-small" and "all-MiniLM-L6-v2" in ids
    assert client.models.retrieve("agentlm-small").owned_by == "agentlm"


def test_chat_completion_with_usage(client: openai.OpenAI) -> None:
    reply = _greedy(client, max_tokens=24)
    choice = reply.choices[0]
    assert reply.object == "chat.completion" and reply.model == "agentlm-small" and reply.id.startswith("chatcmpl-")
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length") and choice.message.tool_calls is None
    usage = reply.usage
    assert usage.prompt_tokens > 3 and 0 < usage.completion_tokens <= 24
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    again = _greedy(client, max_completion_tokens=24)  # the newer name of the same limit; greedy is deterministic
    assert again.choices[0].message.content == choice.message.content


def test_streaming_joins_to_the_greedy_text_and_ends_with_done(client: openai.OpenAI, base: str) -> None:
    whole = _greedy(client, max_tokens=40)
    chunks = list(_greedy(client, max_tokens=40, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3  # really incremental
    assert chunks[0].choices[0].delta.role == "assistant"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    raw = httpx.post(f"{base}/v1/chat/completions", headers={"Authorization": f"Bearer {KEY}"}, timeout=60,
                     json={"model": "agentlm-small", "messages": HELLO, "max_tokens": 8, "stream": True})
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [line for line in raw.text.splitlines() if line]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    assert json.loads(events[0][6:])["object"] == "chat.completion.chunk"


def test_forced_tool_choice_gives_tool_calls_and_takes_the_result_back(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "What is (82 + 30) * 25?"}]
    choice = {"type": "function", "function": {"name": "calculator"}}
    reply = _greedy(client, messages=ask, tools=[WEATHER, CALCULATOR], tool_choice=choice)
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "tool_calls" and len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call.type == "function" and call.function.name == "calculator" and call.id.startswith("call_")
    assert set(json.loads(call.function.arguments)) == {"expression"}
    streamed = [c.choices[0].delta for c in _greedy(client, messages=ask, tools=[WEATHER, CALCULATOR],
                                                     tool_choice=choice, stream=True) if c.choices]
    deltas = [d.tool_calls[0] for d in streamed if d.tool_calls]
    assert [(d.index, d.function.name) for d in deltas] == [(0, "calculator")]
    assert deltas[0].function.arguments == call.function.arguments  # same greedy call, streamed
    required = _greedy(client, messages=ask, tools=[CALCULATOR], tool_choice="required")
    assert required.choices[0].message.tool_calls[0].function.name == "calculator"
    # the call and its result go back as OpenAI messages and the model reads them
    follow = _greedy(client, tools=[WEATHER, CALCULATOR], max_tokens=40, messages=[
        *ask, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "2800"}])
    assert follow.choices[0].message.content or follow.choices[0].message.tool_calls
    assert follow.usage.prompt_tokens > reply.usage.prompt_tokens + 5
    none = _greedy(client, messages=ask, tools=[CALCULATOR], tool_choice="none", max_tokens=30)
    assert none.choices[0].message.tool_calls is None


def test_n_choices_come_from_one_request(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="agentlm-small", messages=[{"role": "user", "content": "Tell me a "
                                           "story."}], n=3, temperature=1.0, seed=7, max_tokens=24)
    assert [c.index for c in reply.choices] == [0, 1, 2]
    texts = [c.message.content for c in reply.choices]
    assert all(texts) and len(set(texts)) > 1  # sampled, not one reply copied
    assert reply.usage.completion_tokens > 24 and reply.usage.completion_tokens <= 72
    again = client.chat.completions.create(model="agentlm-small", messages=[{"role": "user", "content": "Tell me a "
                                           "story."}], n=3, temperature=1.0, seed=7, max_tokens=24)
    assert [c.message.content for c in again.choices] == texts  # the seed fixes the samples
    greedy = _greedy(client, n=2, max_tokens=12)
    assert greedy.choices[0].message.content == greedy.choices[1].message.content


def test_stop_cuts_the_reply(client: openai.OpenAI) -> None:
    text = _greedy(client, max_tokens=40).choices[0].message.content
    words = text.split()
    assert len(words) > 4
    stop = f" {words[3]}"
    cut = _greedy(client, max_tokens=40, stop=[stop]).choices[0].message.content
    assert cut == text[:text.index(stop)].strip()
    assert _greedy(client, max_tokens=40, stop=stop).choices[0].message.content == cut  # a string works too


def test_embeddings_are_384_dimensional_and_normalized(client: openai.OpenAI) -> None:
    texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell sharply today."]
    floats = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts, encoding_format="float")
    vectors = np.array([d.embedding for d in floats.data])
    assert vectors.shape == (3, 384) and [d.index for d in floats.data] == [0, 1, 2]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert floats.usage.prompt_tokens == floats.usage.total_tokens > 10
    default = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts[0])  # the client asks for base64
    assert np.allclose(default.data[0].embedding, vectors[0], atol=1e-6)
    raw = httpx.post(f"{client.base_url}embeddings", headers={"Authorization": f"Bearer {KEY}"}, timeout=60,
                     json={"model": "all-MiniLM-L6-v2", "input": "A cat sits on the mat.", "encoding_format": "base64"})
    decoded = np.frombuffer(base64.b64decode(raw.json()["data"][0]["embedding"]), dtype="<f4")
    assert np.allclose(decoded, vectors[0], atol=1e-6)


def test_agent_endpoint_runs_the_graph(base: str) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    run = httpx.post(f"{base}/v1/agent/runs", headers=headers, timeout=120,
                     json={"question": "What is (82 + 30) * 25?", "strategy": "react", "thread_id": "t1"}).json()
    assert set(run) >= {"answer", "strategy", "reason", "steps", "tool_calls", "sources", "votes", "thread_id"}
    assert run["strategy"] == "react" and run["thread_id"] == "t1" and run["answer"]
    assert run["steps"][0]["type"] == "route"
    with httpx.stream("POST", f"{base}/v1/agent/runs", headers=headers, timeout=120,
                      json={"question": "Who are you?", "strategy": "direct", "stream": True}) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line[6:]) for line in lines[:-1]]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "route" and kinds[-1] == "result" and "token" in kinds
    result = events[-1]["result"]
    assert result["strategy"] == "direct" and result["answer"]
    assert "".join(e["text"] for e in events if e["type"] == "token").strip() == result["answer"].strip()
    bad = httpx.post(f"{base}/v1/agent/runs", headers=headers, json={"question": "Hi", "strategy": "telepathy"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "strategy"


def test_api_key_is_required(base: str) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        openai.OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0).models.list()
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
    missing = httpx.get(f"{base}/v1/models")
    assert missing.status_code == 401 and missing.json()["error"]["message"].startswith("No API key provided")
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}


def test_response_format_json_schema_and_json_object(client: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "guests": {"type": "integer"}},
              "required": ["city", "guests"], "additionalProperties": False}
    ask = [{"role": "user", "content": "Book a table in Rome for 3. Answer as JSON."}]
    reply = client.chat.completions.create(model="agentlm-small", temperature=0, messages=ask, max_tokens=64,
                                           response_format={"type": "json_schema",
                                                            "json_schema": {"name": "booking", "schema": schema}})
    booking = json.loads(reply.choices[0].message.content)
    assert list(booking) == ["city", "guests"] and isinstance(booking["guests"], int)
    anything = client.chat.completions.create(model="agentlm-small", temperature=0, messages=ask, max_tokens=128,
                                              response_format={"type": "json_object"})
    assert isinstance(json.loads(anything.choices[0].message.content), dict)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="agentlm-small", messages=ask, response_format={"type": "xml"})
    assert caught.value.param == "response_format"


def test_errors_have_openai_shape(client: openai.OpenAI, base: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=HELLO)
    assert caught.value.code == "model_not_found" and caught.value.param == "model"
    assert caught.value.body["type"] == "invalid_request_error" and "gpt-9" in caught.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="agentlm-small", messages=HELLO, temperature=3)
    assert caught.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="agentlm-small", messages=[{"role": "user", "content": "word " * 700}])
    assert caught.value.code == "context_length_exceeded" and "512" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:  # also before a stream starts
        client.chat.completions.create(model="agentlm-small", messages=[{"role": "user", "content": "word " * 700}],
                                       stream=True)
    assert caught.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="agentlm-small", messages=HELLO, tools=[CALCULATOR], tool_choice={
            "type": "function", "function": {"name": "get_weather"}})
    assert caught.value.param == "tool_choice"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="agentlm-small", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    assert caught.value.param == "messages[0].content"
    headers = {"Authorization": f"Bearer {KEY}"}
    for response, status in (
        (httpx.post(f"{base}/v1/chat/completions", headers=headers, json={
            "model": "agentlm-small", "messages": [{"role": "user", "content": "x" * 70_000}]}), 413),
        (httpx.post(f"{base}/v1/chat/completions", headers={**headers, "Content-Type": "application/json"},
                    content=iter([b" " * 40_000] * 2)), 413),  # chunked: no Content-Length to check up front
        (httpx.post(f"{base}/v1/chat/completions", headers={**headers, "Content-Type": "application/json"},
                    content=b"{not json"), 400),
        (httpx.get(f"{base}/v1/nothing-here", headers=headers), 404),
        (httpx.post(f"{base}/v1/chat/completions", headers=headers, json={"messages": HELLO}), 400),
    ):
        error = response.json()["error"]
        assert response.status_code == status and set(error) == {"message", "type", "param", "code"}
        assert error["message"]
    assert response.json()["error"]["param"] == "model"


def test_our_own_client_gets_what_the_local_model_says(base: str) -> None:
    from agentlm.runtime.models import load_chat_model

    remote = load_chat_model(f"{base}/v1#agentlm-small", api_key=KEY, temperature=0, max_tokens=24)
    local = load_chat_model(None, temperature=0, max_tokens=24)
    assert remote.invoke("Who are you?").content == local.invoke("Who are you?").content
    assert len(remote.sample("Tell me a story.", 2, max_tokens=12, seed=1)) == 2
