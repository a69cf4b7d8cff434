"""Text-continuation chat rows cut from the pretraining corpus.

Mixed into SFT, they keep the model's language modelling alive: a full fine-tune on agent-protocol data
alone overwrites what pretraining learned (bits per byte on held-out text went from 2.14 to 4.65).

    rows = continuation_rows(Path("data/corpus"), 2000, seed=0)   # chat rows: user = text start, assistant = the rest
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from agentlm.data.corpus import iter_corpus_texts

INSTRUCTIONS_EN = ["Continue this text:", "Continue the following passage.", "Keep writing from here:",
                   "What comes next in this document?", "Carry on with this text:"]
INSTRUCTIONS_ZH = ["请接着写下去：", "续写下面这段文字。", "接下来的内容是什么？"]


def _is_chinese(text: str) -> bool:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text[:200]) > 20


def _cut(text: str, start: int, length: int, chinese: bool) -> tuple[str, int]:
    """`text[start:start+length]` moved to end on a space or line break (any character for Chinese)."""
    end = min(len(text), start + length)
    if not chinese and end < len(text):
        space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        end = space if space > start + length // 2 else end
    return text[start:end].strip(), end


def continuation_rows(corpus_dir: Path, n: int, seed: int = 0, prompt_chars: int = 300,
                      reply_chars: int = 600, split: str = "train") -> list[dict[str, Any]]:
    """`n` chat rows: a user message with an instruction and the start of a corpus passage, and the
    passage's continuation as the assistant reply. Deterministic under `seed`; rows use the SFT row shape
    (`messages`, `tools` as a JSON string)."""
    if n <= 0:
        return []
    need = prompt_chars + reply_chars // 2
    texts = [t for t in iter_corpus_texts(Path(corpus_dir), split) if len(t) * (3 if _is_chinese(t) else 1) >= need]
    if not texts:
        raise ValueError(f"no corpus text in {corpus_dir}/{split}.jsonl is long enough for continuation rows")
    rng = random.Random(seed)
    rows = []
    while len(rows) < n:
        text = rng.choice(texts)
        chinese = _is_chinese(text)
        scale = 3 if chinese else 1  # a Chinese character carries about three English characters' worth
        start = rng.randrange(0, max(1, len(text) - (prompt_chars + reply_chars) // scale))
        if not chinese and start:
            line = text.find("\n", start)
            start = line + 1 if 0 <= line < start + 200 else start
        prompt, end = _cut(text, start, prompt_chars // scale, chinese)
        reply, _ = _cut(text, end, reply_chars // scale, chinese)
        if len(prompt) < 40 // scale or len(reply) < 40 // scale:
            continue
        instruction = rng.choice(INSTRUCTIONS_ZH if chinese else INSTRUCTIONS_EN)
        rows.append({"messages": [{"role": "user", "content": f"{instruction}\n\n{prompt}"},
                                  {"role": "assistant", "content": reply}],
                     "tools": json.dumps([])})
    return rows
