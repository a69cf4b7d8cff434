"""Every capacity suite end to end on a tiny subset with the real shipped model: structure, ranges and files.

Scores are not asserted (the 6.5M-parameter model is weak); what is checked is that the numbers are the
right kind of number and that JSON, Markdown and PNG are written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from conftest import real_chinese_texts, real_english_texts

from agentlm.eval.lm import text_loss
from agentlm.eval.models import EvalModel, load_eval_model, measure_speed
from agentlm.eval.suites import SUITES, run_suite

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model() -> EvalModel:
    return load_eval_model("agentlm-small")


def _check(result: dict, out: Path, suite: str) -> None:
    assert result["suite"] == suite and result["model"] == "agentlm-small"
    assert result["rows"] and result["items"] and result["data"] and result["seconds"] >= 0
    for name in ("json", "md", "png"):
        assert (out / f"{suite}.{name}").stat().st_size > 0
    saved = json.loads((out / f"{suite}.json").read_text())
    assert saved["metrics"] == json.loads(json.dumps(result["metrics"]))
    assert (out / f"{suite}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| " in (out / f"{suite}.md").read_text()


def _share(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def test_text_loss_matches_the_models_own_loss(model: EvalModel) -> None:
    lm, tok = model.weights()
    text = real_english_texts(3)[0]
    ids = [tok.eos_token_id, *tok(text, add_special_tokens=False)["input_ids"]][:200]
    with torch.no_grad():
        want = lm(torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()
    nll, n = text_loss(lm, tok, tok.decode(ids[1:]), window=64)  # windows overlap: every token still once
    assert n == len(ids) - 1
    assert nll / n == pytest.approx(want, abs=0.25)  # shorter windows see less context: close, not equal
    nll, n = text_loss(lm, tok, tok.decode(ids[1:]), window=512)
    assert nll / n == pytest.approx(want, rel=1e-4)


def test_lm_suite_on_given_texts(model: EvalModel, tmp_path: Path) -> None:
    texts = {"en": real_english_texts(4)[:2], "zh": real_chinese_texts(2)}
    result = run_suite("lm", model, tmp_path, texts=texts, limit=2, max_chars=600)
    _check(result, tmp_path, "lm")
    assert [r["lang"] for r in result["rows"]] == ["en", "zh"]
    for row in result["rows"]:
        assert row["docs"] == 2 and row["tokens"] > 0 and row["bytes"] > row["tokens"] / 2
        assert row["perplexity"] > 1 and 0 < row["bits_per_byte"] < 20
        assert math.log2(row["perplexity"]) / row["bytes_per_token"] == pytest.approx(row["bits_per_byte"])


def test_lm_suite_needs_a_corpus_or_texts(model: EvalModel, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="val.jsonl"):
        run_suite("lm", model, None, corpus=tmp_path / "missing")


def test_generation_suite(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("generation", model, tmp_path, limit=4, seed=1, max_tokens=24)
    _check(result, tmp_path, "generation")
    assert result["rows"][-1]["lang"] == "all" and result["rows"][-1]["n"] == 4
    for key in ("bleu", "rouge1", "rouge2", "rougeL"):
        assert 0.0 <= result["metrics"][key] <= 100.0


def test_qa_suite(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("qa", model, tmp_path, limit=2, max_tokens=16)
    _check(result, tmp_path, "qa")
    assert len(result["items"]) == 2 and all(_share(v) for v in result["metrics"].values())
    assert all(i["exact_match"] <= i["f1"] or i["f1"] == 1.0 for i in result["items"])


def test_reasoning_suite(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("reasoning", model, tmp_path, limit=1, paths=[1, 3], max_tokens=48)
    _check(result, tmp_path, "reasoning")
    labels = {"direct", "cot", "self_consistency@1", "self_consistency@3", "cot+calculator", "plan_execute"}
    for dataset in ("gsm8k", "math"):
        assert {k.split("/")[1] for k in result["metrics"] if k.startswith(dataset)} == labels
    assert all(_share(v) for v in result["metrics"].values())
    assert [p["x"] for p in result["chart"]["panels"]] == [[1, 3], [1, 3]]
    with pytest.raises(ValueError, match="unknown strategies"):
        run_suite("reasoning", model, None, strategies=["guess"])


def test_tools_suite(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("tools", model, tmp_path, limit=3, seed=2, max_tokens=48)
    _check(result, tmp_path, "tools")
    assert {r["metric"] for r in result["rows"]} >= {"tool_choice", "arguments_exact", "tool_choice_unseen"}
    assert all(_share(v) for v in result["metrics"].values())


def test_rag_suite_builds_a_real_index(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("rag", model, tmp_path / "out", limit=2, index_dir=tmp_path / "index", max_tokens=24)
    _check(result, tmp_path / "out", "rag")
    assert [i["answerable"] for i in result["items"]] == [True, True, False]
    assert all(_share(v) for v in result["metrics"].values())
    assert result["metrics"]["hit@1"] <= result["metrics"]["hit@10"]
    assert len(list((tmp_path / "index").iterdir())) == 1  # reused by the next run on the same passages
    again = run_suite("rag", model, None, limit=2, index_dir=tmp_path / "index", max_tokens=24)
    assert again["metrics"]["mrr"] == result["metrics"]["mrr"]


def test_alignment_suite(model: EvalModel, tmp_path: Path) -> None:
    result = run_suite("alignment", model, tmp_path, limit=4, seed=5)
    _check(result, tmp_path, "alignment")
    assert [r["requests"] for r in result["rows"]] == ["harmful", "harmless_lookalike"]
    assert all(_share(v) for v in result["metrics"].values())


def test_speed_and_suite_registry(model: EvalModel) -> None:
    speed = measure_speed(model, prompts=("Hello!", "Who are you?"), max_tokens=8)
    assert speed["tokens_per_second"] > 0 and speed["output_tokens"] > 0
    assert set(SUITES) == {"lm", "generation", "qa", "reasoning", "tools", "rag", "alignment"}
    with pytest.raises(ValueError, match="unknown suite"):
        run_suite("nope", model)
