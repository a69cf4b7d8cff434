"""Loss curves as PNG from a training log (one JSON object per line)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_log(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# What each stage's logged `loss` is (the language-modelling stages: cross-entropy).
LOSS_LABELS = {"reward": "pairwise loss, -log sigmoid(r_chosen - r_rejected)", "dpo": "DPO loss (+ SFT term if set)",
               "rl": "GRPO loss (clipped policy objective + KL)"}


def plot_loss(log_path: str | Path, png_path: str | Path, title: str = "loss", key: str = "loss",
              ylabel: str = "cross-entropy (nats/token)") -> Path:
    """Plot a logged training value (the loss by default; validation loss where logged) against tokens seen."""
    rows = read_log(log_path)
    train = [(r["tokens"], r[key]) for r in rows if r.get("kind") == "train" and r.get(key) is not None]
    val = [(r["tokens"], r["val_loss"]) for r in rows if r.get("kind") == "eval"]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if train:
        ax.plot(*zip(*train, strict=True), label="train", lw=1, alpha=0.8)
    if val and key == "loss":
        ax.plot(*zip(*val, strict=True), "o-", label="validation", lw=2)
    ax.set_xlabel("tokens seen")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    png_path = Path(png_path)
    fig.savefig(png_path)
    plt.close(fig)
    return png_path
