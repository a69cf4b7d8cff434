"""Tokenize a corpus once into flat token files, then serve packed fixed-length blocks.

A corpus directory holds `train.jsonl` and `val.jsonl` (one `{"text": ...}` per line). Tokens are
written next to it as `tokens-<tokenizer hash>/{train,val}.bin` (uint16 or uint32, documents joined
by the end-of-text token) so every run with the same tokenizer reuses them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

SPLITS = ("train", "val")


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """A short hash of the tokenizer's vocabulary and merges."""
    state = tokenizer.backend_tokenizer.to_str() if hasattr(tokenizer, "backend_tokenizer") else str(
        sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(state.encode()).hexdigest()[:12]


def _iter_texts(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{line_no}: expected a JSON object with a 'text' field ({e})") from e


def tokenize_corpus(corpus_dir: str | Path, tokenizer: PreTrainedTokenizerBase,
                    progress: bool = True, batch_docs: int = 256) -> Path:
    """Tokenize `train.jsonl` and `val.jsonl` of a corpus; return the token directory (cached)."""
    corpus_dir = Path(corpus_dir)
    for split in SPLITS:
        if not (corpus_dir / f"{split}.jsonl").is_file():
            raise FileNotFoundError(f"{corpus_dir / f'{split}.jsonl'} not found: build the corpus first "
                                    "(agentlm data build-corpus)")
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no eos_token: it is needed to separate documents")
    out = corpus_dir / f"tokens-{tokenizer_fingerprint(tokenizer)}"
    meta_path = out / "meta.json"
    if meta_path.is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    dtype = np.uint16 if len(tokenizer) <= 65535 else np.uint32
    meta: dict = {"dtype": np.dtype(dtype).name, "eos_token_id": eos, "vocab_size": len(tokenizer)}
    for split in SPLITS:
        src = corpus_dir / f"{split}.jsonl"
        tmp = out / f"{split}.bin.tmp"
        n_tokens = n_docs = n_bytes = 0
        bar = tqdm(total=src.stat().st_size, unit="B", unit_scale=True, desc=f"tokenize {split}",
                   disable=not progress)
        with tmp.open("wb") as f:
            batch: list[str] = []

            def flush(batch: list[str]) -> None:
                nonlocal n_tokens
                ids = tokenizer(batch, add_special_tokens=False, verbose=False)["input_ids"]
                flat = np.fromiter((t for doc in ids for t in (*doc, eos)), dtype=dtype)
                f.write(flat.tobytes())
                n_tokens += len(flat)
                batch.clear()

            for text in _iter_texts(src):
                batch.append(text)
                n_docs += 1
                size = len(text.encode("utf-8"))
                n_bytes += size
                bar.update(size)
                if len(batch) >= batch_docs:
                    flush(batch)
            if batch:
                flush(batch)
        bar.close()
        os.replace(tmp, out / f"{split}.bin")
        meta[split] = {"documents": n_docs, "tokens": n_tokens, "bytes": n_bytes,
                       "bytes_per_token": round(n_bytes / max(n_tokens, 1), 3)}
    tmp_meta = out / "meta.json.tmp"
    tmp_meta.write_text(json.dumps(meta, indent=2))
    os.replace(tmp_meta, meta_path)
    return out


class PackedBlocks:
    """Fixed-length blocks of `block_size + 1` tokens over a token file, in a seeded order.

    Sample `k` (counting from the start of training, across epochs) is a pure function of
    (seed, k): that is what makes a resumed run see exactly the data an uninterrupted one would.
    """

    def __init__(self, path: str | Path, block_size: int, dtype: str = "uint16", seed: int = 0):
        self.tokens = np.memmap(path, dtype=np.dtype(dtype), mode="r")
        self.block_size = block_size
        self.n_blocks = (len(self.tokens) - 1) // block_size
        if self.n_blocks < 1:
            raise ValueError(f"{path}: {len(self.tokens)} tokens is less than one block of {block_size + 1}")
        self.seed = seed
        self._orders: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.n_blocks

    def _order(self, epoch: int) -> np.ndarray:
        if epoch not in self._orders:
            self._orders = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n_blocks)}
        return self._orders[epoch]

    def block(self, index: int) -> np.ndarray:
        start = index * self.block_size
        return np.asarray(self.tokens[start:start + self.block_size + 1], dtype=np.int64)

    def sample(self, k: int) -> np.ndarray:
        """The k-th training sample in shuffled order."""
        epoch, pos = divmod(k, self.n_blocks)
        return self.block(int(self._order(epoch)[pos]))

    def batch(self, first: int, size: int) -> np.ndarray:
        return np.stack([self.sample(first + j) for j in range(size)])
