"""The chat tab: the streamed conversation on the left; threads, strategy, tools and documents on the right."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from .backend import Backend

EXAMPLES = [
    "Find the value of (82 + 30) * 25.",
    "How do I resume pretraining?",
    "A pen costs 3 dollars. What do 4 pens cost?",
    "Who are you?",
]
DOC_TYPES = [".txt", ".md", ".rst", ".html", ".htm", ".pdf", ".json", ".jsonl"]


def build_chat_tab(demo: gr.Blocks, backend: Backend) -> None:
    """Lay out the chat tab inside `demo` and wire its events; a page load reopens the browser's last thread."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=480):
            chatbot = gr.Chatbot(label="Conversation", elem_id="agentlm-chat", height=640, buttons=["copy"],
                                 placeholder="Ask something. Each plan, reasoning path, vote, tool call and "
                                             "retrieval appears as a collapsible step above the answer.")
            with gr.Row():
                question = gr.Textbox(placeholder="Ask the agent…", show_label=False, scale=5, lines=1,
                                      elem_id="agentlm-question", autofocus=True)
                send = gr.Button("Send", variant="primary", scale=1, elem_id="agentlm-send")
            gr.Examples(EXAMPLES, inputs=question, label="Try")
        with gr.Column(scale=1, min_width=300):
            with gr.Group():
                thread = gr.Dropdown(label="Thread", choices=[], value=None, allow_custom_value=True,
                                     elem_id="agentlm-thread", info="saved across restarts")
                new_thread = gr.Button("New thread", size="sm", elem_id="agentlm-new-thread")
            with gr.Accordion("Strategy", open=True):
                strategy = gr.Dropdown(backend.strategies(), value="auto", label="Strategy", elem_id="agentlm-strategy",
                                       info="auto picks one and says why")
                samples = gr.Slider(1, 9, value=5, step=1, label="Samples (self-consistency)")
                temperature = gr.Slider(0.0, 1.5, value=0.7, step=0.05, label="Temperature (sampled paths)")
                top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p (sampled paths)")
                max_steps = gr.Slider(1, 12, value=backend.max_steps, step=1, label="Max model turns",
                                      elem_id="agentlm-max-steps")
            with gr.Accordion("Tools", open=True):
                tools = gr.CheckboxGroup(backend.tool_names(), value=backend.tool_names(), label="Tools on",
                                         elem_id="agentlm-tools")
            with gr.Accordion("Documents", open=True):
                index = gr.Dropdown(backend.index_choices(), value=backend.default_index, label="Index",
                                    elem_id="agentlm-index", info="answers cite its passages as [n]")
                files = gr.File(label="Upload documents", file_count="multiple", file_types=DOC_TYPES,
                                elem_id="agentlm-upload", height=120)
                index_name = gr.Textbox(label="Into index (new or existing)", value=backend.default_index or "my-docs",
                                        elem_id="agentlm-index-name")
                add = gr.Button("Add to index", size="sm", elem_id="agentlm-add")
                add_status = gr.Markdown(elem_id="agentlm-add-status")
    saved_thread = gr.BrowserState("", storage_key="agentlm-thread")

    def respond(message: str, history: list[Any], thread_id: str | None, *settings: Any
                ) -> Iterator[tuple[Any, ...]]:
        strategy_v, samples_v, temperature_v, top_p_v, steps_v, tools_v, index_v = settings
        thread_id = thread_id or backend.new_thread()
        history = [*(history or []), gr.ChatMessage(role="user", content=message)]
        if not message.strip():
            yield history[:-1], "", gr.update(), thread_id
            return
        yield history, "", gr.update(), thread_id
        turn: list[gr.ChatMessage] = []
        for turn in backend.chat(message, thread_id=thread_id, index=index_v or "", strategy=strategy_v,
                                 samples=samples_v, temperature=temperature_v, top_p=top_p_v, max_steps=steps_v,
                                 tools=tools_v or []):
            yield [*history, *turn], "", gr.update(), thread_id
        yield [*history, *turn], "", gr.update(choices=backend.thread_choices(thread_id), value=thread_id), thread_id

    inputs = [question, chatbot, thread, strategy, samples, temperature, top_p, max_steps, tools, index]
    outputs = [chatbot, question, thread, saved_thread]
    question.submit(respond, inputs, outputs)
    send.click(respond, inputs, outputs)

    def start_new() -> tuple[Any, ...]:
        thread_id = backend.new_thread()
        return [], gr.update(choices=backend.thread_choices(thread_id), value=thread_id), thread_id

    new_thread.click(start_new, None, [chatbot, thread, saved_thread])

    def pick(thread_id: str | None) -> tuple[Any, ...]:
        return backend.thread_messages(thread_id or ""), thread_id or ""

    thread.input(pick, thread, [chatbot, saved_thread])

    def add_files(paths: list[str] | None, name: str) -> tuple[Any, ...]:
        try:
            report = backend.add_documents(name, paths or [])
        except (ValueError, FileNotFoundError) as exc:
            return gr.update(), f"⚠️ {exc}", gr.update()
        name = name.strip()
        status = f"Added to **{name}**:\n\n" + "\n".join(f"- {line}" for line in report.splitlines())
        return gr.update(choices=backend.index_choices(), value=name), status, None

    add.click(add_files, [files, index_name], [index, add_status, files])

    def on_load(saved: str) -> tuple[Any, ...]:
        thread_id = saved if saved in backend.threads() else backend.new_thread()
        return (backend.thread_messages(thread_id), gr.update(choices=backend.thread_choices(thread_id),
                                                              value=thread_id), thread_id)

    demo.load(on_load, saved_thread, [chatbot, thread, saved_thread])
