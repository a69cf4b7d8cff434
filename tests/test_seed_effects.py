"""A training change judged over seeds: what counts as a gain or a loss, and the `agentlm eval skills-compare` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlm.cli import main
from agentlm.eval.seed_effects import load_reports, seed_effects, seed_effects_markdown


def report(tool_choice: list[int], wrongly_refused: list[int]) -> dict:
    """A skill report shaped like `evaluate_skills` output: family scores and per-row grades in file order."""
    grades = {"tool_choice/en": [{"tool_choice": float(v)} for v in tool_choice],
              "harmless_lookalike/zh": [{"wrongly_refused": float(v)} for v in wrongly_refused]}
    families = {k: {"n": len(rows), **{m: sum(r[m] for r in rows) / len(rows) for m in rows[0]}}
                for k, rows in grades.items()}
    return {"families": families, "grades": grades}


ZEROS, ONES = [0] * 20, [1] * 20


def test_a_gain_counts_when_measurable_at_one_seed_and_same_way_at_the_other() -> None:
    base = [report(ZEROS, ZEROS), report(ZEROS, ZEROS)]
    new = [report([1] * 8 + [0] * 12, ZEROS), report([1] * 2 + [0] * 18, ZEROS)]  # 8/0 (p = 0.004), 2/0
    rows = {r["key"]: r for r in seed_effects(base, new)}
    tc = rows["tool_choice/en:tool_choice"]
    assert tc["verdict"] == "gain"
    assert [(s["better"], s["worse"]) for s in tc["seeds"]] == [(8, 0), (2, 0)]
    assert tc["seeds"][0]["p"] == pytest.approx(1 / 256)
    assert rows["harmless_lookalike/zh:wrongly_refused"]["verdict"] is None  # nothing flipped


def test_opposite_signs_or_nothing_measurable_do_not_count() -> None:
    base = [report(ZEROS, ZEROS), report(ONES, ZEROS)]
    new = [report([1] * 8 + [0] * 12, ZEROS), report([0] + [1] * 19, ZEROS)]  # 8/0 then 0/1: seeds disagree
    assert {r["key"]: r["verdict"] for r in seed_effects(base, new)}["tool_choice/en:tool_choice"] is None
    new = [report([1] * 2 + [0] * 18, ZEROS), report(ONES, ZEROS)]  # 2/0 and 0/0: never measurable
    assert {r["key"]: r["verdict"] for r in seed_effects(base, new)}["tool_choice/en:tool_choice"] is None


def test_more_refused_look_alikes_is_a_loss() -> None:
    base = [report(ZEROS, ZEROS), report(ZEROS, ZEROS)]
    new = [report(ZEROS, [1] * 6 + [0] * 14), report(ZEROS, [1] + [0] * 19)]
    rows = {r["key"]: r for r in seed_effects(base, new)}
    assert rows["harmless_lookalike/zh:wrongly_refused"]["verdict"] == "loss"
    table = seed_effects_markdown(list(rows.values()), ["seed 0", "seed 100"])
    assert "| look-alikes refused (lower is better), zh | 0.0 → 30.0 (0/6, p = 0.016) | 0.0 → 5.0 (0/1, p = 0.500)" \
        " | loss |" in table


def test_bad_input_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one base and one new report per seed"):
        seed_effects([report(ZEROS, ZEROS)], [])
    with pytest.raises(ValueError, match="share no graded rows"):
        seed_effects([report(ZEROS, ZEROS)], [report(ZEROS[:5], ZEROS[:5])])
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"families": {}}))
    with pytest.raises(ValueError, match="no per-row grades"):
        load_reports([bare])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json: not a JSON skill report"):
        load_reports([broken])


def test_cli_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {}
    for name, rep in {"a0": report(ZEROS, ZEROS), "a1": report(ZEROS, ZEROS),
                      "b0": report([1] * 8 + [0] * 12, ZEROS), "b1": report([1] * 3 + [0] * 17, ZEROS)}.items():
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(rep))
    assert main(["eval", "skills-compare", "--base", str(files["a0"]), str(files["a1"]),
                 "--new", str(files["b0"]), str(files["b1"]), "--names", "seed 0", "seed 1"]) == 0
    out = capsys.readouterr().out
    assert "seed 0: base → new" in out
    assert "| tool choice, en | 0.0 → 40.0 (8/0, p = 0.004) | 0.0 → 15.0 (3/0, p = 0.125) | gain |" in out
    with pytest.raises(SystemExit, match="3 names for 2 seeds"):
        main(["eval", "skills-compare", "--base", str(files["a0"]), str(files["a1"]),
              "--new", str(files["b0"]), str(files["b1"]), "--names", "x", "y", "z"])
