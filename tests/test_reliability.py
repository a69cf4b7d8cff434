"""The reliability report: every reliability suite (tests/test_reliability_*.py) records what it tried here.

    record("calculator fuzz", inputs=1300, failures=0, data_lost=0, seconds=4.2, crashes=0)

Entries go to runs/reliability/report.json (or $AGENTLM_RELIABILITY_REPORT), one per suite, replaced by the
suite's latest run. `python tests/test_reliability.py` prints them as a table, and a pytest session that runs this
module (e.g. `pytest -k reliability`) prints the entries it recorded at its end. The suites run at a bounded
"quick" scale by default; AGENTLM_RELIABILITY=full runs the larger counts quoted in docs/reliability.md. The slow
suites (kill -9 loops, server soak) are marked `heavy` and run only when AGENTLM_RELIABILITY is set.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FULL = os.environ.get("AGENTLM_RELIABILITY", "quick") == "full"
# The kill -9 loops and the server soak take minutes (subprocess start-ups, a fine-tuning job): they run only when
# AGENTLM_RELIABILITY is set; the other suites run with every `pytest`.
heavy = pytest.mark.skipif("AGENTLM_RELIABILITY" not in os.environ,
                           reason="set AGENTLM_RELIABILITY=quick (or full) to run the kill -9 and soak suites")


def scale(quick: int, full: int) -> int:
    """A count for this run: `full` under AGENTLM_RELIABILITY=full, else `quick`."""
    return full if FULL else quick


def report_path() -> Path:
    return Path(os.environ.get("AGENTLM_RELIABILITY_REPORT") or ROOT / "runs" / "reliability" / "report.json")


def load() -> dict[str, dict[str, Any]]:
    try:
        return json.loads(report_path().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def record(suite: str, *, inputs: int, failures: int, data_lost: int, seconds: float, **details: Any) -> None:
    """Store one suite's figures: inputs tried, failures (crashes, wrong outcomes), data lost, and any details."""
    path = report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    report = load()
    report[suite] = {"inputs": inputs, "failures": failures, "data_lost": data_lost, "seconds": round(seconds, 1),
                     "scale": "full" if FULL else "quick", "when": time.strftime("%Y-%m-%d %H:%M:%S"), **details}
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
    print(f"\nreliability | {suite}: {inputs} inputs, {failures} failures, {data_lost} lost ({seconds:.1f} s)")


def summary(report: dict[str, dict[str, Any]]) -> str:
    """The report as a Markdown table."""
    lines = ["| suite | scale | inputs tried | failures | data lost | seconds | when |",
             "|---|---|---:|---:|---:|---:|---|"]
    for suite, e in sorted(report.items()):
        lines.append(f"| {suite} | {e['scale']} | {e['inputs']:,} | {e['failures']} | {e['data_lost']} | "
                     f"{e['seconds']} | {e['when']} |")
    return "\n".join(lines)


@pytest.fixture(scope="session", autouse=True)
def _summary_at_the_end(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the session, print the suites recorded during it (past the output capture)."""
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    yield
    recorded = {suite: e for suite, e in load().items() if e["when"] >= started}
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if recorded and reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_sep("-", f"reliability report ({report_path()})")
            reporter.write_line(summary(recorded))


def test_record_replaces_a_suite_entry_and_the_summary_lists_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AGENTLM_RELIABILITY_REPORT", str(tmp_path / "report.json"))
    record("demo", inputs=3, failures=1, data_lost=0, seconds=0.5)
    record("demo", inputs=5, failures=0, data_lost=0, seconds=1.0, note="second run")
    record("other", inputs=1, failures=0, data_lost=0, seconds=0.1)
    report = load()
    assert set(report) == {"demo", "other"} and report["demo"]["inputs"] == 5 and report["demo"]["note"] == "second run"
    table = summary(report)
    assert table.splitlines()[2].startswith("| demo |") and "| 5 | 0 | 0 |" in table


if __name__ == "__main__":
    print(summary(load()) if load() else f"no reliability report yet at {report_path()}", file=sys.stdout)
