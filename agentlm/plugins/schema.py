"""Tool schemas: the JSON schema of a function's parameters (from type hints and a Google-style docstring),
and argument validation against it (pydantic, lax like JSON: "5" is accepted for an integer)."""

from __future__ import annotations

import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Returns?|Yields?|Raises|Examples?|Notes?|"
                      r"Attributes|See Also|Warnings?|Todo)\s*:\s*$")
_ARG_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_JSON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "null": type(None)}


class ArgumentError(ValueError):
    """The arguments of a tool call do not match its schema."""


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) of a Google-style docstring; the description is the first
    paragraph, parameters come from the `Args:` section."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()):
            break
        summary.append(line.strip())
    params: dict[str, str] = {}
    section, current, indent = None, None, None
    for line in lines:
        stripped = line.strip()
        if not line.startswith((" ", "\t")) and _SECTION.match(stripped):
            section, current, indent = _SECTION.match(stripped).group(1), None, None
            continue
        if section not in ("Args", "Arguments", "Parameters", "Params", "Keyword Args") or not stripped:
            continue
        level = len(line) - len(line.lstrip())
        if level == 0 and indent:  # dedented text ends the section
            section = None
            continue
        match = _ARG_LINE.match(stripped)
        if match and (indent is None or level <= indent):
            indent, current = level, match.group(1)
            params[current] = match.group(2).strip()
        elif current:  # continuation line
            params[current] = f"{params[current]} {stripped}".strip()
    return " ".join(summary), params


def type_schema(tp: Any) -> dict[str, Any]:
    """The JSON schema of a Python type hint (str, int, float, bool, list[...], dict, Literal, Enum, Optional)."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any or tp is inspect.Parameter.empty:
        return {}
    if origin is typing.Annotated:
        return type_schema(args[0])
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return type_schema(options[0])
        return {"anyOf": [type_schema(a) for a in options]}
    if origin is Literal:
        return _enum_schema(list(args))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_schema([member.value for member in tp])
    for py, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (type(None), "null")):
        if tp is py:
            return {"type": name}
    container = origin or tp
    if isinstance(container, type) and issubclass(container, Mapping):
        schema: dict[str, Any] = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            schema["additionalProperties"] = type_schema(args[1])
        return schema
    if isinstance(container, type) and issubclass(container, Sequence | set | frozenset) and container is not str:
        schema = {"type": "array"}
        if args and args[0] is not Any:
            schema["items"] = type_schema(args[0])
        return schema
    try:  # anything else pydantic knows (datetime, BaseModel, ...)
        schema = TypeAdapter(tp).json_schema()
    except Exception as err:
        raise TypeError(f"unsupported parameter type {tp!r}") from err
    schema.pop("title", None)
    return schema


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    kinds = {type_schema(type(v)).get("type") for v in values}
    return {"type": kinds.pop(), "enum": values} if len(kinds) == 1 else {"enum": values}


def function_parameters(func: Callable[..., Any], doc: str | None = None,
                        skip_first: bool = False) -> tuple[dict[str, Any], TypeAdapter]:
    """The JSON schema (`{"type": "object", ...}`) of `func`'s parameters and a validator for them."""
    _, described = parse_docstring(doc if doc is not None else func.__doc__)
    hints = typing.get_type_hints(func, include_extras=True)
    params = list(inspect.signature(func).parameters.values())[1 if skip_first else 0:]
    properties: dict[str, Any] = {}
    required: list[str] = []
    fields: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        hint = hints.get(p.name, Any)
        prop = type_schema(hint)
        if p.name in described and described[p.name]:
            prop["description"] = described[p.name]
        if p.default is p.empty:
            required.append(p.name)
            fields[p.name] = Required[hint]
        else:
            if p.default is not None and _is_json(p.default):
                prop["default"] = p.default.value if isinstance(p.default, enum.Enum) else p.default
            fields[p.name] = NotRequired[hint]
        properties[p.name] = prop
    schema = {"type": "object", "properties": properties, "required": required}
    return schema, _adapter(fields)


def schema_validator(parameters: Mapping[str, Any]) -> TypeAdapter:
    """A validator for an explicit JSON schema of parameters (types, enums, required; nested values loosely)."""
    required = set(parameters.get("required", ()))
    fields = {}
    for name, prop in (parameters.get("properties") or {}).items():
        hint = _json_type(prop)
        fields[name] = Required[hint] if name in required else NotRequired[hint]
    return _adapter(fields)


def _json_type(prop: Mapping[str, Any]) -> Any:
    if "enum" in prop:
        return Literal[tuple(prop["enum"])]
    kind = prop.get("type")
    if kind == "array":
        return list[_json_type(prop.get("items") or {})]
    if kind == "object":
        return dict[str, Any]
    return _JSON_TYPES.get(kind, Any) if isinstance(kind, str) else Any


def _adapter(fields: dict[str, Any]) -> TypeAdapter:
    args = TypedDict("Arguments", fields)  # type: ignore[operator]
    args.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(args)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value.value if isinstance(value, enum.Enum) else value)
    except (TypeError, ValueError):
        return False
    return True


def validate_arguments(adapter: TypeAdapter, arguments: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The validated (and lax-converted) arguments; ArgumentError with one clear line per problem."""
    try:
        return dict(adapter.validate_python(dict(arguments)))
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = e.get("loc") or ()
            name = str(loc[0]) if loc else ""
            if e["type"] == "missing":
                problems.append(f"missing argument {name!r}")
            elif e["type"] == "extra_forbidden":
                problems.append(f"unknown argument {name!r} (expected: {', '.join(names) or 'no arguments'})")
            else:
                path = ".".join(str(p) for p in loc)
                msg = e["msg"][:1].lower() + e["msg"][1:]
                problems.append(f"argument {path!r}: {msg}, got {e.get('input')!r}")
        raise ArgumentError("; ".join(problems)) from None
