"""The weather tool against a real local HTTP server that speaks Open-Meteo's geocoding and forecast APIs, and
against servers that are slow, failing, garbled or absent."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from agentlm_tools.weather import get_weather

from agentlm.plugins import ToolRegistry

CITIES = {  # name -> geocoding result (Open-Meteo fields) and the weather there
    "denver": ({"id": 5419384, "name": "Denver", "latitude": 39.73915, "longitude": -104.9847, "elevation": 1609.0,
                "feature_code": "PPLA", "country_code": "US", "timezone": "America/Denver", "population": 715522,
                "country": "United States", "admin1": "Colorado"}, 4.6, 3),
    "丹佛": ({"id": 5419384, "name": "丹佛", "latitude": 39.73915, "longitude": -104.9847, "country_code": "US",
             "timezone": "America/Denver", "country": "美国"}, 4.6, 3),
    "paris": ({"id": 2988507, "name": "Paris", "latitude": 48.85341, "longitude": 2.3488, "country_code": "FR",
               "timezone": "Europe/Paris", "country": "France"}, 12.4, 2),
}
FORECAST_PARAMS = {"current": "temperature_2m,relative_humidity_2m,weather_code,wind_speed_10m",
                   "daily": "temperature_2m_max,temperature_2m_min,weather_code", "timezone": "auto",
                   "forecast_days": "3"}


def _forecast(query: dict[str, str]) -> tuple[int, dict]:
    """Open-Meteo's /v1/forecast for the parameters the tool must send (400 with a reason otherwise)."""
    for key, value in FORECAST_PARAMS.items():
        if query.get(key) != value:
            return 400, {"error": True, "reason": f"Parameter {key} must be {value}, got {query.get(key)}"}
    lat, lon = float(query["latitude"]), float(query["longitude"])
    place, temp, code = next(c for c in CITIES.values() if (c[0]["latitude"], c[0]["longitude"]) == (lat, lon))
    return 200, {
        "latitude": lat, "longitude": lon, "generationtime_ms": 0.04, "utc_offset_seconds": 0,
        "timezone": place["timezone"], "timezone_abbreviation": "GMT", "elevation": 35.0,
        "current_units": {"time": "iso8601", "interval": "seconds", "temperature_2m": "°C",
                          "relative_humidity_2m": "%", "weather_code": "wmo code", "wind_speed_10m": "km/h"},
        "current": {"time": "2025-01-15T10:00", "interval": 900, "temperature_2m": temp,
                    "relative_humidity_2m": 61, "weather_code": code, "wind_speed_10m": 11.2},
        "daily_units": {"time": "iso8601", "temperature_2m_max": "°C", "temperature_2m_min": "°C",
                        "weather_code": "wmo code"},
        "daily": {"time": ["2025-01-15", "2025-01-16", "2025-01-17"], "temperature_2m_max": [7.9, 2.1, -1.3],
                  "temperature_2m_min": [-4.2, -6.0, -9.8], "weather_code": [3, 71, 95]}}


class OpenMeteo(BaseHTTPRequestHandler):
    """Paths are /<mode>/v1/search and /<mode>/v1/forecast; mode is ok, slow, fail, garbage or shape."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        mode, _, endpoint = url.path.strip("/").partition("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.log.append((mode, endpoint, query))  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(1.0)
        if mode == "fail":
            return self._send(500, b'{"error":true,"reason":"Internal Server Error"}')
        if mode == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>")
        if mode == "shape":
            return self._send(200, b'{"results": [{"name": "Denver"}]}')
        if endpoint == "v1/search":
            if query.get("format") != "json" or query.get("count") != "1":
                return self._send(400, b'{"error":true,"reason":"bad geocoding query"}')
            found = CITIES.get(query.get("name", "").lower())
            body = {"results": [found[0]], "generationtime_ms": 0.6} if found else {"generationtime_ms": 0.3}
            return self._send(200, json.dumps(body).encode())
        if endpoint == "v1/forecast":
            status, body = _forecast(query)
            return self._send(status, json.dumps(body).encode())
        return self._send(404, b'{"error":true,"reason":"not found"}')

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), OpenMeteo)
    srv.log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def use(server: Server, monkeypatch: pytest.MonkeyPatch):
    """Point the tool at one mode of the local server (a short per-request timeout) and clear its log."""
    def point(mode: str) -> list[tuple[str, str, dict[str, str]]]:
        base = f"http://127.0.0.1:{server.server_port}/{mode}"
        monkeypatch.setenv("AGENTLM_GEOCODING_URL", f"{base}/v1/search")
        monkeypatch.setenv("AGENTLM_WEATHER_URL", f"{base}/v1/forecast")
        monkeypatch.setenv("AGENTLM_WEATHER_TIMEOUT", "0.3")
        server.log.clear()  # type: ignore[attr-defined]
        return server.log  # type: ignore[attr-defined]
    return point


REGISTRY = ToolRegistry([get_weather])


def test_weather_through_the_open_meteo_api(use) -> None:
    log = use("ok")
    result = REGISTRY.call("get_weather", {"location": "Denver"})
    assert result.ok, result.error
    data = json.loads(result.content)
    assert {k: data[k] for k in ("location", "temperature_c", "condition")} == {
        "location": "Denver", "temperature_c": 5, "condition": "overcast"}  # the shape of the training data
    assert data["country"] == "United States" and data["humidity_pct"] == 61 and data["wind_kmh"] == 11
    assert data["forecast"] == [
        {"date": "2025-01-15", "min_c": -4, "max_c": 8, "condition": "overcast"},
        {"date": "2025-01-16", "min_c": -6, "max_c": 2, "condition": "light snow"},
        {"date": "2025-01-17", "min_c": -10, "max_c": -1, "condition": "thunderstorms"}]
    (_, geo_path, geo), (_, fc_path, fc) = log
    assert (geo_path, geo) == ("v1/search", {"name": "Denver", "count": "1", "language": "en", "format": "json"})
    assert fc_path == "v1/forecast" and fc == {"latitude": "39.73915", "longitude": "-104.9847", **FORECAST_PARAMS}


def test_chinese_city_names_get_chinese_answers(use) -> None:
    log = use("ok")
    data = get_weather("丹佛")
    assert (data["location"], data["condition"], data["forecast"][1]["condition"]) == ("丹佛", "阴", "小雪")
    assert log[0][2]["language"] == "zh"
    assert get_weather("paris")["condition"] == "partly cloudy"


def test_unknown_city(use) -> None:
    use("ok")
    result = REGISTRY.call("get_weather", {"location": "Dnever"})
    assert not result.ok and result.content == '{"error":"city not found: Dnever"}'  # as in the training data
    assert REGISTRY.call("get_weather", {"location": "  "}).error == "location is empty: give a city name"


def test_timeouts_are_retried_then_reported(use) -> None:
    log = use("slow")
    start = time.perf_counter()
    result = REGISTRY.call("get_weather", {"location": "Denver"})
    elapsed = time.perf_counter() - start
    assert not result.ok and len(log) == 3 and elapsed < 3.5
    assert "did not answer within 0.3 s (tried 3 times)" in result.error and "/slow/v1/search" in result.error


def test_server_errors_are_retried_with_backoff_then_reported(use) -> None:
    log = use("fail")
    start = time.perf_counter()
    result = REGISTRY.call("get_weather", {"location": "Denver"})
    assert time.perf_counter() - start >= 0.25 + 0.5  # exponential backoff between the 3 attempts
    assert len(log) == 3 and not result.ok
    assert result.error.endswith("/fail/v1/search failed with HTTP 500 (tried 3 times)")


def test_client_errors_are_not_retried(use, monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    log = use("ok")
    monkeypatch.setenv("AGENTLM_GEOCODING_URL", f"http://127.0.0.1:{server.server_port}/ok/v1/nowhere")
    result = REGISTRY.call("get_weather", {"location": "Denver"})
    assert len(log) == 1 and result.error == "the weather service rejected the request (HTTP 404): not found"


def test_garbage_and_odd_json_give_clear_errors(use) -> None:
    use("garbage")
    error = REGISTRY.call("get_weather", {"location": "Denver"}).error
    assert "returned invalid JSON: '<html>502 Bad Gateway</html>'" in error
    use("shape")
    error = REGISTRY.call("get_weather", {"location": "Denver"}).error
    assert error == "unexpected answer from the geocoding service: no latitude/longitude"


def test_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AGENTLM_GEOCODING_URL", f"http://127.0.0.1:{port}/v1/search")
    monkeypatch.setenv("AGENTLM_WEATHER_TIMEOUT", "0.3")
    result = REGISTRY.call("get_weather", {"location": "Denver"})
    assert result.error == (f"could not reach the weather service at http://127.0.0.1:{port}/v1/search (offline?) "
                            "(tried 3 times)")


def test_default_endpoints_are_open_meteo() -> None:
    import agentlm_tools.weather as weather

    assert weather.GEOCODING_URL == "https://geocoding-api.open-meteo.com/v1/search"
    assert weather.FORECAST_URL == "https://api.open-meteo.com/v1/forecast"
