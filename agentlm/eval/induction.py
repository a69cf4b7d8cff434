"""Does a model copy from its context? Loss on random token sequences: the first copy against the repeat.

A model with induction heads predicts the repeat of a sequence far better than its first copy (the loss on the
repeat falls towards 0); a model without them does not. An agent model needs this to copy tool arguments,
passage spans and numbers from its prompt, so pretraining logs it and the probe runs before SFT.
"""

from __future__ import annotations

import torch
from transformers import PreTrainedModel


@torch.no_grad()
def induction_losses(model: PreTrainedModel, sequences: int = 8, length: int = 40, seed: int = 0
                     ) -> tuple[float, float]:
    """Mean loss (nats/token) on the first copy and on the repeat of `sequences` random sequences."""
    was_training = model.training
    model.eval()
    vocab = model.config.vocab_size
    device = next(model.parameters()).device
    ids = torch.randint(100, vocab - 100, (sequences, length), generator=torch.Generator().manual_seed(seed))
    x = torch.cat([ids, ids], 1).to(device)
    logp = torch.log_softmax(model(x).logits[:, :-1].float(), -1).gather(-1, x[:, 1:, None])[..., 0]
    model.train(was_training)
    return -logp[:, : length - 1].mean().item(), -logp[:, length:].mean().item()
