"""`agentlm eval SUITE` and `agentlm eval compare` through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlm.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_eval_suite_command_writes_its_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "alignment", "--model", "agentlm-small", "--limit", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| requests | n | refused |" in out and "alignment.png" in out
    assert {p.name for p in tmp_path.iterdir()} == {"alignment.json", "alignment.md", "alignment.png"}
    assert main(["eval", "qa", "--limit", "1", "--out", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["suite"] == "qa" and "items" not in printed and set(printed["metrics"]) >= {"exact_match", "f1"}


def test_eval_compare_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "compare", "--models", "agentlm-small", "--suites", "qa,tools", "alignment",
                 "--limit", "1", "--out", str(tmp_path)])
    assert code == 0
    table = capsys.readouterr().out
    assert "| suite | metric | agentlm-small |" in table and "| speed | tokens/s |" in table
    report = json.loads((tmp_path / "compare.json").read_text())
    assert report["suites"] == ["qa", "tools", "alignment"]
    entry = report["models"]["agentlm-small"]
    assert entry["speed"]["tokens_per_second"] > 0 and set(entry["suites"]) == {"qa", "tools", "alignment"}
    assert all("metrics" in s for s in entry["suites"].values())
    for name in ("compare.md", "compare.png", "agentlm-small/qa.json", "agentlm-small/tools.png"):
        assert (tmp_path / name).is_file()

    # --reuse keeps a model's results from that run when the items are the same, and re-runs otherwise
    assert main(["eval", "compare", "--models", "agentlm-small", "--suites", "qa", "--limit", "1",
                 "--out", str(tmp_path), "--reuse", "agentlm-small"]) == 0
    assert "results kept from the previous run" in capsys.readouterr().out
    again = json.loads((tmp_path / "compare.json").read_text())["models"]["agentlm-small"]
    assert again["reused"] and again["suites"] == {"qa": entry["suites"]["qa"]}
    assert main(["eval", "compare", "--models", "agentlm-small", "--suites", "qa", "--limit", "2",
                 "--out", str(tmp_path), "--reuse", "agentlm-small"]) == 0
    assert "reused" not in json.loads((tmp_path / "compare.json").read_text())["models"]["agentlm-small"]


def test_eval_compare_rejects_unknown_suites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", "--models", "agentlm-small", "--suites", "vibes", "--out", str(tmp_path)]) == 2
    assert "unknown suites" in capsys.readouterr().err
