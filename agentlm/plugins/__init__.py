"""Tool plugins: write a function with type hints and a docstring, decorate it with `@tool`, and the agent can
call it. See tools/README.md."""

from agentlm.plugins.discovery import discover_tools, load_plugin_file, tools_in_module
from agentlm.plugins.registry import ToolRegistry, ToolResult
from agentlm.plugins.schema import ArgumentError
from agentlm.plugins.tool import FunctionTool, Tool, ToolError, tool

__all__ = ["ArgumentError", "FunctionTool", "Tool", "ToolError", "ToolRegistry", "ToolResult", "discover_tools",
           "load_plugin_file", "tool", "tools_in_module"]
