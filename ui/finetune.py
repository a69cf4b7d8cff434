"""The fine-tuning tab: upload a JSONL file, read its validation report, start a job on the job service,
watch its loss live, then chat with the fine-tuned model.

Everything goes through `agentlm.data.validate` and `agentlm.train.jobs.JobService` (the same service the
OpenAI-compatible server exposes as /v1/files and /v1/fine_tuning/jobs).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from agentlm.data.validate import report_markdown, validate_file
from agentlm.train.jobs import FINISHED, JobService, ServiceError

from .backend import Backend

POLL_SECONDS = 2.0


def base_model_choices(jobs: JobService) -> list[str]:
    """Models a job can start from: the service's base models, then the fine-tuned ones (newest first)."""
    return [*jobs.base_models, *(m["id"] for m in jobs.fine_tuned_models())]


def validation_report(jobs: JobService, path: str | Path, base: str) -> tuple[bool, str]:
    """Our validator on the file, with the base model's tokenizer (token counts, context, epochs, time)."""
    try:
        tokenizer_dir = jobs.model_path(base)
    except ServiceError:
        tokenizer_dir = None
    report = validate_file(path, tokenizer=tokenizer_dir)
    return report.ok, report_markdown(report)


def method_for(kind: str, epochs: float | None, batch_size: float | None) -> dict[str, Any]:
    """OpenAI's `method` object; 0 or empty means "auto"."""
    hp = {k: int(v) for k, v in (("n_epochs", epochs), ("batch_size", batch_size)) if v}
    return {"type": kind, kind: {"hyperparameters": hp}}


def loss_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """Training and validation loss per step, from the job's metrics events."""
    by_step: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.get("type") == "metrics" and "step" in event.get("data", {}):
            by_step.setdefault(int(event["data"]["step"]), {}).update(event["data"])
    rows = [(step, float(data[key]), split) for step, data in sorted(by_step.items())
            for key, split in (("train_loss", "train"), ("valid_loss", "validation")) if data.get(key) is not None]
    steps, losses, splits = zip(*rows, strict=True) if rows else ((), (), ())
    # explicit dtypes, so the plot reads step and loss as numbers and the split as a colour
    return pd.DataFrame({"step": pd.Series(steps, dtype="int64"), "loss": pd.Series(losses, dtype="float64"),
                         "split": pd.Series(splits, dtype="str")})


def job_summary(job: dict[str, Any]) -> str:
    parts = [f"**{job['id']}** · `{job['status']}` · base `{job['model']}`"]
    hp = job.get("hyperparameters") or {}
    parts.append(" · ".join(f"{k} {v}" for k, v in hp.items()))
    if job.get("fine_tuned_model"):
        parts.append(f"fine-tuned model `{job['fine_tuned_model']}`")
    if job.get("trained_tokens"):
        parts.append(f"{job['trained_tokens']} trained tokens")
    if job.get("estimated_finish") and job["status"] == "running":
        parts.append(f"done in about {max(0, job['estimated_finish'] - int(time.time()))} s")
    if job.get("error"):
        parts.append(f"⚠️ {job['error'].get('message')}")
    return " · ".join(p for p in parts if p)


def events_text(events: list[dict[str, Any]], last: int = 14) -> str:
    """The newest events, oldest first, one per line."""
    lines = [f"{time.strftime('%H:%M:%S', time.localtime(e['created_at']))}  {e['message']}" for e in events[:last]]
    return "\n".join(reversed(lines))


def job_choices(jobs: JobService) -> list[tuple[str, str]]:
    return [(f"{j['id']} · {j['status']}" + (f" · {j['user_provided_suffix']}" if j.get("user_provided_suffix")
                                             else ""), j["id"]) for j in jobs.list_jobs(limit=50)["data"]]


def build_finetune_tab(backend: Backend, jobs: JobService | None) -> None:
    """Lay out the fine-tuning tab and wire upload → report → job → live loss → chat with the model."""
    if jobs is None:
        gr.Markdown("The fine-tuning job service is not running in this app.")
        return
    gr.Markdown("Fine-tune a model on your data: upload a JSONL file (OpenAI chat rows for supervised, preference "
                "pairs for DPO), read the validation report, start a job, watch the loss. Jobs run one at a time, "
                f"as a training process, and survive restarts (`{jobs.data_dir}`).")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            train_file = gr.File(label="Training data (.jsonl)", file_types=[".jsonl"], elem_id="agentlm-ft-file",
                                 height=140)
            with gr.Accordion("Validation report", open=True):
                report = gr.Markdown("Upload a file to check it.", elem_id="agentlm-ft-report")
        with gr.Column(scale=2):
            base = gr.Dropdown(base_model_choices(jobs), value=next(iter(jobs.base_models), None), label="Base model",
                               elem_id="agentlm-ft-base")
            method = gr.Radio(["supervised", "dpo"], value="supervised", label="Method")
            with gr.Row():
                epochs = gr.Number(value=0, precision=0, minimum=0, label="Epochs (0 = auto)",
                                   elem_id="agentlm-ft-epochs")
                batch = gr.Number(value=0, precision=0, minimum=0, label="Batch size (0 = auto)",
                                  elem_id="agentlm-ft-batch")
            with gr.Row():
                suffix = gr.Textbox(value="ui", label="Model name suffix", elem_id="agentlm-ft-suffix")
                seed = gr.Number(value=0, precision=0, label="Seed")
            start = gr.Button("Start fine-tuning job", variant="primary", elem_id="agentlm-ft-start")
    with gr.Row():
        job = gr.Dropdown(job_choices(jobs), value=None, label="Job", elem_id="agentlm-ft-job", scale=4)
        cancel = gr.Button("Cancel job", size="sm", scale=1, elem_id="agentlm-ft-cancel")
    status = gr.Markdown(elem_id="agentlm-ft-status")
    with gr.Row(equal_height=False):
        # starts empty (None): a plot first given an empty frame keeps an empty colour domain and draws no line
        loss = gr.LinePlot(None, x="step", y="loss", color="split", title="Loss",
                           height=300, elem_id="agentlm-ft-loss", scale=3)
        log = gr.Textbox(label="Events", lines=12, max_lines=12, interactive=False, elem_id="agentlm-ft-events",
                         scale=2)
    timer = gr.Timer(POLL_SECONDS, active=False)
    with gr.Accordion("Chat with a fine-tuned model", open=True):
        model = gr.Dropdown([m["id"] for m in jobs.fine_tuned_models()], label="Fine-tuned model",
                            elem_id="agentlm-ft-model")
        chat = gr.Chatbot(height=320, elem_id="agentlm-ft-chat", label="Fine-tuned model")
        with gr.Row():
            question = gr.Textbox(placeholder="Ask the fine-tuned model…", show_label=False, scale=5,
                                  elem_id="agentlm-ft-question")
            strategy = gr.Dropdown(backend.strategies(), value="auto", show_label=False, scale=1, min_width=120)
            send = gr.Button("Send", scale=1, elem_id="agentlm-ft-send")
    ok = gr.State(False)
    kept_file = gr.State("")  # the upload's copy under DATA_DIR/uploads/fine-tuning
    thread = gr.State("")

    def check(path: str | None, base_v: str) -> tuple[str, bool, str]:
        if not path:
            return "Upload a file to check it.", False, ""
        kept = backend.data_dir / "uploads" / "fine-tuning" / Path(path).name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        valid, text = validation_report(jobs, kept, base_v)
        return text, valid, str(kept)

    train_file.change(check, [train_file, base], [report, ok, kept_file])

    def start_job(path: str | None, valid: bool, base_v: str, kind: str, epochs_v: float, batch_v: float,
                  suffix_v: str, seed_v: float) -> tuple[Any, ...]:
        if not path:
            return gr.update(), "⚠️ Upload a training file first.", gr.update()
        if not valid:
            return gr.update(), "⚠️ The file has errors (see the validation report): fix them first.", gr.update()
        try:
            record = jobs.create_file(path, filename=Path(path).name)
            created = jobs.create_job(record["id"], base_v, method=method_for(kind, epochs_v, batch_v),
                                      suffix=suffix_v.strip() or None, seed=int(seed_v or 0))
        except ServiceError as exc:
            return gr.update(), f"⚠️ {exc.message}", gr.update()
        return gr.update(choices=job_choices(jobs), value=created["id"]), job_summary(created), gr.Timer(active=True)

    start.click(start_job, [kept_file, ok, base, method, epochs, batch, suffix, seed], [job, status, timer])

    def poll(job_id: str | None, current_model: str | None) -> tuple[Any, ...]:
        if not job_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False), gr.skip(), gr.skip()
        current = jobs.retrieve_job(job_id)
        events = jobs.list_events(job_id, limit=1000)["data"]
        done = current["status"] in FINISHED
        model_update = gr.skip()
        if current.get("fine_tuned_model"):
            model_update = gr.update(choices=[m["id"] for m in jobs.fine_tuned_models()],
                                     value=current_model or current["fine_tuned_model"])
        frame = loss_frame(events)
        return (job_summary(current), frame if len(frame) else None, events_text(events), gr.Timer(active=not done),
                model_update, gr.update(choices=job_choices(jobs), value=job_id) if done else gr.skip())

    watched = [status, loss, log, timer, model, job]
    timer.tick(poll, [job, model], watched)
    job.input(poll, [job, model], watched)

    def cancel_job(job_id: str | None) -> str:
        if not job_id:
            return "Pick a job first."
        try:
            return job_summary(jobs.cancel_job(job_id))
        except ServiceError as exc:
            return f"⚠️ {exc.message}"

    cancel.click(cancel_job, job, status)

    def ask(message: str, history: list[Any], model_id: str | None, strategy_v: str, thread_id: str
            ) -> Iterator[tuple[Any, ...]]:
        history = [*(history or [])]
        if not message.strip() or not model_id:
            yield history, message, thread_id
            return
        thread_id = thread_id or backend.new_thread()
        history.append(gr.ChatMessage(role="user", content=message))
        yield history, "", thread_id
        path = jobs.model_path(model_id)
        for turn in backend.chat(message, thread_id=thread_id, model=path, strategy=strategy_v):
            yield [*history, *turn], "", thread_id

    question.submit(ask, [question, chat, model, strategy, thread], [chat, question, thread])
    send.click(ask, [question, chat, model, strategy, thread], [chat, question, thread])
    model.change(lambda: ([], ""), None, [chat, thread])  # another model: a new conversation
