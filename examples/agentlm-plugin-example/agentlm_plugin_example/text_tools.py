"""A text statistics tool."""

from __future__ import annotations

import re

from agentlm.plugins import tool


@tool
def word_count(text: str) -> dict[str, int]:
    """Count the words, sentences and characters of a text

    Args:
        text: The text to count
    """
    words = re.findall(r"\w+(?:['’-]\w+)*", text)
    sentences = [s for s in re.split(r"[.!?。！？]+", text) if s.strip()]
    return {"words": len(words), "sentences": len(sentences), "characters": len(text)}
