"""Skill data for grounded QA, planning and reflection: determinism, split disjointness, protocol, corruption."""

from __future__ import annotations

import json
import random
import re
from functools import cache

import pytest

from agentlm.data.synth import facts, grounded_qa, planning, reflection
from agentlm.data.synth.base import ANSWER_PREFIX, NOT_IN_SOURCES, SPLITS, Example
from agentlm.data.synth.safe_arith import evaluate, format_number

MODULES = (grounded_qa, planning, reflection)
FAMILIES = [(mod, name) for mod in MODULES for name in mod.GENERATORS]
IDS = [name for _, name in FAMILIES]
LANGS = ("en", "zh")
CJK = re.compile(r"[\u4e00-\u9fff]")
N = 150


@cache
def batch(family: str, split: str, lang: str, n: int = N) -> list[Example]:
    make = next(mod.GENERATORS[family] for mod in MODULES if family in mod.GENERATORS)
    rng = random.Random(f"{family}-{split}-{lang}")
    return [make(rng, split, lang) for _ in range(n)]


def user_texts(ex: Example) -> str:
    return "\n".join(m["content"] for m in ex.messages if m["role"] in ("system", "user"))


@pytest.mark.parametrize(("mod", "family"), FAMILIES, ids=IDS)
def test_deterministic(mod, family) -> None:
    for lang in LANGS:
        a = [mod.GENERATORS[family](random.Random(7), "train", lang).to_json() for _ in range(3)]
        b = [mod.GENERATORS[family](random.Random(7), "train", lang).to_json() for _ in range(3)]
        assert a == b


@pytest.mark.parametrize(("mod", "family"), FAMILIES, ids=IDS)
def test_train_and_test_prompts_are_disjoint(mod, family) -> None:
    for lang in LANGS:
        train = {m["content"] for ex in batch(family, "train", lang) for m in ex.messages if m["role"] == "user"}
        test = {m["content"] for ex in batch(family, "test", lang) for m in ex.messages if m["role"] == "user"}
        assert not train & test
        entities = {split: {ex.meta["entity"] for ex in batch(family, split, lang) if "entity" in ex.meta}
                    for split in SPLITS}
        assert not entities["train"] & entities["test"]


def test_pools_and_templates_are_disjoint() -> None:
    for lang in LANGS:
        for kind in (*facts.KINDS, "currency"):
            train, test = set(facts.names(kind, "train", lang)), set(facts.names(kind, "test", lang))
            assert train and test and not train & test
        assert not set(facts.products("train", lang)) & set(facts.products("test", lang))
        for split in SPLITS:
            assert len(facts.askable(split, lang)) == len(facts._QUESTIONS)  # every attribute can be asked
        for key in facts._QUESTIONS:
            assert not set(facts.question_templates(*key, "train", lang)) & set(
                facts.question_templates(*key, "test", lang))


@pytest.mark.parametrize(("mod", "family"), FAMILIES, ids=IDS)
def test_messages_are_well_formed_and_render(mod, family) -> None:
    from transformers.utils.chat_template_utils import render_jinja_template

    from agentlm.model.tokenizer import chat_template

    template = chat_template()
    for lang in LANGS:
        for ex in batch(family, "train", lang)[:40] + batch(family, "test", lang)[:40]:
            assert ex.family == family and ex.lang == lang
            json.dumps(ex.to_json())
            tool_names = {t["function"]["name"] for t in ex.tools}
            pending: list[str] = []
            for m in ex.messages:
                assert m["role"] in ("system", "user", "assistant", "tool")
                if m["role"] == "tool":
                    assert m["tool_call_id"] == pending.pop(0)
                    continue
                assert not pending, "a tool call must be followed by its result"
                for call in m.get("tool_calls") or []:
                    assert call["function"]["name"] in tool_names
                    assert isinstance(json.loads(call["function"]["arguments"]), dict)
                    pending.append(call["id"])
            assert not pending and ex.messages[-1]["role"] == "assistant"
            text = render_jinja_template([ex.messages], tools=ex.tools or None, chat_template=template)[0][0]
            assert text.count("<|assistant|>") == sum(m["role"] == "assistant" for m in ex.messages)
            assert facts.rough_chars(ex.messages, ex.tools) < 1300
            if lang == "zh":
                assert CJK.search(user_texts(ex)) and CJK.search(ex.messages[-1]["content"] + user_texts(ex))


def _passage(source: str, n: int) -> str:
    match = re.search(rf"^\[{n}\] (.*)$", source, re.M)
    assert match, source
    return match.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_grounded_answers_cite_the_right_passage(lang) -> None:
    for ex in batch("grounded_qa", "test", lang):
        meta = ex.meta
        assert ex.messages[-1]["content"] == f"{meta['answer']} [{meta['citation']}]"
        passage = _passage(user_texts(ex), meta["citation"])
        assert meta["answer"] in passage and meta["entity"] in passage
        for d in meta["distractor_answers"]:
            assert d["citation"] != meta["citation"] and d["answer"] != meta["answer"]
    for ex in batch("grounded_unanswerable", "test", lang):
        assert ex.messages[-1]["content"] == NOT_IN_SOURCES[lang] and ex.meta["answerable"] is False
        passages = re.findall(r"^\[\d\] (.*)$", user_texts(ex), re.M)
        assert len(passages) == ex.meta["num_passages"]
        if ex.meta["reason"] == "missing_entity":
            assert not any(ex.meta["entity"] in p for p in passages)
        else:
            assert any(ex.meta["entity"] in p for p in passages)  # the entity is there, the attribute is not
    for ex in batch("grounded_tool", "test", lang):
        call = ex.messages[1]["tool_calls"][0]["function"]
        assert call["name"] == ex.meta["tool"] == "search_knowledge_base"
        assert json.loads(call["arguments"]) == ex.meta["arguments"]
        assert ex.meta["entity"] in ex.meta["arguments"]["query"]
        results = {r["id"]: r["text"] for r in json.loads(ex.messages[2]["content"])}
        assert ex.meta["answer"] in results[ex.meta["citation"]]
        assert ex.messages[-1]["content"] == f"{ex.meta['answer']} [{ex.meta['citation']}]"


def test_real_passages_are_optional_distractors() -> None:
    real = [f"The museum opened its east wing in spring, after a long restoration number {i}. Visitors came." * 2
            for i in range(40)]
    try:
        grounded_qa.set_real_passages(real)
        rng = random.Random(3)
        examples = [grounded_qa.make_grounded_qa(rng, "train", "en") for _ in range(60)]
        assert any("museum" in user_texts(ex) for ex in examples)
        for ex in examples:
            assert ex.meta["answer"] in _passage(user_texts(ex), ex.meta["citation"])
    finally:
        grounded_qa.set_real_passages([])
    assert not any("museum" in user_texts(grounded_qa.make_grounded_qa(random.Random(i), "train", "en"))
                   for i in range(30))


@pytest.mark.parametrize("lang", LANGS)
def test_plan_execute_protocol(lang) -> None:
    no_tool = 0
    for ex in batch("plan_execute", "test", lang):
        meta = ex.meta
        first = ex.messages[1]
        lines = first["content"].split("\n")
        assert lines[0] == planning.PLAN_HEADER[lang]
        assert [line.split(". ", 1)[0] for line in lines[1:]] == [str(i) for i in range(1, meta["plan_steps"] + 1)]
        calls = [c["function"] for m in ex.messages if m["role"] == "assistant" for c in m.get("tool_calls") or []]
        assert [c["name"] for c in calls] == meta["tools"] and len(calls) == len(meta["calls"])
        assert all(m.get("tool_calls") and len(m["tool_calls"]) == 1 for m in ex.messages[1:-1:2])
        for call, m in zip(calls, [m for m in ex.messages if m["role"] == "tool"], strict=True):
            if call["name"] == "calculator":
                assert m["content"] == format_number(evaluate(json.loads(call["arguments"])["expression"]))
        final = ex.messages[-1]["content"]
        assert "tool_calls" not in ex.messages[-1]
        assert all(key in final for key in meta["answers"])
        no_tool += meta["no_tool_steps"]
    assert no_tool > 0


@pytest.mark.parametrize("lang", LANGS)
def test_reflection_protocol(lang) -> None:
    draft, critique, final = reflection.LABELS[lang]
    examples = batch("reflection", "test", lang)
    share = sum(ex.meta["draft_correct"] for ex in examples) / len(examples)
    assert 0.3 < share < 0.7
    for ex in examples:
        text = ex.messages[1]["content"]
        assert text.startswith(draft) and f"\n{critique}" in text and f"\n{final}" in text
        meta = ex.meta
        assert (meta["draft_answer"] == meta["answer"]) == meta["draft_correct"]
        assert meta["wrong_answer"] != meta["answer"]
        if meta["kind"] == "passage":
            assert text.endswith(f"{final}{meta['answer']}")
        else:
            assert text.split("\n")[-1] == f"{ANSWER_PREFIX[lang]}{meta['answer']}"
            assert text.count(ANSWER_PREFIX[lang]) == 1  # the draft never ends with an answer line
    kinds = {(ex.meta["kind"], ex.meta["mode"]) for ex in examples}
    assert len(kinds) == 6


@pytest.mark.parametrize(("mod", "family"), FAMILIES, ids=IDS)
def test_corrupt_gives_a_different_assistant_message(mod, family) -> None:
    rng = random.Random(0)
    for lang in LANGS:
        for ex in batch(family, "train", lang)[:60]:
            out = mod.corrupt(ex, rng)
            assert out is not None
            index, message = out
            original = ex.messages[index]
            assert original["role"] == message["role"] == "assistant"
            assert (message["content"], message.get("tool_calls")) != (original["content"], original.get("tool_calls"))


def test_corrupt_is_wrong_in_the_named_way() -> None:
    rng = random.Random(1)
    abstained = 0
    for ex in batch("grounded_qa", "train", "en")[:200]:
        _, message = grounded_qa.corrupt(ex, rng)
        assert message["content"] != f"{ex.meta['answer']} [{ex.meta['citation']}]"
        abstained += message["content"] == NOT_IN_SOURCES["en"]
    assert 20 <= abstained <= 80  # ~25%: saying the sources lack an answer they hold is rejected too
    for ex in batch("grounded_unanswerable", "train", "zh")[:50]:
        _, message = grounded_qa.corrupt(ex, rng)
        assert re.search(r"\[\d\]$", message["content"])  # a guess with a citation instead of NOT_IN_SOURCES
    for ex in batch("reflection", "train", "en")[:50]:
        _, message = reflection.corrupt(ex, rng)
        assert ex.meta["wrong_answer"] in message["content"].split("\n")[-1]
    for ex in batch("plan_execute", "train", "en")[:50]:
        index, message = planning.corrupt(ex, rng)
        if index == 1:
            assert message["content"].count("\n") == ex.meta["plan_steps"] - 1  # one step fewer


def test_template_counts() -> None:
    counts = {**grounded_qa.template_counts(), **planning.template_counts(), **reflection.template_counts()}
    for family, per_lang in counts.items():
        assert per_lang["en"] >= 20 and per_lang["zh"] >= 10, family
