"""Evaluation: the held-out skill suite (`skills`) and the capacity suites (`suites`: lm, generation, qa,
reasoning, tools, rag, alignment), their metrics, reports and the side-by-side comparison of models (`compare`).
See docs/evaluation.md."""
