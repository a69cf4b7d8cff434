"""Reliability: malformed chat, preference and tool-call training data. Many generated broken files go to the
validator (`validate_file`) and to training's refusal (`run_sft` / `run_dpo` / `run_reward` call `ensure_valid`
before loading anything): nothing may crash, every broken line must be reported at its line number, and no good
line may be flagged."""

from __future__ import annotations

import copy
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_reliability import record, scale

from agentlm.data.formats import preference_to_openai_dpo
from agentlm.data.synth.build import generate, preference_pairs
from agentlm.data.validate import validate_file

Row = dict[str, Any]
Mutator = Callable[[Row, random.Random], Any]  # a broken row (JSON value or raw bytes), or None: not applicable
WORDS = ["narrator", "bot", "USER", "Assistant", "moderator", "", "tool_result", "函数"]


def _messages(row: Row) -> list[list[Any]]:
    """The message lists of a row, whatever its format."""
    lists = [row.get(k) for k in ("messages", "prompt", "chosen", "rejected", "preferred_output",
                                  "non_preferred_output")]
    if isinstance(row.get("input"), dict):
        lists.append(row["input"].get("messages"))
    return [x for x in lists if isinstance(x, list) and x]


def _pick(row: Row, rng: random.Random, role: str | None = None, not_role: str | None = None) -> dict | None:
    found = [m for msgs in _messages(row) for m in msgs if isinstance(m, dict)
             and (role is None or m.get("role") == role) and (not_role is None or m.get("role") != not_role)]
    return rng.choice(found) if found else None


def _set(row: Row, rng: random.Random, key: str, values: list[Any], **where: str) -> Row | None:
    m = _pick(row, rng, **where)
    if m is None:
        return None
    m[key] = rng.choice(values)
    return row


def _bad_call(row: Row, rng: random.Random) -> Row | None:
    m = _pick(row, rng, role="assistant")
    if m is None:
        return None
    good = {"id": "call_x", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1"}'}}
    broken = copy.deepcopy(good)
    how = rng.randrange(8)
    if how == 0:
        broken = rng.choice(["calculator(1)", 3, None, ["calculator"]])
    elif how == 1:
        del broken["function"]
    elif how == 2:
        del broken["function"]["name"]
    elif how == 3:
        broken["function"]["name"] = rng.choice(["", 7, None])
    elif how == 4:
        broken["function"]["arguments"] = rng.choice([{"expression": "1"}, 3, None, ["1"]])
    elif how == 5:
        broken["function"]["arguments"] = rng.choice(['{"expression": ', "{expression: 1}", "calc 1", '{"a": 1}}'])
    elif how == 6:
        broken["function"]["arguments"] = rng.choice(['["1"]', '"1"', "1", "null"])
    else:
        broken["type"] = rng.choice(["code", "tool", ""])
    m["tool_calls"] = [good, broken] if rng.random() < 0.5 else [broken]
    return row


def _drop_assistants(row: Row, rng: random.Random) -> Row | None:
    if "messages" not in row:
        return None
    row["messages"] = [m for m in row["messages"] if m.get("role") not in ("assistant", "tool")]
    return row


def _only_assistant_breaks(row: Row, rng: random.Random) -> Row | None:
    key = next((k for k in ("chosen", "rejected", "preferred_output", "non_preferred_output") if k in row), None)
    if key is None:
        return None
    row[key] = rng.choice([[{"role": "user", "content": "x"}], [], 3, [{"role": "assistant"}]])
    return row


def _identical(row: Row, rng: random.Random) -> Row | None:
    for a, b in (("chosen", "rejected"), ("preferred_output", "non_preferred_output")):
        if a in row:
            row[b] = copy.deepcopy(row[a])
            return row
    return None


def _drop_field(row: Row, rng: random.Random) -> Row | None:
    keys = [k for k in ("messages", "prompt", "chosen", "rejected", "input", "preferred_output",
                        "non_preferred_output") if k in row]
    del row[rng.choice(keys)]
    return row


def _field_type(row: Row, rng: random.Random) -> Row | None:
    keys = [k for k in ("messages", "chosen", "rejected", "input", "preferred_output", "non_preferred_output")
            if k in row]
    row[rng.choice(keys)] = rng.choice([None, 3, "text" * (rng.random() < 0.5), {"role": "user"}])
    return row


def _message_not_object(row: Row, rng: random.Random) -> Row | None:
    lists = _messages(row)
    msgs = rng.choice(lists)
    msgs[rng.randrange(len(msgs))] = rng.choice(["hi", 3, None, ["user", "hi"], True])
    return row


def _drop_role(row: Row, rng: random.Random) -> Row | None:
    m = _pick(row, rng)
    m.pop("role", None)
    return row


def _orphan_tool(row: Row, rng: random.Random) -> Row | None:
    msgs = rng.choice(_messages(row))
    msgs.insert(0, {"role": "tool", "tool_call_id": "call_0", "content": "42"})
    return row


def _bad_tools(row: Row, rng: random.Random) -> Row | None:
    target = row["input"] if isinstance(row.get("input"), dict) else row
    target["tools"] = rng.choice(["calculator", 3, [3], [{"type": "function"}], [{"function": {"name": ""}}],
                                  [{"function": {"name": "f", "parameters": "x"}}]])
    return row


def _format_mismatch(row: Row, rng: random.Random) -> Any:
    return rng.choice([{"prompt": "2 + 3 =", "completion": " 5"}, {}, {"text": "hello"}, {"metadata": {}}])


STRUCTURE: dict[str, Mutator] = {
    "drop_field": _drop_field,
    "field_type": _field_type,
    "message_not_object": _message_not_object,
    "drop_role": _drop_role,
    "unknown_role": lambda r, g: _set(r, g, "role", WORDS + [None, 7, 2.5, False]),
    "content_type": lambda r, g: _set(r, g, "content", [3, 2.5, True, {"text": "hi"}]),
    "null_content": lambda r, g: _set(r, g, "content", [None], not_role="assistant"),
    "unknown_message_key": lambda r, g: _set(r, g, g.choice(["mood", "Role", "toolCalls", "text"]), ["x"]),
    "bad_weight": lambda r, g: _set(r, g, "weight", [2, -1, 0.5, "1", True, None], role="assistant"),
    "weight_off_assistant": lambda r, g: _set(r, g, "weight", [0, 1], not_role="assistant"),
    "tool_calls_off_assistant": lambda r, g: _set(r, g, "tool_calls", [[{"type": "function", "function": {
        "name": "calculator", "arguments": "{}"}}]], role="user"),
    "tool_calls_not_list": lambda r, g: _set(r, g, "tool_calls", ["calculator", {"name": "x"}, 3], role="assistant"),
    "bad_call": _bad_call,
    "orphan_tool": _orphan_tool,
    "no_assistant": _drop_assistants,
    "only_assistant_outputs": _only_assistant_breaks,
    "identical_pair": _identical,
    "bad_tools": _bad_tools,
    "format_mismatch": _format_mismatch,
}


def _text_level(kind: str, line: str, rng: random.Random) -> bytes:
    """A broken line made from the JSON text of a good row."""
    data = line.encode("utf-8")
    if kind == "truncated":
        return data[:rng.randrange(1, len(data) - 1)]
    if kind == "invalid_utf8":
        at = rng.randrange(1, len(data))
        return data[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80"]) + data[at:]
    if kind == "control_char":
        at = line.index('": "') + len('": "')  # inside the first string value
        return (line[:at] + rng.choice(["\x01", "\x1b[31m", "\t", "\x00"]) + line[at:]).encode("utf-8")
    if kind == "trailing_garbage":
        return data + rng.choice([b" x", b"}", b",", b" {}", b"\x00"])
    if kind == "not_an_object":
        return rng.choice([b"[1, 2, 3]", b"42", b'"a string"', b"null", b"true",
                           json.dumps([json.loads(line)]).encode()])
    if kind == "single_quotes":
        return line.replace('"', "'").encode("utf-8")
    raise ValueError(kind)


TEXT_LEVEL = ("truncated", "invalid_utf8", "control_char", "trailing_garbage", "not_an_object", "single_quotes")
# Inputs the validator used to crash on (RecursionError, the int digit limit, an unhashable role); now each is a
# line-numbered error. Kept out of the fuzz below and checked one by one in test_former_validator_crashes.
KNOWN_CRASHES = {
    "deep_nesting": b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "huge_integer": b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", '
                    b'"weight": ' + b"9" * 5000 + b"}]}",
    "unhashable_role": b'{"messages": [{"role": ["user"], "content": "hi"}, {"role": "assistant", "content": "ok"}]}',
}


@pytest.fixture(scope="module")
def good_rows() -> dict[str, list[Row]]:
    """Valid rows of each format from the skill-data generators (tool calls included)."""
    examples = generate("train", 120, seed=11)
    chat = [e.to_json() for e in examples]
    pairs = preference_pairs(examples, seed=11)
    rows = {"chat": chat, "preference": pairs, "openai_dpo": [preference_to_openai_dpo(p) for p in pairs]}
    for fmt, found in rows.items():  # the generated rows are valid to start with
        assert found, fmt
    return rows


def _broken_file(path: Path, fmt: str, good: list[Row], rng: random.Random) -> tuple[set[int], Counter]:
    """Write 8 good rows with 1-4 broken ones in between; return the broken line numbers and mutations used."""
    lines: list[bytes] = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in rng.sample(good, 8)]
    broken: set[int] = set()
    used: Counter = Counter()
    for _ in range(rng.randint(1, 4)):
        source = rng.choice(good)
        if rng.random() < 0.35:
            kind = rng.choice(TEXT_LEVEL)
            line = _text_level(kind, json.dumps(source, ensure_ascii=False), rng)
        else:
            kind, value = "", None
            while value is None:
                kind = rng.choice(list(STRUCTURE))
                value = STRUCTURE[kind](copy.deepcopy(source), rng)
            line = json.dumps(value, ensure_ascii=False).encode("utf-8")
        at = rng.randrange(len(lines) + 1)
        lines.insert(at, line)
        broken = {b + 1 if b > at else b for b in broken} | {at + 1}  # 1-based numbers after the insert
        used[kind] += 1
    path.write_bytes(b"\n".join(lines) + b"\n")
    return broken, used


def test_broken_training_files_are_rejected_at_their_lines(good_rows: dict[str, list[Row]], tmp_path: Path) -> None:
    from agentlm.runtime.models import DEFAULT_MODEL_DIR

    start = time.perf_counter()
    rng = random.Random(2024)
    n_files = scale(300, 1000)
    crashes, missed, false_alarms, lines_tried = [], [], [], 0
    mutations: Counter = Counter()
    for i in range(n_files):
        fmt = ("chat", "preference", "openai_dpo")[i % 3]
        path = tmp_path / f"{fmt}-{i}.jsonl"
        broken, used = _broken_file(path, fmt, good_rows[fmt], rng)
        mutations.update(used)
        lines_tried += len(broken)
        tokenizer = str(DEFAULT_MODEL_DIR) if i % 10 == 0 else None  # token statistics on a tenth of the files
        try:
            report = validate_file(path, tokenizer=tokenizer)
        except Exception as err:
            crashes.append(f"{path.name}: {type(err).__name__}: {err}")
            continue
        flagged = {line for line, _, _ in report.errors}
        if missed_here := broken - flagged:
            missed.append(f"{path.name}: lines {sorted(missed_here)} not reported ({dict(used)})")
        if extra := flagged - broken:
            false_alarms.append(f"{path.name}: good lines {sorted(extra)} flagged: {report.errors}")
        assert report.format == fmt and report.stats["n_invalid_rows"] == len(flagged)
    record("malformed training data → validator", inputs=lines_tried, failures=len(crashes) + len(missed),
           data_lost=0, seconds=time.perf_counter() - start, files=n_files, crashes=len(crashes),
           broken_lines_missed=len(missed), good_lines_flagged=len(false_alarms), mutations=dict(mutations),
           known_crash_inputs_excluded=sorted(KNOWN_CRASHES))
    assert not crashes, crashes[:5]
    assert not missed, missed[:5]
    assert not false_alarms, false_alarms[:5]


def test_training_refuses_broken_files_before_loading_anything(good_rows: dict[str, list[Row]],
                                                                tmp_path: Path) -> None:
    from agentlm.runtime.models import DEFAULT_MODEL_DIR
    from agentlm.train.dpo import DPOStageConfig, run_dpo
    from agentlm.train.reward import RewardStageConfig, run_reward
    from agentlm.train.sft import SFTStageConfig, run_sft

    start = time.perf_counter()
    rng = random.Random(7)
    stages = {"sft": ("chat", lambda f, o: run_sft(SFTStageConfig(model=DEFAULT_MODEL_DIR, train_file=f, out_dir=o))),
              "dpo": ("preference", lambda f, o: run_dpo(DPOStageConfig(model=DEFAULT_MODEL_DIR, train_file=f,
                                                                        out_dir=o))),
              "reward": ("openai_dpo", lambda f, o: run_reward(RewardStageConfig(model=DEFAULT_MODEL_DIR,
                                                                                 train_file=f, out_dir=o)))}
    tried, failures = 0, []
    for stage, (fmt, train) in stages.items():
        for i in range(scale(4, 12)):
            path, out = tmp_path / f"{stage}-{i}.jsonl", tmp_path / f"{stage}-{i}-out"
            broken, _ = _broken_file(path, fmt, good_rows[fmt], rng)
            tried += 1
            try:
                train(path, out)
                failures.append(f"{stage} trained on {path.name}")
            except ValueError as err:
                if f"line {min(broken)}:" not in str(err) or "refusing to train" not in str(err):
                    failures.append(f"{stage}: {str(err)[:200]}")
            except Exception as err:
                failures.append(f"{stage} crashed: {type(err).__name__}: {err}")
            if out.exists():
                failures.append(f"{stage} wrote {out.name}")
    record("malformed training data → training refusal", inputs=tried, failures=len(failures), data_lost=0,
           seconds=time.perf_counter() - start, stages=sorted(stages))
    assert not failures, failures[:5]


@pytest.mark.parametrize("name", sorted(KNOWN_CRASHES))
def test_former_validator_crashes(name: str, tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    good = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]}'
    path.write_bytes(good + b"\n" + KNOWN_CRASHES[name] + b"\n")
    report = validate_file(path)
    assert [line for line, _, _ in report.errors] == [2]
