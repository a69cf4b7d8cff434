"""Self-consistency sampling: 8 paths in one batched call against 8 sequential calls of the same prompt.

Prompts are the ones the self_consistency strategy sends: its chain-of-thought system prompt and an English maths
question from the skill test set. Each round takes the next prompt and runs every contestant on it, in turn, with
the same decoding settings (temperature 0.8, top-p 0.95, the model's max_tokens):

- all paths: `LocalChatModel.sample(messages, n=8)` (one prefill, a batch that drops paths as they end:
  `agentlm.model.shared_prefix`) against eight `sample(messages, n=1)` (the same decoding loop, one row);
- until the vote is settled (how the strategy runs): the batched call with `stop_when` (it stops once the finished
  paths settle the majority) against sequential calls that stop at the same point.

Paths differ in length, so the comparison is made on wall time per round and on generated tokens/s.
Target: batched >= 3x faster.

    python benchmarks/self_consistency.py [--quick] [--rounds 16] [--paths 8] [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import MODEL, alternate, english_prompts, machine, median, parser, setup, table, write_json


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    from agentlm.runtime.answers import extract_answer, vote
    from agentlm.runtime.chat_model import LocalChatModel
    from agentlm.runtime.prompts import COT_SYSTEM

    model = LocalChatModel(model_path=str(MODEL), max_tokens=args.max_tokens)
    questions = [p[-1]["content"] for p in english_prompts(("math_cot", "math_direct"), args.rounds)]
    prompts = [[{"role": "system", "content": COT_SYSTEM["en"]}, {"role": "user", "content": q}] for q in questions]
    options = {"temperature": 0.8, "top_p": 0.95}

    def settled(texts: list[str]) -> bool:
        return vote([extract_answer(t) for t in texts]).settled(args.paths)

    def measure(replies: list[Any], start: float) -> dict[str, float]:
        lengths = [r.usage_metadata["output_tokens"] for r in replies]
        return {"seconds": time.perf_counter() - start, "tokens": sum(lengths), "paths": len(replies),
                "longest": max(lengths, default=0)}

    def batched(stop: bool) -> Any:
        def one(r: int) -> dict[str, float]:
            start = time.perf_counter()
            replies = model.sample(prompts[r % len(prompts)], args.paths, seed=1000 * r, stop_when=settled if stop
                                   else None, **options)
            return measure(replies, start)
        return one

    def sequential(stop: bool) -> Any:
        def one(r: int) -> dict[str, float]:
            start = time.perf_counter()
            replies: list[Any] = []
            for j in range(args.paths):
                replies += model.sample(prompts[r % len(prompts)], 1, seed=1000 * r + 1 + j, **options)
                if stop and settled([reply.content for reply in replies]):
                    break
            return measure(replies, start)
        return one

    names = {"all": (f"batched (n={args.paths}, one call)", f"sequential ({args.paths} calls)"),
             "vote": ("batched, stops when the vote is settled", "sequential, stops when the vote is settled")}
    contestants = {names["all"][0]: batched(False), names["all"][1]: sequential(False),
                   names["vote"][0]: batched(True), names["vote"][1]: sequential(True)}
    for fn in contestants.values():  # warm-up
        fn(0)
    raw = alternate(contestants, args.rounds)
    summary = {}
    for name, rounds in raw.items():
        summary[name] = {"median_seconds": median([x["seconds"] for x in rounds]),
                         "tokens_per_s": sum(x["tokens"] for x in rounds) / sum(x["seconds"] for x in rounds),
                         "mean_tokens_per_path": sum(x["tokens"] for x in rounds) / sum(x["paths"] for x in rounds),
                         "mean_longest_path": sum(x["longest"] for x in rounds) / len(rounds),
                         "mean_paths": sum(x["paths"] for x in rounds) / len(rounds), "rounds": rounds}
    ratios = {}
    for key, (b, s) in names.items():
        per_round = [q["seconds"] / p["seconds"] for p, q in zip(raw[b], raw[s], strict=True)]
        ratios[key] = {"wall_time_speedup": summary[s]["median_seconds"] / summary[b]["median_seconds"],
                       "wall_time_speedup_per_round_median": median(per_round),
                       "tokens_per_s_speedup": summary[b]["tokens_per_s"] / summary[s]["tokens_per_s"]}
    print(f"\n{len(prompts)} maths prompts, {args.paths} paths, max {args.max_tokens} tokens, {args.rounds} rounds, "
          f"{args.threads} torch thread(s)\n")
    print(table(["contestant", "median s / round", "tokens/s (all rounds)", "paths / round", "mean tokens / path",
                 "mean longest path"],
                [[name, v["median_seconds"], v["tokens_per_s"], v["mean_paths"], v["mean_tokens_per_path"],
                  v["mean_longest_path"]] for name, v in summary.items()]))
    for key, r in ratios.items():
        what = f"all {args.paths} paths" if key == "all" else "until the vote is settled"
        print(f"\nbatched speed-up, {what}: {r['wall_time_speedup']:.2f}x wall time (median "
              f"of per-round ratios {r['wall_time_speedup_per_round_median']:.2f}x), {r['tokens_per_s_speedup']:.2f}x "
              "tokens/s (target >= 3x)")
    return {"benchmark": "self_consistency", "model": MODEL.name, "paths": args.paths, "max_tokens": args.max_tokens,
            "rounds": args.rounds, "prompts": len(prompts), "machine": machine(args.threads), "results": summary,
            "ratios": ratios, "target": 3.0, "meets_target": ratios["all"]["wall_time_speedup"] >= 3.0}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "self_consistency")
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--paths", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=256)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.paths, args.max_tokens = 2, 4, 24
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
