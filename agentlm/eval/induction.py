"""Does a model copy from its context? Loss on random token sequences: the first copy against the repeat.

A model with induction heads predicts the repeat of a sequence far better than its first copy (the loss on the
repeat falls towards 0); a model without them does not. An agent model needs this to copy tool arguments,
passage spans and numbers from its prompt, so pretraining logs it and the probe runs before SFT.

`gap` puts that many random tokens between the two copies: a tool argument or a passage span sits 50-400
tokens before the reply that copies it, and heads that copy only from nearby (trained on back-to-back repeats)
pass the probe at `gap=0` and fail it at `gap=200` (docs/posttrain.md, post-training session 12).
"""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

FAR_GAP = 200  # the pretraining log's far probe: the repeat starts 240 tokens after the first copy


@torch.no_grad()
def induction_losses(model: PreTrainedModel, sequences: int = 8, length: int = 40, seed: int = 0, gap: int = 0
                     ) -> tuple[float, float]:
    """Mean loss (nats/token) on the first copy and on the repeat of `sequences` random sequences, with
    `gap` random tokens between the two copies."""
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    was_training = model.training
    model.eval()
    vocab = model.config.vocab_size
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(100, vocab - 100, (sequences, length), generator=g)
    filler = torch.randint(100, vocab - 100, (sequences, gap), generator=g)
    for row in range(sequences):  # no filler token from the sequence: the repeat has one earlier copy to copy
        clash = torch.isin(filler[row], ids[row])
        while clash.any():
            filler[row, clash] = torch.randint(100, vocab - 100, (int(clash.sum()),), generator=g)
            clash = torch.isin(filler[row], ids[row])
    x = torch.cat([ids, filler, ids], 1).to(device)
    logp = torch.log_softmax(model(x).logits[:, :-1].float(), -1).gather(-1, x[:, 1:, None])[..., 0]
    model.train(was_training)
    return -logp[:, : length - 1].mean().item(), -logp[:, length + gap:].mean().item()


def max_gap(model: PreTrainedModel, length: int = 40) -> int:
    """The longest gap for which two copies of `length` tokens and the gap fit in the model's context."""
    return model.config.max_position_embeddings - 2 * length


def far_gap(model: PreTrainedModel, length: int = 40) -> int:
    """`FAR_GAP`, or less when the model's context is too short for two copies and that gap."""
    return max(0, min(FAR_GAP, max_gap(model, length)))
