"""Choosing among the listed tools by meaning: the retrieval embedder ranks them against the user's request.

A small model reads a tool listing poorly: the shipped model names the right one of 2-4 listed tools in about
half of the held-out requests, even under the tool grammar. all-MiniLM-L6-v2 (the retrieval embedder) matching
the request against each tool's name and description picks it in 99% of the English ones (docs/posttrain.md,
session 25). So with `select_tools=k` the grammar of a reply to a user's message allows calls to the k tools
that match the request best; the model still decides whether to call at all and writes the arguments. After a
tool result every listed tool is allowed again, so a request that needs several tools gets them one by one.

    select_tools("Will it rain in Oslo tomorrow?", [calculator, weather, clock], k=1)  # -> [weather]
"""

from __future__ import annotations

from typing import Any

import numpy as np


def tool_text(tool: dict[str, Any]) -> str:
    """What a tool is matched on: its name as words and its description (OpenAI tool schema or a bare function)."""
    function = tool.get("function", tool)
    name = str(function.get("name", "")).replace("_", " ").replace("-", " ")
    return f"{name}: {function.get('description', '')}".strip()


def rank_tools(request: str, tools: list[dict[str, Any]], embedder: Any = None) -> list[tuple[float, dict]]:
    """The tools with their cosine similarity to `request`, best first (ties keep the listing's order)."""
    if not tools:
        return []
    if embedder is None:
        from agentlm.retrieval.embeddings import load_embedder

        embedder = load_embedder()
    vectors = np.asarray(embedder.encode([request, *map(tool_text, tools)]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores = vectors[1:] @ vectors[0]
    order = sorted(range(len(tools)), key=lambda i: -scores[i])
    return [(float(scores[i]), tools[i]) for i in order]


def select_tools(request: str | None, tools: list[dict[str, Any]], k: int, embedder: Any = None
                 ) -> list[dict[str, Any]]:
    """The `k` tools that match `request` best, in the listing's order; all of them when there is no request
    (the reply follows a tool result), `k` is 0 or no more tools are listed than `k`."""
    if k < 0:
        raise ValueError(f"select_tools must be 0 (off) or a number of tools, got {k}")
    if not request or not k or len(tools) <= k:
        return tools
    chosen = {id(tool) for _, tool in rank_tools(request, tools, embedder)[:k]}
    return [tool for tool in tools if id(tool) in chosen]


def pending_request(messages: list[dict[str, Any]]) -> str | None:
    """The user's message the next reply answers, or None when the last message is not the user's."""
    if not messages or messages[-1].get("role") != "user":
        return None
    content = messages[-1].get("content")
    if isinstance(content, list):  # OpenAI content parts
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return str(content or "") or None
