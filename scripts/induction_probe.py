"""Does a model copy from its context? Loss on random token sequences, first copy against the repeat.

A model with induction heads predicts the repeated half far better than the first; one without them
does not. Usage: python scripts/induction_probe.py MODEL_DIR [MODEL_DIR ...]
"""

from __future__ import annotations

import sys

import torch
from transformers import AutoModelForCausalLM


def induction_losses(path: str, sequences: int = 8, length: int = 40, seed: int = 0) -> tuple[float, float]:
    """Mean loss (nats/token) on the first copy and on the repeat of `sequences` random sequences."""
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, local_files_only=True).eval()
    vocab = model.config.vocab_size
    ids = torch.randint(100, vocab - 100, (sequences, length), generator=torch.Generator().manual_seed(seed))
    x = torch.cat([ids, ids], 1)
    with torch.no_grad():
        logp = torch.log_softmax(model(x).logits[:, :-1], -1).gather(-1, x[:, 1:, None])[..., 0]
    return -logp[:, : length - 1].mean().item(), -logp[:, length:].mean().item()


if __name__ == "__main__":
    print("| model | loss on the first copy | loss on the repeat |\n|---|---:|---:|")
    for model_dir in sys.argv[1:]:
        first, repeat = induction_losses(model_dir)
        print(f"| {model_dir} | {first:.2f} | {repeat:.2f} |")
