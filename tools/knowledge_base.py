"""Built-in tool: search the open retrieval index (the agent passes it to `setup` as `context["index"]`).

Any object with `search(query, k=5)` returning hits with `.doc`, `.chunk`, `.text` and `.score` works, such
as the index from `agentlm.retrieval`; the tool itself imports nothing from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentlm.plugins import Tool, ToolError


class SearchKnowledgeBase(Tool):
    """Search the user's documents; one instance per agent, since it holds that agent's index."""

    name = "search_knowledge_base"
    description = "Search the user's document index"
    timeout = 30.0

    def __init__(self, index: Any = None, k: int = 5, max_chars: int | None = None) -> None:
        self.index = index
        self.k = k
        self.max_chars = max_chars  # passage text returned in total; small models read short contexts

    def setup(self, context: Mapping[str, Any]) -> None:
        self.index = context.get("index")
        self.k = int(context.get("top_k") or self.k)
        self.max_chars = context.get("source_chars", self.max_chars)

    def run(self, query: str) -> list[dict[str, Any]]:
        """Return the best passages as [{"id": 1, "text": "...", "source": "doc", "chunk": 3}, ...], best first.

        Args:
            query: What to look for
        """
        if self.index is None:
            raise ToolError("no knowledge base is open: pass an index to the agent (--index NAME)")
        if not query.strip():
            raise ToolError("query is empty: say what to look for")
        hits = self.index.search(query, k=self.k)
        share = self.max_chars // max(1, len(hits)) if self.max_chars else None
        passages = [{"id": i, "text": _clip(" ".join(str(_field(hit, "text")).split()), share),
                     "source": str(_field(hit, "doc")), "chunk": _field(hit, "chunk")} for i, hit in enumerate(hits, 1)]
        if not passages:
            raise ToolError("no documents matched the query")
        return passages


def _clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _field(hit: Any, name: str) -> Any:
    return hit[name] if isinstance(hit, Mapping) else getattr(hit, name)
