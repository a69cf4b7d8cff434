"""TRL's SFTTrainer with the LM head applied only where the loss is: the same loss, faster on a CPU.

TRL's fused LM head scores only the labelled positions on CUDA (a Triton kernel), but on a CPU it projects
every position through the vocabulary. With the loss on assistant tokens only, that is mostly wasted work:
in AgentLM's skill data 21% of the positions carry a label. Projecting just those gives the same loss and
gradients (largest difference 2e-6 on the shipped model) in half the time per training step on the 2-core
reference machine (1.96x, `benchmarks/sft_throughput.py`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from trl import SFTTrainer

# Config fields that change the logits after the LM head; a model with any of them keeps TRL's path.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier",
                     "logits_scaling")


def backbone_and_head(model: nn.Module) -> tuple[nn.Module, nn.Module] | None:
    """The transformer body and the LM head of a plain causal LM (LoRA/(IA)^3 layers included), or None when
    the logits need more than `head(hidden)` (prompt learning, soft-capping, logit scales)."""
    peft_configs = getattr(model, "peft_config", None) or {}
    if any(getattr(c, "is_prompt_learning", False) for c in peft_configs.values()):
        return None
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config.get_text_config()
    if any(getattr(config, name, None) is not None for name in _LOGIT_TRANSFORMS):
        return None
    backbone, head = base.base_model, base.get_output_embeddings()
    if backbone is base or head is None:
        return None
    return backbone, head


class AssistantTokenSFTTrainer(SFTTrainer):
    """`SFTTrainer` whose training loss projects only the labelled positions through the LM head.

    Used for single-process CPU training; anything else (evaluation, DDP, CUDA, label smoothing, MoE, prompt
    learning) goes through TRL's own `compute_loss`. Logs the same `entropy` and `mean_token_accuracy`.
    """

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        parts = backbone_and_head(model) if self._compact_applies(model, return_outputs) else None
        if parts is None:
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)
        backbone, head = parts
        labels = inputs["labels"][:, 1:]
        body_inputs = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask", "position_ids")}
        hidden = backbone(**body_inputs, use_cache=False).last_hidden_state[:, :-1]
        scored = labels != -100
        log_probs = head(hidden[scored]).float().log_softmax(dim=-1)  # once, for the loss and the metrics
        targets = labels[scored]
        count = scored.sum() if num_items_in_batch is None else num_items_in_batch
        loss = F.nll_loss(log_probs, targets, reduction="sum") / torch.as_tensor(count).clamp(min=1)
        self._log_token_metrics(log_probs.detach(), targets, inputs)
        return loss

    def _compact_applies(self, model: nn.Module, return_outputs: bool) -> bool:
        return (model.training and not return_outputs and self.accelerator.num_processes == 1
                and next(model.parameters()).device.type == "cpu" and not self.aux_loss_enabled
                and self.label_smoother is None and self.compute_loss_func is None and self.args.loss_type == "nll")

    def _log_token_metrics(self, log_probs: torch.Tensor, targets: torch.Tensor, inputs: dict) -> None:
        """What TRL logs per step: mean entropy and top-1 accuracy over the labelled tokens, tokens seen."""
        n = max(targets.numel(), 1)
        with torch.no_grad():
            entropy = -(log_probs.exp() * log_probs).sum(dim=-1).sum()
            correct = (log_probs.argmax(dim=-1) == targets).sum()
        self._metrics["train"]["entropy"].append(entropy.item() / n)
        self._metrics["train"]["mean_token_accuracy"].append(correct.item() / n)
        if "attention_mask" in inputs:
            self._total_train_tokens += int(inputs["attention_mask"].sum())
        else:  # right-padded batch without a mask (CausalRightPadding): TRL counts one row's positions
            self._total_train_tokens += int(inputs["position_ids"].size(1))
        self._metrics["train"]["num_tokens"] = [self._total_train_tokens]
