"""Repeated-span blocks: pretraining data that teaches a model to copy from its context.

A small model pretrained on a few million tokens of text does not learn to copy (no induction heads: it
predicts a repeated sequence no better than the first time it sees it), and an agent model that cannot copy
gets every tool argument, citation span and number wrong. Blocks in which spans appear several times make
copying the cheapest way to lower the loss; after a plateau, induction heads form (docs/posttrain.md). Two
layouts, one after the other:

    near:  A A A B B C C C C ...        spans of 16-47 tokens written 2-4 times back to back: the heads form
                                        here (steps 500-800 from the pretrained `small` model)
    far:   A B A C B D A ...            a new span or any span already written, at random: copies land 0 to
                                        500 tokens after their source, and the heads learn to reach that far

Three in four new spans are random token ids, the rest corpus text. Near blocks alone taught heads that copy
from at most ~48 tokens back, while a tool argument or a passage span sits 50-400 tokens before the reply that
copies it; far blocks alone formed no heads in 1,000 steps; near then far extends the reach in ~50 steps
(`induction_losses(..., gap=...)` measures it), yet SFT on that model came out worse, so near is the default and
the recipe's (docs/posttrain.md, post-training session 12).

`repeat_block(row, rng, vocab_size, far)` turns one packed block into such a block of the same length; the
pretraining loop swaps a share of its blocks (`PretrainConfig.copy_fraction`, all of them during
`copy_warmup_steps`, far ones from `copy_far_from` on) with a generator seeded by the sample index, so a
resumed run sees the same data.
"""

from __future__ import annotations

import numpy as np

MIN_SPAN, MAX_SPAN = 16, 48  # near blocks
MIN_FAR_SPAN = 8  # far blocks: shorter spans, closer to a name or a number
MAX_COPIES = 4  # near blocks write a span 2-4 times
REPEAT_SHARE = 0.5  # far blocks: share of spans that repeat an earlier span of the block
RANDOM_SHARE = 0.75  # random spans teach copying as such; corpus spans keep it close to text
FIRST_ID = 100  # random spans skip the lowest ids (special and markup tokens)


def _new_span(row: np.ndarray, rng: np.random.Generator, vocab_size: int, min_len: int) -> list[int]:
    """A random span (three in four) or a slice of `row`, `min_len` to MAX_SPAN - 1 tokens."""
    length = len(row)
    span_len = int(rng.integers(min_len, max(min_len + 1, min(MAX_SPAN, length // 2))))
    if rng.random() < RANDOM_SHARE or length <= span_len:
        return rng.integers(FIRST_ID, vocab_size - FIRST_ID, span_len).tolist()
    start = int(rng.integers(0, length - span_len))
    return row[start:start + span_len].tolist()


def repeat_block(row: np.ndarray, rng: np.random.Generator, vocab_size: int, far: bool = False) -> np.ndarray:
    """A block as long as `row` in which spans repeat: back to back (`far=False`), or a new span or a copy of
    any earlier one, in random order (`far=True`)."""
    if vocab_size <= 2 * FIRST_ID:
        raise ValueError(f"vocab_size {vocab_size} is too small for random spans (needs > {2 * FIRST_ID})")
    out: list[int] = []
    written: list[list[int]] = []
    while len(out) < len(row):
        if not far:
            out += _new_span(row, rng, vocab_size, MIN_SPAN) * int(rng.integers(2, MAX_COPIES + 1))
        elif written and rng.random() < REPEAT_SHARE:
            out += written[int(rng.integers(len(written)))]  # any earlier span: near or far
        else:
            written.append(_new_span(row, rng, vocab_size, MIN_FAR_SPAN))
            out += written[-1]
    return np.asarray(out[:len(row)], dtype=row.dtype)


def mix_repeats(batch: np.ndarray, fraction: float, seed: tuple[int, ...], vocab_size: int, far: bool = False
                ) -> np.ndarray:
    """Replace about `fraction` of the rows of `batch` with repeat blocks (far or near); deterministic under
    `seed`."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"copy fraction must be in [0, 1], got {fraction}")
    if fraction == 0:
        return batch
    rng = np.random.default_rng(list(seed))
    rows = [repeat_block(row, rng, vocab_size, far) if rng.random() < fraction else row for row in batch]
    return np.stack(rows)
