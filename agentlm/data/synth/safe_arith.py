"""Safe arithmetic: evaluate an expression by walking its Python AST (never `eval`), and format numbers.

Used by the calculator tool plugin (`tools/calculator.py`) and by the maths data generators, so the
calculator results the model sees in training are exactly what the tool returns at run time.

Allowed: numbers, `+ - * / // % **`, unary minus/plus, parentheses and the functions sqrt, abs, round,
min, max. `^`, `×` and `÷` are read as `**`, `*` and `/`. Anything else raises ValueError.

Time and memory are bounded by construction: characters outside a small set (quotes, brackets, colons, ...)
are refused before parsing, the text is at most MAX_LENGTH characters and MAX_DEPTH deep, and every number,
intermediate or final, is at most MAX_ABS in size (powers are checked before they are computed).
"""

from __future__ import annotations

import ast
import math
import operator
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

Number = int | float

MAX_LENGTH = 200  # characters in an expression
MAX_ABS = 1e15  # largest magnitude of any number, intermediate or final
MAX_EXPONENT = 100
MAX_DEPTH = 40  # nesting of the syntax tree
MAX_DECIMALS = 6

_ALLOWED = re.compile(r"[0-9A-Za-z_.,+\-*/%()^×÷ \t\n]*")  # letters for function names and 1e5
_PARSE_LOCK = threading.Lock()  # warnings.catch_warnings is not thread-safe

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def _sqrt(x: Number) -> float:
    if x < 0:
        raise ValueError("sqrt of a negative number")
    return math.sqrt(x)


def _round(x: Number, digits: Number = 0) -> Number:
    if not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ValueError("round() digits must be an integer from 0 to 10")
    return round(x) if digits == 0 else round(x, digits)


def _min(*args: Number) -> Number:
    return min(args)


def _max(*args: Number) -> Number:
    return max(args)


# name -> (function, smallest and largest number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Number], int, int]] = {
    "sqrt": (_sqrt, 1, 1), "abs": (abs, 1, 1), "round": (_round, 1, 2), "min": (_min, 1, 10), "max": (_max, 1, 10),
}


def _checked(value: Any) -> Number:
    """Reject non-real, non-finite and too-large results."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("result is not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("result is not a finite number")
    if abs(value) > MAX_ABS:
        raise ValueError(f"result too large (limit is {MAX_ABS:.0e})")
    return value


def _power(base: Number, exponent: Number) -> Number:
    """`base ** exponent`, refused before computing when the exponent or the result would be too big."""
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponent too large (limit is {MAX_EXPONENT})")
    if base == 0 and exponent < 0:
        raise ValueError("division by zero")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError("fractional power of a negative number")
    if base != 0 and exponent * math.log10(abs(base)) > math.log10(MAX_ABS):  # also 0.001 ** -100
        raise ValueError(f"result too large (limit is {MAX_ABS:.0e})")
    return base**exponent


def _eval(node: ast.AST, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise ValueError("expression nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ValueError(f"unsupported constant {node.value!r}: only numbers are allowed")
        return _checked(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _checked(_UNARY[type(node.op)](_eval(node.operand, depth + 1)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return _checked(_power(left, right))
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
            raise ValueError("division by zero")
        return _checked(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ValueError(f"only the functions {', '.join(FUNCTIONS)} can be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ValueError(f"unsupported function {name!r}; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ValueError("keyword arguments are not allowed")
        func, lo, hi = FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            raise ValueError(f"{name}() takes {lo} to {hi} arguments")
        return _checked(func(*(_eval(arg, depth + 1) for arg in node.args)))
    if isinstance(node, ast.Name):
        raise ValueError(f"unknown name {node.id!r}: only numbers and {', '.join(FUNCTIONS)} are allowed")
    raise ValueError(f"unsupported syntax: {type(node).__name__}")


def evaluate(expression: str) -> Number:
    """The value of an arithmetic `expression`; ValueError with a clear message if it is not allowed."""
    if not isinstance(expression, str):
        raise ValueError("expression must be a string")
    if len(expression) > MAX_LENGTH:
        raise ValueError(f"expression too long ({len(expression)} characters, limit is {MAX_LENGTH})")
    if bad := _ALLOWED.sub("", expression):
        raise ValueError(f"character {bad[0]!r} is not allowed: use numbers, + - * / // % ** ( ) and "
                         f"{', '.join(FUNCTIONS)}")
    text = expression.strip().replace("^", "**").replace("×", "*").replace("÷", "/")
    if not text:
        raise ValueError("empty expression")
    try:
        with _PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "1if 2else 3" warns before it fails as unsupported syntax
            tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ValueError(f"invalid expression: {expression!r}") from err
    try:
        return _eval(tree.body, 0)
    except (ArithmeticError, RecursionError) as err:  # a safety net: the checks above should catch these first
        raise ValueError(f"cannot evaluate {expression!r}: {err}") from err


def format_number(x: Number) -> str:
    """Canonical text of a number: integers without ".0", at most 6 decimals, no trailing zeros."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"not a number: {x!r}")
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    x = round(x, MAX_DECIMALS)
    if x.is_integer():
        return str(int(x))
    return f"{x:.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
