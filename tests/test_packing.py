"""Tokenizing a corpus into token files and serving packed blocks in a seeded order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agentlm.data.packing import PackedBlocks, tokenize_corpus
from agentlm.model.tokenizer import load_tokenizer


def test_tokenize_corpus_joins_documents_with_eos_and_is_cached(small_corpus: Path, small_tokenizer: Path) -> None:
    tok = load_tokenizer(small_tokenizer)
    token_dir = tokenize_corpus(small_corpus, tok, progress=False)
    meta = json.loads((token_dir / "meta.json").read_text())
    val = np.fromfile(token_dir / "val.bin", dtype=meta["dtype"])
    docs = [json.loads(line)["text"] for line in (small_corpus / "val.jsonl").open()]
    assert meta["val"]["documents"] == len(docs) == int((val == tok.eos_token_id).sum())
    first = val[: int(np.argmax(val == tok.eos_token_id))]
    assert tok.decode(first.tolist()) == docs[0]
    assert meta["train"]["bytes_per_token"] > 1.5
    mtime = (token_dir / "train.bin").stat().st_mtime_ns
    assert tokenize_corpus(small_corpus, tok, progress=False) == token_dir
    assert (token_dir / "train.bin").stat().st_mtime_ns == mtime


def test_bad_corpus_lines_are_reported_with_line_numbers(small_tokenizer: Path, tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text('{"text": "ok"}\n{"txt": "wrong key"}\n')
    (tmp_path / "val.jsonl").write_text('{"text": "ok"}\n')
    with pytest.raises(ValueError, match=r"train.jsonl:2"):
        tokenize_corpus(tmp_path, load_tokenizer(small_tokenizer), progress=False)
    with pytest.raises(FileNotFoundError, match="build-corpus"):
        tokenize_corpus(tmp_path / "missing", load_tokenizer(small_tokenizer), progress=False)


def test_packed_blocks_order_is_a_seeded_permutation_per_epoch(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    np.arange(1001, dtype=np.uint16).tofile(path)
    blocks = PackedBlocks(path, block_size=10, seed=3)
    assert len(blocks) == 100
    epoch0 = [int(blocks.sample(k)[0]) // 10 for k in range(100)]
    epoch1 = [int(blocks.sample(k)[0]) // 10 for k in range(100, 200)]
    assert sorted(epoch0) == sorted(epoch1) == list(range(100)) and epoch0 != epoch1
    again = PackedBlocks(path, block_size=10, seed=3)
    assert [int(again.sample(k)[0]) for k in (5, 150, 7)] == [int(blocks.sample(k)[0]) for k in (5, 150, 7)]
    assert blocks.batch(0, 4).shape == (4, 11)
    assert np.array_equal(blocks.block(2), np.arange(20, 31))
    with pytest.raises(ValueError, match="less than one block"):
        PackedBlocks(path, block_size=5000)
