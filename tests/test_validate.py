"""Training-data formats and the `agentlm data validate` checker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlm.cli import main
from agentlm.data.formats import (
    chat_to_prompt_completion,
    convert,
    detect_file_format,
    detect_format,
    openai_dpo_to_preference,
    preference_to_openai_dpo,
    prompt_completion_to_chat,
    read_jsonl,
    write_jsonl,
)
from agentlm.data.validate import auto_epochs, ensure_valid, report_markdown, validate_file

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def call(arguments: str = '{"city": "Oslo"}', name: str | None = "get_weather") -> dict:
    fn = {"arguments": arguments} if name is None else {"name": name, "arguments": arguments}
    return {"id": "call_1", "type": "function", "function": fn}


def chat(user: str = "What is 2 + 3?", answer: str = "Answer: 5") -> dict:
    return {"messages": [{"role": "system", "content": "You are a careful assistant."},
                         {"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


TOOL_CHAT = {"messages": [
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": None, "tool_calls": [call()]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 4}'},
    {"role": "assistant", "content": "It is 4 °C in Oslo.", "weight": 1}], "tools": TOOLS,
    "metadata": {"family": "tool_use"}}

DPO = {"input": {"messages": [{"role": "user", "content": "Weather in Oslo?"}], "tools": TOOLS},
       "preferred_output": [{"role": "assistant", "content": None, "tool_calls": [call()]}],
       "non_preferred_output": [{"role": "assistant", "content": "It is sunny."}]}

# One line per kind of error: (JSON line or raw text, the error code it must produce).
BROKEN: list[tuple[object, str | None]] = [
    (chat(), None),
    ("{not json", "malformed_json"),
    ([1, 2, 3], "data_type"),
    ({"msgs": []}, "missing_messages_list"),
    ({"messages": [{"role": "user", "content": "hi", "mood": "happy"},
                   {"role": "assistant", "content": "hello"}]}, "message_unrecognized_key"),
    ({"messages": [{"role": "narrator", "content": "Once"}, {"role": "assistant", "content": "ok"}]},
     "unrecognized_role"),
    ({"messages": [{"content": "no role"}, {"role": "assistant", "content": "ok"}]}, "message_missing_key"),
    ({"messages": [{"role": "user", "content": None}, {"role": "assistant", "content": "ok"}]},
     "missing_content"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant"}]}, "missing_content"),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": None, "tool_calls": [call("{city: Oslo")]}]},
     "bad_tool_call"),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": None, "tool_calls": [call('["Oslo"]')]}]}, "bad_tool_call"),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": None, "tool_calls": [call(name=None)]}]}, "bad_tool_call"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"},
                   {"role": "assistant", "content": "ok"}]}, "orphan_tool_message"),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]},
     "example_missing_assistant_message"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", "weight": 2}]},
     "bad_weight"),
    ({"prompt": "2 + 3 =", "completion": " 5"}, "format_mismatch"),
    (TOOL_CHAT, None),
]


def write_lines(path: Path, lines: list[object], blank_after: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i, line in enumerate(lines, start=1):
            f.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
            if i == blank_after:
                f.write("\n")
    return path


def errors_by_line(report) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for line, code, _ in report.errors:
        out.setdefault(line, set()).add(code)
    return out


# ------------------------------------------------------------------------------------------------ validation


def test_broken_file_reports_each_error_at_its_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "broken.jsonl", [row for row, _ in BROKEN], blank_after=3)
    report = validate_file(path)
    # a blank line after line 3 is skipped but still counted, so later rows sit one line further down
    expected = {(i if i <= 3 else i + 1): {code} for i, (_, code) in enumerate(BROKEN, start=1) if code}
    assert errors_by_line(report) == expected
    assert not report.ok and report.format == "chat"
    assert report.stats["n_examples"] == 2 and report.stats["n_rows"] == len(BROKEN)
    md = report_markdown(report)
    assert "**invalid**" in md and "| 3 | data_type |" in md and "Skipped: no tokenizer given" in md
    with pytest.raises(ValueError, match=r"line 2: malformed_json"):
        ensure_valid(path)


def test_good_file_passes(tmp_path: Path) -> None:
    rows = [chat(f"What is {i} + 3?", f"Answer: {i + 3}") for i in range(5)] + [TOOL_CHAT]
    rows.append({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})
    path = tmp_path / "good.jsonl"
    write_jsonl(path, rows)
    report = ensure_valid(path)
    assert report.ok and report.errors == [] and report.warnings == []
    s = report.stats
    assert (s["n_examples"], s["n_missing_system"], s["n_missing_user"], s["n_with_tools"]) == (7, 2, 0, 1)
    assert s["messages_per_example"]["max"] == 4 and s["n_epochs"] == auto_epochs(7) == 14
    assert "**valid**" in report_markdown(report)


def test_tool_call_warnings(tmp_path: Path) -> None:
    row = json.loads(json.dumps(TOOL_CHAT))
    row["messages"][1]["tool_calls"][0]["function"]["name"] = "get_time"  # not in tools
    row["messages"][2]["tool_call_id"] = "call_9"
    report = validate_file(write_lines(tmp_path / "w.jsonl", [row]))
    assert report.ok
    assert {code for _, code, _ in report.warnings} == {"unknown_tool", "tool_call_id_mismatch"}

    # parallel calls answered out of order, by id: fine; a call left without a result: a warning
    second = {**call('{"city": "Lima"}'), "id": "call_2"}
    parallel = {"messages": [
        {"role": "user", "content": "Oslo and Lima?"},
        {"role": "assistant", "content": None, "tool_calls": [call(), second]},
        {"role": "tool", "tool_call_id": "call_2", "content": "20"},
        {"role": "tool", "tool_call_id": "call_1", "content": "4"},
        {"role": "assistant", "content": "4 and 20 °C."}], "tools": TOOLS}
    unanswered = {**parallel, "messages": parallel["messages"][:3] + parallel["messages"][4:]}
    report = validate_file(write_lines(tmp_path / "p.jsonl", [parallel, unanswered]))
    assert report.ok and [(line, code) for line, code, _ in report.warnings] == [(2, "unanswered_tool_call")]


def test_preference_checks(tmp_path: Path) -> None:
    good = {"prompt": [{"role": "user", "content": "2 + 3?"}], "chosen": [{"role": "assistant", "content": "5"}],
            "rejected": [{"role": "assistant", "content": "6"}]}
    rows = [
        good,
        {**good, "rejected": good["chosen"]},
        {**good, "chosen": [{"role": "user", "content": "5"}]},
        {"prompt": "2 + 3?", "chosen": "", "rejected": "6"},
        {"prompt": "2 + 3?", "chosen": "5"},
        {"prompt": "2 + 3?", "chosen": "5", "rejected": [{"role": "assistant", "content": "6"}]},
        {"prompt": "2 + 3?", "chosen": " 5", "rejected": " 6"},
    ]
    report = validate_file(write_lines(tmp_path / "pref.jsonl", rows))
    assert report.format == "preference"
    assert errors_by_line(report) == {2: {"identical_pair"}, 3: {"bad_role"}, 4: {"empty_field"},
                                      5: {"missing_field"}, 6: {"mixed_types"}}
    assert report.stats["n_examples"] == 2


def test_openai_dpo_checks(tmp_path: Path) -> None:
    bad = {**DPO, "non_preferred_output": DPO["preferred_output"]}
    no_input = {"input": {"messages": []}, "preferred_output": [{"role": "assistant", "content": "a"}],
                "non_preferred_output": [{"role": "assistant", "content": "b"}]}
    report = validate_file(write_lines(tmp_path / "dpo.jsonl", [DPO, bad, no_input]))
    assert report.format == "openai_dpo"
    assert errors_by_line(report) == {2: {"identical_pair"}, 3: {"missing_messages_list"}}
    # the same file read as another format: every row is a mismatch
    assert errors_by_line(validate_file(tmp_path / "dpo.jsonl", fmt="chat"))[1] == {"format_mismatch"}


def test_empty_file_is_invalid(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    report = validate_file(tmp_path / "empty.jsonl")
    assert not report.ok and report.errors[0][1] == "empty_file"


@pytest.mark.parametrize(("n_train", "epochs"), [
    (0, 0), (1, 25), (4, 25), (5, 20), (10, 10), (33, 3), (34, 3), (50, 3), (8333, 3), (8334, 2),
    (10000, 2), (12500, 2), (12501, 1), (30000, 1)])
def test_auto_epochs_rule(n_train: int, epochs: int) -> None:
    assert auto_epochs(n_train) == epochs


# ------------------------------------------------------------------------------------------------ token stats


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from agentlm.model.tokenizer import train_tokenizer

    words = ["weather", "city", "answer", "assistant", "Oslo", "Lima", "sunny", "rain", "what", "is", "the"]
    texts = [f"{words[i % 11]} {words[(i * 7) % 11]} {i} + {i * 3} = {i * 4}." for i in range(300)]
    return train_tokenizer(texts, vocab_size=400)


def rendered_length(tok, messages: list[dict], tools: list | None = None) -> int:
    return len(tok.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=True)["input_ids"])


def test_token_stats_and_context_limit(tmp_path: Path, tiny_tokenizer) -> None:
    rows = [chat("Hi?", "Yes."), chat("What is the weather in Oslo today? " * 4, "Rain, as usual. " * 6), TOOL_CHAT]
    path = tmp_path / "tok.jsonl"
    write_jsonl(path, rows)
    lengths = [rendered_length(tiny_tokenizer, r["messages"], r.get("tools")) for r in rows]
    limit = sorted(lengths)[1] - 1  # two examples are over it
    report = validate_file(path, tokenizer=tiny_tokenizer, context_limit=limit, tokens_per_second=100)
    s = report.stats
    assert report.ok
    for key in ("tokens_total", "tokens_assistant"):
        assert set(s[key]) == {"min", "max", "mean", "median", "p5", "p95"}
    assert (s["tokens_total"]["min"], s["tokens_total"]["max"]) == (min(lengths), max(lengths))
    assert 0 < s["tokens_assistant"]["max"] < s["tokens_total"]["max"]
    assert s["n_over_context"] == 2 and s["context_limit"] == limit
    assert [code for _, code, _ in report.warnings] == ["over_context"]
    assert s["n_epochs"] == auto_epochs(3) == 25
    assert s["billed_tokens"] == sum(min(limit, n) for n in lengths) * 25
    assert s["est_train_seconds"] == pytest.approx(s["billed_tokens"] / 100, abs=0.1)
    md = report_markdown(report)
    assert "| all |" in md and "estimated training time" in md

    # without a context limit, the tokenizer's model_max_length (1024) applies: nothing is over it
    assert validate_file(path, tokenizer=tiny_tokenizer).stats["n_over_context"] == 0


def test_preference_tokens_count_both_sequences(tmp_path: Path, tiny_tokenizer) -> None:
    row = openai_dpo_to_preference(DPO)
    path = tmp_path / "pref.jsonl"
    write_jsonl(path, [row])
    report = validate_file(path, tokenizer=tiny_tokenizer, context_limit=10_000)
    chosen = rendered_length(tiny_tokenizer, row["prompt"] + row["chosen"], TOOLS)
    rejected = rendered_length(tiny_tokenizer, row["prompt"] + row["rejected"], TOOLS)
    assert report.stats["tokens_total"]["max"] == max(chosen, rejected)
    assert report.stats["billed_tokens"] == (chosen + rejected) * auto_epochs(1)


# ----------------------------------------------------------------------------------------------------- formats


def test_detect_format(tmp_path: Path) -> None:
    pref = openai_dpo_to_preference(DPO)
    assert detect_format(TOOL_CHAT) == "chat"
    assert detect_format({"prompt": "a", "completion": "b"}) == "prompt_completion"
    assert detect_format(pref) == "preference"
    assert detect_format({"prompt": "a", "chosen": "b", "rejected": "c"}) == "preference"
    assert detect_format(DPO) == "openai_dpo"
    assert detect_format({"text": "plain"}) is None and detect_format([1]) is None
    write_jsonl(tmp_path / "d.jsonl", [DPO, DPO, chat()])
    assert detect_file_format(tmp_path / "d.jsonl") == "openai_dpo"


def test_converters_round_trip() -> None:
    pref = openai_dpo_to_preference(DPO)
    assert pref["prompt"] == DPO["input"]["messages"] and pref["tools"] == TOOLS
    assert pref["chosen"] == DPO["preferred_output"] and pref["rejected"] == DPO["non_preferred_output"]
    assert preference_to_openai_dpo(pref) == DPO
    assert convert(DPO, "preference") == pref and convert(pref, "openai_dpo") == DPO

    pc = chat_to_prompt_completion(TOOL_CHAT)
    assert pc["prompt"] == TOOL_CHAT["messages"][:3] and pc["completion"] == TOOL_CHAT["messages"][3:]
    assert pc["tools"] == TOOLS and pc["metadata"] == TOOL_CHAT["metadata"]
    assert prompt_completion_to_chat(pc) == TOOL_CHAT
    assert prompt_completion_to_chat({"prompt": "2 + 3?", "completion": "5"}) == {"messages": [
        {"role": "user", "content": "2 + 3?"}, {"role": "assistant", "content": "5"}]}
    assert preference_to_openai_dpo({"prompt": "q", "chosen": "a", "rejected": "b"})["input"] == {
        "messages": [{"role": "user", "content": "q"}]}
    with pytest.raises(ValueError):
        chat_to_prompt_completion({"messages": [{"role": "user", "content": "hi"}]})
    with pytest.raises(ValueError):
        convert(TOOL_CHAT, "preference")


def test_converted_files_validate(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "pref.jsonl", [openai_dpo_to_preference(DPO)])
    write_jsonl(tmp_path / "pc.jsonl", [chat_to_prompt_completion(TOOL_CHAT), {"prompt": "2+3=", "completion": "5"}])
    assert validate_file(tmp_path / "pref.jsonl").ok
    report = validate_file(tmp_path / "pc.jsonl")
    assert report.ok and report.format == "prompt_completion"


def test_read_and_write_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "rows.jsonl"
    assert write_jsonl(path, [{"a": 1}, {"b": "中文"}]) == 2
    assert write_jsonl(path, [{"c": 3}]) == 1  # replaces the file
    assert [row for _, row in read_jsonl(path)] == [{"c": 3}]
    assert sorted(p.name for p in path.parent.iterdir()) == ["rows.jsonl"]  # no temporary file left
    path.write_bytes(b'{"a": 1}\n\n\xff\xfe\n"str"\n')
    got = list(read_jsonl(path))
    assert [n for n, _ in got] == [1, 3, 4]
    assert got[0][1] == {"a": 1} and isinstance(got[1][1], UnicodeDecodeError) and isinstance(got[2][1], TypeError)


# --------------------------------------------------------------------------------------------------------- CLI


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_lines(tmp_path / "good.jsonl", [chat(), TOOL_CHAT])
    bad = write_lines(tmp_path / "bad.jsonl", [chat(), "{oops"])
    assert main(["data", "validate", str(good)]) == 0
    assert "# Training data check" in capsys.readouterr().out
    assert main(["data", "validate", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["errors"][0]["line"] == 2 and out["errors"][0]["code"] == "malformed_json"


def test_cli_takes_the_context_limit_from_the_model_directory(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """With --tokenizer a model directory, examples longer than the model's context (512 tokens for the
    shipped model, whose tokenizer alone says 1024) are reported as over it."""
    model = Path(__file__).resolve().parents[1] / "models" / "agentlm-small"
    context = json.loads((model / "config.json").read_text())["max_position_embeddings"]
    path = write_lines(tmp_path / "long.jsonl", [chat("Tell me about the weather. " * 120, "Rain."), chat()])
    assert main(["data", "validate", str(path), "--tokenizer", str(model), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)["stats"]
    assert stats["context_limit"] == context
    assert stats["n_over_context"] == 1 and stats["tokens_total"]["max"] > context
