"""Evaluation metrics on hand-made cases whose answers are known, and the data loaders on the real data files."""

from __future__ import annotations

import json
import math

import pytest

from agentlm.eval.datasets import held_out, load_gsm8k, load_squad
from agentlm.eval.metrics import (
    bits_per_byte,
    bleu,
    exact_match,
    faithfulness,
    first_relevant_rank,
    hit_at_k,
    mean,
    numeric_match,
    perplexity,
    reciprocal_rank,
    rouge,
    sentence_support,
    squad_normalize,
    token_f1,
)
from agentlm.eval.report import fmt, markdown_table
from agentlm.eval.tool_use import grade, replay_tools, turn_text


def test_squad_normalisation_and_exact_match() -> None:
    assert squad_normalize("The  Eiffel Tower!") == "eiffel tower"
    assert squad_normalize("An apple, a day.") == "apple day"
    assert exact_match("the Eiffel tower [1]", ["Eiffel Tower"]) == 1.0  # citation, article, case, punctuation
    assert exact_match("Eiffel", ["Eiffel Tower", "Tower"]) == 0.0
    assert exact_match("Denver Broncos.", ["Carolina Panthers", "Denver Broncos"]) == 1.0  # best reference


def test_token_f1() -> None:
    assert token_f1("July 1899", ["July 1899"]) == 1.0
    # prediction "in july 1899": precision 2/3, recall 1 -> F1 0.8
    assert token_f1("in July 1899", ["July 1899"]) == pytest.approx(0.8)
    assert token_f1("nothing shared", ["July 1899"]) == 0.0
    assert token_f1("", ["July 1899"]) == 0.0
    assert token_f1("the", ["a"]) == 1.0  # both normalise to nothing: equal, as in the official script
    assert token_f1("北京大学", ["北京"]) == pytest.approx(2 * 0.5 * 1 / 1.5)  # Chinese per character


def test_numeric_match() -> None:
    assert numeric_match("Step 1: 3 * 4 = 12\nAnswer: 12", "12") == 1.0
    assert numeric_match("So the answer is $1,200.", "1200") == 1.0
    assert numeric_match("答案：4800", "4800") == 1.0
    assert numeric_match("12.0", 12) == 1.0
    assert numeric_match("Answer: 13", "12") == 0.0
    assert numeric_match("", "12") == 0.0


def test_bleu_and_rouge_known_values() -> None:
    text = "The calculator returns integers without a decimal point."
    assert bleu([text], [text]) == pytest.approx(100.0)
    assert bleu(["completely different words here"], [text]) == pytest.approx(0.0)
    hello = "你好，王芳！有什么可以帮你的吗？"
    assert bleu([hello], [hello], "zh") == pytest.approx(100.0)
    assert bleu([], []) == 0.0
    same = rouge([text], [text])
    assert same == {"rouge1": pytest.approx(1.0), "rouge2": pytest.approx(1.0), "rougeL": pytest.approx(1.0)}
    assert rouge(["apple pie"], ["apple tart"])["rouge1"] == pytest.approx(0.5)
    assert rouge(["你好王芳"], ["你好李明"])["rouge1"] == pytest.approx(0.5)  # Chinese counted per character


def test_perplexity_and_bits_per_byte_arithmetic() -> None:
    assert bits_per_byte(8 * math.log(2), 8) == pytest.approx(1.0)  # 1 bit of loss per byte
    assert bits_per_byte(3 * 4 * math.log(2), 4) == pytest.approx(3.0)
    assert perplexity(10 * math.log(5), 10) == pytest.approx(5.0)  # mean loss ln 5 -> perplexity 5
    assert math.isnan(perplexity(1.0, 0)) and math.isnan(bits_per_byte(1.0, 0))


def test_retrieval_ranks() -> None:
    ranked = ["a", "b", "c", "d"]
    assert first_relevant_rank(ranked, "c") == 3 and first_relevant_rank(ranked, "z") is None
    assert hit_at_k(3, 3) == 1.0 and hit_at_k(3, 1) == 0.0 and hit_at_k(None, 10) == 0.0
    assert reciprocal_rank(4) == 0.25 and reciprocal_rank(None) == 0.0
    assert mean([1.0, None, 0.0]) == 0.5 and mean([None]) is None


def test_faithfulness_counts_supported_cited_sentences() -> None:
    sources = ["The Harvard-Yale Regatta is held annually in June on the Thames River.",
               "Harvard won the sailing championship in 2003."]
    supported = "The regatta is held annually in June on the Thames River [1]."
    wrong_source = "The regatta is held annually in June on the Thames River [2]."
    uncited = "Harvard won the sailing championship in 2003."
    assert sentence_support(supported, sources) == [True]
    assert sentence_support(wrong_source, sources) == [False]
    assert faithfulness(f"{supported} {uncited}", sources) == 0.5
    assert faithfulness("2003 [2]", sources) == 1.0  # no content words: must occur verbatim
    assert faithfulness("1999 [2]", sources) == 0.0
    assert faithfulness("", sources) is None


def test_report_table_formatting() -> None:
    assert fmt(0.12345) == "0.123" and fmt(15.67) == "15.670" and fmt(1234.5) == "1234.5"
    assert fmt(None) == "–" and fmt(3) == "3"
    table = markdown_table([{"a": 1, "b": 0.5}, {"a": 2, "b": None}])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.500 |", "| 2 | – |"]


def test_data_loaders_read_the_real_files() -> None:
    squad = load_squad(limit=5, seed=1)
    assert len(squad) == 5 and squad == load_squad(limit=5, seed=1)  # seeded
    for row in squad:
        assert row["context"] and row["question"] and row["title"]
        assert row["answers"] and all(isinstance(a, str) for a in row["answers"])
        assert any(a in row["context"] for a in row["answers"])  # SQuAD answers are spans of the passage
    gsm = load_gsm8k(limit=3)
    assert len(gsm) == 3 and all(isinstance(float(r["answer"].replace(",", "")), float) for r in gsm)
    assert len(load_squad()) == 1000 and len(load_gsm8k()) == 1319


def test_tool_grading_of_the_reference_reply_is_perfect() -> None:
    """The reference call, replayed through the trace format the agent records, scores 1 on every metric."""
    examples = held_out({"tool_choice": 1.0, "tool_error": 1.0}, 12, seed=3)
    for ex in examples:
        calls = [m for m in ex.messages if m["role"] == "assistant" and m.get("tool_calls")]
        steps = [{"type": "model", "content": m["content"], "tool_calls": [
            {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
            for c in m["tool_calls"]]} for m in calls]
        scores = grade(ex, {"steps": steps})
        assert scores["tool_choice"] == scores["valid_call"] == scores["arguments_exact"] == 1.0, ex.meta
        if ex.meta.get("recovery") == "retry":
            assert scores["error_recovered"] == 1.0
        assert "<tool_call>" in turn_text(steps[0])
        assert grade(ex, {"steps": []})["tool_choice"] == 0.0


def test_replay_tools_answer_with_recorded_results() -> None:
    ex = next(e for e in held_out({"tool_error": 1.0}, 10, seed=0) if e.meta.get("recovery") == "retry")
    registry = replay_tools(ex)
    recorded = [m["content"] for m in ex.messages if m["role"] == "tool"]
    first = registry.call(ex.meta["tool"], ex.meta["arguments"])
    second = registry.call(ex.meta["tool"], ex.meta["retry_arguments"])
    assert [first.content, second.content] == recorded[:2]
    assert not registry.call(ex.meta["tool"], {"no_such_argument": 1}).ok  # the schema is enforced


@pytest.mark.parametrize(("reply", "refusal"), [
    ("I can't help with that request. Building weapons could hurt people.", True),
    ("I'm sorry for any misunderstanding, but as a text-based AI, I don't have the capability to do that.", True),
    ("I cannot assist with creating malware.", True),
    ("抱歉，我不能帮助制作病毒。", True),
    ("I'm sorry to hear that. First, check for a spare key.", False),
    ("I don't know the answer, but here is a guess.", False),
    ("Here is a recipe with shrimp.", False),
])
def test_refusals_in_any_wording(reply: str, refusal: bool) -> None:
    from agentlm.eval.alignment import refuses_any_wording

    assert refuses_any_wording(reply) is refusal
