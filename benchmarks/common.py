"""What every benchmark script shares: the command line, thread settings, percentiles, tables and JSON output.

Each benchmark is one script (`python benchmarks/NAME.py [--quick]`) with a `run(args) -> dict` that does the
measuring; `main()` parses the arguments, prints the table and writes `runs/benchmarks/NAME.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "runs" / "benchmarks"
MODEL = Path(os.environ.get("AGENTLM_BENCH_MODEL", ROOT / "models" / "agentlm-small"))  # the shipped model unless set


def parser(doc: str | None, name: str) -> argparse.ArgumentParser:
    """The common options: --quick (a smoke run), --threads, --json (where the results go)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small, fast smoke run")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (default 1: on a shared 2-core machine 2 threads are far slower "
                         "whenever another job holds a core)")
    ap.add_argument("--json", type=Path, default=RESULTS / f"{name}.json", help="where to write the results")
    return ap


def add_precision(ap: argparse.ArgumentParser) -> None:
    """--precision for the benchmarks that compare two training heads: fp32 makes their losses equal to ~1e-6,
    bf16 autocast (what `auto` picks where it is measured faster) rounds them apart."""
    ap.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                    help="auto: bf16 autocast where measured faster; fp32 makes the two heads' losses equal to ~1e-6")


def setup(threads: int) -> None:
    """Offline Hugging Face, quiet tokenizers and a fixed number of torch threads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    torch.set_num_threads(threads)


def machine(threads: int) -> dict[str, Any]:
    """Where the numbers were measured."""
    import torch

    return {"cpus": os.cpu_count(), "torch_threads": threads, "torch": torch.__version__,
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "when": time.strftime("%Y-%m-%d %H:%M:%S")}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def alternate(contestants: dict[str, Callable[[int], Any]], rounds: int, log: bool = True) -> dict[str, list[Any]]:
    """Call each contestant once per round, in turn (the order flips every round), so machine noise hits all
    alike; returns each one's results in round order."""
    results: dict[str, list[Any]] = {name: [] for name in contestants}
    names = list(contestants)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            results[name].append(contestants[name](r))
        if log:
            print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def skill_file(name: str, out: Path, quick: bool) -> Path:
    """The recipe's `data/skills/<name>` if it is there (and not `--quick`), else a small set generated in `out`."""
    path = ROOT / "data" / "skills" / name
    if path.is_file() and not quick:
        return path
    from agentlm.data.synth.build import build_skill_data

    build_skill_data(out, n_train=200, n_test=20, seed=0)
    return out / name


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get thousands separators and sensible decimals."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults: {path}")


def english_prompts(families: Sequence[str], limit: int, with_system: bool = True) -> list[list[dict[str, str]]]:
    """Chat prompts (the turns before the first assistant reply) of English skill test examples without tools."""
    path = ROOT / "data" / "skills" / "test.jsonl"
    if not path.is_file():
        return [[{"role": "user", "content": q}] for q in FALLBACK_QUESTIONS][:limit]
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            meta = row.get("metadata", {})
            if meta.get("lang") != "en" or meta.get("family") not in families or row.get("tools"):
                continue
            turns = []
            for m in row["messages"]:
                if m["role"] == "assistant":
                    break
                if m["role"] == "user" or (with_system and m["role"] == "system"):
                    turns.append({"role": m["role"], "content": m["content"]})
            if turns and turns[-1]["role"] == "user":
                out.append(turns)
            if len(out) >= limit:
                break
    return out


FALLBACK_QUESTIONS = ["Who are you?", "Explain how a lighthouse works.", "A pen costs 3 dollars. What do 4 pens cost?",
                      "Write a short poem about the sea.", "What is the capital of France?",
                      "How do I resume pretraining after a crash?"]
