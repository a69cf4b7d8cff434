"""Retrieval-grounded answering: search the open indexes, show the passages as [n], answer with citations.

Each source in the trace carries its number, so an [n] in the answer maps to one chunk of one document.
When the model writes no citation, sentences well supported by a passage are cited after the fact
(the step records them under `attributed`).
"""

from __future__ import annotations

import re
import time
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from agentlm.data.synth.base import NOT_IN_SOURCES
from agentlm.runtime.prompts import GROUNDED_SYSTEM, numbered_sources
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import call_model, prompt, text_of

_CITE_RE = re.compile(r"\[(\d+)\]")
_SENTENCE_RE = re.compile(r".+?(?:[.!?](?=\s|$)|[。！？\n]|$)", re.DOTALL)
_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]+")
SUPPORT_THRESHOLD = 0.6  # share of a sentence's words that must appear in a passage to cite it
MIN_WORDS = 4  # shorter fragments (a code fence, "Yes.") are never attributed


def _words(text: str) -> set[str]:
    """Content words (3+ letters) and single Chinese characters, casefolded."""
    out = set()
    for w in _WORD_RE.findall(text.casefold()):
        out |= set(w) if "\u4e00" <= w[0] <= "\u9fff" else ({w} if len(w) > 2 else set())
    return out


def attribute(answer: str, passages: list[str]) -> tuple[str, list[int]]:
    """Cite uncited answer sentences with the passage that supports them best (post-hoc attribution).

    A sentence of MIN_WORDS or more content words gets `[n]` when at least SUPPORT_THRESHOLD of them
    appear in passage n.
    Returns the answer with the added citations and the passage numbers added.
    """
    pieces, added = [], []
    for sentence in _SENTENCE_RE.findall(answer):
        words = _words(sentence)
        if len(words) >= MIN_WORDS and not _CITE_RE.search(sentence):
            shares = [len(words & _words(p)) / len(words) for p in passages]
            best = max(range(len(passages)), key=shares.__getitem__, default=None)
            if best is not None and shares[best] >= SUPPORT_THRESHOLD:
                stripped = sentence.rstrip()
                end = stripped[-1] if stripped and stripped[-1] in ".!?。！？" else ""
                sentence = f"{stripped[:len(stripped) - len(end)]} [{best + 1}]{end}" + sentence[len(stripped):]
                added.append(best + 1)
        pieces.append(sentence)
    return "".join(pieces), sorted(set(added))


def search_indexes(indexes: list[Any], query: str, k: int) -> list[dict[str, Any]]:
    """The k best hits over all indexes, numbered from 1, as source dicts."""
    hits = [h for index in indexes for h in index.search(query, k=k)]
    hits.sort(key=lambda h: h.score, reverse=True)
    return [{"id": i, "doc": h.doc, "chunk": h.chunk, "score": round(float(h.score), 6), "text": h.text,
             "title": getattr(h, "title", None)} for i, h in enumerate(hits[:k], 1)]


def retrieve(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    started = time.perf_counter()
    sources = search_indexes(ctx.indexes, state["question"], ctx.top_k) if ctx.indexes else []
    get_stream_writer()({"type": "sources", "sources": sources})
    return {"sources": sources, "steps": add_step(state, "retrieve", started, query=state["question"],
                                                  hits=[{"id": s["id"], "doc": s["doc"], "chunk": s["chunk"],
                                                         "score": s["score"]} for s in sources])}


def fit_passages(texts: list[str], budget: int) -> list[str]:
    """Trim passages so together they fit `budget` characters, the best-ranked keeping the most."""
    out, left = [], budget
    for i, text in enumerate(texts):
        share = max(80, left // (len(texts) - i))
        clipped = text if len(text) <= share else text[:share].rsplit(" ", 1)[0] + " …"
        out.append(clipped)
        left = max(0, left - len(clipped))
    return out


def grounded_answer(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    sources = state.get("sources", [])
    if not ctx.indexes:
        return {"answer": "No index is open: give the agent an index (--index NAME) to answer from documents.",
                "steps": add_step(state, "grounded", note="no index")}
    if not sources:
        return {"answer": NOT_IN_SOURCES[state["lang"]], "steps": add_step(state, "grounded", note="no hits")}
    passages = fit_passages([s["text"] for s in sources], ctx.source_chars)
    system = GROUNDED_SYSTEM[state["lang"]].format(sources=numbered_sources(passages))
    reply, update = call_model(ctx, state, prompt(state, ctx, system), "grounded")
    answer = text_of(reply).strip()
    if answer and not _CITE_RE.search(answer):  # the model did not cite: attribute sentences to passages
        answer, added = attribute(answer, [src["text"] for src in sources])
        update["steps"][-1]["attributed"] = added
    cited = sorted({int(n) for n in _CITE_RE.findall(answer) if 1 <= int(n) <= len(sources)})
    update["steps"][-1]["citations"] = {str(n): {"doc": sources[n - 1]["doc"], "chunk": sources[n - 1]["chunk"]}
                                        for n in cited}
    return {**update, "answer": answer}
