"""Pretraining throughput: our training step against a plain fp32 PyTorch loop, measured in one run.

Both train the same preset on the same batches. The baseline is the nanoGPT-style loop anyone would
write first: eager fp32 forward, cross-entropy, backward, AdamW. Ours is `agentlm.train.pretrain`'s
own `training_step` with its defaults (torch.compile, bf16 autocast where the hardware makes it pay,
gradient clipping, LR schedule). Rounds alternate between the two so machine noise hits both alike;
the result is a ratio of medians, never an absolute time.

    python benchmarks/train_throughput.py --preset base --batch-size 8 --context 512 --rounds 5
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

from agentlm.model.presets import build_config
from agentlm.train.pretrain import Dist, PretrainConfig, make_optimizer, training_step, wrap_for_training


def baseline_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, block: torch.Tensor) -> float:
    logits = model(input_ids=block[:, :-1]).logits
    loss = F.cross_entropy(logits.flatten(0, 1), block[:, 1:].flatten())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="base")
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=5, help="measured rounds per contestant")
    ap.add_argument("--steps-per-round", type=int, default=3)
    ap.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    torch.manual_seed(0)
    reference = AutoModelForCausalLM.from_config(build_config(args.preset, args.vocab_size))
    blocks = [torch.randint(0, args.vocab_size, (args.batch_size, args.context + 1)) for _ in range(4)]

    base_model = copy.deepcopy(reference).train()
    base_opt = torch.optim.AdamW(base_model.parameters(), lr=1e-3)

    cfg = PretrainConfig(corpus=Path("."), tokenizer=Path("."), out_dir=Path("."), preset=args.preset,
                         precision=args.precision, compile=not args.no_compile, max_steps=10_000, warmup_steps=10)
    ddp = Dist()
    our_model = copy.deepcopy(reference)
    our_opt, our_sched = make_optimizer(our_model, cfg)
    our_train = wrap_for_training(our_model, cfg, ddp)

    def ours(block: torch.Tensor) -> float:
        return training_step(our_train, our_model, our_opt, our_sched, [block], cfg, ddp)[0]

    def baseline(block: torch.Tensor) -> float:
        return baseline_step(base_model, base_opt, block)

    contestants = {"baseline fp32 loop": baseline, "agentlm training_step": ours}
    for name, fn in contestants.items():  # warm-up (includes torch.compile)
        t0 = time.perf_counter()
        for b in blocks[:2]:
            fn(b)
        print(f"warm-up {name}: {time.perf_counter() - t0:.1f} s", flush=True)

    tokens_per_step = args.batch_size * args.context
    speeds: dict[str, list[float]] = {name: [] for name in contestants}
    for r in range(args.rounds):
        for name, fn in contestants.items():
            t0 = time.perf_counter()
            for i in range(args.steps_per_round):
                fn(blocks[(r + i) % len(blocks)])
            speeds[name].append(tokens_per_step * args.steps_per_round / (time.perf_counter() - t0))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{n} {v[-1]:,.0f} tok/s" for n, v in speeds.items()),
              flush=True)

    medians = {name: statistics.median(v) for name, v in speeds.items()}
    ratio = medians["agentlm training_step"] / medians["baseline fp32 loop"]
    params = sum(p.numel() for p in reference.parameters())
    print(f"\npreset {args.preset} ({params / 1e6:.1f}M params), batch {args.batch_size} x {args.context} tokens, "
          f"bf16 autocast: {cfg.bf16}, torch.compile: {cfg.compile}, threads: {torch.get_num_threads()}\n")
    print("| loop | median tokens/s |\n|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:,.0f} |")
    print(f"\nspeed-up (ours / baseline): {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"preset": args.preset, "parameters": params, "bf16": cfg.bf16,
                                         "compile": cfg.compile, "tokens_per_s": medians, "ratio": ratio,
                                         "rounds": speeds}, indent=2))


if __name__ == "__main__":
    main()
