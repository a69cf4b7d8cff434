"""Grammar-constrained decoding on the shipped model: tool calls that match their schemas, JSON mode, prefills."""

from __future__ import annotations

import json

import pytest
import torch
from langchain_core.messages import HumanMessage, SystemMessage

from agentlm.data.synth.build import generate as generate_examples
from agentlm.data.synth.tool_specs import BUILTIN_TOOLS
from agentlm.eval.skills import render_prompt
from agentlm.model.constrained import Constraint, response_format_constraint
from agentlm.model.generate import DecodingConfig, generate_batch
from agentlm.model.protocol import parse_reply
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.models import DEFAULT_MODEL_DIR

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def chat() -> LocalChatModel:
    return LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), max_tokens=96)


def _matches(value, schema: dict) -> bool:
    """A small JSON-schema check: the types, enums, required keys and no unknown keys."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        props = schema.get("properties", {})
        return (isinstance(value, dict) and all(k in value for k in schema.get("required", []))
                and all(k in props and _matches(v, props[k]) for k, v in value.items()))
    checks = {"string": lambda v: isinstance(v, str), "integer": lambda v: isinstance(v, int),
              "number": lambda v: isinstance(v, int | float), "boolean": lambda v: isinstance(v, bool),
              "array": lambda v: isinstance(v, list)}
    return checks.get(kind, lambda v: True)(value) and not (kind in ("integer", "number") and isinstance(value, bool))


def _call_is_valid(text: str, tools: list[dict]) -> bool:
    reply = parse_reply(text)
    specs = {t["function"]["name"]: t["function"] for t in tools}
    return (not reply.errors and len(reply.tool_calls) == 1 and reply.tool_calls[0].name in specs
            and _matches(reply.tool_calls[0].arguments, specs[reply.tool_calls[0].name]["parameters"]))


def test_every_finished_tool_call_names_a_listed_tool_with_schema_valid_arguments(chat: LocalChatModel) -> None:
    """Held-out tool-choice requests (generated tools the model never saw among them): under the grammar,
    each call the model finishes is valid (decoding freely, this model gets about half of them valid)."""
    model, tokenizer = chat.load()
    rows = [e.to_json() for e in generate_examples("test", 16, seed=7, mix={"tool_choice": 1.0}, zh_share=0.25)]
    prompts = [render_prompt(tokenizer, [m for m in r["messages"] if m["role"] in ("system", "user")], r["tools"])
               for r in rows]
    config = DecodingConfig(max_new_tokens=128)
    constrained, _ = generate_batch(model, tokenizer, prompts, config,
                                    constraints=[Constraint.for_tools(r["tools"]) for r in rows])
    calls = [(t[0], r["tools"]) for t, r in zip(constrained, rows, strict=True) if "<tool_call>" in t[0]]
    assert len(calls) >= 12, constrained  # the model answers most of these requests with a call
    assert all("</tool_call>" in text for text, _ in calls), calls  # runaway values are closed before the budget
    assert all(_call_is_valid(text, tools) for text, tools in calls), calls


def test_bound_tools_are_enforced_and_a_forced_choice_starts_inside_the_grammar(chat: LocalChatModel) -> None:
    tools = [BUILTIN_TOOLS["calculator"], BUILTIN_TOOLS["get_weather"]]
    messages = [SystemMessage("Use tools when needed."), HumanMessage("What is the weather in Oslo?")]
    forced = chat.bind_tools(tools, tool_choice="get_weather").invoke(messages)
    assert [c["name"] for c in forced.tool_calls] == ["get_weather"] and not forced.invalid_tool_calls
    assert _matches(forced.tool_calls[0]["args"], BUILTIN_TOOLS["get_weather"]["function"]["parameters"])
    any_call = chat.bind_tools(tools, tool_choice="required").invoke(messages)
    assert len(any_call.tool_calls) == 1 and not any_call.invalid_tool_calls
    assert any_call.tool_calls[0]["name"] in ("calculator", "get_weather")
    sampled = chat.sample([SystemMessage("Use tools when needed."), HumanMessage("Find the value of (82 + 30) * 25.")],
                          6, tools=tools, seed=0, max_tokens=96)  # the shared-prefix sampler, masked per row
    calls = [r for r in sampled if r.tool_calls or r.invalid_tool_calls]
    assert calls and not any(r.invalid_tool_calls for r in calls)
    assert all(_matches(r.tool_calls[0]["args"], next(t["function"]["parameters"] for t in tools
                                                       if t["function"]["name"] == r.tool_calls[0]["name"]))
               for r in calls)


def test_json_mode_and_json_schema(chat: LocalChatModel) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "people": {"type": "integer"},
                                               "mood": {"enum": ["happy", "sad"]}},
              "required": ["city", "people", "mood"], "additionalProperties": False}
    ask = [HumanMessage("Book a table in Paris for 4 people. Reply with the booking as JSON.")]
    reply = chat.invoke(ask, response_format={"type": "json_schema", "json_schema": {"name": "b", "schema": schema}})
    assert _matches(json.loads(reply.content), schema), reply.content
    any_object = chat.invoke(ask, response_format={"type": "json_object"}, max_tokens=128)
    assert isinstance(json.loads(any_object.content), dict), any_object.content
    streamed = "".join(c.content for c in chat.stream(ask, response_format={"type": "json_schema", "json_schema": {
        "schema": schema}}))
    assert streamed == reply.content


def test_bad_constraints_are_refused_clearly(chat: LocalChatModel) -> None:
    model, tokenizer = chat.load()
    with pytest.raises(ValueError, match="json_schema.schema"):
        response_format_constraint({"type": "json_schema", "json_schema": {"name": "x"}})
    with pytest.raises(ValueError, match="text, json_object or json_schema"):
        response_format_constraint({"type": "yaml"})
    with pytest.raises(ValueError, match="either free text"):
        Constraint(tools=("{}",), json_schema=True)
    with pytest.raises(ValueError, match="beam search"):
        generate_batch(model, tokenizer, ["Hi"], DecodingConfig(strategy="beam"), constraints=[Constraint.for_json()])
    with pytest.raises(ValueError, match="one entry per prompt"):
        generate_batch(model, tokenizer, ["Hi", "Yo"], constraints=[Constraint.for_json()])
    with pytest.raises(ValueError, match="function name"):
        generate_batch(model, tokenizer, ["Hi"], constraints=[Constraint.for_tools([{"type": "function"}])])
    assert response_format_constraint({"type": "text"}) is None and response_format_constraint(None) is None


def test_a_string_argument_may_contain_the_closing_tag() -> None:
    reply = parse_reply('<tool_call>{"name": "note", "arguments": {"text": "a}</tool_call>b"}}</tool_call> done'
                        '<tool_call>{"name": "x", "arguments": {"broken": }</tool_call>')
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("note", {"text": "a}</tool_call>b"})]
    assert reply.content == "done" and len(reply.errors) == 1


def test_the_grammar_keeps_the_schema_property_order(chat: LocalChatModel) -> None:
    model, tokenizer = chat.load()
    schema = {"type": "object", "properties": {"zeta": {"type": "integer"}, "alpha": {"type": "integer"}},
              "required": ["zeta", "alpha"]}
    text = generate_batch(model, tokenizer, ["Numbers:"], DecodingConfig(max_new_tokens=96),
                          constraints=[Constraint.for_json(schema)])[0][0][0]
    assert list(json.loads(text)) == ["zeta", "alpha"], text


def _greedy_under_grammar(tokenizer, constraint: Constraint, favourite: list[str], max_new_tokens: int,
                          closing: bool = True, padded_rows: int = 0) -> str:
    """Decode with a 'model' whose scores always rank the `favourite` tokens first (in that order): a runaway
    writer, masked by the real grammar processor, as generate() would. `padded_rows`: embedding rows beyond the
    tokenizer's tokens, as many models have."""
    from agentlm.model.constrained import grammar_processor

    vocab = len(tokenizer) + padded_rows
    stop_ids = [tokenizer.convert_tokens_to_ids("<|end|>")]
    processor = grammar_processor(tokenizer, vocab, stop_ids, [constraint],
                                  max_new_tokens=max_new_tokens if closing else None)
    base = torch.zeros(1, vocab)
    for rank, text in enumerate(favourite):
        base[0, tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))[0]] = 100.0 - rank
    out: list[int] = []
    for _ in range(max_new_tokens):
        token = int(processor.mask(base.clone(), [0]).argmax())
        if token in stop_ids:
            break
        processor.accept(0, token)
        out.append(token)
    return tokenizer.decode(out)


def test_a_runaway_reply_is_closed_before_the_budget_ends(chat: LocalChatModel) -> None:
    """A writer that would repeat forever inside a string, a list or a number still ends with JSON that parses,
    every required key present; without the closing reserve the same writer is cut mid-value. Free text before
    a tool call is left alone."""
    _, tokenizer = chat.load()
    rest = {"name": {"type": "string"}, "size": {"type": "number"}, "ok": {"type": "boolean"}}
    runaways = [({"type": "string"}, ["ab"]), ({"type": "number"}, ["7"]),  # a string, a number,
                ({"type": "array", "items": {"type": "string"}}, ['"', "ab"]),  # a list of strings,
                ({"type": "array", "items": {"type": "integer"}}, ["7", ", "]),  # a list that goes on,
                ({"type": "array"}, ["["])]  # lists nested deeper and deeper
    for first, favourite in runaways:
        properties = {"first": first, **rest}
        schema = {"type": "object", "properties": properties, "required": list(properties),
                  "additionalProperties": False}
        with pytest.raises(json.JSONDecodeError):  # without the reserve: cut mid-value
            json.loads(_greedy_under_grammar(tokenizer, Constraint.for_json(schema), favourite, 96, closing=False))
        text = _greedy_under_grammar(tokenizer, Constraint.for_json(schema), favourite, 96)
        assert list(json.loads(text)) == list(properties), (favourite, text)
    any_object = _greedy_under_grammar(tokenizer, Constraint.for_json(), ['"', "ab"], 48)
    assert isinstance(json.loads(any_object), dict), any_object
    for padded_rows in (0, 8):
        calculator = Constraint.for_tools([BUILTIN_TOOLS["calculator"]])
        free = _greedy_under_grammar(tokenizer, calculator, ["ab"], 48, padded_rows=padded_rows)
        assert free == "ab" * 48, padded_rows
        padded = _greedy_under_grammar(tokenizer, Constraint.for_json(schema), ["ab"], 96, padded_rows=padded_rows)
        assert list(json.loads(padded)) == list(schema["properties"]), padded
