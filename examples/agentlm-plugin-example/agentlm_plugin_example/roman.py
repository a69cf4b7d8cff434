"""Roman numeral tools: both directions, 1 to 3999."""

from __future__ import annotations

import re

from agentlm.plugins import ToolError, tool

_VALUES = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")


@tool
def to_roman(number: int) -> str:
    """Write a whole number from 1 to 3999 in Roman numerals

    Args:
        number: The number, e.g. 2024
    """
    if not 1 <= number <= 3999:
        raise ToolError(f"Roman numerals go from 1 to 3999, got {number}")
    out = []
    for value, letters in _VALUES:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


@tool
def from_roman(numeral: str) -> int:
    """Read a Roman numeral as a number

    Args:
        numeral: The Roman numeral, e.g. MMXXIV
    """
    text = numeral.strip().upper()
    if not text or not _ROMAN.fullmatch(text):
        raise ToolError(f"not a Roman numeral: {numeral!r}")
    total, i = 0, 0
    for value, letters in _VALUES:
        while text.startswith(letters, i):
            total, i = total + value, i + len(letters)
    return total
