"""Fictional facts: invented entities (towns, people, companies, rivers, ...) with attributes, in English and Chinese.

Grounded-QA, planning and reflection data read facts from here. Names are built from syllables and split between
train and test with `split_share`; numbers come from `rand_number`; question templates are split too. An entity's
values are drawn fresh for every example, so a model can only answer by reading the passages it is given.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agentlm.data.synth.base import rand_number, split_share, stable_hash


def share(items: tuple[str, ...] | list[str], split: str) -> list[str]:
    """`split_share` for a short template list, but never leaving a split empty.

    If hashing sends every item to one split, the item with the smallest hash moves to the other one;
    the two splits stay disjoint.
    """
    test = split_share(items, "test")
    train = split_share(items, "train")
    if len(items) >= 2 and (not test or not train):
        moved = min(items, key=lambda x: stable_hash(repr(x)))
        test, train = ([moved], [x for x in items if x != moved]) if not test else (
            [x for x in items if x != moved], [moved])
    return test if split == "test" else train


KINDS = ("town", "country", "person", "company", "river", "mountain", "invention")

# ---------------------------------------------------------------- names

_EN_ONSETS = ("Bar", "Cal", "Dun", "El", "Fen", "Gor", "Hal", "Isk", "Jor", "Kel", "Lor", "Mar", "Nor", "Ol", "Pen",
              "Quar", "Ros", "Sel", "Tam", "Ul", "Val", "Wes", "Yar", "Zel", "Ash", "Brom", "Cor", "Dra", "Eb", "Fal")
_EN_TOWN = ("ford", "wick", "mere", "dale", "holm", "ton", "by", "stead", "moor", "bridge", "haven", "field")
_EN_COUNTRY = ("ania", "ora", "land", "esh", "avia", "uria", "onia", "ath")
_EN_RIVER = ("wyn", "an", "ell", "ara", "ent", "ise", "ow", "ore")
_EN_MOUNTAIN = ("ak", "ir", "oth", "um", "as", "en", "ig", "ul")
_EN_COMPANY_STEM = ("ric", "ton", "ley", "ver", "ix", "lan")
_EN_COMPANY = ("Works", "Labs", "Industries", "Systems", "Foods", "Motors", "Textiles", "Instruments")
_EN_DEVICE = ("Lamp", "Loom", "Compass", "Engine", "Press", "Clock", "Kettle", "Telescope", "Pump", "Radio")
_EN_GIVEN = ("Alden", "Brina", "Cassian", "Delphine", "Emrys", "Fenna", "Galen", "Hesper", "Ilse", "Jory", "Kestrel",
             "Liora", "Maren", "Niamh", "Oren", "Perrin", "Quill", "Rowena", "Soren", "Tamsin", "Ulric", "Vesna",
             "Wren", "Yestin", "Zora", "Anselm", "Brielle", "Corin", "Dagny", "Elowen")
_EN_SURNAME = ("by", "ley", "ton", "wood", "well", "more", "ridge", "cott")

_ZH_SYL = ("安", "贝", "卡", "达", "埃", "法", "格", "汉", "伊", "杰", "科", "兰", "马", "纳", "奥", "佩", "奎", "罗",
           "萨", "塔", "乌", "维", "沃", "雅", "泽", "布", "德", "莫", "索", "琳")
_ZH_TOWN = ("镇", "城", "堡", "港", "村")
_ZH_COUNTRY = ("国", "尼亚", "利亚")
_ZH_RIVER = ("河", "江")
_ZH_MOUNTAIN = ("山", "峰")
_ZH_COMPANY = ("科技", "实业", "集团", "食品", "纺织", "电器", "仪器")
_ZH_DEVICE = ("灯", "织布机", "罗盘", "发动机", "印刷机", "时钟", "水壶", "望远镜", "水泵", "收音机")
_ZH_SURNAME = ("林", "陈", "赵", "周", "吴", "郑", "孙", "许", "何", "罗", "梁", "宋", "唐", "韩", "冯", "邓", "曹",
               "彭", "萧", "蔡", "潘", "田", "董", "袁", "于", "余", "叶", "蒋", "杜", "苏")
_ZH_GIVEN = ("思远", "若琳", "明轩", "雨桐", "子墨", "嘉怡", "浩然", "诗涵", "一鸣", "静姝", "晨阳", "欣妍", "文博",
             "可欣", "天佑", "梦瑶", "俊杰", "语嫣", "志强", "晓雯", "立诚", "慧敏", "承泽", "书宁", "景行", "佳琪",
             "鹏飞", "安然", "墨白", "清歌")


def _zh_stems() -> list[str]:
    return [a + b for a in _ZH_SYL for b in _ZH_SYL if a != b]


@cache
def _all_names(kind: str, lang: str) -> tuple[str, ...]:
    """Every name of a kind in a language (both splits), in a fixed order."""
    if lang == "en":
        stems = [a + b.lower() for a in _EN_ONSETS for b in ("", "ma", "ren", "the", "vo")]
        table = {
            "town": [o + s for o in _EN_ONSETS for s in _EN_TOWN],
            "country": [o + s for o in _EN_ONSETS for s in _EN_COUNTRY],
            "river": [f"{o}{s} River" for o in _EN_ONSETS for s in _EN_RIVER],
            "mountain": [f"Mount {o}{s}" for o in _EN_ONSETS for s in _EN_MOUNTAIN],
            "company": [f"{o}{s} {c}" for o in _EN_ONSETS for s in _EN_COMPANY_STEM for c in _EN_COMPANY],
            "invention": [f"{o}{s} {d}" for o in _EN_ONSETS for s in _EN_COMPANY_STEM for d in _EN_DEVICE],
            "person": [f"{g} {o}{s}" for g in _EN_GIVEN for o in _EN_ONSETS for s in _EN_SURNAME],
            "currency": [s.lower() for s in stems if len(s) > 3],
        }
    else:
        stems = _zh_stems()
        table = {
            "town": [s + t for s in stems for t in _ZH_TOWN],
            "country": [s + t for s in stems for t in _ZH_COUNTRY],
            "river": [s + t for s in stems for t in _ZH_RIVER],
            "mountain": [s + t for s in stems for t in _ZH_MOUNTAIN],
            "company": [s + t for s in stems for t in _ZH_COMPANY],
            "invention": [s + d for s in stems for d in _ZH_DEVICE],
            "person": [a + b for a in _ZH_SURNAME for b in _ZH_GIVEN],
            "currency": [s + "元" for s in stems],
        }
    return tuple(table[kind])


@cache
def names(kind: str, split: str, lang: str) -> tuple[str, ...]:
    """The names of `kind` ("town", "person", ..., or "currency") that `split` may use."""
    return tuple(split_share(_all_names(kind, lang), split))


def pick_names(rng: random.Random, kind: str, split: str, lang: str, k: int) -> list[str]:
    """`k` distinct names of one kind from the split's pool."""
    return rng.sample(names(kind, split, lang), k)


# ---------------------------------------------------------------- small vocabularies

COLOURS = {"en": ("red", "blue", "green", "yellow", "purple", "orange", "teal", "grey", "silver", "crimson",
                  "amber", "ivory", "navy blue", "olive green", "turquoise", "maroon"),
           "zh": ("红色", "蓝色", "绿色", "黄色", "紫色", "橙色", "青色", "灰色", "银色", "深红色", "琥珀色", "象牙白",
                  "藏青色", "橄榄绿", "绿松石色", "栗色")}
OCCUPATIONS = {"en": ("clockmaker", "botanist", "sculptor", "ship captain", "astronomer", "glassblower", "cartographer",
                      "violinist", "beekeeper", "architect", "librarian", "blacksmith", "chemist", "poet", "surveyor"),
               "zh": ("钟表匠", "植物学家", "雕塑家", "船长", "天文学家", "吹玻璃工", "地图绘制师", "小提琴家",
                      "养蜂人", "建筑师", "图书管理员", "铁匠", "化学家", "诗人", "测量员")}
_PRODUCTS = {"en": ("solar kettles", "folding bicycles", "paper lanterns", "weather balloons", "wool blankets",
                    "pocket radios", "glass marbles", "canvas tents", "copper pans", "wind chimes", "rain boots",
                    "garden hoses", "tin whistles", "desk fans", "rope ladders", "ceramic tiles", "fishing nets",
                    "wax candles", "leather satchels", "wooden toys", "sewing machines", "kites", "sundials",
                    "umbrellas"),
             "zh": ("太阳能水壶", "折叠自行车", "纸灯笼", "气象气球", "羊毛毯", "袖珍收音机", "玻璃弹珠", "帆布帐篷",
                    "铜锅", "风铃", "雨靴", "花园水管", "锡哨", "台式风扇", "绳梯", "瓷砖", "渔网", "蜡烛", "皮革挎包",
                    "木制玩具", "缝纫机", "风筝", "日晷", "雨伞")}


def products(split: str, lang: str) -> tuple[str, ...]:
    return tuple(split_share(_PRODUCTS[lang], split))


# ---------------------------------------------------------------- attributes

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "town": ("founded", "population", "river", "mayor"),
    "country": ("capital", "currency", "population"),
    "person": ("born", "birthplace", "occupation", "colour"),
    "company": ("founded", "founder", "headquarters", "product", "employees"),
    "river": ("length", "mouth"),
    "mountain": ("height", "first_climbed", "first_climber"),
    "invention": ("inventor", "year", "colour"),
}


def _num(n: int, lang: str) -> str:
    return f"{n:,}" if lang == "en" else str(n)


def random_value(rng: random.Random, kind: str, attr: str, split: str, lang: str) -> str:
    """A fresh value for one attribute, exactly as a passage writes it (this is the answer span)."""
    zh = lang == "zh"
    if attr in ("founded", "born", "year", "first_climbed"):
        return str(rand_number(rng, 1150, 1995, split))
    if attr == "population":
        return _num(rand_number(rng, 300, 2_500_000, split), lang)
    if attr == "employees":
        return _num(rand_number(rng, 12, 90_000, split), lang)
    if attr == "length":
        n = rand_number(rng, 40, 3_800, split)
        return f"{n}公里" if zh else f"{n:,} km"
    if attr == "height":
        n = rand_number(rng, 900, 8_600, split)
        return f"{n}米" if zh else f"{n:,} metres"
    if attr == "colour":
        return rng.choice(COLOURS[lang])
    if attr == "occupation":
        return rng.choice(OCCUPATIONS[lang])
    if attr == "product":
        return rng.choice(products(split, lang))
    ref = {"river": "river", "mayor": "person", "capital": "town", "currency": "currency", "birthplace": "town",
           "founder": "person", "headquarters": "town", "mouth": "lake", "first_climber": "person",
           "inventor": "person"}[attr]
    if ref == "lake":
        stem = rng.choice(names("country", split, lang))
        return f"{stem}湖" if zh else f"Lake {stem}"
    return rng.choice(names(ref, split, lang))


# Sentence templates state one fact: {name} is the entity, {value} the attribute value.
_SENTENCES: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("town", "founded"): {"en": ("{name} was founded in {value}.", "The town of {name} dates back to {value}."),
                          "zh": ("{name}始建于{value}年。", "{name}建立于{value}年。")},
    ("town", "population"): {"en": ("{name} has a population of {value}.", "About {value} people live in {name}."),
                             "zh": ("{name}的人口为{value}。", "{name}约有{value}名居民。")},
    ("town", "river"): {"en": ("{name} lies on the {value}.", "The {value} flows through {name}."),
                        "zh": ("{name}坐落在{value}畔。", "{value}流经{name}。")},
    ("town", "mayor"): {"en": ("The mayor of {name} is {value}.", "{value} serves as mayor of {name}."),
                        "zh": ("{name}的镇长是{value}。", "{value}担任{name}的镇长。")},
    ("country", "capital"): {"en": ("The capital of {name} is {value}.", "{value} is the capital city of {name}."),
                             "zh": ("{name}的首都是{value}。", "{value}是{name}的首都。")},
    ("country", "currency"): {"en": ("The currency of {name} is the {value}.",
                                     "People in {name} pay with the {value}."),
                              "zh": ("{name}的货币是{value}。", "{name}通用的货币叫{value}。")},
    ("country", "population"): {"en": ("{name} has a population of {value}.", "{name} is home to {value} people."),
                                "zh": ("{name}的人口为{value}。", "{name}共有{value}人口。")},
    ("person", "born"): {"en": ("{name} was born in {value}.", "Born in {value}, {name} grew up by the sea."),
                         "zh": ("{name}出生于{value}年。", "{name}生于{value}年。")},
    ("person", "birthplace"): {"en": ("{name} was born in the town of {value}.", "{name} comes from {value}."),
                               "zh": ("{name}出生在{value}。", "{name}的家乡是{value}。")},
    ("person", "occupation"): {"en": ("{name} works as a {value}.", "By trade, {name} is a {value}."),
                               "zh": ("{name}的职业是{value}。", "{name}是一名{value}。")},
    ("person", "colour"): {"en": ("The favourite colour of {name} is {value}.", "{name} likes {value} best of all."),
                           "zh": ("{name}最喜欢的颜色是{value}。", "{name}最爱{value}。")},
    ("company", "founded"): {"en": ("{name} was founded in {value}.", "{name} opened for business in {value}."),
                             "zh": ("{name}成立于{value}年。", "{name}创办于{value}年。")},
    ("company", "founder"): {"en": ("{name} was founded by {value}.", "{value} started {name}."),
                             "zh": ("{name}由{value}创立。", "{name}的创始人是{value}。")},
    ("company", "headquarters"): {"en": ("{name} is headquartered in {value}.",
                                         "The head office of {name} is in {value}."),
                                  "zh": ("{name}总部位于{value}。", "{name}的总部设在{value}。")},
    ("company", "product"): {"en": ("{name} is best known for its {value}.", "The main product of {name} is {value}."),
                             "zh": ("{name}以生产{value}闻名。", "{name}的主要产品是{value}。")},
    ("company", "employees"): {"en": ("{name} employs {value} people.", "{name} has {value} employees."),
                               "zh": ("{name}有{value}名员工。", "{name}雇用了{value}名员工。")},
    ("river", "length"): {"en": ("The {name} is {value} long.", "The {name} runs for {value}."),
                          "zh": ("{name}全长{value}。", "{name}的长度为{value}。")},
    ("river", "mouth"): {"en": ("The {name} empties into {value}.", "The {name} ends in {value}."),
                         "zh": ("{name}最终注入{value}。", "{name}流入{value}。")},
    ("mountain", "height"): {"en": ("{name} rises to {value}.", "{name} is {value} high."),
                             "zh": ("{name}海拔{value}。", "{name}高{value}。")},
    ("mountain", "first_climbed"): {"en": ("{name} was first climbed in {value}.",
                                           "The first ascent of {name} took place in {value}."),
                                    "zh": ("{name}于{value}年首次被登顶。", "{name}的首次登顶是在{value}年。")},
    ("mountain", "first_climber"): {"en": ("{value} was the first person to reach the top of {name}.",
                                           "{name} was first climbed by {value}."),
                                    "zh": ("第一个登上{name}顶峰的人是{value}。", "{name}由{value}首次登顶。")},
    ("invention", "inventor"): {"en": ("The {name} was invented by {value}.", "{value} invented the {name}."),
                                "zh": ("{name}由{value}发明。", "{name}的发明者是{value}。")},
    ("invention", "year"): {"en": ("The {name} was invented in {value}.", "The first {name} appeared in {value}."),
                            "zh": ("{name}发明于{value}年。", "{name}最早出现在{value}年。")},
    ("invention", "colour"): {"en": ("The original {name} was painted {value}.",
                                     "Early models of the {name} were {value}."),
                              "zh": ("最初的{name}被漆成{value}。", "早期的{name}是{value}的。")},
}

_INTROS: dict[str, dict[str, tuple[str, ...]]] = {
    "town": {"en": ("{name} is a small town in the hills.", "{name} is a market town.",
                    "{name} is a quiet harbour town."),
             "zh": ("{name}是一座山间小镇。", "{name}是一个集镇。", "{name}是一座安静的港口小城。")},
    "country": {"en": ("{name} is a small country in the north.", "{name} is an island nation."),
                "zh": ("{name}是北方的一个小国。", "{name}是一个岛国。")},
    "person": {"en": ("{name} is remembered by many.", "{name} kept detailed diaries."),
               "zh": ("许多人都记得{name}。", "{name}留下了详细的日记。")},
    "company": {"en": ("{name} is a family business.", "{name} is a mid-sized manufacturer."),
                "zh": ("{name}是一家家族企业。", "{name}是一家中型制造商。")},
    "river": {"en": ("The {name} is a slow, wide river.", "The {name} is popular with anglers."),
              "zh": ("{name}是一条宽阔平缓的河流。", "{name}深受垂钓者喜爱。")},
    "mountain": {"en": ("{name} is covered in snow most of the year.", "{name} is a steep granite peak."),
                 "zh": ("{name}一年中大部分时间积雪覆盖。", "{name}是一座陡峭的花岗岩山峰。")},
    "invention": {"en": ("The {name} was once found in many homes.", "The {name} changed daily life."),
                  "zh": ("{name}曾经走进千家万户。", "{name}改变了人们的日常生活。")},
}

# Question templates ask for one attribute of {name}; they are split between train and test.
_QUESTIONS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("town", "founded"): {
        "en": ("When was {name} founded?", "In what year was {name} founded?", "What year does {name} date back to?",
               "Which year was the town of {name} founded in?", "How old is {name}? Give the founding year."),
        "zh": ("{name}是哪一年建立的？", "{name}始建于哪一年？", "请问{name}的建城年份是？", "{name}建于何年？")},
    ("town", "population"): {
        "en": ("What is the population of {name}?", "How many people live in {name}?",
               "How large is the population of {name}?", "What's {name}'s population?",
               "How many residents does {name} have?"),
        "zh": ("{name}有多少人口？", "{name}的人口是多少？", "{name}住着多少人？", "请问{name}有多少居民？")},
    ("town", "river"): {
        "en": ("Which river does {name} lie on?", "What river flows through {name}?", "Name the river at {name}.",
               "On which river is {name} located?"),
        "zh": ("{name}坐落在哪条河边？", "哪条河流经{name}？", "{name}旁边是什么河？", "流经{name}的河叫什么？")},
    ("town", "mayor"): {
        "en": ("Who is the mayor of {name}?", "Who serves as mayor of {name}?", "Name the mayor of {name}.",
               "Who runs {name} as its mayor?"),
        "zh": ("{name}的镇长是谁？", "谁担任{name}的镇长？", "请问{name}现任镇长是哪位？", "{name}由谁当镇长？")},
    ("country", "capital"): {
        "en": ("What is the capital of {name}?", "Which city is the capital of {name}?", "Name the capital of {name}.",
               "Where is the capital of {name}?", "{name}'s capital is which city?"),
        "zh": ("{name}的首都是哪里？", "{name}的首都叫什么？", "哪座城市是{name}的首都？", "请问{name}定都何处？")},
    ("country", "currency"): {
        "en": ("What currency does {name} use?", "What is the currency of {name}?", "Which money is used in {name}?",
               "What do people in {name} pay with?"),
        "zh": ("{name}用什么货币？", "{name}的货币叫什么？", "在{name}买东西用哪种货币？", "{name}通用什么钱？")},
    ("country", "population"): {
        "en": ("What is the population of {name}?", "How many people live in {name}?", "How populous is {name}?",
               "What's the population of the country {name}?"),
        "zh": ("{name}有多少人口？", "{name}的人口是多少？", "{name}一共有多少人？", "这个国家{name}有多少人口？")},
    ("person", "born"): {
        "en": ("When was {name} born?", "In what year was {name} born?", "What is {name}'s birth year?",
               "Which year was {name} born in?"),
        "zh": ("{name}是哪一年出生的？", "{name}生于哪一年？", "{name}的出生年份是？", "请问{name}哪年出生？")},
    ("person", "birthplace"): {
        "en": ("Where was {name} born?", "Which town does {name} come from?", "What is {name}'s hometown?",
               "In which town was {name} born?"),
        "zh": ("{name}出生在哪里？", "{name}的家乡是哪儿？", "{name}是哪里人？", "{name}在哪个地方出生？")},
    ("person", "occupation"): {
        "en": ("What does {name} do for a living?", "What is {name}'s occupation?", "What job does {name} have?",
               "What is {name}'s profession?"),
        "zh": ("{name}是做什么工作的？", "{name}的职业是什么？", "{name}从事什么行业？", "{name}干哪一行？")},
    ("person", "colour"): {
        "en": ("What is {name}'s favourite colour?", "Which colour does {name} like best?",
               "What colour does {name} prefer?", "Name {name}'s favorite color."),
        "zh": ("{name}最喜欢什么颜色？", "{name}最爱哪种颜色？", "{name}偏爱的颜色是？",
               "请问{name}喜欢的颜色是什么？")},
    ("company", "founded"): {
        "en": ("When was {name} founded?", "In what year was {name} established?", "When did {name} start out?",
               "What year was {name} set up?", "How long has {name} existed? Give the founding year."),
        "zh": ("{name}成立于哪一年？", "{name}是哪年创办的？", "{name}的成立年份是？", "请问{name}何时成立？")},
    ("company", "founder"): {
        "en": ("Who founded {name}?", "Who started {name}?", "Who is the founder of {name}?",
               "Which person established {name}?"),
        "zh": ("{name}是谁创立的？", "{name}的创始人是谁？", "谁创办了{name}？", "{name}由哪位创立？")},
    ("company", "headquarters"): {
        "en": ("Where is {name} headquartered?", "Where is the head office of {name}?",
               "In which town is {name} based?", "Where are {name}'s headquarters?"),
        "zh": ("{name}的总部在哪里？", "{name}总部设在哪座城市？", "{name}的总部位于何处？", "{name}的总部在哪儿？")},
    ("company", "product"): {
        "en": ("What is {name} best known for making?", "What is the main product of {name}?",
               "What does {name} make?", "Which product is {name} famous for?"),
        "zh": ("{name}的主要产品是什么？", "{name}以生产什么闻名？", "{name}生产什么？", "{name}最出名的产品是？")},
    ("company", "employees"): {
        "en": ("How many people does {name} employ?", "How many employees does {name} have?",
               "What is the headcount of {name}?", "How big is {name}'s workforce?"),
        "zh": ("{name}有多少名员工？", "{name}雇用了多少人？", "{name}的员工人数是多少？", "{name}有多少雇员？")},
    ("river", "length"): {
        "en": ("How long is the {name}?", "What is the length of the {name}?", "How far does the {name} run?",
               "What's the total length of the {name}?"),
        "zh": ("{name}有多长？", "{name}全长多少？", "{name}的长度是多少？", "请问{name}总长多少公里？")},
    ("river", "mouth"): {
        "en": ("Where does the {name} empty?", "Into which lake does the {name} flow?", "Where does the {name} end?",
               "What body of water does the {name} drain into?"),
        "zh": ("{name}最终注入哪里？", "{name}流入哪个湖？", "{name}的终点是哪里？", "{name}汇入何处？")},
    ("mountain", "height"): {
        "en": ("How tall is {name}?", "What is the height of {name}?", "How high does {name} rise?",
               "What is the elevation of {name}?"),
        "zh": ("{name}有多高？", "{name}海拔多少？", "{name}的高度是多少？", "请问{name}高多少米？")},
    ("mountain", "first_climbed"): {
        "en": ("When was {name} first climbed?", "In what year was {name} first climbed?",
               "When did the first ascent of {name} happen?", "Which year saw the first ascent of {name}?"),
        "zh": ("{name}是哪一年首次被登顶的？", "{name}的首次登顶在哪一年？", "人们哪年第一次登上{name}？",
               "{name}首登于何年？")},
    ("mountain", "first_climber"): {
        "en": ("Who first climbed {name}?", "Who was the first person to reach the top of {name}?",
               "Who made the first ascent of {name}?", "Which climber first summited {name}?"),
        "zh": ("谁第一个登上了{name}？", "{name}是由谁首次登顶的？", "首位登顶{name}的人是谁？",
               "{name}的首登者是谁？")},
    ("invention", "inventor"): {
        "en": ("Who invented the {name}?", "Who is the inventor of the {name}?", "Who came up with the {name}?",
               "Which person invented the {name}?"),
        "zh": ("{name}是谁发明的？", "{name}的发明者是谁？", "谁发明了{name}？", "{name}出自哪位发明家之手？")},
    ("invention", "year"): {
        "en": ("When was the {name} invented?", "In what year was the {name} invented?",
               "What year did the first {name} appear?", "When did the {name} first appear?"),
        "zh": ("{name}是哪一年发明的？", "{name}发明于哪一年？", "{name}最早出现在哪年？", "{name}问世于何年？")},
    ("invention", "colour"): {
        "en": ("What colour was the original {name}?", "What colour were early models of the {name}?",
               "Which colour was the first {name} painted?", "What color was the original {name} painted?"),
        "zh": ("最初的{name}是什么颜色？", "早期的{name}是什么颜色的？", "第一台{name}漆成了什么颜色？",
               "{name}最早是什么颜色？")},
}

# Short noun phrases for an attribute: used in search queries and plan steps ("the founding year of X").
KEYWORDS: dict[str, dict[str, str]] = {
    "founded": {"en": "founding year", "zh": "成立年份"}, "population": {"en": "population", "zh": "人口"},
    "river": {"en": "river", "zh": "河流"}, "mayor": {"en": "mayor", "zh": "镇长"},
    "capital": {"en": "capital", "zh": "首都"}, "currency": {"en": "currency", "zh": "货币"},
    "born": {"en": "birth year", "zh": "出生年份"}, "birthplace": {"en": "birthplace", "zh": "出生地"},
    "occupation": {"en": "occupation", "zh": "职业"}, "colour": {"en": "colour", "zh": "颜色"},
    "founder": {"en": "founder", "zh": "创始人"}, "headquarters": {"en": "headquarters", "zh": "总部"},
    "product": {"en": "main product", "zh": "主要产品"}, "employees": {"en": "number of employees", "zh": "员工人数"},
    "length": {"en": "length", "zh": "长度"}, "mouth": {"en": "mouth", "zh": "汇入地"},
    "height": {"en": "height", "zh": "高度"}, "first_climbed": {"en": "first ascent year", "zh": "首次登顶年份"},
    "first_climber": {"en": "first climber", "zh": "首登者"}, "inventor": {"en": "inventor", "zh": "发明者"},
    "year": {"en": "year of invention", "zh": "发明年份"},
}


def question_templates(kind: str, attr: str, split: str, lang: str) -> tuple[str, ...]:
    return tuple(share(_QUESTIONS[(kind, attr)][lang], split))


def askable(split: str, lang: str) -> list[tuple[str, str]]:
    """(kind, attribute) pairs with at least one question template in this split and language."""
    return [key for key in _QUESTIONS if question_templates(*key, split, lang)]


# ---------------------------------------------------------------- entities and passages


@dataclass
class Entity:
    """One invented entity and the values of (some of) its attributes."""

    kind: str
    name: str
    values: dict[str, str] = field(default_factory=dict)


def make_entity(rng: random.Random, kind: str, name: str, split: str, lang: str) -> Entity:
    """An entity with a fresh value for every attribute of its kind."""
    return Entity(kind, name, {a: random_value(rng, kind, a, split, lang) for a in ATTRIBUTES[kind]})


def make_entities(rng: random.Random, kind: str, split: str, lang: str, k: int) -> list[Entity]:
    """`k` entities of one kind with distinct names."""
    return [make_entity(rng, kind, n, split, lang) for n in pick_names(rng, kind, split, lang, k)]


def sentence(rng: random.Random, entity: Entity, attr: str, lang: str) -> str:
    """One sentence stating `attr` of `entity`."""
    template = rng.choice(_SENTENCES[(entity.kind, attr)][lang])
    text = template.format(name=entity.name, value=entity.values[attr])
    return text[0].upper() + text[1:]


def passage(rng: random.Random, entity: Entity, attrs: list[str], lang: str, intro: bool | None = None) -> str:
    """A short passage about `entity` stating exactly the attributes in `attrs` (in random order)."""
    attrs = list(attrs)
    rng.shuffle(attrs)
    parts = [sentence(rng, entity, a, lang) for a in attrs]
    if intro is None:
        intro = rng.random() < 0.5
    if intro or not parts:
        parts.insert(0, rng.choice(_INTROS[entity.kind][lang]).format(name=entity.name))
    return ("" if lang == "zh" else " ").join(parts)


def question(rng: random.Random, kind: str, attr: str, name: str, split: str, lang: str) -> str:
    """A question asking for `attr` of `name`, phrased with a template from the split."""
    return rng.choice(question_templates(kind, attr, split, lang)).format(name=name)


def query(attr: str, name: str, lang: str) -> str:
    """A keyword search query for one fact, e.g. "Morwick founding year"."""
    return f"{name} {KEYWORDS[attr][lang]}" if lang == "en" else f"{name}{KEYWORDS[attr][lang]}"


def template_counts() -> dict[str, int]:
    """How many question templates exist per language (for reports)."""
    return {lang: sum(len(v[lang]) for v in _QUESTIONS.values()) for lang in ("en", "zh")}


def rough_chars(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """Roughly how many characters an example renders to: contents, call arguments and tool schemas."""
    size = sum(len(json.dumps(t.get("function", t), ensure_ascii=False)) for t in tools)
    for m in messages:
        size += len(m.get("content") or "") + 16
        size += sum(len(c["function"]["arguments"]) + 40 for c in m.get("tool_calls") or [])
    return size
