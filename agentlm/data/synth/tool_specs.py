"""OpenAI schemas of the five built-in tools (English and Chinese descriptions; names and parameters are shared)."""

from __future__ import annotations

from typing import Any

from agentlm.data.synth.base import tool_schema


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _number(description: str) -> dict[str, Any]:
    return {"type": "number", "description": description}


BUILTIN_TOOLS: dict[str, dict[str, Any]] = {
    "calculator": tool_schema("calculator", "Evaluate an arithmetic expression", {
        "expression": _string("Arithmetic expression, e.g. (12.5 + 3) * 4"),
    }),
    "get_weather": tool_schema("get_weather", "Get the current weather and forecast for a city", {
        "location": _string("City name, e.g. Paris"),
    }),
    "search_knowledge_base": tool_schema("search_knowledge_base", "Search the user's document index", {
        "query": _string("What to look for"),
    }),
    "current_datetime": tool_schema("current_datetime", "Get the current date and time in an IANA timezone", {
        "timezone": _string("IANA timezone, e.g. Europe/Paris"),
    }),
    "convert_units": tool_schema("convert_units", "Convert a value from one unit to another", {
        "value": _number("The amount to convert"),
        "from_unit": _string("Unit of the value, e.g. km, lb, C"),
        "to_unit": _string("Target unit, e.g. mi, kg, F"),
    }),
}

BUILTIN_TOOLS_ZH: dict[str, dict[str, Any]] = {
    "calculator": tool_schema("calculator", "计算一个算术表达式", {
        "expression": _string("算术表达式，例如 (12.5 + 3) * 4"),
    }),
    "get_weather": tool_schema("get_weather", "查询某个城市的当前天气和天气预报", {
        "location": _string("城市名，例如 北京"),
    }),
    "search_knowledge_base": tool_schema("search_knowledge_base", "在用户的文档索引中搜索", {
        "query": _string("要搜索的内容"),
    }),
    "current_datetime": tool_schema("current_datetime", "获取某个 IANA 时区的当前日期和时间", {
        "timezone": _string("IANA 时区，例如 Asia/Shanghai"),
    }),
    "convert_units": tool_schema("convert_units", "把一个数值从一种单位换算成另一种单位", {
        "value": _number("要换算的数值"),
        "from_unit": _string("原单位，例如 km、lb、C"),
        "to_unit": _string("目标单位，例如 mi、kg、F"),
    }),
}


def builtin_tools(lang: str) -> dict[str, dict[str, Any]]:
    """The built-in tool schemas with descriptions in `lang`."""
    return BUILTIN_TOOLS_ZH if lang == "zh" else BUILTIN_TOOLS
