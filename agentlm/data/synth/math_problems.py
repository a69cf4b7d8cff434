"""Maths word problems and bare arithmetic, answered three ways.

Sub-families:
- `math_direct`: the system prompt asks for the final answer only; the reply is exactly `Answer: N` (`答案：N`).
- `math_cot`: the system prompt or the user asks for steps; the reply is numbered steps with each computation
  written out (`Step 1: 12 * 3 = 36 (...)`), then `Answer: N`.
- `math_calc`: the `calculator` tool (sometimes with distractor tools) is called once per step; each tool result
  is `format_number(evaluate(expression))`; later expressions use earlier results literally; the final reply is
  one sentence and `Answer: N`.

A problem is a list of step expressions; every number, intermediate and final, comes from `safe_arith.evaluate`,
so the data is always correct. Problems have 1-4 steps (2 steps about half the time).
meta: `answer`, `steps`, `mode`, `expressions`, `results` (per-step results), `kind` ("story" or "bare").
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agentlm.data.synth.base import (
    ANSWER_PREFIX,
    Example,
    call_id,
    number_in_split,
    rand_number,
    split_share,
    tool_call,
)
from agentlm.data.synth.safe_arith import evaluate, format_number
from agentlm.data.synth.tool_specs import builtin_tools

STEP_WEIGHTS = {1: 0.15, 2: 0.5, 3: 0.25, 4: 0.1}
BARE_SHARE = 0.2  # share of bare arithmetic expressions among problems
MAX_CHARS = 1200  # rough budget for a calc example (messages plus tool schemas)

# ---------------------------------------------------------------- entities

NAMES = {
    "en": ("Alice", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kara", "Liam",
           "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Yusuf", "Zoe",
           "Aiden", "Bella", "Carlos", "Dina", "Ethan", "Fatima", "George", "Hana", "Ivan", "Julia", "Kenji",
           "Lucia", "Mateo", "Nora", "Oscar"),
    "zh": ("小明", "小红", "李华", "王芳", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐亮",
           "孙丽", "马超", "朱琳", "胡军", "郭倩", "林涛", "何雪", "高峰", "罗丹", "郑凯", "梁爽", "谢娜", "宋宇",
           "唐悦", "韩冰", "冯莉", "邓阳"),
}
# English items are plural nouns; Chinese items carry their measure word.
ITEMS = {
    "en": ("apples", "notebooks", "pens", "oranges", "mugs", "towels", "candles", "batteries", "lemons",
           "bread rolls", "folders", "light bulbs", "sandwiches", "plant pots", "markers", "cupcakes",
           "water bottles", "scarves", "erasers", "tennis balls", "postcards", "paintbrushes", "muffins", "rulers"),
    "zh": (("苹果", "个"), ("笔记本", "本"), ("铅笔", "支"), ("橙子", "个"), ("杯子", "个"), ("毛巾", "条"),
           ("蜡烛", "根"), ("电池", "节"), ("袜子", "双"), ("柠檬", "个"), ("面包", "个"), ("文件夹", "个"),
           ("灯泡", "个"), ("三明治", "个"), ("花盆", "个"), ("马克笔", "支"), ("纸杯蛋糕", "个"), ("水瓶", "个"),
           ("围巾", "条"), ("橡皮", "块"), ("网球", "个"), ("明信片", "张")),
}
PLACES = {
    "en": ("Oakridge", "Riverton", "Maple Bay", "Hillcrest", "Stonebridge", "Lakeside", "Brookfield", "Pine Valley",
           "Westport", "Ashford", "Cedar Falls", "Millbrook", "Fairview", "Kingsley", "Northgate", "Elmwood",
           "Harborview", "Greenfield", "Sunnyvale", "Redwood"),
    "zh": ("北京", "上海", "杭州", "成都", "西安", "南京", "武汉", "广州", "苏州", "青岛", "厦门", "长沙", "昆明",
           "大连", "重庆", "天津"),
}

# ---------------------------------------------------------------- problem skeletons


@dataclass(frozen=True)
class Skeleton:
    """A computation shape: how to draw its numbers, its step expressions, and a short note per step.

    A variable is (name, kind, lo, hi). Kinds: "int" (lo..hi), "money" (lo..hi cents, 2 decimals),
    "tenth" (lo..hi tenths), "times:V" (V times lo..hi, so V divides it), "below:EXPR" (1..min(hi, EXPR - 1)),
    "bill:EXPR" (the smallest banknote above EXPR). Expressions use the variables and r1, r2, ... (results).
    """

    variables: tuple[tuple[str, str, int, int], ...]
    exprs: tuple[str, ...]
    notes: dict[str, tuple[str, ...]]


def _sk(variables: tuple, exprs: tuple[str, ...], en: tuple[str, ...], zh: tuple[str, ...]) -> Skeleton:
    return Skeleton(variables, exprs, {"en": en, "zh": zh})


_HOURS_RATE_DAYS = (("hours", "int", 3, 10), ("rate", "int", 12, 45), ("days", "int", 2, 6))
_TWO_ITEMS = (("n", "int", 2, 9), ("p", "money", 105, 1599), ("m", "int", 2, 9), ("q", "money", 105, 1599))

SKELETONS: dict[str, Skeleton] = {
    # 1 step
    "buy": _sk((("n", "int", 2, 12), ("p", "money", 105, 2999)), ("{n} * {p}",),
               ("cost of the {item}",), ("{item}的总价",)),
    "km_m": _sk((("km", "tenth", 12, 399),), ("{km} * 1000",), ("distance in metres",), ("换算成米的距离",)),
    "m_km": _sk((("m", "int", 1200, 48000),), ("{m} / 1000",), ("distance in kilometres",), ("换算成千米的距离",)),
    "share": _sk((("k", "int", 2, 9), ("total", "times:k", 3, 40)), ("{total} / {k}",),
                 ("size of each share",), ("每人分到的数量",)),
    "l_ml": _sk((("l", "tenth", 12, 95),), ("{l} * 1000",), ("volume in millilitres",), ("换算成毫升的容量",)),
    # 2 steps
    "change": _sk((("n", "int", 2, 9), ("p", "money", 105, 1599), ("pay", "bill:{n} * {p}", 0, 0)),
                  ("{n} * {p}", "{pay} - {r1}"), ("cost of the {item}", "change"), ("{item}的总价", "找回的钱")),
    "discount": _sk((("price", "int", 20, 480), ("pct", "int", 5, 45)), ("{price} * {pct} / 100", "{price} - {r1}"),
                    ("discount", "sale price"), ("优惠的金额", "打折后的价格")),
    "tax": _sk((("price", "int", 12, 300), ("pct", "int", 3, 20)), ("{price} * {pct} / 100", "{price} + {r1}"),
               ("tax", "price with tax"), ("税额", "含税价格")),
    "tip": _sk((("bill", "int", 18, 240), ("pct", "int", 10, 25)), ("{bill} * {pct} / 100", "{bill} + {r1}"),
               ("tip", "total with the tip"), ("小费", "含小费的总额")),
    "growth": _sk((("a", "int", 100, 5000), ("pct", "int", 2, 15)), ("{a} * {pct} / 100", "{a} + {r1}"),
                  ("increase", "new amount"), ("增加的部分", "年底的金额")),
    "drive": _sk((("v", "int", 30, 120), ("h", "int", 2, 9), ("d", "int", 5, 90)), ("{v} * {h}", "{r1} + {d}"),
                 ("distance at full speed", "total distance"), ("前一段的路程", "总路程")),
    "savings": _sk((("w", "int", 5, 80), ("weeks", "int", 3, 30), ("spend", "below:{w} * {weeks}", 1, 400)),
                   ("{w} * {weeks}", "{r1} - {spend}"), ("amount saved", "money left"), ("存下的钱", "剩下的钱")),
    "recipe_kg": _sk((("g", "int", 150, 900), ("b", "int", 2, 9)), ("{g} * {b}", "{r1} / 1000"),
                     ("flour in grams", "flour in kilograms"), ("面粉的克数", "换算成千克")),
    "wage": _sk(_HOURS_RATE_DAYS, ("{hours} * {rate}", "{r1} * {days}"),
                ("pay per day", "total pay"), ("每天的工资", "总工资")),
    "hours_min": _sk((("h", "int", 2, 9), ("m", "int", 5, 55)), ("{h} * 60", "{r1} + {m}"),
                     ("hours in minutes", "total minutes"), ("小时换算成分钟", "总分钟数")),
    "sports": _sk((("pts", "int", 8, 40), ("games", "int", 3, 20), ("bonus", "int", 2, 30)),
                  ("{pts} * {games}", "{r1} + {bonus}"), ("points from the games", "total points"),
                  ("常规比赛的得分", "总得分")),
    "garden": _sk((("rows", "int", 3, 20), ("per", "int", 4, 25), ("dead", "below:{rows} * {per}", 1, 30)),
                  ("{rows} * {per}", "{r1} - {dead}"), ("number planted", "plants left"), ("种下的棵数", "剩下的棵数")),
    "school": _sk((("groups", "int", 2, 9), ("books", "times:groups", 3, 12), ("extra", "int", 1, 9)),
                  ("{books} / {groups}", "{r1} + {extra}"), ("new books per table", "books on each table"),
                  ("每张桌子分到的书", "每张桌子上的书")),
    "bottles": _sk((("b", "int", 2, 12), ("ml", "int", 150, 900)), ("{b} * {ml}", "{r1} / 1000"),
                   ("water in millilitres", "water in litres"), ("总毫升数", "换算成升")),
    # 3 steps
    "two_items": _sk(_TWO_ITEMS, ("{n} * {p}", "{m} * {q}", "{r1} + {r2}"),
                     ("cost of the {item}", "cost of the {item2}", "total cost"),
                     ("{item}的价钱", "{item2}的价钱", "总价")),
    "discount_n": _sk((("price", "int", 20, 300), ("pct", "int", 5, 45), ("n", "int", 2, 6)),
                      ("{price} * {pct} / 100", "{price} - {r1}", "{r2} * {n}"),
                      ("discount on one", "sale price of one", "total to pay"),
                      ("每件优惠的金额", "每件的折后价", "总共要付的钱")),
    "two_legs": _sk((("v", "int", 30, 110), ("h", "int", 2, 6), ("v2", "int", 30, 110), ("h2", "int", 1, 5)),
                    ("{v} * {h}", "{v2} * {h2}", "{r1} + {r2}"),
                    ("first part of the ride", "second part of the ride", "total distance"),
                    ("第一段路程", "第二段路程", "总路程")),
    "average": _sk((("a", "int", 40, 100), ("b", "int", 40, 100), ("c", "int", 40, 100)),
                   ("{a} + {b}", "{r1} + {c}", "round({r2} / 3, 1)"),
                   ("sum of the first two scores", "sum of all three scores", "average rounded to one decimal"),
                   ("前两次的总分", "三次的总分", "平均分，保留一位小数")),
    "weekly_tax": _sk((*_HOURS_RATE_DAYS, ("pct", "int", 5, 30)),
                      ("{hours} * {rate}", "{r1} * {days}", "{r2} * {pct} / 100"),
                      ("pay per day", "total pay", "tax"), ("每天的工资", "总工资", "税额")),
    # 4 steps
    "shop4": _sk((*_TWO_ITEMS, ("pay", "bill:{n} * {p} + {m} * {q}", 0, 0)),
                 ("{n} * {p}", "{m} * {q}", "{r1} + {r2}", "{pay} - {r3}"),
                 ("cost of the {item}", "cost of the {item2}", "total cost", "change"),
                 ("{item}的价钱", "{item2}的价钱", "总价", "找回的钱")),
    "wage4": _sk((*_HOURS_RATE_DAYS, ("pct", "int", 5, 30)),
                 ("{hours} * {rate}", "{r1} * {days}", "{r2} * {pct} / 100", "{r2} - {r3}"),
                 ("pay per day", "total pay", "tax", "pay after tax"), ("每天的工资", "总工资", "税额", "税后收入")),
    "recipe4": _sk((("g", "int", 150, 600), ("g2", "int", 50, 400), ("b", "int", 2, 8)),
                   ("{g} * {b}", "{g2} * {b}", "{r1} + {r2}", "{r3} / 1000"),
                   ("flour in grams", "sugar in grams", "total in grams", "total in kilograms"),
                   ("面粉的克数", "糖的克数", "总克数", "换算成千克")),
}

# (skeleton, question). Placeholders: the skeleton's variables, {name}, {name2}, {item}, {item2}, {place}
# and in Chinese the measure words {mw}, {mw2}.
STORIES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("buy", "{name} buys {n} {item} at ${p} each. How much does {name} spend?"),
        ("buy", "At a market in {place}, {item} cost ${p} apiece. What do {n} of them cost?"),
        ("km_m", "{name} jogs {km} km along the river in {place}. How many metres is that?"),
        ("m_km", "A hiking trail near {place} is {m} metres long. How long is it in kilometres?"),
        ("share", "{name} shares {total} {item} equally among {k} friends. How many does each friend get?"),
        ("l_ml", "A jug holds {l} litres of lemonade. How many millilitres is that?"),
        ("change", "{name} buys {n} {item} for ${p} each and pays with a ${pay} note. How much change is there?"),
        ("change", "In a shop in {place}, {name} picks up {n} {item} priced at ${p} each and hands over ${pay}. "
                   "What is the change?"),
        ("discount", "A jacket costs ${price}. It is on sale for {pct}% off. What is the sale price?"),
        ("discount", "{name} finds a bike listed at ${price} with a {pct}% discount. How much is the bike after "
                     "the discount?"),
        ("tax", "Headphones cost ${price} before tax, and the sales tax in {place} is {pct}%. What is the total "
                "price?"),
        ("tip", "Dinner for {name} and {name2} comes to ${bill}. They leave a {pct}% tip. How much do they pay "
                "in total?"),
        ("growth", "A savings account holds ${a} and earns {pct}% interest this year. How much is in it at the "
                   "end of the year?"),
        ("growth", "A bakery in {place} made ${a} in sales last month and {pct}% more this month. What were this "
                   "month's sales?"),
        ("drive", "{name} drives out of {place} at {v} km/h for {h} hours, then {d} km more. How far does {name} "
                  "drive in total?"),
        ("savings", "{name} saves ${w} every week for {weeks} weeks, then spends ${spend} on a gift. How much "
                    "money is left?"),
        ("recipe_kg", "A bakery in {place} uses {g} g of flour per batch of bread and bakes {b} batches. How many "
                      "kilograms of flour is that?"),
        ("wage", "{name} works {hours} hours a day at ${rate} per hour, for {days} days. How much does {name} "
                 "earn?"),
        ("hours_min", "The train from {place} takes {h} hours and {m} minutes. How many minutes is the trip?"),
        ("hours_min", "{name} spends {h} hours and {m} minutes in the garden on Saturday. How many minutes is "
                      "that?"),
        ("sports", "A basketball player scores {pts} points per game for {games} games, plus {bonus} points in a "
                   "charity match. How many points is that in total?"),
        ("garden", "{name} plants {rows} rows of tomatoes with {per} plants in each row. {dead} plants do not "
                   "survive. How many plants are left?"),
        ("school", "A teacher shares {books} new books equally among {groups} tables. Each table already had "
                   "{extra} books. How many books are on each table now?"),
        ("bottles", "{name} fills {b} bottles with {ml} ml of water each for a hike. How many litres of water is "
                    "that?"),
        ("two_items", "{name} buys {n} {item} at ${p} each and {m} {item2} at ${q} each. What is the total cost?"),
        ("discount_n", "T-shirts cost ${price} each, and today they are {pct}% off. {name} buys {n} of them. How "
                       "much does {name} pay?"),
        ("two_legs", "A cyclist rides at {v} km/h for {h} hours, rests, then rides at {v2} km/h for {h2} hours. "
                     "How far does the cyclist ride?"),
        ("average", "{name} scored {a}, {b} and {c} on three tests. What is the average score, rounded to one "
                    "decimal place?"),
        ("weekly_tax", "{name} works {hours} hours a day for {days} days at ${rate} an hour, and {pct}% of the "
                       "pay goes to tax. How much is the tax?"),
        ("shop4", "{name} buys {n} {item} at ${p} each and {m} {item2} at ${q} each, and pays with ${pay}. How "
                  "much change does {name} get?"),
        ("wage4", "{name} earns ${rate} an hour and works {hours} hours a day for {days} days. After {pct}% tax, "
                  "how much does {name} take home?"),
        ("recipe4", "For a fair in {place}, a cook makes {b} batches of cookies. Each batch needs {g} g of flour "
                    "and {g2} g of sugar. How many kilograms of flour and sugar are needed in total?"),
    ),
    "zh": (
        ("buy", "{name}买了{n}{mw}{item}，每{mw}{p}元。一共要花多少钱？"),
        ("km_m", "{name}在{place}沿着河边跑了{km}千米。这是多少米？"),
        ("share", "{name}把{total}{mw}{item}平均分给{k}个朋友，每人分到多少{mw}？"),
        ("l_ml", "一个水壶装了{l}升果汁，合多少毫升？"),
        ("change", "{name}在{place}买了{n}{mw}{item}，每{mw}{p}元，付了{pay}元。应该找回多少钱？"),
        ("discount", "一件外套原价{price}元，现在降价{pct}%。打折后多少钱？"),
        ("tax", "一副耳机税前{price}元，税率是{pct}%。含税一共多少钱？"),
        ("tip", "{name}和{name2}吃饭花了{bill}元，另外给{pct}%的小费。一共付多少钱？"),
        ("growth", "{name}的存款有{a}元，今年的利率是{pct}%。年底账户里有多少钱？"),
        ("drive", "{name}从{place}出发，以每小时{v}千米的速度开了{h}小时，又开了{d}千米。一共开了多少千米？"),
        ("savings", "{name}每周存{w}元，存了{weeks}周，然后花{spend}元买了礼物。还剩多少钱？"),
        ("recipe_kg", "{place}的一家面包店每批面包用{g}克面粉，今天做了{b}批。一共用了多少千克面粉？"),
        ("wage", "{name}每天工作{hours}小时，每小时{rate}元，工作了{days}天。一共挣多少钱？"),
        ("hours_min", "从{place}出发的火车要开{h}小时{m}分钟。一共是多少分钟？"),
        ("sports", "一名篮球运动员每场得{pts}分，打了{games}场，另外在表演赛中得了{bonus}分。一共得了多少分？"),
        ("garden", "{name}种了{rows}行西红柿，每行{per}棵，有{dead}棵没有成活。还剩多少棵？"),
        ("bottles", "{name}去爬山，带了{b}瓶水，每瓶{ml}毫升。一共是多少升水？"),
        ("two_items", "{name}买了{n}{mw}{item}，每{mw}{p}元，又买了{m}{mw2}{item2}，每{mw2}{q}元。一共花了多少钱？"),
        ("discount_n", "T恤每件{price}元，今天降价{pct}%。{name}买了{n}件，要付多少钱？"),
        ("average", "{name}三次考试分别得了{a}分、{b}分和{c}分。平均分是多少（保留一位小数）？"),
        ("shop4", "{name}买了{n}{mw}{item}，每{mw}{p}元，又买了{m}{mw2}{item2}，每{mw2}{q}元，付了{pay}元。"
                  "应找回多少钱？"),
        ("wage4", "{name}每小时挣{rate}元，每天工作{hours}小时，工作了{days}天。扣除{pct}%的税后，到手多少钱？"),
    ),
}

# Bare expressions: (shown expression, step expressions). Variables a, b, c, d, e.
BARE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("{a} * {b}", ("{a} * {b}",)),
    ("{a} + {b}", ("{a} + {b}",)),
    ("{a} - {b}", ("{a} - {b}",)),
    ("{a} * {b} - {c}", ("{a} * {b}", "{r1} - {c}")),
    ("{a} + {b} * {c}", ("{b} * {c}", "{a} + {r1}")),
    ("({a} + {b}) * {c}", ("{a} + {b}", "{r1} * {c}")),
    ("{a} * {b} + {c}", ("{a} * {b}", "{r1} + {c}")),
    ("({a} - {b}) * {c}", ("{a} - {b}", "{r1} * {c}")),
    ("{a} * {b} + {c} * {d}", ("{a} * {b}", "{c} * {d}", "{r1} + {r2}")),
    ("({a} + {b}) * {c} - {d}", ("{a} + {b}", "{r1} * {c}", "{r2} - {d}")),
    ("{a} * {b} - {c} * {d}", ("{a} * {b}", "{c} * {d}", "{r1} - {r2}")),
    ("({a} + {b}) * ({c} + {d}) - {e}", ("{a} + {b}", "{c} + {d}", "{r1} * {r2}", "{r3} - {e}")),
    ("{a} * {b} + {c} * {d} - {e}", ("{a} * {b}", "{c} * {d}", "{r1} + {r2}", "{r3} - {e}")),
)
BARE_VARIABLES = (("a", "int", 12, 99), ("b", "int", 2, 49), ("c", "int", 2, 30), ("d", "int", 2, 30),
                  ("e", "int", 2, 99))

BARE_QUESTIONS = {
    "en": ("What is {expr}?", "Compute {expr}.", "Calculate {expr}.", "Evaluate {expr}.", "What does {expr} equal?",
           "Work out {expr}.", "Find the value of {expr}.", "{expr} = ?", "Please calculate {expr}.",
           "How much is {expr}?", "Solve: {expr}", "What's the result of {expr}?"),
    "zh": ("{expr} 等于多少？", "计算 {expr}。", "请算一下 {expr}。", "求 {expr} 的值。", "{expr} = ？",
           "{expr} 的结果是多少？", "帮我算算 {expr}。", "算一算：{expr}"),
}

# ---------------------------------------------------------------- prompts

DIRECT_SYSTEM = {
    "en": ("Give only the final answer, as 'Answer: N'.", "Reply with the final answer only.",
           "Answer with just the number, in the form 'Answer: <number>'.",
           "Do not show your work. Give the final answer only.",
           "You are a maths assistant. Respond with the final answer and nothing else.",
           "Only the final result, please: write 'Answer: ' followed by the number.",
           "No explanations. Just the final answer.", "Output the answer only, on one line.",
           "Be brief: state only the final answer.", "You solve word problems. Give just the answer line.",
           "Skip the working and give the answer.", "Respond with a single line: the final answer.",
           "Final answer only. No steps.", "You are a concise assistant. Reply with the answer only.",
           "Don't explain; just give the result.", "Return only the final numeric answer.",
           "Keep it short: answer only.", "Please provide the final answer without any reasoning.",
           "Just the answer, in the format Answer: N.", "You are a quiz checker. Give only the answer.",
           "Solve silently and reply with the answer only.",
           "The user wants the number only. Reply with the answer line."),
    "zh": ("只给出最终答案，格式为“答案：N”。", "请只回答最终结果。", "不要写过程，直接给出答案。",
           "你是数学助手，只回复最终答案。", "只输出答案，不要解释。", "直接给出结果即可。", "请用一行给出最终答案。",
           "无需推理过程，只要答案。", "简短回答：只写答案。", "只要最后的数字答案。", "不用解释，告诉我结果就行。",
           "请只写出答案这一行。"),
}
COT_SYSTEM = {
    "en": ("Think step by step and show each calculation, then give the final answer as 'Answer: N'.",
           "Solve the problem step by step.", "Show your working as numbered steps, then the answer.",
           "You are a patient maths tutor. Work through problems one step at a time.",
           "Break the problem into steps and write out each calculation.",
           "Explain your calculation step by step before the final answer.",
           "Reason step by step. End with the answer line.",
           "Write each step of the computation, numbered, then the final answer.",
           "Show the arithmetic for every step.", "You are a careful solver: list the steps, then answer.",
           "Work it out step by step and finish with 'Answer: N'.", "Please show your steps."),
    "zh": ("请一步一步思考，写出每一步的计算，最后给出“答案：N”。", "请分步解题。",
           "把计算过程按步骤写出来，然后给出答案。", "你是耐心的数学老师，请逐步讲解。",
           "把题目拆成几步，每一步都写出算式。", "先写出计算步骤，再给出最终答案。", "请逐步推理，最后一行写答案。",
           "请展示每一步的计算。"),
}
COT_USER = {
    "en": ("Let's think step by step.", "Show your steps.", "Please explain step by step.",
           "Work it out step by step.", "Show the working.", "Walk me through the calculation.",
           "Can you show each step?", "Solve it step by step, please.", "Show me how you get the answer.",
           "Break it down into steps."),
    "zh": ("请一步一步地算。", "请写出解题步骤。", "请分步说明。", "把过程写出来。", "一步一步来。", "请给出计算过程。",
           "能写出每一步吗？", "请详细列出步骤。"),
}
CALC_SYSTEM = {
    "en": ("You can call tools. Use the calculator for arithmetic.",
           "Tools are available. Use them when they help, especially the calculator for any computation.",
           "You are an assistant with tool access. Do arithmetic with the calculator tool, one step at a time.",
           "You have access to the tools listed below.", "Use the available tools to compute exact results.",
           "When a problem needs calculation, call the calculator rather than computing in your head.",
           "You may use the following tools to answer.",
           "Tools are provided. Check every calculation with the calculator.",
           "You are a helpful assistant. Some tools are available; use the calculator for maths.",
           "Answer using tools where appropriate. End maths answers with 'Answer: N'.",
           "The calculator tool gives exact arithmetic. Use it for each step.",
           "Use tools when needed and give the final answer on its own line."),
    "zh": ("你可以调用工具。算术请使用计算器。", "有可用的工具，需要计算时请调用 calculator。",
           "你是可以使用工具的助手，请用计算器逐步计算。", "你可以使用下面列出的工具。", "请借助工具得出精确结果。",
           "遇到计算题时请调用计算器，不要心算。", "可以使用以下工具来回答问题。",
           "提供了工具，每一步计算都请用计算器。"),
}
# Brief notes before a calculator call: (first step, middle step, last step).
CALL_NOTES = {
    "en": (("First, the {note}.", "Start with the {note}.", "Let me compute the {note}."),
           ("Next, the {note}.", "Now the {note}."), ("Finally, the {note}.", "Last, the {note}.")),
    "zh": (("先算{note}。", "首先计算{note}。"), ("再算{note}。", "接着算{note}。"), ("最后算{note}。",)),
}
FINAL_SENTENCES = {
    "en": ("So the {note} is {ans}.", "The {note} comes to {ans}.", "That makes the {note} {ans}."),
    "zh": ("所以{note}是{ans}。", "算下来{note}为{ans}。"),
}
FINAL_BARE = {"en": ("So {expr} = {ans}.", "The expression equals {ans}."), "zh": ("所以 {expr} = {ans}。",)}
STEP_LABEL = {"en": "Step {i}: ", "zh": "第{i}步："}
NOTE_BRACKETS = {"en": (" (", ")"), "zh": ("（", "）")}

# ---------------------------------------------------------------- building a problem


@dataclass
class Problem:
    """A question, its step expressions and notes, and the evaluated results (formatted)."""

    question: str
    exprs: list[str]
    results: list[str]
    notes: list[str]  # empty strings for bare arithmetic
    kind: str
    shown: str = ""  # the bare expression, if any

    @property
    def answer(self) -> str:
        return self.results[-1]


@lru_cache(maxsize=512)
def _has_number(lo: int, hi: int, split: str) -> bool:
    return any(number_in_split(n, split) for n in range(lo, hi + 1))


def _rand(rng: random.Random, lo: int, hi: int, split: str) -> int:
    """rand_number, refusing ranges with no number of the split (which would loop forever)."""
    if not _has_number(lo, hi, split):
        raise ValueError(f"no {split} number in [{lo}, {hi}]")
    return rand_number(rng, lo, hi, split)


def _draw(rng: random.Random, variables: tuple, split: str) -> dict[str, str]:
    """Values (as text) for a skeleton's variables; see `Skeleton`."""
    values: dict[str, str] = {}
    for name, kind, lo, hi in variables:
        if kind == "int":
            values[name] = str(_rand(rng, lo, hi, split))
        elif kind == "money":
            values[name] = f"{_rand(rng, lo, hi, split) / 100:.2f}"
        elif kind == "tenth":
            values[name] = format_number(_rand(rng, lo, hi, split) / 10)
        elif kind.startswith("times:"):
            values[name] = str(int(values[kind[6:]]) * _rand(rng, lo, hi, split))
        elif kind.startswith("below:"):
            top = evaluate(kind[6:].format(**values))
            values[name] = str(_rand(rng, lo, int(min(hi, top - 1)), split))
        elif kind.startswith("bill:"):
            cost = evaluate(kind[5:].format(**values))
            values[name] = str(next(b for b in (10, 20, 50, 100, 200, 500, 1000, 5000) if b > cost))
        else:
            raise ValueError(f"unknown variable kind {kind!r}")
    return values


def _run(exprs: tuple[str, ...], values: dict[str, str]) -> tuple[list[str], list[str]]:
    """Fill in each step expression (earlier results used literally) and evaluate it."""
    filled, results = [], []
    for template in exprs:
        expr = template.format(**values, **{f"r{i + 1}": r for i, r in enumerate(results)})
        filled.append(expr)
        results.append(format_number(evaluate(expr)))
    return filled, results


def _entities(rng: random.Random, split: str, lang: str) -> dict[str, str]:
    n1, n2 = rng.sample(split_share(NAMES[lang], split), 2)
    i1, i2 = rng.sample(split_share(ITEMS[lang], split), 2)
    ent = {"name": n1, "name2": n2, "place": rng.choice(split_share(PLACES[lang], split))}
    if lang == "zh":
        ent.update(item=i1[0], mw=i1[1], item2=i2[0], mw2=i2[1])
    else:
        ent.update(item=i1, item2=i2)
    return ent


def make_problem(rng: random.Random, split: str, lang: str) -> Problem:
    """A word problem or bare expression with 1-4 steps (2 steps about half the time)."""
    steps = rng.choices(list(STEP_WEIGHTS), list(STEP_WEIGHTS.values()))[0]
    stories = [s for s in split_share(STORIES[lang], split) if len(SKELETONS[s[0]].exprs) == steps]
    if stories and rng.random() >= BARE_SHARE:
        name, text = rng.choice(stories)
        skeleton = SKELETONS[name]
        ent = _entities(rng, split, lang)
        values = _draw(rng, skeleton.variables, split)
        exprs, results = _run(skeleton.exprs, values)
        notes = [n.format(**ent) for n in skeleton.notes[lang]]
        return Problem(text.format(**values, **ent), exprs, results, notes, "story")
    shown, step_exprs = rng.choice([b for b in BARE if len(b[1]) == steps])
    values = _draw(rng, BARE_VARIABLES, split)
    exprs, results = _run(step_exprs, values)
    expr = shown.format(**values)
    question = rng.choice(split_share(BARE_QUESTIONS[lang], split)).format(expr=expr)
    return Problem(question, exprs, results, [""] * steps, "bare", expr)


def _meta(p: Problem, mode: str) -> dict[str, Any]:
    return {"answer": p.answer, "steps": len(p.exprs), "mode": mode, "expressions": p.exprs,
            "results": p.results, "kind": p.kind}


def _answer_line(lang: str, answer: str) -> str:
    return f"{ANSWER_PREFIX[lang]}{answer}"


def _steps_text(p: Problem, lang: str) -> str:
    """Numbered steps, each `expression = result (note)`, then the answer line."""
    left, right = NOTE_BRACKETS[lang]
    lines = []
    for i, (expr, res) in enumerate(zip(p.exprs, p.results, strict=True)):
        note = f"{left}{p.notes[i]}{right}" if p.notes[i] else ""
        lines.append(f"{STEP_LABEL[lang].format(i=i + 1)}{expr} = {res}{note}")
    lines.append(_answer_line(lang, p.answer))
    return "\n".join(lines)


# ---------------------------------------------------------------- generators


def make_direct(rng: random.Random, split: str, lang: str) -> Example:
    """A system prompt asking for the final answer only; the reply is the answer line."""
    p = make_problem(rng, split, lang)
    messages = [{"role": "system", "content": rng.choice(split_share(DIRECT_SYSTEM[lang], split))},
                {"role": "user", "content": p.question},
                {"role": "assistant", "content": _answer_line(lang, p.answer)}]
    return Example(messages, "math_direct", lang, split, meta=_meta(p, "direct"))


def make_cot(rng: random.Random, split: str, lang: str) -> Example:
    """Numbered steps with each computation written out, then the answer line."""
    p = make_problem(rng, split, lang)
    messages: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": rng.choice(split_share(COT_SYSTEM[lang], split))})
        user = p.question
    else:
        sep = " " if lang == "en" else ""
        user = p.question + sep + rng.choice(split_share(COT_USER[lang], split))
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": _steps_text(p, lang)}]
    return Example(messages, "math_cot", lang, split, meta=_meta(p, "cot"))


def _schema_size(tool: dict[str, Any]) -> int:
    """Characters the chat template spends on a tool schema."""
    return len(json.dumps(tool["function"], ensure_ascii=False))


def _calc_tools(rng: random.Random, lang: str, budget: int) -> list[dict[str, Any]]:
    """The calculator plus up to three distractor tools that fit in `budget` characters, in random order."""
    tools = builtin_tools(lang)
    others = [t for name, t in tools.items() if name != "calculator"]
    chosen = [tools["calculator"]]
    for tool in rng.sample(others, rng.choice((0, 0, 1, 2, 3))):
        size = _schema_size(tool)
        if size <= budget:
            chosen.append(tool)
            budget -= size
    rng.shuffle(chosen)
    return chosen


def _call_note(rng: random.Random, lang: str, note: str, i: int, steps: int) -> str:
    """A brief note before the i-th calculator call (often none)."""
    if not note or rng.random() < 0.3:
        return ""
    first, middle, last = CALL_NOTES[lang]
    options = first if i == 0 else last if i == steps - 1 else middle
    return rng.choice(options).format(note=note)


def make_calc(rng: random.Random, split: str, lang: str) -> Example:
    """One calculator call per step, each followed by its result, then a sentence and the answer line."""
    p = make_problem(rng, split, lang)
    system = rng.choice(split_share(CALC_SYSTEM[lang], split))
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": p.question}]
    steps = len(p.exprs)
    for i, (expr, res) in enumerate(zip(p.exprs, p.results, strict=True)):
        cid = call_id(rng)
        messages.append({"role": "assistant", "content": _call_note(rng, lang, p.notes[i], i, steps),
                         "tool_calls": [tool_call("calculator", {"expression": expr}, cid)]})
        messages.append({"role": "tool", "tool_call_id": cid, "name": "calculator", "content": res})
    if p.kind == "bare":
        sentence = rng.choice(FINAL_BARE[lang]).format(expr=p.shown, ans=p.answer)
    else:
        sentence = rng.choice(FINAL_SENTENCES[lang]).format(note=p.notes[-1], ans=p.answer)
    messages.append({"role": "assistant", "content": f"{sentence}\n{_answer_line(lang, p.answer)}"})
    used = sum(len(m["content"]) + len(json.dumps(m.get("tool_calls", ""), ensure_ascii=False)) for m in messages)
    tools = _calc_tools(rng, lang, MAX_CHARS - used - _schema_size(builtin_tools(lang)["calculator"]))
    return Example(messages, "math_calc", lang, split, tools=tools, meta=_meta(p, "calc"))


GENERATORS = {"math_direct": make_direct, "math_cot": make_cot, "math_calc": make_calc}


def template_counts() -> dict[str, dict[str, int]]:
    """Question and prompt templates per sub-family and language."""
    def questions(lang: str) -> int:
        return len(STORIES[lang]) + len(BARE_QUESTIONS[lang])

    return {"math_direct": {lang: questions(lang) + len(DIRECT_SYSTEM[lang]) for lang in ("en", "zh")},
            "math_cot": {lang: questions(lang) + len(COT_SYSTEM[lang]) + len(COT_USER[lang]) for lang in ("en", "zh")},
            "math_calc": {lang: questions(lang) + len(CALC_SYSTEM[lang]) for lang in ("en", "zh")}}


# ---------------------------------------------------------------- preference data


def _wrong_number(rng: random.Random, answer: str, results: list[str]) -> tuple[str, int | None]:
    """A plausible wrong answer: an intermediate result (returns its step index) or off by 1..10."""
    intermediates = [i for i, r in enumerate(results[:-1]) if r != answer]
    if intermediates and rng.random() < 0.35:
        i = rng.choice(intermediates)
        return results[i], i
    delta = rng.randint(1, 10)
    if rng.random() < 0.5 and evaluate(answer) - delta >= 0:
        delta = -delta
    wrong = format_number(evaluate(f"{answer} + ({delta})"))
    if wrong == answer:  # cannot happen for a nonzero delta, but stay safe
        wrong = format_number(evaluate(f"{answer} + 1"))
    return wrong, None


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """direct/cot: the same format with a wrong final number; calc: answering without calling the calculator."""
    meta, lang = example.meta, example.lang
    wrong, stop = _wrong_number(rng, meta["answer"], meta["results"])
    first = next(i for i, m in enumerate(example.messages) if m["role"] == "assistant")
    if meta["mode"] in ("direct", "calc"):
        return first, {"role": "assistant", "content": _answer_line(lang, wrong)}
    # cot: rebuild the steps from the reply's own lines, then stop early or break the last result
    lines = example.messages[first]["content"].split("\n")[:-1]
    if stop is not None:
        lines = lines[:stop + 1]
    else:
        head, _, tail = lines[-1].partition(" = ")
        left = NOTE_BRACKETS[lang][0]
        note = tail[tail.index(left):] if left in tail else ""
        lines[-1] = f"{head} = {wrong}{note}"
    return first, {"role": "assistant", "content": "\n".join([*lines, _answer_line(lang, wrong)])}
