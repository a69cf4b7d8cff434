"""Agent-graph overhead per step: an `Agent.run`'s wall time against the time spent in the model, the tools and
retrieval, for several strategies (target: overhead under 5% of the model's time).

Every step of a run's trace carries its `seconds`: model steps time the adapter call (`invoke`: prompt rendering,
generation, reply parsing), tool steps the tool, the retrieve step the index search. A self-consistency round's
paths share one batched call, so the round counts once. Overhead = wall time of `Agent.run` (timed outside it)
minus all that: LangGraph's scheduling and checkpointing, state copies, routing, the trace. Strategies take turns
every round with the shipped model (its default 256 max tokens) and the built-in tools; rag searches a small
index of this repository's docs.

    python benchmarks/agent_overhead.py [--quick] [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import MODEL, ROOT, alternate, machine, median, parser, setup, table, write_json

MATH = "Julia saves $74 every week for 25 weeks, then spends $164 on a gift. How much money is left?"
RUNS = {  # strategy -> (question, extra run settings)
    "direct": ("Who are you?", {}),
    "cot": (MATH, {}),
    "self_consistency": ("A pen costs 3 dollars. What do 4 pens cost?", {"samples": 5}),
    "react": ("Find the value of (82 + 30) * 25.", {"tool_choice": "calculator", "max_steps": 3}),
    "plan_execute": ("Compute 17 * 23, then add 100 to the result.", {"max_steps": 4}),
    "reflection": (MATH, {}),
    "rag": ("How do I resume pretraining after a crash?", {}),
}


def timed_parts(result: Any) -> dict[str, float]:
    """Seconds the run spent in the model, the tools and retrieval, from its trace."""
    model = tools = retrieval = 0.0
    rounds: dict[int, float] = {}
    steps = 0
    for s in result.steps:
        kind = s.get("type")
        if kind == "model":
            model += s["seconds"]
            steps += 1
        elif kind == "path":  # paths of one round come from one batched call
            rounds[s["round"]] = max(rounds.get(s["round"], 0.0), s["seconds"])
        elif kind == "tool":
            tools += s["seconds"]
            steps += 1
        elif kind == "retrieve":
            retrieval += s["seconds"]
            steps += 1
    return {"model": model + sum(rounds.values()), "tools": tools, "retrieval": retrieval,
            "steps": steps + len(rounds)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    from agentlm.agent import Agent
    from agentlm.retrieval import Index
    from agentlm.runtime.chat_model import LocalChatModel

    folder = Path(tempfile.mkdtemp(prefix="agentlm-bench-"))
    try:
        index = Index.create(folder / "docs")
        index.add([ROOT / "README.md", ROOT / "docs" / "agent.md"] if not args.quick else [ROOT / "README.md"])
        model = LocalChatModel(model_path=str(MODEL), max_tokens=args.max_tokens)
        agent = Agent(model, index=index)
        strategies = [s for s in RUNS if s in args.strategies]

        def runner(strategy: str) -> Any:
            question, settings = RUNS[strategy]

            def one(r: int) -> dict[str, float]:
                start = time.perf_counter()
                result = agent.run(question, strategy=strategy, **settings)
                wall = time.perf_counter() - start
                parts = timed_parts(result)
                return {"wall": wall, **parts, "overhead": wall - parts["model"] - parts["tools"] - parts["retrieval"]}
            return one

        for s in strategies:  # warm-up (loads the model, the embedder, the tools)
            runner(s)(0)
        raw = alternate({s: runner(s) for s in strategies}, args.rounds)
        agent.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    summary, rows = {}, []
    for s, rounds in raw.items():
        wall, model_s = sum(x["wall"] for x in rounds), sum(x["model"] for x in rounds)
        overhead, steps = sum(x["overhead"] for x in rounds), sum(x["steps"] for x in rounds)
        summary[s] = {"wall_s": wall / len(rounds), "model_s": model_s / len(rounds),
                      "tools_s": sum(x["tools"] for x in rounds) / len(rounds),
                      "retrieval_s": sum(x["retrieval"] for x in rounds) / len(rounds),
                      "steps": steps / len(rounds), "overhead_ms_per_step": 1000 * overhead / max(steps, 1),
                      "overhead_share_of_model": overhead / model_s if model_s else 0.0,
                      "median_share": median([x["overhead"] / x["model"] for x in rounds if x["model"]]),
                      "rounds": rounds}
        v = summary[s]
        rows.append([s, v["wall_s"], v["model_s"], v["tools_s"] + v["retrieval_s"], v["steps"],
                     v["overhead_ms_per_step"], f"{100 * v['overhead_share_of_model']:.2f}%"])
    total_overhead = sum(x["overhead"] for r in raw.values() for x in r)
    total_model = sum(x["model"] for r in raw.values() for x in r)
    total_steps = sum(x["steps"] for r in raw.values() for x in r)
    overall = {"overhead_share_of_model": total_overhead / total_model,
               "overhead_ms_per_step": 1000 * total_overhead / total_steps}
    print(f"\n{len(strategies)} strategies, {args.rounds} rounds, max {args.max_tokens} tokens per model call, "
          f"{args.threads} torch thread(s); times are means per run\n")
    print(table(["strategy", "wall s", "model s", "tools + retrieval s", "timed steps", "overhead ms / step",
                 "overhead / model time"], rows))
    print(f"\nall runs: graph overhead {100 * overall['overhead_share_of_model']:.2f}% of the model's time, "
          f"{overall['overhead_ms_per_step']:.1f} ms per step (target < 5%)")
    return {"benchmark": "agent_overhead", "model": MODEL.name, "rounds": args.rounds, "max_tokens": args.max_tokens,
            "machine": machine(args.threads), "results": summary, "overall": overall, "target_share": 0.05,
            "meets_target": overall["overhead_share_of_model"] < 0.05}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "agent_overhead")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--strategies", nargs="+", default=list(RUNS), choices=list(RUNS))
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.max_tokens, args.strategies = 1, 24, ["direct", "react", "rag"]
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
