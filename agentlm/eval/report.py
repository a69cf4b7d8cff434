"""Writing a suite's result: `NAME.json` (everything), `NAME.md` (the table) and `NAME.png` (the chart).

A result is a plain dict: `suite`, `model`, `title`, `data` (what was evaluated, with sizes), `metrics` (the
headline numbers), `rows` (the table: dicts with the same keys), `chart` (see `plot`), `items` (every
prediction) and `seconds`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fmt(value: Any) -> str:
    """A table cell: floats with 3 decimals (1 from 100 up), None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def markdown_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Rows of dicts as a Markdown table (columns: the first row's keys unless given)."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def markdown(result: dict[str, Any]) -> str:
    """The suite's Markdown: a heading, what was evaluated, the table, notes."""
    parts = [f"## {result['title']}: {result['model']}", "", result.get("data", ""), "",
             markdown_table(result.get("rows", []))]
    for note in result.get("notes", []):
        parts += ["", note]
    parts += ["", f"{result.get('seconds', 0):.0f} s."]
    return "\n".join(parts) + "\n"


def plot(chart: dict[str, Any], path: Path) -> Path:
    """Draw a chart spec to PNG.

    `{"type": "bar", "labels": [...], "series": {name: values}, "ylabel", "title"}` draws grouped bars;
    `{"type": "line", "panels": [{"title", "x", "series": {name: values}, "hlines": {name: value}}], "xlabel",
    "ylabel", "title"}` draws one panel per entry, lines over x and dashed horizontal references.
    """
    if chart.get("type") == "line":
        panels = chart["panels"]
        fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), dpi=110, squeeze=False)
        for ax, panel in zip(axes[0], panels, strict=True):
            for name, values in panel["series"].items():
                ax.plot(panel["x"], _nums(values), "o-", lw=2, label=name)
            for i, (name, value) in enumerate(panel.get("hlines", {}).items()):
                if value is not None:
                    ax.axhline(value, ls="--", lw=1, color=f"C{i + 1}", label=name)
            ax.set_xscale("log")
            ax.set_xticks(panel["x"], [str(x) for x in panel["x"]])
            ax.set_title(panel.get("title", ""))
            ax.set_xlabel(chart.get("xlabel", ""))
            ax.set_ylabel(chart.get("ylabel", ""))
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle(chart.get("title", ""))
    else:
        labels, series = chart["labels"], chart["series"]
        bars = len(labels) * max(1, len(series))
        horizontal = bars > 12  # many bars: one row each, labels readable on the left
        size = (8.0, 1.5 + 0.22 * bars) if horizontal else (max(6.0, 0.6 * bars + 2), 4.5)
        fig, ax = plt.subplots(figsize=size, dpi=110)
        width = 0.8 / max(1, len(series))
        for i, (name, values) in enumerate(series.items()):
            pos = [j + (i - (len(series) - 1) / 2) * width for j in range(len(labels))]
            (ax.barh if horizontal else ax.bar)(pos, _nums(values), width, label=name)
        if horizontal:
            ax.set_yticks(range(len(labels)), labels, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel(chart.get("ylabel", ""))
        else:
            ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 4 else 0,
                          ha="right" if len(labels) > 4 else "center")
            ax.set_ylabel(chart.get("ylabel", ""))
        ax.set_title(chart.get("title", ""))
        ax.grid(axis="x" if horizontal else "y", alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _nums(values: list[Any]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def write_report(result: dict[str, Any], out_dir: str | Path, name: str | None = None) -> dict[str, Path]:
    """Write NAME.json, NAME.md and NAME.png (NAME: the suite) into out_dir; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = name or result["suite"]
    paths = {"json": out / f"{name}.json", "md": out / f"{name}.md", "png": out / f"{name}.png"}
    paths["json"].write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    paths["md"].write_text(markdown(result), encoding="utf-8")
    plot(result["chart"], paths["png"])
    return paths
