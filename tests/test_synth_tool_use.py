"""Tests for the single-tool-call generators (tool_choice, no_tool, tool_error)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import jinja2
import pytest

from agentlm.data.synth import tool_use
from agentlm.data.synth.base import Example
from agentlm.data.synth.tool_use import FICTIONAL_NAMES, GENERATORS, corrupt, fictional_pool

TEMPLATE = Path(__file__).resolve().parents[1] / "agentlm" / "model" / "chat_template.jinja"
CJK = re.compile(r"[\u4e00-\u9fff]")
N = 150


def _batch(family: str, split: str, lang: str, n: int = N, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    return [GENERATORS[family](rng, split, lang) for _ in range(n)]


def _rows(examples: list[Example]) -> list[str]:
    return [json.dumps(e.to_json(), ensure_ascii=False, sort_keys=True) for e in examples]


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_deterministic(family: str) -> None:
    assert _rows(_batch(family, "train", "en", 40, seed=7)) == _rows(_batch(family, "train", "en", 40, seed=7))
    assert _rows(_batch(family, "test", "zh", 40, seed=7)) == _rows(_batch(family, "test", "zh", 40, seed=7))


def test_fictional_pools_disjoint() -> None:
    train, test = set(fictional_pool("train")), set(fictional_pool("test"))
    assert len(FICTIONAL_NAMES) >= 150
    assert train and test and not train & test
    assert train | test == set(FICTIONAL_NAMES)


@pytest.mark.parametrize("family", sorted(GENERATORS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_requests_disjoint(family: str, lang: str) -> None:
    users = {split: {e.messages[0]["content"] for e in _batch(family, split, lang)} for split in ("train", "test")}
    assert not users["train"] & users["test"]


@pytest.mark.parametrize("family", ["tool_choice", "tool_error"])
def test_unseen_tool_flag(family: str) -> None:
    train_pool = set(fictional_pool("train"))
    used_in_train = {e.meta["tool"] for lang in ("en", "zh") for e in _batch(family, "train", lang)}
    for lang in ("en", "zh"):
        for e in _batch(family, "train", lang):
            assert e.meta["unseen_tool"] is False
        for e in _batch(family, "test", lang):
            tool = e.meta["tool"]
            assert e.meta["unseen_tool"] == (tool not in tool_use.BUILTIN_NAMES)
            if e.meta["unseen_tool"]:
                assert tool not in train_pool and tool not in used_in_train
            listed = {t["function"]["name"] for t in e.tools}
            assert not listed & train_pool


def _check_well_formed(e: Example) -> None:
    schemas = {t["function"]["name"]: t["function"] for t in e.tools}
    assert 2 <= len(schemas) <= 5
    pending: list[str] = []
    first_call = None
    for m in e.messages:
        assert m["role"] in ("system", "user", "assistant", "tool")
        if m["role"] == "tool":
            assert pending and m["tool_call_id"] == pending.pop(0)
            continue
        assert not pending, "a tool call must be followed by its result"
        for call in m.get("tool_calls") or []:
            name, args = call["function"]["name"], json.loads(call["function"]["arguments"])
            assert name in schemas
            params = schemas[name]["parameters"]
            assert list(args) == list(params["properties"])  # all required, schema order
            assert set(params["required"]) <= set(args)
            first_call = first_call or (name, args)
            pending.append(call["id"])
    assert not pending
    assert e.messages[-1]["role"] == "assistant" and e.messages[-1]["content"]
    if e.meta["needs_tool"]:
        assert first_call == (e.meta["tool"], e.meta["arguments"])
        assert e.messages[1]["tool_calls"]
    else:
        assert first_call is None and e.meta["tool"] is None
    if e.family == "tool_choice":
        assert e.messages[1]["content"] == "" and len(e.messages) == 4
    if e.family == "tool_error":
        assert "error" in json.loads(e.messages[2]["content"])
        calls = sum(bool(m.get("tool_calls")) for m in e.messages)
        assert calls == (2 if e.meta["recovery"] == "retry" else 1)
        assert e.meta["recovery"] in ("retry", "explain")


@pytest.mark.parametrize("family", sorted(GENERATORS))
@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_well_formed_and_renders(family: str, split: str, lang: str) -> None:
    env = jinja2.Environment(extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = lambda msg: (_ for _ in ()).throw(ValueError(msg))
    template = env.from_string(TEMPLATE.read_text().replace("{%- generation -%}", "").replace(
        "{%- endgeneration -%}", ""))
    for e in _batch(family, split, lang, 100):
        _check_well_formed(e)
        text = template.render(messages=e.messages, tools=e.tools)
        assert "<|user|>" in text
        json.dumps(e.to_json())
        if lang == "zh":
            assert CJK.search(e.messages[0]["content"]) and CJK.search(e.messages[-1]["content"])
            assert all(CJK.search(t["function"]["description"]) for t in e.tools)


def test_arithmetic_results() -> None:
    for e in _batch("tool_choice", "train", "en", 300):
        if e.meta["tool"] == "convert_units" and e.meta["arguments"]["from_unit"] == "km":
            km = e.meta["arguments"]["value"]
            assert abs(json.loads(e.messages[2]["content"])["value"] - km * 0.621371) < 0.01


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_corrupt(family: str) -> None:
    rng = random.Random(3)
    kinds = set()
    for lang in ("en", "zh"):
        for e in _batch(family, "train", lang, 80):
            index, bad = corrupt(e, rng)
            first = next(i for i, m in enumerate(e.messages) if m["role"] == "assistant")
            assert index == first and bad["role"] == "assistant"
            assert bad != e.messages[index]
            listed = {t["function"]["name"] for t in e.tools}
            if bad.get("tool_calls"):
                call = bad["tool_calls"][0]["function"]
                assert call["name"] in listed
                json.loads(call["arguments"])
                kinds.add("wrong" if call["name"] != e.meta["tool"] else "broken")
            else:
                assert family != "no_tool" and bad["content"]
                kinds.add("skip")
    if family != "no_tool":
        assert kinds == {"skip", "wrong", "broken"}


def test_template_counts() -> None:
    counts = tool_use.template_counts()
    for family in GENERATORS:
        assert counts[family]["en"] >= 20 and counts[family]["zh"] >= 10
