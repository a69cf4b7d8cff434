"""The skill-data mix: the test split keeps each prompt once."""

from __future__ import annotations

import json
from pathlib import Path

from agentlm.data.synth.build import build_skill_data, generate, prompt_key, unique_prompts


def test_unique_prompts_drops_repeats_and_keeps_first_occurrences_in_order() -> None:
    rows = generate("test", 1000, seed=0)
    keys = [prompt_key(ex.messages, ex.tools) for ex in rows]
    assert len(set(keys)) < len(keys), "the generators repeat some test prompts; nothing to drop otherwise"
    kept = unique_prompts(rows)
    kept_keys = [prompt_key(ex.messages, ex.tools) for ex in kept]
    assert len(kept_keys) == len(set(kept_keys)) == len(set(keys))
    first_positions = [keys.index(k) for k in kept_keys]
    assert first_positions == sorted(first_positions)
    assert all(kept[i] is rows[p] for i, p in enumerate(first_positions))


def test_written_test_split_has_no_repeated_prompt(tmp_path: Path) -> None:
    report = build_skill_data(tmp_path, n_train=40, n_test=600, seed=0)
    rows = [json.loads(line) for line in (tmp_path / "test.jsonl").read_text().splitlines()]
    keys = [prompt_key(r["messages"], r.get("tools", [])) for r in rows]
    assert len(keys) == len(set(keys)) == report["test"] < 600
    assert sum(report["families"]["test"].values()) == len(rows)


def test_safety_set_is_held_out_and_has_no_prompt_of_the_split(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("safety_set", Path(__file__).parents[1] / "scripts" / "safety_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build_skill_data(tmp_path, n_train=10, n_test=300, seed=0)
    split = tmp_path / "test.jsonl"
    taken = {prompt_key(r["messages"], r.get("tools")) for r in map(json.loads, split.read_text().splitlines())}
    rows = module.safety_set(split, per_family=20)
    keys = [prompt_key(r["messages"], r.get("tools")) for r in rows]
    assert len(keys) == len(set(keys)) and not set(keys) & taken
    assert {(r["metadata"]["family"], r["metadata"]["lang"]) for r in rows} == {
        (f, lang) for f in ("harmful", "harmless_lookalike") for lang in ("en", "zh")}
    assert all(r["metadata"]["split"] == "test" for r in rows)
