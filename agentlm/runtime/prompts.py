"""The runtime's prompts, in English and Chinese.

They are the phrasings the shipped model saw in training (`agentlm/data/synth/`), so the small model
stays in distribution; larger models read them as plain instructions.
"""

from __future__ import annotations

import re

_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def language(text: str) -> str:
    """'zh' when the text holds Chinese characters, else 'en'."""
    return "zh" if _CJK_RE.search(text) else "en"


COT_SYSTEM = {
    "en": "Think step by step and show each calculation, then give the final answer as 'Answer: N'.",
    "zh": "请一步一步思考，写出每一步的计算，最后给出“答案：N”。",
}
TOOLS_SYSTEM = {
    "en": "Use tools when needed and give the final answer on its own line.",
    "zh": "你可以调用工具。算术请使用计算器。",
}
PLAN_SYSTEM = {
    "en": "Make a numbered plan that starts with 'Plan:', then carry out each step with the tools.",
    "zh": "先写出以“计划：”开头的编号计划，再用工具逐步执行。",
}
CONTINUE_PLAN = {
    "en": "Continue with step {n} of the plan: {step}",
    "zh": "继续执行计划的第{n}步：{step}",
}
GROUNDED_SYSTEM = {
    "en": "Answer questions using only these sources and cite them as [n].\n{sources}",
    "zh": "只能根据以下资料回答问题，并注明出处。\n{sources}",
}
CRITIQUE_USER = {
    "en": "{question}\nHere is my attempt: {draft}\nCan you check it?",
    "zh": "{question}\n这是我的解答：{draft}\n能帮我检查一下吗？",
}
BAD_TOOL_CALL = {
    "en": "Your tool call could not be used: {error}. Write it again as a valid call or answer without it.",
    "zh": "工具调用无法执行：{error}。请重新写出正确的调用，或者不用工具直接回答。",
}
DECLINED = {"en": "The user declined this tool call.", "zh": "用户拒绝了这次工具调用。"}
STEP_LIMIT = {
    "en": "I stopped after {steps} steps without reaching a final answer.",
    "zh": "我在 {steps} 步之后停了下来，没有得到最终答案。",
}
CONTEXT_LIMIT = {
    "en": "I stopped because the conversation no longer fits the model's context.",
    "zh": "对话已超出模型的上下文长度，我停了下来。",
}
NO_ANSWER = {
    "en": "The model gave no answer in text.",
    "zh": "模型没有给出文字回答。",
}
FOUND_SO_FAR = {"en": " What I found so far: {found}", "zh": " 目前得到的信息：{found}"}


def numbered_sources(texts: list[str]) -> str:
    """Passages as the model saw them in training: `[1] text` one per line."""
    return "\n".join(f"[{i}] {' '.join(t.split())}" for i, t in enumerate(texts, 1))
