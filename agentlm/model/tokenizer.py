"""Byte-level BPE tokenizer: train, save, load, measure; and the chat template it carries.

Lossless by construction: no normalizer, all 256 bytes in the initial alphabet, digits split one by one,
and the ByteLevel decoder inverts the ByteLevel pre-tokenizer, so `decode(encode(text)) == text` for any
text (English, Chinese, emoji, code, runs of spaces, tabs and newlines).

The tokens in `SPECIAL_TOKENS` are added tokens: each is always one id, never split or merged.
`CONTROL_TOKENS` (turn markers, end of text, padding) are *special*, so `skip_special_tokens=True`
drops them when decoding; `MARKUP_TOKENS` (`<tool_call>`, `<think>`, ...) are added but not special,
so they survive that decode and the runtime can parse tool calls and reasoning from it.

Text that merely *contains* such a string, e.g. a user typing "<|end|>", is encoded to the token itself
and decodes back to the same string (still lossless), but a model reads it as a real marker. To encode
untrusted text as plain bytes, use `apply_chat_template(..., sanitize_control_tokens=True)` (covers all
of them), or `tokenizer(text, split_special_tokens=True)` (covers the control tokens only).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

CONTROL_TOKENS: list[str] = [
    "<|endoftext|>",
    "<|pad|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|tool|>",
    "<|end|>",
]
MARKUP_TOKENS: list[str] = [
    "<tool_call>",
    "</tool_call>",
    "<tool_result>",
    "</tool_result>",
    "<think>",
    "</think>",
    "<tools>",
    "</tools>",
]
SPECIAL_TOKENS: list[str] = CONTROL_TOKENS + MARKUP_TOKENS
EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"
END_TOKEN = "<|end|>"  # ends every chat turn
MODEL_MAX_LENGTH = 1024


def _batches(texts: Iterable[str], size: int = 1000) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def chat_template() -> str:
    """The Jinja chat template shipped with the package (`chat_template.jinja`)."""
    return resources.files("agentlm.model").joinpath("chat_template.jinja").read_text(encoding="utf-8")


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = 8192, min_frequency: int = 2, out_dir: Path | None = None
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE of exactly `vocab_size` ids (special tokens included); save it if `out_dir`."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(MARKUP_TOKENS),  # markup tokens are appended after training
        min_frequency=min_frequency,
        special_tokens=CONTROL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=True,
    )
    length = len(texts) if hasattr(texts, "__len__") else None
    start = time.perf_counter()
    tok.train_from_iterator(_batches(texts), trainer=trainer, length=length)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP_TOKENS])
    print(f"trained tokenizer: {tok.get_vocab_size()} tokens in {time.perf_counter() - start:.1f}s")

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        unk_token=None,
        extra_special_tokens=CONTROL_TOKENS[2:],  # listed in all_special_tokens / all_special_ids
        model_max_length=MODEL_MAX_LENGTH,
        clean_up_tokenization_spaces=False,  # cleanup would eat spaces before punctuation: not lossless
        chat_template=chat_template(),
    )
    if out_dir is not None:
        fast.save_pretrained(str(out_dir))
    return fast


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a saved tokenizer (ours or any Hugging Face one); never runs remote code."""
    return AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)


def bytes_per_token(tokenizer: PreTrainedTokenizerFast, texts: Iterable[str]) -> float:
    """UTF-8 bytes per token over `texts` (higher is better compression)."""
    n_bytes = n_tokens = 0
    for batch in _batches(texts, 256):
        n_bytes += sum(len(t.encode("utf-8")) for t in batch)
        ids = tokenizer(batch, add_special_tokens=False, verbose=False)["input_ids"]
        n_tokens += sum(len(x) for x in ids)
    return n_bytes / max(n_tokens, 1)


def stop_token_ids(tokenizer: PreTrainedTokenizerFast) -> list[int]:
    """Ids generation must stop on: the end of a turn (`<|end|>`) and the end of text (EOS)."""
    ids = [tokenizer.convert_tokens_to_ids(END_TOKEN), tokenizer.eos_token_id]
    unk = tokenizer.unk_token_id
    return list(dict.fromkeys(i for i in ids if i is not None and i != unk))
