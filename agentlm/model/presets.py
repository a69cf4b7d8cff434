"""Architecture presets: plain Hugging Face configs (Llama, Mixtral) sized for a 2-core CPU.

Every preset is a stock `transformers` architecture (RoPE, RMSNorm, SwiGLU, tied embeddings),
so a checkpoint saved with `save_pretrained` loads in vLLM and converts for llama.cpp unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import LlamaConfig, MixtralConfig, PretrainedConfig


@dataclass(frozen=True)
class Preset:
    """Shape of a model; `vocab_size` comes from the tokenizer at build time."""

    name: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    context: int = 512
    num_experts: int = 0  # > 0 makes a Mixture-of-Experts (Mixtral) model
    experts_per_token: int = 2
    description: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("tiny", 96, 2, 4, 2, 256, 256, description="~1M parameters, for tests"),
        Preset("small", 256, 6, 8, 4, 704, 512, description="~7M parameters, minutes per epoch on a CPU"),
        Preset("base", 384, 10, 6, 2, 1024, 512, description="~20M parameters, the default model's size"),
        Preset("moe", 256, 4, 8, 4, 512, 512, num_experts=4, experts_per_token=2,
               description="Mixtral-style MoE, 4 experts top-2, ~10M parameters (~6M active)"),
    ]
}


def build_config(preset: str | Preset, vocab_size: int, *, eos_token_id: int | None = None,
                 pad_token_id: int | None = None, **overrides) -> PretrainedConfig:
    """Return the `transformers` config for a preset and a tokenizer's vocabulary size."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    common = dict(
        vocab_size=vocab_size,
        hidden_size=p.hidden_size,
        num_hidden_layers=p.num_layers,
        num_attention_heads=p.num_heads,
        num_key_value_heads=p.num_kv_heads,
        intermediate_size=p.intermediate_size,
        max_position_embeddings=p.context,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        hidden_act="silu",
        initializer_range=0.02,
        bos_token_id=None,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
    )
    common.update(overrides)
    if p.num_experts:
        return MixtralConfig(num_local_experts=p.num_experts, num_experts_per_tok=p.experts_per_token,
                             router_aux_loss_coef=0.01, output_router_logits=True, **common)
    return LlamaConfig(attention_bias=False, mlp_bias=False, **common)


def preset_names() -> list[str]:
    return list(PRESETS)
