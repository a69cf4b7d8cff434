"""`agentlm index` round trip through agentlm.cli.main: add, query (text and JSON), list, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlm.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_index_cli_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("AGENTLM_INDEX_DIR", str(tmp_path / "indexes"))
    docs = tmp_path / "docs"
    (docs / "deep").mkdir(parents=True)
    (docs / "tea.md").write_text("# Tea\n\nGreen tea is brewed at 80 degrees for two minutes.\n")
    (docs / "deep" / "rivers.txt").write_text("The Danube flows through ten countries into the Black Sea.\n")
    (docs / "rows.jsonl").write_text(json.dumps({"body": "Basalt is a volcanic rock.", "lang": "en"}) + "\n")
    (docs / "image.gif").write_bytes(b"GIF89a")

    assert main(["index", "add", str(docs), "--index", "kb", "--chunk-size", "300", "--chunk-overlap", "30"]) == 0
    out = capsys.readouterr().out
    assert "3 added" in out and "chunks/s" in out and "skipped 1 unsupported files (.gif: 1)" in out
    assert (tmp_path / "indexes" / "kb" / "manifest.json").is_file()

    assert main(["index", "query", "which river reaches the Black Sea", "--index", "kb", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] ") and "rivers.txt" in out.splitlines()[0]

    assert main(["index", "query", "volcanic", "--index", "kb", "--mode", "bm25", "--json",
                 "--filter", "lang=en"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "bm25" and len(result["hits"]) == 1
    hit = result["hits"][0]
    assert set(hit) == {"doc", "chunk", "score", "text", "title", "metadata"}
    assert hit["text"] == "Basalt is a volcanic rock." and hit["metadata"]["lang"] == "en"

    assert main(["index", "add", str(docs / "tea.md"), "--index", "kb"]) == 0  # unchanged: skipped
    assert "1 unchanged" in capsys.readouterr().out
    assert main(["index", "add", str(docs), "--index", "kb", "--chunk-size", "800"]) == 2  # settings are fixed
    assert "chunk_size=300" in capsys.readouterr().err

    assert main(["index", "list"]) == 0
    assert "| kb | 3 | 3 | all-MiniLM-L6-v2 | Flat |" in capsys.readouterr().out
    assert main(["index", "delete", "deep/rivers.txt", "--index", "kb"]) == 0
    assert "removed deep/rivers.txt (1 chunks)" in capsys.readouterr().out
    assert main(["index", "delete", "rivers.txt", "--index", "kb"]) == 2
    assert "no document 'rivers.txt'" in capsys.readouterr().err
    assert main(["index", "list", "--index", "kb", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(Path(d["doc"]).name for d in listed["documents"]) == ["rows.jsonl", "tea.md"]
    assert main(["index", "query", "tea", "--index", "nope"]) == 2
    assert "no index at" in capsys.readouterr().err

    index_path = str(tmp_path / "indexes" / "kb")  # a path works wherever a name does
    assert main(["index", "query", "green tea temperature", "--index", index_path, "-k", "1"]) == 0
    assert "tea.md" in capsys.readouterr().out


def test_index_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    for sub in ([], ["add"], ["query"], ["list"], ["delete"]):
        with pytest.raises(SystemExit):
            main(["index", *sub, "--help"])
        assert "example" in capsys.readouterr().out
