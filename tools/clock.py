"""Built-in tool: the current date and time in an IANA timezone (zoneinfo; no network)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from agentlm.plugins import ToolError, tool

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@tool(timeout=5)
def current_datetime(timezone: str) -> dict[str, str]:
    """Get the current date and time in an IANA timezone

    An empty timezone means UTC; names are matched without regard to case ("europe/paris" works).
    The result looks like {"timezone": "Europe/Paris", "datetime": "2025-03-01T14:05:09+01:00",
    "weekday": "Saturday"}.

    Args:
        timezone: IANA timezone, e.g. Europe/Paris
    """
    zone = find_zone(timezone)
    now = dt.datetime.now(zone)
    return {"timezone": zone.key, "datetime": now.isoformat(timespec="seconds"), "weekday": WEEKDAYS[now.weekday()]}


def find_zone(name: str) -> ZoneInfo:
    """The zone called `name` (case-insensitive; empty means UTC); ToolError if there is none."""
    key = name.strip().replace(" ", "_") or "UTC"
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    match = _zones_by_lower_name().get(key.lower())
    if match is None:
        raise ToolError(f"unknown timezone: {name!r} (use an IANA name such as Europe/Paris, or UTC)")
    return ZoneInfo(match)


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}
