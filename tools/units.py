"""Built-in tool: unit conversion (length, mass, volume, temperature, speed, time, data size), exact decimal
arithmetic, symbols and names in any case ("km", "Kilometres", "公里", "°F", "miles per hour", ...)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from agentlm.plugins import ToolError, tool

# dimension -> (canonical unit, factor to the dimension's base unit as text, aliases); temperature is special
_TABLE: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "length": [
        ("m", "1", ("metre", "meter", "metres", "meters", "米")),
        ("km", "1000", ("kilometre", "kilometer", "kilometres", "kilometers", "公里", "千米")),
        ("cm", "0.01", ("centimetre", "centimeter", "centimetres", "centimeters", "厘米")),
        ("mm", "0.001", ("millimetre", "millimeter", "millimetres", "millimeters", "毫米")),
        ("um", "0.000001", ("µm", "μm", "micrometre", "micrometer", "micron", "microns", "微米")),
        ("nm", "0.000000001", ("nanometre", "nanometer", "nanometres", "nanometers", "纳米")),
        ("mi", "1609.344", ("mile", "miles", "英里")),
        ("yd", "0.9144", ("yard", "yards", "码")),
        ("ft", "0.3048", ("foot", "feet", "'", "英尺")),
        ("in", "0.0254", ("inch", "inches", '"', "英寸")),
        ("nmi", "1852", ("nautical mile", "nautical miles", "海里")),
    ],
    "mass": [
        ("kg", "1", ("kilogram", "kilograms", "kilo", "kilos", "千克", "公斤")),
        ("g", "0.001", ("gram", "grams", "gramme", "grammes", "克")),
        ("mg", "0.000001", ("milligram", "milligrams", "毫克")),
        ("t", "1000", ("tonne", "tonnes", "metric ton", "metric tons", "吨")),
        ("lb", "0.45359237", ("lbs", "pound", "pounds", "磅")),
        ("oz", "0.028349523125", ("ounce", "ounces", "盎司")),
        ("st", "6.35029318", ("stone", "stones")),
    ],
    "volume": [
        ("L", "1", ("l", "litre", "liter", "litres", "liters", "升", "公升")),
        ("mL", "0.001", ("ml", "millilitre", "milliliter", "millilitres", "milliliters", "cm3", "cc", "毫升")),
        ("cL", "0.01", ("cl", "centilitre", "centiliter", "centilitres", "centiliters")),
        ("m3", "1000", ("m³", "cubic metre", "cubic meter", "cubic metres", "cubic meters", "立方米")),
        ("gal", "3.785411784", ("gallon", "gallons", "us gallon", "us gallons", "加仑")),
        ("imp gal", "4.54609", ("imperial gallon", "imperial gallons", "uk gallon", "uk gallons")),
        ("qt", "0.946352946", ("quart", "quarts")),
        ("pt", "0.473176473", ("pint", "pints")),
        ("cup", "0.2365882365", ("cups",)),
        ("fl oz", "0.0295735295625", ("floz", "fluid ounce", "fluid ounces")),
        ("tbsp", "0.01478676478125", ("tablespoon", "tablespoons")),
        ("tsp", "0.00492892159375", ("teaspoon", "teaspoons")),
    ],
    "speed": [
        ("m/s", "1", ("mps", "m/sec", "metre per second", "meter per second", "metres per second",
                      "meters per second")),
        ("km/h", "1000/3600", ("kmh", "kph", "km/hr", "km/hour", "kilometre per hour", "kilometer per hour",
                                 "kilometres per hour", "kilometers per hour", "公里/小时", "公里每小时")),
        ("mph", "0.44704", ("mi/h", "mi/hr", "mile per hour", "miles per hour", "英里/小时", "英里每小时")),
        ("kn", "1852/3600", ("kt", "knot", "knots", "节")),
        ("ft/s", "0.3048", ("fps", "foot per second", "feet per second")),
    ],
    "time": [
        ("s", "1", ("sec", "secs", "second", "seconds", "秒")),
        ("ms", "0.001", ("millisecond", "milliseconds", "毫秒")),
        ("min", "60", ("mins", "minute", "minutes", "分钟")),
        ("h", "3600", ("hr", "hrs", "hour", "hours", "小时")),
        ("d", "86400", ("day", "days", "天")),
        ("wk", "604800", ("week", "weeks", "周", "星期")),
        ("yr", "31557600", ("year", "years", "年")),  # a Julian year, 365.25 days
    ],
    "data size": [  # bytes before bits, so that a lower-case "mb" means megabytes
        ("B", "1", ("byte", "bytes", "字节")),
        ("kB", "1000", ("KB", "kilobyte", "kilobytes")),
        ("MB", "1000000", ("megabyte", "megabytes")),
        ("GB", "1000000000", ("gigabyte", "gigabytes")),
        ("TB", "1000000000000", ("terabyte", "terabytes")),
        ("PB", "1000000000000000", ("petabyte", "petabytes")),
        ("KiB", "1024", ("kibibyte", "kibibytes")),
        ("MiB", "1048576", ("mebibyte", "mebibytes")),
        ("GiB", "1073741824", ("gibibyte", "gibibytes")),
        ("TiB", "1099511627776", ("tebibyte", "tebibytes")),
        ("bit", "0.125", ("bits", "b")),
        ("kbit", "125", ("Kb", "kilobit", "kilobits")),
        ("Mbit", "125000", ("Mb", "megabit", "megabits")),
        ("Gbit", "125000000", ("Gb", "gigabit", "gigabits")),
    ],
    "temperature": [
        ("C", "0", ("celsius", "centigrade", "degc", "摄氏度", "摄氏")),
        ("F", "0", ("fahrenheit", "degf", "华氏度", "华氏")),
        ("K", "0", ("kelvin", "kelvins")),
    ],
}



def _decimal(text: str) -> Decimal:
    top, _, bottom = text.partition("/")
    return Decimal(top) / Decimal(bottom or 1)


def _norm(name: str) -> str:
    return " ".join(name.replace("°", "").replace("º", "").replace(" per ", "/").split())


# unit name -> (canonical, dimension, factor); exact spellings first, then lower-case ones
_EXACT: dict[str, tuple[str, str, Decimal]] = {}
_LOWER: dict[str, tuple[str, str, Decimal]] = {}
for _dim, _rows in _TABLE.items():
    for _unit, _factor, _aliases in _rows:
        for _alias in (_unit, *_aliases):
            _EXACT.setdefault(_norm(_alias), (_unit, _dim, _decimal(_factor)))
for _alias, _entry in _EXACT.items():
    _LOWER.setdefault(_alias.lower(), _entry)

_TO_CELSIUS = {"C": lambda x: x, "F": lambda x: (x - 32) * 5 / 9, "K": lambda x: x - Decimal("273.15")}
_FROM_CELSIUS = {"C": lambda c: c, "F": lambda c: c * 9 / 5 + 32, "K": lambda c: c + Decimal("273.15")}


@tool(timeout=5)
def convert_units(value: float, from_unit: str, to_unit: str) -> dict[str, float | int | str]:
    """Convert a value from one unit to another

    Length, mass, volume, temperature, speed, time and data sizes. The result looks like
    {"value": 3.11, "unit": "mi"}: 2 decimals, or 3 significant digits below 1.

    Args:
        value: The amount to convert
        from_unit: Unit of the value, e.g. km, lb, C
        to_unit: Target unit, e.g. mi, kg, F
    """
    if not math.isfinite(value):
        raise ToolError(f"value must be a finite number, got {value}")
    (src, dim, factor), (dst, dim_to, factor_to) = find_unit(from_unit), find_unit(to_unit)
    if dim != dim_to:
        raise ToolError(f"cannot convert {from_unit.strip()} ({dim}) to {to_unit.strip()} ({dim_to})")
    amount = Decimal(repr(value))
    if dim == "temperature":
        celsius = _TO_CELSIUS[src](amount)
        if celsius < Decimal("-273.15"):
            raise ToolError(f"{value:g} {src} is below absolute zero")
        result = _FROM_CELSIUS[dst](celsius)
    else:
        result = amount * factor / factor_to
    return {"value": _rounded(result), "unit": to_unit.strip()}


def find_unit(name: str) -> tuple[str, str, Decimal]:
    """(canonical unit, dimension, factor to the base unit) of a unit name; ToolError if unknown."""
    text = _norm(name)
    lower = text.lower()
    for prefix in ("degrees ", "degree ", "deg "):
        if lower.startswith(prefix):
            text, lower = text[len(prefix):], lower[len(prefix):]
    found = _EXACT.get(text) or _LOWER.get(lower)
    if found is None and lower.endswith("s"):  # plurals not listed ("kgs", "hectometres")
        found = _LOWER.get(lower[:-1])
    if found is None:
        raise ToolError(f"unknown unit: {name!r} (try a symbol such as km, lb, L, C, mph, h or MB)")
    return found


def _rounded(x: Decimal) -> int | float:
    """2 decimals (half up, as in the training data); 3 significant digits for magnitudes below 1."""
    if x == 0:
        return 0
    if x.adjusted() >= 15:  # too many digits to quantize; a float is precise enough
        number: int | float = float(x)
        if not math.isfinite(number):
            raise ToolError("result out of range")
        return number
    quantum = Decimal("0.01") if abs(x) >= 1 else Decimal(1).scaleb(x.adjusted() - 2)
    out = x.quantize(quantum, rounding=ROUND_HALF_UP)
    return int(out) if out == out.to_integral_value() else float(out)
