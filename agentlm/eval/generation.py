"""Generation: BLEU and ROUGE of the model's replies against reference replies.

The prompts and references are fresh held-out examples of our free-text skill families (small talk, style
instructions, identity, reflection, worked maths), English and Chinese, answered through the agent with the
`direct` strategy and the example's system prompt. The references are in the style our model was trained
on, which favours it over a peer: read the peer's numbers as overlap with our house style.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from agentlm.eval.datasets import first_user, held_out
from agentlm.eval.metrics import bleu, rouge
from agentlm.eval.models import EvalModel, ask

MIX = {"smalltalk": 1.0, "style": 1.0, "identity": 1.0, "reflection": 1.0, "math_cot": 1.0}


def evaluate_generation(model: EvalModel, limit: int = 20, seed: int = 0, max_tokens: int = 128,
                        **_: Any) -> dict[str, Any]:
    """BLEU (sacrebleu; Chinese with its `zh` tokenizer) and ROUGE-1/2/L F1 per language, 0-100."""
    examples = held_out(MIX, limit, seed)
    agent = model.agent(max_tokens=max_tokens, tools=None)
    started = time.perf_counter()
    items = []
    for ex in examples:
        system, user = first_user(ex)
        result = ask(agent, user, strategy="direct", system_prompt=system)
        reference = next(m["content"] for m in ex.messages if m["role"] == "assistant")
        items.append({"family": ex.family, "lang": ex.lang, "prompt": user, "reference": reference,
                      "prediction": result["answer"], "seconds": result["seconds"], "error": result.get("error")})
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_lang[item["lang"]].append(item)
    rows = [_row(lang, group) for lang, group in sorted(by_lang.items())]
    rows.append(_row("all", items))
    metrics = {k: rows[-1][k] for k in ("bleu", "rouge1", "rouge2", "rougeL")}
    metrics.update({f"bleu_{r['lang']}": r["bleu"] for r in rows[:-1]})
    return {"suite": "generation", "title": "Generation (BLEU, ROUGE)", "model": model.name, "spec": model.spec,
            "data": f"{len(items)} held-out skill prompts (test split, seed {seed}; families "
                    f"{', '.join(MIX)}), replies capped at {max_tokens} tokens; scores 0-100.",
            "metrics": metrics, "rows": rows, "items": items,
            "notes": ["The 'all' BLEU uses sacrebleu's zh tokenizer (Chinese characters split, the rest as 13a)."],
            "chart": {"type": "bar", "labels": ["BLEU", "ROUGE-1", "ROUGE-2", "ROUGE-L"], "ylabel": "score (0-100)",
                      "series": {r["lang"]: [r["bleu"], r["rouge1"], r["rouge2"], r["rougeL"]] for r in rows},
                      "title": f"Generation: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}


def _row(lang: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    hyps, refs = [i["prediction"] for i in items], [i["reference"] for i in items]
    scores = rouge(hyps, refs)
    return {"lang": lang, "n": len(items), "bleu": bleu(hyps, refs, "en" if lang == "en" else "zh"),
            **{k: 100 * v for k, v in scores.items()}}
