"""`agentlm ui`: the Gradio app (chat with traces and sources, fine-tuning, evaluation) in the browser."""

from __future__ import annotations

import argparse
import os

EXAMPLES = """examples:
  agentlm ui                                        # the shipped model, the demo index, the built-in tools
  agentlm ui --port 7861 --index docs --data-dir runs/ui-docs
  agentlm ui --model runs/sft --index none          # another model, no index
  agentlm ui --host 0.0.0.0                         # reachable from other machines (no login: mind your network)

On first start without indexes/demo, the demo index is built from the repo's README.md and docs/.
Threads (the conversation checkpoints) and uploaded documents live under --data-dir."""


def _cmd_ui(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from agentlm_ui.app import main
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    index = None if args.index in ("", "none") else args.index
    return main(host=args.host, port=args.port, model=args.model, index=index, data_dir=args.data_dir,
                share=args.share, tools_dirs=tuple(args.tools_dir or ()))


def register(groups, formatter) -> None:
    p = groups.add_parser("ui", formatter_class=formatter, help="open the chat UI in the browser (Gradio)",
                          description="Serve the AgentLM app: streamed chat whose plans, reasoning paths, votes, "
                                      "tool calls and\nretrievals show as collapsible steps, answers with linked "
                                      "sources, threads kept across\nrestarts, document upload, a fine-tuning tab "
                                      "and an evaluation tab.\n\n" + EXAMPLES)
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--port", type=int, default=None, help="port (default: 7860, or the next free one)")
    p.add_argument("--model", default=None,
                   help="model dir, .gguf file, 'smollm2', or an OpenAI-compatible URL (default: the shipped model)")
    p.add_argument("--index", default="demo", help="index name or path to answer from; 'none' for no index")
    p.add_argument("--data-dir", default="runs/ui", help="threads database, uploads, evaluation reports")
    p.add_argument("--tools-dir", action="append", help="a folder of plugin files to load (repeatable)")
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    p.set_defaults(func=_cmd_ui)
