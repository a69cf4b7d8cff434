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

TOOL_CALL_RE = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
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


def parse_reply(text: str) -> Reply:
    """Split generated text into reasoning, content and tool calls (valid ones and broken ones)."""
    reasoning = "\n".join(m.strip() for m in THINK_RE.findall(text))
    body = THINK_RE.sub("", text)
    reply = Reply(content=TOOL_CALL_RE.sub("", body).strip(), reasoning=reasoning)
    for raw in TOOL_CALL_RE.findall(body):
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
