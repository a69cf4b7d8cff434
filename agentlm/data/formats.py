"""Training-data formats: detect them, convert between them, read and write JSONL.

One JSON object a line, in one of four formats:

- ``chat`` (OpenAI chat, SFT): ``{"messages": [...], "tools"?: [...], "metadata"?: {...}}``
- ``prompt_completion``: ``{"prompt": ..., "completion": ...}``, each a string or, in TRL's conversational
  form, a list of messages (the completion holds the assistant turn)
- ``preference`` (TRL, for DPO / reward models): ``{"prompt": ..., "chosen": ..., "rejected": ...}``, each
  a string or a list of messages; the conversational form may carry ``tools``
- ``openai_dpo`` (OpenAI's DPO format): ``{"input": {"messages": [...], "tools"?: [...]},
  "preferred_output": [assistant message], "non_preferred_output": [assistant message]}``

Converters keep ``tools`` and ``metadata``. ``chat_to_prompt_completion`` followed by
``prompt_completion_to_chat`` gives back the original row when its last message is the assistant's, and
``openai_dpo_to_preference`` / ``preference_to_openai_dpo`` are inverses on conversational rows.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

FORMATS = ("chat", "prompt_completion", "preference", "openai_dpo")

Row = dict[str, Any]


def detect_format(row: Any) -> str | None:
    """The format of one row (one of `FORMATS`), or None if it matches none."""
    if not isinstance(row, dict):
        return None
    if "messages" in row:
        return "chat"
    if "input" in row and ("preferred_output" in row or "non_preferred_output" in row):
        return "openai_dpo"
    if "chosen" in row or "rejected" in row:
        return "preference"
    if "prompt" in row and "completion" in row:
        return "prompt_completion"
    return None


def detect_file_format(path: str | Path, sample: int = 1000) -> str | None:
    """The most common format among the first `sample` JSON objects of a JSONL file (None if none match)."""
    counts: Counter[str] = Counter()
    seen = 0
    for _, row in read_jsonl(path):
        if isinstance(row, dict):
            seen += 1
            if (fmt := detect_format(row)) is not None:
                counts[fmt] += 1
            if seen >= sample:
                break
    return counts.most_common(1)[0][0] if counts else None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Row | Exception]]:
    """Yield `(line_number, row)` for each non-blank line (numbered from 1).

    A line that is not valid UTF-8 or JSON yields the exception instead of a row; a line holding JSON that
    is not an object yields a `TypeError`. Reading never stops early, so a checker sees every line.
    """
    with Path(path).open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                yield line_no, e
                continue
            except (RecursionError, ValueError) as e:  # nesting too deep, an integer over Python's digit limit
                yield line_no, json.JSONDecodeError(f"{type(e).__name__}: {e}", "", 0)
                continue
            if isinstance(row, dict):
                yield line_no, row
            else:
                yield line_no, TypeError(f"expected a JSON object, got {type(row).__name__}")


def write_jsonl(path: str | Path, rows: Iterable[Row]) -> int:
    """Write rows as JSONL atomically (a temporary file in the same folder, then `os.replace`); return the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


# ----------------------------------------------------------------------------------------------- converters


def _as_messages(value: Any, role: str) -> list[dict[str, Any]]:
    """A message list as is; a string as one message of `role`."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if isinstance(value, list):
        return value
    raise ValueError(f"expected a string or a list of messages, got {type(value).__name__}")


def _extras(row: Row, tools: Any = None) -> Row:
    """The `tools` and `metadata` fields that travel with a row through a conversion."""
    out: Row = {}
    if tools:
        out["tools"] = tools
    if "metadata" in row:
        out["metadata"] = row["metadata"]
    return out


def openai_dpo_to_preference(row: Row) -> Row:
    """OpenAI DPO row -> TRL conversational preference row (prompt = input messages; tools kept)."""
    inp = row["input"]
    return {"prompt": list(inp["messages"]), "chosen": list(row["preferred_output"]),
            "rejected": list(row["non_preferred_output"]), **_extras(row, inp.get("tools"))}


def preference_to_openai_dpo(row: Row) -> Row:
    """TRL preference row (strings or messages) -> OpenAI DPO row; a string prompt becomes one user message."""
    inp: Row = {"messages": _as_messages(row["prompt"], "user")}
    if row.get("tools"):
        inp["tools"] = row["tools"]
    out: Row = {"input": inp, "preferred_output": _as_messages(row["chosen"], "assistant"),
                "non_preferred_output": _as_messages(row["rejected"], "assistant")}
    if "metadata" in row:
        out["metadata"] = row["metadata"]
    return out


def prompt_completion_to_chat(row: Row) -> Row:
    """Prompt-completion row -> chat row: the prompt as user turn(s), the completion as assistant turn(s)."""
    messages = _as_messages(row["prompt"], "user") + _as_messages(row["completion"], "assistant")
    return {"messages": messages, **_extras(row, row.get("tools"))}


def chat_to_prompt_completion(row: Row) -> Row:
    """Chat row -> TRL conversational prompt-completion row.

    The prompt is every message before the last assistant message; the completion is that message alone.
    Messages after it (nothing for the model to learn) are dropped.
    """
    messages = row["messages"]
    last = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
               default=None)
    if last is None:
        raise ValueError("a chat row without an assistant message has no completion")
    return {"prompt": list(messages[:last]), "completion": [messages[last]], **_extras(row, row.get("tools"))}


CONVERTERS: dict[tuple[str, str], Callable[[Row], Row]] = {
    ("openai_dpo", "preference"): openai_dpo_to_preference,
    ("preference", "openai_dpo"): preference_to_openai_dpo,
    ("prompt_completion", "chat"): prompt_completion_to_chat,
    ("chat", "prompt_completion"): chat_to_prompt_completion,
}


def convert(row: Row, to: str) -> Row:
    """Convert a row to format `to` (a no-op if it is already in it); `ValueError` if there is no converter."""
    src = detect_format(row)
    if src == to:
        return row
    if (src, to) not in CONVERTERS:
        raise ValueError(f"no converter from {src!r} to {to!r}; available: {sorted(CONVERTERS)}")
    return CONVERTERS[(src, to)](row)
