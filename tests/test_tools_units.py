"""The unit conversion tool: agrees with the training data, knows the usual names, fails clearly."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from agentlm_tools.units import convert_units

from agentlm.data.synth import planning, tool_use
from agentlm.plugins import ToolRegistry

REGISTRY = ToolRegistry([convert_units])


def _training_value(value: Decimal, src: str, factor: Decimal | None) -> Decimal:
    """How the data generators compute a conversion."""
    if factor is not None:
        return (value * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    out = value * 9 / 5 + 32 if src == "C" else (value - 32) * 5 / 9
    return out.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("row", sorted(set(planning._UNITS) | set(tool_use._UNITS), key=str))
def test_every_training_conversion(row: tuple) -> None:
    src, dst, factor = row[:3]
    for value in (Decimal(1), Decimal("2.5"), Decimal(37), Decimal(100), Decimal(451), Decimal(-12)):
        result = REGISTRY.call("convert_units", {"value": float(value), "from_unit": src, "to_unit": dst})
        assert result.ok, result.error
        data = json.loads(result.content)
        assert data["unit"] == dst and set(data) == {"value", "unit"}
        # the generators use factors cut to 6 decimals: allow one cent of difference
        assert abs(Decimal(str(data["value"])) - _training_value(value, src, factor)) <= Decimal("0.01"), value


@pytest.mark.parametrize(("value", "src", "dst", "expected"), [
    (5, "km", "mi", 3.11), (1, "mi", "km", 1.61), (100, "C", "F", 212), (212, "°F", "degrees Celsius", 100),
    (0, "K", "C", -273.15), (98.6, "fahrenheit", "kelvin", 310.15), (1, "lb", "kg", 0.454), (1, "gal", "L", 3.79),
    (500, "mL", "cups", 2.11), (1, "m3", "litres", 1000), (36, "km/h", "m/s", 10), (60, "mph", "kph", 96.56),
    (10, "knots", "km/h", 18.52), (90, "minutes", "h", 1.5), (2, "weeks", "days", 14), (1, "day", "s", 86400),
    (1, "GiB", "MB", 1073.74), (8, "Mbit", "MB", 1), (1, "mb", "KB", 1000), (1, "TB", "GB", 1000),
    (1, "mm", "km", 0.000001), (3, "Kilometres", "MILES", 1.86), (10, "公里", "英里", 6.21), (2, "kgs", "lbs", 4.41),
    (12, "in", "cm", 30.48), (1, "ft", "inches", 12), (1, "st", "lb", 14),
    (1, "km per hour", "metres per second", 0.278),
])
def test_known_conversions(value: float, src: str, dst: str, expected: float) -> None:
    assert convert_units(value, src, dst) == {"value": expected, "unit": dst}


@pytest.mark.parametrize(("arguments", "message"), [
    ({"value": 1, "from_unit": "km", "to_unit": "kg"}, "cannot convert km (length) to kg (mass)"),
    ({"value": 1, "from_unit": "MB", "to_unit": "h"}, "cannot convert MB (data size) to h (time)"),
    ({"value": 20, "from_unit": "C", "to_unit": "km"}, "cannot convert C (temperature) to km (length)"),
    ({"value": 1, "from_unit": "furlong", "to_unit": "m"}, "unknown unit: 'furlong'"),
    ({"value": -300, "from_unit": "C", "to_unit": "F"}, "-300 C is below absolute zero"),
    ({"value": "abc", "from_unit": "m", "to_unit": "km"}, "argument 'value': input should be a valid number"),
    ({"value": 1, "from_unit": "m"}, "missing argument 'to_unit'"),
    ({"value": float("inf"), "from_unit": "m", "to_unit": "km"}, "value must be a finite number"),
    ({"value": 1e308, "from_unit": "PB", "to_unit": "bit"}, "result out of range"),
])
def test_clear_errors(arguments: dict, message: str) -> None:
    result = REGISTRY.call("convert_units", arguments)
    assert not result.ok and message in result.error


def test_numbers_as_strings_and_huge_or_tiny_values() -> None:
    assert REGISTRY.call("convert_units", '{"value": "5", "from_unit": "km", "to_unit": "m"}').content == (
        '{"value":5000,"unit":"m"}')
    assert convert_units(1e300, "km", "m")["value"] == 1e303
    assert convert_units(1e-300, "m", "km")["value"] == 1e-303
