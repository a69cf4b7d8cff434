"""Supervised fine-tuning on chat data (TRL's SFTTrainer), loss on assistant tokens only.

On a CPU the LM head runs only on those tokens (`agentlm.train.sft_trainer`): the same loss, ~2x faster.

    cfg = SFTStageConfig(model="runs/pretrain", train_file="data/skills/train.jsonl", out_dir="runs/sft")
    result = run_sft(cfg)

`method` picks what is trained: the whole model ("full"), or a PEFT method: "lora", "ia3" (the (IA)^3
adapter), "prefix" (prefix tuning) or "prompt" (prompt tuning). LoRA and (IA)^3 are merged into the base
weights on save, so every stage writes a plain model directory; prefix and prompt tuning cannot be merged
and are saved as a PEFT adapter directory next to a copy of the base.

Any Hugging Face causal LM works. If its chat template cannot mark assistant tokens (no `{% generation %}`
block, e.g. SmolLM2), the model adopts AgentLM's template and control tokens (embeddings resized; with PEFT
the new token rows are trained too), so one protocol is learned everywhere. Markup such as `<tool_call>`
stays plain text in a foreign vocabulary: spelled with pieces the model already knows, it is learned in a
few steps, where a brand-new row barely moves at LoRA's learning rate.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerState

from agentlm.data.continuation import continuation_rows
from agentlm.data.validate import auto_epochs, ensure_valid
from agentlm.model.loading import load_model
from agentlm.model.tokenizer import CONTROL_TOKENS, END_TOKEN, PAD_TOKEN, chat_template
from agentlm.train.common import ProgressCallback, finish_model, trainer_arguments

PEFT_METHODS = ("full", "lora", "ia3", "prefix", "prompt")
# How examples become batches (transformers' `train_sampling_strategy`):
# - group_by_length: mega-batches of 50 batches sorted by length, walked in order; the least padding, but
#   consecutive steps see rows of one length (and so mostly one family);
# - batch_rebalance: every optimizer step a random `batch_size * grad_accum` examples, split by length into
#   `grad_accum` micro-batches (little padding when grad_accum > 1);
# - random: every batch a random `batch_size` examples.
SAMPLING = ("group_by_length", "batch_rebalance", "random")


@dataclass
class SFTStageConfig:
    model: Path                         # model dir (ours or any HF causal LM), or a .gguf file
    train_file: Path                    # OpenAI chat JSONL
    out_dir: Path
    eval_file: Path | None = None
    gguf_file: str | None = None
    method: str = "full"                # full | lora | ia3 | prefix | prompt
    epochs: float | str = "auto"        # a number, or "auto" (the OpenAI rule: target 3, clamped)
    lr: float = 1e-3
    batch_size: int = 16
    grad_accum: int = 1
    sampling: str = "group_by_length"   # one of SAMPLING (above)
    max_length: int = 512
    max_steps: int = -1
    lora_r: int = 16
    lora_alpha: int = 32
    virtual_tokens: int = 16            # prefix / prompt tuning
    precision: str = "auto"
    seed: int = 0
    max_examples: int | None = None     # use only the first N examples (quick runs)
    text_corpus: Path | None = None     # corpus dir to cut text-continuation rows from (keeps the LM alive)
    text_examples: int = 0              # how many continuation rows to mix in (agentlm.data.continuation)


class CausalRightPadding:
    """Drop the attention mask from right-padded batches.

    With padding on the right, a causal model never lets a real token see a pad, and the pads' labels are
    already -100; without an explicit mask, SDPA takes its fused causal kernel, about twice as fast on a CPU.
    """

    def __init__(self, collator) -> None:
        self.collator = collator

    def __call__(self, examples):
        batch = self.collator(examples)
        mask = batch.get("attention_mask")
        if mask is not None and bool((mask[:, :-1] >= mask[:, 1:]).all()):  # every row right-padded
            batch.pop("attention_mask")
            batch["position_ids"] = torch.arange(mask.shape[1]).expand_as(mask).clone()
        return batch


def load_chat_rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Read chat JSONL as rows TRL takes: `messages`, and `tools` as a JSON string (Arrow cannot hold
    schemas whose properties differ from row to row)."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            rows.append({"messages": [_clean_message(m) for m in row["messages"]],
                         "tools": json.dumps(row.get("tools") or [], ensure_ascii=False)})
            if limit and len(rows) >= limit:
                break
    return rows


def _clean_message(message: dict[str, Any]) -> dict[str, Any]:
    out = {"role": message["role"], "content": message.get("content") or ""}
    if message.get("tool_calls"):
        out["tool_calls"] = [{"type": "function", "function": {
            "name": c["function"]["name"], "arguments": _arguments(c["function"].get("arguments"))}}
            for c in message["tool_calls"]]
    return out


def _arguments(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments or {}, ensure_ascii=False)


def adopt_agentlm_template(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Give a foreign model AgentLM's chat template and control tokens; return the ids of added tokens.

    Each new control token starts as the mean embedding of the pieces that spelled it before, in the
    input embeddings and (when untied) the output head. Markup tokens are not added: they stay text.
    """
    vocab = tokenizer.get_vocab()
    new = [t for t in CONTROL_TOKENS if t not in vocab]
    spelling = {t: tokenizer(t, add_special_tokens=False)["input_ids"] for t in new}
    tokenizer.add_special_tokens({"additional_special_tokens": new}, replace_extra_special_tokens=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = PAD_TOKEN
    tokenizer.chat_template = chat_template()
    tokenizer.eos_token = END_TOKEN
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    new_ids = [tokenizer.convert_tokens_to_ids(t) for t in new]
    tables = {id(m.weight): m.weight for m in (model.get_input_embeddings(), model.get_output_embeddings())
              if m is not None}  # one table when tied
    with torch.no_grad():
        for token, token_id in zip(new, new_ids, strict=True):
            if not spelling[token]:  # nothing to start from: keep the resized row
                continue
            for weight in tables.values():
                weight[token_id] = weight[spelling[token]].mean(dim=0)
    model.config.eos_token_id = tokenizer.convert_tokens_to_ids(END_TOKEN)
    model.config.pad_token_id = tokenizer.pad_token_id
    return new_ids


def dequantized_for_training(model: PreTrainedModel) -> None:
    """A GGUF checkpoint is dequantized to float tensors on load but still flagged as quantized, which the
    Trainer refuses; the weights are plain floats, so drop the flag."""
    if getattr(model, "hf_quantizer", None) is not None and "gguf" in str(model.hf_quantizer.__class__).lower():
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config


def all_linear_lora(r: int, alpha: int, **extra: Any):
    """LoRA on every linear layer, no dropout: the LoRA of every AgentLM training stage."""
    from peft import LoraConfig, TaskType

    return LoraConfig(task_type=TaskType.CAUSAL_LM, r=r, lora_alpha=alpha, lora_dropout=0.0,
                      target_modules="all-linear", **extra)


def peft_config(cfg: SFTStageConfig, new_token_ids: list[int]):
    """The PEFT config for `cfg.method` (None for full fine-tuning)."""
    from peft import IA3Config, PrefixTuningConfig, PromptTuningConfig, TaskType

    if cfg.method not in PEFT_METHODS:
        raise ValueError(f"method must be one of {PEFT_METHODS}, got {cfg.method!r}")
    if cfg.method == "full":
        return None
    if cfg.method in ("prefix", "prompt") and new_token_ids:
        raise ValueError(f"{cfg.method} tuning cannot learn new tokens: use lora or full for this model")
    if cfg.method == "lora":
        # New control tokens need trainable embedding rows (and head rows, tied or not).
        extra = {"modules_to_save": ["embed_tokens", "lm_head"], "ensure_weight_tying": True} if new_token_ids else {}
        return all_linear_lora(cfg.lora_r, cfg.lora_alpha, **extra)
    if cfg.method == "ia3":
        return IA3Config(task_type=TaskType.CAUSAL_LM, target_modules=["k_proj", "v_proj", "down_proj"],
                         feedforward_modules=["down_proj"])
    if cfg.method == "prefix":
        return PrefixTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=cfg.virtual_tokens)
    return PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=cfg.virtual_tokens)


def run_sft(cfg: SFTStageConfig) -> dict[str, Any]:
    """Fine-tune `cfg.model` on `cfg.train_file`; write the model to `cfg.out_dir`; return the figures."""
    from trl import SFTConfig
    from trl.chat_template_utils import has_generation_markers

    from agentlm.train.sft_trainer import AssistantTokenSFTTrainer

    out = Path(cfg.out_dir)
    if cfg.text_examples and cfg.text_corpus is None:
        raise ValueError("text_examples needs text_corpus (a corpus dir with train.jsonl)")
    if cfg.sampling not in SAMPLING:
        raise ValueError(f"sampling must be one of {SAMPLING}, got {cfg.sampling!r}")
    ensure_valid(Path(cfg.train_file))  # refuse invalid data before loading anything heavy
    train_rows = load_chat_rows(Path(cfg.train_file), cfg.max_examples)
    if cfg.text_examples:
        train_rows += continuation_rows(Path(cfg.text_corpus), cfg.text_examples, seed=cfg.seed)
    eval_rows = load_chat_rows(Path(cfg.eval_file), 200) if cfg.eval_file else None
    epochs = auto_epochs(len(train_rows)) if cfg.epochs == "auto" else float(cfg.epochs)

    model, tokenizer = load_model(cfg.model, gguf_file=cfg.gguf_file, dtype="float32")
    dequantized_for_training(model)
    marked = has_generation_markers(tokenizer.chat_template or "")
    new_ids = [] if marked else adopt_agentlm_template(model, tokenizer)
    model.train()
    args = SFTConfig(**trainer_arguments(out, epochs=epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                                         grad_accum=cfg.grad_accum, max_steps=cfg.max_steps, seed=cfg.seed,
                                         precision=cfg.precision),
                     max_length=cfg.max_length, assistant_only_loss=True, packing=False,
                     train_sampling_strategy=cfg.sampling,
                     include_num_input_tokens_seen="non_padding",
                     eval_strategy="epoch" if eval_rows else "no", per_device_eval_batch_size=cfg.batch_size)
    log_path = out / "log.jsonl"
    trainer = AssistantTokenSFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(train_rows),
                                       eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
                                       processing_class=tokenizer, peft_config=peft_config(cfg, new_ids),
                                       callbacks=[progress := ProgressCallback(log_path, f"sft/{cfg.method}")])
    if cfg.method in ("full", "lora", "ia3"):  # prompt-learning methods build their own masks
        trainer.data_collator = CausalRightPadding(trainer.data_collator)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in trainer.model.parameters())
    resume = _last_checkpoint(out)
    tokens_before = TrainerState.load_from_json(str(Path(resume) / "trainer_state.json")).num_input_tokens_seen \
        if resume else 0
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - start  # this call's; progress.train_seconds adds the parts before a resume
    metrics = trainer.evaluate() if eval_rows else {}

    final = trainer.model
    if cfg.method in ("lora", "ia3"):
        final = final.merge_and_unload()
    result = {"stage": "sft", "method": cfg.method, "examples": len(train_rows),
              "text_examples": cfg.text_examples, "epochs": epochs,
              "trainable_parameters": trainable, "total_parameters": total,
              "train_seconds": round(progress.train_seconds, 1),
              "train_loss": trainer.state.log_history[-1].get("train_loss"),
              "eval_loss": metrics.get("eval_loss"), "tokens": trainer.state.num_input_tokens_seen,
              "tokens_per_second": round((trainer.state.num_input_tokens_seen - tokens_before) / max(seconds, 1e-9), 1),
              "resumed_at_tokens": tokens_before}
    record = {**result, "base_model": str(cfg.model), "config": cfg}
    if cfg.method in ("prefix", "prompt"):
        final.save_pretrained(out / "adapter")  # PEFT adapter (safetensors) over the base below
        model = final.get_base_model()
    else:
        model = final
    finish_model(model, tokenizer, out, record, log_path)
    print(json.dumps(result, indent=2))
    return result


def _last_checkpoint(out: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    ckpt_dir = out / "checkpoints"
    return get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None
