"""Check a training-data JSONL file before training, as OpenAI's fine-tuning data-preparation guide does.

    report = validate_file("data/sft.jsonl", tokenizer=tok)   # or ensure_valid(...) to raise on bad data
    print(report_markdown(report))

Structure checks (every problem carries its line number): malformed JSON, a line that is not an object,
a missing `messages` list, unknown message keys, unknown roles, missing content (only an assistant message
with tool calls may have none), malformed tool calls (a function name, arguments a JSON string that
decodes to an object), tool results that follow no tool call, examples without an assistant message; for
preference data, the prompt / chosen / rejected structure. Statistics: examples without a system or user
message, messages per example, and (given a tokenizer) tokens per example rendered through its chat
template, examples over the context limit, the automatic epoch count, billed tokens and an estimate of
the training time on this machine.

A preference example is two sequences (prompt + chosen, prompt + rejected): its token count is the longer
one (what must fit in the context), and both are counted as billed tokens.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentlm.data.formats import FORMATS, detect_format, openai_dpo_to_preference, read_jsonl

MESSAGE_KEYS = {"role", "content", "name", "tool_calls", "tool_call_id", "function_call", "weight",
                "reasoning_content", "refusal"}
ROLES = {"system", "user", "assistant", "tool", "function"}
ROW_KEYS = {
    "chat": {"messages", "tools", "metadata", "parallel_tool_calls", "functions"},
    "prompt_completion": {"prompt", "completion", "tools", "metadata"},
    "preference": {"prompt", "chosen", "rejected", "tools", "metadata"},
    "openai_dpo": {"input", "preferred_output", "non_preferred_output", "metadata"},
}

# OpenAI's automatic epoch rule (fine-tuning data-preparation cookbook).
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

# Training throughput assumed for the time estimate, in tokens/s. 2,000 is the order of the small / base
# presets' measured pretraining throughput on a 2-core CPU (docs/results.md: 3,899 and 1,672 tokens/s);
# pass a measured SFT figure (`tokens_per_second=` or `--tokens-per-second`) for a better estimate.
DEFAULT_TOKENS_PER_SECOND = 2000.0

Issue = tuple[int, str, str]  # (line number, code, message); line 0 is the whole file


@dataclass
class Report:
    """What `validate_file` found: `errors` make the file unusable, `warnings` deserve a look."""

    path: str
    format: str | None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        def rows(issues: list[Issue]) -> list[dict[str, Any]]:
            return [{"line": line, "code": code, "message": msg} for line, code, msg in issues]

        return {"path": self.path, "format": self.format, "ok": self.ok, "errors": rows(self.errors),
                "warnings": rows(self.warnings), "stats": self.stats}


def auto_epochs(n_train: int) -> int:
    """The epoch count OpenAI picks for `n_train` examples (3, more for small sets, fewer for large ones)."""
    if n_train <= 0:
        return 0
    n_epochs = TARGET_EPOCHS
    if n_train * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        n_epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_train)
    elif n_train * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        n_epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_train)
    return n_epochs


# ------------------------------------------------------------------------------------------ structure checks


class _Problems:
    """Errors and warnings of one row, as (code, message)."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def error(self, code: str, message: str) -> None:
        self.errors.append((code, message))

    def warn(self, code: str, message: str) -> None:
        self.warnings.append((code, message))


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        return any(_has_text(part if isinstance(part, str) else part.get("text"))
                   for part in content if isinstance(part, str | dict))
    return False


def _check_tools(tools: Any, p: _Problems, where: str) -> set[str] | None:
    """Check a `tools` list; return the function names it declares (None when there is no list)."""
    if tools is None:
        return None
    if not isinstance(tools, list):
        p.error("bad_tools", f"`{where}` must be a list of tool schemas")
        return None
    names: set[str] = set()
    for i, tool in enumerate(tools):
        fn = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            p.error("bad_tools", f"`{where}[{i}]` has no function name")
            continue
        if "parameters" in fn and not isinstance(fn["parameters"], dict):
            p.error("bad_tools", f"`{where}[{i}]` ({fn['name']}): `parameters` must be a JSON schema object")
        names.add(fn["name"])
    return names


def _check_function(fn: Any, at: str, p: _Problems, tool_names: set[str] | None) -> None:
    """Check one called function: a name, and arguments that are a JSON string encoding an object."""
    if not isinstance(fn, dict):
        p.error("bad_tool_call", f"{at} has no `function` object")
        return
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        p.error("bad_tool_call", f"{at} has no function name")
    elif tool_names is not None and name not in tool_names:
        p.warn("unknown_tool", f"{at} calls {name!r}, which is not in the example's tools")
    args = fn.get("arguments")
    if not isinstance(args, str):
        p.error("bad_tool_call", f"{at}: `arguments` must be a JSON string, got {type(args).__name__}")
        return
    try:
        decoded = json.loads(args)
    except json.JSONDecodeError as e:
        p.error("bad_tool_call", f"{at}: `arguments` is not valid JSON ({e.msg})")
        return
    if not isinstance(decoded, dict):
        p.error("bad_tool_call", f"{at}: `arguments` must encode a JSON object, got {type(decoded).__name__}")


def _check_tool_calls(m: dict[str, Any], at: str, p: _Problems, tool_names: set[str] | None) -> list[Any]:
    """Check a message's `tool_calls` and legacy `function_call`; return the call ids (None for a missing id)."""
    ids: list[Any] = []
    calls = m.get("tool_calls")
    if calls is not None:
        if m.get("role") != "assistant":
            p.error("bad_tool_call", f"{at}: only assistant messages may have `tool_calls`")
        elif not isinstance(calls, list):
            p.error("bad_tool_call", f"{at}: `tool_calls` must be a list")
        else:
            for j, call in enumerate(calls):
                where = f"{at}.tool_calls[{j}]"
                if not isinstance(call, dict):
                    p.error("bad_tool_call", f"{where} is not an object")
                    continue
                if call.get("type", "function") != "function":
                    p.error("bad_tool_call", f"{where}: `type` must be 'function'")
                _check_function(call.get("function"), where, p, tool_names)
                ids.append(call.get("id"))
    if m.get("function_call") is not None:
        if m.get("role") != "assistant":
            p.error("bad_tool_call", f"{at}: only assistant messages may have `function_call`")
        else:
            _check_function(m["function_call"], f"{at}.function_call", p, tool_names)
            ids.append(None)
    return ids


def _check_messages(messages: Any, p: _Problems, where: str, tool_names: set[str] | None, *,
                    require_assistant: bool, only_assistant: bool = False) -> None:
    """Check a list of OpenAI chat messages."""
    if not isinstance(messages, list) or not messages:
        p.error("missing_messages_list", f"`{where}` must be a non-empty list of messages")
        return
    pending: list[Any] = []  # ids of the tool calls still waiting for their result
    has_assistant = False
    for i, m in enumerate(messages):
        at = f"{where}[{i}]"
        if not isinstance(m, dict):
            p.error("message_missing_key", f"{at} is not an object")
            continue
        if unknown := sorted(set(m) - MESSAGE_KEYS):
            p.error("message_unrecognized_key", f"{at} has unknown key(s) {unknown}")
        if "role" not in m:
            p.error("message_missing_key", f"{at} has no `role`")
            continue
        role = m["role"]
        if not isinstance(role, str):
            p.error("unrecognized_role", f"{at} has a role of type {type(role).__name__}; expected a string")
            continue
        if role not in ROLES:
            p.error("unrecognized_role", f"{at} has role {role!r}; expected one of {sorted(ROLES)}")
            continue
        if only_assistant and role != "assistant":
            p.error("bad_role", f"{at} has role {role!r}; `{where}` must hold assistant messages only")
        has_assistant |= role == "assistant"

        ids = _check_tool_calls(m, at, p, tool_names)
        content = m.get("content")
        if content is not None and not isinstance(content, str | list):
            p.error("missing_content", f"{at}: `content` must be a string or a list of parts, "
                                       f"got {type(content).__name__}")
        elif content is None and not (role == "assistant" and (ids or m.get("refusal"))):
            p.error("missing_content", f"{at} ({role}) has no content; only an assistant message with "
                                       "tool calls may omit it")
        elif content is not None and not _has_text(content) and not ids:
            p.warn("empty_content", f"{at} ({role}) has empty content")

        if "weight" in m and (role != "assistant" or m["weight"] not in (0, 1) or isinstance(m["weight"], bool)):
            p.error("bad_weight", f"{at}: `weight` must be 0 or 1, on assistant messages only")

        if role in ("tool", "function"):
            if not pending:
                p.error("orphan_tool_message", f"{at}: a {role} message must answer an assistant tool call "
                                               "(one result per call, right after the call)")
                continue
            call_id = m.get("tool_call_id")
            if call_id in pending:  # results may come in any order when they name their call
                pending.remove(call_id)
            else:
                if call_id is not None and any(x is not None for x in pending):
                    p.warn("tool_call_id_mismatch", f"{at}: tool_call_id {call_id!r} matches no open call "
                                                    f"({', '.join(map(repr, pending))})")
                pending.pop(0)
        else:
            if pending:
                p.warn("unanswered_tool_call", f"{at}: {len(pending)} tool call(s) before it got no result")
            pending = ids if role == "assistant" else []
    if require_assistant and not has_assistant and not only_assistant:  # only_assistant: bad_role said it
        p.error("example_missing_assistant_message", f"`{where}` has no assistant message to learn from")


def _check_text_or_messages(row: dict[str, Any], key: str, p: _Problems, tool_names: set[str] | None, *,
                            require_assistant: bool, only_assistant: bool = False) -> None:
    """Check a field that is a string or a list of messages (prompt, completion, chosen, rejected)."""
    value = row[key]
    if isinstance(value, str):
        if not value.strip():
            (p.warn if key == "prompt" else p.error)("empty_field", f"`{key}` is empty")
    elif isinstance(value, list):
        _check_messages(value, p, key, tool_names, require_assistant=require_assistant,
                        only_assistant=only_assistant)
    else:
        p.error("field_type", f"`{key}` must be a string or a list of messages, got {type(value).__name__}")


def _check_fields_present(row: dict[str, Any], keys: tuple[str, ...], p: _Problems) -> bool:
    missing = [k for k in keys if k not in row]
    for k in missing:
        p.error("missing_field", f"missing `{k}`")
    if not missing and len({isinstance(row[k], str) for k in keys}) > 1:
        p.error("mixed_types", f"{', '.join(f'`{k}`' for k in keys)} must all be strings or all message lists")
        return False
    return not missing


def _check_chat(row: dict[str, Any], p: _Problems) -> None:
    tool_names = _check_tools(row.get("tools"), p, "tools")
    _check_messages(row.get("messages"), p, "messages", tool_names, require_assistant=True)


def _check_prompt_completion(row: dict[str, Any], p: _Problems) -> None:
    tool_names = _check_tools(row.get("tools"), p, "tools")
    if _check_fields_present(row, ("prompt", "completion"), p):
        _check_text_or_messages(row, "prompt", p, tool_names, require_assistant=False)
        _check_text_or_messages(row, "completion", p, tool_names, require_assistant=True)


def _check_preference(row: dict[str, Any], p: _Problems) -> None:
    tool_names = _check_tools(row.get("tools"), p, "tools")
    if not _check_fields_present(row, ("prompt", "chosen", "rejected"), p):
        return
    _check_text_or_messages(row, "prompt", p, tool_names, require_assistant=False)
    for key in ("chosen", "rejected"):
        _check_text_or_messages(row, key, p, tool_names, require_assistant=True, only_assistant=True)
    if row["chosen"] == row["rejected"]:
        p.error("identical_pair", "`chosen` and `rejected` are identical: nothing to prefer")


def _check_openai_dpo(row: dict[str, Any], p: _Problems) -> None:
    inp = row.get("input")
    if not isinstance(inp, dict):
        p.error("missing_field", "`input` must be an object with `messages`")
        tool_names = None
    else:
        tool_names = _check_tools(inp.get("tools"), p, "input.tools")
        _check_messages(inp.get("messages"), p, "input.messages", tool_names, require_assistant=False)
    for key in ("preferred_output", "non_preferred_output"):
        if key not in row:
            p.error("missing_field", f"missing `{key}`")
            continue
        _check_messages(row[key], p, key, tool_names, require_assistant=True, only_assistant=True)
        if isinstance(row[key], list) and len(row[key]) > 1:
            p.warn("multi_message_output", f"`{key}` has {len(row[key])} messages; OpenAI expects one")
    if "preferred_output" in row and row.get("preferred_output") == row.get("non_preferred_output"):
        p.error("identical_pair", "`preferred_output` and `non_preferred_output` are identical")


CHECKERS = {"chat": _check_chat, "prompt_completion": _check_prompt_completion,
            "preference": _check_preference, "openai_dpo": _check_openai_dpo}


def check_row(row: dict[str, Any], fmt: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Errors and warnings, as (code, message), of one row of a `fmt` file."""
    p = _Problems()
    found = detect_format(row)
    if found is not None and found != fmt:
        p.error("format_mismatch", f"the row looks like {found!r} but the file is {fmt!r}")
        return p.errors, p.warnings
    if unknown := sorted(set(row) - ROW_KEYS[fmt]):
        p.warn("unknown_key", f"unknown top-level key(s) {unknown}")
    CHECKERS[fmt](row, p)
    return p.errors, p.warnings


# ------------------------------------------------------------------------------------------------ statistics


def _conversations(row: dict[str, Any], fmt: str) -> list[tuple[list[dict[str, Any]], Any]] | None:
    """The (messages, tools) sequence(s) a valid row trains on; None for plain-string rows."""
    if fmt == "chat":
        return [(row["messages"], row.get("tools"))]
    if fmt == "openai_dpo":
        row, fmt = openai_dpo_to_preference(row), "preference"
    if isinstance(row["prompt"], str):
        return None
    if fmt == "prompt_completion":
        return [(row["prompt"] + row["completion"], row.get("tools"))]
    return [(row["prompt"] + row[k], row.get("tools")) for k in ("chosen", "rejected")]


def _assistant_text(m: dict[str, Any]) -> str:
    calls = [json.dumps(c.get("function", c), ensure_ascii=False) for c in m.get("tool_calls") or []]
    content = m.get("content")
    return "\n".join([content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), *calls])


def _count_chat(tokenizer: Any, messages: list[dict[str, Any]], tools: Any) -> tuple[int, int]:
    """(all tokens, assistant tokens) of one conversation rendered through the tokenizer's chat template."""
    enc = tokenizer.apply_chat_template(messages, tools=tools or None, tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True)
    n_assistant = sum(enc.get("assistant_masks") or [])
    if n_assistant == 0:  # a template without {% generation %} blocks: count the assistant text instead
        n_assistant = sum(len(tokenizer.encode(_assistant_text(m), add_special_tokens=False))
                          for m in messages if m.get("role") == "assistant")
    return len(enc["input_ids"]), n_assistant


def _count_row(tokenizer: Any, row: dict[str, Any], fmt: str) -> tuple[list[int], int]:
    """(token count of each sequence the row trains on, assistant tokens of the first one)."""
    convs = _conversations(row, fmt)
    if convs is not None:
        counts = [_count_chat(tokenizer, messages, tools) for messages, tools in convs]
        return [n for n, _ in counts], counts[0][1]

    def n(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    prompt = n(row["prompt"])
    answers = [n(row[k]) for k in (("completion",) if fmt == "prompt_completion" else ("chosen", "rejected"))]
    return [prompt + a for a in answers], answers[0]


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile of sorted `values` (numpy's default method)."""
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def distribution(values: list[float]) -> dict[str, float]:
    """min / max / mean / median / p5 / p95 of `values` (empty dict for no values)."""
    if not values:
        return {}
    v = sorted(values)
    return {"min": v[0], "max": v[-1], "mean": round(sum(v) / len(v), 1), "median": _percentile(v, 0.5),
            "p5": round(_percentile(v, 0.05), 1), "p95": round(_percentile(v, 0.95), 1)}


def _default_context(tokenizer: Any) -> int | None:
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if isinstance(limit, int) and 0 < limit < 1_000_000 else None


def _model_context(model_dir: Path) -> int | None:
    """`max_position_embeddings` from a model directory's config.json, if there is one."""
    config = model_dir / "config.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text()).get("max_position_embeddings")


def validate_file(path: str | Path, tokenizer: Any = None, context_limit: int | None = None,
                  fmt: str | None = None, tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND) -> Report:
    """Check a JSONL training file and measure it (see the module docstring).

    `tokenizer` is a tokenizer object or a directory to load one from (None skips token statistics);
    `context_limit` defaults to the model's context when that directory holds a model, else to the
    tokenizer's `model_max_length`; `fmt` (one of `FORMATS`) defaults to
    the format of most rows; `tokens_per_second` is the training throughput the time estimate assumes.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if isinstance(tokenizer, str | Path):
        from agentlm.model.tokenizer import load_tokenizer

        if context_limit is None:  # a model directory: its context window, not the tokenizer's default
            context_limit = _model_context(Path(tokenizer))
        tokenizer = load_tokenizer(tokenizer)
    rows = list(read_jsonl(path))
    if fmt is None:
        found = Counter(f for _, row in rows if (f := detect_format(row)) is not None)
        fmt = found.most_common(1)[0][0] if found else "chat"
    report = Report(path=str(path), format=fmt)

    valid: list[tuple[int, dict[str, Any]]] = []
    for line_no, row in rows:
        if isinstance(row, TypeError):
            report.errors.append((line_no, "data_type", str(row)))
            continue
        if isinstance(row, Exception):
            report.errors.append((line_no, "malformed_json", f"not valid JSON: {row}"))
            continue
        errors, warnings = check_row(row, fmt)
        report.errors += [(line_no, code, msg) for code, msg in errors]
        report.warnings += [(line_no, code, msg) for code, msg in warnings]
        if not errors:
            valid.append((line_no, row))
    if not rows:
        report.errors.append((0, "empty_file", "the file holds no examples"))

    counted: list[tuple[int, list[int], int]] = []  # (line, sequence lengths, assistant tokens)
    if tokenizer is not None:
        for line_no, row in valid:
            try:
                lengths, n_assistant = _count_row(tokenizer, row, fmt)
            except Exception as e:  # a template that cannot render the row is an error in the row
                report.errors.append((line_no, "render_failed", f"the chat template failed: {e}"))
                continue
            counted.append((line_no, lengths, n_assistant))
        failed = {line for line, code, _ in report.errors if code == "render_failed"}
        valid = [(line, row) for line, row in valid if line not in failed]
        report.errors.sort(key=lambda issue: issue[0])

    n_epochs = auto_epochs(len(valid))
    stats: dict[str, Any] = {"format": fmt, "n_rows": len(rows), "n_examples": len(valid),
                             "n_invalid_rows": len({line for line, _, _ in report.errors if line}),
                             "n_epochs": n_epochs, "tokens_per_second": tokens_per_second}
    report.stats = stats
    convs = [c for _, row in valid if (c := _conversations(row, fmt)) is not None]
    if convs:
        first = [c[0][0] for c in convs]
        stats["n_missing_system"] = sum(not any(m["role"] == "system" for m in msgs) for msgs in first)
        stats["n_missing_user"] = sum(not any(m["role"] == "user" for m in msgs) for msgs in first)
        stats["n_with_tools"] = sum(bool(c[0][1]) for c in convs)
        stats["messages_per_example"] = distribution([len(msgs) for msgs in first])
    if tokenizer is None:
        stats["tokens_skipped"] = "no tokenizer given"
        return report

    context_limit = context_limit or _default_context(tokenizer)
    billed = sum(min(context_limit, n) if context_limit else n for _, lengths, _ in counted for n in lengths)
    over = [line for line, lengths, _ in counted if context_limit and max(lengths) > context_limit]
    if over:
        lines = ", ".join(map(str, over[:10])) + (", …" if len(over) > 10 else "")
        report.warnings.insert(0, (0, "over_context", f"{len(over)} example(s) exceed the context limit of "
                                                   f"{context_limit} tokens and will be truncated (lines {lines})"))
    stats.update(tokens_total=distribution([max(lengths) for _, lengths, _ in counted]),
                 tokens_assistant=distribution([n for _, _, n in counted]),
                 context_limit=context_limit, n_over_context=len(over), billed_tokens=billed * n_epochs,
                 est_train_seconds=round(billed * n_epochs / tokens_per_second, 1))
    return report


def ensure_valid(path: str | Path, tokenizer: Any = None, context_limit: int | None = None,
                 fmt: str | None = None, max_errors: int = 10) -> Report:
    """Validate `path` and return the report; raise `ValueError` listing the first errors if it is invalid."""
    report = validate_file(path, tokenizer=tokenizer, context_limit=context_limit, fmt=fmt)
    if report.ok:
        return report
    shown = "\n".join(f"  line {line}: {code}: {msg}" for line, code, msg in report.errors[:max_errors])
    more = f"\n  … and {len(report.errors) - max_errors} more" if len(report.errors) > max_errors else ""
    raise ValueError(f"{path}: {len(report.errors)} error(s) in the training data, refusing to train:\n"
                     f"{shown}{more}\nrun `agentlm data validate {path}` for the full report")


# ------------------------------------------------------------------------------------------------ the report


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{seconds:.0f} s" if seconds < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _issue_table(issues: list[Issue], limit: int) -> list[str]:
    out = ["| line | code | message |", "|---:|---|---|"]
    out += [f"| {line or '–'} | {code} | {_cell(msg)} |" for line, code, msg in issues[:limit]]
    if len(issues) > limit:
        out.append(f"| | | … and {len(issues) - limit} more (`--json` lists all) |")
    counts = Counter(code for _, code, _ in issues)
    out += ["", "| kind | count |", "|---|---:|", *(f"| {code} | {n} |" for code, n in counts.most_common())]
    return out


def report_markdown(report: Report, max_issues: int = 50) -> str:
    """The report as Markdown: verdict, errors, warnings, example statistics, tokens, training estimate."""
    s = report.stats
    verdict = "**valid**" if report.ok else f"**invalid**: {len(report.errors)} error(s) in " \
                                            f"{s.get('n_invalid_rows', 0)} row(s)"
    out = [f"# Training data check: `{report.path}`", "", f"Result: {verdict}", "",
           "| | |", "|---|---:|", f"| format | {report.format} |", f"| rows | {s.get('n_rows', 0):,} |",
           f"| valid examples | {s.get('n_examples', 0):,} |", f"| errors | {len(report.errors):,} |",
           f"| warnings | {len(report.warnings):,} |"]
    if report.errors:
        out += ["", "## Errors", "", *_issue_table(report.errors, max_issues)]
    if report.warnings:
        out += ["", "## Warnings", "", *_issue_table(report.warnings, max_issues)]

    if "messages_per_example" in s:
        mpe = s["messages_per_example"]
        out += ["", "## Examples (valid ones)", "", "| | |", "|---|---:|",
                f"| without a system message | {s['n_missing_system']:,} |",
                f"| without a user message | {s['n_missing_user']:,} |",
                f"| with tools | {s['n_with_tools']:,} |",
                f"| messages per example (min / median / max) | {mpe['min']} / {mpe['median']:g} / {mpe['max']} |"]

    out += ["", "## Tokens", ""]
    if "tokens_skipped" in s:
        out.append(f"Skipped: {s['tokens_skipped']} (pass `--tokenizer DIR` to count tokens through its chat "
                   "template).")
    elif s.get("tokens_total"):
        cols = ("min", "p5", "median", "mean", "p95", "max")
        out += ["| tokens per example | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        for label, key in (("all", "tokens_total"), ("assistant (trained on)", "tokens_assistant")):
            out.append(f"| {label} | " + " | ".join(f"{s[key][c]:g}" for c in cols) + " |")
        limit = s["context_limit"]
        out += ["", f"Context limit: {limit if limit else 'none'}; examples over it (truncated): "
                    f"{s['n_over_context']:,}."]
    else:
        out.append("No valid example to count.")

    out += ["", "## Training estimate", "", "| | |", "|---|---:|",
            f"| epochs (automatic rule: {TARGET_EPOCHS}, more for small sets, fewer for large) | {s['n_epochs']} |"]
    if "billed_tokens" in s:
        out += [f"| billed tokens (tokens up to the context limit × epochs) | {s['billed_tokens']:,} |",
                f"| throughput assumed | {s['tokens_per_second']:,g} tokens/s |",
                f"| estimated training time on this machine | {_duration(s['est_train_seconds'])} |"]
    else:
        out.append("| billed tokens and training time | need a tokenizer |")
    return "\n".join(out) + "\n"
