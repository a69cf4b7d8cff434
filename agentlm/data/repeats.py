"""Repeated-span blocks: pretraining data that teaches a model to copy from its context.

A small model pretrained on a few million tokens of text does not learn to copy (no induction heads: it
predicts a repeated sequence no better than the first time it sees it), and an agent model that cannot copy
gets every tool argument, citation span and number wrong. Blocks in which spans appear several times make
copying the cheapest way to lower the loss; after a plateau, induction heads form (the `tiny` preset: ~1,700
steps of 16 x 256 tokens, docs/posttrain.md):

    span A, span A, span A, span B, span B, ...   spans of 16-47 tokens written 2-4 times; three in four are
                                                  random token ids, the rest corpus text

`repeat_block(row, rng, vocab_size)` turns one packed block into such a block of the same length; the
pretraining loop swaps a share of its blocks (`PretrainConfig.copy_fraction`, all of them during
`copy_warmup_steps`) with a generator seeded by the sample index, so a resumed run sees the same data.
"""

from __future__ import annotations

import numpy as np

MIN_SPAN, MAX_SPAN = 16, 48
MAX_COPIES = 4
RANDOM_SHARE = 0.75  # random spans teach copying as such; corpus spans keep it close to text
FIRST_ID = 100  # random spans skip the lowest ids (special and markup tokens)


def repeat_block(row: np.ndarray, rng: np.random.Generator, vocab_size: int) -> np.ndarray:
    """A block as long as `row` made of spans each written 2-4 times, taken from `row` or drawn at random."""
    length = len(row)
    if vocab_size <= 2 * FIRST_ID:
        raise ValueError(f"vocab_size {vocab_size} is too small for random spans (needs > {2 * FIRST_ID})")
    out: list[int] = []
    while len(out) < length:
        span_len = int(rng.integers(MIN_SPAN, max(MIN_SPAN + 1, min(MAX_SPAN, length // 2))))
        if rng.random() < RANDOM_SHARE or length <= span_len:
            span = rng.integers(FIRST_ID, vocab_size - FIRST_ID, span_len).tolist()
        else:
            start = int(rng.integers(0, length - span_len))
            span = row[start:start + span_len].tolist()
        out += span * int(rng.integers(2, MAX_COPIES + 1))
    return np.asarray(out[:length], dtype=row.dtype)


def mix_repeats(batch: np.ndarray, fraction: float, seed: tuple[int, ...], vocab_size: int) -> np.ndarray:
    """Replace about `fraction` of the rows of `batch` with repeat blocks; deterministic under `seed`."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"copy fraction must be in [0, 1], got {fraction}")
    if fraction == 0:
        return batch
    rng = np.random.default_rng(list(seed))
    rows = [repeat_block(row, rng, vocab_size) if rng.random() < fraction else row for row in batch]
    return np.stack(rows)
