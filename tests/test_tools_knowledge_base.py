"""The search_knowledge_base tool with a small real index object (the duck-typed interface of
agentlm.retrieval: `search(query, k)` returning hits with doc, chunk, text and score)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from agentlm_tools.knowledge_base import SearchKnowledgeBase

from agentlm.plugins import ToolRegistry, discover_tools


@dataclass
class Hit:
    doc: str
    chunk: int
    score: float
    text: str


class WordIndex:
    """Ranks chunks by the number of query words they contain (a tiny bag-of-words index)."""

    def __init__(self, docs: dict[str, list[str]]) -> None:
        self.chunks = [(doc, i, text) for doc, texts in docs.items() for i, text in enumerate(texts)]
        self.queries: list[tuple[str, int]] = []

    def search(self, query: str, k: int = 5) -> list[Hit]:
        self.queries.append((query, k))
        words = set(re.findall(r"\w+", query.lower()))
        scored = [Hit(doc, i, float(len(words & set(re.findall(r"\w+", text.lower())))), text)
                  for doc, i, text in self.chunks]
        return sorted((h for h in scored if h.score > 0), key=lambda h: -h.score)[:k]


DOCS = {"rivers.md": ["The Nile is the longest river in Africa.", "The Amazon carries the most water of any river."],
        "cities.md": ["Paris is the capital of France.", "The river Seine flows through Paris."],
        "misc.txt": [f"Note {i} about the river." for i in range(10)]}


def test_search_returns_numbered_passages_in_rank_order() -> None:
    index = WordIndex(DOCS)
    registry = discover_tools(entry_points=False)
    registry.setup({"index": index})
    result = registry.call("search_knowledge_base", {"query": "Which river flows through Paris?"})
    assert result.ok, result.error
    passages = json.loads(result.content)
    assert [p["id"] for p in passages] == [1, 2, 3, 4, 5] and index.queries == [
        ("Which river flows through Paris?", 5)]
    assert passages[0] == {"id": 1, "text": "The river Seine flows through Paris.", "source": "cities.md",
                           "chunk": 1}
    hits = index.search("Which river flows through Paris?", 5)
    assert [(p["text"], p["source"], p["chunk"]) for p in passages] == [(h.text, h.doc, h.chunk) for h in hits]


def test_without_an_index() -> None:
    registry = ToolRegistry([SearchKnowledgeBase()])
    result = registry.call("search_knowledge_base", {"query": "river"})
    assert not result.ok and result.content == (
        '{"error":"no knowledge base is open: pass an index to the agent (--index NAME)"}')
    registry.setup({"index": WordIndex(DOCS)})
    assert registry.call("search_knowledge_base", {"query": "river"}).ok
    registry.setup({})  # a later agent without an index
    assert "no knowledge base is open" in registry.call("search_knowledge_base", {"query": "river"}).error


def test_no_match_empty_query_and_k() -> None:
    tool = SearchKnowledgeBase(WordIndex(DOCS), k=2)
    registry = ToolRegistry([tool])
    result = registry.call("search_knowledge_base", {"query": "quantum chromodynamics"})
    assert result.content == '{"error":"no documents matched the query"}'  # as in the training data
    assert registry.call("search_knowledge_base", {"query": " "}).error == "query is empty: say what to look for"
    assert len(json.loads(registry.call("search_knowledge_base", {"query": "river"}).content)) == 2


def test_dict_hits_work_too() -> None:
    class DictIndex:
        def search(self, query: str, k: int = 5) -> list[dict]:
            return [{"doc": "a.md", "chunk": 0, "score": 1.0, "text": "alpha"}]

    assert SearchKnowledgeBase(DictIndex())("alpha") == [{"id": 1, "text": "alpha", "source": "a.md", "chunk": 0}]


def test_passages_are_clipped_to_the_agents_budget() -> None:
    index = WordIndex({"long.md": ["river " * 200, "river bank " * 50]})
    tool = SearchKnowledgeBase()
    tool.setup({"index": index, "top_k": 2, "source_chars": 300})
    passages = tool("river")
    assert len(passages) == 2 and all(len(p["text"]) <= 152 and p["text"].endswith(" …") for p in passages)


def test_with_the_real_retrieval_index(tmp_path: Path) -> None:
    """End to end with agentlm.retrieval (FAISS + BM25; loads the small local embedding model, ~8 s)."""
    from agentlm.retrieval import open_index

    index = open_index(tmp_path / "kb", create=True)
    index.add_texts(["The Nile is the longest river in Africa.",
                     "Paris is the capital of France. The Seine flows through Paris."], source="notes.md")
    registry = discover_tools(entry_points=False)
    registry.setup({"index": index})
    passages = json.loads(registry.call("search_knowledge_base", {"query": "Which river flows through Paris?"}).content)
    assert [p["id"] for p in passages] == list(range(1, len(passages) + 1)) and passages[0]["source"] == "notes.md"
    assert "Seine" in passages[0]["text"]
