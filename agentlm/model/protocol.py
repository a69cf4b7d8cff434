"""Read a model's reply in the AgentLM protocol: reasoning, text, and tool calls.

The chat template writes an assistant turn as `<think>…</think>\\n` (optional), the text, then one
`<tool_call>{"name": …, "arguments": {…}}</tool_call>` per call. `parse_reply` inverts that; a call
whose JSON is broken is kept as a `ToolCallError` so the caller can send the error back to the model
instead of crashing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOOL_CALL_OPEN, TOOL_CALL_CLOSE = "<tool_call>", "</tool_call>"
_JSON = json.JSONDecoder()
THINK_RE = re.compile(r"<think>(.*?)</think>\s*", re.DOTALL)
ANSWER_RE = re.compile(r"(?:Answer|答案)\s*[:：]\s*(.+?)\s*$", re.MULTILINE)


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass
class ToolCallError:
    raw: str
    error: str


@dataclass
class Reply:
    content: str
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    errors: list[ToolCallError] = field(default_factory=list)


def parse_tool_call(raw: str) -> ToolCall | ToolCallError:
    """One `<tool_call>` body: a JSON object with a string `name` and an object `arguments`."""
    try:
        obj = json.loads(raw.strip())
    except json.JSONDecodeError as e:
        return ToolCallError(raw, f"tool call is not valid JSON: {e.msg} at column {e.colno}")
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
        return ToolCallError(raw, 'tool call must be {"name": "...", "arguments": {...}}')
    args = obj.get("arguments", {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return ToolCallError(raw, "tool call arguments are not a JSON object")
    if not isinstance(args, dict):
        return ToolCallError(raw, "tool call arguments must be a JSON object")
    return ToolCall(obj["name"], args)


def tool_call_spans(body: str) -> list[tuple[int, int, str]]:
    """(start, end, body) of each `<tool_call>` block in `body`.

    A call whose JSON parses ends at the `</tool_call>` after that JSON, so a string argument that contains
    `</tool_call>` does not cut it short; otherwise it ends at the next `</tool_call>`, or the end of the text.
    """
    spans, pos = [], 0
    while (start := body.find(TOOL_CALL_OPEN, pos)) != -1:
        inner = start + len(TOOL_CALL_OPEN)
        end, raw = None, ""
        try:
            _, stop = _JSON.raw_decode(body, len(body) - len(body[inner:].lstrip()))
            rest = body[stop:].lstrip()
            if rest.startswith(TOOL_CALL_CLOSE) or not rest:
                end, raw = len(body) - len(rest) + (len(TOOL_CALL_CLOSE) if rest else 0), body[inner:stop]
        except json.JSONDecodeError:
            pass
        if end is None:
            close = body.find(TOOL_CALL_CLOSE, inner)
            end, raw = (len(body), body[inner:]) if close == -1 else (close + len(TOOL_CALL_CLOSE), body[inner:close])
        spans.append((start, end, raw))
        pos = end
    return spans


def parse_reply(text: str) -> Reply:
    """Split generated text into reasoning, content and tool calls (valid ones and broken ones)."""
    reasoning = "\n".join(m.strip() for m in THINK_RE.findall(text))
    body = THINK_RE.sub("", text)
    spans = tool_call_spans(body)
    bounds = [0, *[i for start, end, _ in spans for i in (start, end)], len(body)]
    content = "".join(body[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2))
    reply = Reply(content=content.strip(), reasoning=reasoning)
    for _, _, raw in spans:
        call = parse_tool_call(raw)
        (reply.tool_calls if isinstance(call, ToolCall) else reply.errors).append(call)
    return reply


def final_answer(text: str) -> str | None:
    """The value on the last `Answer:` (or `答案：`) line, if any."""
    found = ANSWER_RE.findall(text)
    return found[-1].strip() if found else None


def openai_tool_calls(calls: list[ToolCall], prefix: str = "call") -> list[dict[str, Any]]:
    """Tool calls in OpenAI's message shape (arguments as a JSON string)."""
    return [{"id": f"{prefix}_{i}", "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
            for i, c in enumerate(calls)]
