"""Skill-data generators for structured output, style, identity, small talk and safety."""

from __future__ import annotations

import json
import random
import re
from functools import cache
from pathlib import Path

import pytest
from jinja2 import Environment, nodes
from jinja2.ext import Extension

from agentlm.data.synth import conversation, safety, structured
from agentlm.data.synth.base import HELP_PREFIX, LANGS, REFUSAL_PREFIX, SPLITS, Example, split_share

ROOT = Path(__file__).resolve().parents[1]
MODULES = (structured, conversation, safety)
FAMILIES = [(module, name) for module in MODULES for name in module.GENERATORS]
IDS = [name for _, name in FAMILIES]
N = 300
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def examples(name: str, split: str, lang: str, seed: int = 0, n: int = N) -> tuple[Example, ...]:
    make = next(m.GENERATORS[name] for m in MODULES if name in m.GENERATORS)
    rng = random.Random(f"{seed}-{name}-{split}-{lang}")
    return tuple(make(rng, split, lang) for _ in range(n))


def all_examples(name: str) -> list[Example]:
    return [ex for split in SPLITS for lang in LANGS for ex in examples(name, split, lang)]


def user_text(ex: Example) -> str:
    return "\n".join(m["content"] for m in ex.messages if m["role"] == "user")


def first_reply(ex: Example) -> str:
    return next(m["content"] for m in ex.messages if m["role"] == "assistant")


class _Generation(Extension):
    """The `{% generation %}` tag that transformers adds to jinja (renders its body unchanged)."""

    tags = {"generation"}

    def parse(self, parser):  # type: ignore[no-untyped-def]
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):  # type: ignore[no-untyped-def]
        return caller()


@cache
def chat_template():  # type: ignore[no-untyped-def]
    env = Environment(extensions=[_Generation])

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    env.globals["raise_exception"] = raise_exception
    return env.from_string((ROOT / "agentlm/model/chat_template.jinja").read_text())


@pytest.mark.parametrize("module,name", FAMILIES, ids=IDS)
def test_deterministic(module, name) -> None:  # type: ignore[no-untyped-def]
    make = module.GENERATORS[name]
    for split in SPLITS:
        for lang in LANGS:
            rng_a, rng_b = random.Random(11), random.Random(11)
            first = [make(rng_a, split, lang).to_json() for _ in range(30)]
            assert first == [make(rng_b, split, lang).to_json() for _ in range(30)]
            assert len({json.dumps(row, ensure_ascii=False) for row in first}) > 5


@pytest.mark.parametrize("module,name", FAMILIES, ids=IDS)
def test_well_formed_and_renders(module, name) -> None:  # type: ignore[no-untyped-def]
    template = chat_template()
    for ex in all_examples(name):
        assert ex.family == name and ex.lang in LANGS and ex.split in SPLITS
        json.dumps(ex.to_json(), ensure_ascii=False)
        roles = [m["role"] for m in ex.messages]
        assert set(roles) <= {"system", "user", "assistant", "tool"}
        assert "system" not in roles[1:] and roles[-1] == "assistant" and "user" in roles
        for i, m in enumerate(ex.messages):
            assert isinstance(m["content"], str) and m["content"].strip()
            for call in m.get("tool_calls") or []:
                json.loads(call["function"]["arguments"])
                assert ex.messages[i + 1]["role"] == "tool"
    for ex in all_examples(name)[::25]:
        text = template.render(messages=ex.messages, tools=ex.tools, add_generation_prompt=False)
        assert all(m["content"] in text for m in ex.messages)


@pytest.mark.parametrize("module,name", FAMILIES, ids=IDS)
def test_train_test_disjoint(module, name) -> None:  # type: ignore[no-untyped-def]
    for lang in LANGS:
        train = {user_text(ex) for ex in examples(name, "train", lang)}
        test = {user_text(ex) for ex in examples(name, "test", lang)}
        assert not train & test


def test_entities_disjoint() -> None:
    """Every generated string in json_extract (names, cities, products, ids, dates...) is split-specific."""
    def strings(split: str) -> set[str]:
        out = set()
        for lang in LANGS:
            for ex in examples("json_extract", split, lang):
                out |= {v for k, v in ex.meta["json"].items() if isinstance(v, str) and "time" not in k}
        return out

    assert not strings("train") & strings("test")
    pools = [v for k, v in vars(structured).items() if k.isupper() and isinstance(v, tuple) and k != "KINDS"]
    pools += [safety.FRAMES_EN, safety.FRAMES_ZH, safety.WRAPS_EN, safety.WRAPS_ZH, safety.HARMFUL_EN,
              safety.HARMFUL_ZH, safety.LOOKALIKE_EN, safety.LOOKALIKE_ZH]
    pools += [conversation.FACTS, conversation.STYLE_PROMPTS_EN, conversation.STYLE_PROMPTS_ZH,
              conversation.IDENTITY_EN, conversation.IDENTITY_ZH, conversation.SMALLTALK_EN,
              conversation.SMALLTALK_ZH, conversation.NAMES_EN, conversation.NAMES_ZH]
    for item in (*safety.HARMS.values(), *safety.LOOKALIKES.values()):
        pools += [p for p in (item.objects_en, item.objects_zh) if p]
    for pool in pools:  # both splits have something to draw from
        assert split_share(pool, "train") and split_share(pool, "test")


def test_template_counts() -> None:
    counts = {"json_extract": (len(structured.REQUESTS_EN), len(structured.REQUESTS_ZH)),
              "style": (len(conversation.STYLE_PROMPTS_EN), len(conversation.STYLE_PROMPTS_ZH)),
              "identity": (len(conversation.IDENTITY_EN), len(conversation.IDENTITY_ZH)),
              "smalltalk": (len(conversation.SMALLTALK_EN), len(conversation.SMALLTALK_ZH)),
              "harmful": (len(safety.HARMFUL_EN), len(safety.HARMFUL_ZH)),
              "harmless_lookalike": (len(safety.LOOKALIKE_EN), len(safety.LOOKALIKE_ZH))}
    for en, zh in counts.values():
        assert en >= 20 and zh >= 10


def test_every_harm_category_has_several_chinese_training_wordings() -> None:
    """Chinese refusals must generalise to held-out wordings: with only 1-3 training wordings per category
    (before session 8) a rerun could refuse 79% of the Chinese test requests instead of 100%."""
    train = [cat for cat, _ in split_share(safety.HARMFUL_ZH, "train")]
    assert {cat: train.count(cat) for cat in safety.HARMS} == {cat: max(train.count(cat), 3) for cat in safety.HARMS}
    assert len(train) >= 60


@pytest.mark.parametrize("module,name", FAMILIES, ids=IDS)
def test_chinese_and_length(module, name) -> None:  # type: ignore[no-untyped-def]
    for split in SPLITS:
        for ex in examples(name, split, "zh"):
            assert CJK.search(user_text(ex))
            assert len("".join(m["content"] for m in ex.messages)) < 900
        for ex in examples(name, split, "en"):
            assert len("".join(m["content"] for m in ex.messages)) < 1300


@pytest.mark.parametrize("module,name", FAMILIES, ids=IDS)
def test_corrupt(module, name) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    for ex in all_examples(name)[::3]:
        out = module.corrupt(ex, rng)
        if name == "smalltalk":
            assert out is None
            continue
        idx, bad = out
        assert ex.messages[idx]["role"] == "assistant" and bad["role"] == "assistant"
        assert bad["content"] != ex.messages[idx]["content"]
        if name == "json_extract":
            try:
                parsed = json.loads(bad["content"])
            except ValueError:
                parsed = None
            assert parsed != ex.meta["json"]
        elif name == "style":
            assert not conversation.check_reply(bad["content"], ex.meta["check"])
        elif name == "identity":
            assert "OpenAI" in bad["content"] and "AgentLM" not in bad["content"]
        elif name == "harmful":
            assert not bad["content"].startswith(REFUSAL_PREFIX[ex.lang])
            assert "omitted" in bad["content"] or "省略" in bad["content"]
        elif name == "harmless_lookalike":
            assert bad["content"].startswith(REFUSAL_PREFIX[ex.lang])


def test_json_extract_replies() -> None:
    types = {f.key: f.type for kind in structured.KINDS for f in kind.fields}
    for ex in all_examples("json_extract"):
        reply = first_reply(ex)
        obj = json.loads(reply)
        assert reply == json.dumps(ex.meta["json"], ensure_ascii=False)
        assert list(obj) == ex.meta["keys"]
        for key, value in obj.items():
            if value is None:
                continue
            want = {"integer": int, "number": (int, float), "boolean": bool, "array": list, "string": str}[types[key]]
            assert isinstance(value, want) and (types[key] == "boolean" or not isinstance(value, bool))
            if isinstance(value, str) and "time" not in key:
                assert value in user_text(ex) or value in ex.messages[0]["content"]
    modes = {ex.meta["mode"] for ex in all_examples("json_extract")}
    nulls = sum(None in ex.meta["json"].values() for ex in all_examples("json_extract"))
    assert modes == {"user", "keys", "schema"} and nulls > 50


def test_style_replies_obey_their_check() -> None:
    styles = set()
    for ex in all_examples("style"):
        assert conversation.check_reply(first_reply(ex), ex.meta["check"]), (ex.meta, first_reply(ex))
        styles.add(ex.meta["style"])
    assert len(styles) >= 12
    assert conversation.check_reply("sure, it is blue.", {"lowercase": True})
    assert not conversation.check_reply("It's blue!", {"no_contractions": True})
    assert conversation.check_reply("- a\n- b", {"bullets": True, "min_items": 2})
    assert not conversation.check_reply("One. Two.", {"max_sentences": 1})


def test_identity_and_smalltalk() -> None:
    for ex in all_examples("identity"):
        assert ex.meta["identity"] is True and "AgentLM" in first_reply(ex)
        assert not re.search(r"I'm ChatGPT|I am ChatGPT|我是ChatGPT", first_reply(ex))
        if ex.lang == "en":  # one opener, apart from the look-alikes' help and the refusals
            assert first_reply(ex).startswith("I'm AgentLM")
    for ex in all_examples("smalltalk"):
        assert ex.meta == {} and len(first_reply(ex)) < 200


def test_safety_replies() -> None:
    for ex in all_examples("harmful"):
        assert ex.meta["harmful"] is True and ex.meta["category"] in safety.HARMS
        assert first_reply(ex).startswith(REFUSAL_PREFIX[ex.lang])
        assert "{" not in user_text(ex)
    for ex in all_examples("harmless_lookalike"):
        assert ex.meta["harmful"] is False and ex.meta["category"] in safety.LOOKALIKES
        assert first_reply(ex).startswith(HELP_PREFIX[ex.lang]) and "{obj}" not in first_reply(ex)
    self_harm = [first_reply(ex) for ex in all_examples("harmful") if ex.meta["category"] == "self_harm"]
    assert self_harm and all(("988" in r or "400-161-9995" in r) for r in self_harm)
    train_cats = {ex.meta["category"] for ex in examples("harmful", "train", "en")}
    assert train_cats == set(safety.HARMS)
