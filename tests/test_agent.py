"""The agent graph with the real shipped model: every strategy, tools, step limits, approvals, threads, streaming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlm.agent import Agent
from agentlm.data.synth.safe_arith import evaluate, format_number
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.models import DEFAULT_MODEL_DIR

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MATH = "Julia saves $74 every week for 25 weeks, then spends $164 on a gift. How much money is left?"


@pytest.fixture(scope="module")
def model() -> LocalChatModel:
    return LocalChatModel(model_path=str(DEFAULT_MODEL_DIR), max_tokens=64)


@pytest.fixture(scope="module")
def agent(model: LocalChatModel) -> Agent:
    return Agent(model)


def test_direct_few_steps_and_json_shape(agent: Agent) -> None:
    result = agent.run("Who are you?", strategy="direct")
    assert result.strategy == "direct" and result.answer
    assert [s["type"] for s in result.steps] == ["route", "model"]
    data = json.loads(json.dumps(result.to_dict()))  # plain JSON all the way down
    assert {"answer", "strategy", "steps", "tool_calls", "sources", "votes"} <= set(data)


def test_cot_and_self_consistency_vote(agent: Agent) -> None:
    cot = agent.run(MATH, strategy="cot")
    assert cot.strategy == "cot" and cot.steps[-1]["node"] == "cot"
    sc = agent.run(MATH, strategy="self_consistency", samples=5, temperature=0.9)
    votes = sc.votes
    assert votes is not None and votes["samples"] == 5
    paths = [s for s in sc.steps if s["type"] == "path"]
    assert votes["rounds"] == 1 and {p["round"] for p in paths} == {1}  # a local model: one batched call
    assert len(paths) == votes["paths"] <= 5 and votes["stopped_early"] == (votes["paths"] < 5)
    assert sum(votes["counts"].values()) <= votes["paths"]
    assert votes["winner"] == max(votes["counts"], key=votes["counts"].get)


def test_react_calls_the_real_calculator(agent: Agent) -> None:
    result = agent.run("Find the value of (82 + 30) * 25.", tool_choice="calculator", max_steps=3)
    assert result.strategy == "react" and "calculator" in result.reason
    first = result.tool_calls[0]
    assert first["name"] == "calculator" and first["ok"]
    assert first["result"] == format_number(evaluate(first["arguments"]["expression"]))
    kinds = [s["type"] for s in result.steps]
    assert kinds[:3] == ["route", "model", "tool"]


def test_plan_execute_and_reflection(agent: Agent) -> None:
    plan = agent.run("Can you please first work out 3172 / 52, then tell me what the weather is like in Dubai?")
    assert plan.strategy == "plan_execute"
    assert any(s["type"] == "plan" for s in plan.steps) and plan.steps[-1]["type"] in ("synthesis", "replan", "model")
    refl = agent.run("A ribbon 14 cm long is cut into 2 equal pieces. Here is my attempt: 14 / 2 = 6. Check it?")
    assert refl.strategy == "reflection"
    assert [s.get("node") for s in refl.steps if s["type"] == "model"] == ["draft", "critique"]
    assert any(s["type"] == "revision" for s in refl.steps)


def test_broken_tool_calls_go_back_to_the_model_and_the_step_limit_ends_gracefully(model: LocalChatModel) -> None:
    # A forced call cut off after 6 tokens is broken JSON: the graph must feed the error back, not crash.
    tiny = Agent(model.model_copy(update={"max_tokens": 6}), max_steps=2)
    result = tiny.run("Find the value of 12 * 4.", strategy="react", tool_choice="calculator")
    errors = [s for s in result.steps if s["type"] == "tool_error"]
    assert len(errors) == 2 and all(e["error"] for e in errors)
    assert result.stopped == "step_limit" and result.answer.startswith("I stopped after 2 steps")


def test_approval_interrupt_then_resume(model: LocalChatModel) -> None:
    agent = Agent(model, approve_tools=["calculator"], max_steps=2)
    paused = agent.run("Find the value of 7 * 6.", strategy="react", tool_choice="calculator")
    assert paused.pending is not None and paused.answer == "" and not paused.tool_calls
    call = paused.pending["tool_calls"][0]
    assert call["name"] == "calculator"
    declined = agent.resume(paused.thread_id, {call["id"]: False}, tool_choice="calculator")
    assert declined.tool_calls[0]["ok"] is False and "declined" in declined.tool_calls[0]["result"]
    assert any(s["type"] == "approval" for s in declined.steps)
    again = agent.run("Find the value of 7 * 6.", strategy="react", tool_choice="calculator")
    done = agent.resume(again.thread_id, "approve", tool_choice="calculator")
    # approved: the calculator really ran on the model's expression (its value, or its own error on a bad one)
    assert done.tool_calls[0]["name"] == "calculator" and "declined" not in done.tool_calls[0]["result"]
    assert not any(s["type"] == "approval" and s.get("declined") for s in done.steps)


def test_threads_persist_across_agents(model: LocalChatModel, tmp_path: Path) -> None:
    db = tmp_path / "threads.sqlite"
    with Agent(model, tools=None, checkpoint_db=db) as first:
        first.run("Hello!", thread_id="t1", strategy="direct")
        first.run("Who are you?", thread_id="t1", strategy="direct")
    with Agent(model, tools=None, checkpoint_db=db) as second:
        history = second.history("t1")
        assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
        assert history[2]["content"] == "Who are you?"
        assert "t1" in second.threads()


def test_stream_yields_route_tokens_answer_and_result(agent: Agent) -> None:
    events = list(agent.stream("Who are you?", strategy="direct"))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "route" and kinds[-1] == "result" and "answer" in kinds
    tokens = "".join(e["text"] for e in events if e["type"] == "token")
    assert tokens.strip() == events[-1]["result"].answer


def test_plugin_written_from_scratch_is_used_without_retraining(model: LocalChatModel, tmp_path: Path) -> None:
    (tmp_path / "shout.py").write_text(
        "from agentlm import tool\n\n\n@tool\ndef shout(text: str) -> str:\n"
        "    \"\"\"Repeat the text in capital letters.\n\n    Args:\n        text: What to shout.\n    \"\"\"\n"
        "    return text.upper() + '!'\n")
    agent = Agent(model, tools=None, tools_dirs=[tmp_path], max_steps=2)
    assert agent.tools.names() == ["shout"]
    result = agent.run("Shout hello for me.", strategy="react", tool_choice="shout")
    call = result.tool_calls[0]
    # The small model may fill the arguments wrongly; what matters here is that the plugin answered the call.
    assert call["name"] == "shout" and call["result"] == agent.tools.call("shout", call["arguments"]).content


def test_ask_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from agentlm.cli import main

    assert main(["ask", MATH, "--strategy", "self_consistency", "--samples", "3", "--json", "--no-tools"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["strategy"] == "self_consistency" and isinstance(data["answer"], str)
    assert isinstance(data["steps"], list) and isinstance(data["tool_calls"], list)
    assert isinstance(data["sources"], list) and data["votes"]["samples"] == 3


def test_unknown_strategy_and_empty_question_are_clear_errors(agent: Agent) -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        agent.run("hi", strategy="telepathy")
    with pytest.raises(ValueError, match="empty"):
        agent.run("   ")


def test_the_same_graph_over_an_openai_compatible_server(model: LocalChatModel) -> None:
    from _model_server import create_app, serve

    from agentlm.runtime.openai_model import OpenAIChatModel

    with serve(create_app(model)) as base:
        remote = OpenAIChatModel(base_url=f"{base}/v1", model="agentlm-small", max_tokens=64)
        agent = Agent(remote, max_steps=2)
        result = agent.run("Find the value of 9 * 8.", strategy="react", tool_choice="calculator")
        local = Agent(model, max_steps=2).run("Find the value of 9 * 8.", strategy="react", tool_choice="calculator")
        # greedy decoding: over HTTP the graph takes exactly the steps it takes in-process
        assert [s["type"] for s in result.steps] == [s["type"] for s in local.steps]
        assert result.answer == local.answer and len(result.tool_calls) == len(local.tool_calls)
        model_steps = [s for s in result.steps if s["type"] == "model"]
        assert model_steps and all("calculator" in json.dumps(s) for s in model_steps)  # the forced tool
        for call in result.tool_calls:
            assert call["name"] == "calculator"
            assert call["result"] == agent.tools.call("calculator", call["arguments"]).content
        sc = agent.run(MATH, strategy="self_consistency", samples=3)
        assert sc.votes["paths"] == 3 and sc.votes["rounds"] >= 1


def test_async_run_and_stream(agent: Agent) -> None:
    import asyncio

    async def main() -> tuple:
        result = await agent.arun("Who are you?", strategy="direct")
        events = [e async for e in agent.astream("Who are you?", strategy="direct")]
        return result, events

    result, events = asyncio.run(main())
    assert result.answer and events[-1]["type"] == "result"
    assert events[-1]["result"].answer == result.answer  # greedy decoding: the same answer both ways


DOCS = {
    "harbor.txt": "The lighthouse at Varn Harbor was built in 1872 by the engineer Maren Valcott. "
                  "It is 31 metres tall and its light can be seen from 40 kilometres away.",
    "espresso.md": "# Espresso\n\nEspresso is brewed by forcing hot water through finely ground coffee.\n\n"
                   "## Water\nThe water should be between 90 and 96 degrees Celsius.\n",
    "tea.rst": "Green tea\n=========\n\nGreen tea is steeped at 80 degrees Celsius for two minutes.\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    from agentlm.retrieval import Index

    folder = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    idx = Index.create(tmp_path_factory.mktemp("indexes") / "docs")
    idx.add([folder])
    yield idx
    idx.close()


def test_rag_answers_from_the_index_with_numbered_sources(model: LocalChatModel, index) -> None:
    agent = Agent(model, index=index)
    result = agent.run("Who built the lighthouse at Varn Harbor?")
    assert result.strategy == "rag" and "similarity" in result.reason  # auto: a close passage exists
    assert [s["id"] for s in result.sources] == list(range(1, len(result.sources) + 1))
    assert result.sources[0]["doc"].endswith("harbor.txt") and "Maren Valcott" in result.sources[0]["text"]
    assert all({"doc", "chunk", "score", "text"} <= set(s) for s in result.sources)
    grounded = result.steps[-1]
    assert grounded["node"] == "grounded" and isinstance(grounded["citations"], dict)
    for n, where in grounded["citations"].items():  # every [n] in the answer maps to its chunk
        assert f"[{n}]" in result.answer and where["chunk"] == result.sources[int(n) - 1]["chunk"]
    far = agent.run("Tell me a joke about penguins.")
    assert far.strategy == "direct" and "similarity" in far.reason


def test_knowledge_base_tool_results_become_sources(model: LocalChatModel, index) -> None:
    agent = Agent(model, index=index, max_steps=2)
    result = agent.run("Search my documents: who built the lighthouse?", strategy="react",
                       tool_choice="search_knowledge_base")
    call = result.tool_calls[0]
    assert call["name"] == "search_knowledge_base" and call["ok"]
    assert result.sources and result.sources[0]["text"] in call["result"] and result.sources[0]["chunk"] is not None


def test_few_shot_picks_similar_examples(agent: Agent) -> None:
    result = agent.run("Calculate 64 * 12.", strategy="few_shot")
    examples = result.steps[-1]["examples"]
    assert len(examples) == 2 and all(any(ch.isdigit() for ch in e["question"]) for e in examples)
    cot = agent.run("Calculate 64 * 12.", strategy="few_shot_cot")
    assert all("Step" in e["answer"] or "步" in e["answer"] for e in cot.steps[-1]["examples"])
    zh = agent.run("北京今天天气怎么样？", strategy="few_shot")
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["question"]) for e in zh.steps[-1]["examples"])


def test_pip_installed_plugin_package_is_called_by_the_model(model: LocalChatModel, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import subprocess
    import sys

    source = tmp_path / "src"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "agentlm-plugin-example", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "--target", str(tmp_path / "site"), str(source)], check=True, timeout=300)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    try:
        agent = Agent(model, max_steps=2)  # built-ins + entry points: the package is found through its entry point
        assert "to_roman" in agent.tools.names()
        result = agent.run("Write 1994 in Roman numerals.", strategy="react", tool_choice="to_roman")
        call = result.tool_calls[0]
        assert call["name"] == "to_roman" and call["result"] == agent.tools.call("to_roman", call["arguments"]).content
    finally:
        for name in [m for m in sys.modules if m.startswith("agentlm_plugin_example")]:
            del sys.modules[name]


def test_forcing_an_unknown_tool_is_a_clear_error(agent: Agent) -> None:
    with pytest.raises(ValueError, match="not an available tool"):
        agent.run("Find the value of 2 + 2.", strategy="react", tool_choice="teleport")
