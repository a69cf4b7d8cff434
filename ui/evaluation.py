"""The evaluation tab: the held-out skill suite (`agentlm eval skills`) on a small test split made by
`agentlm.data.synth`, shown as a per-family table and a bar chart of each family's headline metric."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from agentlm.data.formats import write_jsonl
from agentlm.data.synth.build import generate
from agentlm.eval.skills import evaluate_skills
from agentlm.train.jobs import JobService

from .backend import Backend

SUITES = {"skills": "Agent skills (held-out synthetic test split: maths, tools, grounded QA, safety, …)"}


def make_test_set(out_dir: Path, n: int, seed: int) -> Path:
    """`n` held-out examples (the test split of the skill generators) as chat JSONL."""
    path = out_dir / f"skills-test-n{n}-seed{seed}.jsonl"
    if not path.is_file():
        write_jsonl(path, [e.to_json() for e in generate("test", n, seed)])
    return path


def model_choices(backend: Backend, jobs: JobService | None) -> list[tuple[str, str]]:
    """(label, model dir): the chat model, then the fine-tuned models (newest first)."""
    out = [(f"chat model ({Path(backend.model_name).name})", backend.model_name)]
    if jobs is not None:
        out += [(m["id"], str(jobs.model_path(m["id"]))) for m in jobs.fine_tuned_models()]
    return out


def load_for_eval(backend: Backend, spec: str) -> tuple[Any, Any]:
    """(model, tokenizer): the chat model's own weights when `spec` names it, else `load_model(spec)`."""
    model = backend.base.model
    if spec in ("", backend.model_name) and hasattr(model, "load"):
        return model.load()
    from agentlm.model.loading import load_model

    return load_model(spec)


def run_skills(backend: Backend, spec: str, n: int, per_family: int, seed: int) -> dict[str, Any]:
    """Make the test set, grade the model on it, save the report under DATA_DIR/eval/; the report."""
    out_dir = backend.data_dir / "eval"
    test_file = make_test_set(out_dir, int(n), int(seed))
    model, tokenizer = load_for_eval(backend, spec)
    report = evaluate_skills(model, tokenizer, test_file, per_family=int(per_family), progress=None)
    report.update(model=spec or backend.model_name, test_file=str(test_file), seed=int(seed))
    (out_dir / f"skills-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(report, indent=2))
    return report


def report_frames(report: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table (one row per family and language, one column per metric) and the chart's headline scores."""
    rows, chart = [], []
    for key, metrics in report["families"].items():
        family, lang = key.split("/")
        scores = {k: v for k, v in metrics.items() if k != "n"}
        rows.append({"family": family, "lang": lang, "n": metrics["n"], **{k: round(v, 3) for k, v in scores.items()}})
        if scores:
            metric, value = next(iter(scores.items()))
            if metric.startswith("wrongly_"):  # lower is better: chart the complement so higher is better
                metric, value = f"not {metric}", 1 - value
            chart.append({"family": key, "score": round(value, 3), "metric": metric})
    table = pd.DataFrame(rows).astype(object).fillna("")  # blank cells where a family lacks a metric
    return table, pd.DataFrame(chart, columns=["family", "score", "metric"])


def build_eval_tab(backend: Backend, jobs: JobService | None = None
                   ) -> tuple[gr.Dropdown, Callable[[], list[tuple[str, str]]]]:
    """Lay out the evaluation tab and wire its run button; returns the model picker and its choices."""
    gr.Markdown("Run an evaluation suite on a model. **skills** is `agentlm eval skills` on a small held-out set "
                "generated on the spot by `agentlm.data.synth` (test split: templates, entities and numbers unseen "
                "in training); greedy decoding, the calculator really runs.")
    with gr.Row():
        suite = gr.Dropdown(list(SUITES), value="skills", label="Suite", info=SUITES["skills"], scale=2)
        model = gr.Dropdown(model_choices(backend, jobs), value=backend.model_name, label="Model",
                            allow_custom_value=True,
                            info="the chat model, a fine-tuned model, or any model dir", scale=3,
                            elem_id="agentlm-eval-model")
    with gr.Row():
        n = gr.Slider(10, 600, value=60, step=10, label="Test examples generated", elem_id="agentlm-eval-n")
        per_family = gr.Slider(1, 50, value=3, step=1, label="At most per family and language",
                               elem_id="agentlm-eval-per-family")
        seed = gr.Number(value=0, precision=0, label="Seed")
        run = gr.Button("Run evaluation", variant="primary", elem_id="agentlm-eval-run")
    status = gr.Markdown(elem_id="agentlm-eval-status")
    chart = gr.BarPlot(x="family", y="score", color="metric", title="Headline metric per family", y_lim=[0, 1],
                       x_label_angle=-40, height=360, elem_id="agentlm-eval-chart")
    table = gr.Dataframe(label="Per family", elem_id="agentlm-eval-table", wrap=True)

    def evaluate(suite_v: str, spec: str, n_v: float, per_v: float, seed_v: float) -> Iterator[tuple[Any, ...]]:
        yield f"Evaluating `{spec}` on up to {int(n_v)} held-out examples …", gr.update(), gr.update()
        try:
            report = run_skills(backend, spec, int(n_v), int(per_v), int(seed_v or 0))
        except (OSError, ValueError) as exc:
            yield f"⚠️ {exc}", gr.update(), gr.update()
            return
        frame, headline = report_frames(report)
        summary = (f"**{report['examples']} examples in {report['seconds']} s** · model `{report['model']}` · "
                   f"test file `{report['test_file']}`")
        yield summary, headline, frame

    run.click(evaluate, [suite, model, n, per_family, seed], [status, chart, table])
    return model, lambda: model_choices(backend, jobs)
