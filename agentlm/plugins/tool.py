"""What a tool is: the `Tool` base class (for tools with state) and the `@tool` decorator (for functions).

The schema the model sees comes from the code: the name, the first paragraph of the docstring as the
description, and the parameters from the type hints and the docstring's `Args:` section.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, overload

from pydantic import TypeAdapter

from agentlm.plugins.schema import function_parameters, parse_docstring, schema_validator, validate_arguments

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")  # what OpenAI accepts as a function name


class ToolError(Exception):
    """Raise this from a tool to fail with a message for the model (the result is `{"error": message}`)."""


class Tool:
    """A tool with state. Subclasses set `name` and `description` and implement `run(self, **kwargs)`;
    the parameters come from `run`'s signature and docstring unless `parameters` (a JSON schema) is given.
    `setup(context)` is called by the agent before use (e.g. `context["index"]`, an open retrieval index)."""

    name: str = ""
    description: str = ""
    parameters: dict[str, Any] | None = None  # JSON schema of the arguments; None: from run()
    timeout: float | None = None  # seconds per call; None: the registry's default
    _validator: TypeAdapter | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        explicit = cls.__dict__.get("parameters")
        if explicit is not None:
            cls._validator = schema_validator(explicit)
        elif "run" in cls.__dict__:
            cls.parameters, cls._validator = function_parameters(cls.run, skip_first=True)
        if not cls.name:  # a subclass of a named tool keeps its name
            cls.name = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
        if not cls.description and "run" in cls.__dict__:
            cls.description = parse_docstring(cls.run.__doc__)[0] or parse_docstring(cls.__doc__)[0]
        if not _NAME.match(cls.name):
            raise TypeError(f"invalid tool name {cls.name!r}: use letters, digits, _ and - (at most 64)")

    def run(self, **kwargs: Any) -> Any:
        """Do the work; return a str, or anything JSON-serialisable. Raise ToolError to fail."""
        raise NotImplementedError(f"{type(self).__name__} must implement run()")

    def setup(self, context: Mapping[str, Any]) -> None:
        """Receive the agent's context before use (override if the tool needs it)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.run(*args, **kwargs)

    def schema(self) -> dict[str, Any]:
        """The OpenAI tool schema: `{"type": "function", "function": {name, description, parameters}}`."""
        params = copy.deepcopy(self.parameters) or {"type": "object", "properties": {}, "required": []}
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": params}}

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments checked against the schema (ArgumentError, a ValueError, if they do not fit)."""
        if "parameters" in self.__dict__ and "_validator" not in self.__dict__:  # parameters set on the instance
            self._validator = schema_validator(self.parameters or {})
        if self._validator is None:
            self._validator = schema_validator(self.parameters or {})
        names = list((self.parameters or {}).get("properties", {}))
        return validate_arguments(self._validator, arguments, names)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class FunctionTool(Tool):
    """A tool made from a function by `@tool`; calling it calls the function."""

    def __init__(self, func: Callable[..., Any], *, name: str | None = None, description: str | None = None,
                 timeout: float | None = None) -> None:
        functools.update_wrapper(self, func)
        self.func = func
        self.name = name or func.__name__
        if not _NAME.match(self.name):
            raise TypeError(f"invalid tool name {self.name!r}: use letters, digits, _ and - (at most 64)")
        self.description = description if description is not None else parse_docstring(func.__doc__)[0]
        self.timeout = timeout
        self.parameters, self._validator = function_parameters(func)

    def run(self, **kwargs: Any) -> Any:
        return self.func(**kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


@overload
def tool(func: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(*, name: str | None = None, description: str | None = None,
         timeout: float | None = None) -> Callable[[Callable[..., Any]], FunctionTool]: ...
def tool(func: Callable[..., Any] | None = None, /, *, name: str | None = None, description: str | None = None,
         timeout: float | None = None) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Make a tool of a function: `@tool` or `@tool(name=..., description=..., timeout=seconds)`."""
    def wrap(f: Callable[..., Any]) -> FunctionTool:
        return FunctionTool(f, name=name, description=description, timeout=timeout)
    return wrap(func) if func is not None else wrap
