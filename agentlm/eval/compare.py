"""Models side by side: the same suites on the same items for each model, one table with tokens/s.

    report = compare(["agentlm-small", "smollm2", "runs/smollm2-lora"], ["qa", "tools"], "runs/eval", limit=20)

Writes each model's suite reports under `OUT/<model>/` and `OUT/compare.json`, `compare.md`, `compare.png`.
A suite that fails for one model is recorded with its error and the comparison goes on.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agentlm.eval.models import load_eval_model, measure_speed
from agentlm.eval.report import fmt, markdown_table, plot
from agentlm.eval.suites import SUITES, run_suite


def compare(models: Sequence[str], suites: Sequence[str], out_dir: str | Path, limit: int = 20, seed: int = 0,
            progress: Callable[[str], None] | None = print, reuse: Sequence[str] = (),
            **options: Any) -> dict[str, Any]:
    """Run `suites` for every model spec; returns {"models": {name: {...}}, "rows": [...], "files": {...}}.

    Specs listed in `reuse` keep their results from the previous `OUT/compare.json` when it ran every asked
    suite without error on the same items (same limit and seed): re-run only the model that changed.
    """
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        raise ValueError(f"unknown suites {unknown}; choose from {', '.join(SUITES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options.setdefault("index_dir", out / "rag-index")  # one SQuAD index, shared by every model
    report: dict[str, Any] = {"suites": list(suites), "limit": limit, "seed": seed, "models": {},
                              "options": {k: str(v) for k, v in options.items()}}
    previous = _previous_entries(out / "compare.json", suites, limit, seed) if reuse else {}
    for spec in models:
        if spec in reuse and spec in previous:
            name, entry = previous[spec]
            report["models"][name] = {**entry, "reused": True}
            if progress:
                progress(f"{name}: reused from the previous {out / 'compare.json'}")
            continue
        started = time.perf_counter()
        model = load_eval_model(spec)
        entry: dict[str, Any] = {"spec": spec, "speed": measure_speed(model), "suites": {}}
        for suite in suites:
            try:
                result = run_suite(suite, model, out / model.name, limit=limit, seed=seed, **options)
                entry["suites"][suite] = {"metrics": result["metrics"], "data": result["data"],
                                          "seconds": result["seconds"]}
            except Exception as err:  # one broken suite must not lose the others' hours of work
                entry["suites"][suite] = {"error": f"{type(err).__name__}: {err}"}
                traceback.print_exc()
            if progress:
                progress(f"{model.name} {suite}: {_summary(entry['suites'][suite])}")
        entry["seconds"] = round(time.perf_counter() - started, 1)
        report["models"][model.name] = entry
    report["rows"] = comparison_rows(report)
    files = {"json": out / "compare.json", "md": out / "compare.md", "png": out / "compare.png"}
    files["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    files["md"].write_text(comparison_markdown(report), encoding="utf-8")
    plot(comparison_chart(report), files["png"])
    report["files"] = {k: str(p) for k, p in files.items()}
    return report


def _previous_entries(path: Path, suites: Sequence[str], limit: int, seed: int) -> dict[str, tuple[str, dict]]:
    """spec -> (name, entry) of an earlier comparison on the same items whose asked suites all ran cleanly."""
    if not path.is_file():
        return {}
    old = json.loads(path.read_text(encoding="utf-8"))
    if old.get("limit") != limit or old.get("seed") != seed:
        return {}
    found = {}
    for name, entry in old.get("models", {}).items():
        runs = entry.get("suites", {})
        if all(s in runs and "error" not in runs[s] for s in suites):
            found[entry["spec"]] = (name, {**entry, "suites": {s: runs[s] for s in suites}})
    return found


def _summary(entry: dict[str, Any]) -> str:
    if "error" in entry:
        return entry["error"]
    return ", ".join(f"{k} {fmt(v)}" for k, v in list(entry["metrics"].items())[:4])


def comparison_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (suite, metric), one column per model; tokens/s and wall time first."""
    names = list(report["models"])
    rows = [{"suite": "speed", "metric": "tokens/s", **{n: report["models"][n]["speed"]["tokens_per_second"]
                                                        for n in names}}]
    for suite in report["suites"]:
        keys: list[str] = []
        for n in names:
            for k in report["models"][n]["suites"][suite].get("metrics", {}):
                if k not in keys:
                    keys.append(k)
        if not keys:
            rows.append({"suite": suite, "metric": "error", **{
                n: report["models"][n]["suites"][suite].get("error", "") for n in names}})
        for k in keys:
            rows.append({"suite": suite, "metric": k,
                         **{n: report["models"][n]["suites"][suite].get("metrics", {}).get(k) for n in names}})
    rows.append({"suite": "time", "metric": "seconds (all suites)", **{n: report["models"][n]["seconds"]
                                                                         for n in names}})
    return rows


def comparison_markdown(report: dict[str, Any]) -> str:
    names = list(report["models"])
    lines = [f"## Side by side: {', '.join(names)}", "",
             f"Suites {', '.join(report['suites'])}; at most {report['limit']} items per suite and dataset "
             f"(seed {report['seed']}), the same items for every model. Shares are in [0, 1], BLEU/ROUGE 0-100, "
             "bits per byte and perplexity lower is better. tokens/s: greedy, one request at a time.", "",
             markdown_table(report["rows"], ["suite", "metric", *names])]
    lines.append("")
    reused = [n for n in names if report["models"][n].get("reused")]
    if reused:
        lines.append(f"- {', '.join(reused)}: results kept from the previous run on the same items (`--reuse`).")
    for suite in report["suites"]:
        data = next((report["models"][n]["suites"][suite]["data"] for n in names
                     if "data" in report["models"][n]["suites"][suite]), None)
        if data:
            lines.append(f"- {suite}: {data}")
    return "\n".join(lines) + "\n"


def comparison_chart(report: dict[str, Any]) -> dict[str, Any]:
    """Grouped bars of the metrics that are shares (every model's value in [0, 1])."""
    names = list(report["models"])
    shares = [r for r in report["rows"] if r["suite"] not in ("speed", "time")
              and all(isinstance(r.get(n), int | float) and 0 <= r[n] <= 1 for n in names)
              and not r["metric"].startswith(("perplexity", "bits_per_byte"))]
    return {"type": "bar", "labels": [f"{r['suite']}/{r['metric']}" for r in shares], "ylabel": "share",
            "series": {n: [r[n] for r in shares] for n in names}, "title": "Models side by side"}
