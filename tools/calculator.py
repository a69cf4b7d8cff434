"""Built-in tool plugin: a safe calculator (the arithmetic itself lives in agentlm.data.synth.safe_arith)."""

from __future__ import annotations

from agentlm.data.synth.safe_arith import evaluate, format_number

__all__ = ["calculator", "format_number"]


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Supports numbers, + - * / // % ** (or ^), parentheses and the functions sqrt, abs, round, min and max.
    Integers come back without ".0" and decimals rounded to at most 6 places, e.g. "12.5" or "0.333333".

    Args:
        expression: The arithmetic expression, e.g. "(12.5 + 3) * 4".

    Raises:
        ValueError: if the expression is not plain arithmetic, too long, too large, or divides by zero.
    """
    return format_number(evaluate(expression))
