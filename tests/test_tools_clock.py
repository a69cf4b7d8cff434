"""The current_datetime tool: IANA zones through zoneinfo, ISO output with the weekday."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from agentlm_tools.clock import current_datetime

from agentlm.plugins import ToolRegistry

REGISTRY = ToolRegistry([current_datetime])


@pytest.mark.parametrize(("given", "key"), [
    ("Europe/Paris", "Europe/Paris"), ("asia/shanghai", "Asia/Shanghai"), ("America/New York", "America/New_York"),
    ("", "UTC"), ("  ", "UTC"), ("UTC", "UTC"), ("Australia/Sydney", "Australia/Sydney"),
])
def test_now_in_a_zone(given: str, key: str) -> None:
    before = dt.datetime.now(dt.UTC)
    result = REGISTRY.call("current_datetime", {"timezone": given})
    after = dt.datetime.now(dt.UTC)
    assert result.ok, result.error
    data = json.loads(result.content)
    assert data["timezone"] == key and set(data) == {"timezone", "datetime", "weekday"}
    stamp = dt.datetime.fromisoformat(data["datetime"])
    assert before.replace(microsecond=0) <= stamp <= after  # the real current time
    assert stamp.utcoffset() == dt.datetime.now(ZoneInfo(key)).utcoffset()  # in the asked zone's offset
    assert data["weekday"] == stamp.strftime("%A") and len(data["datetime"]) == 25  # 2025-03-01T14:05:09+01:00


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "Paris", "../../etc/passwd", "/etc/localtime", "Europe"])
def test_unknown_zones(bad: str) -> None:
    result = REGISTRY.call("current_datetime", {"timezone": bad})
    assert not result.ok
    assert result.error == f"unknown timezone: {bad!r} (use an IANA name such as Europe/Paris, or UTC)"
