"""Tool selection by the retrieval embedder (real all-MiniLM-L6-v2), in the chat model and the skill eval."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from langchain_core.messages import HumanMessage, ToolMessage

from agentlm.data.synth.tool_specs import BUILTIN_TOOLS
from agentlm.eval.skills import constraint_for, evaluate_skills
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.models import DEFAULT_MODEL_DIR
from agentlm.runtime.tool_selection import pending_request, rank_tools, select_tools

TOOLS = [BUILTIN_TOOLS[name] for name in ("calculator", "get_weather", "current_datetime", "convert_units")]
QUESTIONS = {"Will it rain in Oslo tomorrow?": "get_weather", "What is 17 * 23 + 4?": "calculator",
             "What time is it in Tokyo right now?": "current_datetime", "How many miles is 42 km?": "convert_units"}


def names(tools: list[dict]) -> list[str]:
    return [t["function"]["name"] for t in tools]


@pytest.mark.parametrize(("question", "tool"), QUESTIONS.items())
def test_the_tool_that_matches_the_request_ranks_first(question: str, tool: str) -> None:
    ranked = rank_tools(question, TOOLS)
    assert [t["function"]["name"] for _, t in ranked][0] == tool
    assert [s for s, _ in ranked] == sorted((s for s, _ in ranked), reverse=True)
    assert names(select_tools(question, TOOLS, 1)) == [tool]


def test_selection_keeps_the_listing_order_and_knows_when_not_to_narrow() -> None:
    two = select_tools("Convert 3 miles to km, then multiply by 2", TOOLS, 2)
    assert len(two) == 2 and names(two) == [n for n in names(TOOLS) if n in names(two)]
    assert select_tools("Will it rain?", TOOLS, 0) is TOOLS  # off
    assert select_tools(None, TOOLS, 1) is TOOLS  # the reply follows a tool result: every tool again
    one = TOOLS[:1]
    assert select_tools("Will it rain?", one, 1) is one
    with pytest.raises(ValueError, match="select_tools must be 0"):
        select_tools("Will it rain?", TOOLS, -1)


def test_pending_request_is_the_users_last_message_only() -> None:
    assert pending_request([{"role": "system", "content": "x"}, {"role": "user", "content": "Hi"}]) == "Hi"
    assert pending_request([{"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image"}]}]) == "Hi"
    assert pending_request([{"role": "user", "content": "Hi"}, {"role": "tool", "content": "{}"}]) is None
    assert pending_request([]) is None


@pytest.fixture(scope="module")
def chat() -> LocalChatModel:
    return LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), max_tokens=48, select_tools=1)


@pytest.mark.usefixtures("one_torch_thread")
def test_chat_model_calls_only_the_selected_tool_and_all_tools_after_a_result(chat: LocalChatModel) -> None:
    tools = TOOLS[:3]  # four schemas fill the model's 512-token context
    bound = chat.bind_tools(tools, tool_choice="required")
    for question, tool in list(QUESTIONS.items())[:3]:
        request = chat._request([HumanMessage(question)], None, {"tools": tools, "tool_choice": "required"})
        assert [json.loads(t)["function"]["name"] for t in request.constraint.tools] == [tool]
        reply = bound.invoke(question)
        assert [c["name"] for c in reply.tool_calls] == [tool], (question, reply)
    call = reply.tool_calls[0]
    after = [HumanMessage("What time is it in Tokyo?"), reply, ToolMessage('{"t": 9}', tool_call_id=call["id"])]
    request = chat._request(after, None, {"tools": tools})
    assert len(request.constraint.tools) == len(tools)
    named = chat._request([HumanMessage("Will it rain?")], None, {"tools": tools, "tool_choice": "calculator"})
    assert len(named.constraint.tools) == len(tools)  # a tool the caller names is never narrowed away


def test_skill_eval_narrows_the_grammar_of_the_first_reply_only(tmp_path) -> None:
    row = {"metadata": {"family": "tool_choice"}, "tools": TOOLS}
    first = [{"role": "user", "content": "Will it rain in Oslo tomorrow?"}]
    assert len(constraint_for(row, True, first, 1).tools) == 1
    assert len(constraint_for(row, True, first, 0).tools) == len(TOOLS)
    assert len(constraint_for(row, True, [*first, {"role": "tool", "content": "{}"}], 1).tools) == len(TOOLS)
    assert constraint_for(row, False, first, 1) is None
    with pytest.raises(ValueError, match="needs constrained=True"):
        evaluate_skills(None, None, tmp_path / "test.jsonl", select_tools=1)
    cli = subprocess.run([sys.executable, "-m", "agentlm", "eval", "skills", "--model", str(DEFAULT_MODEL_DIR),
                          "--select-tools", "1"], capture_output=True, text=True)
    assert cli.returncode != 0 and "add --constrained" in cli.stderr
