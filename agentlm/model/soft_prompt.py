"""Decoding through PEFT prompt-learning adapters (prompt tuning, prefix tuning) as a KV cache.

`PeftModel.generate` decodes such models wrongly with transformers 5: prompt tuning's virtual tokens are lost
after the first step when the KV cache is on (huggingface/peft#1391, #2123), and prefix tuning garbles rows that
are left-padded in a batch. Both adapters amount to keys and values for `k` virtual positions in front of the
prompt, so we build exactly that cache once per call (prompt tuning: the base model run over the learned
embeddings; prefix tuning: the adapter's own key/value prefix) and let the plain base model decode after it,
with `k` placeholder ids in front of the prompt so positions and masks line up as in training.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class VirtualPrefix:
    """The base model to decode with, and the cache of the adapter's virtual tokens for `rows` rows."""

    base: Any
    cache: Any
    tokens: int
    cache_kwarg: str  # "cache" (transformers >= 5.x) or "past_key_values"


def prompt_learning_tokens(model: Any) -> int:
    """How many virtual tokens a PEFT prompt-learning adapter puts in front of every prompt (0 for other models)."""
    config = getattr(model, "active_peft_config", None)
    if config is None or not getattr(config, "is_prompt_learning", False):
        return 0
    return int(config.num_virtual_tokens)


@torch.no_grad()
def virtual_prefix(model: Any, rows: int) -> VirtualPrefix:
    """The cache of the virtual tokens of `model`, a prompt-learning adapter, for `rows` rows."""
    tokens = prompt_learning_tokens(model)
    kind = model.active_peft_config.peft_type.value
    if kind not in ("PROMPT_TUNING", "PREFIX_TUNING"):
        raise ValueError(f"decoding with a {kind} adapter is not supported; use prompt or prefix tuning, or LoRA")
    base = model.get_base_model()
    prompt = model.get_prompt(batch_size=rows)
    cache_kwarg = "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"
    if kind == "PROMPT_TUNING":  # learned input embeddings: run them through the model once
        mask = torch.ones(rows, tokens, dtype=torch.long, device=base.device)
        out = base(inputs_embeds=prompt.to(base.dtype), attention_mask=mask, use_cache=True)
        cache = out.cache if cache_kwarg == "cache" else out.past_key_values
    else:  # prefix tuning: the adapter holds keys and values already
        cache = prompt
    return VirtualPrefix(base, cache, tokens, cache_kwarg)


def generate_after_prefix(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                          kwargs: dict) -> torch.Tensor | None:
    """`model.generate` for a prompt-learning adapter: the prompt ids plus new ids, like a plain model returns.

    None when `model` has no virtual tokens (the caller then uses `model.generate`). Every row is expanded here
    (`num_return_sequences`), since generate does not expand a cache it is given.
    """
    if not prompt_learning_tokens(model):
        return None
    if (kwargs.get("num_beams") or 1) > 1:
        raise ValueError("beam search is not supported for prompt- or prefix-tuned adapters; use greedy or sampling")
    n = int(kwargs.get("num_return_sequences") or 1)
    if n > 1:
        input_ids, attention_mask = input_ids.repeat_interleave(n, 0), attention_mask.repeat_interleave(n, 0)
    prefix = virtual_prefix(model, input_ids.shape[0])
    rows, k = input_ids.shape[0], prefix.tokens
    placeholders = torch.full((rows, k), kwargs["pad_token_id"], dtype=input_ids.dtype, device=input_ids.device)
    ones = torch.ones(rows, k, dtype=attention_mask.dtype, device=attention_mask.device)
    kwargs = {**kwargs, "num_return_sequences": 1, prefix.cache_kwarg: prefix.cache}
    output = prefix.base.generate(input_ids=torch.cat([placeholders, input_ids], 1),
                                  attention_mask=torch.cat([ones, attention_mask], 1), **kwargs)
    return output[:, k:]
