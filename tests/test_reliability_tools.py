"""Reliability of the built-in tools, counted for the report: the calculator fuzz (the attacks and generators of
tests/test_tools_calculator.py, through the tool registry the agent uses) and the weather tool against a local
Open-Meteo server that answers, times out, fails with 500s, returns garbage or is not there at all (the server of
tests/test_tools_weather.py)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from agentlm_tools.calculator import calculator
from agentlm_tools.weather import get_weather
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reliability import record, scale
from test_tools_calculator import ARITHMETIC, ATTACKS, _check
from test_tools_weather import Server, server  # noqa: F401 - `server`: the local Open-Meteo fixture

from agentlm.plugins import ToolRegistry

REGISTRY = ToolRegistry([calculator, get_weather])


def _through_registry(expression: str) -> str | None:
    """What the agent sees: a number, or {"error": message}; None when that holds, else what went wrong."""
    result = REGISTRY.call("calculator", {"expression": expression})
    if result.ok:
        return None if result.content and json.loads(result.content) is not None else f"odd result {result}"
    return None if json.loads(result.content) == {"error": result.error} and result.error else f"odd error {result}"


def test_calculator_fuzz_counts() -> None:
    start = time.perf_counter()
    tried, failures = 0, []

    def check(expression: str) -> None:
        nonlocal tried
        tried += 1
        try:
            _check(expression)
            if problem := _through_registry(expression):
                failures.append(problem)
        except Exception as err:  # counted, then reported below
            failures.append(f"{expression[:80]!r}: {type(err).__name__}: {err}")

    for attack in ATTACKS:
        check(attack)
        if REGISTRY.call("calculator", {"expression": attack}).ok:
            failures.append(f"attack accepted: {attack[:80]!r}")
    n = scale(300, 3000)
    for strategy in (ARITHMETIC, st.text(max_size=250),
                     st.text(alphabet="0123456789.e+-*/%^()_ ,sqrtabsminxdfo×÷", max_size=250)):
        settings(max_examples=n, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))(given(strategy)(check))()
    record("calculator fuzz", inputs=tried, failures=len(failures), data_lost=0, seconds=time.perf_counter() - start,
           attacks=len(ATTACKS), generated_per_strategy=n)
    assert not failures, failures[:5]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_weather_api_failures_counts(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    start = time.perf_counter()
    base = f"http://127.0.0.1:{server.server_port}"
    # (mode, arguments, expect ok, a phrase the error must hold)
    cases = [("ok", {"location": "Denver"}, True, ""), ("ok", {"location": "丹佛"}, True, ""),
             ("ok", {"location": "Atlantis"}, False, "city not found"),
             ("ok", {"location": "  "}, False, "location is empty"), ("ok", {"location": 3}, False, ""),
             ("ok", {}, False, ""), ("ok", {"location": "x" * 5000}, False, ""),
             ("slow", {"location": "Denver"}, False, "did not answer within"),
             ("fail", {"location": "Paris"}, False, "HTTP 500 (tried 3 times)"),
             ("garbage", {"location": "Paris"}, False, "invalid JSON"),
             ("shape", {"location": "Paris"}, False, "unexpected answer"),
             ("missing", {"location": "Paris"}, False, "HTTP 404"), ("offline", {"location": "Paris"}, False, "")]
    monkeypatch.setenv("AGENTLM_WEATHER_TIMEOUT", "0.3")
    tried, failures, kinds = 0, [], {}
    for _ in range(scale(1, 10)):
        for mode, arguments, ok, phrase in cases:
            root = f"http://127.0.0.1:{_closed_port()}" if mode == "offline" else f"{base}/{mode}"
            monkeypatch.setenv("AGENTLM_GEOCODING_URL", f"{root}/v1/search" if mode != "missing" else f"{root}/nope")
            monkeypatch.setenv("AGENTLM_WEATHER_URL", f"{root}/v1/forecast")
            tried += 1
            kinds[mode] = kinds.get(mode, 0) + 1
            t0 = time.perf_counter()
            try:
                result = REGISTRY.call("get_weather", arguments)
            except Exception as err:
                failures.append(f"{mode} {arguments}: raised {type(err).__name__}: {err}")
                continue
            elapsed = time.perf_counter() - t0
            if result.ok != ok or (not ok and (not result.error or phrase not in result.error)) or elapsed > 4:
                failures.append(f"{mode} {str(arguments)[:40]}: ok={result.ok} error={result.error!r} {elapsed:.1f} s")
    record("weather API failures", inputs=tried, failures=len(failures), data_lost=0,
           seconds=time.perf_counter() - start, calls_per_mode=kinds)
    assert not failures, failures[:5]
