"""Finding tools: the built-in package `agentlm_tools`, installed packages' `agentlm.tools` entry points, and
folders of plugin files. Later sources override earlier ones (with a warning); a broken plugin is reported
and skipped, the rest still load."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import pkgutil
import sys
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any

from agentlm.plugins.registry import ToolRegistry, error_text
from agentlm.plugins.tool import FunctionTool, Tool, tool

logger = logging.getLogger("agentlm.plugins")

BUILTIN_PACKAGE = "agentlm_tools"
ENTRY_POINT_GROUP = "agentlm.tools"


def discover_tools(dirs: Iterable[str | PathLike[str]] = (), *, builtins: bool = True,
                   entry_points: bool = True) -> ToolRegistry:
    """A registry of the built-in tools, then the entry-point tools, then the tools in `dirs` (folders of
    `*.py` plugin files, or single files)."""
    registry = ToolRegistry()
    if builtins:
        _add_builtins(registry)
    if entry_points:
        _add_entry_points(registry)
    for d in dirs:
        _add_path(registry, Path(d))
    return registry


def tools_in_module(module: ModuleType) -> list[Tool]:
    """The module-level tools of a plugin module: `@tool` functions, `Tool` instances, and `Tool` subclasses
    defined there that take no arguments (names starting with `_` are skipped)."""
    found: list[Tool] = []
    for key, value in vars(module).items():
        if isinstance(value, Tool) and not key.startswith("_") and value not in found:
            found.append(value)
    have = {type(t) for t in found}
    for key, value in vars(module).items():
        if (isinstance(value, type) and issubclass(value, Tool) and value not in have and not key.startswith("_")
                and value.__module__ == module.__name__ and value.run is not Tool.run
                and not issubclass(value, FunctionTool)):
            try:
                found.append(value())
            except TypeError as exc:  # needs constructor arguments: the module must create an instance itself
                logger.debug("skipping %s.%s: %s", module.__name__, key, exc)
            except Exception as exc:
                logger.warning("could not create tool %s.%s: %s", module.__name__, key, error_text(exc))
    return found


def load_plugin_file(path: str | PathLike[str]) -> ModuleType:
    """Import a plugin file by path under a unique module name (errors propagate)."""
    path = Path(path).resolve()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"agentlm_plugin_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _add_all(registry: ToolRegistry, tools: Iterable[Tool], origin: str) -> None:
    for t in tools:
        registry.add(t, origin)


def _add_builtins(registry: ToolRegistry) -> None:
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except ImportError as exc:
        logger.warning("built-in tools unavailable (%s is not installed): %s", BUILTIN_PACKAGE, exc)
        return
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        qualname = f"{BUILTIN_PACKAGE}.{info.name}"
        try:
            module = importlib.import_module(qualname)
        except Exception as exc:
            logger.warning("could not load built-in tool module %s: %s", qualname, error_text(exc))
            continue
        _add_all(registry, tools_in_module(module), qualname)


def _add_entry_points(registry: ToolRegistry) -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {ep.name} = {ep.value}" + (f" ({ep.dist.name})" if ep.dist else "")
        try:
            tools = _tools_from_object(ep.load())
        except Exception as exc:
            logger.warning("could not load tool %s: %s", origin, error_text(exc))
            continue
        _add_all(registry, tools, origin)


def _tools_from_object(obj: Any) -> list[Tool]:
    """The tools an entry point names: a tool, a Tool subclass, a module, or a plain function."""
    if isinstance(obj, Tool):
        return [obj]
    if isinstance(obj, type) and issubclass(obj, Tool):
        return [obj()]
    if isinstance(obj, ModuleType):
        return tools_in_module(obj)
    if callable(obj) and not isinstance(obj, type):
        return [tool(obj)]
    raise TypeError(f"not a tool, a Tool subclass or a module: {obj!r}")


def _add_path(registry: ToolRegistry, path: Path) -> None:
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    else:
        raise FileNotFoundError(f"tools directory not found: {path}")
    for file in files:
        try:
            module = load_plugin_file(file)
            tools = tools_in_module(module)
        except (Exception, SystemExit) as exc:
            logger.warning("could not load tool plugin %s: %s", file, error_text(exc))
            continue
        _add_all(registry, tools, str(file))
