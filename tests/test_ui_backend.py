"""The UI's backend without a browser: threads across restarts, uploads into indexes, the demo index, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentlm_ui.backend import Backend, check_index_name, ensure_demo_index

from agentlm.cli import build_parser
from agentlm.retrieval import list_indexes


@pytest.fixture
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTLM_INDEX_DIR", str(tmp_path / "indexes"))
    return tmp_path / "indexes"


def test_a_thread_survives_a_restart_and_comes_back_with_its_history(tmp_path: Path, index_dir: Path) -> None:
    backend = Backend(index=None, data_dir=tmp_path / "ui")
    thread = backend.new_thread()
    turns = list(backend.chat("Who are you?", thread_id=thread, strategy="direct", max_steps=1))
    answer = turns[-1][-1]
    assert turns[0][0].metadata["title"] == "Strategy: direct" and answer.content and not answer.metadata
    backend.close()

    again = Backend(index=None, data_dir=tmp_path / "ui")  # a restart: same data dir, new objects
    try:
        assert thread in again.threads()
        label, value = again.thread_choices()[0]
        assert value == thread and label.startswith("Who are you?")
        history = [(m.role, m.content) for m in again.thread_messages(thread)]
        assert history == [("user", "Who are you?"), ("assistant", answer.content)]
    finally:
        again.close()


def test_uploads_are_kept_under_the_data_dir_and_indexed(tmp_path: Path, index_dir: Path) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nThe staging server restarts every night at 03:00 UTC.\n")
    backend = Backend(index=None, data_dir=tmp_path / "ui")
    try:
        report = backend.add_documents("notes", [doc])
        assert report.startswith("files: 1 added")
        assert (tmp_path / "ui" / "uploads" / "notes" / "notes.md").is_file()
        assert ("notes (1 docs, 1 chunks)", "notes") in backend.index_choices()
        assert backend.add_documents("notes", [doc]).startswith("files: 0 added, 0 updated, 1 unchanged")
        with pytest.raises(ValueError, match="index name"):
            backend.add_documents("../elsewhere", [doc])
        with pytest.raises(ValueError, match="choose one or more files"):
            backend.add_documents("notes", [])
    finally:
        backend.close()
    assert check_index_name(" docs-2024.v1 ") == "docs-2024.v1"


def test_the_demo_index_is_built_once_from_the_readme_and_docs(index_dir: Path) -> None:
    said: list[str] = []
    assert ensure_demo_index(say=said.append) is True
    assert said[0].startswith("building the 'demo' index from") and "README.md" in said[0]
    demo = next(i for i in list_indexes() if i["name"] == "demo")
    assert demo["documents"] >= 2 and demo["chunks"] > 10
    assert ensure_demo_index(say=said.append) is False and len(said) == 2  # already there: nothing to do


def test_agentlm_ui_options() -> None:
    args = build_parser().parse_args(["ui"])
    assert (args.host, args.port, args.model, args.index, args.data_dir, args.share) == (
        "127.0.0.1", None, None, "demo", "runs/ui", False)
    args = build_parser().parse_args(["ui", "--port", "7861", "--index", "none", "--share", "--tools-dir", "x"])
    assert (args.port, args.index, args.share, args.tools_dir) == (7861, "none", True, ["x"])
