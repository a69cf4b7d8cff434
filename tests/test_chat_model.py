"""LocalChatModel on the shipped model (models/agentlm-small): invoke, stream, batch, tools, sampling, parsing."""

from __future__ import annotations

import asyncio
import copy
import json
import operator
from functools import reduce

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from agentlm.data.synth.tool_specs import BUILTIN_TOOLS
from agentlm.model.protocol import parse_reply
from agentlm.runtime.chat_model import (
    LocalChatModel,
    ReplyStream,
    last_chunk,
    parse_message,
    render_chat,
    to_chat_messages,
    tool_call_error,
)
from agentlm.runtime.models import DEFAULT_MODEL_DIR

CALCULATOR = BUILTIN_TOOLS["calculator"]
WEATHER = BUILTIN_TOOLS["get_weather"]
MATH = [SystemMessage("Use tools when needed and give the final answer on its own line."),
        HumanMessage("Find the value of (82 + 30) * 25.")]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def chat() -> LocalChatModel:
    return LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), max_tokens=60)


@pytest.fixture
def generate_calls(chat: LocalChatModel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls to the real model's `generate`, recording how many sequences each call decodes."""
    model, _ = chat.load()
    calls: list[int] = []
    real = model.generate

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0] * kwargs.get("num_return_sequences", 1))
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "generate", counting)
    return calls


def test_invoke_returns_a_parsed_message_with_metadata(chat: LocalChatModel) -> None:
    reply = chat.invoke("Hello!")
    assert isinstance(reply, AIMessage)
    assert reply.content and "<|end|>" not in reply.content
    meta = reply.response_metadata
    assert meta["model_name"] == "agentlm-small"
    assert meta["finish_reason"] in ("stop", "length")
    assert meta["seconds"] > 0 and meta["tokens_per_second"] > 0
    usage = reply.usage_metadata
    assert usage["input_tokens"] == len(chat.load()[1](chat.render_prompt("Hello!"))["input_ids"])
    assert 0 < usage["output_tokens"] <= 60
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_greedy_decoding_is_deterministic(chat: LocalChatModel) -> None:
    assert chat.invoke(MATH).content == chat.invoke(MATH).content
    question = "What is the capital of France?"
    assert chat.invoke(question).content == chat.invoke(question).content


def test_stream_chunks_join_to_the_invoke_reply(chat: LocalChatModel) -> None:
    chunks = list(chat.stream("Hello!"))
    assert len(chunks) > 3  # real token streaming, not one final chunk
    joined = reduce(operator.add, chunks)
    assert joined.content == chat.invoke("Hello!").content
    assert chunks[-1].chunk_position == "last"
    assert chunks[-1].usage_metadata["output_tokens"] > 0
    assert chunks[-1].response_metadata["finish_reason"] in ("stop", "length")


def test_batch_makes_one_generate_call_and_matches_invokes(chat: LocalChatModel, generate_calls: list[int]) -> None:
    prompts = ["Hello!", "What is the capital of France?", [HumanMessage("Write a haiku about rain.")]]
    replies = chat.batch(prompts)
    assert generate_calls == [3]
    assert [r.content for r in replies] == [chat.invoke(p).content for p in prompts]
    assert all(r.usage_metadata["output_tokens"] > 0 for r in replies)


def test_ainvoke(chat: LocalChatModel) -> None:
    reply = asyncio.run(chat.ainvoke("Hello!"))
    assert isinstance(reply, AIMessage)
    assert reply.content == chat.invoke("Hello!").content


def test_bind_tools_renders_every_kind_of_tool_schema(chat: LocalChatModel) -> None:
    @tool
    def lookup(query: str) -> str:
        """Search the user's notes."""
        return query

    def add(a: int, b: int) -> int:
        """Add two integers.

        Args:
            a: first number
            b: second number
        """
        return a + b

    class PluginTool:  # how the plugin system's Tool objects expose their schema
        def schema(self) -> dict:
            return WEATHER

    prompt = chat.render_prompt(MATH, [CALCULATOR, lookup, add, PluginTool()])
    listed = prompt.split("<tools>\n")[1].split("</tools>")[0].splitlines()
    assert [json.loads(line)["name"] for line in listed] == ["calculator", "lookup", "add", "get_weather"]
    assert json.loads(listed[0]) == CALCULATOR["function"]
    assert json.loads(listed[2])["parameters"]["properties"] == {
        "a": {"type": "integer", "description": "first number"},
        "b": {"type": "integer", "description": "second number"},
    }
    assert prompt.endswith("Find the value of (82 + 30) * 25.<|end|>\n<|assistant|>\n")
    assert "<tools>" not in chat.render_prompt(MATH, [CALCULATOR], tool_choice="none")
    with pytest.raises(TypeError, match="tool schema"):
        chat.bind_tools([42])


def test_a_training_style_prompt_gives_a_parsed_tool_call(chat: LocalChatModel) -> None:
    bound = chat.bind_tools([CALCULATOR])
    reply = bound.invoke(MATH)
    assert reply.content == "" and not reply.invalid_tool_calls
    [call] = reply.tool_calls
    assert call["name"] == "calculator" and isinstance(call["args"]["expression"], str)
    assert call["id"].startswith("call_")
    assert reply.response_metadata["finish_reason"] == "tool_calls"
    streamed = reduce(operator.add, bound.stream(MATH))
    assert [(c["name"], c["args"]) for c in streamed.tool_calls] == [(call["name"], call["args"])]
    assert streamed.tool_calls[0]["id"] != call["id"]  # fresh ids per reply


def test_tool_choice_forces_a_call_by_prefilling_it(chat: LocalChatModel) -> None:
    prompt = chat.render_prompt(MATH, [CALCULATOR, WEATHER], tool_choice="get_weather")
    assert prompt.endswith('<|assistant|>\n<tool_call>{"name": "get_weather", "arguments":')
    assert chat.render_prompt(MATH, [CALCULATOR, WEATHER], tool_choice="required").endswith('<tool_call>{"name": "')
    # One new token cannot finish the forced call's JSON: the truncated call must come back as invalid.
    reply = chat.bind_tools([CALCULATOR], tool_choice="any").invoke(MATH, max_tokens=1)
    assert not reply.tool_calls
    [bad] = reply.invalid_tool_calls
    assert bad["name"] == "calculator" and "not valid JSON" in bad["error"]
    assert bad["args"].startswith('<tool_call>{"name": "calculator", "arguments":')
    assert reply.response_metadata["finish_reason"] == "length"
    with pytest.raises(ValueError, match="not one of the bound tools"):
        chat.bind_tools([CALCULATOR], tool_choice="get_weather")


@pytest.mark.parametrize(("raw", "error"), [
    ('<tool_call>{"name": "calculator", "arguments": {"expression": "2 +</tool_call>', "not valid JSON"),
    ('<tool_call>{"name": "calculator", "arguments": ["2 + 2"]}</tool_call>', "must be a JSON object"),
    ('<tool_call>{"arguments": {"expression": "2 + 2"}}</tool_call>', 'must be {"name"'),
    ('Let me compute.\n<tool_call>{"name": "calculator", "arguments": {"expr', "not valid JSON"),
])
def test_malformed_tool_calls_become_invalid_tool_calls(raw: str, error: str) -> None:
    reply = parse_message(raw)  # the path every model reply takes (invoke, batch, sample and stream)
    assert not reply.tool_calls
    [bad] = reply.invalid_tool_calls
    assert error in bad["error"] and bad["id"].startswith("call_")
    # Streamed: langchain rebuilds invalid calls from the chunks when merging them; they must stay invalid.
    reader = ReplyStream()
    chunks = [AIMessageChunk(content=content) for content, _ in (reader.feed(ch) for ch in raw)]
    merged = reduce(operator.add, [*chunks, last_chunk(reply, *reader.finish())])
    assert merged.content == reply.content
    assert not merged.tool_calls
    assert [c["args"] for c in merged.invalid_tool_calls] == [bad["args"]]
    assert error in tool_call_error(merged.invalid_tool_calls[0])


def test_reply_stream_deltas_join_to_parse_reply() -> None:
    text = ("<think>First add, then multiply.</think>\nI will use the calculator, as 3 < 4.\n"
            '<tool_call>{"name": "calculator", "arguments": {"expression": "(82 + 30) * 25"}}</tool_call>\n'
            "Then I answer.\n<tool_call>{broken")
    reader = ReplyStream()
    pieces = [reader.feed(text[i:i + 3]) for i in range(0, len(text), 3)] + [reader.finish()]
    reply = parse_reply(text)
    assert "".join(c for c, _ in pieces) == reply.content
    assert "".join(r for _, r in pieces) == reply.reasoning == "First add, then multiply."
    assert pieces[-1] == ("", "")  # everything was streamed before the end: markup held back, not the text


def test_sample_makes_one_batched_call(chat: LocalChatModel, generate_calls: list[int],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import agentlm.model.generate as gen

    real, calls = gen.sample_shared_prefix, []
    monkeypatch.setattr(gen, "sample_shared_prefix", lambda *a, **kw: calls.append(a[2]) or real(*a, **kw))
    replies = chat.sample(MATH, 5, tools=[CALCULATOR], seed=3)
    assert calls == [5] and generate_calls == []  # one shared-prefix call, five rows
    assert len(replies) == 5 and all(isinstance(r, AIMessage) for r in replies)
    assert all(r.tool_calls or r.invalid_tool_calls or r.content for r in replies)
    assert all(r.response_metadata["model_name"] == "agentlm-small" for r in replies)
    again = chat.sample(MATH, 5, tools=[CALCULATOR], seed=3)
    assert [r.tool_calls and r.tool_calls[0]["args"] for r in again] == [r.tool_calls and r.tool_calls[0]["args"]
                                                                          for r in replies]
    plain = chat.sample("What is 12 * 7?", 5, seed=1, max_tokens=40)
    assert len({r.content for r in plain}) > 1  # sampling, not five copies of the greedy reply
    with pytest.raises(ValueError, match="temperature > 0"):
        chat.sample("Hi", 2, temperature=0)


def test_stop_strings_and_max_tokens(chat: LocalChatModel) -> None:
    full = chat.invoke("Hello!").content
    words = full.split()
    assert len(words) >= 3, full
    cut = words[2]  # a word of what the shipped model says; the stop string below cuts the reply there
    stopped = chat.invoke("Hello!", stop=[cut])
    assert stopped.content == full[: full.index(cut)].strip()
    assert stopped.response_metadata["finish_reason"] == "stop"
    assert "".join(c.content for c in chat.stream("Hello!", stop=[cut])) == stopped.content
    assert LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), stop=[cut]).invoke("Hello!").content == \
        stopped.content
    short = chat.invoke("Hello!", max_tokens=5)
    assert short.usage_metadata["output_tokens"] == 5
    assert short.response_metadata["finish_reason"] == "length"
    assert full.startswith(short.content)
    with pytest.raises(ValueError, match="reads at most 512"):
        chat.invoke("word " * 600)


def test_the_model_is_loaded_once_and_shared(chat: LocalChatModel) -> None:
    model, tokenizer = chat.load()
    other = LocalChatModel(model_path=str(DEFAULT_MODEL_DIR) + "/", temperature=0.5)
    assert other.load()[0] is model and other.load()[1] is tokenizer
    assert chat.bind_tools([CALCULATOR]).bound is chat
    assert chat.with_config(tags=["x"]).bound is chat
    assert chat.model_copy().load()[0] is model


def test_history_with_tool_calls_renders_in_the_template_format(chat: LocalChatModel) -> None:
    history = [*MATH,
               AIMessage("", tool_calls=[{"name": "calculator", "args": {"expression": "(82 + 30) * 25"},
                                          "id": "call_1"}],
                         additional_kwargs={"reasoning_content": "Multiply after adding."}),
               ToolMessage("2800", tool_call_id="call_1")]
    prompt = chat.render_prompt(history, [CALCULATOR])
    assert ('<|assistant|>\n<think>Multiply after adding.</think>\n<tool_call>{"name": "calculator", "arguments": '
            '{"expression": "(82 + 30) * 25"}}</tool_call><|end|>\n<|tool|>\n<tool_result>2800</tool_result><|end|>\n'
            "<|assistant|>\n") in prompt
    reply = chat.bind_tools([CALCULATOR]).invoke(history)
    assert isinstance(reply, AIMessage)


def test_templates_without_tools_get_the_protocol_as_text(chat: LocalChatModel) -> None:
    tokenizer = copy.deepcopy(chat.load()[1])
    tokenizer.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
                               "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    history = [HumanMessage("What is 2 + 2?"),
               AIMessage("", tool_calls=[{"name": "calculator", "args": {"expression": "2 + 2"}, "id": "c1"}]),
               ToolMessage("4", tool_call_id="c1")]
    prompt = render_chat(tokenizer, to_chat_messages(history), [CALCULATOR])
    assert prompt.startswith("<|system|>\nYou can call these tools.")
    assert json.dumps(CALCULATOR["function"]) in prompt
    assert '<|assistant|>\n<tool_call>{"name": "calculator", "arguments": {"expression": "2 + 2"}}</tool_call><|end|>' \
        in prompt
    assert prompt.endswith("<|tool|>\n4<|end|>\n<|assistant|>\n")


def test_sample_can_stop_once_settled_and_keeps_only_finished_paths(chat: LocalChatModel) -> None:
    seen: list[int] = []

    def after_first(texts: list[str]) -> bool:
        seen.append(len(texts))
        return True

    question = [HumanMessage("Who are you?")]
    replies = chat.sample(question, 6, temperature=1.0, seed=3, max_tokens=60, stop_when=after_first)
    assert seen and 1 <= len(replies) == seen[-1] < 6  # stopped at the first finisher(s), one call
    assert all(r.response_metadata["finish_reason"] == "stop" for r in replies)
    assert len(chat.sample(question, 6, temperature=1.0, seed=3, max_tokens=60)) == 6
