"""SFT throughput: TRL's fused LM head against AgentLM's head on labelled positions only, measured in one run.

Both contestants run `agentlm.train.sft.run_sft` on the same skill data from the same model, with the same seed
in each round, so they see the same batches: the train losses must match, only the time differs. On a CPU
TRL projects every position through the vocabulary; `AssistantTokenSFTTrainer` projects only the ~21% that
carry a label (assistant tokens). Rounds alternate the order; the result is the ratio of total train seconds.

    python benchmarks/sft_throughput.py --rounds 2 --steps 30 --threads 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from common import MODEL, add_precision, alternate, machine, parser, setup, skill_file, table, write_json


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    from trl import SFTTrainer

    from agentlm.train.sft import SFTStageConfig, run_sft
    from agentlm.train.sft_trainer import AssistantTokenSFTTrainer

    ours = AssistantTokenSFTTrainer.compute_loss
    work = Path(tempfile.mkdtemp(prefix="sft_throughput_"))
    data = skill_file("train.jsonl", work / "skills", args.quick)

    def contestant(compute_loss) -> Any:
        def one(r: int) -> dict[str, float]:
            AssistantTokenSFTTrainer.compute_loss = compute_loss
            out = work / f"run-{r}"
            try:
                result = run_sft(SFTStageConfig(model=MODEL, train_file=data, out_dir=out, epochs=1, lr=1e-4,
                                                batch_size=args.batch_size, max_steps=args.steps, seed=r,
                                                max_examples=args.examples, precision=args.precision))
            finally:
                AssistantTokenSFTTrainer.compute_loss = ours
                shutil.rmtree(out, ignore_errors=True)
            return {"seconds": result["train_seconds"], "tokens": result["tokens"], "loss": result["train_loss"]}
        return one

    rounds = alternate({"TRL fused head": contestant(SFTTrainer.compute_loss),
                        "labelled positions only": contestant(ours)}, args.rounds)
    shutil.rmtree(work, ignore_errors=True)
    totals = {name: sum(r["seconds"] for r in rs) for name, rs in rounds.items()}
    tokens = {name: sum(r["tokens"] for r in rs) for name, rs in rounds.items()}
    loss_gap = max(abs(a["loss"] - b["loss"]) for a, b in zip(*rounds.values(), strict=True))
    ratio = totals["TRL fused head"] / max(totals["labelled positions only"], 1e-9)
    print(table(["head", "train seconds", "tokens/s", "train losses"],
                [[name, totals[name], tokens[name] / max(totals[name], 1e-9),
                  ", ".join(f"{r['loss']:.6f}" for r in rs)] for name, rs in rounds.items()]))
    print(f"\nspeed-up: {ratio:.2f}x; largest train-loss difference {loss_gap:.1e}")
    return {"machine": machine(args.threads), "model": str(MODEL), "precision": args.precision, "steps": args.steps,
            "batch_size": args.batch_size,
            "rounds": rounds, "train_seconds": totals, "speedup": ratio, "largest_loss_difference": loss_gap}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "sft_throughput")
    ap.add_argument("--rounds", type=int, default=2, help="runs per contestant")
    ap.add_argument("--steps", type=int, default=30, help="optimizer steps per run")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--examples", type=int, default=None, help="use only the first N training examples")
    add_precision(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.batch_size, args.examples = 1, 2, 4, 32
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
