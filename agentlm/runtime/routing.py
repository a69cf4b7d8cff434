"""`auto` routing: pick a strategy from the question and the tools and indexes at hand, and say why.

The rules, first match wins:
1. the user asks to check an attempt             -> reflection
2. a request in several parts, tools available   -> plan_execute
3. arithmetic: calculator available              -> react (chain-of-thought with the calculator)
               several samples allowed           -> self_consistency, else cot
4. a tool fits the question (its name or keywords) -> react
5. an index holds a passage close to the question  -> rag
6. otherwise                                      -> direct
"""

from __future__ import annotations

import re
from typing import Any

from agentlm.runtime.state import RunContext

RAG_MIN_SIMILARITY = 0.3

_CHECK_RE = re.compile(r"here is my (attempt|answer|solution)|check (it|this|my)|is (this|it|that) (right|correct)|"
                       r"verify|proofread|critique|检查|对吗|核对|批改", re.IGNORECASE)
_MULTI_RE = re.compile(r"\b(first|then|after that|and also|afterwards|finally|as well as)\b|"
                       r"先|然后|接着|之后|再帮|并且|另外|；", re.IGNORECASE)
_OPERATOR_RE = re.compile(r"\d\s*[-+*/×÷^%]\s*\d|\d\s*%")
_MATH_WORDS_RE = re.compile(r"\b(how (many|much)|total|sum|product|difference|cost|costs|percent|average|"
                            r"calculate|compute|value of|times|divided|plus|minus|left|remain)\b|"
                            r"多少|一共|总共|计算|平均|剩下|几个|百分之", re.IGNORECASE)
_KEYWORDS = {  # words that point at a built-in tool, in both languages
    "get_weather": ("weather", "temperature", "forecast", "rain", "天气", "气温", "下雨"),
    "current_datetime": ("time is it", "what time", "date today", "today's date", "几点", "日期", "时间"),
    "convert_units": ("convert", " in miles", " in km", "how many kilometres", "换算", "转换"),
    "search_knowledge_base": ("my documents", "the docs", "knowledge base", "search", "文档", "资料"),
}
_STOP = {"the", "get", "for", "and", "with", "from", "that", "this", "what", "your"}


def is_arithmetic(question: str) -> bool:
    digits = len(re.findall(r"\d+(?:\.\d+)?", question))
    return bool(_OPERATOR_RE.search(question)) or (digits >= 1 and bool(_MATH_WORDS_RE.search(question)))


def _has(text: str, keyword: str) -> bool:
    """Whole-word match for English keywords ("rain" not in "pretraining"), substring for Chinese."""
    if keyword.isascii():
        return re.search(rf"(?<!\w){re.escape(keyword.strip())}(?!\w)", text) is not None
    return keyword in text


def matching_tool(question: str, tool_names: list[str]) -> str | None:
    """A tool whose keywords or name words appear in the question."""
    q = question.casefold()
    for name in tool_names:
        words = [w for w in re.split(r"[_\W]+", name.casefold()) if len(w) > 3 and w not in _STOP]
        if any(_has(q, k) for k in _KEYWORDS.get(name, ())) or any(re.search(rf"\b{re.escape(w)}", q) for w in words):
            return name
    return None


def rank_tools(question: str, tools: Any) -> list[str]:
    """Tool names, the most relevant to the question first (keywords, then shared words with name and description).

    Small models read a short context, so the agent shows only the best few tools (`RunContext.max_tools`).
    """
    q_words = {w for w in re.split(r"\W+", question.casefold()) if len(w) > 2 and w not in _STOP}

    def score(name: str) -> tuple[int, int]:
        keyword = int(matching_tool(question, [name]) is not None)
        fn = tools[name].schema()["function"]
        words = set(re.split(r"[_\W]+", f"{name} {fn.get('description', '')}".casefold()))
        return keyword, len(q_words & words)

    names = tools.names()
    return sorted(names, key=lambda n: score(n), reverse=True)


def best_similarity(indexes: list[Any], question: str) -> float:
    """The highest dense similarity of the question to any chunk of the open indexes."""
    scores = [h.score for index in indexes for h in index.search(question, k=1, mode="dense")]
    return max(scores, default=0.0)


def choose_strategy(question: str, ctx: RunContext) -> tuple[str, str]:
    """(strategy, reason) for `auto`."""
    tool_names = ctx.tools.names() if ctx.tools is not None else []
    if _CHECK_RE.search(question):
        return "reflection", "the question asks to check an attempt"
    if tool_names and len(_MULTI_RE.findall(question)) + question.count("?") + question.count("？") >= 2:
        return "plan_execute", "a request in several parts, with tools to carry them out"
    if is_arithmetic(question):
        if "calculator" in tool_names:
            return "react", "arithmetic, and the calculator tool is available"
        if ctx.samples > 1:
            return "self_consistency", f"arithmetic without a calculator: vote over {ctx.samples} reasoning paths"
        return "cot", "arithmetic without a calculator: reason step by step"
    if tool := matching_tool(question, tool_names):
        return "react", f"the question fits the {tool} tool"
    if ctx.indexes:
        score = best_similarity(ctx.indexes, question)
        if score >= RAG_MIN_SIMILARITY:
            return "rag", f"an open index has a passage close to the question (similarity {score:.2f})"
        return "direct", f"no passage is close enough (best similarity {score:.2f} < {RAG_MIN_SIMILARITY})"
    return "direct", "no tool or index fits the question"
