"""The contract every skill-data generator follows, and the agent protocol it teaches.

A generator is a function `make(rng, split, lang) -> Example`. It must be deterministic given `rng`,
draw templates, entities and numbers only from its `split`'s share (see `split_share`) so train and test
are disjoint, and write Chinese when `lang == "zh"`.

The protocol (what the shipped model learns, what the runtime and the evaluation parse):
- a tool call is an assistant message with `tool_calls` (OpenAI shape, arguments a JSON string);
  its result comes back as a `tool` message; the chat template renders both;
- maths ends with one line `Answer: <number>` (`答案：<number>` in Chinese);
- a grounded answer is a short span followed by its citation, e.g. `Mirth [2]`;
  when the sources do not hold the answer the model says exactly `NOT_IN_SOURCES[lang]`;
- a refusal starts with `REFUSAL_PREFIX[lang]`; help for a request that only sounds alarming starts with
  `HELP_PREFIX[lang]`, so refusing or helping is one decision at the first token (see `safety`);
- structured output is one JSON object and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

SPLITS = ("train", "test")
LANGS = ("en", "zh")

ANSWER_PREFIX = {"en": "Answer: ", "zh": "答案："}
NOT_IN_SOURCES = {"en": "The sources do not contain the answer.", "zh": "资料中没有找到答案。"}
REFUSAL_PREFIX = {"en": "I can't help with that", "zh": "抱歉，我不能帮助"}
HELP_PREFIX = {"en": "Happy to help! ", "zh": "乐意帮忙！"}


@dataclass
class Example:
    """One chat example: OpenAI-style `messages`, optional `tools` (OpenAI tool schemas), and what to check.

    `family` names the skill ("math", "tool_use", "grounded_qa", ...); `meta` holds what the evaluation
    needs to grade a model's reply without re-deriving it (e.g. `answer`, `tool`, `arguments`,
    `answerable`, `harmful`, `unseen_tool`, `mode`). Everything must be JSON-serialisable.
    """

    messages: list[dict[str, Any]]
    family: str
    lang: str
    split: str
    tools: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"messages": self.messages}
        if self.tools:
            row["tools"] = self.tools
        row["metadata"] = {"family": self.family, "lang": self.lang, "split": self.split, **self.meta}
        return row


Generator = Callable[[random.Random, str, str], Example]


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's `hash` is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def split_share(items: Sequence[T], split: str, test_every: int = 4) -> list[T]:
    """The items a split may use: every `test_every`-th item (by stable hash) is test-only, the rest train-only."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    test = [x for x in items if stable_hash(repr(x)) % test_every == 0]
    train = [x for x in items if stable_hash(repr(x)) % test_every != 0]
    return test if split == "test" else train


@functools.cache
def _cached_share(items: tuple, split: str) -> tuple:
    return tuple(split_share(items, split))


def pick(rng: random.Random, items: Sequence[T], split: str) -> T:
    """A random item from `split`'s share of `items` (the share is computed once per list)."""
    return rng.choice(_cached_share(tuple(items), split))


def lower_first(text: str) -> str:
    """Lower-case the first letter, to embed a sentence mid-sentence ("I ..." stays as it is)."""
    return text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]


def number_in_split(n: int, split: str) -> bool:
    """Numbers are split too: a number whose stable hash is divisible by 5 belongs to test."""
    return (stable_hash(str(n)) % 5 == 0) == (split == "test")


def rand_number(rng: random.Random, lo: int, hi: int, split: str) -> int:
    """A random integer in [lo, hi] that belongs to `split`."""
    while True:
        n = rng.randint(lo, hi)
        if number_in_split(n, split):
            return n


def tool_schema(name: str, description: str, properties: dict[str, dict[str, Any]],
                required: Sequence[str] | None = None) -> dict[str, Any]:
    """An OpenAI tool schema (`{"type": "function", "function": {...}}`)."""
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties,
                       "required": list(required if required is not None else properties)}}}


def tool_call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    """An OpenAI assistant tool call with JSON-string arguments."""
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}


def call_id(rng: random.Random) -> str:
    return "call_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
