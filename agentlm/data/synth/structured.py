"""Structured output: extract named fields from a short text and reply with one JSON object.

Sub-family `json_extract`: the user gives a generated record (an order, a contact card, an event, a job post,
a review, a flight, a recipe, a hotel stay, a flat to rent, a book, an invoice, an appointment) and asks for
some of its fields as JSON; the keys come from the user message, a key list in the system prompt, or a JSON
schema in the system prompt. Fields the text does not state are `null`. The reply is the JSON object only,
keys in the requested order, numbers as numbers. meta: `json` (the expected object), `keys`, `kind`, `mode`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from agentlm.data.synth.base import Example, rand_number, split_share


@cache
def _share(items: tuple, split: str) -> tuple:
    return tuple(split_share(items, split))


def _pick(rng: random.Random, items: Sequence, split: str) -> Any:
    return rng.choice(_share(tuple(items), split))


# ----------------------------------------------------------------------------------------------- entities
FIRST_EN = ("Alice", "Bruno", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ingrid", "Jonas", "Keiko",
            "Liam", "Maya", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tessa", "Umar", "Vera",
            "Wesley", "Ximena", "Yusuf", "Zoe", "Amara", "Boris", "Chloe", "Dario", "Esme", "Felix", "Greta",
            "Hamid", "Iris", "Jasper", "Kira", "Lucas", "Mina", "Noah")
LAST_EN = ("Abernathy", "Bellweather", "Castellano", "Drummond", "Eastwood", "Fairbanks", "Galloway", "Hartmann",
           "Ivanova", "Jennings", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Pemberton", "Quintero",
           "Rasmussen", "Sandoval", "Thorne", "Underwood", "Valdez", "Whitlock", "Yamada", "Zielinski", "Ashby",
           "Brennan", "Calloway", "Delacroix", "Everly")
SURNAME_ZH = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
              ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"),
              ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
              ("罗", "luo"), ("高", "gao"), ("梁", "liang"), ("宋", "song"), ("唐", "tang"), ("许", "xu"))
GIVEN_ZH = ("小明", "丽华", "建国", "思远", "雨桐", "子涵", "浩然", "欣怡", "俊杰", "梦琪", "宇航", "诗雨", "天佑",
            "嘉怡", "志强", "晓燕", "博文", "佳琪", "明轩", "若曦", "一鸣", "静怡", "泽宇", "可欣", "文博", "雅婷",
            "皓轩", "紫萱", "国栋", "海燕", "家豪", "晨曦", "乐乐", "安琪", "书瑶", "景行")
COMPANY_EN = ("Brightwave", "Northpine", "Silverleaf", "Bluecrest", "Oakridge", "Maplebrook", "Ironvale",
              "Crystalbay", "Redfern", "Greenhollow", "Stonebridge", "Sunpeak", "Moonlake", "Foxglove",
              "Harborview", "Cloudberry", "Pinecrest", "Riverbend", "Goldfinch", "Kestrel", "Wildrose", "Amberly",
              "Lumenfield", "Nimbus", "Quillon", "Tidewater", "Ashgrove", "Copperleaf", "Starling", "Willowmere")
COMPANY_KIND_EN = ("Labs", "Foods", "Logistics", "Studio", "Systems", "Health", "Media", "Outfitters",
                   "Analytics", "Robotics")
COMPANY_ZH = (("星河", "xinghe"), ("青禾", "qinghe"), ("云帆", "yunfan"), ("蓝鲸", "lanjing"), ("金桥", "jinqiao"),
              ("银杉", "yinshan"), ("白鹭", "bailu"), ("远山", "yuanshan"), ("晨光", "chenguang"),
              ("松果", "songguo"), ("海棠", "haitang"), ("灵犀", "lingxi"), ("北辰", "beichen"),
              ("南风", "nanfeng"), ("长风", "changfeng"), ("明月", "mingyue"), ("青柠", "qingning"),
              ("墨竹", "mozhu"), ("飞鱼", "feiyu"), ("知行", "zhixing"), ("若水", "ruoshui"), ("千帆", "qianfan"),
              ("暖阳", "nuanyang"), ("山海", "shanhai"))
COMPANY_KIND_ZH = ("科技", "食品", "物流", "设计", "传媒", "教育", "医疗", "文旅")
CITY_EN = ("Port Elmwood", "Riverton", "Lakeshire", "Ashford Bay", "Millbrook", "Stonehaven", "Cedar Falls",
           "Brookmere", "Westhollow", "Kingsbridge", "Fairhaven", "Oakhurst", "Silverton", "Marlow Heights",
           "Greywater", "Eastwick", "Larkspur", "Highcliff", "Northam", "Bellmont", "Redcastle", "Thornbury",
           "Winterport", "Glenrock", "Havenford", "Lowell Springs", "Pinehurst", "Dunmore")
CITY_ZH = ("云港", "青州", "临川", "白沙", "江宁", "海陵", "松原", "清河", "雁城", "南屿", "望江", "金州", "柳镇",
           "北塘", "东阳湾", "石门", "溪口", "凤城", "梧桐", "安澜", "明湖", "龙泉", "嘉禾", "晴川")
PRODUCT_EN = ("wireless earbuds", "standing desk", "espresso machine", "hiking backpack", "mechanical keyboard",
              "yoga mat", "air purifier", "electric kettle", "desk lamp", "running shoes", "smart watch",
              "cast-iron skillet", "office chair", "bluetooth speaker", "travel mug", "rice cooker", "winter jacket",
              "phone tripod", "camping tent", "robot vacuum", "blender", "noise-cancelling headphones",
              "portable charger", "water filter", "digital camera", "e-reader", "gaming mouse", "coffee grinder",
              "sleeping bag", "bike helmet", "drone", "ceramic teapot", "electric scooter", "pressure cooker",
              "snow boots", "laptop stand", "fountain pen")
PRODUCT_ZH = ("蓝牙耳机", "升降桌", "咖啡机", "登山包", "机械键盘", "瑜伽垫", "空气净化器", "电热水壶", "台灯",
              "跑鞋", "智能手表", "铸铁锅", "办公椅", "蓝牙音箱", "保温杯", "电饭煲", "羽绒服", "手机支架", "帐篷",
              "扫地机器人", "榨汁机", "降噪耳机", "充电宝", "净水器", "电子书阅读器", "游戏鼠标")
JOB_EN = ("product manager", "data analyst", "sales director", "UX designer", "backend engineer", "marketing lead",
          "office manager", "nurse practitioner", "civil engineer", "accountant", "HR specialist",
          "operations manager", "copywriter", "QA engineer", "store manager", "lab technician")
JOB_ZH = ("产品经理", "数据分析师", "销售总监", "交互设计师", "后端工程师", "市场主管", "行政经理", "护士",
          "土木工程师", "会计", "人事专员", "运营经理", "文案策划", "测试工程师", "店长", "实验员")
EVENT_EN = ("Spring Jazz Night", "Open Source Meetup", "Harvest Food Fair", "Indie Film Festival",
            "Startup Pitch Day", "Charity Fun Run", "Board Game Marathon", "Poetry Slam", "Robotics Expo",
            "Winter Craft Market", "Photography Walk", "Comedy Open Mic", "Tech Career Fair", "Vintage Car Show",
            "Salsa Workshop", "Lantern Festival Gala")
EVENT_ZH = ("春季爵士之夜", "开源技术沙龙", "丰收美食节", "独立电影展", "创业路演日", "慈善夜跑", "桌游马拉松",
            "诗歌朗诵会", "机器人博览会", "冬季手作市集", "城市摄影徒步", "脱口秀开放麦", "科技招聘会",
            "老爷车展", "萨尔萨舞工作坊", "元宵灯会", "中秋诗会",
            "夏日音乐节", "咖啡品鉴会")
VENUE_EN = ("the Grand Hall", "Riverside Pavilion", "Hall B of the Expo Centre", "the Old Library",
            "Union Square Park", "the Blue Room", "Harbor Warehouse 3", "the Civic Theatre", "Lakeside Garden",
            "the Glasshouse", "Studio 9", "the Community Centre")
VENUE_ZH = ("会展中心B馆", "滨江公园", "老图书馆", "大剧院", "星空音乐厅", "创意园3号仓库", "湖畔花园",
            "玻璃花房", "9号演播厅", "社区活动中心", "城市书房", "体育馆东厅", "市民广场", "科技馆报告厅")
HOTEL_EN = ("The Lantern Inn", "Seaview Lodge", "Hotel Aurora", "Maple Court Hotel", "The Copper Kettle Inn",
            "Pinewood Suites", "Harbourlight Hotel", "The Grand Meridian", "Blue Heron Hotel", "The Wayfarer")
HOTEL_ZH = ("灯塔酒店", "海景客栈", "极光大酒店", "枫庭酒店", "松林公寓酒店", "港湾之光酒店", "子午线大饭店",
            "白鹭洲宾馆", "旅人之家", "听雨轩民宿")
ROOM_EN = ("double room", "twin room", "suite", "single room", "family room", "deluxe king room", "junior suite",
           "sea-view double room")
ROOM_ZH = ("大床房", "双床房", "套房", "单人间", "家庭房", "豪华大床房", "无障碍房", "海景房")
BOOK_EN = ("The Glass Orchard", "Rivers of Salt", "A Map for Tomorrow", "The Quiet Engine", "Letters from Marlow",
           "Seven Lanterns", "The Winter Architect", "Under the Copper Sky", "The Last Cartographer", "Small Hours",
           "The Paper Tide", "Echoes of Ashgrove", "The Salt Road", "Night Ferry")
BOOK_ZH = ("玻璃果园", "盐之河", "明天的地图", "安静的引擎", "七盏灯", "冬天的建筑师", "铜色天空下",
           "最后的制图师", "纸做的潮水", "小时光", "夜航船", "雾中的城", "远方来信", "山那边的灯塔")
GENRE_EN = ("mystery", "science fiction", "memoir", "fantasy", "history", "poetry", "romance", "thriller")
GENRE_ZH = ("悬疑", "科幻", "回忆录", "奇幻", "历史", "诗歌", "爱情", "惊悚")
SERVICE_EN = ("haircut", "dental cleaning", "car service", "eye exam", "massage", "tax consultation",
              "piano lesson", "pet grooming", "physiotherapy session", "bike repair", "nail appointment",
              "driving lesson", "guitar lesson")
SERVICE_ZH = ("理发", "洗牙", "汽车保养", "眼科检查", "按摩", "税务咨询", "钢琴课", "宠物美容", "康复理疗",
              "自行车维修", "驾驶培训", "美甲", "电脑维修", "吉他课")
DISH_EN = (("lemon garlic pasta", ("spaghetti", "lemon", "garlic", "parmesan"), True),
           ("mushroom risotto", ("arborio rice", "mushrooms", "onion", "vegetable stock"), True),
           ("chicken curry", ("chicken thighs", "onion", "curry paste", "coconut milk"), False),
           ("veggie stir-fry", ("broccoli", "bell pepper", "soy sauce", "ginger"), True),
           ("tomato soup", ("tomatoes", "onion", "basil", "cream"), True),
           ("beef tacos", ("ground beef", "tortillas", "salsa", "cheddar"), False),
           ("fluffy pancakes", ("flour", "eggs", "milk", "butter"), True),
           ("shakshuka", ("eggs", "tomatoes", "paprika", "onion"), True),
           ("banana bread", ("bananas", "flour", "sugar", "butter"), True),
           ("egg fried rice", ("rice", "eggs", "spring onions", "soy sauce"), True),
           ("lentil stew", ("red lentils", "carrots", "cumin", "tomatoes"), True),
           ("salmon tray bake", ("salmon fillets", "potatoes", "lemon", "dill"), False),
           ("pork dumplings", ("pork mince", "cabbage", "dumpling wrappers", "ginger"), False),
           ("greek salad", ("cucumber", "tomatoes", "feta", "olives"), True))
DISH_ZH = (("番茄炒蛋", ("番茄", "鸡蛋", "葱花"), True), ("红烧肉", ("五花肉", "冰糖", "生抽", "姜"), False),
           ("麻婆豆腐", ("豆腐", "牛肉末", "豆瓣酱", "花椒"), False), ("清炒西兰花", ("西兰花", "蒜", "盐"), True),
           ("蛋炒饭", ("米饭", "鸡蛋", "葱", "酱油"), True), ("可乐鸡翅", ("鸡翅", "可乐", "姜", "酱油"), False),
           ("酸辣土豆丝", ("土豆", "干辣椒", "醋"), True), ("鱼香茄子", ("茄子", "蒜", "豆瓣酱", "糖"), True),
           ("葱油拌面", ("面条", "小葱", "生抽", "老抽"), True), ("香菇炖鸡", ("鸡腿", "香菇", "姜", "料酒"), False),
           ("凉拌黄瓜", ("黄瓜", "蒜", "醋", "香油"), True), ("韭菜猪肉饺子", ("猪肉馅", "韭菜", "饺子皮"), False),
           ("拍黄瓜", ("黄瓜", "蒜", "醋"), True), ("紫菜蛋花汤", ("紫菜", "鸡蛋", "葱"), True),
           ("水煮鱼", ("草鱼", "豆芽", "干辣椒", "花椒"), False), ("南瓜粥", ("南瓜", "大米", "冰糖"), True))
FLIGHT_CODES = ("ZX", "QA", "LV", "NR", "TB", "KE", "MJ", "OP", "WS", "YD", "HF", "GU")


def _person(rng: random.Random, split: str, lang: str) -> tuple[str, str]:
    """A fictional person: (display name, email handle)."""
    if lang == "zh":
        surname, pinyin = _pick(rng, SURNAME_ZH, split)
        return surname + _pick(rng, GIVEN_ZH, split), f"{pinyin}{rand_number(rng, 10, 999, split)}"
    first, last = _pick(rng, FIRST_EN, split), _pick(rng, LAST_EN, split)
    return f"{first} {last}", f"{first}.{last}".lower()


def _company(rng: random.Random, split: str, lang: str) -> tuple[str, str]:
    """A fictional company: (name, web domain)."""
    if lang == "zh":
        name, pinyin = _pick(rng, COMPANY_ZH, split)
        return name + rng.choice(COMPANY_KIND_ZH), f"{pinyin}.cn"
    name = _pick(rng, COMPANY_EN, split)
    return f"{name} {rng.choice(COMPANY_KIND_EN)}", f"{name.lower()}.com"


def _en_zh(lang: str, en: Sequence, zh: Sequence) -> Sequence:
    return zh if lang == "zh" else en


def _money(rng: random.Random, split: str, lo: int, hi: int) -> int | float:
    """A price in [lo, hi]: whole numbers stay ints, others keep two decimals."""
    cents = rand_number(rng, lo * 100, hi * 100, split)
    cents -= cents % 5
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)


def _show_money(value: int | float, lang: str) -> str:
    if lang == "zh":
        return f"{value:.2f}元" if isinstance(value, float) else f"{value}元"
    return f"${value:,.2f}" if isinstance(value, float) else f"${value:,}"


def _date(rng: random.Random, split: str) -> str:
    return (dt.date(2024, 1, 1) + dt.timedelta(days=rand_number(rng, 0, 1100, split))).isoformat()


def _time(rng: random.Random) -> str:
    return f"{rng.randint(7, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def _flag(value: bool, yes: str, no: str) -> tuple[bool, str]:
    return value, yes if value else no


# ---------------------------------------------------------------------------------------------- record kinds
Values = dict[str, tuple[Any, str]]  # key -> (JSON value, how the text shows it)


@dataclass(frozen=True)
class FieldSpec:
    """One extractable field: JSON key and type, a label for "Label: value" lines, prose fragments with {v}."""

    key: str
    type: str
    label: tuple[str, str]
    en: tuple[str, ...]
    zh: tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    name: str
    headers: tuple[tuple[str, ...], tuple[str, ...]]  # (English headers, Chinese headers)
    fields: tuple[FieldSpec, ...]
    values: Callable[[random.Random, str, str], Values]


def _order(rng: random.Random, split: str, lang: str) -> Values:
    price = _money(rng, split, 5, 400)
    return {"order_id": (f"ORD-{rand_number(rng, 10000, 99999, split)}",) * 2,
            "customer": (_person(rng, split, lang)[0],) * 2,
            "product": (_pick(rng, _en_zh(lang, PRODUCT_EN, PRODUCT_ZH), split),) * 2,
            "quantity": (q := rand_number(rng, 1, 12, split), str(q)),
            "unit_price": (price, _show_money(price, lang)),
            "city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2,
            "express": _flag(rng.random() < 0.5, *_en_zh(lang, ("express", "standard"), ("加急", "普通")))}


def _contact(rng: random.Random, split: str, lang: str) -> Values:
    name, handle = _person(rng, split, lang)
    company, domain = _company(rng, split, lang)
    if lang == "zh":
        phone = f"1{rng.choice('3589')}{rand_number(rng, 100000000, 999999999, split)}"
    else:
        phone = f"555-{rand_number(rng, 100, 999, split)}-{rand_number(rng, 1000, 9999, split)}"
    return {"name": (name,) * 2, "company": (company,) * 2,
            "job_title": (_pick(rng, _en_zh(lang, JOB_EN, JOB_ZH), split),) * 2,
            "email": (f"{handle}@{domain}",) * 2, "phone": (phone,) * 2,
            "city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2}


def _event(rng: random.Random, split: str, lang: str) -> Values:
    price = _money(rng, split, 0, 150)
    return {"event_name": (_pick(rng, _en_zh(lang, EVENT_EN, EVENT_ZH), split),) * 2,
            "date": (_date(rng, split),) * 2, "start_time": (_time(rng),) * 2,
            "venue": (_pick(rng, _en_zh(lang, VENUE_EN, VENUE_ZH), split),) * 2,
            "city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2,
            "ticket_price": (price, _show_money(price, lang)),
            "capacity": (c := rand_number(rng, 20, 5000, split), str(c))}


def _job(rng: random.Random, split: str, lang: str) -> Values:
    salary = rand_number(rng, 6, 60, split) * 10000 if lang == "zh" else rand_number(rng, 30, 250, split) * 1000
    return {"job_title": (_pick(rng, _en_zh(lang, JOB_EN, JOB_ZH), split),) * 2,
            "company": (_company(rng, split, lang)[0],) * 2,
            "city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2,
            "salary": (salary, _show_money(salary, lang)),
            "remote": _flag(rng.random() < 0.5, *_en_zh(lang, ("fully remote", "on-site"), ("远程办公", "现场办公"))),
            "experience_years": (y := rand_number(rng, 1, 12, split), str(y))}


def _review(rng: random.Random, split: str, lang: str) -> Values:
    price = _money(rng, split, 5, 600)
    return {"product": (_pick(rng, _en_zh(lang, PRODUCT_EN, PRODUCT_ZH), split),) * 2,
            "reviewer": (_person(rng, split, lang)[0],) * 2,
            "rating": (r := rng.randint(1, 5), str(r)),
            "price_paid": (price, _show_money(price, lang)),
            "would_recommend": _flag(r >= 3, *_en_zh(lang, ("Yes", "No"), ("推荐", "不推荐")))}


def _flight(rng: random.Random, split: str, lang: str) -> Values:
    origin, destination = rng.sample(_share(tuple(_en_zh(lang, CITY_EN, CITY_ZH)), split), 2)
    code = f"{_pick(rng, FLIGHT_CODES, split)}{rand_number(rng, 100, 9999, split)}"
    seat = f"{rand_number(rng, 1, 45, split)}{rng.choice('ABCDEF')}"
    return {"passenger": (_person(rng, split, lang)[0],) * 2, "flight_number": (code,) * 2,
            "origin": (origin,) * 2, "destination": (destination,) * 2, "date": (_date(rng, split),) * 2,
            "seat": (seat,) * 2,
            "refundable": _flag(rng.random() < 0.5,
                                *_en_zh(lang, ("refundable", "non-refundable"), ("可退票", "不可退票")))}


def _recipe(rng: random.Random, split: str, lang: str) -> Values:
    dish, ingredients, veg = _pick(rng, _en_zh(lang, DISH_EN, DISH_ZH), split)
    shown = "、".join(ingredients) if lang == "zh" else ", ".join(ingredients[:-1]) + " and " + ingredients[-1]
    return {"dish": (dish,) * 2, "servings": (s := rand_number(rng, 1, 8, split), str(s)),
            "prep_minutes": (m := rand_number(rng, 5, 120, split), str(m)),
            "ingredients": (list(ingredients), shown),
            "vegetarian": _flag(veg, *_en_zh(lang, ("vegetarian", "not vegetarian"), ("素食", "非素食")))}


def _hotel(rng: random.Random, split: str, lang: str) -> Values:
    total = _money(rng, split, 60, 3000)
    return {"guest": (_person(rng, split, lang)[0],) * 2,
            "hotel": (_pick(rng, _en_zh(lang, HOTEL_EN, HOTEL_ZH), split),) * 2,
            "city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2,
            "check_in": (_date(rng, split),) * 2, "nights": (n := rand_number(rng, 1, 14, split), str(n)),
            "room_type": (_pick(rng, _en_zh(lang, ROOM_EN, ROOM_ZH), split),) * 2,
            "total_price": (total, _show_money(total, lang))}


def _apartment(rng: random.Random, split: str, lang: str) -> Values:
    rent = rand_number(rng, 40, 400, split) * (10 if lang == "en" else 50)
    return {"city": (_pick(rng, _en_zh(lang, CITY_EN, CITY_ZH), split),) * 2,
            "bedrooms": (b := rand_number(rng, 1, 5, split), str(b)),
            "rent": (rent, _show_money(rent, lang)),
            "area_sqm": (a := rand_number(rng, 25, 220, split), str(a)),
            "pets_allowed": _flag(rng.random() < 0.5, *_en_zh(lang, ("allowed", "not allowed"), ("允许", "不允许"))),
            "contact": (_person(rng, split, lang)[0],) * 2}


def _book(rng: random.Random, split: str, lang: str) -> Values:
    return {"title": (_pick(rng, _en_zh(lang, BOOK_EN, BOOK_ZH), split),) * 2,
            "author": (_person(rng, split, lang)[0],) * 2,
            "year": (y := rand_number(rng, 1950, 2025, split), str(y)),
            "pages": (p := rand_number(rng, 90, 900, split), str(p)),
            "publisher": (_company(rng, split, lang)[0],) * 2,
            "genre": (_pick(rng, _en_zh(lang, GENRE_EN, GENRE_ZH), split),) * 2}


def _invoice(rng: random.Random, split: str, lang: str) -> Values:
    amount = _money(rng, split, 50, 20000)
    return {"invoice_number": (f"INV-{rand_number(rng, 1000, 99999, split)}",) * 2,
            "client": (_company(rng, split, lang)[0],) * 2,
            "amount": (amount, _show_money(amount, lang)),
            "due_date": (_date(rng, split),) * 2,
            "paid": _flag(rng.random() < 0.5, *_en_zh(lang, ("paid", "unpaid"), ("已付款", "未付款")))}


def _appointment(rng: random.Random, split: str, lang: str) -> Values:
    deposit = _money(rng, split, 5, 200)
    return {"client": (_person(rng, split, lang)[0],) * 2,
            "service": (_pick(rng, _en_zh(lang, SERVICE_EN, SERVICE_ZH), split),) * 2,
            "date": (_date(rng, split),) * 2, "time": (_time(rng),) * 2,
            "location": (_pick(rng, _en_zh(lang, VENUE_EN, VENUE_ZH), split),) * 2,
            "deposit": (deposit, _show_money(deposit, lang))}


F = FieldSpec
KINDS: tuple[Kind, ...] = (
    Kind("order", (("Order confirmation", "New order received", "Shop notification"), ("订单确认", "新订单通知")), (
        F("order_id", "string", ("Order number", "订单号"),
          ("Order {v} has been confirmed.", "Your order number is {v}."),
          ("订单号：{v}。", "您的订单{v}已确认。")),
        F("customer", "string", ("Customer", "顾客"), ("It was placed by {v}.", "Customer name: {v}."),
          ("下单人是{v}。", "顾客姓名：{v}。")),
        F("product", "string", ("Item", "商品"), ("Item ordered: {v}.", "The order is for the {v}."),
          ("购买的商品是{v}。", "商品：{v}。")),
        F("quantity", "integer", ("Quantity", "数量"), ("Quantity: {v}.", "{v} unit(s) were ordered."),
          ("数量为{v}件。", "共购买{v}件。")),
        F("unit_price", "number", ("Unit price", "单价"), ("Each one costs {v}.", "Unit price: {v}."),
          ("单价{v}。", "每件售价{v}。")),
        F("city", "string", ("Ship to", "收货城市"), ("It ships to {v}.", "Delivery city: {v}."),
          ("收货城市是{v}。", "将寄往{v}。")),
        F("express", "boolean", ("Shipping", "配送方式"), ("Shipping method: {v}.", "Delivery type: {v}."),
          ("配送方式：{v}配送。", "选择了{v}配送。")),
    ), _order),
    Kind("contact", (("Contact card", "New contact", "Business card"), ("联系人名片", "新联系人")), (
        F("name", "string", ("Name", "姓名"), ("Name: {v}.", "This is {v}."), ("姓名：{v}。", "这位是{v}。")),
        F("company", "string", ("Company", "公司"), ("Works at {v}.", "Company: {v}."),
          ("就职于{v}。", "公司：{v}。")),
        F("job_title", "string", ("Title", "职位"), ("Role: {v}.", "Job title: {v}."), ("职位是{v}。", "担任{v}。")),
        F("email", "string", ("Email", "邮箱"), ("Email: {v}.", "Reach them at {v}."),
          ("邮箱：{v}。", "电子邮件是{v}。")),
        F("phone", "string", ("Phone", "电话"), ("Phone: {v}.", "Call {v}."), ("电话：{v}。", "手机号是{v}。")),
        F("city", "string", ("City", "城市"), ("Based in {v}.", "Location: {v}."), ("常驻{v}。", "所在城市：{v}。")),
    ), _contact),
    Kind("event", (("Event announcement", "You're invited!", "Save the date"), ("活动通知", "诚邀参加")), (
        F("event_name", "string", ("Event", "活动"), ("Join us for {v}!", "Event: {v}."),
          ("欢迎参加{v}！", "活动名称：{v}。")),
        F("date", "string", ("Date", "日期"), ("It takes place on {v}.", "Date: {v}."),
          ("活动日期为{v}。", "日期：{v}。")),
        F("start_time", "string", ("Starts", "开始时间"), ("Doors open at {v}.", "Start time: {v}."),
          ("{v}开始入场。", "开始时间：{v}。")),
        F("venue", "string", ("Venue", "地点"), ("The venue is {v}.", "Location: {v}."),
          ("地点在{v}。", "场地：{v}。")),
        F("city", "string", ("City", "城市"), ("It is held in {v}.", "City: {v}."),
          ("举办城市：{v}。", "在{v}举行。")),
        F("ticket_price", "number", ("Tickets", "门票"), ("Tickets cost {v}.", "Entry: {v}."),
          ("门票{v}。", "票价为{v}。")),
        F("capacity", "integer", ("Capacity", "容量"), ("Space for {v} guests.", "Capacity: {v} people."),
          ("可容纳{v}人。", "限额{v}人。")),
    ), _event),
    Kind("job_post", (("We're hiring", "Job opening", "Job post"), ("招聘启事", "职位发布")), (
        F("job_title", "string", ("Position", "职位"), ("We are looking for a {v}.", "Position: {v}."),
          ("招聘职位：{v}。", "现招聘{v}一名。")),
        F("company", "string", ("Company", "公司"), ("{v} is growing.", "Employer: {v}."),
          ("{v}正在扩张团队。", "用人单位：{v}。")),
        F("city", "string", ("Location", "工作地点"), ("The team sits in {v}.", "Location: {v}."),
          ("工作地点在{v}。", "办公城市：{v}。")),
        F("salary", "integer", ("Salary", "年薪"), ("The salary is {v} per year.", "Pay: {v} a year."),
          ("年薪{v}。", "薪资为每年{v}。")),
        F("remote", "boolean", ("Work mode", "工作方式"), ("This role is {v}.", "Work mode: {v}."),
          ("工作方式为{v}。", "该岗位{v}。")),
        F("experience_years", "integer", ("Experience", "经验要求"), ("You need {v} years of experience.",
                                                                    "Requires {v}+ years of experience."),
          ("要求{v}年以上工作经验。", "需要{v}年相关经验。")),
    ), _job),
    Kind("review", (("Customer review", "Product review", "Review"), ("用户评价", "商品评论")), (
        F("product", "string", ("Product", "商品"), ("I bought the {v} last month.", "Product: {v}."),
          ("上个月买了{v}。", "商品：{v}。")),
        F("reviewer", "string", ("Reviewer", "评价人"), ("Review by {v}.", "Posted by {v}."),
          ("评价人：{v}。", "发布者：{v}。")),
        F("rating", "integer", ("Rating", "评分"), ("My rating: {v} out of 5.", "Stars: {v}/5."),
          ("评分：{v}分（满分5分）。", "给{v}星。")),
        F("price_paid", "number", ("Price paid", "购买价格"), ("I paid {v}.", "Price paid: {v}."),
          ("花了{v}。", "购买价格{v}。")),
        F("would_recommend", "boolean", ("Recommend", "是否推荐"), ("Would I recommend it? {v}.",
                                                                 "Recommend to a friend: {v}."),
          ("是否推荐：{v}。", "总体评价：{v}。")),
    ), _review),
    Kind("flight", (("Booking confirmation", "Your e-ticket", "Flight itinerary"), ("机票预订确认", "电子客票")), (
        F("passenger", "string", ("Passenger", "乘客"), ("Passenger: {v}.", "Booked for {v}."),
          ("乘客：{v}。", "乘机人为{v}。")),
        F("flight_number", "string", ("Flight", "航班号"), ("Flight {v}.", "Flight number: {v}."),
          ("航班号{v}。", "搭乘{v}航班。")),
        F("origin", "string", ("From", "出发地"), ("Departing from {v}.", "From: {v}."),
          ("从{v}出发。", "出发城市：{v}。")),
        F("destination", "string", ("To", "目的地"), ("Arriving in {v}.", "To: {v}."),
          ("飞往{v}。", "到达城市：{v}。")),
        F("date", "string", ("Date", "日期"), ("Travel date: {v}.", "It departs on {v}."),
          ("出发日期：{v}。", "于{v}起飞。")),
        F("seat", "string", ("Seat", "座位"), ("Seat {v}.", "Your seat is {v}."), ("座位号{v}。", "座位：{v}。")),
        F("refundable", "boolean", ("Fare", "退改规则"), ("This ticket is {v}.", "Fare type: {v}."),
          ("本机票{v}。", "退改规则：{v}。")),
    ), _flight),
    Kind("recipe", (("Recipe card", "Tonight's recipe", "Recipe"), ("今日菜谱", "家常菜谱")), (
        F("dish", "string", ("Dish", "菜名"), ("Recipe: {v}.", "Let's make {v}."), ("菜名：{v}。", "今天做{v}。")),
        F("servings", "integer", ("Serves", "份量"), ("Serves {v}.", "Makes {v} servings."),
          ("可供{v}人食用。", "份量：{v}人份。")),
        F("prep_minutes", "integer", ("Prep time", "准备时间"), ("Prep time: {v} minutes.", "Ready in {v} minutes."),
          ("准备时间{v}分钟。", "约{v}分钟完成。")),
        F("ingredients", "array", ("Ingredients", "食材"), ("You need {v}.", "Ingredients: {v}."),
          ("食材：{v}。", "需要准备{v}。")),
        F("vegetarian", "boolean", ("Diet", "饮食类型"), ("This dish is {v}.", "Diet: {v}."),
          ("这道菜属于{v}。", "饮食类型：{v}。")),
    ), _recipe),
    Kind("hotel", (("Reservation confirmed", "Hotel booking", "Your stay"), ("酒店预订成功", "入住确认")), (
        F("guest", "string", ("Guest", "入住人"), ("Guest: {v}.", "Reserved for {v}."),
          ("入住人：{v}。", "预订人{v}。")),
        F("hotel", "string", ("Hotel", "酒店"), ("Welcome to {v}.", "Hotel: {v}."), ("酒店：{v}。", "您预订了{v}。")),
        F("city", "string", ("City", "城市"), ("Located in {v}.", "City: {v}."), ("位于{v}。", "城市：{v}。")),
        F("check_in", "string", ("Check-in", "入住日期"), ("Check-in on {v}.", "Arrival: {v}."),
          ("入住日期：{v}。", "{v}入住。")),
        F("nights", "integer", ("Nights", "晚数"), ("Staying {v} night(s).", "Length of stay: {v} nights."),
          ("共住{v}晚。", "入住{v}晚。")),
        F("room_type", "string", ("Room", "房型"), ("Room: {v}.", "You booked a {v}."), ("房型：{v}。", "预订了{v}。")),
        F("total_price", "number", ("Total", "总价"), ("Total: {v}.", "The stay costs {v} in total."),
          ("总价{v}。", "合计{v}。")),
    ), _hotel),
    Kind("apartment", (("Flat for rent", "Apartment listing", "To let"), ("房屋出租", "租房信息")), (
        F("city", "string", ("City", "城市"), ("Apartment in {v}.", "Location: {v}."),
          ("房源位于{v}。", "城市：{v}。")),
        F("bedrooms", "integer", ("Bedrooms", "卧室"), ("{v} bedroom(s).", "Bedrooms: {v}."),
          ("{v}间卧室。", "卧室数量：{v}。")),
        F("rent", "integer", ("Rent", "月租"), ("Rent is {v} a month.", "Monthly rent: {v}."),
          ("月租{v}。", "租金每月{v}。")),
        F("area_sqm", "integer", ("Size", "面积"), ("Size: {v} square metres.", "{v} m² of living space."),
          ("面积{v}平方米。", "建筑面积：{v}平米。")),
        F("pets_allowed", "boolean", ("Pets", "宠物"), ("Pets: {v}.", "Pets are {v}."),
          ("{v}养宠物。", "宠物：{v}。")),
        F("contact", "string", ("Contact", "联系人"), ("Contact {v} to view it.", "Landlord: {v}."),
          ("看房请联系{v}。", "房东：{v}。")),
    ), _apartment),
    Kind("book", (("New release", "Book details", "Catalogue entry"), ("新书推荐", "图书信息")), (
        F("title", "string", ("Title", "书名"), ("Title: {v}.", "The book is called {v}."),
          ("书名：《{v}》。", "这本书叫《{v}》。")),
        F("author", "string", ("Author", "作者"), ("Written by {v}.", "Author: {v}."), ("作者是{v}。", "作者：{v}。")),
        F("year", "integer", ("Year", "出版年份"), ("Published in {v}.", "First edition: {v}."),
          ("出版于{v}年。", "{v}年首次出版。")),
        F("pages", "integer", ("Pages", "页数"), ("It runs to {v} pages.", "Length: {v} pages."),
          ("全书{v}页。", "共{v}页。")),
        F("publisher", "string", ("Publisher", "出版方"), ("Publisher: {v}.", "Brought out by {v}."),
          ("出版方：{v}。", "由{v}出版。")),
        F("genre", "string", ("Genre", "类型"), ("Genre: {v}.", "A work of {v}."), ("类型：{v}。", "属于{v}类作品。")),
    ), _book),
    Kind("invoice", (("Invoice", "Payment reminder", "Billing notice"), ("发票信息", "付款提醒")), (
        F("invoice_number", "string", ("Invoice no.", "发票号"), ("Invoice {v}.", "Reference: {v}."),
          ("发票号：{v}。", "单号{v}。")),
        F("client", "string", ("Billed to", "客户"), ("Billed to {v}.", "Client: {v}."),
          ("客户：{v}。", "开票对象为{v}。")),
        F("amount", "number", ("Amount due", "金额"), ("Amount due: {v}.", "The total is {v}."),
          ("金额：{v}。", "应付{v}。")),
        F("due_date", "string", ("Due", "截止日期"), ("Please pay by {v}.", "Due date: {v}."),
          ("请于{v}前付款。", "截止日期：{v}。")),
        F("paid", "boolean", ("Status", "状态"), ("Status: {v}.", "This invoice is {v}."),
          ("状态：{v}。", "该发票{v}。")),
    ), _invoice),
    Kind("appointment", (("Appointment reminder", "Booking confirmed", "See you soon"), ("预约提醒", "预约成功")), (
        F("client", "string", ("Client", "客户"), ("Hi {v}, this is a reminder.", "Client: {v}."),
          ("{v}您好，这是一条预约提醒。", "客户：{v}。")),
        F("service", "string", ("Service", "服务项目"), ("You are booked for a {v}.", "Service: {v}."),
          ("预约项目：{v}。", "您预约了{v}。")),
        F("date", "string", ("Date", "日期"), ("Date: {v}.", "It is on {v}."), ("日期：{v}。", "时间定在{v}。")),
        F("time", "string", ("Time", "时间"), ("Time: {v}.", "Please arrive by {v}."),
          ("具体时间：{v}。", "请在{v}前到达。")),
        F("location", "string", ("Location", "地点"), ("Where: {v}.", "Location: {v}."),
          ("地点：{v}。", "地址在{v}。")),
        F("deposit", "number", ("Deposit", "定金"), ("A deposit of {v} was paid.", "Deposit: {v}."),
          ("已付定金{v}。", "定金：{v}。")),
    ), _appointment),
)

# ---------------------------------------------------------------------------------------------- request wording
# (mode, template): "user" templates hold {keys} and {text}; "keys" system prompts hold {keys};
# "schema" system prompts hold {schema}. Split together so test sees wordings never used in train.
REQUESTS_EN: tuple[tuple[str, str], ...] = (
    ("user", "Extract {keys} from the text below and return them as JSON.\n\n{text}"),
    ("user", "{text}\n\nFrom the text above, pull out {keys}. Reply with a JSON object."),
    ("user", "Please give me a JSON object with the keys {keys}, filled in from this:\n{text}"),
    ("user", "Turn this into JSON with fields {keys}:\n\n{text}"),
    ("user", "I need {keys} from the following as JSON.\n---\n{text}\n---"),
    ("user", "Parse the text and output JSON containing {keys}. Use null for anything missing.\n\n{text}"),
    ("user", "Read this and extract {keys} into a JSON object:\n{text}"),
    ("user", "Text:\n{text}\n\nReturn only JSON with these keys: {keys}."),
    ("user", "Could you convert the following into JSON? Keys: {keys}.\n\n{text}"),
    ("user", "Get {keys} out of this message and give them back as JSON:\n{text}"),
    ("user", "{text}\n\nJSON please, with {keys}."),
    ("user", "Structured data needed. Fields: {keys}. Source:\n{text}"),
    ("user", "Fill a JSON object with {keys} using only this text (null if not stated):\n{text}"),
    ("user", "Here is a snippet:\n{text}\n\nExtract {keys} as a JSON object, nothing else."),
    ("user", "Make a JSON record with {keys} from the text that follows.\n\n{text}"),
    ("user", "For my database, extract {keys} from:\n{text}"),
    ("user", "{text}\n\nWhat are the {keys}? Answer as a single JSON object."),
    ("user", "Output a JSON object (keys: {keys}) for the following text.\n{text}"),
    ("user", "Quick one: grab {keys} from this and format it as JSON.\n\n{text}"),
    ("user", "Convert to JSON. Required keys, in this order: {keys}.\n\n{text}"),
    ("user", "Look at the message below and return {keys} as JSON.\n\"\"\"\n{text}\n\"\"\""),
    ("user", "Data extraction task. Keys: {keys}.\nInput:\n{text}"),
    ("user", "{text}\n\nSummarise the above as JSON with keys {keys}."),
    ("user", "Can you extract {keys}? Reply in JSON only.\n\n{text}"),
    ("keys", "You extract data. Reply with one JSON object with exactly these keys, in this order: {keys}. "
             "Use null when the text does not say."),
    ("keys", "Return a JSON object containing {keys}. No prose, no code fences."),
    ("keys", "You are a data-entry assistant. For each user message output JSON with the keys {keys}; "
             "missing values are null."),
    ("keys", "Extract the fields {keys} from the user's text. Answer with JSON only."),
    ("keys", "Output format: a single JSON object with keys {keys}. Numbers must be numbers."),
    ("keys", "Read the user's text and fill in {keys} as JSON. Write null for unknown fields."),
    ("keys", "Respond only with JSON. Keys (in order): {keys}."),
    ("schema", "Extract information from the user's text. Reply with one JSON object matching this schema "
               "(use null for missing values):\n{schema}"),
    ("schema", "Your output must be valid JSON conforming to:\n{schema}"),
    ("schema", "You convert text into JSON. Schema:\n{schema}\nReturn the object only."),
    ("schema", "Fill in this JSON schema from the user's message; unknown fields are null.\n{schema}"),
    ("schema", "JSON schema for your answer:\n{schema}\nDo not add any other text."),
    ("schema", "Act as an information extractor. Reply with an object of this shape:\n{schema}"),
)
REQUESTS_ZH: tuple[tuple[str, str], ...] = (
    ("user", "请从下面的文字中提取{keys}，以 JSON 格式返回。\n\n{text}"),
    ("user", "{text}\n\n请把上面内容中的{keys}提取出来，输出一个 JSON 对象。"),
    ("user", "帮我把这段话整理成 JSON，字段为{keys}：\n{text}"),
    ("user", "阅读以下文本，提取{keys}，只输出 JSON。\n{text}"),
    ("user", "文本：\n{text}\n\n请返回包含这些键的 JSON：{keys}。"),
    ("user", "我需要以下信息的 JSON：{keys}。没有提到的填 null。\n\n{text}"),
    ("user", "把这条消息转换成 JSON，键依次为{keys}。\n{text}"),
    ("user", "{text}\n\n提取{keys}，用 JSON 回答。"),
    ("user", "请解析下面的内容，按{keys}的顺序输出 JSON：\n{text}"),
    ("user", "数据提取任务。字段：{keys}。\n原文：\n{text}"),
    ("user", "能帮我从这段文字里取出{keys}吗？只要 JSON。\n\n{text}"),
    ("user", "请根据下文填写 JSON 对象（键：{keys}）。\n{text}"),
    ("user", "下面是一段信息：\n{text}\n请输出 JSON，包含{keys}。"),
    ("keys", "你负责提取数据。请只输出一个 JSON 对象，键依次为：{keys}。文本中没有的信息填 null。"),
    ("keys", "把用户的文字转换成 JSON，键为{keys}，不要输出其他内容。"),
    ("keys", "输出格式：一个包含{keys}的 JSON 对象，数字用数字类型。"),
    ("keys", "你是数据录入助手。对每条消息输出包含{keys}的 JSON，缺失的值为 null。"),
    ("schema", "请从用户的文字中提取信息，并按以下 JSON Schema 输出一个对象（缺失填 null）：\n{schema}"),
    ("schema", "你的回答必须是符合下列结构的 JSON：\n{schema}"),
    ("schema", "把文本转换成 JSON，结构如下：\n{schema}\n只输出这个对象。"),
    ("schema", "按照这个 schema 填写 JSON，未提及的字段为 null：\n{schema}"),
    ("schema", "你是信息抽取助手。回答格式（JSON Schema）：\n{schema}"),
    ("schema", "目标格式：\n{schema}\n请只回复 JSON。"),
)
# How the user message looks when the instructions sit in the system prompt.
LEAD_INS_EN = ("{text}", "Text:\n{text}", "Here it is:\n{text}", "Please process this:\n{text}",
               "Input:\n{text}", "New message:\n{text}", "\"\"\"\n{text}\n\"\"\"", "Extract from this one:\n{text}",
               "Next record:\n{text}", "Source text follows.\n{text}", "Record:\n{text}",
               "Here you go:\n{text}")
LEAD_INS_ZH = ("{text}", "文本：\n{text}", "请处理这段：\n{text}", "原文如下：\n{text}", "新消息：\n{text}",
               "下一条：\n{text}", "请提取：\n{text}", "「{text}」",
               "接着这条：\n{text}", "原始信息：\n{text}", "收到的内容：\n{text}")


def _keys_text(rng: random.Random, keys: list[str], lang: str) -> str:
    style = rng.randrange(3)
    if style == 0:
        return json.dumps(keys)
    if style == 1:
        return ", ".join(f"`{k}`" for k in keys)
    return ("、" if lang == "zh" else ", ").join(keys)


def _render_text(rng: random.Random, kind: Kind, values: Values, present: list[FieldSpec], lang: str) -> str:
    """The record as prose or as "Label: value" lines, with an optional header."""
    li = 1 if lang == "zh" else 0
    header = rng.choice(kind.headers[li]) if rng.random() < 0.6 else ""
    if rng.random() < 0.5:
        sep = "：" if lang == "zh" else ": "
        body = "\n".join(f"{f.label[li]}{sep}{values[f.key][1]}" for f in present)
    else:
        parts = [rng.choice(f.zh if lang == "zh" else f.en).format(v=values[f.key][1]) for f in present]
        body = ("" if lang == "zh" else " ").join(parts)
    return f"{header}\n{body}" if header else body


def _schema(fields: list[FieldSpec]) -> str:
    props: dict[str, Any] = {}
    for f in fields:
        props[f.key] = {"type": f.type, "items": {"type": "string"}} if f.type == "array" else {"type": f.type}
    return json.dumps({"type": "object", "properties": props, "required": [f.key for f in fields]},
                      ensure_ascii=False)


def make_json_extract(rng: random.Random, split: str, lang: str) -> Example:
    kind = rng.choice(KINDS)
    values = kind.values(rng, split, lang)
    asked = rng.sample(kind.fields, rng.randint(3, min(6, len(kind.fields))))
    missing = set(rng.sample([f.key for f in asked], rng.randint(1, 2))) if rng.random() < 0.35 else set()
    present = [f for f in kind.fields if f.key not in missing]
    text = _render_text(rng, kind, values, present, lang)
    keys = [f.key for f in asked]
    mode, template = _pick(rng, REQUESTS_ZH if lang == "zh" else REQUESTS_EN, split)
    messages: list[dict[str, Any]] = []
    if mode == "user":
        messages.append({"role": "user", "content": template.format(keys=_keys_text(rng, keys, lang), text=text)})
    else:
        system = template.format(keys=_keys_text(rng, keys, lang), schema=_schema(asked))
        lead_in = _pick(rng, LEAD_INS_ZH if lang == "zh" else LEAD_INS_EN, split)
        messages += [{"role": "system", "content": system}, {"role": "user", "content": lead_in.format(text=text)}]
    expected = {k: None if k in missing else values[k][0] for k in keys}
    messages.append({"role": "assistant", "content": json.dumps(expected, ensure_ascii=False)})
    return Example(messages=messages, family="json_extract", lang=lang, split=split,
                   meta={"json": expected, "keys": keys, "kind": kind.name, "mode": mode})


GENERATORS = {"json_extract": make_json_extract}


# ---------------------------------------------------------------------------------------------- preference data
def _wrong_value(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The same object with one field changed to a plausible wrong value."""
    bad = dict(obj)
    key = rng.choice(list(bad))
    value = bad[key]
    if value is None:
        others = [v for v in bad.values() if v is not None]
        bad[key] = rng.choice(others) if others else "unknown"
    elif isinstance(value, bool):
        bad[key] = not value
    elif isinstance(value, int | float):
        bad[key] = value + rng.choice((1, 2, 10)) if rng.random() < 0.6 else str(value)
    elif isinstance(value, list):
        bad[key] = value[:-1] if len(value) > 1 else None
    else:
        strings = [v for k, v in bad.items() if k != key and isinstance(v, str) and v != value]
        bad[key] = rng.choice(strings) if strings else None
    return bad


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """A reply with broken JSON formatting (prose, trailing comma, single quotes, missing brace) or a wrong value."""
    idx = max(i for i, m in enumerate(example.messages) if m["role"] == "assistant")
    good = example.messages[idx]["content"]
    obj = example.meta["json"]
    how = rng.choice(("prose", "trailing_comma", "single_quotes", "missing_brace", "wrong_value", "wrong_value"))
    if how == "prose":
        zh = example.lang == "zh"
        before = rng.choice(("以下是提取结果：\n", "好的，JSON 如下：\n") if zh else
                            ("Here is the extracted data:\n", "Sure! Here's the JSON:\n", "```json\n"))
        after = "\n```" if before.startswith("```") else rng.choice(
            ("", "\n希望对你有帮助！") if zh else ("", "\nLet me know if you need anything else."))
        bad = before + good + after
    elif how == "trailing_comma":
        bad = good[:-1] + ",}"
    elif how == "single_quotes":
        bad = good.replace('"', "'")
    elif how == "missing_brace":
        bad = good[:-1]
    else:
        bad = json.dumps(_wrong_value(obj, rng), ensure_ascii=False)
    if bad == good:
        bad = good[:-1]
    return idx, {"role": "assistant", "content": bad}
