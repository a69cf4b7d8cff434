"""Single tool calls: pick the one right tool (or none), copy the arguments, use the result, survive errors.

Sub-families:
- `tool_choice`: 2-5 tools are listed (built-ins and generated fictional tools); the request needs exactly one;
  the assistant calls it (empty content), reads the `tool` result and answers briefly;
- `no_tool`: tools are listed but the request (a greeting, thanks, a general question, or something no listed
  tool can do) needs none;
- `tool_error`: the tool returns an error; the assistant retries once with corrected arguments or explains.

Fictional tools are built from kinds (flight status, translation, stock price, ...) times name variants, with
English and Chinese descriptions; their names are split train/test, so test tools are never seen in training.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, NamedTuple

from agentlm.data.synth import facts
from agentlm.data.synth.base import (
    Example,
    call_id,
    rand_number,
    split_share,
    stable_hash,
    tool_call,
    tool_schema,
)
from agentlm.data.synth.safe_arith import evaluate, format_number
from agentlm.data.synth.tool_specs import builtin_tools

MAX_CHARS = 1200  # rough rendered size of one example, tool schemas included

Values = dict[str, Any]


class Param(NamedTuple):
    """One parameter of a tool kind: the slot it reads (`role`), candidate names, JSON type, descriptions."""

    role: str
    names: tuple[str, ...]
    type: str
    en: str
    zh: str


@dataclass(frozen=True)
class Kind:
    """A family of tools doing the same job: names, schema text, slot values, results and wording."""

    key: str
    names: tuple[str, ...]  # tool names; a built-in has exactly one
    desc: dict[str, tuple[str, ...]]  # description variants per language (unused for built-ins)
    params: tuple[Param, ...]
    values: Callable[[random.Random, str, str], Values]  # (rng, split, lang) -> slot values
    result: Callable[[random.Random, Values, str, str], tuple[Any, Values]]  # -> (tool payload, answer slots)
    requests: dict[str, tuple[str, ...]]
    answers: dict[str, tuple[str, ...]]
    builtin: bool = False


def _combo(verbs: tuple[str, ...], objects: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{v}_{o}" for v in verbs for o in objects)


def _pick(rng: random.Random, items: tuple | list, split: str) -> Any:
    return rng.choice(facts.share(items, split))


def _clock(rng: random.Random, lo: int = 8, hi: int = 20) -> str:
    return f"{rng.randint(lo, hi):02d}:{rng.choice(('00', '15', '30', '45'))}"


def _dec(x: Decimal) -> str:
    text = format(x.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _num(x: Decimal) -> int | float:
    return int(x) if x == x.to_integral_value() else float(x)


def _p(role: str, names: tuple[str, ...], en: str, zh: str, type_: str = "string") -> Param:
    return Param(role, names, type_, en, zh)


def _by_lang(lang: str, pair: tuple[str, str]) -> str:
    return pair[0] if lang == "en" else pair[1]


# ---------------------------------------------------------------- pools

_CITIES = (("Asia/Tokyo", "Tokyo", "东京"), ("Europe/Paris", "Paris", "巴黎"), ("America/New_York", "New York", "纽约"),
           ("Europe/London", "London", "伦敦"), ("Australia/Sydney", "Sydney", "悉尼"),
           ("Asia/Shanghai", "Shanghai", "上海"), ("Asia/Singapore", "Singapore", "新加坡"),
           ("Europe/Berlin", "Berlin", "柏林"), ("America/Chicago", "Chicago", "芝加哥"),
           ("Asia/Dubai", "Dubai", "迪拜"), ("Africa/Cairo", "Cairo", "开罗"), ("Asia/Seoul", "Seoul", "首尔"),
           ("Europe/Madrid", "Madrid", "马德里"), ("Europe/Rome", "Rome", "罗马"),
           ("America/Toronto", "Toronto", "多伦多"), ("Asia/Bangkok", "Bangkok", "曼谷"),
           ("Europe/Vienna", "Vienna", "维也纳"), ("Africa/Nairobi", "Nairobi", "内罗毕"),
           ("Europe/Lisbon", "Lisbon", "里斯本"), ("America/Denver", "Denver", "丹佛"))
_ZH_TYPOS = (("巴黎", "巴藜"), ("伦敦", "轮敦"), ("上海", "尚海"), ("悉尼", "西尼"), ("柏林", "柏临"), ("首尔", "首耳"),
             ("罗马", "罗玛"), ("多伦多", "多仑多"), ("曼谷", "慢谷"), ("迪拜", "迪摆"), ("开罗", "开萝"),
             ("维也纳", "维也那"), ("马德里", "玛德里"), ("新加坡", "新家坡"), ("里斯本", "里斯奔"))
_CONDITIONS = (("sunny", "晴"), ("cloudy", "多云"), ("light rain", "小雨"), ("heavy rain", "大雨"), ("snow", "小雪"),
               ("fog", "有雾"), ("windy", "大风"), ("overcast", "阴"), ("thunderstorms", "雷阵雨"))
# (from, to, factor or None for temperature, English names, Chinese names)
_UNITS = (("km", "mi", Decimal("0.621371"), "kilometres", "miles", "公里", "英里"),
          ("mi", "km", Decimal("1.609344"), "miles", "kilometres", "英里", "公里"),
          ("kg", "lb", Decimal("2.204623"), "kilograms", "pounds", "千克", "磅"),
          ("lb", "kg", Decimal("0.453592"), "pounds", "kilograms", "磅", "千克"),
          ("m", "ft", Decimal("3.28084"), "metres", "feet", "米", "英尺"),
          ("ft", "m", Decimal("0.3048"), "feet", "metres", "英尺", "米"),
          ("L", "gal", Decimal("0.264172"), "litres", "gallons", "升", "加仑"),
          ("gal", "L", Decimal("3.785412"), "gallons", "litres", "加仑", "升"),
          ("C", "F", None, "degrees Celsius", "degrees Fahrenheit", "摄氏度", "华氏度"),
          ("F", "C", None, "degrees Fahrenheit", "degrees Celsius", "华氏度", "摄氏度"))
_AIRLINES = ("BA", "LH", "AF", "UA", "DL", "QF", "SQ", "CA", "MU", "NH", "KL", "EK", "TK", "AC")
_TICKERS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOG", "META", "IBM", "ORCL", "INTC", "AMD", "NFLX", "SAP",
            "SONY", "BABA", "TSM", "ADBE", "CSCO", "UBER", "SHOP")
# English phrase -> (Chinese, French, Spanish, German)
_PHRASES = {"good morning": ("早上好", "bonjour", "buenos días", "guten Morgen"),
            "thank you very much": ("非常感谢", "merci beaucoup", "muchas gracias", "vielen Dank"),
            "where is the station": ("车站在哪里", "où est la gare", "dónde está la estación", "wo ist der Bahnhof"),
            "how much is this": ("这个多少钱", "combien ça coûte", "cuánto cuesta esto", "wie viel kostet das"),
            "see you tomorrow": ("明天见", "à demain", "hasta mañana", "bis morgen"),
            "I am hungry": ("我饿了", "j'ai faim", "tengo hambre", "ich habe Hunger"),
            "the bill, please": ("请结账", "l'addition, s'il vous plaît", "la cuenta, por favor",
                                 "die Rechnung, bitte"),
            "happy birthday": ("生日快乐", "joyeux anniversaire", "feliz cumpleaños", "alles Gute zum Geburtstag")}
_TARGETS = (("French", "法语", 1), ("Spanish", "西班牙语", 2), ("German", "德语", 3), ("English", "英语", -1))
_WORDS = {"en": (("ephemeral", "lasting for a very short time"), ("gregarious", "fond of company; sociable"),
                 ("meticulous", "showing great attention to detail"), ("ubiquitous", "present or found everywhere"),
                 ("candid", "truthful and straightforward"), ("frugal", "careful not to waste money or resources"),
                 ("lucid", "clear and easy to understand"), ("resilient", "able to recover quickly from difficulties"),
                 ("verbose", "using more words than needed"), ("serendipity", "finding good things by chance")),
          "zh": (("画蛇添足", "做了多余的事，反而弄巧成拙"), ("守株待兔", "死守狭隘经验，不知变通"),
                 ("亡羊补牢", "出了问题后及时补救，还不算晚"), ("对牛弹琴", "对不懂的人讲道理，白费口舌"),
                 ("井底之蛙", "比喻见识狭窄的人"), ("半途而废", "事情没做完就停止"), ("一举两得",
                                                              "做一件事得到两种好处"),
                 ("杯弓蛇影", "疑神疑鬼，自相惊扰"))}
_INGREDIENTS = (("chicken", "鸡肉"), ("tofu", "豆腐"), ("salmon", "三文鱼"), ("mushrooms", "蘑菇"), ("eggs", "鸡蛋"),
                ("spinach", "菠菜"), ("potatoes", "土豆"), ("beef", "牛肉"), ("shrimp", "虾仁"), ("tomatoes", "番茄"),
                ("lentils", "扁豆"), ("pumpkin", "南瓜"))
_DISHES = (("stir-fry", "小炒"), ("soup", "汤"), ("salad", "沙拉"), ("curry", "咖喱"), ("bake", "焗饭"))
_RATES = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "JPY": Decimal("151"),
          "CNY": Decimal("7.2"), "CAD": Decimal("1.36"), "CHF": Decimal("0.88"), "AUD": Decimal("1.52")}
_RESTAURANTS = {"en": tuple(f"The {a} {n}" for a in ("Blue", "Golden", "Silver", "Old", "Little", "Green", "Lucky")
                            for n in ("Lantern", "Spoon", "Olive", "Harbour", "Fig", "Garden", "Pepper")),
                "zh": tuple(f"{a}{n}餐厅" for a in ("蓝", "金", "银", "老", "小", "绿", "福")
                            for n in ("灯笼", "汤匙", "橄榄", "港湾", "无花果", "花园", "辣椒"))}
_REMINDERS = (("call the dentist", "给牙医打电话"), ("water the plants", "给植物浇水"), ("submit the report",
                                                                              "提交报告"),
              ("pick up the kids", "接孩子"), ("take my medicine", "吃药"), ("buy milk", "买牛奶"),
              ("back up my laptop", "备份电脑"), ("pay the rent", "交房租"), ("join the team call", "参加团队电话会"))
_SUBJECTS = (("Project update", "项目进展"), ("Lunch on Friday", "周五午餐"), ("Meeting notes", "会议纪要"),
             ("Holiday plans", "假期安排"), ("Budget review", "预算审核"), ("Welcome aboard", "欢迎加入"),
             ("Contract draft", "合同草稿"), ("Trip photos", "旅行照片"))
_STATUS = {"flight": (("on time", "准点"), ("delayed by 40 minutes", "延误40分钟"), ("boarding", "正在登机"),
                      ("landed", "已降落")),
           "package": (("in transit", "运输中"), ("out for delivery", "派送中"), ("delivered", "已签收"),
                       ("at the sorting centre", "在分拣中心")),
           "order": (("shipped", "已发货"), ("being prepared", "备货中"), ("delivered", "已送达"),
                     ("cancelled", "已取消"))}


# ---------------------------------------------------------------- slot values and results per kind

def _location(rng: random.Random, split: str, lang: str) -> str:
    if rng.random() < 0.6:
        return _by_lang(lang, _pick(rng, _CITIES, split)[1:])
    return rng.choice(facts.names("town", split, lang))


def _town(rng: random.Random, split: str, lang: str) -> Values:
    return {"city": rng.choice(facts.names("town", split, lang))}


def _weather_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    r = {"location": v["location"], "temperature_c": rng.randint(-12, 38),
         "condition": _by_lang(lang, rng.choice(_CONDITIONS))}
    return r, r


def _calc_values(rng: random.Random, split: str, lang: str) -> Values:
    a, b, c = (rand_number(rng, 3, 99, split) for _ in range(3))
    return {"expression": rng.choice((f"{a} * {b}", f"{a} + {b} + {c}", f"({a} + {b}) * {c}", f"{a} * {b} - {c}",
                                      f"{a * b} / {b}", f"{a} * {b} + {c}"))}


def _calc_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    try:
        result = format_number(evaluate(v["expression"]))
    except ValueError:
        result = str(rng.randint(1, 99))  # only reached when faking an answer to an impossible expression
    return result, {"result": result}


def _time_values(rng: random.Random, split: str, lang: str) -> Values:
    tz, en, zh = _pick(rng, _CITIES, split)
    return {"timezone": tz, "city": en if lang == "en" else zh}


def _time_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    date = f"{rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    return {"timezone": v["timezone"], "datetime": f"{date}T{clock}:00"}, {"date": date, "clock": clock}


def _unit_values(rng: random.Random, split: str, lang: str) -> Values:
    src, dst, _, en_src, en_dst, zh_src, zh_dst = rng.choice(_UNITS)
    value = rand_number(rng, -20, 45, split) if src == "C" else rand_number(rng, 1, 500, split)
    names = (en_src, en_dst) if lang == "en" else (zh_src, zh_dst)
    return {"value": value, "from_unit": src, "to_unit": dst, "src": names[0], "dst": names[1]}


def _unit_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    factor = next(u[2] for u in _UNITS if u[0] == v["from_unit"] and u[1] == v["to_unit"])
    x = Decimal(v["value"])
    celsius = x * 9 / 5 + 32 if v["from_unit"] == "C" else (x - 32) * 5 / 9
    out = celsius if factor is None else x * factor
    out = out.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"value": _num(out), "unit": v["to_unit"]}, {"r": _dec(out)}


def _kb_values(rng: random.Random, split: str, lang: str) -> Values:
    ekind, attr = rng.choice(facts.askable(split, lang))
    entity = facts.make_entities(rng, ekind, split, lang, 1)[0]
    return {"query": facts.query(attr, entity.name, lang), "name": entity.name, "kw": facts.KEYWORDS[attr][lang],
            "ekind": ekind, "attr": attr, "value": entity.values[attr],
            "_passage": facts.passage(rng, entity, [attr], lang, intro=False)}


def _kb_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    if "_passage" not in v:  # faking: invent a value
        return [], {"value": facts.random_value(rng, v["ekind"], v["attr"], split, lang), "cite": 1}
    return [{"id": 1, "text": v["_passage"]}], {"cite": 1}


def _translate_values(rng: random.Random, split: str, lang: str) -> Values:
    phrase = _pick(rng, tuple(_PHRASES), split)
    target = rng.choice(_TARGETS[:3] if lang == "en" else _TARGETS)
    return {"text": phrase if lang == "en" else _PHRASES[phrase][0], "lang": _by_lang(lang, target[:2]),
            "translation": phrase if target[2] < 0 else _PHRASES[phrase][target[2]]}


def _status_result(key: str, field: str) -> Callable[[random.Random, Values, str, str], tuple[Any, Values]]:
    def result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
        r = {field: v[field], "status": _by_lang(lang, rng.choice(_STATUS[key]))}
        if key == "flight":
            r["gate"] = f"{rng.choice('ABCDE')}{rng.randint(1, 40)}"
        elif key == "package":
            r["last_location"] = rng.choice(facts.names("town", split, lang))
        return r, r
    return result


def _recipe_values(rng: random.Random, split: str, lang: str) -> Values:
    return {"ingredient": _by_lang(lang, _pick(rng, _INGREDIENTS, split)),
            "max_minutes": rand_number(rng, 10, 90, split)}


def _recipe_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    dish = _by_lang(lang, rng.choice(_DISHES))
    name = f"{v['ingredient'].capitalize()} {dish}" if lang == "en" else v["ingredient"] + dish
    r = {"recipe": name, "minutes": rng.randint(max(5, v["max_minutes"] - 30), v["max_minutes"])}
    return r, r


def _money_values(rng: random.Random, split: str, lang: str) -> Values:
    src, dst = rng.sample(sorted(_RATES), 2)
    return {"amount": rand_number(rng, 5, 5000, split), "from": src, "to": dst}


def _money_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    out = (Decimal(v["amount"]) / _RATES[v["from"]] * _RATES[v["to"]]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"amount": _num(out), "currency": v["to"]}, {"converted": _dec(out)}


def _ticket(prefix: str, lo: int = 1000, hi: int = 9999) -> Callable[[random.Random], str]:
    return lambda rng: f"{prefix}{rng.randint(lo, hi)}"


def _stock_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    price = f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}"
    return {"ticker": v["ticker"], "price": float(price), "currency": "USD"}, {"price": price}


def _fixed(**fields: Callable[[random.Random], Any]) -> Callable[[random.Random, Values, str, str], tuple[Any, Values]]:
    """A result made of freshly drawn fields (booking ids and the like)."""
    def result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
        r = {k: f(rng) for k, f in fields.items()}
        return r, r
    return result


def _echo(key: str) -> Callable[[random.Random, Values, str, str], tuple[Any, Values]]:
    """A result that returns one precomputed slot (translation, definition)."""
    return lambda rng, v, split, lang: ({key: v[key]}, {})


def _aqi_result(rng: random.Random, v: Values, split: str, lang: str) -> tuple[Any, Values]:
    aqi = rng.randint(10, 180)
    level = ("good", "moderate", "unhealthy")[(aqi > 50) + (aqi > 100)]
    if lang == "zh":
        level = {"good": "优", "moderate": "良", "unhealthy": "轻度污染"}[level]
    return {"aqi": aqi, "level": level}, {"aqi": aqi, "level": level}


def _two_towns(rng: random.Random, split: str, lang: str) -> Values:
    a, b = facts.pick_names(rng, "town", split, lang, 2)
    return {"origin": a, "destination": b}


# ---------------------------------------------------------------- kinds

_BUILTINS = (
    Kind("calculator", ("calculator",), {}, (_p("expression", ("expression",), "", ""),), _calc_values, _calc_result,
         {"en": ("What is {expression}?", "Calculate {expression}.", "Can you work out {expression} for me?",
                 "Quick maths: what does {expression} come to?"),
          "zh": ("{expression}等于多少？", "帮我算一下{expression}。", "计算{expression}。")},
         {"en": ("{expression} = {result}.", "That comes to {result}."), "zh": ("{expression}等于{result}。",
                                                                                "结果是{result}。")},
         builtin=True),
    Kind("get_weather", ("get_weather",), {}, (_p("location", ("location",), "", ""),),
         lambda rng, split, lang: {"location": _location(rng, split, lang)}, _weather_result,
         {"en": ("What's the weather like in {location} right now?", "Is it raining in {location}?",
                 "How warm is it in {location} today?", "Weather check for {location}, please."),
          "zh": ("{location}现在天气怎么样？", "{location}今天冷不冷？", "帮我看看{location}的天气。")},
         {"en": ("It's {temperature_c}°C and {condition} in {location}.",
                 "{location}: {condition}, {temperature_c}°C."),
          "zh": ("{location}现在{condition}，气温{temperature_c}°C。",)}, builtin=True),
    Kind("search_knowledge_base", ("search_knowledge_base",), {}, (_p("query", ("query",), "", ""),), _kb_values,
         _kb_result,
         {"en": ("Search my documents for the {kw} of {name}.", "What do my notes say about the {kw} of {name}?",
                 "Look up the {kw} of {name} in the knowledge base."),
          "zh": ("在我的文档里查一下{name}的{kw}。", "知识库里关于{name}的{kw}是怎么写的？")},
         {"en": ("The {kw} of {name} is {value} [{cite}].",), "zh": ("{name}的{kw}是{value} [{cite}]。",)},
         builtin=True),
    Kind("current_datetime", ("current_datetime",), {}, (_p("timezone", ("timezone",), "", ""),), _time_values,
         _time_result,
         {"en": ("What time is it in {city} right now?", "What's the current date and time in {city}?",
                 "Tell me the local time in {city}."),
          "zh": ("{city}现在几点？", "告诉我{city}的当地时间。")},
         {"en": ("It's {clock} on {date} in {city}.",), "zh": ("{city}现在是{date} {clock}。",)}, builtin=True),
    Kind("convert_units", ("convert_units",), {},
         (_p("value", ("value",), "", ""), _p("from_unit", ("from_unit",), "", ""), _p("to_unit", ("to_unit",), "",
                                                                                       "")),
         _unit_values, _unit_result,
         {"en": ("How many {dst} is {value} {src}?", "Convert {value} {src} to {dst}.",
                 "What's {value} {src} in {dst}?"),
          "zh": ("{value}{src}是多少{dst}？", "把{value}{src}换算成{dst}。")},
         {"en": ("{value} {src} is {r} {dst}.",), "zh": ("{value}{src}等于{r}{dst}。",)}, builtin=True),
)

_FICTIONAL = (
    Kind("flight", _combo(("lookup", "get", "check", "fetch", "query"), ("flight_status", "flight_info", "flight",
                                                                         "flight_tracker")),
         {"en": ("Look up the live status of a flight", "Get status and gate of a flight"),
          "zh": ("查询航班的实时状态",)},
         (_p("flight", ("flight_number", "flight_code", "flight_id"), "Flight number, e.g. LH400", "航班号"),),
         lambda rng, split, lang: {"flight": f"{rng.choice(_AIRLINES)}{rand_number(rng, 10, 2999, split)}"},
         _status_result("flight", "flight"),
         {"en": ("What's the status of flight {flight}?", "Is flight {flight} on time?",
                 "Can you check how flight {flight} is doing right now?", "Has {flight} landed yet?"),
          "zh": ("航班{flight}现在什么状态？", "帮我查一下{flight}航班是否准点。")},
         {"en": ("Flight {flight} is {status}, gate {gate}.",), "zh": ("航班{flight}目前{status}，登机口{gate}。",)}),
    Kind("translate", _combo(("translate",), ("text", "phrase", "sentence", "string"))
         + _combo(("get", "fetch", "request"), ("translation", "text_translation")),
         {"en": ("Translate text into another language", "Machine translation of short text"),
          "zh": ("把文本翻译成另一种语言",)},
         (_p("text", ("text", "source_text", "phrase"), "Text to translate", "要翻译的文本"),
          _p("lang", ("target_language", "to_language", "target_lang"), "Target language", "目标语言")),
         _translate_values, _echo("translation"),
         {"en": ('Translate "{text}" into {lang}.', 'How do you say "{text}" in {lang}?',
                 'I need "{text}" in {lang}, please.'),
          "zh": ("把“{text}”翻译成{lang}。", "“{text}”用{lang}怎么说？")},
         {"en": ('"{text}" in {lang} is "{translation}".',), "zh": ("“{text}”的{lang}是“{translation}”。",)}),
    Kind("stock", _combo(("get", "fetch", "lookup", "check", "query"), ("stock_price", "share_price", "stock_quote")),
         {"en": ("Get the latest price of a stock", "Current share price by ticker"), "zh": ("查询股票的最新价格",)},
         (_p("ticker", ("ticker", "symbol", "stock_symbol"), "Stock ticker, e.g. IBM", "股票代码"),),
         lambda rng, split, lang: {"ticker": _pick(rng, _TICKERS, split)}, _stock_result,
         {"en": ("What's {ticker} trading at right now?", "Get me the current share price of {ticker}.",
                 "How much is one {ticker} share today?"),
          "zh": ("{ticker}现在股价多少？", "帮我查一下{ticker}的最新股价。")},
         {"en": ("{ticker} is trading at {price} USD.",), "zh": ("{ticker}当前股价为{price}美元。",)}),
    Kind("room", _combo(("book", "reserve", "schedule", "hold"), ("meeting_room", "room", "conference_room")),
         {"en": ("Book a meeting room", "Reserve a conference room for a time slot"), "zh": ("预订会议室",)},
         (_p("room", ("room", "room_name", "room_id"), "Room, e.g. B-210", "会议室编号"),
          _p("start", ("start_time", "start", "begin_at"), "Start time HH:MM", "开始时间 HH:MM"),
          _p("duration", ("duration_minutes", "minutes", "length_minutes"), "Length in minutes", "时长（分钟）",
             "integer")),
         lambda rng, split, lang: {"room": f"{rng.choice('ABCDEFG')}-{rand_number(rng, 100, 499, split)}",
                                   "start": _clock(rng), "duration": rand_number(rng, 15, 120, split)},
         _fixed(booking_id=_ticket("MR-"), status=lambda rng: "confirmed"),
         {"en": ("Book room {room} at {start} for {duration} minutes.",
                 "Can you reserve meeting room {room} from {start} for {duration} minutes?",
                 "I need room {room} at {start}, {duration} minutes please."),
          "zh": ("帮我预订会议室{room}，{start}开始，{duration}分钟。",
                 "请订一下{room}会议室，从{start}起用{duration}分钟。")},
         {"en": ("Done: room {room} is booked at {start} for {duration} minutes (booking {booking_id}).",),
          "zh": ("已预订会议室{room}，{start}开始，时长{duration}分钟，预订号{booking_id}。",)}),
    Kind("package", _combo(("track", "locate", "trace", "check"), ("package", "parcel", "shipment", "delivery")),
         {"en": ("Track a parcel by its tracking number", "Where a package is now"), "zh": ("根据单号追踪包裹",)},
         (_p("tracking", ("tracking_id", "tracking_number", "parcel_id"), "Tracking number", "快递单号"),),
         lambda rng, split, lang: {"tracking": rng.choice(("1Z", "PK", "TRK", "SF", "JD"))
                                   + str(rand_number(rng, 100000, 999999, split))},
         _status_result("package", "tracking"),
         {"en": ("Where is my package {tracking}?", "Track parcel {tracking} for me.",
                 "Any update on shipment {tracking}?"),
          "zh": ("我的包裹{tracking}到哪了？", "帮我查一下快递单号{tracking}。")},
         {"en": ("Package {tracking} is {status} (last seen in {last_location}).",),
          "zh": ("包裹{tracking}目前{status}，最近位置：{last_location}。",)}),
    Kind("recipe", _combo(("find", "search", "suggest", "get"), ("recipe", "recipes", "dish", "quick_recipe")),
         {"en": ("Find a recipe by ingredient and cooking time", "Suggest a quick recipe"),
          "zh": ("按食材和时长查找菜谱",)},
         (_p("ingredient", ("ingredient", "main_ingredient", "food"), "Main ingredient", "主要食材"),
          _p("max_minutes", ("max_minutes", "time_limit_minutes", "max_cooking_minutes"), "Time limit in minutes",
             "最长烹饪时间（分钟）", "integer")),
         _recipe_values, _recipe_result,
         {"en": ("Find me a recipe with {ingredient} that takes at most {max_minutes} minutes.",
                 "What can I cook with {ingredient} in under {max_minutes} minutes?",
                 "Suggest a {ingredient} dish I can make in {max_minutes} minutes."),
          "zh": ("找一个用{ingredient}做、不超过{max_minutes}分钟的菜谱。",
                 "有什么{max_minutes}分钟内能做好的{ingredient}菜？")},
         {"en": ("Try {recipe}: it takes about {minutes} minutes.",),
          "zh": ("可以试试{recipe}，大约需要{minutes}分钟。",)}),
    Kind("money", _combo(("convert", "exchange"), ("currency", "money", "cash")) + ("currency_converter", "fx_convert"),
         {"en": ("Convert money between currencies", "Currency conversion at today's rate"),
          "zh": ("按当日汇率换算货币",)},
         (_p("amount", ("amount", "value", "sum"), "Amount of money", "金额", "number"),
          _p("from", ("from_currency", "source_currency", "base"), "Currency code, e.g. USD", "原币种代码"),
          _p("to", ("to_currency", "target_currency", "quote"), "Currency code, e.g. EUR", "目标币种代码")),
         _money_values, _money_result,
         {"en": ("Convert {amount} {from} to {to}.", "How much is {amount} {from} in {to}?",
                 "What do {amount} {from} come to in {to} today?"),
          "zh": ("把{amount} {from}换成{to}是多少？", "{amount} {from}兑换成{to}是多少钱？")},
         {"en": ("{amount} {from} is about {converted} {to}.",), "zh": ("{amount} {from}约合{converted} {to}。",)}),
    Kind("define", _combo(("define",), ("word", "term")) + _combo(("get", "lookup", "fetch"),
                                                                  ("definition", "word_definition",
                                                                   "dictionary_entry")),
         {"en": ("Dictionary definition of a word",), "zh": ("查询词语或成语的释义",)},
         (_p("word", ("word", "term", "headword"), "The word to define", "要查的词语"),),
         lambda rng, split, lang: dict(zip(("word", "definition"), _pick(rng, _WORDS[lang], split), strict=True)),
         _echo("definition"),
         {"en": ('What does "{word}" mean?', 'Define the word "{word}".', 'Look up "{word}" in the dictionary.'),
          "zh": ("“{word}”是什么意思？", "帮我查一下“{word}”的释义。")},
         {"en": ('"{word}" means: {definition}.',), "zh": ("“{word}”的意思是：{definition}。",)}),
    Kind("table", _combo(("book", "reserve"), ("table", "restaurant", "restaurant_table", "dinner_table")),
         {"en": ("Reserve a restaurant table", "Book a table for a group"), "zh": ("预订餐厅座位",)},
         (_p("restaurant", ("restaurant", "restaurant_name", "venue"), "Restaurant name", "餐厅名称"),
          _p("party", ("party_size", "guests", "people"), "Number of guests", "用餐人数", "integer"),
          _p("time", ("time", "reservation_time", "at"), "Time HH:MM", "时间 HH:MM")),
         lambda rng, split, lang: {"restaurant": rng.choice(split_share(_RESTAURANTS[lang], split)),
                                   "party": rand_number(rng, 2, 12, split), "time": _clock(rng, 17, 21)},
         _fixed(confirmation=_ticket("R-"), status=lambda rng: "confirmed"),
         {"en": ("Reserve a table at {restaurant} for {party} people at {time}.",
                 "Book {restaurant} for {party} at {time} tonight.",
                 "Get us a table for {party} at {restaurant}, {time} please."),
          "zh": ("帮我在{restaurant}订{party}人的位子，时间{time}。", "请预订{restaurant}，{time}，{party}位。")},
         {"en": ("Your table at {restaurant} for {party} at {time} is confirmed ({confirmation}).",),
          "zh": ("已在{restaurant}为{party}人预订{time}的座位，确认号{confirmation}。",)}),
    Kind("reminder", _combo(("set", "create", "add", "schedule"), ("reminder", "alert", "notification",
                                                                   "timed_reminder")),
         {"en": ("Set a reminder for a time today", "Create a timed reminder"), "zh": ("设置定时提醒",)},
         (_p("message", ("message", "text", "note"), "What to remind about", "提醒内容"),
          _p("time", ("time", "remind_at", "when"), "Time HH:MM", "时间 HH:MM")),
         lambda rng, split, lang: {"message": _by_lang(lang, _pick(rng, _REMINDERS, split)), "time": _clock(rng)},
         _fixed(reminder_id=_ticket("RM-")),
         {"en": ("Remind me to {message} at {time}.", "Set a reminder at {time} to {message}.",
                 "At {time}, remind me to {message}, please."),
          "zh": ("{time}提醒我{message}。", "帮我设个提醒：{time}{message}。")},
         {"en": ("Okay, I'll remind you to {message} at {time}.",), "zh": ("好的，我会在{time}提醒你{message}。",)}),
    Kind("train", _combo(("get", "find", "search", "lookup"), ("train_times", "train_schedule", "rail_departures")),
         {"en": ("Next train departures between two stations",), "zh": ("查询两站之间的火车时刻",)},
         (_p("origin", ("origin", "from_station", "departure"), "Departure station", "出发站"),
          _p("destination", ("destination", "to_station", "arrival"), "Arrival station", "到达站")),
         _two_towns, _fixed(next_departure=_clock, duration_minutes=lambda rng: rng.randint(20, 240)),
         {"en": ("When is the next train from {origin} to {destination}?",
                 "Find train times from {origin} to {destination}.",
                 "I need to get from {origin} to {destination} by train. When's the next one?"),
          "zh": ("从{origin}到{destination}的下一班火车是几点？", "帮我查{origin}到{destination}的火车时刻。")},
         {"en": ("The next train from {origin} to {destination} leaves at {next_departure} "
                 "and takes {duration_minutes} minutes.",),
          "zh": ("从{origin}到{destination}的下一班火车{next_departure}发车，历时{duration_minutes}分钟。",)}),
    Kind("air", _combo(("get", "check", "fetch", "lookup", "measure"), ("air_quality", "aqi", "pollution_level")),
         {"en": ("Current air quality index of a city",), "zh": ("查询城市的空气质量指数",)},
         (_p("city", ("city", "place", "town"), "City name", "城市名"),), _town, _aqi_result,
         {"en": ("How's the air quality in {city} today?", "What's the AQI in {city}?",
                 "Is the air clean in {city} right now?"),
          "zh": ("{city}今天空气质量怎么样？", "查一下{city}的AQI。")},
         {"en": ("The air quality index in {city} is {aqi} ({level}).",),
          "zh": ("{city}的空气质量指数为{aqi}（{level}）。",)}),
    Kind("order", _combo(("get", "check", "lookup", "fetch", "track"), ("order_status", "order", "order_details")),
         {"en": ("Status of a shop order", "Look up an order by its number"), "zh": ("查询网购订单状态",)},
         (_p("order", ("order_id", "order_number", "order_ref"), "Order number", "订单号"),),
         lambda rng, split, lang: {"order": f"ORD-{rand_number(rng, 10000, 99999, split)}"},
         _status_result("order", "order"),
         {"en": ("What's the status of order {order}?", "Has my order {order} shipped yet?",
                 "Check order {order} for me."),
          "zh": ("订单{order}现在是什么状态？", "我的订单{order}发货了吗？")},
         {"en": ("Order {order} is {status}.",), "zh": ("订单{order}当前状态：{status}。",)}),
    Kind("email", _combo(("send", "dispatch", "compose"), ("email", "mail", "email_message")),
         {"en": ("Send an email to a contact", "Email someone from the address book"), "zh": ("给联系人发送邮件",)},
         (_p("to", ("recipient", "to", "contact"), "Contact name", "联系人姓名"),
          _p("subject", ("subject", "title", "topic"), "Subject line", "邮件主题")),
         lambda rng, split, lang: {"to": rng.choice(facts.names("person", split, lang)),
                                   "subject": _by_lang(lang, _pick(rng, _SUBJECTS, split))},
         _fixed(sent=lambda rng: True, message_id=_ticket("msg-")),
         {"en": ('Send an email to {to} with the subject "{subject}".', 'Email {to}, subject: "{subject}".',
                 'Please write to {to}, subject line "{subject}".'),
          "zh": ("给{to}发一封邮件，主题是“{subject}”。", "帮我发邮件给{to}，标题“{subject}”。")},
         {"en": ('Email sent to {to} with the subject "{subject}".',),
          "zh": ("已给{to}发送邮件，主题为“{subject}”。",)}),
)

KIND_OF: dict[str, Kind] = {name: kind for kind in _BUILTINS + _FICTIONAL for name in kind.names}
FICTIONAL_NAMES: tuple[str, ...] = tuple(sorted(n for k in _FICTIONAL for n in k.names))
BUILTIN_NAMES: tuple[str, ...] = tuple(k.key for k in _BUILTINS)
assert len(KIND_OF) == len(FICTIONAL_NAMES) + len(BUILTIN_NAMES), "tool names must be unique"


@cache
def fictional_pool(split: str) -> tuple[str, ...]:
    """The fictional tool names a split may use (train and test never share one)."""
    return tuple(split_share(FICTIONAL_NAMES, split))


def _param_name(tool: str, p: Param) -> str:
    return p.names[stable_hash(f"{tool}.{p.role}") % len(p.names)]


def schema(tool: str, lang: str) -> dict[str, Any]:
    """The OpenAI schema of a built-in or fictional tool, described in `lang`."""
    kind = KIND_OF[tool]
    if kind.builtin:
        return builtin_tools(lang)[tool]
    desc = kind.desc[lang][stable_hash(tool) % len(kind.desc[lang])]
    return tool_schema(tool, desc, {_param_name(tool, p): {"type": p.type,
                                                           "description": p.en if lang == "en" else p.zh}
                                    for p in kind.params})


def arguments(tool: str, values: Values) -> dict[str, Any]:
    """The call arguments, in schema order, from slot values."""
    return {_param_name(tool, p): values[p.role] for p in KIND_OF[tool].params}


# ---------------------------------------------------------------- shared building blocks

def _request(rng: random.Random, tool: str, values: Values, split: str, lang: str) -> str:
    return _pick(rng, KIND_OF[tool].requests[lang], split).format(**values)


def _answer(rng: random.Random, tool: str, values: Values, slots: Values, lang: str) -> str:
    return rng.choice(KIND_OF[tool].answers[lang]).format(**{**values, **slots})


def _payload_text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _call(tool: str, args: dict[str, Any], cid: str, content: str = "") -> dict[str, Any]:
    return {"role": "assistant", "content": content, "tool_calls": [tool_call(tool, args, cid)]}


def _result(cid: str, tool: str, payload: Any) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": cid, "name": tool, "content": _payload_text(payload)}


def _pick_tool(rng: random.Random, split: str, builtin_share: float = 0.35) -> str:
    if rng.random() < builtin_share:
        return rng.choice(BUILTIN_NAMES)
    return rng.choice(fictional_pool(split))


def _toolset(rng: random.Random, split: str, lang: str, target: str | None,
             messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """2-5 tool schemas of distinct kinds (always including `target`), trimmed to keep the example short."""
    names = [target] if target else []
    kinds = {KIND_OF[target].key} if target else set()
    count = rng.randint(2, 5)
    while len(names) < count:
        cand = _pick_tool(rng, split, 0.4)
        if KIND_OF[cand].key not in kinds:
            kinds.add(KIND_OF[cand].key)
            names.append(cand)
    rng.shuffle(names)
    tools = [schema(n, lang) for n in names]
    while len(tools) > 2 and facts.rough_chars(messages, tools) > MAX_CHARS:
        drop = next(i for i, n in enumerate(names) if n != target)
        del names[drop], tools[drop]
    return tools


def _slots(values: Values) -> Values:
    """The JSON-serialisable slot values kept in meta (private ones start with `_`)."""
    return {k: v for k, v in values.items() if not k.startswith("_")}


def _meta(tool: str, args: dict[str, Any], values: Values, split: str) -> dict[str, Any]:
    return {"tool": tool, "arguments": args, "unseen_tool": split == "test" and not KIND_OF[tool].builtin,
            "needs_tool": True, "slots": _slots(values)}


# ---------------------------------------------------------------- tool_choice

def make_tool_choice(rng: random.Random, split: str, lang: str) -> Example:
    """A request that needs exactly one of the listed tools: call, result, short answer."""
    tool = _pick_tool(rng, split)
    kind = KIND_OF[tool]
    values = kind.values(rng, split, lang)
    args = arguments(tool, values)
    payload, slots = kind.result(rng, values, split, lang)
    cid = call_id(rng)
    messages = [{"role": "user", "content": _request(rng, tool, values, split, lang)}, _call(tool, args, cid),
                _result(cid, tool, payload), {"role": "assistant", "content": _answer(rng, tool, values, slots, lang)}]
    return Example(messages, "tool_choice", lang, split, tools=_toolset(rng, split, lang, tool, messages),
                   meta=_meta(tool, args, values, split))


# ---------------------------------------------------------------- no_tool

_CHAT = {"en": (("Hi there!", "Hello! What can I do for you today?"), ("Good morning!",
                                                                       "Good morning! How can I help?"),
                ("Hello, how are you?", "I'm doing well, thanks for asking. How can I help you?"),
                ("Hey, what's up?", "Not much! Tell me what you need and I'll help."),
                ("Thanks, that's all.", "You're welcome! Have a great day."),
                ("Thank you so much!", "Happy to help! Let me know if you need anything else."),
                ("Great, thanks for the help.", "You're welcome!"), ("Bye for now!", "Goodbye! Talk soon.")),
         "zh": (("你好！", "你好！有什么可以帮你的吗？"), ("早上好！", "早上好！今天需要我做什么？"),
                ("谢谢你！", "不客气，有需要随时找我。"), ("好的，没别的事了，谢谢。", "不客气，祝你愉快！"),
                ("再见！", "再见，随时欢迎回来！"))}
_FACTS = {"en": (("How many days are in a week?", "There are seven days in a week."),
                 ("What is the capital of France?", "The capital of France is Paris."),
                 ("What colour do you get by mixing blue and yellow?", "Mixing blue and yellow gives green."),
                 ("How many legs does a spider have?", "A spider has eight legs."),
                 ("What planet do we live on?", "We live on Earth."),
                 ("How many minutes are in an hour?", "There are 60 minutes in an hour."),
                 ("Which ocean is the largest?", "The Pacific is the largest ocean."),
                 ("At what temperature does water boil at sea level?", "Water boils at 100 °C at sea level."),
                 ("Who wrote Romeo and Juliet?", "Romeo and Juliet was written by William Shakespeare."),
                 ("What language is mainly spoken in Brazil?", "Portuguese is the main language of Brazil."),
                 ("What gas do plants take in from the air?", "Plants take in carbon dioxide.")),
          "zh": (("一周有几天？", "一周有七天。"), ("法国的首都是哪里？", "法国的首都是巴黎。"),
                 ("蓝色和黄色混合是什么颜色？", "蓝色和黄色混合是绿色。"), ("蜘蛛有几条腿？", "蜘蛛有八条腿。"),
                 ("一小时有多少分钟？", "一小时有60分钟。"), ("最大的海洋是哪个？", "最大的海洋是太平洋。"),
                 ("《红楼梦》的作者是谁？", "《红楼梦》的作者是曹雪芹。"), ("水在海平面多少度沸腾？",
                                                    "水在海平面100摄氏度沸腾。"))}
_IMPOSSIBLE = {"en": (("Turn off the lights in the living room.", "control your lights"),
                      ("Play some jazz for me.", "play music"), ("Call my sister.", "make phone calls"),
                      ("Pay my phone bill.", "make payments"), ("Order a taxi to the airport.", "book a taxi"),
                      ("Unlock the front door.", "control door locks"),
                      ("Post this photo to my social media.", "post to social media"),
                      ("Print my boarding pass.", "print documents")),
               "zh": (("把客厅的灯关掉。", "控制灯光"), ("给我放点爵士乐。", "播放音乐"), ("给我妹妹打个电话。",
                                                                   "拨打电话"),
                      ("帮我交一下话费。", "进行付款"), ("帮我叫一辆去机场的出租车。", "叫车"),
                      ("把前门的锁打开。", "控制门锁"))}
_CANNOT = {"en": ("None of the available tools can {action}, so I can't do that for you.",
                  "Sorry, I can't help with that here: none of my tools can {action}.",
                  "I don't have a tool that can {action}, so I'm unable to do this."),
           "zh": ("现有的工具都不能{action}，所以这件事我做不了。",
                  "抱歉，我的工具里没有能{action}的，无法完成这个请求。")}


def make_no_tool(rng: random.Random, split: str, lang: str) -> Example:
    """Tools are listed but the request needs none: chat, a general fact, or something no tool can do."""
    category = rng.choice(("chat", "fact", "fact", "impossible"))
    if category == "impossible":
        request, action = _pick(rng, _IMPOSSIBLE[lang], split)
        reply = rng.choice(_CANNOT[lang]).format(action=action)
    else:
        request, reply = _pick(rng, (_CHAT if category == "chat" else _FACTS)[lang], split)
    messages = [{"role": "user", "content": request}, {"role": "assistant", "content": reply}]
    return Example(messages, "no_tool", lang, split, tools=_toolset(rng, split, lang, None, messages),
                   meta={"needs_tool": False, "category": category, "tool": None, "arguments": None,
                         "unseen_tool": False})


# ---------------------------------------------------------------- tool_error

_UNAVAILABLE = ("timeout", "service unavailable", "rate limit exceeded")
_EXPLAIN = {"unavailable": {"en": ("Sorry, {tool} failed ({error}), so I couldn't get that. Please try again soon.",
                                   'I tried {tool}, but it returned "{error}". Could you try again a little later?',
                                   "The {tool} service isn't working right now ({error}); I can't finish this yet."),
                            "zh": ("抱歉，{tool} 调用失败（{error}），暂时无法完成，请稍后再试。",
                                   "我调用了 {tool}，但它返回了错误“{error}”。请过一会儿再试。")},
            "not_found": {"en": ("I couldn't find {value}: the tool says it doesn't exist. Could you double-check it?",
                                 "{tool} found nothing for {value}. Please check the number and ask again."),
                          "zh": ("没有找到{value}，工具提示它不存在。请核对一下号码。",
                                 "{tool} 查不到{value}，请确认号码是否正确。")},
            "div_zero": {"en": ("{expression} divides by zero, so it has no defined value.",
                                "That can't be computed: the expression divides by zero."),
                         "zh": ("{expression} 中除数为零，没有确定的结果。", "这个算式无法计算：除数为零。")}}
_RETRY_NOTE = {"typo": {"en": ('"{bad}" was not found; I\'ll try "{good}".', "Retrying with the spelling {good}."),
                        "zh": ("没找到“{bad}”，我改用“{good}”再查一次。",)},
               "no_results": {"en": ("No match; I'll search with a shorter query.",),
                              "zh": ("没有匹配结果，我换个更短的关键词再搜。",)}}
_ID_KINDS = ("flight", "package", "order", "stock")


def _typo_pairs(split: str, lang: str) -> list[tuple[str, str]]:
    """(correct city, misspelling) pairs of the split."""
    if lang == "zh":
        return facts.share(_ZH_TYPOS, split)
    pairs = []
    for _, name, _ in _CITIES:
        i = stable_hash(name) % (len(name) - 3) + 1  # swap two inner letters
        bad = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        if bad != name and " " not in name[i:i + 2]:
            pairs.append((name, bad))
    return facts.share(pairs, split)


def _error_first(rng: random.Random, split: str, lang: str, scenario: str) -> tuple[str, Values]:
    """The tool and slot values of the first (failing) call."""
    if scenario == "typo":
        good, bad = rng.choice(_typo_pairs(split, lang))
        return "get_weather", {"location": bad, "_good": good}
    if scenario == "no_results":
        return "search_knowledge_base", _kb_values(rng, split, lang)
    if scenario == "div_zero":
        a, b = rand_number(rng, 3, 99, split), rand_number(rng, 2, 40, split)
        return "calculator", {"expression": f"{a} / ({b} - {b})"}
    if scenario == "not_found":
        tool = rng.choice([n for n in fictional_pool(split) if KIND_OF[n].key in _ID_KINDS])
    else:
        tool = _pick_tool(rng, split)
    return tool, KIND_OF[tool].values(rng, split, lang)


def make_tool_error(rng: random.Random, split: str, lang: str) -> Example:
    """The tool returns an error: retry once with corrected arguments, or explain the failure."""
    scenario = rng.choice(("typo", "typo", "no_results", "unavailable", "unavailable", "not_found", "div_zero"))
    tool, values = _error_first(rng, split, lang, scenario)
    args = arguments(tool, values)
    cid = call_id(rng)
    messages: list[dict[str, Any]] = [{"role": "user", "content": _request(rng, tool, values, split, lang)},
                                      _call(tool, args, cid)]
    meta = _meta(tool, args, values, split)
    if scenario in ("typo", "no_results"):
        fixed = dict(values, location=values["_good"]) if scenario == "typo" else dict(values, query=values["name"])
        error = f"city not found: {values['location']}" if scenario == "typo" else "no documents matched the query"
        bad, good = (values["location"], fixed["location"]) if scenario == "typo" else (values["query"], fixed["query"])
        note = rng.choice(_RETRY_NOTE[scenario][lang]).format(bad=bad, good=good)
        retry_args, cid2 = arguments(tool, fixed), call_id(rng)
        payload, slots = KIND_OF[tool].result(rng, fixed, split, lang)
        messages += [_result(cid, tool, {"error": error}), _call(tool, retry_args, cid2, note),
                     _result(cid2, tool, payload),
                     {"role": "assistant", "content": _answer(rng, tool, fixed, slots, lang)}]
        meta.update(recovery="retry", retry_arguments=retry_args)
    else:
        if scenario == "unavailable":
            error = rng.choice(_UNAVAILABLE)
        elif scenario == "div_zero":
            error = "division by zero"
        else:
            error = f"not found: {args[next(iter(args))]}"
        text = rng.choice(_EXPLAIN["unavailable" if scenario == "unavailable" else scenario][lang])
        text = text.format(tool=tool, error=error, value=next(iter(args.values())), expression=values.get("expression"))
        messages += [_result(cid, tool, {"error": error}), {"role": "assistant", "content": text}]
        meta.update(recovery="explain", retry_arguments=None)
    meta.update(error=error, scenario=scenario)
    return Example(messages, "tool_error", lang, split, tools=_toolset(rng, split, lang, tool, messages), meta=meta)


GENERATORS = {"tool_choice": make_tool_choice, "no_tool": make_no_tool, "tool_error": make_tool_error}


def template_counts() -> dict[str, dict[str, int]]:
    """User-request templates per sub-family and language (tool_error reuses the tool request templates)."""
    kinds = _BUILTINS + _FICTIONAL
    out = {}
    for lang in ("en", "zh"):
        requests = sum(len(k.requests[lang]) for k in kinds)
        out.setdefault("tool_choice", {})[lang] = requests
        out.setdefault("no_tool", {})[lang] = len(_CHAT[lang]) + len(_FACTS[lang]) + len(_IMPOSSIBLE[lang])
        out.setdefault("tool_error", {})[lang] = requests + sum(len(v[lang]) for v in _EXPLAIN.values())
    return out


# ---------------------------------------------------------------- corruption

def _values_from(example: Example) -> Values:
    return dict(example.meta.get("slots") or {})


def _fabricated(example: Example, rng: random.Random) -> str:
    """A confident answer with a made-up result, as if the tool had been skipped."""
    tool, lang = example.meta["tool"], example.lang
    values = _values_from(example)
    _, slots = KIND_OF[tool].result(rng, values, example.split, lang)
    for key, value in slots.items():  # nudge numbers so even deterministic tools (calculator) come out wrong
        if key == "cite":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            slots[key] = value + rng.choice((1, 2, 3, 7))
        elif isinstance(value, str) and value.replace(".", "", 1).isdigit():
            slots[key] = _dec(Decimal(value) + rng.choice((1, 2, 3, 7)))
    return _answer(rng, tool, values, slots, lang)


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """Replace the first assistant message: skip the tool, call a wrong tool, or drop an argument
    (no_tool: call a tool that is not needed)."""
    index = next(i for i, m in enumerate(example.messages) if m["role"] == "assistant")
    listed = [t["function"]["name"] for t in example.tools]
    cid = call_id(rng)
    if example.family == "no_tool":
        tool = rng.choice(listed)
        return index, _call(tool, arguments(tool, KIND_OF[tool].values(rng, example.split, example.lang)), cid)
    tool = example.meta["tool"]
    modes = ["skip", "wrong", "broken"]
    mode = rng.choice(modes)
    if mode == "skip":
        text = _fabricated(example, rng)
        if text != example.messages[-1]["content"]:
            return index, {"role": "assistant", "content": text}
        mode = "wrong"
    if mode == "wrong":
        other = rng.choice([n for n in listed if n != tool])
        return index, _call(other, arguments(other, KIND_OF[other].values(rng, example.split, example.lang)), cid)
    args = dict(example.meta["arguments"])
    del args[rng.choice(list(args))]
    return index, _call(tool, args, cid)
