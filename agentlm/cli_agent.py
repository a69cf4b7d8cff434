"""`agentlm ask`: one question through the agent graph, printed as text or as the JSON contract."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLES = """examples:
  agentlm ask "What is (82 + 30) * 25?"                       # auto routing, built-in tools
  agentlm ask "A pen costs 3 dollars. What do 4 pens cost?" --strategy self_consistency --samples 5 --json
  agentlm ask "How do I install it?" --index docs --strategy rag
  agentlm ask "Roman numeral for 1994?" --tools-dir ./my_tools --strategy react
  agentlm ask "Weather in Paris?" --approve-tools             # asks before each tool call
  agentlm ask "And in Chinese?" --thread t1 --checkpoint-db runs/threads.sqlite

strategies: auto, direct, few_shot, cot, few_shot_cot, self_consistency, plan_execute, react, reflection, rag
--json prints one object: answer, strategy, reason, steps, tool_calls, sources, votes (and timing fields)."""


def _cmd_ask(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from agentlm.agent import Agent

    hf_logging.disable_progress_bar()  # weight-loading bars would bury the answer

    agent = Agent(args.model, tools=None if args.no_tools else "builtin", tools_dirs=args.tools_dir or (),
                  index=args.index or None, strategy=args.strategy, samples=args.samples,
                  temperature=args.temperature, top_p=args.top_p, max_steps=args.max_steps,
                  approve_tools=args.approve_tools, system_prompt=args.system, checkpoint_db=args.checkpoint_db,
                  tool_choice=args.tool_choice)
    try:
        if args.stream and not args.json:
            result = _streamed(agent, args)
        else:
            result = agent.run(args.question, thread_id=args.thread)
        while result.pending is not None:
            result = agent.resume(result.thread_id, _ask_approval(result.pending))
    finally:
        agent.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        if not args.stream:
            print(result.answer)
        print(_summary(result), file=sys.stderr)
    return 0


def _streamed(agent, args: argparse.Namespace):
    result = None
    for event in agent.stream(args.question, thread_id=args.thread):
        if event["type"] == "token" and event.get("node") not in ("draft", "plan"):
            print(event["text"], end="", flush=True)
        elif event["type"] == "tool_call":
            print(f"\n  [{event['name']}({json.dumps(event['arguments'], ensure_ascii=False)}) -> "
                  f"{event['result'][:200]}]", file=sys.stderr)
        elif event["type"] == "result":
            result = event["result"]
    print()
    return result


def _ask_approval(pending: dict) -> dict[str, bool]:
    decisions = {}
    for call in pending.get("tool_calls", []):
        prompt = f"Run {call['name']}({json.dumps(call['arguments'], ensure_ascii=False)})? [y/N] "
        print(prompt, end="", file=sys.stderr, flush=True)
        decisions[call["id"]] = sys.stdin.readline().strip().lower() in ("y", "yes")
    return decisions


def _summary(result) -> str:
    lines = [f"strategy: {result.strategy} ({result.reason}); {result.seconds:.1f} s"]
    for call in result.tool_calls:
        lines.append(f"tool: {call['name']}({json.dumps(call['arguments'], ensure_ascii=False)}) -> {call['result']}")
    for src in result.sources:
        lines.append(f"[{src['id']}] {src['doc']} #{src['chunk']} (score {src['score']})")
    if result.votes:
        lines.append(f"votes: {result.votes['counts']} over {result.votes['paths']} paths")
    if result.stopped:
        lines.append(f"stopped: {result.stopped}")
    return "\n".join(lines)


def register(groups, formatter) -> None:
    from agentlm.agent import STRATEGY_CHOICES

    p = groups.add_parser("ask", formatter_class=formatter, help="ask the agent a question",
                          description="Answer a question through the agent graph.\n\n" + EXAMPLES)
    p.add_argument("question")
    p.add_argument("--model", default=None,
                   help="model dir, .gguf file, 'smollm2', or an OpenAI-compatible URL (default: the shipped model)")
    p.add_argument("--strategy", default="auto", choices=STRATEGY_CHOICES)
    p.add_argument("--samples", type=int, default=5, help="reasoning paths for self_consistency")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature for self_consistency")
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--max-steps", type=int, default=6, help="model turns before the run ends gracefully")
    p.add_argument("--index", action="append", help="index name or path to answer from (repeatable)")
    p.add_argument("--tools-dir", action="append", help="a folder of plugin files to load (repeatable)")
    p.add_argument("--no-tools", action="store_true", help="no tools at all")
    p.add_argument("--approve-tools", action="store_true", help="ask on stdin before each tool call")
    p.add_argument("--tool-choice", default=None, metavar="auto|required|NAME",
                   help="force a tool call on every turn (required) or a call to one tool (NAME)")
    p.add_argument("--system", default=None, help="an extra system prompt")
    p.add_argument("--thread", default=None, help="thread id: continue a conversation")
    p.add_argument("--checkpoint-db", default=None, help="SQLite file that keeps threads across runs")
    p.add_argument("--stream", action="store_true", help="print the answer while it is generated")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=_cmd_ask)
