"""n sampled continuations of ONE prompt, decoded as a batch that shrinks as paths finish.

The prompt is encoded once and its KV cache copied to n rows; every step samples one token per live row, and a
row that ends (a stop token or stop string) leaves the batch and the cache. A call therefore costs one prefill
and, per step, only the compute of the paths still writing, where `model.generate` keeps every row (padding
the finished ones) until the longest path ends and encodes the prompt n times.

    tokens, finished = sample_shared_prefix(model, input_ids, n=8, max_new_tokens=256,
                                            warper=NucleusWarper(0.8, 0, 0.95), stop_ids=[2], decode=tok.decode)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import LogitsProcessor, PreTrainedModel, RepetitionPenaltyLogitsProcessor

from agentlm.model.constrained import GrammarLogitsProcessor


def supports_shared_prefix(model: PreTrainedModel) -> bool:
    """Plain causal LMs only: PEFT prompt-learning wrappers add virtual tokens this loop does not know about."""
    return not hasattr(model, "peft_config") and hasattr(model, "forward")


@torch.no_grad()
def sample_shared_prefix(
    model: PreTrainedModel,
    input_ids: torch.Tensor,
    n: int,
    max_new_tokens: int,
    warper: LogitsProcessor,
    stop_ids: list[int],
    decode: Callable[[list[int]], str],
    stop: list[str] | None = None,
    repetition_penalty: float = 1.0,
    stop_when: Callable[[list[str]], bool] | None = None,
    grammar: GrammarLogitsProcessor | None = None,
) -> tuple[list[list[int]], list[bool]]:
    """Sample `n` continuations of the single prompt `input_ids` (shape [1, L]).

    A `grammar` (one grammar row per sample) masks what each row may write next.
    Returns each row's new token ids (ending with its stop token when it stopped on one) and whether the row
    finished. `stop_when(finished_texts)` is asked whenever rows finish; True ends the call, leaving the other
    rows unfinished. Draws from torch's global RNG (seed it, or fork it, around the call).
    """
    if input_ids.dim() != 2 or input_ids.shape[0] != 1:
        raise ValueError(f"sample_shared_prefix takes one prompt of shape [1, L], got {tuple(input_ids.shape)}")
    device, prompt_len = model.device, input_ids.shape[1]
    stop_set, stop = set(stop_ids), list(stop or [])
    penalty = RepetitionPenaltyLogitsProcessor(repetition_penalty) if repetition_penalty != 1.0 else None

    out = model(input_ids=input_ids.to(device), use_cache=True, logits_to_keep=1)
    cache = out.past_key_values
    if n > 1:
        cache.batch_repeat_interleave(n)
    logits = out.logits[:, -1, :].float().expand(n, -1)
    seqs = input_ids.to(device).expand(n, -1) if penalty else None
    live = list(range(n))  # batch position -> row id
    tokens: list[list[int]] = [[] for _ in range(n)]
    texts: dict[int, str] = {}  # finished row -> its text (decoded only when `stop_when` needs it)
    fired = False
    for step in range(max_new_tokens):
        scores = penalty(seqs, logits) if penalty else logits
        if grammar is not None:
            scores = grammar.mask(scores.clone(), live)
        next_ids = torch.multinomial(warper(None, scores).softmax(-1), 1).squeeze(1)
        keep = []
        for j, row in enumerate(live):
            token = int(next_ids[j])
            tokens[row].append(token)
            if grammar is not None:
                grammar.accept(row, token)
            if token in stop_set:
                texts[row] = decode(tokens[row][:-1]) if stop_when is not None else ""
            elif stop and any(s in (text := decode(tokens[row])) for s in stop):
                texts[row] = text
            else:
                keep.append(j)
        if not keep or step == max_new_tokens - 1:
            break
        if stop_when is not None and len(keep) < len(live) and stop_when(list(texts.values())):
            fired = True
            break
        if seqs is not None:
            seqs = torch.cat([seqs, next_ids[:, None]], dim=1)
        if len(keep) < len(live):
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            next_ids = next_ids[index]
            seqs = seqs[index] if seqs is not None else None
            live = [live[j] for j in keep]
        positions = torch.full((len(live), 1), prompt_len + step, device=device)
        out = model(input_ids=next_ids[:, None], past_key_values=cache, position_ids=positions, use_cache=True)
        logits = out.logits[:, -1, :].float()
    return tokens, [not fired or row in texts for row in range(n)]  # after a vote, live rows are partial
