"""Generation speed of the shipped model: tokens/s greedy and sampled, and time to first token when streaming.

Prompts are English chat prompts from the skill test set (data/skills/test.jsonl). Four contestants take turns
every round on the same prompts: `generate_batch` greedy, `generate_batch` sampled (temperature 0.8, top-p 0.95,
a fixed seed per prompt), and `stream` for each (time to first token = from the call to the first text piece).
Seeded sampling makes each stream produce the same text as its `generate_batch` twin, so both sides decode the
same tokens. Ratios: sampled / greedy tokens/s, and stream / generate tokens/s (the streaming overhead).

    python benchmarks/generation.py [--quick] [--rounds 5] [--prompts 8] [--max-new-tokens 128]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import MODEL, alternate, english_prompts, machine, median, parser, percentile, setup, table, write_json

FAMILIES = ("math_cot", "reflection", "smalltalk", "identity", "style", "plan_execute", "harmless_lookalike")
SAMPLED = {"strategy": "sample", "temperature": 0.8, "top_p": 0.95}


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    from agentlm.model.generate import DecodingConfig, generate_batch, stream
    from agentlm.model.loading import load_model

    model, tokenizer = load_model(str(MODEL))
    prompts = english_prompts(FAMILIES, args.prompts)
    configs = {"greedy": DecodingConfig(max_new_tokens=args.max_new_tokens),
               "sampled": DecodingConfig(max_new_tokens=args.max_new_tokens, **SAMPLED)}
    tokens: dict[tuple[str, int], int] = {}  # (mode, prompt) -> completion tokens (the same every round)
    texts: dict[tuple[str, int], str] = {}

    def generated(mode: str) -> Any:
        def one_round(r: int) -> dict[str, float]:
            n = seconds = 0.0
            for i, p in enumerate(prompts):
                out, stats = generate_batch(model, tokenizer, [p], configs[mode], seed=i)
                tokens[mode, i], texts[mode, i] = stats.completion_tokens, out[0][0]
                n, seconds = n + stats.completion_tokens, seconds + stats.seconds
            return {"tokens": n, "seconds": seconds}
        return one_round

    def streamed(mode: str) -> Any:
        def one_round(r: int) -> dict[str, Any]:
            seconds, ttft, same = 0.0, [], True
            for i, p in enumerate(prompts):
                start = time.perf_counter()
                first, pieces = None, []
                for piece in stream(model, tokenizer, p, configs[mode], seed=i):
                    if first is None and piece:
                        first = time.perf_counter() - start
                    pieces.append(piece)
                seconds += time.perf_counter() - start
                ttft.append(first if first is not None else time.perf_counter() - start)
                same = same and (mode, i) in texts and "".join(pieces) == texts[mode, i]
            return {"seconds": seconds, "ttft": ttft, "same_text": same}
        return one_round

    for mode in configs:  # warm-up: also fills `tokens` before the streams need it
        generated(mode)(0)
        streamed(mode)(0)
    contestants = {"generate greedy": generated("greedy"), "generate sampled": generated("sampled"),
                   "stream greedy": streamed("greedy"), "stream sampled": streamed("sampled")}
    raw = alternate(contestants, args.rounds)

    rows, summary = [], {}
    for name, rounds in raw.items():
        mode = name.split()[1]
        total = sum(tokens[mode, i] for i in range(len(prompts)))
        rates = [total / r["seconds"] for r in rounds]
        ttft = [t for r in rounds for t in r.get("ttft", [])]
        summary[name] = {"tokens_per_round": total, "tokens_per_s": median(rates), "rates": rates,
                         "ms_per_token": 1000 / median(rates) if rates else 0.0}
        if ttft:
            summary[name].update(ttft_p50_ms=1000 * percentile(ttft, 50), ttft_p90_ms=1000 * percentile(ttft, 90),
                                 same_text_as_generate=all(r["same_text"] for r in rounds))
        rows.append([name, total, summary[name]["tokens_per_s"], summary[name]["ms_per_token"],
                     summary[name].get("ttft_p50_ms", "–"), summary[name].get("ttft_p90_ms", "–")])
    ratios = {
        "sampled_over_greedy": summary["generate sampled"]["tokens_per_s"] / summary["generate greedy"]["tokens_per_s"],
        "stream_over_generate_greedy": summary["stream greedy"]["tokens_per_s"]
        / summary["generate greedy"]["tokens_per_s"],
        "stream_over_generate_sampled": summary["stream sampled"]["tokens_per_s"]
        / summary["generate sampled"]["tokens_per_s"],
    }
    params = sum(p.numel() for p in model.parameters())
    print(f"\nmodel {MODEL.name} ({params / 1e6:.1f}M parameters, {model.dtype}), {len(prompts)} prompts, "
          f"max {args.max_new_tokens} new tokens, {args.rounds} rounds, {args.threads} torch thread(s)\n")
    print(table(["contestant", "tokens / round", "median tokens/s", "ms / token", "TTFT p50 ms", "TTFT p90 ms"], rows))
    print(f"\nsampled / greedy tokens/s: {ratios['sampled_over_greedy']:.2f}x; stream / generate: "
          f"{ratios['stream_over_generate_greedy']:.2f}x greedy, {ratios['stream_over_generate_sampled']:.2f}x sampled")
    return {"benchmark": "generation", "model": MODEL.name, "parameters": params, "dtype": str(model.dtype),
            "prompts": len(prompts), "max_new_tokens": args.max_new_tokens, "rounds": args.rounds,
            "machine": machine(args.threads), "results": summary, "ratios": ratios}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "generation")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.prompts, args.max_new_tokens = 2, 2, 24
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
