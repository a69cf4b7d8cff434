"""Does a model copy from its context? (agentlm.eval.induction)

Usage: python scripts/induction_probe.py MODEL_DIR [MODEL_DIR ...]
"""

from __future__ import annotations

import sys

import torch
from transformers import AutoModelForCausalLM

from agentlm.eval.induction import induction_losses

if __name__ == "__main__":
    print("| model | loss on the first copy | loss on the repeat |\n|---|---:|---:|")
    for model_dir in sys.argv[1:]:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, local_files_only=True)
        first, repeat = induction_losses(model)
        print(f"| {model_dir} | {first:.2f} | {repeat:.2f} |")
