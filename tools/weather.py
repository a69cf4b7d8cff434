"""Built-in tool: current weather and a 3-day forecast from Open-Meteo (free, no API key).

Endpoints come from `AGENTLM_GEOCODING_URL` and `AGENTLM_WEATHER_URL` (read at each call), so tests and offline
users can point the tool at any server that speaks Open-Meteo's API; `AGENTLM_WEATHER_TIMEOUT` sets the
seconds per request (default 10). Timeouts, connection errors and 5xx answers are retried with exponential
backoff; 4xx answers are not.
"""

from __future__ import annotations

import math
import os
import re
import time
from typing import Any

import httpx

from agentlm.plugins import ToolError, tool

GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
RETRIES = 2  # after the first attempt
BACKOFF = 0.25  # seconds before the first retry; doubles each time

# WMO weather interpretation codes (Open-Meteo `weather_code`) -> (English, Chinese)
WMO_CODES: dict[int, tuple[str, str]] = {
    0: ("clear sky", "晴"), 1: ("mainly clear", "晴间多云"), 2: ("partly cloudy", "多云"), 3: ("overcast", "阴"),
    45: ("fog", "有雾"), 48: ("freezing fog", "冻雾"),
    51: ("light drizzle", "小毛毛雨"), 53: ("drizzle", "毛毛雨"), 55: ("dense drizzle", "大毛毛雨"),
    56: ("light freezing drizzle", "小冻毛毛雨"), 57: ("freezing drizzle", "冻毛毛雨"),
    61: ("light rain", "小雨"), 63: ("rain", "中雨"), 65: ("heavy rain", "大雨"),
    66: ("light freezing rain", "小冻雨"), 67: ("freezing rain", "冻雨"),
    71: ("light snow", "小雪"), 73: ("snow", "中雪"), 75: ("heavy snow", "大雪"), 77: ("snow grains", "米雪"),
    80: ("light rain showers", "小阵雨"), 81: ("rain showers", "阵雨"), 82: ("violent rain showers", "强阵雨"),
    85: ("light snow showers", "小阵雪"), 86: ("heavy snow showers", "大阵雪"),
    95: ("thunderstorms", "雷阵雨"), 96: ("thunderstorms with hail", "雷阵雨伴有冰雹"),
    99: ("thunderstorms with heavy hail", "雷阵雨伴有大冰雹"),
}
_CJK = re.compile(r"[\u3400-\u9fff]")


@tool(timeout=60)
def get_weather(location: str) -> dict[str, Any]:
    """Get the current weather and forecast for a city

    Args:
        location: City name, e.g. Paris
    """
    name = location.strip()
    if not name:
        raise ToolError("location is empty: give a city name")
    lang = "zh" if _CJK.search(name) else "en"
    timeout = float(os.environ.get("AGENTLM_WEATHER_TIMEOUT") or 10)
    geocoding = os.environ.get("AGENTLM_GEOCODING_URL") or GEOCODING_URL
    forecast = os.environ.get("AGENTLM_WEATHER_URL") or FORECAST_URL
    with httpx.Client(timeout=timeout, headers={"User-Agent": "agentlm"}) as client:
        found = _get_json(client, geocoding, {"name": name, "count": 1, "language": lang, "format": "json"})
        place = _first_place(found, name)
        data = _get_json(client, forecast, {
            "latitude": place["latitude"], "longitude": place["longitude"],
            "current": "temperature_2m,relative_humidity_2m,weather_code,wind_speed_10m",
            "daily": "temperature_2m_max,temperature_2m_min,weather_code",
            "timezone": "auto", "forecast_days": 3})
    return _summary(place, data, lang)


def _get_json(client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
    """GET `url` and decode JSON, retrying transient failures; ToolError with a clear message otherwise."""
    problem = ""
    for attempt in range(RETRIES + 1):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            response = client.get(url, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            problem = f"could not reach the weather service at {url} (offline?)"
            continue
        except httpx.TimeoutException:
            problem = f"the weather service at {url} did not answer within {client.timeout.read:g} s"
            continue
        except httpx.TransportError as exc:
            problem = f"the connection to the weather service at {url} failed: {type(exc).__name__}"
            continue
        if response.status_code >= 500:
            problem = f"the weather service at {url} failed with HTTP {response.status_code}"
            continue
        if response.status_code >= 400:
            raise ToolError(f"the weather service rejected the request (HTTP {response.status_code}): "
                            f"{_reason(response)}")
        try:
            return response.json()
        except ValueError:
            raise ToolError(f"the weather service at {url} returned invalid JSON: {response.text[:80]!r}") from None
    raise ToolError(f"{problem} (tried {RETRIES + 1} times)")


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason") or response.text[:200])
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase


def _first_place(found: Any, name: str) -> dict[str, Any]:
    if not isinstance(found, dict):
        raise ToolError("unexpected answer from the geocoding service: not a JSON object")
    results = found.get("results") or []
    if not results:
        raise ToolError(f"city not found: {name}")
    place = results[0]
    if not (isinstance(place, dict) and _is_number(place.get("latitude")) and _is_number(place.get("longitude"))):
        raise ToolError("unexpected answer from the geocoding service: no latitude/longitude")
    return place


def _summary(place: dict[str, Any], data: Any, lang: str) -> dict[str, Any]:
    """The compact result the model reads (the shape of the training data, plus a short forecast)."""
    current = data.get("current") if isinstance(data, dict) else None
    if not isinstance(current, dict) or not _is_number(current.get("temperature_2m")):
        raise ToolError("unexpected answer from the weather service: no current temperature")
    out: dict[str, Any] = {"location": place.get("name") or "", "temperature_c": round(current["temperature_2m"]),
                           "condition": _condition(current.get("weather_code"), lang)}
    if place.get("country"):
        out["country"] = place["country"]
    if _is_number(current.get("relative_humidity_2m")):
        out["humidity_pct"] = round(current["relative_humidity_2m"])
    if _is_number(current.get("wind_speed_10m")):
        out["wind_kmh"] = round(current["wind_speed_10m"])
    daily = data.get("daily") if isinstance(data.get("daily"), dict) else {}
    days = zip(daily.get("time") or [], daily.get("temperature_2m_min") or [], daily.get("temperature_2m_max") or [],
               daily.get("weather_code") or [], strict=False)
    out["forecast"] = [{"date": day, "min_c": round(lo), "max_c": round(hi), "condition": _condition(code, lang)}
                       for day, lo, hi, code in days if _is_number(lo) and _is_number(hi)]
    return out


def _condition(code: Any, lang: str) -> str:
    words = WMO_CODES.get(int(code)) if _is_number(code) else None
    if words is None:
        return "unknown" if lang == "en" else "未知"
    return words[0] if lang == "en" else words[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
