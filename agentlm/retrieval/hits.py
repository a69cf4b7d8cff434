"""Search results and how ranked lists are fused (reciprocal rank fusion)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

RRF_K = 60  # the constant of Cormack et al. (2009)


@dataclass
class Hit:
    """One retrieved chunk; answers cite it as [n] with n its 1-based rank."""

    doc: str  # source path (or the name given to add_texts)
    chunk: int  # chunk id, unique within the index
    score: float  # cosine (dense), BM25 (bm25) or fused RRF score (hybrid): higher is better
    text: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)  # source, title, section, position, start, end, ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Rerank = Callable[[str, list[Hit]], list[Hit]]


def reciprocal_rank_fusion(rankings: list[list[tuple[int, float]]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse ranked lists of (id, score) into one list by the sum of 1 / (k + rank)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking, 1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])
