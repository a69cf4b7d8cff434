"""bf16 autocast against fp32 in each training stage, and whether `precision="auto"` picks the faster, in one run.

`auto` decides from a timed matrix multiply (`agentlm.train.precision`). This benchmark checks that decision
against what it stands for: the pretraining step (`training_step`, torch.compile as the recipe runs it), SFT
(`run_sft`) and DPO (`run_dpo`), each in fp32 and in bf16 autocast on the same batches, in alternating rounds.
The result is a ratio of train seconds per stage, never an absolute time.

    python benchmarks/precision.py --rounds 2 --threads 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import MODEL, alternate, machine, parser, setup, skill_file, table, write_json

PRECISIONS = ("fp32", "bf16")


def pretrain_contestants(args: argparse.Namespace) -> dict[str, Any]:
    """One compiled `training_step` loop per precision, on the same random blocks of the `small` preset."""
    import torch
    from transformers import AutoModelForCausalLM

    from agentlm.model.presets import build_config
    from agentlm.train.pretrain import Dist, PretrainConfig, make_optimizer, training_step, wrap_for_training

    torch.manual_seed(0)
    config = build_config("small", 8192)
    blocks = [torch.randint(0, 8192, (args.batch_size, args.block + 1)) for _ in range(args.steps)]
    ddp = Dist()

    def contestant(precision: str) -> Any:
        cfg = PretrainConfig(corpus=Path("."), tokenizer=Path("."), out_dir=Path("."), preset="small",
                             precision=precision, max_steps=10_000, warmup_steps=10, compile=not args.quick)
        model = AutoModelForCausalLM.from_config(config)
        optimizer, scheduler = make_optimizer(model, cfg)
        train = wrap_for_training(model, cfg, ddp)
        training_step(train, model, optimizer, scheduler, [blocks[0]], cfg, ddp)  # warm-up, compiles

        def one(r: int) -> dict[str, float]:
            start = time.perf_counter()
            for block in blocks:
                loss = training_step(train, model, optimizer, scheduler, [block], cfg, ddp)[0]
            return {"seconds": time.perf_counter() - start, "tokens": len(blocks) * blocks[0][:, 1:].numel(),
                    "loss": loss}
        return one

    return {p: contestant(p) for p in PRECISIONS}


def sft_contestants(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """`run_sft` from the shipped model on the skill data, the same seed per round in both precisions."""
    from agentlm.train.sft import SFTStageConfig, run_sft

    data = skill_file("train.jsonl", work / "skills", args.quick)

    def contestant(precision: str) -> Any:
        def one(r: int) -> dict[str, float]:
            out = work / f"sft-{precision}-{r}"
            result = run_sft(SFTStageConfig(model=MODEL, train_file=data, out_dir=out, epochs=1, lr=1e-4,
                                            batch_size=args.batch_size, max_steps=args.steps, seed=r,
                                            max_examples=args.steps * args.batch_size, precision=precision))
            shutil.rmtree(out, ignore_errors=True)
            return {"seconds": result["train_seconds"], "tokens": result["tokens"], "loss": result["train_loss"]}
        return one

    return {p: contestant(p) for p in PRECISIONS}


def dpo_contestants(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """`run_dpo` (with the recipe's SFT term) from the shipped model on preference pairs, as above."""
    from agentlm.train.dpo import DPOStageConfig, run_dpo

    pairs = skill_file("preference_train.jsonl", work / "skills", args.quick)
    steps = max(1, args.steps // 2)

    def contestant(precision: str) -> Any:
        def one(r: int) -> dict[str, float]:
            out = work / f"dpo-{precision}-{r}"
            result = run_dpo(DPOStageConfig(model=MODEL, train_file=pairs, out_dir=out, lr=1e-5, sft_weight=1.0,
                                            batch_size=args.batch_size // 2, max_steps=steps, seed=r,
                                            max_examples=steps * args.batch_size // 2, precision=precision))
            shutil.rmtree(out, ignore_errors=True)
            return {"seconds": result["train_seconds"], "tokens": result.get("tokens", 0),
                    "loss": result["final_reward_margin"]}
        return one

    return {p: contestant(p) for p in PRECISIONS}


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    import torch

    from agentlm.train.precision import MIN_GEMM_SPEEDUP, bf16_is_fast, gemm_seconds

    gemm_ratio = gemm_seconds(torch.float32) / gemm_seconds(torch.bfloat16)
    auto = "bf16" if bf16_is_fast() else "fp32"
    print(f"GEMM bf16 speed-up {gemm_ratio:.2f}x (bf16 when >= {MIN_GEMM_SPEEDUP}x): auto picks {auto}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="precision_"))
    stages = {"pretrain step": lambda: pretrain_contestants(args), "SFT": lambda: sft_contestants(args, work),
              "DPO": lambda: dpo_contestants(args, work)}
    results, rows = {}, []
    try:
        for stage, make in stages.items():
            if args.stages and stage.split()[0].lower() not in args.stages:
                continue
            print(f"{stage} ...", flush=True)
            rounds = alternate(make(), args.rounds)
            seconds = {p: sum(r["seconds"] for r in rounds[p]) for p in PRECISIONS}
            speedup = seconds["fp32"] / max(seconds["bf16"], 1e-9)
            faster = "bf16" if speedup > 1 else "fp32"
            results[stage] = {"rounds": rounds, "train_seconds": seconds, "bf16_speedup": speedup}
            rows.append([stage, seconds["fp32"], seconds["bf16"], f"{speedup:.2f}x", faster,
                         "yes" if faster == auto else "no"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(["stage", "fp32 train s", "bf16 train s", "bf16 speed-up", "faster", "auto picks it"], rows))
    return {"machine": machine(args.threads), "gemm_bf16_speedup": gemm_ratio, "auto": auto,
            "steps": args.steps, "batch_size": args.batch_size, "block": args.block, "stages": results}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "precision")
    ap.add_argument("--rounds", type=int, default=2, help="runs per precision and stage")
    ap.add_argument("--steps", type=int, default=20, help="optimizer steps per run (DPO: half as many)")
    ap.add_argument("--batch-size", type=int, default=16, help="blocks or examples per step (DPO: half as many)")
    ap.add_argument("--block", type=int, default=512, help="tokens per pretraining block (the recipe's)")
    ap.add_argument("--stages", nargs="*", choices=["pretrain", "sft", "dpo"], default=None,
                    help="measure only these stages (default: all)")
    args = ap.parse_args(argv)
    if args.quick:
        # short blocks: on a CPU without bf16 units a bf16 step of 4 full blocks takes ~35 s
        args.rounds, args.steps, args.batch_size, args.block = 1, 2, 4, 128
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
