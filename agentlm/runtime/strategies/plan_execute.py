"""Plan-and-execute: a numbered plan, each step carried out with tools, a replan check, a synthesis.

The model writes `Plan:` with numbered steps (and usually the first step's tool call, as the shipped
model was trained to) — when it writes none, the request's own parts ("…, then …") are the plan; the
ReAct loop executes; whenever the model stops calling tools while plan steps
remain, `replan` asks it to continue with the next step (at most `max_replans` times). The model's last
reply is the synthesis.
"""

from __future__ import annotations

import re

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agentlm.runtime.prompts import CONTINUE_PLAN, PLAN_SYSTEM, TOOLS_SYSTEM
from agentlm.runtime.state import AgentState, RunContext, add_step
from agentlm.runtime.strategies.common import call_model, prompt, text_of
from agentlm.runtime.strategies.react import after_model, tool_schemas

_STEP_RE = re.compile(r"^\s*(\d+)[.)、]\s*(.+?)\s*$", re.MULTILINE)


def parse_plan(text: str) -> list[str]:
    """The numbered lines after `Plan:` / `计划：` (or anywhere, when there is no header)."""
    header = re.search(r"(?:Plan|计划)\s*[:：]", text)
    body = text[header.end():] if header else text
    return [m.group(2) for m in _STEP_RE.finditer(body)]


_PARTS_RE = re.compile(r"\s*(?:,?\s*\b(?:and then|then|after that|afterwards|and also|also|finally)\b|"
                       r";|；|然后|接着|之后|再)\s*", re.IGNORECASE)
_LEAD_RE = re.compile(r"^(?:can you (?:please )?|could you (?:please )?|please |first,? |先|请)+", re.IGNORECASE)


def split_request(question: str) -> list[str]:
    """A multi-part request split at its connectives: the plan when the model wrote none."""
    parts = [_LEAD_RE.sub("", p).strip(" ,.?!，。？") for p in _PARTS_RE.split(question)]
    return [p for p in parts if len(p) > 2]


def plan(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    lang = state["lang"]
    work = prompt(state, ctx, f"{PLAN_SYSTEM[lang]}\n{TOOLS_SYSTEM[lang]}")
    reply, update = call_model(ctx, state, work, "plan", tools=tool_schemas(ctx, state["question"]))
    steps = parse_plan(text_of(reply))
    source = "model"
    if not steps:  # the model went straight to work: take the parts of the request as the plan
        steps, source = split_request(state["question"]), "request"
    update["steps"] = add_step(update, "plan", items=steps, source=source)
    return {**update, "work": [*work, reply], "plan": steps, "plan_step": 0, "replans": 0,
            "answer": text_of(reply).strip(), "next": after_model(ctx, state, reply)}


def replan(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    """Continue with the next unfinished plan step, or finish with the model's synthesis."""
    ctx = runtime.context
    items, done, replans = state.get("plan", []), state.get("plan_step", 0), state.get("replans", 0)
    if done < len(items) and replans < ctx.max_replans:
        note = CONTINUE_PLAN[state["lang"]].format(n=done + 1, step=items[done])
        return {"work": [*state["work"], HumanMessage(note)], "replans": replans + 1, "next": "agent",
                "steps": add_step(state, "replan", remaining=items[done:], instruction=note)}
    return {"next": "finish", "steps": add_step(state, "synthesis", content=state.get("answer", ""))}
