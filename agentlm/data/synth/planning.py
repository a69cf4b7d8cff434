"""Plan-then-execute: a multi-part request, a numbered plan, one tool call per step, then a synthesis.

The first assistant message is `Plan:\\n1. ...\\n2. ...` (`计划：` in Chinese) plus the first step's tool call;
each tool result is followed by the next step's call; the last message answers every part. A step may need no
tool (compare two temperatures, say whether a result is even, round a conversion): the plan marks it and the
synthesis does it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agentlm.data.synth import facts
from agentlm.data.synth.base import Example, call_id, rand_number, tool_call
from agentlm.data.synth.safe_arith import evaluate, format_number
from agentlm.data.synth.tool_specs import builtin_tools

PLAN_HEADER = {"en": "Plan:", "zh": "计划："}


@dataclass
class Step:
    """One part of the request: what the user asked, the plan line, the call (if any) and the result line."""

    request: str
    plan: str
    summary: str
    answers: list[str]
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    result: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # values a later no-tool step needs


def dec(x: Decimal) -> str:
    """A decimal as text without trailing zeros ("8.05", "12", "-3.5")."""
    text = format(x.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _number(x: Decimal) -> int | float:
    """A decimal as a JSON number (int when whole)."""
    return int(x) if x == x.to_integral_value() else float(x)


# ---------------------------------------------------------------- request wording (split train/test)

_OPENERS = {
    "en": ("Could you {tasks}?", "Please {tasks}.", "I need a few things: {tasks}.", "Help me out: {tasks}.",
           "Quick favour: {tasks}.", "I'm planning a trip. {Tasks}.", "Can you do this for me: {tasks}?",
           "Hi! {Tasks}, please.", "A few tasks for you: {tasks}.", "Would you {tasks}?",
           "I have several questions. {Tasks}.", "{Tasks}. Thanks!", "Do these in order: {tasks}.",
           "Several things, please: {tasks}.", "When you get a chance, {tasks}.", "Let's get this done: {tasks}.",
           "Can you please {tasks}?", "My to-do list for you: {tasks}.", "I'd like you to {tasks}.",
           "Go ahead and {tasks}.", "Here's what I need: {tasks}.", "Using your tools, {tasks}.",
           "Busy morning here. {Tasks}.", "One request with a few parts: {tasks}."),
    "zh": ("能帮我{tasks}吗？", "请{tasks}。", "我需要你帮几个忙：{tasks}。", "麻烦你{tasks}。",
           "帮我做几件事：{tasks}。",
           "我在做出行计划，{tasks}。", "有几个问题：{tasks}。", "按顺序帮我{tasks}。", "你好！{tasks}，谢谢。",
           "方便的话，{tasks}。", "用你的工具{tasks}。", "我想请你{tasks}。", "请依次{tasks}。", "帮个忙：{tasks}。"),
}

_FRAGMENTS = {
    "convert": {"en": ("convert {v} {src} to {dst}", "tell me how many {dst} are in {v} {src}",
                       "work out what {v} {src} is in {dst}", "change {v} {src} into {dst}"),
                "zh": ("把{v}{src}换算成{dst}", "算一下{v}{src}等于多少{dst}", "告诉我{v}{src}是多少{dst}")},
    "weather": {"en": ("check the weather in {loc}", "tell me what the weather is like in {loc}",
                       "find out the current weather in {loc}", "look up today's weather for {loc}"),
                "zh": ("查一下{loc}的天气", "看看{loc}现在天气怎么样", "告诉我{loc}的天气情况")},
    "calc": {"en": ("compute {expr}", "work out {expr}", "tell me what {expr} comes to", "calculate {expr} for me"),
             "zh": ("算一下{expr}", "计算{expr}", "帮我算{expr}等于多少")},
    "time": {"en": ("tell me the current time in {city}", "find out what time it is in {city}",
                    "check the local time in {city}", "look up the date and time in {city}"),
             "zh": ("查一下{city}现在几点", "告诉我{city}的当地时间", "看看{city}现在的日期和时间")},
    "lookup": {"en": ("look up the {kw} of {name}", "find the {kw} of {name} in the knowledge base",
                      "search our docs for the {kw} of {name}"),
               "zh": ("在知识库里查{name}的{kw}", "查一下{name}的{kw}", "搜索{name}的{kw}")},
    "warmer": {"en": ("tell me which of the two places is warmer", "say which of those two places is warmer",
                      "compare which one is warmer"),
               "zh": ("告诉我两地哪里更暖和", "比较一下哪边更暖和", "说说这两个地方哪个更暖和")},
    "parity": {"en": ("tell me whether the calculation result is even or odd", "say if that calculation gives an odd "
                      "or even number", "check if the computed number is even or odd"),
               "zh": ("说说计算结果是奇数还是偶数", "判断一下计算结果是单数还是双数", "看看算出来的数是奇数还是偶数")},
    "round": {"en": ("round the converted value to a whole number", "give me the conversion rounded to the nearest "
                     "whole number", "also round the conversion to the nearest integer"),
              "zh": ("把换算结果四舍五入到整数", "换算结果取整告诉我", "把换算出的数四舍五入成整数")},
}

_SYNTH_OPENERS = {"en": ("Here is everything:", "All done:", "Results:", "Here's what I found:", "Summary:"),
                  "zh": ("结果如下：", "全部完成：", "汇总如下：", "我查到的结果：")}


def template_counts() -> dict[str, dict[str, int]]:
    """Request templates (openers + step fragments) per language."""
    return {"plan_execute": {lang: len(_OPENERS[lang]) + sum(len(f[lang]) for f in _FRAGMENTS.values())
                             for lang in ("en", "zh")}}


def _fragment(rng: random.Random, kind: str, split: str, lang: str, **values: Any) -> str:
    return rng.choice(facts.share(_FRAGMENTS[kind][lang], split)).format(**values)


# ---------------------------------------------------------------- data for the steps

# (from, to, factor or None for temperature, English from/to names, Chinese from/to names)
_UNITS = (
    ("mi", "km", Decimal("1.609344"), "miles", "kilometres", "英里", "公里"),
    ("km", "mi", Decimal("0.621371"), "kilometres", "miles", "公里", "英里"),
    ("kg", "lb", Decimal("2.204623"), "kilograms", "pounds", "千克", "磅"),
    ("lb", "kg", Decimal("0.453592"), "pounds", "kilograms", "磅", "千克"),
    ("ft", "m", Decimal("0.3048"), "feet", "metres", "英尺", "米"),
    ("m", "ft", Decimal("3.28084"), "metres", "feet", "米", "英尺"),
    ("in", "cm", Decimal("2.54"), "inches", "centimetres", "英寸", "厘米"),
    ("gal", "L", Decimal("3.785412"), "gallons", "litres", "加仑", "升"),
    ("L", "gal", Decimal("0.264172"), "litres", "gallons", "升", "加仑"),
    ("oz", "g", Decimal("28.349523"), "ounces", "grams", "盎司", "克"),
    ("C", "F", None, "degrees Celsius", "degrees Fahrenheit", "摄氏度", "华氏度"),
    ("F", "C", None, "degrees Fahrenheit", "degrees Celsius", "华氏度", "摄氏度"),
)

_CONDITIONS = (("sunny", "晴"), ("cloudy", "多云"), ("light rain", "小雨"), ("heavy rain", "大雨"), ("snow", "小雪"),
               ("fog", "有雾"), ("windy", "大风"), ("overcast", "阴"), ("thunderstorms", "雷阵雨"),
               ("drizzle", "毛毛雨"))

_CITIES = (("Asia/Tokyo", "Tokyo", "东京"), ("Europe/Paris", "Paris", "巴黎"), ("America/New_York", "New York", "纽约"),
           ("Europe/London", "London", "伦敦"), ("Australia/Sydney", "Sydney", "悉尼"),
           ("Asia/Shanghai", "Shanghai", "上海"), ("Asia/Singapore", "Singapore", "新加坡"),
           ("Europe/Berlin", "Berlin", "柏林"), ("America/Los_Angeles", "Los Angeles", "洛杉矶"),
           ("America/Chicago", "Chicago", "芝加哥"), ("Asia/Kolkata", "Kolkata", "加尔各答"),
           ("Asia/Dubai", "Dubai", "迪拜"), ("Europe/Moscow", "Moscow", "莫斯科"),
           ("America/Sao_Paulo", "São Paulo", "圣保罗"), ("Africa/Cairo", "Cairo", "开罗"),
           ("Asia/Seoul", "Seoul", "首尔"), ("Europe/Madrid", "Madrid", "马德里"), ("Europe/Rome", "Rome", "罗马"),
           ("America/Toronto", "Toronto", "多伦多"), ("America/Mexico_City", "Mexico City", "墨西哥城"),
           ("Asia/Bangkok", "Bangkok", "曼谷"), ("Africa/Nairobi", "Nairobi", "内罗毕"),
           ("Pacific/Auckland", "Auckland", "奥克兰"), ("Asia/Jakarta", "Jakarta", "雅加达"),
           ("Europe/Istanbul", "Istanbul", "伊斯坦布尔"), ("Asia/Hong_Kong", "Hong Kong", "香港"),
           ("Europe/Vienna", "Vienna", "维也纳"), ("America/Denver", "Denver", "丹佛"))


def _convert_step(rng: random.Random, split: str, lang: str, fractional: bool = False) -> Step:
    src, dst, factor, en_src, en_dst, zh_src, zh_dst = rng.choice(_UNITS)
    if factor is None:
        value = Decimal(rand_number(rng, -20, 45, split) if src == "C" else rand_number(rng, 0, 110, split))
        out = value * 9 / 5 + 32 if src == "C" else (value - 32) * 5 / 9
    else:
        n = rand_number(rng, 2, 900, split)
        value = Decimal(n) / 10 if rng.random() < 0.3 else Decimal(n)
        out = value * factor
    result = out.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if fractional and result == result.to_integral_value():
        return _convert_step(rng, split, lang, fractional)
    v, r = dec(value), dec(result)
    names = (en_src, en_dst) if lang == "en" else (zh_src, zh_dst)
    if lang == "en":
        plan = f"Convert {v} {en_src} to {en_dst} with convert_units."
        summary = f"{v} {en_src} is {r} {en_dst}."
    else:
        plan = f"用 convert_units 把{v}{zh_src}换算成{zh_dst}。"
        summary = f"{v}{zh_src}等于{r}{zh_dst}。"
    return Step(_fragment(rng, "convert", split, lang, v=v, src=names[0], dst=names[1]), plan, summary, [r],
                "convert_units", {"value": _number(value), "from_unit": src, "to_unit": dst},
                json.dumps({"value": _number(result), "unit": dst}), {"result": result, "unit": names[1]})


def _weather_step(rng: random.Random, split: str, lang: str, location: str | None = None) -> Step:
    loc = location or _location(rng, split, lang)
    t = rand_number(rng, -15, 38, split)
    en_cond, zh_cond = rng.choice(_CONDITIONS)
    cond = en_cond if lang == "en" else zh_cond
    if lang == "en":
        plan = f"Get the weather in {loc} with get_weather."
        summary = rng.choice((f"The weather in {loc}: {cond}, {t}°C.", f"{loc}: {t}°C, {cond}."))
    else:
        plan = f"用 get_weather 查询{loc}的天气。"
        summary = f"{loc}：{cond}，气温{t}°C。"
    result = json.dumps({"temperature_c": t, "condition": cond}, ensure_ascii=False)
    return Step(_fragment(rng, "weather", split, lang, loc=loc), plan, summary, [f"{t}°C", cond], "get_weather",
                {"location": loc}, result, {"temperature": t, "location": loc})


def _location(rng: random.Random, split: str, lang: str) -> str:
    """A real city (split) or an invented town."""
    if rng.random() < 0.5:
        city = rng.choice(facts.share(_CITIES, split))
        return city[1] if lang == "en" else city[2]
    return rng.choice(facts.names("town", split, lang))


def _calc_step(rng: random.Random, split: str, lang: str, integer: bool = False) -> Step:
    a, b, c = (rand_number(rng, 3, 99, split) for _ in range(3))
    shape = rng.choice(("mul", "add3", "paren", "muladd", "div", "pct"))
    if integer and shape == "pct":
        shape = "mul"
    times = rng.choice(("×", "*")) if lang == "zh" else rng.choice(("×", "*", "times"))
    if shape == "mul":
        expr, shown = f"{a} * {b}", f"{a} {times} {b}"
    elif shape == "add3":
        expr = shown = f"{a} + {b} + {c}"
    elif shape == "paren":
        expr, shown = f"({a} + {b}) * {c}", f"({a} + {b}) {times} {c}"
    elif shape == "muladd":
        expr, shown = f"{a} * {b} - {c}", f"{a} {times} {b} - {c}"
    elif shape == "div":
        expr, shown = f"{a * b} / {b}", f"{a * b} {rng.choice(('÷', '/'))} {b}"
    else:
        x = rand_number(rng, 20, 900, split)
        p = rng.choice((5, 10, 12, 15, 20, 25, 30, 40, 75))
        expr, shown = f"{x} * {p} / 100", (f"{p}% of {x}" if lang == "en" else f"{x}的{p}%")
    result = format_number(evaluate(expr))
    plan = f"Calculate {expr} with calculator." if lang == "en" else f"用 calculator 计算 {expr}。"
    summary = f"{shown} = {result}." if lang == "en" else f"{shown} = {result}。"
    return Step(_fragment(rng, "calc", split, lang, expr=shown), plan, summary, [result], "calculator",
                {"expression": expr}, result, {"result": result})


def _time_step(rng: random.Random, split: str, lang: str) -> Step:
    tz, en_city, zh_city = rng.choice(facts.share(_CITIES, split))
    city = en_city if lang == "en" else zh_city
    date = f"{rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    minute = rand_number(rng, 0, 24 * 60 - 1, split)
    clock = f"{minute // 60:02d}:{minute % 60:02d}"
    if lang == "en":
        plan = f"Look up the current time in {city} ({tz}) with current_datetime."
        summary = f"In {city} it is {clock} on {date}."
    else:
        plan = f"用 current_datetime 查询{city}（{tz}）的当前时间。"
        summary = f"{city}现在是{date} {clock}。"
    result = json.dumps({"datetime": f"{date} {clock}"})
    return Step(_fragment(rng, "time", split, lang, city=city), plan, summary, [clock], "current_datetime",
                {"timezone": tz}, result)


def _lookup_step(rng: random.Random, split: str, lang: str) -> Step:
    kind, attr = rng.choice(facts.askable(split, lang))
    target, other = facts.make_entities(rng, kind, split, lang, 2)
    while other.values[attr] == target.values[attr]:
        other.values[attr] = facts.random_value(rng, kind, attr, split, lang)
    texts = [facts.passage(rng, e, [attr], lang, intro=False) for e in (target, other)]
    order = [0, 1] if rng.random() < 0.5 else [1, 0]
    cite = order.index(0) + 1
    result = json.dumps([{"id": i + 1, "text": texts[j]} for i, j in enumerate(order)], ensure_ascii=False)
    kw, name, value = facts.KEYWORDS[attr][lang], target.name, target.values[attr]
    if lang == "en":
        plan = f"Search the knowledge base for the {kw} of {name}."
        summary = f"The {kw} of {name} is {value} [{cite}]."
    else:
        plan = f"用 search_knowledge_base 查找{name}的{kw}。"
        summary = f"{name}的{kw}是{value} [{cite}]。"
    return Step(_fragment(rng, "lookup", split, lang, kw=kw, name=name), plan, summary, [value],
                "search_knowledge_base", {"query": facts.query(attr, name, lang)}, result)


_TOOL_STEPS = {"convert": _convert_step, "weather": _weather_step, "calc": _calc_step, "time": _time_step,
               "lookup": _lookup_step}


def _no_tool_step(rng: random.Random, kind: str, deps: list[Step], split: str, lang: str) -> Step:
    """A step the assistant does itself from earlier results."""
    en = lang == "en"
    if kind == "warmer":
        a, b = (s.extra for s in deps)
        warm, cold = (a, b) if a["temperature"] > b["temperature"] else (b, a)
        plan = ("Compare the two temperatures to see which place is warmer (no tool needed)." if en
                else "比较两地气温，判断哪里更暖和（无需工具）。")
        summary = (f"{warm['location']} is warmer ({warm['temperature']}°C vs {cold['temperature']}°C)." if en
                   else f"{warm['location']}更暖和（{warm['temperature']}°C 对 {cold['temperature']}°C）。")
        answers = [warm["location"]]
    elif kind == "parity":
        n = deps[0].extra["result"]
        even = int(n) % 2 == 0
        word = ("even" if even else "odd") if en else ("偶数" if even else "奇数")
        plan = ("Check whether the calculation result is even or odd (no tool needed)." if en
                else "判断计算结果是奇数还是偶数（无需工具）。")
        summary = f"{n} is an {word} number." if en else f"{n}是{word}。"
        answers = [word]
    else:
        extra = deps[0].extra
        whole = dec(extra["result"].quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        plan = ("Round the converted value to the nearest whole number (no tool needed)." if en
                else "把换算结果四舍五入到整数（无需工具）。")
        summary = (f"Rounded to a whole number, that is {whole} {extra['unit']}." if en
                   else f"四舍五入后约为{whole}{extra['unit']}。")
        answers = [whole]
    return Step(_fragment(rng, kind, split, lang), plan, summary, answers)


def _steps(rng: random.Random, split: str, lang: str) -> list[Step]:
    """Two tool steps in random order, sometimes followed by one step that needs no tool.

    (Two calls keep an example, tool schemas included, well inside the 512-token SFT window.)
    """
    count = 2
    no_tool = rng.choice(("warmer", "parity", "round")) if rng.random() < 0.4 else None
    deps: list[Step] = []  # the tool steps the no-tool step reads
    if no_tool == "warmer":
        first = _weather_step(rng, split, lang)
        second = _weather_step(rng, split, lang)
        while (second.extra["location"] == first.extra["location"]
               or second.extra["temperature"] == first.extra["temperature"]):
            second = _weather_step(rng, split, lang)
        deps = [first, second]
    elif no_tool == "parity":
        deps = [_calc_step(rng, split, lang, integer=True)]
    elif no_tool == "round":
        deps = [_convert_step(rng, split, lang, fractional=True)]
    used = {None: "", "warmer": "weather", "parity": "calc", "round": "convert"}[no_tool]
    kinds = [k for k in _TOOL_STEPS if k != used]
    steps = deps + [_TOOL_STEPS[k](rng, split, lang) for k in rng.sample(kinds, max(0, count - len(deps)))]
    rng.shuffle(steps)
    if no_tool:
        steps.append(_no_tool_step(rng, no_tool, deps, split, lang))
    return steps


def _join_tasks(rng: random.Random, parts: list[str], lang: str) -> str:
    if lang == "zh":
        style = rng.choice(("seq", "comma", "semi"))
        if style == "seq":
            middle = "".join(f"，再{p}" for p in parts[1:-1])
            return f"先{parts[0]}{middle}，" + ("最后" if len(parts) > 2 else "然后") + parts[-1]
        return ("；" if style == "semi" else "，").join(parts[:-1]) + f"，然后{parts[-1]}"
    style = rng.choice(("seq", "comma", "then"))
    if style == "seq":
        middle = "".join(f", then {p}" for p in parts[1:-1])
        return f"first {parts[0]}{middle}, " + ("and finally " if len(parts) > 2 else "then ") + parts[-1]
    if style == "comma":
        return ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return ", then ".join(parts)


# Largest `facts.rough_chars` of an example, so that it renders to fewer than ~500 tokens.
MAX_CHARS = {"en": 1150, "zh": 740}


def make_plan_execute(rng: random.Random, split: str, lang: str) -> Example:
    """A multi-part request solved with a numbered plan, one tool call per step, and a synthesis."""
    for _ in range(50):  # redraw the rare combinations that would be too long
        example = _plan_execute(rng, split, lang)
        if facts.rough_chars(example.messages, example.tools) <= MAX_CHARS[lang]:
            break
    return example


def _plan_execute(rng: random.Random, split: str, lang: str) -> Example:
    steps = _steps(rng, split, lang)
    tasks = _join_tasks(rng, [s.request for s in steps], lang)
    opener = rng.choice(facts.share(_OPENERS[lang], split))
    user = opener.format(tasks=tasks, Tasks=tasks[0].upper() + tasks[1:])
    plan = PLAN_HEADER[lang] + "\n" + "\n".join(f"{i}. {s.plan}" for i, s in enumerate(steps, 1))
    messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
    tool_steps = [s for s in steps if s.tool]
    for i, step in enumerate(tool_steps):
        cid = call_id(rng)
        messages.append({"role": "assistant", "content": plan if i == 0 else "",
                         "tool_calls": [tool_call(step.tool, step.arguments, cid)]})
        messages.append({"role": "tool", "tool_call_id": cid, "name": step.tool, "content": step.result})
    bullet = rng.choice(("- ", "numbered"))
    lines = [(f"{i}. " if bullet == "numbered" else "- ") + s.summary for i, s in enumerate(steps, 1)]
    messages.append({"role": "assistant", "content": rng.choice(_SYNTH_OPENERS[lang]) + "\n" + "\n".join(lines)})
    schemas = builtin_tools(lang)
    names = list(dict.fromkeys(s.tool for s in tool_steps))
    rng.shuffle(names)
    meta = {
        "plan_steps": len(steps),
        "tools": [s.tool for s in tool_steps],
        "answers": [a for s in steps for a in s.answers],
        "calls": [{"name": s.tool, "arguments": s.arguments} for s in tool_steps],
        "no_tool_steps": len(steps) - len(tool_steps),
    }
    return Example(messages, "plan_execute", lang, split, tools=[schemas[n] for n in names], meta=meta)


GENERATORS = {"plan_execute": make_plan_execute}


# ---------------------------------------------------------------- corruption

_LINE = re.compile(r"^(\d+\. |- )")


def _renumber(lines: list[str]) -> list[str]:
    return [re.sub(r"^\d+\. ", f"{i}. ", line) for i, line in enumerate(lines, 1)]


def _skip_in_plan(example: Example, rng: random.Random) -> tuple[int, dict]:
    """The first message with one plan step left out (and its call, if it was the first)."""
    first = example.messages[1]
    header, *lines = first["content"].split("\n")
    drop = rng.randrange(len(lines))
    kept = _renumber([line for i, line in enumerate(lines) if i != drop])
    calls = first["tool_calls"]
    if drop == 0 and len(example.meta["tools"]) > 1:
        calls = example.messages[3]["tool_calls"]
    return 1, {"role": "assistant", "content": "\n".join([header, *kept]), "tool_calls": calls}


def _perturb(key: str, rng: random.Random) -> str | None:
    """A wrong value in the same format as `key` (numbers only)."""
    match = re.search(r"-?\d+(\.\d+)?", key)
    if not match:
        return None
    number = Decimal(match.group())
    delta = Decimal(rng.choice((1, 2, 3, 5, 10, 12)))
    if match.group(1):
        delta /= 10 ** len(match.group(1)[1:]) if rng.random() < 0.5 else 1
    wrong = number + delta if rng.random() < 0.5 else number - delta
    return key[: match.start()] + dec(wrong) + key[match.end():]


def _last_span(text: str, key: str) -> tuple[int, int] | None:
    """Where `key` last occurs in `text` as a whole number (not inside a longer one)."""
    matches = list(re.finditer(rf"(?<![\d.]){re.escape(key)}(?![\d]|\.\d)", text))
    return matches[-1].span() if matches else None


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """A plan that skips a part, or a synthesis that drops or contradicts a result."""
    last = len(example.messages) - 1
    text = example.messages[last]["content"]
    mode = rng.choice(("plan", "omit", "contradict"))
    if mode == "plan":
        return _skip_in_plan(example, rng)
    opener, *lines = text.split("\n")
    if mode == "contradict":
        spans = {k: _last_span(text, k) for k in example.meta["answers"] if re.search(r"\d", k) and ":" not in k}
        numeric = [k for k, span in spans.items() if span]
        if numeric:
            key = rng.choice(numeric)
            wrong = _perturb(key, rng)
            start, end = spans[key]
            if wrong and wrong != key:
                return last, {"role": "assistant", "content": text[:start] + wrong + text[end:]}
    drop = rng.randrange(len(lines))
    kept = [line for i, line in enumerate(lines) if i != drop]
    if _LINE.match(kept[0]) and kept[0][0].isdigit():
        kept = _renumber(kept)
    return last, {"role": "assistant", "content": "\n".join([opener, *kept])}
