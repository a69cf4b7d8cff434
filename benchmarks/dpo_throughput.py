"""DPO throughput: TRL's fused LM head against AgentLM's head on reply tokens only, measured in one run.

Both contestants run `agentlm.train.dpo.run_dpo` (DPO + the SFT term, as the recipe trains) on the same
preference pairs from the same model with the same seed in each round, so they see the same batches: the
reward margins must match, only the time differs. On a CPU TRL projects every position of the prompt and both
replies through the vocabulary, for the policy and the reference; `CompactHeadDPOTrainer` projects only the
reply tokens. Rounds alternate the order; the result is the ratio of total train seconds.

    python benchmarks/dpo_throughput.py --rounds 2 --steps 20 --threads 2
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
    from agentlm.train import dpo_trainer
    from agentlm.train.dpo import DPOStageConfig, run_dpo

    ours = dpo_trainer.add_compact_log_prob_head
    work = Path(tempfile.mkdtemp(prefix="dpo_throughput_"))
    pairs = skill_file("preference_train.jsonl", work / "skills", args.quick)

    def contestant(add_head) -> Any:
        def one(r: int) -> dict[str, float]:
            dpo_trainer.add_compact_log_prob_head = add_head
            out = work / f"run-{r}"
            try:
                result = run_dpo(DPOStageConfig(model=MODEL, train_file=pairs, out_dir=out, lr=1e-5, sft_weight=1.0,
                                                batch_size=args.batch_size, max_steps=args.steps, seed=r,
                                                max_examples=args.steps * args.batch_size, precision=args.precision))
            finally:
                dpo_trainer.add_compact_log_prob_head = ours
                shutil.rmtree(out, ignore_errors=True)
            return {"seconds": result["train_seconds"], "margin": result["final_reward_margin"]}
        return one

    rounds = alternate({"TRL fused head": contestant(lambda model: None),
                        "reply tokens only": contestant(ours)}, args.rounds)
    shutil.rmtree(work, ignore_errors=True)
    totals = {name: sum(r["seconds"] for r in rs) for name, rs in rounds.items()}
    gap = max(abs(a["margin"] - b["margin"]) for a, b in zip(*rounds.values(), strict=True))
    ratio = totals["TRL fused head"] / max(totals["reply tokens only"], 1e-9)
    pairs_seen = args.rounds * args.steps * args.batch_size
    print(table(["head", "train seconds", "pairs/s", "final reward margins"],
                [[name, totals[name], pairs_seen / max(totals[name], 1e-9),
                  ", ".join(f"{r['margin']:.6f}" for r in rs)] for name, rs in rounds.items()]))
    print(f"\nspeed-up: {ratio:.2f}x; largest reward-margin difference {gap:.1e}")
    return {"machine": machine(args.threads), "model": str(MODEL), "precision": args.precision, "steps": args.steps,
            "batch_size": args.batch_size,
            "rounds": rounds, "train_seconds": totals, "speedup": ratio, "largest_margin_difference": gap}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "dpo_throughput")
    ap.add_argument("--rounds", type=int, default=2, help="runs per contestant")
    ap.add_argument("--steps", type=int, default=20, help="optimizer steps per run")
    ap.add_argument("--batch-size", type=int, default=8, help="preference pairs per step")
    add_precision(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.batch_size = 1, 2, 4
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
