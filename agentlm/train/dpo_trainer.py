"""TRL's DPOTrainer with the LM head applied only to the reply tokens: the same loss, faster on a CPU.

TRL scores the chosen and rejected replies through a fused LM head. On CUDA its Triton kernel projects only
the reply positions; on a CPU it projects every position (the prompt's system message and tool schemas
included) and recomputes those logits in the backward pass. This trainer swaps in a head that projects the
labelled positions once, for the policy and the reference model alike, and returns the same fields
(`agentlm.train.sft_trainer` does the same for SFT).
"""

from __future__ import annotations

import types

import torch
from torch import nn
from trl import DPOTrainer
from trl.trainer.utils import FusedCausalLMOutput

from agentlm.train.sft_trainer import backbone_and_head


def add_compact_log_prob_head(model: nn.Module) -> None:
    """Make `model(..., labels=labels, fused_lm_head=True)` project only positions whose next-token label is set.

    Returns TRL's `FusedCausalLMOutput` (per-token log-probabilities, entropy, mean logit, top-1 flag and
    log-sum of squared probabilities, zero where there is no label). Any other call keeps `model.forward`.
    """
    fallback = model.forward

    def forward(self, *args, fused_lm_head=False, labels=None, shift_labels=None, num_items_in_batch=None,
                **kwargs):
        if not fused_lm_head or shift_labels is not None or kwargs.get("output_router_logits"):
            return fallback(*args, fused_lm_head=fused_lm_head, labels=labels, shift_labels=shift_labels,
                            num_items_in_batch=num_items_in_batch, **kwargs)
        backbone, head = backbone_and_head(self)
        kwargs["use_cache"] = False
        hidden = backbone(*args, **kwargs).last_hidden_state[:, :-1]
        labels = labels[:, 1:]
        mask = labels != -100
        logits = head(hidden[mask]).float()
        targets = labels[mask]
        log_softmax = logits.log_softmax(dim=-1)
        picked = log_softmax.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            probs = log_softmax.exp()
            fields = {"entropy": -(probs * log_softmax).sum(-1), "mean_logits": logits.mean(-1),
                      "is_top1": logits.argmax(-1) == targets,  # the first maximum, as TRL's kernel counts it
                      "log_sum_sq_probs": torch.logsumexp(2 * log_softmax, dim=-1)}

        def spread(values: torch.Tensor) -> torch.Tensor:  # back to (batch, positions), zero where unlabelled
            return values.new_zeros(mask.shape).masked_scatter(mask, values)

        count = mask.sum().clamp(min=1) if num_items_in_batch is None else num_items_in_batch
        log_probs = spread(picked)
        return FusedCausalLMOutput(loss=-log_probs.sum() / count, log_probs=log_probs, label_mask=mask,
                                   **{k: spread(v) for k, v in fields.items()})

    model.forward = types.MethodType(forward, model)


class CompactHeadDPOTrainer(DPOTrainer):
    """`DPOTrainer` whose policy and reference score only the reply tokens through the LM head.

    Applies to single-process CPU training of plain causal LMs (LoRA included); anything else keeps TRL's head.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        if (self.accelerator.num_processes == 1 and next(policy.parameters()).device.type == "cpu"
                and not self.aux_loss_enabled and backbone_and_head(self.model) is not None):
            add_compact_log_prob_head(policy)
            if self.ref_model is not None and backbone_and_head(self.ref_model) is not None:
                add_compact_log_prob_head(self.ref_model)
