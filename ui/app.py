"""The Gradio app: chat, fine-tuning and evaluation tabs over one `Backend`; `main` is what `agentlm ui` runs.

    from agentlm_ui.app import build_app
    from agentlm_ui.backend import Backend
    build_app(Backend(index="demo")).launch(**LAUNCH_STYLE)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (after the analytics switch)

from agentlm.train.jobs import JobService  # noqa: E402

from .backend import DEMO_INDEX, Backend, ensure_demo_index  # noqa: E402
from .chat import build_chat_tab  # noqa: E402
from .evaluation import build_eval_tab  # noqa: E402
from .finetune import build_finetune_tab  # noqa: E402

CSS = """
.agentlm-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 8px; margin: 4px 0; }
.agentlm-source summary { cursor: pointer; }
.agentlm-source-doc { font-size: 0.75em; opacity: 0.7; word-break: break-all; }
.agentlm-source-text { white-space: pre-wrap; font-size: 0.85em; max-height: 260px; overflow: auto; margin: 4px 0; }
.agentlm-flash { outline: 2px solid var(--color-accent); }
a.agentlm-cite { text-decoration: none; font-weight: 600; }
"""

# A click on [n] opens that source's collapsible and scrolls to it (in-page anchors inside the chat).
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest ? event.target.closest("a.agentlm-cite") : null;
  if (!link) return;
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  target.open = true;
  target.scrollIntoView({behavior: "smooth", block: "center"});
  target.classList.add("agentlm-flash");
  setTimeout(() => target.classList.remove("agentlm-flash"), 1500);
}, true);
</script>
"""
LAUNCH_STYLE: dict[str, Any] = {"css": CSS, "head": HEAD, "theme": gr.themes.Soft(), "ssr_mode": False}


def build_app(backend: Backend, jobs: JobService | None = None) -> gr.Blocks:
    """The whole UI: a header, then the chat, fine-tuning (when given a job service) and evaluation tabs."""
    with gr.Blocks(title="AgentLM") as demo:
        gr.Markdown(f"## AgentLM\nModel `{backend.model_name}` · tools {', '.join(backend.tool_names()) or 'none'}"
                    f" · threads and uploads in `{backend.data_dir}`", elem_id="agentlm-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                build_chat_tab(demo, backend)
            with gr.Tab("Fine-tuning", id="finetune", elem_id="agentlm-tab-finetune"):
                build_finetune_tab(backend, jobs)
            with gr.Tab("Evaluation", id="eval", elem_id="agentlm-tab-eval") as eval_tab:
                eval_models, eval_choices = build_eval_tab(backend, jobs)
        eval_tab.select(lambda: gr.update(choices=eval_choices()), None, eval_models)  # new fine-tuned models
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = None, share: bool = False,
           block: bool = True, **kwargs: Any) -> gr.Blocks:
    """Serve the app; `block=False` returns at once with the server running in a thread."""
    demo.queue(default_concurrency_limit=1)
    demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=not block,
                **{**LAUNCH_STYLE, **kwargs})
    return demo


def main(host: str = "127.0.0.1", port: int | None = None, model: str | None = None, index: str | None = DEMO_INDEX,
         data_dir: str | Path = "runs/ui", share: bool = False, tools_dirs: tuple[str, ...] = ()) -> int:
    """`agentlm ui`: build the demo index when it is missing, load the model, serve until interrupted."""
    if index == DEMO_INDEX:
        ensure_demo_index()
    print(f"loading the model ({model or 'the shipped model'}) …", flush=True)
    backend = Backend(model, index=index or None, data_dir=data_dir, tools_dirs=tools_dirs)
    jobs = JobService(backend.data_dir / "fine-tuning")
    runs_queue = jobs.start()
    print(f"model {backend.model_name}; index {index or 'none'}; tools {', '.join(backend.tool_names())}; "
          f"threads in {backend.checkpoint_db}; fine-tuning jobs in {jobs.data_dir}"
          + ("" if runs_queue else " (run by another process)"), flush=True)
    try:
        launch(build_app(backend, jobs), host=host, port=port, share=share)
    finally:
        jobs.shutdown()
        backend.close()
    return 0
