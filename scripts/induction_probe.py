"""Does a model copy from its context, and from how far back? (agentlm.eval.induction)

Usage: python scripts/induction_probe.py MODEL_DIR [MODEL_DIR ...]

Loss (nats/token) on the repeat of 40 random tokens, with 0-400 random tokens between the two copies; the
first copy (no copying possible) is the baseline, ~ln(vocab size).
"""

from __future__ import annotations

import sys

import torch
from transformers import AutoModelForCausalLM

from agentlm.eval.induction import induction_losses, max_gap

GAPS = (0, 60, 120, 200, 300, 400)

if __name__ == "__main__":
    print("| model | first copy | " + " | ".join(f"repeat, gap {g}" for g in GAPS) + " |")
    print("|---|---:|" + "---:|" * len(GAPS))
    for model_dir in sys.argv[1:]:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, local_files_only=True)
        repeats = {g: induction_losses(model, gap=g) for g in GAPS if g <= max_gap(model)}
        first = repeats[0][0]  # the first copy does not depend on the gap
        cells = [f"{repeats[g][1]:.2f}" if g in repeats else "—" for g in GAPS]  # — : the gap does not fit
        print(f"| {model_dir} | {first:.2f} | " + " | ".join(cells) + " |", flush=True)
