"""Built-in tool: a safe calculator. The arithmetic is `agentlm.data.synth.safe_arith`, shared with the data
generators, so the results the model saw in training are exactly what this tool returns."""

from __future__ import annotations

from agentlm.data.synth.safe_arith import evaluate, format_number
from agentlm.plugins import tool


@tool(timeout=5)
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression

    Numbers, + - * / // % ** (or ^), parentheses and sqrt, abs, round, min, max; never `eval`. Integers come
    back without ".0", decimals with at most 6 places ("12.5", "0.333333"). Errors (a name, a string, a huge
    power, division by zero, ...) raise ValueError, which the agent sees as {"error": "..."}.

    Args:
        expression: Arithmetic expression, e.g. (12.5 + 3) * 4
    """
    return format_number(evaluate(expression))
