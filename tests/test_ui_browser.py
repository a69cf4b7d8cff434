"""The Gradio app in a real browser: the shipped model, the built-in tools, a real index, headless Chromium.

Screenshots land in test-artifacts/ (gitignored): ui-calculator-tool-call.png, ui-thread-reopened.png,
ui-upload-cited-answer.png, ui-fine-tuning.png, ui-evaluation.png.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TURN_TIMEOUT = 180_000  # ms: the model shares two CPU cores with everything else
DOC = """# The Zorblax 9000

The Zorblax 9000 is a coffee machine invented by Mira Okafor in 1987 in Lagos.
It brews twelve cups at once and sings when the coffee is ready.

## Maintenance

Descale the Zorblax 9000 every three months with white vinegar.
"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free 127.0.0.1 port, in a thread, with its own data dir and index root."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from agentlm_ui.app import build_app, launch
    from agentlm_ui.backend import Backend

    from agentlm.train.jobs import JobService

    root = tmp_path_factory.mktemp("ui")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENTLM_INDEX_DIR", str(root / "indexes"))
        backend = Backend(index=None, data_dir=root / "data", max_steps=3)
        jobs = JobService(root / "data" / "fine-tuning")
        jobs.start()
        port = free_port()
        demo = launch(build_app(backend, jobs), host="127.0.0.1", port=port, block=False)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()
            jobs.shutdown()
            backend.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#agentlm-question textarea", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#agentlm-thread input')?.value.startsWith('new thread')")
    yield page
    page.close()


def ask(page, question: str) -> None:
    """Send a question and wait for the turn to end (the thread picker then names the thread after it)."""
    page.fill("#agentlm-question textarea", question)
    page.click("#agentlm-send")
    page.wait_for_function("(q) => document.querySelector('#agentlm-thread input')?.value.startsWith(q)",
                           arg=question[:20], timeout=TURN_TIMEOUT)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_calculator_question_shows_the_tool_call_and_the_answer_and_the_thread_reopens(page) -> None:
    question = "Find the value of (82 + 30) * 25."
    ask(page, question)
    chat = page.locator("#agentlm-chat")
    call = chat.locator(".thought-group", has_text="Tool call: calculator").first
    call.wait_for()
    assert "ok" in call.inner_text()
    bot = chat.locator(".bot.message").last
    assert "Strategy: react" in bot.inner_text()
    answer = bot.locator(".message-content").last.inner_text()  # the answer, after every thought
    assert answer.strip() and "Tool call" not in answer
    call.locator(".title").first.click()  # a finished step is collapsed: open it
    call.locator(".content").first.wait_for()
    body = call.inner_text()
    assert "Arguments" in body and '"expression"' in body and "Result" in body
    shot(page, "ui-calculator-tool-call.png")

    page.click("#agentlm-new-thread")
    page.wait_for_function("() => document.querySelector('#agentlm-thread input')?.value.startsWith('new thread')")
    assert question not in chat.inner_text()
    page.click("#agentlm-thread input")
    page.locator("ul[role=listbox] li", has_text=question[:20]).first.click()
    page.wait_for_function("(q) => document.querySelector('#agentlm-chat')?.innerText.includes(q)", arg=question)
    assert answer.strip().splitlines()[-1] in chat.inner_text()  # the saved answer comes back with the thread
    shot(page, "ui-thread-reopened.png")


def test_uploaded_document_gives_an_answer_with_linked_sources(page, tmp_path: Path) -> None:
    doc = tmp_path / "zorblax.md"
    doc.write_text(DOC)
    page.set_input_files("#agentlm-upload input[type=file]", str(doc))
    page.fill("#agentlm-index-name textarea", "testdocs")
    page.locator("#agentlm-upload", has_text="zorblax").wait_for()  # the upload finished
    page.click("#agentlm-add")
    page.locator("#agentlm-add-status", has_text="Added to").wait_for(timeout=120_000)
    assert "1 added" in page.inner_text("#agentlm-add-status")
    assert page.input_value("#agentlm-index input").startswith("testdocs (1 docs")
    page.click("#agentlm-strategy input")
    page.locator("ul[role=listbox] li", has_text="rag").first.click()

    ask(page, "Who invented the Zorblax 9000?")
    chat = page.locator("#agentlm-chat")
    assert chat.locator(".thought-group", has_text="Retrieval:").count() == 1
    first = chat.locator("details.agentlm-source").first
    summary = first.locator("summary").inner_text()
    assert summary.startswith("[1] zorblax.md")
    assert first.get_attribute("id", timeout=1000).endswith("-1")
    cite = chat.locator("a.agentlm-cite").first
    if cite.count():  # the answer cites [n]: the link opens that source's collapsible
        cite.click()
    else:
        first.locator("summary").click()
    page.wait_for_function("(id) => document.getElementById(id)?.open", arg=first.get_attribute("id"))
    assert "Mira Okafor" in first.inner_text() and "zorblax.md" in first.inner_text()
    shot(page, "ui-upload-cited-answer.png")


def test_fine_tuning_validates_trains_plots_the_loss_and_chats_with_the_new_model(page, tmp_path: Path) -> None:
    from agentlm.data.formats import write_jsonl
    from agentlm.data.synth.build import generate

    data = tmp_path / "skills-train.jsonl"
    write_jsonl(data, [e.to_json() for e in generate("train", 24, seed=1)])  # real skill data, 24 rows
    page.get_by_role("tab", name="Fine-tuning").click()
    page.set_input_files("#agentlm-ft-file input[type=file]", str(data))
    report = page.locator("#agentlm-ft-report", has_text="Result: valid")
    report.wait_for(timeout=60_000)
    assert "skills-train.jsonl" in report.inner_text() and "24" in report.inner_text()
    page.fill("#agentlm-ft-epochs input", "1")
    page.fill("#agentlm-ft-batch input", "1")  # 24 steps: the trainer logs the loss every 10
    page.click("#agentlm-ft-start")
    page.locator("#agentlm-ft-status", has_text="succeeded").wait_for(timeout=TURN_TIMEOUT)
    page.wait_for_function("() => document.querySelector('#agentlm-ft-events textarea')?.value"
                           ".includes('successfully completed')")
    assert "training loss=" in page.input_value("#agentlm-ft-events textarea")
    page.locator("#agentlm-ft-loss .mark-line path").first.wait_for()  # the loss curve is drawn
    model = page.input_value("#agentlm-ft-model input")
    assert model.startswith("ft:agentlm-small:ui:ftjob-")

    page.fill("#agentlm-ft-question textarea", "Who are you?")
    page.click("#agentlm-ft-send")
    page.wait_for_function("() => document.querySelector('#agentlm-ft-chat .bot-row') && "
                           "document.querySelector('#agentlm-ft-chat .wrap')?.classList.contains('hide')",
                           timeout=TURN_TIMEOUT)
    reply = page.locator("#agentlm-ft-chat .bot-row").last.inner_text()
    assert "Strategy:" in reply and len(reply.split("\n")) > 1
    shot(page, "ui-fine-tuning.png")


def test_evaluation_runs_the_skill_suite_and_shows_a_table_and_a_chart(page) -> None:
    page.get_by_role("tab", name="Evaluation").click()
    page.fill("#agentlm-eval-n input[type=number]", "10")
    page.fill("#agentlm-eval-per-family input[type=number]", "1")
    page.locator("#agentlm-eval-per-family input[type=number]").press("Enter")
    page.click("#agentlm-eval-run")
    page.locator("#agentlm-eval-status", has_text="examples in").wait_for(timeout=TURN_TIMEOUT)
    table = page.locator("#agentlm-eval-table")
    assert "family" in table.inner_text() and "lang" in table.inner_text()
    rows = int(table.locator("[role=grid]").get_attribute("aria-rowcount"))  # a virtual table: not all rows in the DOM
    assert rows >= 4  # the header and a row per family and language
    bars = page.locator("#agentlm-eval-chart .mark-rect path")
    bars.first.wait_for(state="attached")  # a score of 0 is a bar of no height: attached, not visible
    assert bars.count() == rows - 1 and "score" in bars.first.get_attribute("aria-label")
    shot(page, "ui-evaluation.png")
