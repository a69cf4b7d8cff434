"""The tool registry: tools by name, their schemas, and `call`, which validates, runs with a timeout and
turns every failure into an error result (it never raises)."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import enum
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agentlm.plugins.schema import ArgumentError
from agentlm.plugins.tool import Tool, ToolError, tool

logger = logging.getLogger("agentlm.plugins")

DEFAULT_TIMEOUT = 30.0


@dataclass
class ToolResult:
    """The outcome of one tool call. `content` is what the model reads: a str result as-is, other results
    as compact JSON, errors as `{"error": "..."}`. `arguments` is the parsed dict (the raw text if unparsable)."""

    name: str
    arguments: dict[str, Any] | str
    content: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0


def to_content(value: Any) -> str:
    """The text the model sees for a tool's return value."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "model_dump"):  # pydantic models
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def error_text(exc: BaseException) -> str:
    """The message of a failed call: a ToolError's or ValueError's own text, otherwise `Type: text`."""
    if isinstance(exc, ToolError | ValueError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _run_with_timeout(func: Callable[[], Any], seconds: float, name: str) -> tuple[bool, Any]:
    """(finished, result or exception) of `func()` run in a daemon thread; (False, None) on timeout."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            value = func()
            box["value"] = asyncio.run(value) if inspect.iscoroutine(value) else value
        except BaseException as exc:  # noqa: BLE001 - reported as an error result, whatever it is
            box["error"] = exc

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target,), name=f"agentlm-tool-{name}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return False, None
    return True, box.get("error", box.get("value"))


class ToolRegistry(Mapping[str, Tool]):
    """Tools by name. `call(name, arguments)` is the one way the agent runs a tool."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = (), *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._tools: dict[str, Tool] = {}
        self._origins: dict[str, str] = {}
        for t in tools:
            self.add(t)

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({self.names()})"

    def add(self, new: Tool | Callable[..., Any], origin: str = "") -> Tool:
        """Register a tool (a plain function is wrapped with `@tool`); a tool of the same name is replaced
        with a warning."""
        if not isinstance(new, Tool):
            if not callable(new) or isinstance(new, type):
                raise TypeError(f"not a tool: {new!r}")
            new = tool(new)
        old = self._tools.get(new.name)
        if old is not None and old is not new:
            logger.warning("tool %r from %s replaces the one from %s", new.name, origin or "code",
                           self._origins.get(new.name) or "code")
        self._tools[new.name] = new
        self._origins[new.name] = origin
        return new

    def names(self) -> list[str]:
        """The tool names, in registration order."""
        return list(self._tools)

    def origin(self, name: str) -> str:
        """Where a tool came from (a module, a file or an entry point), as given to `add`."""
        return self._origins.get(name, "")

    def schemas(self) -> list[dict[str, Any]]:
        """The OpenAI schemas of all tools, for the chat template."""
        return [t.schema() for t in self._tools.values()]

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry with only these tools (KeyError naming the unknown ones)."""
        names = list(names)
        if unknown := [n for n in names if n not in self._tools]:
            raise KeyError(f"unknown tools {unknown}; available: {', '.join(self._tools)}")
        sub = ToolRegistry(timeout=self.timeout)
        for n in names:
            sub.add(self._tools[n], self._origins[n])
        return sub

    def setup(self, context: Mapping[str, Any]) -> None:
        """Give every tool the agent's context (e.g. `{"index": ...}`); a failing setup is logged, not raised."""
        for t in self._tools.values():
            try:
                t.setup(context)
            except Exception as exc:
                logger.warning("setup of tool %r failed: %s", t.name, error_text(exc))

    def call(self, name: str, arguments: Mapping[str, Any] | str | None = None, *,
             timeout: float | None = None) -> ToolResult:
        """Run tool `name` with `arguments` (a dict or a JSON object string). Never raises: problems (unknown
        tool, bad arguments, an exception, a timeout) come back as a result with `ok=False`."""
        start = time.perf_counter()

        def failed(args: dict[str, Any] | str, message: str) -> ToolResult:
            logger.info("tool %s failed: %s", name, message)
            content = json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":"))
            return ToolResult(name, args, content, False, message, time.perf_counter() - start)

        try:
            args = _parse_arguments(arguments)
        except ValueError as exc:
            return failed(arguments if isinstance(arguments, str) else {}, str(exc))
        found = self._tools.get(name)
        if found is None:
            return failed(args, f"unknown tool {name!r}; available tools: {', '.join(self._tools) or 'none'}")
        try:
            kwargs = found.validate(args)
        except ArgumentError as exc:
            return failed(args, f"invalid arguments for {name}: {exc}")
        except Exception as exc:
            return failed(args, f"invalid arguments for {name}: {error_text(exc)}")
        limit = timeout or found.timeout or self.timeout
        finished, value = _run_with_timeout(lambda: found.run(**kwargs), limit, name)
        if not finished:
            return failed(args, f"{name} timed out after {limit:g} s")
        if isinstance(value, BaseException):
            return failed(args, error_text(value))
        try:
            content = to_content(value)
        except Exception as exc:
            return failed(args, f"{name} returned a result that cannot be shown: {error_text(exc)}")
        if isinstance(value, dict) and set(value) == {"error"}:  # a tool that reports its own error
            return ToolResult(name, args, content, False, str(value["error"]), time.perf_counter() - start)
        return ToolResult(name, args, content, True, None, time.perf_counter() - start)


def _parse_arguments(arguments: Mapping[str, Any] | str | None) -> dict[str, Any]:
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ValueError(f"arguments are not valid JSON: {exc}") from None
    if not isinstance(arguments, Mapping):
        raise ValueError(f"arguments must be a JSON object, got {type(arguments).__name__}")
    return dict(arguments)
