"""Reflection: a chain-of-thought draft, then the model critiques it and writes a corrected answer.

The critique turn uses the shape the shipped model was trained on: the question, "Here is my attempt:
…", and a reply of `Draft: … Critique: … Final: … Answer: …`.
"""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agentlm.model.protocol import final_answer
from agentlm.runtime.prompts import COT_SYSTEM, CRITIQUE_USER
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import call_model, prompt, text_of

_SECTION_RE = re.compile(r"^(Draft|Critique|Final|初稿|点评|检查|定稿)\s*[:：]\s*", re.MULTILINE)


def sections(text: str) -> dict[str, str]:
    """`Draft:` / `Critique:` / `Final:` sections of a reflection reply (Chinese headers too)."""
    names = {"初稿": "Draft", "点评": "Critique", "检查": "Critique", "定稿": "Final"}
    found = list(_SECTION_RE.finditer(text))
    out = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        out[names.get(m.group(1), m.group(1)).lower()] = text[m.end():end].strip()
    return out


def draft(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    reply, update = call_model(ctx, state, prompt(state, ctx, COT_SYSTEM[state["lang"]]), "draft")
    return {**update, "answer": text_of(reply).strip()}


def critique(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    attempt = " ".join(state.get("answer", "").split())
    question = CRITIQUE_USER[state["lang"]].format(question=state["question"], draft=attempt)
    reply, update = call_model(ctx, state, prompt(state, ctx, question=question), "critique")
    text = text_of(reply).strip()
    parts = sections(text)
    update["steps"] = add_step(update, "revision", draft=attempt, critique=parts.get("critique", ""),
                               final=parts.get("final", text))
    answer = final_answer(text) or parts.get("final") or text
    return {**update, "answer": answer}
