"""Reflection: write a draft, critique it, give the final answer.

Sub-family `reflection`. The question is an arithmetic word problem, a unit conversion, or a fact from a short
passage. Either the user asks the assistant to check its own work (`mode="self_check"`), or the user message holds
someone's draft to critique and fix (`mode="critique"`). The reply has three labelled parts:

    Draft: ...        (初稿：)
    Critique: ...     (检查：)  spots the error, or confirms the draft
    Final: ...        (定稿：)  for maths and conversions the last line is `Answer: N` (`答案：N`)

About half the drafts are wrong, with realistic errors (an arithmetic slip, the wrong operation, a skipped step,
a wrong conversion factor, the value of the wrong entity in the passage).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agentlm.data.synth import facts
from agentlm.data.synth.base import ANSWER_PREFIX, Example, rand_number

LABELS = {"en": ("Draft: ", "Critique: ", "Final: "), "zh": ("初稿：", "检查：", "定稿：")}


def _fmt(x: Decimal | int) -> str:
    """A number as text without trailing zeros."""
    text = format(Decimal(x).normalize(), "f")
    return "0" if text == "-0" else text


@dataclass
class Problem:
    """A question with its correct and draft reasoning."""

    question: str
    kind: str  # "arithmetic", "conversion" or "passage"
    answer: str
    work: str  # the correct working, shown in Final
    draft: str  # the draft's working and answer
    draft_answer: str
    critique: str
    wrong: str  # a plausible wrong answer (the draft's when it is wrong)


# ---------------------------------------------------------------- arithmetic word problems

# shape -> (first op, second op); step 1 is `x op1 y`, step 2 is `r1 op2 z`.
_SHAPES = {"mul_add": ("×", "+"), "mul_sub": ("×", "-"), "add_mul": ("+", "×"), "div_add": ("÷", "+"),
           "sub_sub": ("-", "-"), "mul_mul": ("×", "×")}

_WORD_PROBLEMS = {
    "mul_add": {
        "en": ("A baker fills {x} trays with {y} rolls each and has {z} rolls left over. How many rolls are there?",
               "There are {x} rows of {y} chairs in a hall, plus {z} extra chairs by the door. How many chairs are "
               "there?",
               "Mia buys {x} packs of {y} stickers and her friend gives her {z} more. How many stickers does she have?",
               "A farm has {x} crates with {y} eggs in each and {z} loose eggs. How many eggs does the farm have?"),
        "zh": ("面包师把面包装进{x}个托盘，每盘{y}个，还剩{z}个没装。一共有多少个面包？",
               "礼堂里有{x}排椅子，每排{y}把，门口另外放了{z}把。一共有多少把椅子？")},
    "mul_sub": {
        "en": ("A school orders {x} boxes of {y} pencils and hands out {z} of them. How many pencils are left?",
               "A printer prints {x} pages a minute for {y} minutes, but {z} pages jam. How many good pages are there?",
               "Tom has {x} bags with {y} marbles in each. He loses {z} marbles. How many marbles does he have left?",
               "A cinema has {x} rows of {y} seats and {z} seats are broken. How many seats can be used?"),
        "zh": ("学校订了{x}盒铅笔，每盒{y}支，发出去{z}支。还剩多少支？",
               "小明有{x}袋弹珠，每袋{y}颗，丢了{z}颗。他还剩多少颗？")},
    "add_mul": {
        "en": ("A shop sells {x} red mugs and {y} blue mugs every day. How many mugs does it sell in {z} days?",
               "Each team has {x} players and {y} coaches. How many people are there in {z} teams?",
               "A cake needs {x} g of flour and {y} g of sugar. How many grams of flour and sugar do {z} cakes need?",
               "Every box holds {x} apples and {y} pears. How many pieces of fruit are in {z} boxes?"),
        "zh": ("一家店每天卖出{x}个红杯子和{y}个蓝杯子。{z}天一共卖出多少个杯子？",
               "每个球队有{x}名球员和{y}名教练。{z}支球队一共有多少人？")},
    "div_add": {
        "en": ("{x} stickers are shared equally among {y} children, then each child gets {z} more. How many stickers "
               "does each child have?",
               "A ribbon {x} cm long is cut into {y} equal pieces, and {z} cm is added to each piece. How long is each "
               "piece?",
               "{x} books are split evenly across {y} shelves, then {z} more books go on each shelf. How many books "
               "are on each shelf?",
               "A club splits {x} dollars equally among {y} projects and gives each a {z}-dollar bonus. How much "
               "does each project get?"),
        "zh": ("{x}张贴纸平均分给{y}个孩子，然后每人又多得{z}张。每个孩子有多少张？",
               "{x}本书平均放在{y}个书架上，之后每个书架再加{z}本。每个书架有多少本书？")},
    "sub_sub": {
        "en": ("A tank holds {x} litres of water. {y} litres are used in the morning and {z} in the afternoon. How "
               "many litres are left?",
               "Lena has {x} dollars. She spends {y} dollars on a jacket and {z} dollars on lunch. How much money "
               "does she have left?",
               "A road is {x} km long. A crew paves {y} km in May and {z} km in June. How many km are still unpaved?",
               "A library owns {x} books; {y} are checked out and {z} are being repaired. How many are on the "
               "shelves?"),
        "zh": ("水箱里有{x}升水，上午用了{y}升，下午用了{z}升。还剩多少升？",
               "小丽有{x}元，买外套花了{y}元，午饭花了{z}元。她还剩多少钱？")},
    "mul_mul": {
        "en": ("A building has {x} floors, each with {y} rooms, and each room has {z} windows. How many windows are "
               "there?",
               "A shelf holds {x} boxes, each box holds {y} packs, and each pack has {z} cards. How many cards are "
               "on the shelf?",
               "A train has {x} carriages with {y} rows each and {z} seats per row. How many seats does it have?",
               "A garden has {x} beds, each with {y} rows of {z} tulips. How many tulips are there?"),
        "zh": ("一栋楼有{x}层，每层{y}个房间，每个房间{z}扇窗。一共有多少扇窗？",
               "一列火车有{x}节车厢，每节{y}排，每排{z}个座位。一共有多少个座位？")},
}


def _apply(op: str, a: int, b: int) -> int:
    return {"×": a * b, "+": a + b, "-": a - b, "÷": a // b}[op]


def _operands(rng: random.Random, shape: str, split: str) -> tuple[int, int, int]:
    """x, y, z for a shape, with whole, positive intermediate results."""
    def r(lo: int, hi: int) -> int:
        return rand_number(rng, lo, hi, split)

    if shape == "mul_add":
        return r(3, 19), r(4, 30), r(1, 29)
    if shape == "mul_sub":
        x, y = r(3, 19), r(5, 30)
        return x, y, r(1, x * y - 1)
    if shape == "add_mul":
        return r(3, 60), r(2, 40), r(3, 12)
    if shape == "div_add":
        y, q = r(2, 12), r(3, 40)
        return y * q, y, r(1, 20)
    if shape == "sub_sub":
        x = r(60, 900)
        y = r(1, x // 2)
        return x, y, r(1, x - y - 1)
    return r(2, 12), r(2, 15), r(2, 9)


def _slip(rng: random.Random, n: int) -> int:
    """A realistic arithmetic slip: off by a small amount or by ten, never negative, never equal."""
    while True:
        wrong = n + rng.choice((-10, -2, -1, 1, 2, 10, 100))
        if wrong >= 0 and wrong != n:
            return wrong


_OP_SWAP = {"×": "+", "+": "×", "-": "+", "÷": "×"}

_CONFIRM = {"en": ("Checking each step: {work}. The draft is correct.", "I re-did the calculation: {work}. The draft "
                   "is right.", "Every step holds up: {work}. No changes needed."),
            "zh": ("逐步检查：{work}。初稿是对的。", "重新算一遍：{work}。初稿正确。",
                   "每一步都没问题：{work}。无需修改。")}


def _arithmetic(rng: random.Random, split: str, lang: str, draft_ok: bool) -> Problem:
    shape = rng.choice(list(_SHAPES))
    op1, op2 = _SHAPES[shape]
    x, y, z = _operands(rng, shape, split)
    r1 = _apply(op1, x, y)
    r2 = _apply(op2, r1, z)
    step1, step2 = f"{x} {op1} {y} = {r1}", f"{r1} {op2} {z} = {r2}"
    sep, end = ("; ", ".") if lang == "en" else ("，", "。")
    work = step1 + sep + step2
    question = rng.choice(facts.share(_WORD_PROBLEMS[shape][lang], split)).format(x=x, y=y, z=z)
    en = lang == "en"
    if draft_ok:
        draft_work, d2 = work, r2
        critique = rng.choice(_CONFIRM[lang]).format(work=work)
        wrong = str(_slip(rng, r2))
    else:
        error = rng.choice(("slip1", "slip2", "wrong_op", "skip"))
        if error == "wrong_op" and _apply(_OP_SWAP[op1], x, y) == r1:
            error = "slip1"
        if error == "slip1":
            d1 = _slip(rng, r1)
            d2 = _apply(op2, d1, z)
            draft_work = f"{x} {op1} {y} = {d1}{sep}{d1} {op2} {z} = {d2}"
            critique = (f"{x} {op1} {y} is {r1}, not {d1}. So {step2}." if en
                        else f"{x} {op1} {y} 应该等于{r1}，而不是{d1}。所以{step2}。")
        elif error == "slip2":
            d2 = _slip(rng, r2)
            draft_work = f"{step1}{sep}{r1} {op2} {z} = {d2}"
            critique = (f"The first step is right, but {r1} {op2} {z} is {r2}, not {d2}." if en
                        else f"第一步没错，但{r1} {op2} {z} 应该等于{r2}，而不是{d2}。")
        elif error == "wrong_op":
            bad = _OP_SWAP[op1]
            d1 = _apply(bad, x, y)
            d2 = _apply(op2, d1, z)
            draft_work = f"{x} {bad} {y} = {d1}{sep}{d1} {op2} {z} = {d2}"
            critique = (f"The first step uses the wrong operation: it should be {step1}, not {x} {bad} {y}. "
                        f"So {step2}." if en
                        else f"第一步用错了运算，应该是{step1}，而不是{x} {bad} {y}。所以{step2}。")
        else:
            d2 = r1
            draft_work = step1
            critique = (f"The draft stopped after the first step. It still needs {step2}." if en
                        else f"初稿只算了第一步，还需要算{step2}。")
        if d2 == r2 or d2 < 0:  # an error that happens to give the right number: use a plain slip instead
            d2 = _slip(rng, r2)
            draft_work = f"{step1}{sep}{r1} {op2} {z} = {d2}"
            critique = (f"The first step is right, but {r1} {op2} {z} is {r2}, not {d2}." if en
                        else f"第一步没错，但{r1} {op2} {z} 应该等于{r2}，而不是{d2}。")
        wrong = str(d2)
    draft = (f"{draft_work}, so the answer is {d2}." if en else f"{draft_work}，所以答案是{d2}。")
    return Problem(question, "arithmetic", str(r2), work + end, draft, str(d2), critique, wrong)


# ---------------------------------------------------------------- unit conversions

# (big unit singular, big plural, small plural, zh big, zh small, factor, wrong factor, decimals allowed)
_CONVERSIONS = (
    ("kilometre", "kilometres", "metres", "千米", "米", 1000, 100, True),
    ("metre", "metres", "centimetres", "米", "厘米", 100, 10, True),
    ("kilogram", "kilograms", "grams", "千克", "克", 1000, 100, True),
    ("litre", "litres", "millilitres", "升", "毫升", 1000, 100, True),
    ("centimetre", "centimetres", "millimetres", "厘米", "毫米", 10, 100, True),
    ("hour", "hours", "minutes", "小时", "分钟", 60, 100, False),
    ("minute", "minutes", "seconds", "分钟", "秒", 60, 100, False),
    ("day", "days", "hours", "天", "小时", 24, 12, False),
    ("week", "weeks", "days", "周", "天", 7, 5, False),
    ("year", "years", "months", "年", "个月", 12, 10, False),
)

_CONVERSION_QUESTIONS = {
    "en": ("How many {dst} are in {v} {src}?", "Convert {v} {src} to {dst}.", "What is {v} {src} in {dst}?",
           "Express {v} {src} in {dst}.", "{v} {src} equals how many {dst}?", "Turn {v} {src} into {dst}."),
    "zh": ("{v}{src}等于多少{dst}？", "把{v}{src}换算成{dst}。", "{v}{src}是多少{dst}？", "{v}{src}合多少{dst}？"),
}


def _conversion(rng: random.Random, split: str, lang: str, draft_ok: bool) -> Problem:
    sg, big, small, zh_big, zh_small, factor, bad_factor, decimals = rng.choice(_CONVERSIONS)
    en = lang == "en"
    f = Decimal(factor)
    if rng.random() < 0.6:  # big -> small: multiply
        n = rand_number(rng, 2, 95, split)
        v = Decimal(n) / 10 if decimals and rng.random() < 0.4 and n % 10 else Decimal(n)
        src, dst, op, inverse = (big, small, "×", "÷") if en else (zh_big, zh_small, "×", "÷")
        result = v * f
    else:  # small -> big: divide
        q = rand_number(rng, 2, 95, split)
        v = Decimal(q) * f if not decimals or rng.random() < 0.5 else Decimal(rand_number(rng, 11, 9999, split))
        src, dst, op, inverse = (small, big, "÷", "×") if en else (zh_small, zh_big, "÷", "×")
        result = v / f
    vs, rs = _fmt(v), _fmt(result)
    step = f"{vs} {op} {factor} = {rs}"
    question = rng.choice(facts.share(_CONVERSION_QUESTIONS[lang], split)).format(v=vs, src=src, dst=dst)
    work = f"{step}, so {vs} {src} is {rs} {dst}." if en else f"{step}，所以{vs}{src}等于{rs}{dst}。"
    unit_rule = f"one {sg} is {factor} {small}" if en else f"1{zh_big}等于{factor}{zh_small}"
    if draft_ok:
        draft_value = result
        draft_step = step
        critique = rng.choice(_CONFIRM[lang]).format(work=f"{unit_rule}, and {step}" if en else f"{unit_rule}，{step}")
        wrong_value = result * 10
    else:
        error = rng.choice(("factor", "inverted", "slip"))
        if error == "inverted" and not decimals:
            error = "factor"
        if error == "factor":
            g = Decimal(bad_factor)
            draft_value = v * g if op == "×" else v / g
            draft_step = f"{vs} {op} {bad_factor} = {_fmt(draft_value)}"
            critique = (f"The factor is wrong: {unit_rule}, not {bad_factor}. So {step}." if en
                        else f"换算系数错了：{unit_rule}，不是{bad_factor}。所以{step}。")
        elif error == "inverted":
            draft_value = v / f if op == "×" else v * f
            draft_step = f"{vs} {inverse} {factor} = {_fmt(draft_value)}"
            verb, other = ("multiply", "divide") if op == "×" else ("divide", "multiply")
            zh_verb = "乘以" if op == "×" else "除以"
            critique = (f"Going from {src} to {dst} you must {verb} by {factor}, not {other}. So {step}." if en
                        else f"从{src}换算到{dst}应该{zh_verb}{factor}，方向弄反了。所以{step}。")
        else:
            draft_value = result * 10 if rng.random() < 0.5 else result / 10
            ds = _fmt(draft_value)
            draft_step = f"{vs} {op} {factor} = {_fmt(draft_value)}"
            critique = (f"The result is off by a factor of ten: {vs} {op} {factor} is {rs}, not {ds}." if en
                        else f"结果差了十倍：{vs} {op} {factor} 等于{rs}，而不是{ds}。")
        wrong_value = draft_value
    ds = _fmt(draft_value)
    draft = f"{draft_step}, so the answer is {ds}." if en else f"{draft_step}，所以答案是{ds}。"
    return Problem(question, "conversion", rs, work, draft, ds, critique, _fmt(wrong_value))


# ---------------------------------------------------------------- a fact from a passage


def _passage(rng: random.Random, split: str, lang: str, draft_ok: bool) -> Problem:
    kind, attr = rng.choice(facts.askable(split, lang))
    target, other = facts.make_entities(rng, kind, split, lang, 2)
    while other.values[attr] == target.values[attr]:
        other.values[attr] = facts.random_value(rng, kind, attr, split, lang)
    extra = [a for a in facts.ATTRIBUTES[kind] if a != attr]
    parts = [facts.passage(rng, e, [attr, *rng.sample(extra, rng.randint(0, 1))], lang, intro=False)
             for e in (target, other)]
    rng.shuffle(parts)
    text = (" " if lang == "en" else "").join(parts)
    q = facts.question(rng, kind, attr, target.name, split, lang)
    question = f"Passage: {text}\nQuestion: {q}" if lang == "en" else f"短文：{text}\n问题：{q}"
    answer, wrong = target.values[attr], other.values[attr]
    kw = facts.KEYWORDS[attr][lang]
    en = lang == "en"
    if draft_ok:
        draft_answer = answer
        critique = (f"The passage gives {answer} as the {kw} of {target.name}. The draft is correct." if en
                    else f"短文中{target.name}的{kw}正是{answer}。初稿正确。")
    else:
        draft_answer = wrong
        critique = (f"{wrong} is the {kw} of {other.name}, not of {target.name}. For {target.name} the passage "
                    f"gives {answer}." if en
                    else f"{wrong}是{other.name}的{kw}，不是{target.name}的。短文中{target.name}的{kw}是{answer}。")
    draft = f"The answer is {draft_answer}." if en else f"答案是{draft_answer}。"
    return Problem(question, "passage", answer, answer, draft, draft_answer, critique, wrong)


# ---------------------------------------------------------------- framing

_SELF_CHECK = {
    "en": ("{question} Please check your work before giving the final answer.",
           "{question}\nWrite a draft, critique it, then give your final answer.",
           "Solve this and double-check it: {question}",
           "{question} Show a draft, check it for mistakes, and then answer.",
           "Answer carefully and verify your answer: {question}",
           "{question}\nBefore you answer for good, review your first attempt.",
           "Please work this out, check it, and correct it if needed.\n{question}",
           "{question} I want a draft, a critique, and a final answer.",
           "Take a first pass, then check it: {question}",
           "{question}\nDouble-check before you commit to an answer.",
           "Here's a question; make sure your answer is right. {question}",
           "{question} Review your reasoning once before the final answer.",
           "Try this, then critique your own attempt: {question}",
           "{question}\nPlease self-check your answer.",
           "Quick check exercise: {question}",
           "{question} Be careful, and fix any mistake you find.",
           "Draft, critique, final. {question}",
           "I need a verified answer. {question}",
           "{question}\nCheck each step of your work.",
           "Work it out and then look for errors: {question}",
           "{question} Verify the result before finalising.",
           "Please answer, then proofread your answer: {question}"),
    "zh": ("{question}请先检查再给出最终答案。", "{question}\n先写初稿，检查一遍，再给出定稿。",
           "请解答并复核：{question}",
           "{question}先给出初稿，检查有没有错误，然后作答。", "请仔细作答并验证：{question}",
           "{question}\n定稿之前请再检查一次。", "请算一算、查一查，有错就改。\n{question}",
           "{question}我要初稿、检查和定稿三部分。", "先做一遍，再自查：{question}", "{question}\n请自我检查答案。",
           "{question}每一步都核对一下。", "做完后请找找错误：{question}"),
}

_CRITIQUE = {
    "en": ("Question: {question}\nDraft answer: {draft}\nPlease critique this draft and fix it if needed.",
           "My friend solved this: {question}\nTheir answer: {draft}\nIs it right? Critique and correct it.",
           "{question}\nHere is my attempt: {draft}\nCan you check it?",
           "Check this solution.\nProblem: {question}\nSolution: {draft}",
           "A student wrote: \"{draft}\" for this question: {question}\nReview it and give the correct answer.",
           "{question}\nProposed answer: {draft}\nFind any mistake and fix it.",
           "Grade this draft. Question: {question}\nDraft: {draft}",
           "Is this correct?\n{question}\n{draft}",
           "Please review the draft below and correct it if necessary.\nQ: {question}\nA: {draft}",
           "I got this answer: {draft}\nThe question was: {question}\nDid I make a mistake?",
           "Critique and fix: {question}\nAttempt: {draft}",
           "Here's a draft response to check.\n{question}\nResponse: {draft}"),
    "zh": ("题目：{question}\n初稿答案：{draft}\n请点评这份初稿，如有错误请改正。",
           "我朋友做了这道题：{question}\n他的答案：{draft}\n对吗？请检查并改正。",
           "{question}\n这是我的解答：{draft}\n能帮我检查一下吗？",
           "请检查这个解答。\n题目：{question}\n解答：{draft}",
           "{question}\n给出的答案：{draft}\n找出错误并改正。",
           "这样做对吗？\n{question}\n{draft}",
           "我算出来是：{draft}\n题目是：{question}\n我哪里错了吗？",
           "请复核下面的初稿，必要时改正。\n问：{question}\n答：{draft}"),
}


def template_counts() -> dict[str, dict[str, int]]:
    """Question and framing templates per language."""
    return {"reflection": {lang: len(_SELF_CHECK[lang]) + len(_CRITIQUE[lang])
                           + sum(len(t[lang]) for t in _WORD_PROBLEMS.values()) + len(_CONVERSION_QUESTIONS[lang])
                           for lang in ("en", "zh")}}


def _reply(p: Problem, lang: str) -> str:
    draft, critique, final = LABELS[lang]
    tail = f"\n{ANSWER_PREFIX[lang]}{p.answer}" if p.kind != "passage" else ""
    return f"{draft}{p.draft}\n{critique}{p.critique}\n{final}{p.work}{tail}"


def make_reflection(rng: random.Random, split: str, lang: str) -> Example:
    """A draft, a critique that catches the error (or confirms the draft), and the final answer."""
    kind = rng.choice(("arithmetic", "arithmetic", "conversion", "passage"))
    draft_ok = rng.random() < 0.5
    problem = {"arithmetic": _arithmetic, "conversion": _conversion, "passage": _passage}[kind](
        rng, split, lang, draft_ok)
    mode = rng.choice(("self_check", "critique"))
    if mode == "self_check":
        user = rng.choice(facts.share(_SELF_CHECK[lang], split)).format(question=problem.question)
    else:
        user = rng.choice(facts.share(_CRITIQUE[lang], split)).format(question=problem.question, draft=problem.draft)
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": _reply(problem, lang)}]
    meta: dict[str, Any] = {"answer": problem.answer, "draft_correct": draft_ok, "draft_answer": problem.draft_answer,
                            "wrong_answer": problem.wrong, "kind": kind, "mode": mode}
    return Example(messages, "reflection", lang, split, meta=meta)


GENERATORS = {"reflection": make_reflection}

_MISSED = {"en": ("Checking the draft: it looks right.", "The steps seem fine. The draft is correct.",
                  "I don't see any mistake in the draft."),
           "zh": ("检查了一遍，看起来没问题。", "步骤似乎都对，初稿正确。", "没发现初稿有错误。")}
_FALSE_ALARM = {"en": "The draft has a mistake; the correct result is {wrong}.",
                "zh": "初稿有错误，正确结果应该是{wrong}。"}


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """A critique that misses the error and keeps the wrong answer (or, for a correct draft, breaks it)."""
    lang, meta = example.lang, example.meta
    draft_label, critique_label, final_label = LABELS[lang]
    first_line = example.messages[1]["content"].split("\n")[0]
    wrong = meta["wrong_answer"]
    if meta["draft_correct"]:
        critique = _FALSE_ALARM[lang].format(wrong=wrong)
        body = wrong
    else:
        critique = rng.choice(_MISSED[lang])
        body = wrong if meta["kind"] == "passage" else first_line[len(draft_label):]
    final = body if meta["kind"] == "passage" else f"{body}\n{ANSWER_PREFIX[lang]}{wrong}"
    return 1, {"role": "assistant", "content": f"{first_line}\n{critique_label}{critique}\n{final_label}{final}"}
