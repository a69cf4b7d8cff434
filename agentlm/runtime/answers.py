"""Answer extraction, normalisation and majority voting (self-consistency).

    extract_answer("Step 1: 3 * 4 = 12\\nAnswer: 12")   -> "12"
    normalize_answer("$1,200.50")                      -> "1200.5"
    vote(["12", "12.0", "13"])                          -> Vote(winner="12", counts={"12": 2, "13": 1}, ...)
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from agentlm.model.protocol import final_answer

_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_CITATION_RE = re.compile(r"\s*\[\d+\]")
_ARTICLES = {"a", "an", "the"}
_PUNCT = set(string.punctuation) | set("，。！？；：、“”‘’（）《》")


def extract_answer(text: str) -> str:
    """The final answer of a reasoning path: the last `Answer:` line, else the last number, else the text."""
    found = final_answer(text)
    if found is not None:
        return found
    numbers = _NUMBER_RE.findall(text)
    if numbers:
        return numbers[-1]
    return text.strip()


def normalize_answer(answer: str) -> str:
    """A canonical form for voting and exact match: numbers as plain decimals, text casefolded.

    "$1,200.50" -> "1200.5", "12.0 km" -> "12", "The Eiffel Tower." -> "eiffel tower".
    """
    text = unicodedata.normalize("NFKC", answer).strip()
    text = _CITATION_RE.sub("", text)
    numbers = _NUMBER_RE.findall(text)
    if len(numbers) == 1 and _mostly_number(text, numbers[0]):
        try:
            value = Decimal(numbers[0].replace(",", ""))
        except InvalidOperation:
            value = None
        if value is not None:
            normal = value.normalize()
            return format(normal, "f") if normal == normal.to_integral() or abs(normal.as_tuple().exponent) < 30 \
                else str(normal)
    words = "".join(" " if ch in _PUNCT else ch for ch in text.casefold()).split()
    kept = [w for w in words if w not in _ARTICLES]
    return " ".join(kept if kept else words)  # a lone "A" (a multiple-choice letter) stays


def _mostly_number(text: str, number: str) -> bool:
    """True when the text is a number with at most a short unit or currency around it ("$12", "12 km")."""
    rest = text.replace(number, "", 1)
    return len(re.sub(r"\s", "", rest)) <= 6


@dataclass
class Vote:
    """The outcome of a majority vote over normalised answers."""

    winner: str | None
    counts: dict[str, int] = field(default_factory=dict)
    paths: int = 0

    @property
    def shares(self) -> dict[str, float]:
        return {a: round(c / self.paths, 4) for a, c in self.counts.items()} if self.paths else {}

    def settled(self, total: int) -> bool:
        """True when no outcome of the `total - paths` paths still to sample can change the winner."""
        if not self.counts:
            return False
        ranked = sorted(self.counts.values(), reverse=True)
        runner_up = ranked[1] if len(ranked) > 1 else 0
        return ranked[0] - runner_up > total - self.paths

    def to_dict(self) -> dict:
        return {"winner": self.winner, "counts": dict(self.counts), "shares": self.shares, "paths": self.paths}


def vote(answers: list[str]) -> Vote:
    """Majority vote over normalised answers; ties go to the answer seen first. Empty answers do not vote."""
    normal = [normalize_answer(a) for a in answers]
    counts = Counter(a for a in normal if a)
    if not counts:
        return Vote(None, {}, len(answers))
    best = max(counts.values())
    winner = next(a for a in normal if counts.get(a) == best)
    return Vote(winner, dict(counts.most_common()), len(answers))
