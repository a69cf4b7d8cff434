"""Retrieval indexes for RAG: FAISS + SQLite (BM25) over chunked documents.

    from agentlm.retrieval import open_index
    idx = open_index("docs", create=True)
    idx.add(["README.md", "docs/"])
    for hit in idx.search("how do I train a tokenizer?", k=3):
        print(hit.doc, hit.score, hit.text[:80])

Names are imported lazily; torch and sentence-transformers load only when something is first embedded
(opening an index and BM25 search never need them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentlm.retrieval.hits import Hit
    from agentlm.retrieval.index import AddReport, Index, list_indexes, open_index, resolve_index_path

__all__ = ["AddReport", "Hit", "Index", "list_indexes", "open_index", "resolve_index_path"]


def __getattr__(name: str) -> Any:
    if name == "Hit":
        from agentlm.retrieval.hits import Hit

        return Hit
    if name in __all__:
        from agentlm.retrieval import index

        return getattr(index, name)
    raise AttributeError(f"module 'agentlm.retrieval' has no attribute {name!r}")
