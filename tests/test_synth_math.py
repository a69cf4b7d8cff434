"""Maths skill data: determinism, train/test disjointness, correct tool results, well-formed chats, corruptions."""

from __future__ import annotations

import json
import random
import re

import pytest

from agentlm.data.synth import math_problems as mp
from agentlm.data.synth.base import ANSWER_PREFIX, Example, split_share
from agentlm.data.synth.safe_arith import evaluate, format_number

CJK = re.compile(r"[\u4e00-\u9fff]")


def _batch(family: str, split: str, lang: str, n: int = 150, seed: int = 0) -> list[Example]:
    rng = random.Random(f"{seed}-{family}-{split}-{lang}")
    return [mp.GENERATORS[family](rng, split, lang) for _ in range(n)]


@pytest.fixture(scope="module")
def examples() -> dict[tuple[str, str, str], list[Example]]:
    return {(f, s, lang): _batch(f, s, lang) for f in mp.GENERATORS for s in ("train", "test") for lang in ("en", "zh")}


def _user(ex: Example) -> str:
    return next(m["content"] for m in ex.messages if m["role"] == "user")


def test_generator_names() -> None:
    assert set(mp.GENERATORS) == {"math_direct", "math_cot", "math_calc"}
    counts = mp.template_counts()
    assert len(mp.STORIES["en"]) >= 20 and len(mp.STORIES["zh"]) >= 10
    assert all(counts[f]["en"] >= 20 and counts[f]["zh"] >= 10 for f in counts)


def test_deterministic() -> None:
    for family in mp.GENERATORS:
        a = [e.to_json() for e in _batch(family, "train", "en", 20, seed=3)]
        b = [e.to_json() for e in _batch(family, "train", "en", 20, seed=3)]
        assert a == b


def test_train_test_disjoint(examples: dict) -> None:
    for family in mp.GENERATORS:
        for lang in ("en", "zh"):
            train = {_user(e) for e in examples[family, "train", lang]}
            test = {_user(e) for e in examples[family, "test", lang]}
            assert not train & test
    for pool in (mp.NAMES, mp.ITEMS, mp.PLACES, mp.DIRECT_SYSTEM, mp.COT_SYSTEM, mp.CALC_SYSTEM, mp.BARE_QUESTIONS):
        for lang in ("en", "zh"):
            train, test = split_share(pool[lang], "train"), split_share(pool[lang], "test")
            assert train and test and not set(train) & set(test)


def test_well_formed_and_meta(examples: dict) -> None:
    for (family, split, lang), rows in examples.items():
        for ex in rows:
            assert ex.family == family and ex.split == split and ex.lang == lang
            json.dumps(ex.to_json(), ensure_ascii=False)
            meta = ex.meta
            assert set(meta) >= {"answer", "steps", "mode", "expressions"}
            assert 1 <= meta["steps"] <= 4 and len(meta["expressions"]) == meta["steps"]
            assert meta["answer"] == format_number(evaluate(meta["expressions"][-1]))
            for i, msg in enumerate(ex.messages):
                assert msg["role"] in ("system", "user", "assistant", "tool")
                for call in msg.get("tool_calls", []):
                    assert isinstance(json.loads(call["function"]["arguments"]), dict)
                    nxt = ex.messages[i + 1]
                    assert nxt["role"] == "tool" and nxt["tool_call_id"] == call["id"]
            assert ex.messages[-1]["role"] == "assistant"
            last_line = ex.messages[-1]["content"].split("\n")[-1]
            assert last_line == ANSWER_PREFIX[lang] + meta["answer"]
            if lang == "zh":
                assert CJK.search(_user(ex)) or meta["kind"] == "bare"
                assert CJK.search(ex.messages[-1]["content"])


def test_steps_weighted_towards_two(examples: dict) -> None:
    steps = [e.meta["steps"] for rows in examples.values() for e in rows]
    assert {1, 2, 3, 4} <= set(steps)
    assert 0.35 < steps.count(2) / len(steps) < 0.65


def test_direct_reply_is_only_the_answer(examples: dict) -> None:
    for lang in ("en", "zh"):
        for ex in examples["math_direct", "train", lang]:
            assert ex.messages[0]["role"] == "system"
            assert ex.messages[-1]["content"] == ANSWER_PREFIX[lang] + ex.meta["answer"]


def test_cot_steps_show_each_computation(examples: dict) -> None:
    for lang in ("en", "zh"):
        for ex in examples["math_cot", "test", lang]:
            lines = ex.messages[-1]["content"].split("\n")
            assert len(lines) == ex.meta["steps"] + 1
            for expr, result, line in zip(ex.meta["expressions"], ex.meta["results"], lines, strict=False):
                assert f"{expr} = {result}" in line
            assert lines[-1] == ANSWER_PREFIX[lang] + ex.meta["answer"]


def test_calc_tool_results_match_calculator(examples: dict) -> None:
    for split in ("train", "test"):
        for lang in ("en", "zh"):
            for ex in examples["math_calc", split, lang]:
                names = [t["function"]["name"] for t in ex.tools]
                assert "calculator" in names and len(names) == len(set(names)) <= 4
                calls = [m for m in ex.messages if m.get("tool_calls")]
                results = [m["content"] for m in ex.messages if m["role"] == "tool"]
                assert len(calls) == len(results) == ex.meta["steps"]
                exprs = [json.loads(m["tool_calls"][0]["function"]["arguments"])["expression"] for m in calls]
                assert exprs == ex.meta["expressions"]
                assert results == [format_number(evaluate(e)) for e in exprs]
                assert ex.meta["answer"] == results[-1]
                if len(exprs) > 1:  # the last step reuses an earlier result literally
                    assert any(r in exprs[-1] for r in results[:-1])
                size = sum(len(json.dumps(t["function"], ensure_ascii=False)) for t in ex.tools)
                size += sum(len(m["content"]) for m in ex.messages)
                assert size < 1600


def test_corrupt_differs(examples: dict) -> None:
    rng = random.Random(0)
    for (family, _, lang), rows in examples.items():
        for ex in rows[:60]:
            idx, bad = mp.corrupt(ex, rng)
            orig = ex.messages[idx]
            assert orig["role"] == bad["role"] == "assistant"
            assert bad["content"] != orig["content"] and "tool_calls" not in bad
            wrong = bad["content"].split("\n")[-1]
            assert wrong.startswith(ANSWER_PREFIX[lang]) and wrong != ANSWER_PREFIX[lang] + ex.meta["answer"]
            if family == "math_calc":
                assert idx == 2 and orig.get("tool_calls")
            if family == "math_cot":
                assert bad["content"].count("\n") >= 1
