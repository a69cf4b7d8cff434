"""Answer extraction, normalisation, voting, plan parsing and `auto` routing (pure functions)."""

from __future__ import annotations

import pytest

from agentlm.runtime.answers import extract_answer, normalize_answer, vote
from agentlm.runtime.routing import choose_strategy, is_arithmetic, matching_tool
from agentlm.runtime.state import RunContext
from agentlm.runtime.strategies.plan_execute import parse_plan
from agentlm.runtime.strategies.reflection import sections


@pytest.mark.parametrize(("text", "answer"), [
    ("Step 1: 74 * 25 = 1850\nStep 2: 1850 - 164 = 1686\nAnswer: 1686", "1686"),
    ("第1步：4.8 * 1000 = 4800\n答案：4800", "4800"),
    ("so it is 12 then 13", "13"),
    ("Paris", "Paris"),
])
def test_extract_answer(text: str, answer: str) -> None:
    assert extract_answer(text) == answer


@pytest.mark.parametrize(("raw", "normal"), [
    ("$1,200.50", "1200.5"), ("12.0 km", "12"), ("12", "12"), ("-3.50", "-3.5"), ("The Eiffel Tower.", "eiffel tower"),
    ("purple [2]", "purple"), ("１２", "12"), ("0.333333", "0.333333"),
])
def test_normalize_answer(raw: str, normal: str) -> None:
    assert normalize_answer(raw) == normal


def test_vote_majority_shares_and_settling() -> None:
    v = vote(["12", "12.0", "$12", "13", ""])
    assert v.winner == "12" and v.counts == {"12": 3, "13": 1} and v.paths == 5
    assert v.shares == {"12": 0.6, "13": 0.2}
    assert v.settled(5)  # 3 vs 1 with nothing left to sample
    assert vote(["7", "7", "7"]).settled(5)  # 3 agree: two more paths cannot change the winner
    assert not vote(["7", "7", "8"]).settled(5)
    assert vote(["a", "b"]).winner == "a"  # a tie goes to the answer seen first
    assert vote(["", ""]).winner is None


def test_parse_plan_and_reflection_sections() -> None:
    text = "Plan:\n1. Calculate 3172 / 52 with calculator.\n2. Get the weather in Dubai with get_weather."
    assert parse_plan(text) == ["Calculate 3172 / 52 with calculator.", "Get the weather in Dubai with get_weather."]
    assert parse_plan("计划：\n1. 计算 3 + 4。\n2、查询天气。") == ["计算 3 + 4。", "查询天气。"]
    parts = sections("Draft: 7 + 1 = 9\nCritique: 7 + 1 is 8.\nFinal: 7 + 1 = 8.\nAnswer: 8")
    assert parts == {"draft": "7 + 1 = 9", "critique": "7 + 1 is 8.", "final": "7 + 1 = 8.\nAnswer: 8"}


class _Tools:
    def __init__(self, names: list[str]) -> None:
        self._names = names

    def names(self) -> list[str]:
        return self._names


def _ctx(tools: list[str] | None = None, samples: int = 5) -> RunContext:
    return RunContext(model=None, tools=_Tools(tools) if tools is not None else None, samples=samples)  # type: ignore[arg-type]


@pytest.mark.parametrize(("question", "tools", "samples", "strategy"), [
    ("What is (82 + 30) * 25?", ["calculator", "get_weather"], 5, "react"),
    ("A pen costs 3 dollars. How much do 4 pens cost?", [], 5, "self_consistency"),
    ("A pen costs 3 dollars. How much do 4 pens cost?", [], 1, "cot"),
    ("First work out 3172 / 52, then tell me the weather in Dubai.", ["calculator", "get_weather"], 5,
     "plan_execute"),
    ("What's the weather like in Oslo?", ["calculator", "get_weather"], 5, "react"),
    ("北京今天天气怎么样？", ["get_weather"], 5, "react"),
    ("Here is my attempt: 14 / 2 = 7, 7 + 1 = 9. Can you check it?", ["calculator"], 5, "reflection"),
    ("Who are you?", ["calculator"], 5, "direct"),
])
def test_auto_routing(question: str, tools: list[str], samples: int, strategy: str) -> None:
    chosen, reason = choose_strategy(question, _ctx(tools, samples))
    assert chosen == strategy and reason


def test_arithmetic_and_tool_matching() -> None:
    assert is_arithmetic("12 * 4") and is_arithmetic("What is 15% of 80?") and not is_arithmetic("Who wrote Emma?")
    assert matching_tool("convert 5 km to miles", ["calculator", "convert_units"]) == "convert_units"
    assert matching_tool("what's my order ORD-1 status", ["get_order_status"]) == "get_order_status"
    assert matching_tool("tell me a joke", ["calculator", "get_weather"]) is None
    assert matching_tool("How do I resume pretraining?", ["get_weather"]) is None  # "rain" is not a word here
    assert matching_tool("Will it rain in Oslo?", ["get_weather"]) == "get_weather"


def test_post_hoc_attribution_cites_supported_sentences_only() -> None:
    from agentlm.runtime.strategies.rag import attribute

    passages = ["The lighthouse at Varn Harbor was built in 1872 by the engineer Maren Valcott.",
                "Green tea is steeped at 80 degrees Celsius."]
    text, added = attribute("It was built by the engineer Maren Valcott. Penguins cannot fly!", passages)
    assert text == "It was built by the engineer Maren Valcott [1]. Penguins cannot fly!" and added == [1]
    assert attribute("Steep green tea at 80 degrees Celsius.", passages) == (
        "Steep green tea at 80 degrees Celsius [2].", [2])
    assert attribute("Already cited [2].", passages) == ("Already cited [2].", [])
    assert attribute("瓦恩港的灯塔建于1872年。", ["瓦恩港的灯塔由工程师建于1872年。"])[1] == [1]


def test_split_request_is_the_plan_when_the_model_writes_none() -> None:
    from agentlm.runtime.strategies.plan_execute import split_request

    assert split_request("Can you please first work out 3172 / 52, then tell me the weather in Dubai?") == [
        "work out 3172 / 52", "tell me the weather in Dubai"]
    assert split_request("先算一下 3 + 4，然后查一下北京的天气。") == ["算一下 3 + 4", "查一下北京的天气"]
    assert split_request("What is the weather?") == ["What is the weather"]
