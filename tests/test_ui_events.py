"""Agent stream events -> Gradio chat messages (fast: event sequences shaped as `Agent.stream` yields them)."""

from __future__ import annotations

import re

import gradio as gr
from agentlm_ui.events import TurnView, render_answer, sources_block

from agentlm.agent import AgentResult

ROUTE = {"type": "route", "requested": "auto", "strategy": "react",
         "reason": "arithmetic, and the calculator tool is available", "seconds": 0.0001}
CALL = {"type": "tool_call", "name": "calculator", "arguments": {"expression": "(82 + 30) * 25"}, "ok": True,
        "result": "2800", "seconds": 0.0004}
SOURCES = [
    {"id": 1, "doc": "/tmp/docs/zorblax.md", "chunk": 1, "score": 0.033, "title": "The Zorblax 9000",
     "text": "# The Zorblax 9000\n\nInvented by Mira Okafor in 1987.\n\nIt sings <loudly>."},
    {"id": 2, "doc": "/tmp/docs/zorblax.md", "chunk": 2, "score": 0.031, "title": "Maintenance",
     "text": "Descale it every three months."},
]


def feed(events: list[dict]) -> list[gr.ChatMessage]:
    view = TurnView(turn_id="t1")
    for event in events:
        view.feed(event)
    return view.messages()


def titles(messages: list[gr.ChatMessage]) -> list[str | None]:
    return [(m.metadata or {}).get("title") for m in messages]


def result(**fields) -> dict:
    return {"type": "result", "result": AgentResult(**{"answer": "", "strategy": "react", **fields})}


def test_react_turn_shows_the_tool_call_with_arguments_and_result_then_the_answer() -> None:
    answer = "(82 + 30) * 25 = 2800.\nAnswer: 2800"
    messages = feed([
        ROUTE, {"type": "step", "node": "route", "update": {"strategy": "react"}},
        {"type": "step", "node": "agent", "update": {"model_calls": 1, "answer": "", "next": "tools"}},
        CALL, {"type": "step", "node": "tools", "update": {"next": "agent"}},
        *({"type": "token", "text": t, "node": "agent"} for t in ("(82 + 30) * 25 = 2800.", "\nAnswer:", " 2800")),
        {"type": "step", "node": "agent", "update": {"answer": answer, "next": "finish"}},
        {"type": "answer", "answer": answer}, {"type": "step", "node": "finish", "update": {"answer": answer}},
        result(answer=answer, tool_calls=[CALL], seconds=1.5),
    ])
    assert titles(messages) == ["Strategy: react", "Tool call: calculator", None]
    route, call, final = messages
    assert "arithmetic" in route.metadata["log"] and route.metadata["status"] == "done"
    assert call.metadata["status"] == "done" and call.metadata["log"] == "ok"
    assert '"expression": "(82 + 30) * 25"' in call.content and "2800" in call.content.split("**Result**")[1]
    assert final.content == answer and final.role == "assistant" and not final.metadata


def test_text_before_a_tool_call_becomes_a_model_turn_thought_and_a_failed_call_says_so() -> None:
    messages = feed([
        ROUTE, {"type": "token", "text": "Let me compute it.", "node": "agent"},
        {"type": "step", "node": "agent", "update": {"answer": "Let me compute it.", "next": "tools"}},
        {**CALL, "ok": False, "result": '{"error": "bad expression"}'},
        {"type": "tool_error", "raw": "calculator(((", "error": "unbalanced parentheses"},
        {"type": "answer", "answer": "I could not compute it."}, result(answer="I could not compute it."),
    ])
    assert titles(messages) == ["Strategy: react", "Model turn", "Tool call: calculator", "Unreadable tool call", None]
    assert messages[1].content == "Let me compute it."
    assert messages[2].metadata["log"] == "failed" and '"error": "bad expression"' in messages[2].content
    assert "unbalanced parentheses" in messages[3].content and "calculator(((" in messages[3].content


def test_streamed_tokens_stay_one_plain_message_while_the_answer_is_written() -> None:
    view = TurnView(turn_id="t1")
    view.feed(ROUTE)
    for piece in ("I am ", "AgentLM."):
        view.feed({"type": "token", "text": piece, "node": "direct"})
    assert [m.content for m in view.messages()][-1] == "I am AgentLM." and not view.messages()[-1].metadata
    view.feed({"type": "step", "node": "direct", "update": {"answer": "I am AgentLM."}})
    view.feed({"type": "answer", "answer": "I am AgentLM."})
    view.feed(result(answer="I am AgentLM.", strategy="direct"))
    assert titles(view.messages()) == ["Strategy: react", None] and view.messages()[-1].content == "I am AgentLM."


def test_retrieval_nests_passages_and_the_answer_links_each_citation_to_its_source() -> None:
    answer = "Mira Okafor [1]."
    messages = feed([
        {**ROUTE, "requested": "rag", "strategy": "rag", "reason": "requested"},
        {"type": "sources", "sources": SOURCES},
        {"type": "step", "node": "retrieve", "update": {"sources": SOURCES}},
        {"type": "token", "text": "Mira Okafor.", "node": "grounded_answer"},
        {"type": "step", "node": "grounded_answer", "update": {"answer": answer}},
        {"type": "answer", "answer": answer}, result(answer=answer, strategy="rag", sources=SOURCES),
    ])
    assert titles(messages) == ["Strategy: rag", "Retrieval: 2 passages", "[1] zorblax.md — The Zorblax 9000",
                                "[2] zorblax.md — Maintenance", None]
    parent = messages[1].metadata["id"]
    assert [m.metadata.get("parent_id") for m in messages[2:4]] == [parent, parent]
    assert "Mira Okafor" in messages[2].content and messages[2].metadata["log"] == "chunk 1 · score 0.033"
    final = messages[-1].content
    assert final.startswith('Mira Okafor <a class="agentlm-cite" href="#src-t1-1">[1]</a>.')
    assert '<details class="agentlm-source" id="src-t1-1">' in final and "zorblax.md" in final
    assert "<b>[1]</b> zorblax.md — The Zorblax 9000 · chunk 1 · score 0.033 · cited" in final
    assert "· cited" not in final.split('id="src-t1-2"')[1]  # [2] was retrieved, not cited


def test_sources_block_escapes_text_and_keeps_each_source_one_html_block() -> None:
    block = sources_block(SOURCES, "t9", cited={"1"})
    assert "&lt;loudly&gt;" in block and "<loudly>" not in block
    for part in block.split("\n\n")[1:]:  # a blank line inside would end the HTML block mid-source
        assert part.startswith("<details") and part.endswith("</details>")
    assert render_answer("No sources here [3].", [], "t9") == "No sources here [3]."
    unknown = render_answer("See [3] and [1].", SOURCES, "t9")
    assert "See [3] and" in unknown and 'href="#src-t9-1"' in unknown  # only known sources are linked


def test_self_consistency_paths_nest_under_the_vote_tally() -> None:
    votes = {"winner": "12", "counts": {"12": 2, "7": 1}, "shares": {"12": 0.667, "7": 0.333}, "paths": 3,
             "samples": 5, "rounds": 1, "stopped_early": True}
    paths = [{"type": "path", "index": i, "round": 1, "content": f"Step 1: …\nAnswer: {a}", "answer": a,
              "seconds": 2.5} for i, a in enumerate(["12", "7", "12"], 1)]
    messages = feed([
        {**ROUTE, "strategy": "self_consistency"},
        {"type": "step", "node": "self_consistency", "update": {"votes": votes, "answer": "12"}},
        {"type": "answer", "answer": "12"},
        result(answer="12", strategy="self_consistency", votes=votes,
               steps=[{"type": "route"}, *paths, {"type": "vote", **votes}]),
    ])
    assert titles(messages) == ["Strategy: self_consistency", "Vote: 12 (2/3)", "Path 1: 12", "Path 2: 7",
                                "Path 3: 12", None]
    vote = messages[1]
    assert "3 of 5 paths" in vote.metadata["log"] and "stopped early" in vote.metadata["log"]
    assert re.search(r"\| \*\*12\*\* ✓ \| 2 \| 67% \|", vote.content) and "| 7 | 1 | 33% |" in vote.content
    assert {m.metadata["parent_id"] for m in messages[2:5]} == {vote.metadata["id"]}
    assert messages[2].metadata["duration"] == 2.5 and messages[-1].content == "12"


def test_plan_is_pending_while_its_steps_run_nested_under_it_then_done() -> None:
    view = TurnView(turn_id="t1")
    for event in [
        {**ROUTE, "strategy": "plan_execute"},
        {"type": "token", "text": "Plan:\n1. Compute the total\n2. Answer", "node": "plan"},
        {"type": "step", "node": "plan", "update": {"plan": ["Compute the total", "Answer"], "next": "tools"}},
        CALL,
        {"type": "step", "node": "replan", "update": {"replans": 1, "next": "agent"}},
    ]:
        view.feed(event)
    plan = view.messages()[1]
    assert plan.metadata["title"] == "Plan (2 steps)" and plan.metadata["status"] == "pending"
    assert plan.content == "1. Compute the total\n2. Answer"
    assert [m.metadata.get("parent_id") for m in view.messages()[2:]] == [plan.metadata["id"]] * 2
    view.feed({"type": "answer", "answer": "2800"})
    view.feed(result(answer="2800", strategy="plan_execute", seconds=4.0))
    assert plan.metadata["status"] == "done" and plan.metadata["duration"] == 4.0
    assert titles(view.messages())[-1] is None and view.messages()[-1].content == "2800"


def test_reasoning_that_differs_from_the_answer_becomes_a_thought() -> None:
    chain = "Step 1: 4 * 3 = 12\nAnswer: 12"
    messages = feed([
        {**ROUTE, "strategy": "cot"}, {"type": "token", "text": chain, "node": "cot"},
        {"type": "step", "node": "cot", "update": {"answer": "12"}},
        {"type": "answer", "answer": "12"}, result(answer="12", strategy="cot"),
    ])
    assert titles(messages) == ["Strategy: cot", "Chain of thought", None]
    assert messages[1].content == chain and messages[2].content == "12"


def test_a_step_limit_is_shown_and_nothing_stays_pending() -> None:
    messages = feed([ROUTE, CALL, {"type": "answer", "answer": "I stopped after 2 model turns."},
                     result(answer="I stopped after 2 model turns.", stopped="step_limit")])
    assert titles(messages) == ["Strategy: react", "Tool call: calculator", "Stopped", None]
    assert all((m.metadata or {}).get("status") != "pending" for m in messages)
