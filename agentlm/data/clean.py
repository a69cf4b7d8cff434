"""Text normalisation, quality filters and script-based language detection.

``normalize`` makes text comparable (NFKC that leaves Chinese punctuation alone, no control
characters, tidy whitespace); ``split_long`` cuts long documents on paragraph boundaries;
``QualityFilters`` drops junk and counts what each filter removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

# Full-width punctuation (，（）：；！？ ...) and CJK compatibility ideographs: NFKC would turn them
# into ASCII punctuation or other code points, which changes Chinese text. Full-width letters
# and digits (ＡＢＣ１２３) are still folded to ASCII.
_NFKC_KEEP = re.compile(
    "([\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u3000\uf900-\ufaff\U0002f800-\U0002fa1f]+)"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")
_OVERSTRIKE = re.compile(r".\x08")  # "_\bX" (underline) and "X\bX" (bold) in fortunes and nroff output
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline
_RUNS = re.compile(r"([^\w\s])\1{3,}")  # "────────", "=======", "*****" rules and borders


def nfkc(text: str) -> str:
    """NFKC normalisation that keeps full-width CJK punctuation and compatibility ideographs."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts = _NFKC_KEEP.split(text)
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def normalize(text: str) -> str:
    """NFKC, no control characters or ANSI escapes, no trailing spaces, at most one blank line.

    Leading indentation is kept (tabs become 4 spaces); runs of spaces inside a line become one;
    runs of one repeated symbol (rules, table borders) are cut to three.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _OVERSTRIKE.sub("", _ANSI.sub("", text))
    text = _CONTROL.sub("", nfkc(text.replace("\t", "    ")))
    text = _RUNS.sub(r"\1\1\1", text)
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        lines.append(" " * indent + _SPACES.sub(" ", body).rstrip() if body.strip() else "")
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def split_long(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_chars``, on paragraph, then line, then any boundary."""
    if len(text) <= max_chars:
        return [text]
    for sep in ("\n\n", "\n", " ", ""):
        if sep and sep not in text:
            continue
        pieces, buf = [], ""
        units = text.split(sep) if sep else [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
        for unit in units:
            if len(unit) > max_chars:  # this unit needs a finer separator
                break
            if buf and len(buf) + len(sep) + len(unit) > max_chars:
                pieces.append(buf)
                buf = unit
            else:
                buf = buf + sep + unit if buf else unit
        else:
            return [p for p in pieces + [buf] if p.strip()]
    return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]


# --- language -----------------------------------------------------------------------------------


def is_cjk(c: str) -> bool:
    """Han ideographs (CJK unified, extension A, compatibility)."""
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


_KANA_HANGUL = re.compile("[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")
_EN_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "with",
        "be",
        "on",
        "by",
        "this",
        "are",
        "or",
        "an",
        "not",
        "from",
        "at",
        "which",
        "you",
        "can",
        "if",
        "was",
        "all",
        "will",
        "has",
        "have",
        "use",
        "used",
        "when",
        "its",
        "one",
        "this",
        "these",
        "other",
        "more",
        "may",
        "should",
    ]
)


def detect_lang(text: str) -> str:
    """``zh``, ``en`` or ``other`` from the script mix (no model).

    ``zh``: at least as many Han characters as Latin words (a Han character carries about as much
    as a word; man pages mix both) and little kana/hangul.
    ``en``: mostly ASCII letters and at least 5% of words are common English function words.
    """
    sample = text[:20_000]
    han = sum(1 for c in sample if is_cjk(c))
    letters = sum(1 for c in sample if c.isalpha())
    if letters == 0:
        return "other"
    kana = len(_KANA_HANGUL.findall(sample))
    words = re.findall(r"[A-Za-z]+", sample)
    if han and han >= len(words) and kana < 0.05 * han:
        return "zh"
    ascii_letters = sum(1 for c in sample if c.isascii() and c.isalpha())
    function_words = sum(w.lower() in _EN_WORDS for w in words)
    if ascii_letters >= 0.8 * letters and words and function_words >= 0.05 * len(words):
        return "en"
    return "other"


# --- quality filters ----------------------------------------------------------------------------

_PUNCT_OK = set(".,;:!?'\"()[]-/—–…，。、；：！？“”‘’（）《》「」『』【】·%")


def alpha_ratio(text: str) -> float:
    """Share of non-space characters that are letters (any script, CJK included)."""
    chars = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in chars) / max(len(chars), 1)


def symbol_ratio(text: str) -> float:
    """Share of non-space characters that are neither letters, digits nor common punctuation."""
    chars = [c for c in text if not c.isspace()]
    return sum(not c.isalnum() and c not in _PUNCT_OK for c in chars) / max(len(chars), 1)


def mean_line_length(text: str) -> float:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    return sum(len(ln.strip()) for ln in lines) / max(len(lines), 1)


def repeated_line_ratio(text: str) -> float:
    """Share of characters (in non-empty lines) that sit in lines repeating an earlier line."""
    seen: set[str] = set()
    total = repeated = 0
    for line in text.split("\n"):
        line = line.strip()
        total += len(line)
        if line in seen:
            repeated += len(line)
        seen.add(line)
    return repeated / max(total, 1)


@dataclass
class FilterStat:
    docs: int = 0
    chars: int = 0


@dataclass
class QualityFilters:
    """Document filters applied in order; the first that fails removes the document."""

    min_chars: int = 200
    min_alpha: float = 0.5
    max_symbols: float = 0.3
    min_mean_line: float = 8.0
    max_mean_line: float = 5_000.0
    max_repeated_lines: float = 0.3
    stats: dict[str, FilterStat] = field(default_factory=dict)

    def checks(self) -> list[tuple[str, Callable[[str], bool]]]:
        """(name, passes) pairs, in the order they are applied."""
        return [
            ("too_short", lambda t: len(t) >= self.min_chars),
            ("low_alpha", lambda t: alpha_ratio(t) >= self.min_alpha),
            ("symbols", lambda t: symbol_ratio(t) <= self.max_symbols),
            ("line_length", lambda t: self.min_mean_line <= mean_line_length(t) <= self.max_mean_line),
            ("repeated_lines", lambda t: repeated_line_ratio(t) <= self.max_repeated_lines),
        ]

    def __call__(self, text: str) -> str | None:
        """Name of the first filter that rejects ``text`` (and count it), or None if it passes."""
        for name, passes in self.checks():
            if not passes(text):
                stat = self.stats.setdefault(name, FilterStat())
                stat.docs += 1
                stat.chars += len(text)
                return name
        return None
