"""The capacity suites by name, and running one to its JSON / Markdown / PNG report.

    from agentlm.eval.suites import run_suite
    from agentlm.eval.models import load_eval_model

    result = run_suite("qa", load_eval_model("agentlm-small"), out_dir="runs/eval/agentlm-small", limit=20)
    print(result["metrics"])          # {"exact_match": ..., "f1": ..., ...}; files qa.json, qa.md, qa.png

Options a suite does not take are ignored, so one set of options can drive every suite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentlm.eval.alignment import evaluate_alignment
from agentlm.eval.generation import evaluate_generation
from agentlm.eval.lm import evaluate_lm
from agentlm.eval.models import EvalModel
from agentlm.eval.qa import evaluate_qa
from agentlm.eval.rag import evaluate_rag
from agentlm.eval.reasoning import evaluate_reasoning
from agentlm.eval.report import write_report
from agentlm.eval.tool_use import evaluate_tools

SUITES: dict[str, Callable[..., dict[str, Any]]] = {
    "lm": evaluate_lm,
    "generation": evaluate_generation,
    "qa": evaluate_qa,
    "reasoning": evaluate_reasoning,
    "tools": evaluate_tools,
    "rag": evaluate_rag,
    "alignment": evaluate_alignment,
}
HELP = {
    "lm": "perplexity and bits per byte on held-out corpus text, English and Chinese",
    "generation": "BLEU and ROUGE of replies against held-out reference replies",
    "qa": "SQuAD exact match and F1, the passage in the prompt",
    "reasoning": "GSM8K and held-out maths: direct, CoT, self-consistency 1-20 paths, CoT+calculator, plan-execute",
    "tools": "tool choice, argument exact match, unseen tools, error recovery",
    "rag": "retrieval hit@k and MRR, answer EM/F1, faithfulness, unanswerable questions over a SQuAD index",
    "alignment": "harmful requests refused, harmless look-alikes answered",
}


def run_suite(name: str, model: EvalModel, out_dir: str | Path | None = None, **options: Any) -> dict[str, Any]:
    """Run one suite; with `out_dir`, write NAME.json, NAME.md and NAME.png there (paths under "files")."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
    result = SUITES[name](model, **{k: v for k, v in options.items() if v is not None})
    if out_dir is not None:
        result["files"] = {k: str(p) for k, p in write_report(result, out_dir).items()}
    return result
