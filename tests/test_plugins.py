"""The plugin core: schemas from type hints and docstrings, the Tool class, and ToolRegistry.call."""

from __future__ import annotations

import enum
import json
import logging
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

import pytest

from agentlm.plugins import ArgumentError, Tool, ToolError, ToolRegistry, ToolResult, tool

ROOT = Path(__file__).resolve().parents[1]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@tool
def paint(wall: str, coats: int = 2, colour: Colour = Colour.RED, finish: Literal["matt", "gloss"] = "matt",
          area_m2: float | None = None, rooms: list[str] | None = None, extras: dict | None = None,
          primer: bool = False) -> dict[str, Any]:
    """Paint a wall

    Longer notes for people
    are not shown to the model.

    Args:
        wall: Which wall, e.g. north
            (continued on the next line).
        coats (int): How many coats
        colour: Paint colour
        finish: Surface finish
    """
    return {"wall": wall, "coats": coats, "colour": colour, "finish": finish, "area": area_m2, "rooms": rooms,
            "primer": primer, "note": "墙"}


def test_function_schema_from_hints_and_docstring() -> None:
    assert paint.schema() == {"type": "function", "function": {
        "name": "paint", "description": "Paint a wall",
        "parameters": {"type": "object", "required": ["wall"], "properties": {
            "wall": {"type": "string", "description": "Which wall, e.g. north (continued on the next line)."},
            "coats": {"type": "integer", "description": "How many coats", "default": 2},
            "colour": {"type": "string", "enum": ["red", "blue"], "description": "Paint colour", "default": "red"},
            "finish": {"type": "string", "enum": ["matt", "gloss"], "description": "Surface finish",
                       "default": "matt"},
            "area_m2": {"type": "number"},
            "rooms": {"type": "array", "items": {"type": "string"}},
            "extras": {"type": "object"},
            "primer": {"type": "boolean", "default": False}}}}}
    assert paint("north")["coats"] == 2  # still an ordinary function


def test_decorator_with_options() -> None:
    @tool(name="add-numbers", description="Add two numbers", timeout=3)
    def add(a: int, b: int) -> int:
        """Ignored summary."""
        return a + b

    assert (add.name, add.description, add.timeout) == ("add-numbers", "Add two numbers", 3)
    assert add(2, 3) == 5
    assert ToolRegistry([add]).call("add-numbers", {"a": 2, "b": "3"}).content == "5"
    with pytest.raises(TypeError, match="invalid tool name"):
        tool(name="has space")(lambda: None)


def test_unsupported_hint_is_an_error_at_definition() -> None:
    with pytest.raises(TypeError, match="unsupported parameter type"):
        @tool
        def bad(x: threading.Lock) -> None:
            """Bad."""


class Counter(Tool):
    """A stateful tool."""

    name = "counter"
    description = "Count calls"

    def __init__(self) -> None:
        self.count = 0
        self.context: dict[str, Any] = {}

    def setup(self, context: dict[str, Any]) -> None:
        self.context = dict(context)

    def run(self, step: int = 1, label: str = "") -> dict[str, Any]:
        """Add to the counter.

        Args:
            step: How much to add
            label: A label
        """
        self.count += step
        return {"count": self.count, "label": label, "index": self.context.get("index")}


class ExplicitSchema(Tool):
    name = "lookup"
    description = "Look a code up"
    parameters = {"type": "object", "properties": {
        "code": {"type": "string", "enum": ["A", "B"]}, "n": {"type": "integer"}}, "required": ["code"]}

    def run(self, **kwargs: Any) -> str:
        return f"{kwargs['code']}:{kwargs.get('n', 0)}"


class GuessMyName(Tool):
    def run(self, text: str) -> str:
        """Echo a text.

        Args:
            text: Anything
        """
        return text


def test_tool_class_schema_setup_and_state() -> None:
    counter = Counter()
    assert counter.schema()["function"] == {"name": "counter", "description": "Count calls", "parameters": {
        "type": "object", "required": [], "properties": {
            "step": {"type": "integer", "description": "How much to add", "default": 1},
            "label": {"type": "string", "description": "A label", "default": ""}}}}
    registry = ToolRegistry([counter])
    registry.setup({"index": "my-index"})
    assert registry.call("counter", {}).content == '{"count":1,"label":"","index":"my-index"}'
    assert json.loads(registry.call("counter", '{"step": 5}').content)["count"] == 6
    assert GuessMyName.name == "guess_my_name" and GuessMyName.description == "Echo a text."

    class BigCounter(Counter):
        def run(self, step: int = 10, label: str = "") -> dict[str, Any]:
            return super().run(step, label)

    assert BigCounter.name == "counter" and BigCounter().schema()["function"]["parameters"]["properties"]["step"] == {
        "type": "integer", "default": 10}
    schema = counter.schema()
    schema["function"]["parameters"]["properties"].clear()  # callers get a copy
    assert counter.schema()["function"]["parameters"]["properties"]


def test_explicit_parameters_are_validated() -> None:
    registry = ToolRegistry([ExplicitSchema()])
    assert registry["lookup"].schema()["function"]["parameters"]["required"] == ["code"]
    assert registry.call("lookup", {"code": "B", "n": "7"}).content == "B:7"
    bad = registry.call("lookup", {"code": "C"})
    assert not bad.ok and "argument 'code'" in bad.error and "'A'" in bad.error
    assert "missing argument 'code'" in registry.call("lookup", {"n": 1}).error


def test_call_results_and_json_content() -> None:
    registry = ToolRegistry([paint])
    result = registry.call("paint", {"wall": "north", "colour": "blue", "rooms": ["hall"]})
    assert isinstance(result, ToolResult) and result.ok and result.error is None and result.seconds >= 0
    assert result.name == "paint" and result.arguments == {"wall": "north", "colour": "blue", "rooms": ["hall"]}
    assert result.content == ('{"wall":"north","coats":2,"colour":"blue","finish":"matt","area":null,'
                              '"rooms":["hall"],"primer":false,"note":"墙"}')  # compact, not ASCII-escaped


@pytest.mark.parametrize(("arguments", "message"), [
    ({}, "missing argument 'wall'"),
    ({"wall": 3}, "argument 'wall': input should be a valid string, got 3"),
    ({"wall": "x", "coats": "many"}, "argument 'coats': input should be a valid integer"),
    ({"wall": "x", "finish": "satin"}, "argument 'finish'"),
    ({"wall": "x", "colour": "green"}, "argument 'colour'"),
    ({"wall": "x", "rooms": "hall"}, "argument 'rooms'"),
    ({"wall": "x", "height": 3}, "unknown argument 'height' (expected: wall, coats, colour, finish"),
    ('{"wall": "x",', "arguments are not valid JSON"),
    ("[1, 2]", "arguments must be a JSON object, got list"),
])
def test_bad_arguments_give_clear_errors(arguments: Any, message: str) -> None:
    result = ToolRegistry([paint]).call("paint", arguments)
    assert not result.ok and message in result.error
    assert json.loads(result.content) == {"error": result.error}


def test_arguments_are_converted_like_json() -> None:
    seen: dict[str, Any] = {}

    @tool
    def record(n: int, x: float, flag: bool, colour: Colour) -> str:
        """Record values."""
        seen.update(n=n, x=x, flag=flag, colour=colour)
        return "ok"

    assert ToolRegistry([record]).call("record", {"n": "4", "x": 2, "flag": "true", "colour": "blue"}).ok
    assert seen == {"n": 4, "x": 2.0, "flag": True, "colour": Colour.BLUE}
    with pytest.raises(ArgumentError, match="missing argument 'n'"):
        record.validate({"x": 1, "flag": True, "colour": "red"})


def test_unknown_tool_lists_the_available_ones() -> None:
    result = ToolRegistry([paint, Counter()]).call("paint_wall", {"wall": "x"})
    assert not result.ok and result.error == "unknown tool 'paint_wall'; available tools: paint, counter"


def test_exceptions_become_error_results() -> None:
    @tool
    def fails(kind: str) -> str:
        """Fail in different ways."""
        if kind == "tool":
            raise ToolError("city not found: Dnever")
        if kind == "value":
            raise ValueError("division by zero")
        if kind == "exit":
            raise SystemExit(3)
        return str({}["missing"])

    registry = ToolRegistry([fails])
    result = registry.call("fails", {"kind": "tool"})
    assert (result.ok, result.content) == (False, '{"error":"city not found: Dnever"}')  # as in the training data
    assert registry.call("fails", {"kind": "value"}).error == "division by zero"
    assert registry.call("fails", {"kind": "key"}).error == "KeyError: 'missing'"
    assert registry.call("fails", {"kind": "exit"}).error == "SystemExit: 3"


def test_error_dict_results_and_odd_return_values() -> None:
    @tool
    def odd(kind: str) -> Any:
        """Return odd things."""
        return {"error": "not found: X"} if kind == "error" else {"colour": Colour.RED, "when": time.gmtime(0)[:3]}

    registry = ToolRegistry([odd])
    error = registry.call("odd", {"kind": "error"})
    assert not error.ok and error.error == "not found: X" and error.content == '{"error":"not found: X"}'
    assert registry.call("odd", {"kind": "other"}).content == '{"colour":"red","when":[1970,1,1]}'


def test_timeout_returns_an_error_without_waiting() -> None:
    release = threading.Event()

    @tool(timeout=0.2)
    def slow() -> str:
        """Take a long time."""
        release.wait(10)
        return "done"

    registry = ToolRegistry([slow])
    start = time.perf_counter()
    result = registry.call("slow", {})
    elapsed = time.perf_counter() - start
    release.set()
    assert not result.ok and result.error == "slow timed out after 0.2 s" and 0.15 < elapsed < 1.5
    assert ToolRegistry([slow]).call("slow", {}, timeout=2).content == "done"  # released: finishes in time


def test_async_tools_run_too() -> None:
    import asyncio

    @tool
    async def later(x: int) -> int:
        """Add one, asynchronously."""
        await asyncio.sleep(0.01)
        return x + 1

    assert ToolRegistry([later]).call("later", {"x": 1}).content == "2"


def test_registry_mapping_subset_and_overrides(caplog: pytest.LogCaptureFixture) -> None:
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    registry = ToolRegistry([paint, Counter()])
    added = registry.add(shout)  # a plain function is wrapped
    assert added.name == "shout" and registry.names() == ["paint", "counter", "shout"] and len(registry) == 3
    assert "shout" in registry and registry["shout"] is added
    assert [s["function"]["name"] for s in registry.schemas()] == ["paint", "counter", "shout"]
    sub = registry.subset(["shout", "paint"])
    assert sub.names() == ["shout", "paint"] and sub.call("shout", {"text": "hi"}).content == "HI"
    with pytest.raises(KeyError, match="unknown tools"):
        registry.subset(["nope"])
    with caplog.at_level(logging.WARNING, logger="agentlm.plugins"):
        registry.add(tool(name="paint")(shout), "my_plugin.py")
    assert "'paint' from my_plugin.py replaces" in caplog.text
    assert registry.call("paint", {"text": "x"}).content == "X"
    with pytest.raises(TypeError):
        registry.add(Counter)  # a class, not a tool


def test_failing_setup_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Fragile(Tool):
        name = "fragile"
        description = "Needs an index"

        def setup(self, context: dict[str, Any]) -> None:
            raise KeyError("index")

        def run(self) -> str:
            return "ok"

    registry = ToolRegistry([Fragile()])
    with caplog.at_level(logging.WARNING, logger="agentlm.plugins"):
        registry.setup({})
    assert "setup of tool 'fragile' failed" in caplog.text


def test_lazy_top_level_exports_keep_import_light() -> None:
    import agentlm

    assert agentlm.tool is tool and agentlm.Tool is Tool
    with pytest.raises(AttributeError):
        agentlm.no_such_name  # noqa: B018
    code = ("import sys, agentlm; from agentlm import tool, Tool; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_readme_examples_produce_the_documented_schema() -> None:
    text = (ROOT / "tools" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict[str, Any] = {}
    exec(blocks[0], namespace)  # the function example
    exec(blocks[1], namespace)  # the class example
    documented = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    assert namespace["shipping_cost"].schema() == documented
    assert namespace["shipping_cost"](2.5) == {"cost_eur": 6.5}
    assert namespace["SearchNotes"]().schema()["function"]["parameters"]["required"] == ["query"]
